import crypto from 'node:crypto';
import { chunks, composeText, countTokens, valueForSchema } from './content.js';
import type { AiEmulator, EmulatedProvider, RecordedRequest } from './server.js';

/**
 * What the OpenAI and Mistral emulators share: both APIs speak the Chat Completions wire format (same
 * request body, same response and chunk shapes), and both cache long prompt prefixes automatically.
 */

export interface ChatWireRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string; json_schema?: { name: string; schema?: Record<string, unknown> } };
}

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export interface ChatAnswer {
  id: string;
  model: string;
  content: string;
  finishReason: 'stop' | 'length';
  usage: WireUsage;
}

/** Structured output that no schema accepts, for the gateway's repair attempt. */
export const INVALID_JSON_CONTENT = 'Voici la réponse demandée : {"title": ';

/** The deterministic answer to a chat request, with its usage. */
export function answerChat(emulator: AiEmulator, provider: EmulatedProvider, body: ChatWireRequest, options: { invalidJson?: boolean } = {}): ChatAnswer {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? 256;
  const { content, finishReason } = chatContent(body, maxTokens, options.invalidJson === true);
  const promptTokens = countTokens(body.messages.map((message) => textOf(message.content)).join('\n'));
  const completionTokens = countTokens(content);
  return {
    id: `${provider === 'openai' ? 'chatcmpl' : 'cmpl'}-${crypto.randomUUID()}`,
    model: body.model,
    content,
    finishReason,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: cachedPrefixTokens(emulator, provider, body) },
    },
  };
}

function chatContent(body: ChatWireRequest, maxTokens: number, invalidJson: boolean): Pick<ChatAnswer, 'content' | 'finishReason'> {
  const format = body.response_format;
  if (format?.type === 'json_schema' || format?.type === 'json_object') {
    if (invalidJson) return { content: INVALID_JSON_CONTENT, finishReason: 'stop' };
    const value = format.json_schema?.schema ? valueForSchema(format.json_schema.schema) : { text: composeText(lastUserMessage(body)) };
    return { content: JSON.stringify(value), finishReason: 'stop' };
  }
  const full = composeText(lastUserMessage(body), Number.MAX_SAFE_INTEGER);
  const content = composeText(lastUserMessage(body), maxTokens);
  return { content, finishReason: content.length < full.length ? 'length' : 'stop' };
}

export function lastUserMessage(body: Pick<ChatWireRequest, 'messages'>): string {
  const user = [...body.messages].reverse().find((message) => message.role === 'user');
  return user ? textOf(user.content) : '';
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
  return '';
}

const CACHE_MINIMUM_TOKENS = 1024;
const CACHE_BLOCK_TOKENS = 128;

/**
 * Like the real APIs: a system prompt of at least 1024 tokens seen before is read from the cache, in
 * blocks of 128 tokens.
 */
function cachedPrefixTokens(emulator: AiEmulator, provider: EmulatedProvider, body: ChatWireRequest): number {
  const system = body.messages.find((message) => message.role === 'system');
  const tokens = system ? countTokens(textOf(system.content)) : 0;
  if (tokens < CACHE_MINIMUM_TOKENS) return 0;
  const seen = stateMap<true>(emulator, `${provider}:prompt-cache`);
  const key = crypto.createHash('sha256').update(`${body.model}\n${textOf(system!.content)}`).digest('hex');
  const hit = seen.has(key);
  seen.set(key, true);
  return hit ? Math.floor(tokens / CACHE_BLOCK_TOKENS) * CACHE_BLOCK_TOKENS : 0;
}

/** The non-streaming Chat Completions body (the Mistral SDK ignores the OpenAI-only keys). */
export function completionJson(answer: ChatAnswer): Record<string, unknown> {
  return {
    id: answer.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: answer.model,
    choices: [{ index: 0, message: { role: 'assistant', content: answer.content, refusal: null }, logprobs: null, finish_reason: answer.finishReason }],
    usage: answer.usage,
  };
}

/**
 * The SSE chunks of a streamed answer, ending with `[DONE]`. OpenAI sends the usage in an extra chunk
 * without choices (only when asked with include_usage); Mistral sends it on the last chunk.
 */
export async function* completionChunks(answer: ChatAnswer, usage: 'separate-chunk' | 'last-chunk' | 'none'): AsyncIterable<{ data: string }> {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    data: JSON.stringify({ id: answer.id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: answer.model, choices, ...extra }),
  });
  yield chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  for (const piece of chunks(answer.content)) {
    yield chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
  }
  yield chunk([{ index: 0, delta: {}, finish_reason: answer.finishReason }], usage === 'last-chunk' ? { usage: answer.usage } : {});
  if (usage === 'separate-chunk') yield chunk([], { usage: answer.usage });
  yield { data: '[DONE]' };
}

/** A small deterministic unit vector for a text: equal texts, equal vectors. */
export function embeddingFor(text: string, dimensions = 8): number[] {
  const digest = crypto.createHash('sha256').update(text).digest();
  const raw = Array.from({ length: dimensions }, (_, i) => (digest[i] - 127.5) / 127.5);
  const norm = Math.hypot(...raw) || 1;
  return raw.map((x) => x / norm);
}

/** The word that makes the moderation endpoints flag an input. */
export const MODERATION_TRIGGER = 'VIOLENCE_TEST';

/** The marker that sends a batch item to the error file. */
export const BATCH_FAILURE_TRIGGER = 'FAIL_IN_BATCH';

export function inputsOf(input: unknown): string[] {
  if (Array.isArray(input)) return input.map(String);
  return input === undefined ? [] : [String(input)];
}

/** A per-provider map kept in the emulator's shared state (files, batches, prompt cache). */
export function stateMap<T>(emulator: AiEmulator, key: string): Map<string, T> {
  let map = emulator.state.get(key) as Map<string, T> | undefined;
  if (!map) {
    map = new Map<string, T>();
    emulator.state.set(key, map);
  }
  return map;
}

/** The fields of a multipart/form-data body (uploads), parsed by fetch's own parser. */
export function formDataOf(request: RecordedRequest): Promise<FormData> {
  const contentType = String(request.headers['content-type'] ?? '');
  return new Response(new Uint8Array(request.raw), { headers: { 'content-type': contentType } }).formData();
}

export function jsonLines(content: string): unknown[] {
  return content
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as unknown);
}

export function newId(prefix: string): string {
  return `${prefix}${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`;
}
