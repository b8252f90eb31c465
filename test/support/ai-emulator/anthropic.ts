import { randomUUID } from 'node:crypto';
import { chunks, composeText, countTokens, valueForSchema } from './content.js';
import type { AiEmulator, Fault, ProviderModule, RouteContext, RouteResult } from './server.js';

/**
 * The Anthropic Messages API as the SDK uses it: POST /v1/messages (JSON or SSE), prompt-cache accounting per
 * cacheable prefix, Message Batches (create, retrieve, JSONL results) and `{ type: 'error', error }` bodies.
 */

interface TextBlock {
  type: 'text';
  text: string;
  cache_control?: { type: 'ephemeral' } | null;
}

interface Tool {
  name: string;
  input_schema: Record<string, unknown>;
  cache_control?: unknown;
}

interface MessagesBody {
  model: string;
  max_tokens: number;
  system?: string | TextBlock[];
  messages: { role: string; content: string | { type: string; text?: string }[] }[];
  tools?: Tool[];
  tool_choice?: { type: 'auto' | 'any' | 'tool' | 'none'; name?: string };
  stream?: boolean;
}

type ContentBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

interface EmulatedMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: 'end_turn' | 'max_tokens' | 'tool_use';
  stop_sequence: null;
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens: number;
    cache_read_input_tokens: number;
    service_tier: 'standard' | 'batch';
  };
}

interface EmulatedBatch {
  id: string;
  createdAt: string;
  polls: number;
  results: { custom_id: string; result: unknown }[];
}

/** Text the batch emulator answers with an errored item, to exercise single retries of failed items. */
export const FAIL_IN_BATCH = 'FAIL_IN_BATCH';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

function errorBody(status: number, message: string): unknown {
  return { type: 'error', error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message }, request_id: requestId() };
}

function errorResult(status: number, message: string): RouteResult {
  return { json: errorBody(status, message), status };
}

function requestId(): string {
  return `req_emu_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

function shortId(prefix: string): string {
  return `${prefix}_emu_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

// ---- prompt reading -------------------------------------------------------------------------------------

function systemBlocksOf(body: MessagesBody): TextBlock[] {
  if (!body.system) return [];
  return typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : body.system;
}

function contentText(content: MessagesBody['messages'][number]['content']): string {
  return typeof content === 'string' ? content : content.map((block) => block.text ?? '').join('');
}

function lastUserText(body: MessagesBody): string {
  const user = [...body.messages].reverse().find((message) => message.role === 'user');
  return user ? contentText(user.content) : '';
}

function promptText(body: MessagesBody): string {
  return [...systemBlocksOf(body).map((block) => block.text), ...body.messages.map((message) => contentText(message.content))].join('\n');
}

/**
 * The API caches tools, then system, then messages, up to the last block marked `cache_control`; only the
 * tools and system levels are emulated (that is where Cadence puts its stable prefix).
 */
function cacheablePrefix(body: MessagesBody): string | undefined {
  const tools = (body.tools ?? []).map((tool) => JSON.stringify(tool));
  const system = systemBlocksOf(body);
  const lastMarked = lastIndexWhere(system, (block) => Boolean(block.cache_control));
  if (lastMarked >= 0) return [...tools, ...system.slice(0, lastMarked + 1).map((block) => block.text)].join('\n');
  const lastMarkedTool = lastIndexWhere(body.tools ?? [], (tool) => Boolean(tool.cache_control));
  return lastMarkedTool >= 0 ? tools.slice(0, lastMarkedTool + 1).join('\n') : undefined;
}

function lastIndexWhere<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index -= 1) if (predicate(items[index])) return index;
  return -1;
}

function promptTokens(body: MessagesBody): number {
  const tools = (body.tools ?? []).map((tool) => JSON.stringify(tool)).join('\n');
  return countTokens([tools, promptText(body)].join('\n'));
}

function cachedPrefixes(emulator: AiEmulator): Set<string> {
  let prefixes = emulator.state.get('anthropic.cachedPrefixes') as Set<string> | undefined;
  if (!prefixes) emulator.state.set('anthropic.cachedPrefixes', (prefixes = new Set()));
  return prefixes;
}

/** Input usage, with the cacheable prefix written on its first call and read on the following ones. */
function inputUsage(body: MessagesBody, emulator: AiEmulator): Pick<EmulatedMessage['usage'], 'input_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'> {
  const total = promptTokens(body);
  const prefix = cacheablePrefix(body);
  if (prefix === undefined) return { input_tokens: total, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const prefixTokens = Math.min(total, countTokens(prefix));
  const key = `${body.model}\n${prefix}`;
  const alreadyCached = cachedPrefixes(emulator).has(key);
  cachedPrefixes(emulator).add(key);
  return {
    input_tokens: total - prefixTokens,
    cache_creation_input_tokens: alreadyCached ? 0 : prefixTokens,
    cache_read_input_tokens: alreadyCached ? prefixTokens : 0,
  };
}

// ---- answers --------------------------------------------------------------------------------------------

function forcedTool(body: MessagesBody): Tool | undefined {
  const choice = body.tool_choice;
  if (choice?.type === 'tool') return body.tools?.find((tool) => tool.name === choice.name);
  if (choice?.type === 'any') return body.tools?.[0];
  return undefined;
}

function answerContent(body: MessagesBody, fault: Fault | undefined): Pick<EmulatedMessage, 'content' | 'stop_reason'> {
  const tool = forcedTool(body);
  if (tool && fault?.invalidJsonContent) {
    // The model ignored the tool and answered in prose: not JSON at all, so the gateway's repair kicks in.
    return { content: [{ type: 'text', text: 'Voici le contenu demandé, sans JSON.' }], stop_reason: 'end_turn' };
  }
  if (tool) {
    return { content: [{ type: 'tool_use', id: shortId('toolu'), name: tool.name, input: valueForSchema(tool.input_schema) }], stop_reason: 'tool_use' };
  }
  const prompt = lastUserText(body);
  const text = composeText(prompt, body.max_tokens);
  const truncated = text.length < composeText(prompt, Number.MAX_SAFE_INTEGER).length;
  return { content: [{ type: 'text', text }], stop_reason: truncated ? 'max_tokens' : 'end_turn' };
}

function outputTokens(content: ContentBlock[]): number {
  return countTokens(content.map((block) => (block.type === 'text' ? block.text : JSON.stringify(block.input))).join(''));
}

function answer(body: MessagesBody, emulator: AiEmulator, fault: Fault | undefined, serviceTier: 'standard' | 'batch' = 'standard'): EmulatedMessage {
  const { content, stop_reason } = answerContent(body, fault);
  return {
    id: shortId('msg'),
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason,
    stop_sequence: null,
    usage: { ...inputUsage(body, emulator), output_tokens: outputTokens(content), service_tier: serviceTier },
  };
}

function invalidBody(body: unknown): string | undefined {
  const candidate = body as Partial<MessagesBody> | undefined;
  if (!candidate || typeof candidate.model !== 'string') return 'model: Field required';
  if (typeof candidate.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(candidate.messages) || candidate.messages.length === 0) return 'messages: at least one message is required';
  return undefined;
}

// ---- SSE ------------------------------------------------------------------------------------------------

type SseEvent = { event: string; data: string };

function sse(type: string, payload: Record<string, unknown>): SseEvent {
  return { event: type, data: JSON.stringify({ type, ...payload }) };
}

function* blockEvents(block: ContentBlock, index: number): Generator<SseEvent> {
  if (block.type === 'text') {
    yield sse('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const text of chunks(block.text)) yield sse('content_block_delta', { index, delta: { type: 'text_delta', text } });
  } else {
    yield sse('content_block_start', { index, content_block: { ...block, input: {} } });
    const json = JSON.stringify(block.input);
    for (let at = 0; at < json.length; at += 16) {
      yield sse('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(at, at + 16) } });
    }
  }
  yield sse('content_block_stop', { index });
}

/** The real event order: message_start, ping, per block start/deltas/stop, message_delta, message_stop. */
async function* messageEvents(message: EmulatedMessage): AsyncGenerator<SseEvent> {
  yield sse('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } } });
  yield sse('ping', {});
  for (const [index, block] of message.content.entries()) yield* blockEvents(block, index);
  const { service_tier: _tier, ...usage } = message.usage;
  yield sse('message_delta', { delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage });
  yield sse('message_stop', {});
}

// ---- routes ---------------------------------------------------------------------------------------------

function unauthenticated({ request }: RouteContext): RouteResult | undefined {
  return request.headers['x-api-key'] || request.headers.authorization ? undefined : errorResult(401, 'x-api-key header is required');
}

function createMessage(ctx: RouteContext): RouteResult {
  const refused = unauthenticated(ctx);
  if (refused) return refused;
  const problem = invalidBody(ctx.request.body);
  if (problem) return errorResult(400, problem);
  const body = ctx.request.body as MessagesBody;
  const message = answer(body, ctx.emulator, ctx.fault);
  const headers = { 'request-id': requestId() };
  return body.stream ? { sse: messageEvents(message), headers } : { json: message, headers };
}

function batches(emulator: AiEmulator): Map<string, EmulatedBatch> {
  let all = emulator.state.get('anthropic.batches') as Map<string, EmulatedBatch> | undefined;
  if (!all) emulator.state.set('anthropic.batches', (all = new Map()));
  return all;
}

function batchItemResult(params: MessagesBody, emulator: AiEmulator): unknown {
  if (promptText(params).includes(FAIL_IN_BATCH)) {
    return { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'emulated failure of this batch item' }, request_id: requestId() } };
  }
  const problem = invalidBody(params);
  if (problem) return { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: problem }, request_id: requestId() } };
  return { type: 'succeeded', message: answer(params, emulator, undefined, 'batch') };
}

function createBatch(ctx: RouteContext): RouteResult {
  const refused = unauthenticated(ctx);
  if (refused) return refused;
  const requests = (ctx.request.body as { requests?: { custom_id: string; params: MessagesBody }[] } | undefined)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) return errorResult(400, 'requests: at least one request is required');
  const batch: EmulatedBatch = {
    id: shortId('msgbatch'),
    createdAt: new Date().toISOString(),
    polls: 0,
    results: requests.map(({ custom_id, params }) => ({ custom_id, result: batchItemResult(params, ctx.emulator) })),
  };
  batches(ctx.emulator).set(batch.id, batch);
  return { json: batchView(batch, ctx.emulator, false) };
}

/** The first poll finds the batch still processing; it has ended from the second on. */
function retrieveBatch(ctx: RouteContext, match: RegExpMatchArray): RouteResult {
  const refused = unauthenticated(ctx);
  if (refused) return refused;
  const batch = batches(ctx.emulator).get(match[1]);
  if (!batch) return errorResult(404, `message batch ${match[1]} not found`);
  batch.polls += 1;
  return { json: batchView(batch, ctx.emulator, batch.polls > 1) };
}

function batchResults(ctx: RouteContext, match: RegExpMatchArray): RouteResult {
  const refused = unauthenticated(ctx);
  if (refused) return refused;
  const batch = batches(ctx.emulator).get(match[1]);
  if (!batch) return errorResult(404, `message batch ${match[1]} not found`);
  if (batch.polls < 2) return errorResult(400, `message batch ${batch.id} is still processing`);
  return { text: batch.results.map((line) => JSON.stringify(line)).join('\n') + '\n', contentType: 'application/x-jsonl' };
}

function batchView(batch: EmulatedBatch, emulator: AiEmulator, ended: boolean): unknown {
  const count = (type: string) => (ended ? batch.results.filter((line) => (line.result as { type: string }).type === type).length : 0);
  const created = new Date(batch.createdAt);
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : 'in_progress',
    request_counts: { processing: ended ? 0 : batch.results.length, succeeded: count('succeeded'), errored: count('errored'), canceled: 0, expired: 0 },
    created_at: batch.createdAt,
    expires_at: new Date(created.getTime() + 24 * 3600_000).toISOString(),
    ended_at: ended ? new Date().toISOString() : null,
    archived_at: null,
    cancel_initiated_at: null,
    // The SDK fetches results from this absolute URL.
    results_url: ended ? `${emulator.baseUrl('anthropic')}/v1/messages/batches/${batch.id}/results` : null,
  };
}

export const anthropicModule: ProviderModule = {
  provider: 'anthropic',
  errorBody,
  routes: [
    { method: 'POST', path: /^\/v1\/messages$/, handle: createMessage },
    { method: 'POST', path: /^\/v1\/messages\/batches$/, handle: createBatch },
    { method: 'GET', path: /^\/v1\/messages\/batches\/([^/]+)$/, handle: retrieveBatch },
    { method: 'GET', path: /^\/v1\/messages\/batches\/([^/]+)\/results$/, handle: batchResults },
  ],
};
