import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import {
  ProviderError,
  type BatchItemOutcome,
  type BatchPoll,
  type BatchRequestItem,
  type CompletionRequest,
  type CompletionResult,
  type EmbeddingResult,
  type ModelProvider,
  type ModerationResult,
  type ProviderCredentials,
  type StreamEvent,
  type TranscriptionRequest,
  type TranscriptionResult,
  type Usage,
} from '../../modules/ai/ports.js';
import { promptCacheKey, systemPrompt } from './chat-prompt.js';
import { kindOfStatus, toProviderError } from './http-provider-errors.js';

/** Batch endpoints carry no per-call deadline in the port; this bounds the upload, submit and poll calls themselves. */
const BATCH_CALL_TIMEOUT_MS = 60_000;
const CHAT_COMPLETIONS = '/v1/chat/completions';

/**
 * OpenAI on the official SDK: Chat Completions (streaming, structured output), audio transcription,
 * embeddings, moderation and the Batch API. The SDK never retries: the gateway owns fallback and retries.
 */
export class OpenAiModelProvider implements ModelProvider {
  readonly code = 'openai' as const;
  private readonly client: OpenAI | null;

  constructor({ apiKey, baseUrl }: ProviderCredentials) {
    // Without a key the SDK would fall back to OPENAI_API_KEY: never for a tenant's call.
    this.client = apiKey ? new OpenAI({ apiKey, baseURL: baseUrl ?? undefined, maxRetries: 0 }) : null;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const client = this.requireClient();
    try {
      const completion = await client.chat.completions.create(chatParams(request), requestOptions(request));
      return completionResult(completion, completion._request_id ?? undefined);
    } catch (error) {
      throw toProviderError('openai', error);
    }
  }

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const client = this.requireClient();
    const accumulator = new StreamAccumulator();
    try {
      const { data: chunks, request_id } = await client.chat.completions
        .create({ ...chatParams(request), stream: true, stream_options: { include_usage: true } }, requestOptions(request))
        .withResponse();
      for await (const chunk of chunks) {
        const text = accumulator.apply(chunk);
        if (text) yield { type: 'delta', text };
      }
      yield { type: 'done', result: accumulator.result(request_id ?? undefined) };
    } catch (error) {
      throw toProviderError('openai', error);
    }
  }

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const client = this.requireClient();
    try {
      const file = await toFile(request.audio, request.filename, { type: request.mimeType });
      const options = { timeout: request.timeoutMs };
      const language = request.language ? { language: request.language } : {};
      // Only whisper gives the duration (verbose_json); the gpt-4o transcribers accept json alone.
      if (!supportsVerboseJson(request.model)) {
        const { data, request_id } = await client.audio.transcriptions
          .create({ file, model: request.model, ...language, response_format: 'json' }, options)
          .withResponse();
        const seconds = data.usage?.type === 'duration' ? data.usage.seconds : 0;
        return { text: data.text, durationSeconds: seconds, ...(request_id && { providerRequestId: request_id }) };
      }
      const { data, request_id } = await client.audio.transcriptions
        .create({ file, model: request.model, ...language, response_format: 'verbose_json' }, options)
        .withResponse();
      return { text: data.text, durationSeconds: data.duration, ...(request_id && { providerRequestId: request_id }) };
    } catch (error) {
      throw toProviderError('openai', error);
    }
  }

  async embed(request: { model: string; inputs: string[]; timeoutMs: number }): Promise<EmbeddingResult> {
    const client = this.requireClient();
    try {
      const response = await client.embeddings.create({ model: request.model, input: request.inputs }, { timeout: request.timeoutMs });
      const vectors = [...response.data].sort((a, b) => a.index - b.index).map((item) => Array.from(item.embedding));
      return { vectors, usage: { inputTokens: response.usage.prompt_tokens, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 } };
    } catch (error) {
      throw toProviderError('openai', error);
    }
  }

  async moderate(request: { model: string; input: string; timeoutMs: number }): Promise<ModerationResult> {
    const client = this.requireClient();
    try {
      const response = await client.moderations.create({ model: request.model, input: request.input }, { timeout: request.timeoutMs });
      const [first] = response.results;
      if (!first) throw new ProviderError('malformed', 'openai: moderation answered without a result');
      const categories = Object.fromEntries(Object.entries(first.categories).map(([name, flagged]) => [name, flagged === true]));
      return { flagged: first.flagged, categories };
    } catch (error) {
      throw toProviderError('openai', error);
    }
  }

  async submitBatch(model: string, items: BatchRequestItem[]): Promise<{ externalId: string }> {
    const client = this.requireClient();
    const options = { timeout: BATCH_CALL_TIMEOUT_MS };
    try {
      const jsonl = items.map((item) => JSON.stringify(batchLine(model, item))).join('\n');
      const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'batch.jsonl', { type: 'application/jsonl' }), purpose: 'batch' }, options);
      const batch = await client.batches.create({ input_file_id: file.id, endpoint: CHAT_COMPLETIONS, completion_window: '24h' }, options);
      return { externalId: batch.id };
    } catch (error) {
      throw toProviderError('openai', error);
    }
  }

  async pollBatch(externalId: string): Promise<BatchPoll> {
    const client = this.requireClient();
    const options = { timeout: BATCH_CALL_TIMEOUT_MS };
    try {
      const batch = await client.batches.retrieve(externalId, options);
      const status = batchStatusOf(batch.status);
      if (status === 'submitted' || status === 'in_progress') return { status };
      const outcomes: BatchItemOutcome[] = [];
      for (const fileId of [batch.output_file_id, batch.error_file_id]) {
        if (!fileId) continue;
        const content = await (await client.files.content(fileId, options)).text();
        outcomes.push(...jsonLines(content).map(batchItemOutcome));
      }
      return { status, outcomes };
    } catch (error) {
      throw toProviderError('openai', error);
    }
  }

  private requireClient(): OpenAI {
    if (!this.client) throw new ProviderError('auth', 'openai: no API key configured');
    return this.client;
  }
}

function requestOptions(request: CompletionRequest): { timeout: number; signal?: AbortSignal } {
  return { timeout: request.timeoutMs, ...(request.signal && { signal: request.signal }) };
}

function chatParams(request: CompletionRequest): ChatCompletionCreateParamsNonStreaming {
  const system = systemPrompt(request.system);
  const messages: ChatCompletionMessageParam[] = [
    ...(system ? [{ role: 'system' as const, content: system }] : []),
    ...request.messages.map((message) => ({ role: message.role, content: message.content })),
  ];
  return {
    model: request.model,
    messages,
    max_completion_tokens: request.maxTokens,
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.system.stable && { prompt_cache_key: promptCacheKey(request.system.stable) }),
    ...(request.json && {
      response_format: { type: 'json_schema' as const, json_schema: { name: schemaName(request.json.name), schema: request.json.schema, strict: false } },
    }),
  };
}

/** The API only accepts [a-zA-Z0-9_-]{1,64} as a schema name. */
function schemaName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'output';
}

function supportsVerboseJson(model: string): boolean {
  return model.startsWith('whisper');
}

function completionResult(completion: ChatCompletion, providerRequestId: string | undefined): CompletionResult {
  const choice = completion.choices?.[0];
  if (!choice) throw new ProviderError('malformed', 'openai: completion without a choice');
  return {
    text: choice.message.content ?? '',
    usage: usageOf(completion.usage),
    model: completion.model,
    finishReason: choice.message.refusal ? 'content_filter' : finishReasonOf(choice.finish_reason),
    ...(providerRequestId && { providerRequestId }),
  };
}

/** The port counts cache reads apart from the full-price input; OpenAI includes them in prompt_tokens. */
function usageOf(usage: CompletionUsage | undefined): Usage {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    inputTokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
    outputTokens: usage?.completion_tokens ?? 0,
    cachedInputTokens: cached,
    cacheWriteTokens: 0,
  };
}

function finishReasonOf(reason: string | null | undefined): CompletionResult['finishReason'] {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

/** Rebuilds the final result from the chunks; returns the text each chunk adds. */
class StreamAccumulator {
  private model = '';
  private text = '';
  private finishReason: string | null = null;
  private refused = false;
  private usage: CompletionUsage | undefined;

  apply(chunk: ChatCompletionChunk): string | undefined {
    if (chunk.model) this.model = chunk.model;
    // With include_usage the last chunk carries the usage and no choice.
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return undefined;
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    if (choice.delta.refusal) this.refused = true;
    const text = choice.delta.content;
    if (!text) return undefined;
    this.text += text;
    return text;
  }

  result(providerRequestId: string | undefined): CompletionResult {
    // A body that is not an event stream parses as no event at all: the SDK just ends the iteration.
    if (!this.finishReason) throw new ProviderError('malformed', 'openai: the stream ended before the answer was finished');
    return {
      text: this.text,
      usage: usageOf(this.usage),
      model: this.model,
      finishReason: this.refused ? 'content_filter' : finishReasonOf(this.finishReason),
      ...(providerRequestId && { providerRequestId }),
    };
  }
}

function batchLine(model: string, item: BatchRequestItem) {
  return { custom_id: item.customId, method: 'POST', url: CHAT_COMPLETIONS, body: { ...chatParams(item.request), model } };
}

export function batchStatusOf(status: Batch['status']): BatchPoll['status'] {
  switch (status) {
    case 'validating':
      return 'submitted';
    case 'in_progress':
    case 'finalizing':
    case 'cancelling':
      return 'in_progress';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'expired':
      return 'expired';
    case 'cancelled':
      return 'cancelled';
  }
}

interface BatchOutputLine {
  custom_id: string;
  response?: { status_code: number; request_id?: string; body: unknown } | null;
  error?: { code?: string | null; message?: string | null } | null;
}

function jsonLines(content: string): BatchOutputLine[] {
  return content
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as BatchOutputLine);
}

/** Output lines carry the completion; error-file lines an `error`, or a response with an error status. */
function batchItemOutcome(line: BatchOutputLine): BatchItemOutcome {
  const customId = line.custom_id;
  if (line.error) return { customId, error: { code: batchErrorCode(line.error.code), message: line.error.message ?? 'failed in batch' } };
  const response = line.response;
  if (!response) return { customId, error: { code: 'malformed', message: 'batch line without a response' } };
  if (response.status_code >= 400) {
    const body = response.body as { error?: { message?: string } } | undefined;
    return { customId, error: { code: kindOfStatus(response.status_code), message: body?.error?.message ?? `status ${response.status_code}` } };
  }
  const completion = response.body as ChatCompletion | undefined;
  if (!completion?.choices?.[0]) return { customId, error: { code: 'malformed', message: 'batch response without a choice' } };
  return { customId, result: completionResult(completion, response.request_id) };
}

function batchErrorCode(code: string | null | undefined): string {
  if (code?.includes('expired')) return 'expired';
  if (code?.includes('cancel')) return 'cancelled';
  return 'bad_request';
}
