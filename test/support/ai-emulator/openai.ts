import { transcribe } from './audio.js';
import { countTokens } from './content.js';
import {
  BATCH_FAILURE_TRIGGER,
  MODERATION_TRIGGER,
  answerChat,
  completionChunks,
  completionJson,
  embeddingFor,
  formDataOf,
  inputsOf,
  jsonLines,
  lastUserMessage,
  newId,
  stateMap,
  type ChatWireRequest,
} from './openai-compatible.js';
import type { AiEmulator, ProviderModule, RouteContext, RouteResult } from './server.js';

/**
 * The parts of the OpenAI API the adapter uses, under `/openai` (the SDK's base URL is `<emulator>/openai/v1`):
 * Chat Completions (JSON and SSE), audio transcription, embeddings, moderation, files and the Batch API.
 */

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'requests',
  500: 'server_error',
  503: 'server_error',
};

const ERROR_CODES: Record<number, string> = {
  401: 'invalid_api_key',
  404: 'not_found',
  429: 'rate_limit_exceeded',
};

function errorBody(status: number, message: string) {
  return { error: { message, type: ERROR_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'), param: null, code: ERROR_CODES[status] ?? null } };
}

function error(status: number, message: string): RouteResult {
  return { json: errorBody(status, message), status };
}

function chatCompletions({ request, fault, emulator }: RouteContext): RouteResult {
  const body = request.body as ChatWireRequest | undefined;
  if (!body?.model || !Array.isArray(body.messages)) return error(400, "'model' and 'messages' are required");
  const answer = answerChat(emulator, 'openai', body, { invalidJson: fault?.invalidJsonContent });
  const headers = { 'x-request-id': `req_${answer.id}` };
  if (body.stream) return { sse: completionChunks(answer, body.stream_options?.include_usage ? 'separate-chunk' : 'none'), headers };
  return { json: completionJson(answer), headers };
}

async function transcriptions({ request }: RouteContext): Promise<RouteResult> {
  const form = await formDataOf(request);
  const transcription = await transcribe(form.get('file'));
  if ('error' in transcription) return error(400, transcription.error);
  const { text, durationSeconds: duration, language } = transcription;
  if (form.get('response_format') === 'verbose_json') {
    return { json: { task: 'transcribe', language, duration, text, segments: [{ id: 0, seek: 0, start: 0, end: duration, text, tokens: [], temperature: 0, avg_logprob: -0.2, compression_ratio: 1, no_speech_prob: 0 }] } };
  }
  return { json: { text, usage: { type: 'duration', seconds: Math.ceil(duration) } } };
}

function embeddings({ request }: RouteContext): RouteResult {
  const body = request.body as { model: string; input: unknown; encoding_format?: string };
  const inputs = inputsOf(body.input);
  // The SDK asks for base64 (little-endian float32) unless told otherwise, and decodes it itself.
  const encode = (vector: number[]) => (body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector);
  const tokens = inputs.reduce((sum, input) => sum + countTokens(input), 0);
  return {
    json: {
      object: 'list',
      model: body.model,
      data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: encode(embeddingFor(input)) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}

const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
];

function moderations({ request }: RouteContext): RouteResult {
  const body = request.body as { model?: string; input: unknown };
  const results = inputsOf(body.input).map((input) => {
    const violent = input.includes(MODERATION_TRIGGER);
    const flags = Object.fromEntries(MODERATION_CATEGORIES.map((category) => [category, violent && category === 'violence']));
    return {
      flagged: violent,
      categories: flags,
      category_scores: Object.fromEntries(MODERATION_CATEGORIES.map((category) => [category, flags[category] ? 0.97 : 0.001])),
      category_applied_input_types: Object.fromEntries(MODERATION_CATEGORIES.map((category) => [category, ['text']])),
    };
  });
  return { json: { id: newId('modr-'), model: body.model ?? 'omni-moderation-latest', results } };
}

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: Buffer;
  createdAt: number;
}

const files = (emulator: AiEmulator) => stateMap<StoredFile>(emulator, 'openai:files');

function storeFile(emulator: AiEmulator, filename: string, purpose: string, content: Buffer): StoredFile {
  const file = { id: newId('file-'), filename, purpose, content, createdAt: Math.floor(Date.now() / 1000) };
  files(emulator).set(file.id, file);
  return file;
}

function fileObject(file: StoredFile) {
  return { id: file.id, object: 'file', bytes: file.content.length, created_at: file.createdAt, filename: file.filename, purpose: file.purpose, status: 'processed' };
}

async function uploadFile({ request, emulator }: RouteContext): Promise<RouteResult> {
  const form = await formDataOf(request);
  const upload = form.get('file');
  if (!upload || typeof upload === 'string') return error(400, "'file' is required");
  const file = storeFile(emulator, upload.name, String(form.get('purpose') ?? 'batch'), Buffer.from(await upload.arrayBuffer()));
  return { json: fileObject(file) };
}

function fileContent({ emulator }: RouteContext, match: RegExpMatchArray): RouteResult {
  const file = files(emulator).get(match[1]!);
  if (!file) return error(404, `No such File object: ${match[1]}`);
  return { text: file.content.toString('utf8'), contentType: 'application/octet-stream' };
}

interface StoredBatch {
  id: string;
  inputFileId: string;
  endpoint: string;
  createdAt: number;
  polls: number;
  total: number;
  outputFileId?: string;
  errorFileId?: string;
  failed: number;
}

const batches = (emulator: AiEmulator) => stateMap<StoredBatch>(emulator, 'openai:batches');

function createBatch({ request, emulator }: RouteContext): RouteResult {
  const body = request.body as { input_file_id?: string; endpoint?: string; completion_window?: string };
  const input = body.input_file_id ? files(emulator).get(body.input_file_id) : undefined;
  if (!input) return error(400, `Invalid 'input_file_id': ${body.input_file_id}`);
  if (body.endpoint !== '/v1/chat/completions') return error(400, `Unsupported endpoint: ${body.endpoint}`);
  const batch: StoredBatch = {
    id: newId('batch_'),
    inputFileId: input.id,
    endpoint: body.endpoint,
    createdAt: Math.floor(Date.now() / 1000),
    polls: 0,
    total: jsonLines(input.content.toString('utf8')).length,
    failed: 0,
  };
  batches(emulator).set(batch.id, batch);
  return { json: batchObject(batch, 'validating') };
}

/** The first poll finds the batch running; the next ones find it completed, its output and error files written. */
function retrieveBatch({ emulator }: RouteContext, match: RegExpMatchArray): RouteResult {
  const batch = batches(emulator).get(match[1]!);
  if (!batch) return error(404, `No batch found with id '${match[1]}'`);
  batch.polls += 1;
  if (batch.polls === 1) return { json: batchObject(batch, 'in_progress') };
  if (!batch.outputFileId) runBatch(emulator, batch);
  return { json: batchObject(batch, 'completed') };
}

interface BatchInputLine {
  custom_id: string;
  method: string;
  url: string;
  body: ChatWireRequest;
}

function runBatch(emulator: AiEmulator, batch: StoredBatch): void {
  const lines = jsonLines(files(emulator).get(batch.inputFileId)!.content.toString('utf8')) as BatchInputLine[];
  const outputs: string[] = [];
  const errors: string[] = [];
  for (const line of lines) {
    const requestId = newId('req_');
    if (lastUserMessage(line.body).includes(BATCH_FAILURE_TRIGGER)) {
      const body = errorBody(400, 'This request was refused by the emulator (FAIL_IN_BATCH).');
      errors.push(JSON.stringify({ id: newId('batch_req_'), custom_id: line.custom_id, response: { status_code: 400, request_id: requestId, body }, error: null }));
      continue;
    }
    const answer = answerChat(emulator, 'openai', line.body);
    outputs.push(JSON.stringify({ id: newId('batch_req_'), custom_id: line.custom_id, response: { status_code: 200, request_id: requestId, body: completionJson(answer) }, error: null }));
  }
  batch.failed = errors.length;
  batch.outputFileId = storeFile(emulator, 'batch_output.jsonl', 'batch_output', Buffer.from(outputs.join('\n'))).id;
  if (errors.length) batch.errorFileId = storeFile(emulator, 'batch_errors.jsonl', 'batch_output', Buffer.from(errors.join('\n'))).id;
}

function batchObject(batch: StoredBatch, status: 'validating' | 'in_progress' | 'completed') {
  const done = status === 'completed';
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    errors: null,
    input_file_id: batch.inputFileId,
    completion_window: '24h',
    status,
    output_file_id: done ? batch.outputFileId : null,
    error_file_id: done ? (batch.errorFileId ?? null) : null,
    created_at: batch.createdAt,
    in_progress_at: status === 'validating' ? null : batch.createdAt,
    completed_at: done ? Math.floor(Date.now() / 1000) : null,
    expires_at: batch.createdAt + 24 * 3600,
    request_counts: { total: batch.total, completed: done ? batch.total - batch.failed : 0, failed: done ? batch.failed : 0 },
    metadata: null,
  };
}

export const openaiModule: ProviderModule = {
  provider: 'openai',
  errorBody,
  routes: [
    { method: 'POST', path: /^\/v1\/chat\/completions$/, handle: chatCompletions },
    { method: 'POST', path: /^\/v1\/audio\/transcriptions$/, handle: transcriptions },
    { method: 'POST', path: /^\/v1\/embeddings$/, handle: embeddings },
    { method: 'POST', path: /^\/v1\/moderations$/, handle: moderations },
    { method: 'POST', path: /^\/v1\/files$/, handle: uploadFile },
    { method: 'GET', path: /^\/v1\/files\/([^/]+)\/content$/, handle: fileContent },
    { method: 'POST', path: /^\/v1\/batches$/, handle: createBatch },
    { method: 'GET', path: /^\/v1\/batches\/([^/]+)$/, handle: retrieveBatch },
  ],
};
