import { Mistral } from '@mistralai/mistralai';
import type {
  BatchJob,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionChunk,
  ContentChunk,
  UsageInfo,
} from '@mistralai/mistralai/models/components';
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
 * Mistral on the official SDK: chat (streaming, structured output), Voxtral transcription, embeddings,
 * moderation and batch jobs. The SDK never retries: the gateway owns fallback and retries.
 */
export class MistralModelProvider implements ModelProvider {
  readonly code = 'mistral' as const;
  private readonly client: Mistral | null;

  constructor({ apiKey, baseUrl }: ProviderCredentials) {
    // Without a key the SDK would fall back to MISTRAL_API_KEY: never for a tenant's call.
    this.client = apiKey ? new Mistral({ apiKey, serverURL: baseUrl ?? undefined, retryConfig: { strategy: 'none' } }) : null;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const client = this.requireClient();
    try {
      const response = await client.chat.complete(chatParams(request), requestOptions(request.timeoutMs, request.signal));
      return completionResult(response);
    } catch (error) {
      throw toProviderError('mistral', error);
    }
  }

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const client = this.requireClient();
    const accumulator = new StreamAccumulator();
    try {
      const events = await client.chat.stream(chatParams(request), requestOptions(request.timeoutMs, request.signal));
      for await (const event of events) {
        const text = accumulator.apply(event.data);
        if (text) yield { type: 'delta', text };
      }
      yield { type: 'done', result: accumulator.result() };
    } catch (error) {
      throw toProviderError('mistral', error);
    }
  }

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const client = this.requireClient();
    try {
      const response = await client.audio.transcriptions.complete(
        {
          model: request.model,
          file: new File([new Uint8Array(request.audio)], request.filename, { type: request.mimeType }),
          ...(request.language && { language: request.language }),
          // Segments carry the timestamps the duration is read from.
          timestampGranularities: ['segment'],
        },
        requestOptions(request.timeoutMs),
      );
      const lastSegmentEnd = Math.max(0, ...(response.segments ?? []).map((segment) => segment.end ?? 0));
      return { text: response.text, durationSeconds: lastSegmentEnd || (response.usage.promptAudioSeconds ?? 0) };
    } catch (error) {
      throw toProviderError('mistral', error);
    }
  }

  async embed(request: { model: string; inputs: string[]; timeoutMs: number }): Promise<EmbeddingResult> {
    const client = this.requireClient();
    try {
      const response = await client.embeddings.create({ model: request.model, inputs: request.inputs }, requestOptions(request.timeoutMs));
      const vectors = [...response.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((item) => item.embedding ?? []);
      return { vectors, usage: { inputTokens: response.usage.promptTokens ?? 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 } };
    } catch (error) {
      throw toProviderError('mistral', error);
    }
  }

  async moderate(request: { model: string; input: string; timeoutMs: number }): Promise<ModerationResult> {
    const client = this.requireClient();
    try {
      const response = await client.classifiers.moderate({ model: request.model, inputs: [request.input] }, requestOptions(request.timeoutMs));
      const [first] = response.results;
      if (!first) throw new ProviderError('malformed', 'mistral: moderation answered without a result');
      // Mistral returns the categories only; flagged means any of them is.
      const categories = first.categories ?? {};
      return { flagged: Object.values(categories).some(Boolean), categories };
    } catch (error) {
      throw toProviderError('mistral', error);
    }
  }

  async submitBatch(model: string, items: BatchRequestItem[]): Promise<{ externalId: string }> {
    const client = this.requireClient();
    const options = requestOptions(BATCH_CALL_TIMEOUT_MS);
    try {
      const jsonl = items.map((item) => JSON.stringify(batchLine(item))).join('\n');
      const file = await client.files.upload({ file: new File([jsonl], 'batch.jsonl', { type: 'application/jsonl' }), purpose: 'batch' }, options);
      const job = await client.batch.jobs.create({ inputFiles: [file.id], endpoint: CHAT_COMPLETIONS, model }, options);
      return { externalId: job.id };
    } catch (error) {
      throw toProviderError('mistral', error);
    }
  }

  async pollBatch(externalId: string): Promise<BatchPoll> {
    const client = this.requireClient();
    const options = requestOptions(BATCH_CALL_TIMEOUT_MS);
    try {
      const job = await client.batch.jobs.get({ jobId: externalId }, options);
      const status = batchStatusOf(job.status);
      if (status === 'submitted' || status === 'in_progress') return { status };
      const outcomes: BatchItemOutcome[] = [];
      for (const fileId of [job.outputFile, job.errorFile]) {
        if (!fileId) continue;
        const content = await new Response(await client.files.download({ fileId }, options)).text();
        outcomes.push(...jsonLines(content).map(batchItemOutcome));
      }
      return { status, outcomes };
    } catch (error) {
      throw toProviderError('mistral', error);
    }
  }

  private requireClient(): Mistral {
    if (!this.client) throw new ProviderError('auth', 'mistral: no API key configured');
    return this.client;
  }
}

/**
 * The SDK drops its `timeoutMs` as soon as a signal is given (it only sets AbortSignal.timeout when there is
 * none), so a caller's signal is combined with the deadline here. Unlike OpenAI's, the deadline also covers
 * reading the body, streams included.
 */
function requestOptions(timeoutMs: number, signal?: AbortSignal): { timeoutMs: number; signal?: AbortSignal } {
  return { timeoutMs, ...(signal && { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) }) };
}

function chatParams(request: CompletionRequest): ChatCompletionRequest {
  const system = systemPrompt(request.system);
  return {
    model: request.model,
    messages: [
      ...(system ? [{ role: 'system' as const, content: system }] : []),
      ...request.messages.map((message) => ({ role: message.role, content: message.content })),
    ],
    maxTokens: request.maxTokens,
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.system.stable && { promptCacheKey: promptCacheKey(request.system.stable) }),
    ...(request.json && {
      responseFormat: { type: 'json_schema' as const, jsonSchema: { name: request.json.name, schemaDefinition: request.json.schema, strict: false } },
    }),
  };
}

function completionResult(response: ChatCompletionResponse): CompletionResult {
  const choice = response.choices[0];
  if (!choice) throw new ProviderError('malformed', 'mistral: completion without a choice');
  return {
    text: textOf(choice.message?.content),
    usage: usageOf(response.usage),
    model: response.model,
    finishReason: finishReasonOf(choice.finishReason),
    providerRequestId: response.id,
  };
}

/** Content is a string, or chunks (reasoning models add `thinking` chunks, which are not the answer). */
function textOf(content: string | ContentChunk[] | null | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((chunk) => (chunk.type === 'text' && 'text' in chunk ? chunk.text : '')).join('');
}

/**
 * Cache reads are reported, OpenAI-style, in `prompt_tokens_details.cached_tokens`, which the SDK does not
 * model (it keeps unknown keys as sent).
 */
function usageOf(usage: UsageInfo | undefined): Usage {
  const details = usage?.['prompt_tokens_details'] as { cached_tokens?: number } | undefined;
  return tokenUsage(usage?.promptTokens, usage?.completionTokens, details?.cached_tokens);
}

/** The port counts cache reads apart from the full-price input; Mistral includes them in prompt_tokens. */
function tokenUsage(promptTokens = 0, completionTokens = 0, cachedTokens = 0): Usage {
  return {
    inputTokens: Math.max(0, promptTokens - cachedTokens),
    outputTokens: completionTokens,
    cachedInputTokens: cachedTokens,
    cacheWriteTokens: 0,
  };
}

function finishReasonOf(reason: string | null | undefined): CompletionResult['finishReason'] {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
    case 'model_length':
      return 'length';
    default:
      return 'other';
  }
}

/** Rebuilds the final result from the chunks; returns the text each chunk adds. */
class StreamAccumulator {
  private id = '';
  private model = '';
  private text = '';
  private finishReason: string | null = null;
  private usage: UsageInfo | undefined;

  apply(chunk: CompletionChunk): string | undefined {
    this.id = chunk.id;
    this.model = chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) return undefined;
    if (choice.finishReason) this.finishReason = choice.finishReason;
    const text = textOf(choice.delta.content);
    this.text += text;
    return text || undefined;
  }

  result(): CompletionResult {
    if (!this.finishReason) throw new ProviderError('malformed', 'mistral: the stream ended before the answer was finished');
    return {
      text: this.text,
      usage: usageOf(this.usage),
      model: this.model,
      finishReason: finishReasonOf(this.finishReason),
      ...(this.id && { providerRequestId: this.id }),
    };
  }
}

/** Mistral takes the model once, on the job; each line is the body of a chat request without it. */
function batchLine(item: BatchRequestItem) {
  const { model: _model, ...body } = toWireBody(chatParams(item.request));
  return { custom_id: item.customId, body };
}

/** The batch file holds raw API bodies (snake_case), not the SDK's camelCase objects. */
function toWireBody(params: ChatCompletionRequest): Record<string, unknown> {
  const { maxTokens, responseFormat, promptCacheKey: cacheKey, ...rest } = params;
  return {
    ...rest,
    max_tokens: maxTokens,
    ...(cacheKey && { prompt_cache_key: cacheKey }),
    ...(responseFormat?.jsonSchema && {
      response_format: {
        type: responseFormat.type,
        json_schema: { name: responseFormat.jsonSchema.name, schema: responseFormat.jsonSchema.schemaDefinition, strict: responseFormat.jsonSchema.strict },
      },
    }),
  };
}

export function batchStatusOf(status: BatchJob['status']): BatchPoll['status'] {
  switch (status) {
    case 'QUEUED':
      return 'submitted';
    case 'SUCCESS':
      return 'completed';
    case 'FAILED':
      return 'failed';
    case 'TIMEOUT_EXCEEDED':
      return 'expired';
    case 'CANCELLED':
      return 'cancelled';
    default:
      // RUNNING, CANCELLATION_REQUESTED and any status a newer API adds: not ended yet.
      return 'in_progress';
  }
}

interface BatchOutputLine {
  custom_id: string;
  response?: { status_code: number; body: unknown } | null;
  error?: { message?: string | null; code?: string | number | null } | string | null;
}

function jsonLines(content: string): BatchOutputLine[] {
  return content
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as BatchOutputLine);
}

/** Output lines carry the raw completion (snake_case); error-file lines an `error` or an error status. */
function batchItemOutcome(line: BatchOutputLine): BatchItemOutcome {
  const customId = line.custom_id;
  if (line.error) {
    const message = typeof line.error === 'string' ? line.error : (line.error.message ?? 'failed in batch');
    return { customId, error: { code: 'bad_request', message } };
  }
  const response = line.response;
  if (!response) return { customId, error: { code: 'malformed', message: 'batch line without a response' } };
  const body = response.body as RawCompletion;
  if (response.status_code >= 400 || !body?.choices?.[0]) {
    const message = (body as { message?: string } | undefined)?.message ?? `status ${response.status_code}`;
    return { customId, error: { code: response.status_code >= 400 ? kindOfStatus(response.status_code) : 'malformed', message } };
  }
  return { customId, result: rawCompletionResult(body) };
}

interface RawCompletion {
  id: string;
  model: string;
  choices: { message?: { content?: string | ContentChunk[] | null }; finish_reason?: string }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } };
}

function rawCompletionResult(body: RawCompletion): CompletionResult {
  const usage = body.usage;
  return {
    text: textOf(body.choices[0]?.message?.content),
    usage: tokenUsage(usage?.prompt_tokens, usage?.completion_tokens, usage?.prompt_tokens_details?.cached_tokens),
    model: body.model,
    finishReason: finishReasonOf(body.choices[0]?.finish_reason),
    providerRequestId: body.id,
  };
}
