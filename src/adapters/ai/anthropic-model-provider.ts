import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { ErrorType } from '@anthropic-ai/sdk/resources/shared';
import type {
  Message,
  MessageCreateParamsNonStreaming,
  MessageDeltaUsage,
  StopReason,
  TextBlockParam,
  Usage as AnthropicUsage,
} from '@anthropic-ai/sdk/resources/messages';
import type { MessageBatchIndividualResponse, MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import {
  ProviderError,
  type BatchItemOutcome,
  type BatchPoll,
  type BatchRequestItem,
  type CompletionRequest,
  type CompletionResult,
  type ModelProvider,
  type ProviderCredentials,
  type ProviderErrorKind,
  type StreamEvent,
  type Usage,
} from '../../modules/ai/ports.js';
import { kindOfStatus, retryAfterMsOf } from './http-provider-errors.js';

/** Batch endpoints carry no per-call deadline in the port; this bounds the submit/poll calls themselves. */
const BATCH_CALL_TIMEOUT_MS = 60_000;

/**
 * Anthropic on the official SDK: Messages (with prompt caching of the stable system prefix), streaming and
 * Message Batches. No transcription, embeddings or moderation: Anthropic offers none.
 */
export class AnthropicModelProvider implements ModelProvider {
  readonly code = 'anthropic' as const;
  private readonly client: Anthropic | null;

  constructor({ apiKey, baseUrl }: ProviderCredentials) {
    // Without a key the SDK would fall back to ANTHROPIC_* variables and credential files: never for a tenant's call.
    this.client = apiKey ? new Anthropic({ apiKey, baseURL: baseUrl ?? undefined, maxRetries: 0 }) : null;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const client = this.requireClient();
    try {
      const message = await client.messages.create(messageParams(request), requestOptions(request));
      return completionResult(message, message._request_id ?? undefined);
    } catch (error) {
      throw providerErrorFromAnthropic(error);
    }
  }

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const client = this.requireClient();
    const accumulator = new StreamAccumulator();
    try {
      const { data: events, request_id } = await client.messages
        .create({ ...messageParams(request), stream: true }, requestOptions(request))
        .withResponse();
      for await (const event of events) {
        const text = accumulator.apply(event);
        if (text) yield { type: 'delta', text };
      }
      // The SDK ends an aborted stream quietly, which would otherwise read as a truncated one.
      if (request.signal?.aborted) throw new ProviderError('timeout', 'anthropic: request aborted');
      yield { type: 'done', result: accumulator.result(request_id ?? undefined) };
    } catch (error) {
      throw providerErrorFromAnthropic(error);
    }
  }

  async submitBatch(model: string, items: BatchRequestItem[]): Promise<{ externalId: string }> {
    const client = this.requireClient();
    try {
      const batch = await client.messages.batches.create(
        { requests: items.map((item) => ({ custom_id: item.customId, params: { ...messageParams(item.request), model } })) },
        { timeout: BATCH_CALL_TIMEOUT_MS },
      );
      return { externalId: batch.id };
    } catch (error) {
      throw providerErrorFromAnthropic(error);
    }
  }

  async pollBatch(externalId: string): Promise<BatchPoll> {
    const client = this.requireClient();
    try {
      const batch = await client.messages.batches.retrieve(externalId, {}, { timeout: BATCH_CALL_TIMEOUT_MS });
      if (batch.processing_status !== 'ended') return { status: 'in_progress' };
      const outcomes: BatchItemOutcome[] = [];
      for await (const item of await client.messages.batches.results(externalId, {}, { timeout: BATCH_CALL_TIMEOUT_MS })) {
        outcomes.push(batchItemOutcome(item));
      }
      return { status: endedBatchStatus(batch), outcomes };
    } catch (error) {
      throw providerErrorFromAnthropic(error);
    }
  }

  private requireClient(): Anthropic {
    if (!this.client) throw new ProviderError('auth', 'anthropic: no API key configured');
    return this.client;
  }
}

function requestOptions(request: CompletionRequest): { timeout: number; signal?: AbortSignal } {
  return { timeout: request.timeoutMs, ...(request.signal && { signal: request.signal }) };
}

function messageParams(request: CompletionRequest): MessageCreateParamsNonStreaming {
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    system: systemBlocks(request.system),
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.json && {
      tools: [{ name: request.json.name, input_schema: { type: 'object' as const, ...request.json.schema } }],
      tool_choice: { type: 'tool' as const, name: request.json.name },
    }),
  };
}

/** The stable prefix is marked cacheable; the API refuses empty text blocks, so empty parts are left out. */
export function systemBlocks(system: CompletionRequest['system']): TextBlockParam[] {
  const blocks: TextBlockParam[] = [];
  if (system.stable) blocks.push({ type: 'text', text: system.stable, cache_control: { type: 'ephemeral' } });
  if (system.variable) blocks.push({ type: 'text', text: system.variable });
  return blocks;
}

function completionResult(message: Message, providerRequestId: string | undefined): CompletionResult {
  return {
    text: messageText(message),
    usage: usageOf(message.usage),
    model: message.model,
    finishReason: finishReasonOf(message.stop_reason),
    ...(providerRequestId && { providerRequestId }),
  };
}

/** A tool is only ever sent for structured output, so a tool call's input is the JSON answer. */
function messageText(message: Message): string {
  const toolUse = message.content.find((block) => block.type === 'tool_use');
  if (toolUse) return JSON.stringify(toolUse.input);
  return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

function usageOf(usage: Pick<AnthropicUsage, 'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens'>): Usage {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cachedInputTokens: usage.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
  };
}

export function finishReasonOf(stopReason: StopReason | null): CompletionResult['finishReason'] {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'tool_use':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

type StreamedEvent = Anthropic.Messages.RawMessageStreamEvent;

/** Rebuilds the final result from the SSE events; returns the text each event adds. */
class StreamAccumulator {
  private model = '';
  private text = '';
  private toolInput = '';
  private sawToolUse = false;
  private stopReason: StopReason | null = null;
  private stopped = false;
  private usage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };

  apply(event: StreamedEvent): string | undefined {
    switch (event.type) {
      case 'message_start':
        this.model = event.message.model;
        this.usage = usageOf(event.message.usage);
        return undefined;
      case 'content_block_start':
        if (event.content_block.type === 'tool_use') this.sawToolUse = true;
        return undefined;
      case 'content_block_delta':
        return this.applyDelta(event.delta);
      case 'message_delta':
        this.stopReason = event.delta.stop_reason;
        this.usage = mergeDeltaUsage(this.usage, event.usage);
        return undefined;
      case 'message_stop':
        this.stopped = true;
        return undefined;
      default:
        return undefined;
    }
  }

  result(providerRequestId: string | undefined): CompletionResult {
    // The SDK silently skips what is not an SSE event, so a garbled body reads as an empty stream.
    if (!this.stopped) throw new ProviderError('malformed', 'anthropic: the stream ended before message_stop');
    return {
      text: this.sawToolUse ? this.toolInput || '{}' : this.text,
      usage: this.usage,
      model: this.model,
      finishReason: finishReasonOf(this.stopReason),
      ...(providerRequestId && { providerRequestId }),
    };
  }

  private applyDelta(delta: Extract<StreamedEvent, { type: 'content_block_delta' }>['delta']): string | undefined {
    if (delta.type === 'text_delta') {
      this.text += delta.text;
      return delta.text;
    }
    if (delta.type === 'input_json_delta') {
      this.toolInput += delta.partial_json;
      return delta.partial_json;
    }
    return undefined;
  }
}

/** message_delta counts are cumulative; only output is always there, input and cache counts may be null. */
function mergeDeltaUsage(current: Usage, delta: MessageDeltaUsage): Usage {
  return {
    inputTokens: delta.input_tokens ?? current.inputTokens,
    outputTokens: delta.output_tokens,
    cachedInputTokens: delta.cache_read_input_tokens ?? current.cachedInputTokens,
    cacheWriteTokens: delta.cache_creation_input_tokens ?? current.cacheWriteTokens,
  };
}

function batchItemOutcome({ custom_id: customId, result }: MessageBatchIndividualResponse): BatchItemOutcome {
  switch (result.type) {
    case 'succeeded':
      return { customId, result: completionResult(result.message, undefined) };
    case 'errored':
      return { customId, error: { code: kindOfErrorType(result.error.error.type), message: result.error.error.message } };
    case 'canceled':
      return { customId, error: { code: 'cancelled', message: 'the batch was cancelled before this request ran' } };
    case 'expired':
      return { customId, error: { code: 'expired', message: 'the batch expired before this request ran' } };
  }
}

function endedBatchStatus(batch: MessageBatch): BatchPoll['status'] {
  if (batch.cancel_initiated_at) return 'cancelled';
  const { succeeded, errored, canceled, expired } = batch.request_counts;
  if (expired > 0 && succeeded + errored + canceled === 0) return 'expired';
  return 'completed';
}

/** Normalises whatever the Anthropic SDK threw into the gateway's vocabulary. */
export function providerErrorFromAnthropic(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  // Order matters: the timeout and abort errors are subclasses of APIConnectionError, itself an APIError.
  if (error instanceof APIConnectionTimeoutError) return new ProviderError('timeout', 'anthropic: request timed out');
  if (error instanceof APIUserAbortError) return new ProviderError('timeout', 'anthropic: request aborted');
  if (error instanceof APIConnectionError) return new ProviderError('network', `anthropic: ${error.message}`);
  if (error instanceof APIError) return fromApiError(error);
  // The SDK parses bodies (JSON and SSE events alike) with JSON.parse and lets its SyntaxError through.
  if (error instanceof SyntaxError) return new ProviderError('malformed', `anthropic: unparseable response (${error.message})`);
  return new ProviderError('network', `anthropic: ${error instanceof Error ? error.message : String(error)}`);
}

function fromApiError(error: APIError): ProviderError {
  const message = `anthropic: ${error.message}`;
  const requestId = error.requestID ?? undefined;
  // An `event: error` in the middle of a stream has no status, only the error type of its body.
  if (error.status === undefined) {
    return new ProviderError(error.type ? kindOfErrorType(error.type) : 'server', message, { ...(requestId && { providerRequestId: requestId }) });
  }
  const kind = kindOfStatus(error.status);
  const retryAfterMs = kind === 'rate_limited' || kind === 'overloaded' ? retryAfterMsOf(error.headers) : undefined;
  return new ProviderError(kind, message, {
    status: error.status,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(requestId && { providerRequestId: requestId }),
  });
}

/** Anthropic's error `type`, found in stream error events and errored batch items. */
export function kindOfErrorType(type: ErrorType | string): ProviderErrorKind {
  switch (type) {
    case 'rate_limit_error':
      return 'rate_limited';
    case 'overloaded_error':
      return 'overloaded';
    case 'timeout_error':
      return 'timeout';
    case 'api_error':
      return 'server';
    case 'authentication_error':
    case 'permission_error':
    case 'billing_error':
      return 'auth';
    default:
      return 'bad_request';
  }
}
