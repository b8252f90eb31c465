import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local emulator of the provider HTTP APIs the adapters use, on 127.0.0.1. Each provider lives under its
 * own prefix (`/anthropic`, `/openai`, `/mistral`) and registers its routes from its own module. Tests point
 * the real SDKs at it (base URL) and can inject faults per provider / model / path.
 */

export type EmulatedProvider = 'anthropic' | 'openai' | 'mistral';

export interface RecordedRequest {
  provider: EmulatedProvider;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined for multipart/binary bodies (see `raw`). */
  body: unknown;
  raw: Buffer;
  model?: string;
}

export interface Fault {
  /** Answer with this HTTP status and a provider-shaped error body. */
  status?: number;
  /** With 429/529/503: the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
  /** Answer 200 with a body that is not valid JSON. */
  malformedBody?: boolean;
  /** Never answer (the client's timeout fires). */
  hang?: boolean;
  /** Extra delay before answering. */
  delayMs?: number;
  /** For structured output: return content that is not valid JSON for the schema (tests the repair attempt). */
  invalidJsonContent?: boolean;
  /** How many matching requests the fault applies to (default: all until cleared). */
  times?: number;
}

export interface FaultMatch {
  provider?: EmulatedProvider;
  model?: string;
  path?: RegExp;
}

export interface RouteContext {
  request: RecordedRequest;
  /** The fault that applies to this request, when the route has to shape it itself (e.g. invalidJsonContent). */
  fault?: Fault;
  emulator: AiEmulator;
}

export type RouteResult =
  | { json: unknown; status?: number; headers?: Record<string, string> }
  | { sse: AsyncIterable<{ event?: string; data: string }>; headers?: Record<string, string> }
  | { text: string; status?: number; contentType?: string };

export interface Route {
  method: string;
  /** Matched against the path after the provider prefix, e.g. /^\/v1\/messages$/. */
  path: RegExp;
  handle(ctx: RouteContext, match: RegExpMatchArray): Promise<RouteResult> | RouteResult;
}

/** Shapes an error body the way the provider's SDK expects it. */
export type ErrorShaper = (status: number, message: string) => unknown;

export interface ProviderModule {
  provider: EmulatedProvider;
  routes: Route[];
  errorBody: ErrorShaper;
}

export class AiEmulator {
  readonly requests: RecordedRequest[] = [];
  /** Random latency added to every answer, for benchmarks ([min, max] ms). */
  latencyMs: [number, number] = [0, 0];
  private faults: { match: FaultMatch; fault: Fault; left: number }[] = [];
  /** Shared state provider modules keep between calls (batches, files). */
  readonly state = new Map<string, unknown>();
  private server?: http.Server;
  url = '';

  constructor(private readonly modules: ProviderModule[]) {}

  baseUrl(provider: EmulatedProvider): string {
    return `${this.url}/${provider}`;
  }

  injectFault(match: FaultMatch, fault: Fault): void {
    this.faults.push({ match, fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults = [];
  }

  reset(): void {
    this.clearFaults();
    this.requests.length = 0;
    this.latencyMs = [0, 0];
  }

  requestsTo(provider: EmulatedProvider): RecordedRequest[] {
    return this.requests.filter((r) => r.provider === provider);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.dispatch(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err) } }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private takeFault(request: RecordedRequest): Fault | undefined {
    const entry = this.faults.find(
      (f) =>
        f.left > 0 &&
        (!f.match.provider || f.match.provider === request.provider) &&
        (!f.match.model || f.match.model === request.model) &&
        (!f.match.path || f.match.path.test(request.path)),
    );
    if (!entry) return undefined;
    entry.left -= 1;
    return entry.fault;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const [, prefix, ...rest] = url.pathname.split('/');
    const module = this.modules.find((m) => m.provider === prefix);
    if (!module) {
      res.writeHead(404).end();
      return;
    }
    const path = `/${rest.join('/')}`;
    const raw = await readBody(req);
    const body = parseJson(raw, req.headers['content-type']);
    const model = typeof (body as { model?: unknown })?.model === 'string' ? (body as { model: string }).model : modelFromMultipart(raw);
    const request: RecordedRequest = { provider: module.provider, method: req.method ?? 'GET', path: path + url.search, headers: req.headers, body, raw, model };
    this.requests.push(request);

    const fault = this.takeFault(request);
    const [min, max] = this.latencyMs;
    const delay = (fault?.delayMs ?? 0) + (max > 0 ? min + Math.random() * (max - min) : 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (fault?.hang) return; // the client gives up
    if (fault?.status) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      res.writeHead(fault.status, headers).end(JSON.stringify(module.errorBody(fault.status, `emulated ${fault.status}`)));
      return;
    }
    if (fault?.malformedBody) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "broken", "content": [');
      return;
    }

    for (const route of module.routes) {
      const match = route.method === request.method ? path.match(route.path) : null;
      if (!match) continue;
      const result = await route.handle({ request, fault, emulator: this }, match);
      await send(res, result);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(module.errorBody(404, `no route ${request.method} ${path}`)));
  }
}

async function send(res: ServerResponse, result: RouteResult): Promise<void> {
  if ('json' in result) {
    res.writeHead(result.status ?? 200, { 'content-type': 'application/json', 'request-id': `req_${Date.now()}`, ...result.headers });
    res.end(JSON.stringify(result.json));
  } else if ('sse' in result) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...result.headers });
    for await (const event of result.sse) {
      res.write(`${event.event ? `event: ${event.event}\n` : ''}data: ${event.data}\n\n`);
    }
    res.end();
  } else {
    res.writeHead(result.status ?? 200, { 'content-type': result.contentType ?? 'text/plain' }).end(result.text);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer, contentType: string | undefined): unknown {
  if (!raw.length || !contentType?.includes('json')) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The `model` field of a multipart/form-data body (transcription uploads, batch files). */
function modelFromMultipart(raw: Buffer): string | undefined {
  const text = raw.subarray(0, 4096).toString('latin1');
  const match = /name="model"\r\n\r\n([^\r\n]+)/.exec(text);
  return match?.[1];
}
