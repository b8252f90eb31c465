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
 * The parts of the Mistral API the adapter uses, under `/mistral` (the SDK's serverURL): chat completions
 * (JSON and SSE), Voxtral transcription, embeddings, moderation, files and batch jobs. Shapes follow the
 * SDK's zod schemas (@mistralai/mistralai/src/models/components), which reject missing required fields.
 */

function errorBody(status: number, message: string) {
  const type = status === 401 ? 'unauthorized' : status === 429 ? 'rate_limited' : status >= 500 ? 'internal_server_error' : 'invalid_request_error';
  return { object: 'error', message, type, param: null, code: String(status) };
}

function error(status: number, message: string): RouteResult {
  return { json: errorBody(status, message), status };
}

function chatCompletions({ request, fault, emulator }: RouteContext): RouteResult {
  const body = request.body as ChatWireRequest | undefined;
  if (!body?.model || !Array.isArray(body.messages)) return error(400, "'model' and 'messages' are required");
  const answer = answerChat(emulator, 'mistral', body, { invalidJson: fault?.invalidJsonContent });
  if (body.stream) return { sse: completionChunks(answer, 'last-chunk') };
  return { json: completionJson(answer) };
}

async function transcriptions({ request }: RouteContext): Promise<RouteResult> {
  const form = await formDataOf(request);
  const transcription = await transcribe(form.get('file'));
  if ('error' in transcription) return error(400, transcription.error);
  const { text, durationSeconds, language } = transcription;
  const withSegments = form.getAll('timestamp_granularities').join(',').includes('segment');
  return {
    json: {
      model: String(form.get('model') ?? 'voxtral-mini-latest'),
      text,
      language: language.slice(0, 2),
      ...(withSegments && { segments: [{ type: 'transcription_segment', text, start: 0, end: durationSeconds }] }),
      usage: { prompt_tokens: 0, completion_tokens: countTokens(text), total_tokens: countTokens(text), prompt_audio_seconds: Math.round(durationSeconds) },
    },
  };
}

function embeddings({ request }: RouteContext): RouteResult {
  const body = request.body as { model: string; input: unknown };
  const inputs = inputsOf(body.input);
  const tokens = inputs.reduce((sum, input) => sum + countTokens(input), 0);
  return {
    json: {
      id: newId('embd-'),
      object: 'list',
      model: body.model,
      data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: embeddingFor(input) })),
      usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens },
    },
  };
}

const MODERATION_CATEGORIES = [
  'sexual',
  'hate_and_discrimination',
  'violence_and_threats',
  'dangerous_and_criminal_content',
  'selfharm',
  'health',
  'financial',
  'law',
  'pii',
];

/** Mistral answers categories and scores only: there is no overall `flagged`. */
function moderations({ request }: RouteContext): RouteResult {
  const body = request.body as { model?: string; input: unknown };
  const results = inputsOf(body.input).map((input) => {
    const violent = input.includes(MODERATION_TRIGGER);
    const flags = Object.fromEntries(MODERATION_CATEGORIES.map((category) => [category, violent && category === 'violence_and_threats']));
    return { categories: flags, category_scores: Object.fromEntries(MODERATION_CATEGORIES.map((category) => [category, flags[category] ? 0.97 : 0.001])) };
  });
  return { json: { id: newId('mod-'), model: body.model ?? 'mistral-moderation-latest', results } };
}

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  sampleType: 'batch_request' | 'batch_result' | 'batch_error';
  content: Buffer;
  createdAt: number;
}

const files = (emulator: AiEmulator) => stateMap<StoredFile>(emulator, 'mistral:files');

function storeFile(emulator: AiEmulator, file: Omit<StoredFile, 'id' | 'createdAt'>): StoredFile {
  const stored = { ...file, id: crypto.randomUUID(), createdAt: Math.floor(Date.now() / 1000) };
  files(emulator).set(stored.id, stored);
  return stored;
}

function fileObject(file: StoredFile) {
  return {
    id: file.id,
    object: 'file',
    bytes: file.content.length,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    sample_type: file.sampleType,
    num_lines: jsonLines(file.content.toString('utf8')).length,
    mimetype: 'application/jsonl',
    source: 'upload',
  };
}

async function uploadFile({ request, emulator }: RouteContext): Promise<RouteResult> {
  const form = await formDataOf(request);
  const upload = form.get('file');
  if (!upload || typeof upload === 'string') return error(422, "'file' is required");
  const file = storeFile(emulator, {
    filename: upload.name,
    purpose: String(form.get('purpose') ?? 'batch'),
    sampleType: 'batch_request',
    content: Buffer.from(await upload.arrayBuffer()),
  });
  return { json: fileObject(file) };
}

function fileContent({ emulator }: RouteContext, match: RegExpMatchArray): RouteResult {
  const file = files(emulator).get(match[1]!);
  if (!file) return error(404, `File ${match[1]} not found`);
  // The SDK only accepts the download as application/octet-stream.
  return { text: file.content.toString('utf8'), contentType: 'application/octet-stream' };
}

interface StoredJob {
  id: string;
  inputFiles: string[];
  endpoint: string;
  model: string;
  createdAt: number;
  polls: number;
  total: number;
  succeeded: number;
  failed: number;
  outputFile?: string;
  errorFile?: string;
}

const jobs = (emulator: AiEmulator) => stateMap<StoredJob>(emulator, 'mistral:batch-jobs');

function createJob({ request, emulator }: RouteContext): RouteResult {
  const body = request.body as { input_files?: string[]; endpoint?: string; model?: string };
  const inputs = (body.input_files ?? []).map((id) => files(emulator).get(id));
  if (!inputs.length || inputs.some((file) => !file)) return error(404, `Input files not found: ${body.input_files}`);
  if (body.endpoint !== '/v1/chat/completions' || !body.model) return error(422, "'endpoint' must be /v1/chat/completions and 'model' is required");
  const job: StoredJob = {
    id: crypto.randomUUID(),
    inputFiles: body.input_files!,
    endpoint: body.endpoint,
    model: body.model,
    createdAt: Math.floor(Date.now() / 1000),
    polls: 0,
    total: inputs.reduce((sum, file) => sum + jsonLines(file!.content.toString('utf8')).length, 0),
    succeeded: 0,
    failed: 0,
  };
  jobs(emulator).set(job.id, job);
  return { json: jobObject(job, 'QUEUED') };
}

/** The first poll finds the job running; the next ones find it done, its output and error files written. */
function getJob({ emulator }: RouteContext, match: RegExpMatchArray): RouteResult {
  const job = jobs(emulator).get(match[1]!);
  if (!job) return error(404, `Batch job ${match[1]} not found`);
  job.polls += 1;
  if (job.polls === 1) return { json: jobObject(job, 'RUNNING') };
  if (!job.outputFile) runJob(emulator, job);
  return { json: jobObject(job, 'SUCCESS') };
}

interface BatchInputLine {
  custom_id: string;
  body: Omit<ChatWireRequest, 'model'>;
}

function runJob(emulator: AiEmulator, job: StoredJob): void {
  const lines = job.inputFiles.flatMap((id) => jsonLines(files(emulator).get(id)!.content.toString('utf8')) as BatchInputLine[]);
  const outputs: string[] = [];
  const errors: string[] = [];
  for (const line of lines) {
    if (lastUserMessage(line.body).includes(BATCH_FAILURE_TRIGGER)) {
      errors.push(JSON.stringify({ id: newId('batch-'), custom_id: line.custom_id, response: null, error: { message: 'This request was refused by the emulator (FAIL_IN_BATCH).', code: 3000 } }));
      continue;
    }
    const answer = answerChat(emulator, 'mistral', { ...line.body, model: job.model });
    outputs.push(JSON.stringify({ id: newId('batch-'), custom_id: line.custom_id, response: { status_code: 200, body: completionJson(answer) }, error: null }));
  }
  job.succeeded = outputs.length;
  job.failed = errors.length;
  job.outputFile = storeFile(emulator, { filename: `${job.id}.jsonl`, purpose: 'batch', sampleType: 'batch_result', content: Buffer.from(outputs.join('\n')) }).id;
  if (errors.length) {
    job.errorFile = storeFile(emulator, { filename: `${job.id}_error.jsonl`, purpose: 'batch', sampleType: 'batch_error', content: Buffer.from(errors.join('\n')) }).id;
  }
}

function jobObject(job: StoredJob, status: 'QUEUED' | 'RUNNING' | 'SUCCESS') {
  const done = status === 'SUCCESS';
  return {
    id: job.id,
    object: 'batch',
    input_files: job.inputFiles,
    metadata: null,
    endpoint: job.endpoint,
    model: job.model,
    output_file: done ? job.outputFile : null,
    error_file: done ? (job.errorFile ?? null) : null,
    errors: [],
    status,
    created_at: job.createdAt,
    total_requests: job.total,
    completed_requests: done ? job.total : 0,
    succeeded_requests: done ? job.succeeded : 0,
    failed_requests: done ? job.failed : 0,
    started_at: status === 'QUEUED' ? null : job.createdAt,
    completed_at: done ? Math.floor(Date.now() / 1000) : null,
  };
}

export const mistralModule: ProviderModule = {
  provider: 'mistral',
  errorBody,
  routes: [
    { method: 'POST', path: /^\/v1\/chat\/completions$/, handle: chatCompletions },
    { method: 'POST', path: /^\/v1\/audio\/transcriptions$/, handle: transcriptions },
    { method: 'POST', path: /^\/v1\/embeddings$/, handle: embeddings },
    { method: 'POST', path: /^\/v1\/moderations$/, handle: moderations },
    { method: 'POST', path: /^\/v1\/files$/, handle: uploadFile },
    { method: 'GET', path: /^\/v1\/files\/([^/]+)\/content$/, handle: fileContent },
    { method: 'POST', path: /^\/v1\/batch\/jobs$/, handle: createJob },
    { method: 'GET', path: /^\/v1\/batch\/jobs\/([^/]+)$/, handle: getJob },
  ],
};
