import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

/**
 * A small local HTTP server for tests that fetch URLs (safe fetcher, onboarding website reader, watch).
 * Listens on 127.0.0.1, random port. Register routes per test (`route(path, handler)`, exact pathname match,
 * query ignored); unregistered paths answer 404. Every request is recorded (`requests`).
 *
 *   const server = await HttpFixtureServer.start();
 *   server.route('/page', respond.body('<h1>Hi</h1>', { contentType: 'text/html; charset=utf-8', etag: '"v1"' }));
 *   server.route('/old', respond.redirect('/page', 301));
 *   server.route('/robots.txt', respond.robots('User-agent: *\nDisallow: /private'));
 *   …
 *   server.reset();           // between tests: routes and recorded requests
 *   await server.close();     // after the suite
 *
 * Fetchers refuse loopback by default: build the SafeFetcher with `allowLoopbackPorts: [server.port]`.
 */

export type FixtureHandler = (req: IncomingMessage, res: ServerResponse, server: HttpFixtureServer) => void | Promise<void>;

export interface RecordedFixtureRequest {
  method: string;
  /** Path with query, as received. */
  url: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export class HttpFixtureServer {
  readonly requests: RecordedFixtureRequest[] = [];
  private readonly routes = new Map<string, FixtureHandler>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: http.Server;
  private listeningPort = 0;

  static async start(): Promise<HttpFixtureServer> {
    const fixture = new HttpFixtureServer();
    const server = http.createServer((req, res) => void fixture.handle(req, res));
    fixture.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    fixture.listeningPort = (server.address() as AddressInfo).port;
    return fixture;
  }

  get port(): number {
    return this.listeningPort;
  }

  /** `http://127.0.0.1:<port>` */
  get origin(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  url(path = '/'): string {
    return `${this.origin}${path.startsWith('/') ? path : `/${path}`}`;
  }

  route(path: string, handler: FixtureHandler): this {
    this.routes.set(path, handler);
    return this;
  }

  /** Requests received for one path (query ignored). */
  requestsTo(path: string): RecordedFixtureRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Forget routes and recorded requests; cut slow responses still dripping. */
  reset(): void {
    this.routes.clear();
    this.requests.length = 0;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
  }

  async close(): Promise<void> {
    this.reset();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** For handlers that keep writing over time: the timer is cleared on reset/close and when the client leaves. */
  track(timer: NodeJS.Timeout, res: ServerResponse): void {
    this.timers.add(timer);
    res.once('close', () => {
      clearInterval(timer);
      this.timers.delete(timer);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fixture').pathname;
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', path, headers: req.headers });
    const handler = this.routes.get(path);
    try {
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
        return;
      }
      await handler(req, res, this);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  }
}

export interface BodyOptions {
  contentType?: string;
  status?: number;
  headers?: Record<string, string>;
  /** Sent as `ETag`; a matching `If-None-Match` gets 304. */
  etag?: string;
  /** Sent as `Last-Modified` (HTTP date); an `If-Modified-Since` at or after it gets 304. */
  lastModified?: string;
  /** Compress the body with this coding (and say so in Content-Encoding). */
  encoding?: 'gzip' | 'deflate' | 'deflate-raw' | 'br';
}

function encode(body: Buffer, encoding: NonNullable<BodyOptions['encoding']>): { data: Buffer; header: string } {
  switch (encoding) {
    case 'gzip':
      return { data: zlib.gzipSync(body), header: 'gzip' };
    case 'deflate':
      return { data: zlib.deflateSync(body), header: 'deflate' };
    case 'deflate-raw':
      return { data: zlib.deflateRawSync(body), header: 'deflate' };
    case 'br':
      return { data: zlib.brotliCompressSync(body), header: 'br' };
  }
}

function notModified(req: IncomingMessage, options: BodyOptions): boolean {
  const inm = req.headers['if-none-match'];
  if (options.etag && inm) {
    return inm
      .split(',')
      .map((t) => t.trim())
      .some((t) => t === options.etag || t === '*' || t.replace(/^W\//, '') === options.etag?.replace(/^W\//, ''));
  }
  const ims = req.headers['if-modified-since'];
  if (options.lastModified && ims && !inm) {
    const since = Date.parse(ims);
    const modified = Date.parse(options.lastModified);
    return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
  }
  return false;
}

/** Lazily built compressed payloads, shared by every server in the process. */
const bombCache = new Map<string, Buffer>();

async function buildBomb(encoding: 'gzip' | 'deflate' | 'br', decodedBytes: number): Promise<Buffer> {
  const key = `${encoding}:${decodedBytes}`;
  const cached = bombCache.get(key);
  if (cached) return cached;
  const compressor =
    encoding === 'gzip'
      ? zlib.createGzip({ level: 9 })
      : encoding === 'deflate'
        ? zlib.createDeflate({ level: 9 })
        : zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
  const out: Buffer[] = [];
  compressor.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    compressor.once('end', resolve);
    compressor.once('error', reject);
  });
  const block = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < decodedBytes; written += block.length) {
    const slice = block.subarray(0, Math.min(block.length, decodedBytes - written));
    if (!compressor.write(slice)) await new Promise((resolve) => compressor.once('drain', resolve));
  }
  compressor.end();
  await done;
  const bomb = Buffer.concat(out);
  bombCache.set(key, bomb);
  return bomb;
}

/** Handlers for the usual cases. */
export const respond = {
  /** A static body; with `etag`/`lastModified`, conditional requests get 304. */
  body(body: string | Buffer, options: BodyOptions = {}): FixtureHandler {
    return (req, res) => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.contentType) headers['content-type'] = options.contentType;
      if (options.etag) headers.etag = options.etag;
      if (options.lastModified) headers['last-modified'] = options.lastModified;
      if (notModified(req, options)) {
        res.writeHead(304, headers).end();
        return;
      }
      let data = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      if (options.encoding) {
        const encoded = encode(data, options.encoding);
        data = encoded.data;
        headers['content-encoding'] = encoded.header;
      }
      headers['content-length'] = String(data.length);
      res.writeHead(options.status ?? 200, headers).end(data);
    };
  },

  /** An HTML page (UTF-8). */
  html(html: string, options: BodyOptions = {}): FixtureHandler {
    return respond.body(html, { contentType: 'text/html; charset=utf-8', ...options });
  },

  /** A status with a short text body (404, 500, 403…). */
  status(status: number, text = http.STATUS_CODES[status] ?? ''): FixtureHandler {
    return respond.body(text, { status, contentType: 'text/plain; charset=utf-8' });
  },

  /** A redirect to any Location (absolute, relative, or another host/scheme entirely). */
  redirect(location: string, status = 302): FixtureHandler {
    return (_req, res) => {
      res.writeHead(status, { location, 'content-type': 'text/plain', 'content-length': '0' }).end();
    };
  },

  /** Headers at once, then `chunk` every `intervalMs`, `count` times (a slow body). */
  drip(options: { chunk?: string; intervalMs?: number; count?: number; contentType?: string } = {}): FixtureHandler {
    const { chunk = '.', intervalMs = 100, count = 1000, contentType = 'text/html; charset=utf-8' } = options;
    return (_req, res, server) => {
      res.writeHead(200, { 'content-type': contentType });
      res.flushHeaders();
      let sent = 0;
      const timer = setInterval(() => {
        if (sent++ >= count) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(chunk);
      }, intervalMs);
      server.track(timer, res);
    };
  },

  /** Accepts the request and never answers (not even headers). */
  hang(): FixtureHandler {
    return () => undefined;
  },

  /** `bytes` of text streamed without buffering; `declareLength` sends Content-Length up front. */
  huge(bytes: number, options: { contentType?: string; declareLength?: boolean } = {}): FixtureHandler {
    const { contentType = 'text/html; charset=utf-8', declareLength = false } = options;
    return (_req, res) => {
      const headers: Record<string, string> = { 'content-type': contentType };
      if (declareLength) headers['content-length'] = String(bytes);
      res.writeHead(200, headers);
      const block = Buffer.alloc(64 * 1024, 'a');
      let left = bytes;
      const pump = () => {
        while (left > 0) {
          const size = Math.min(block.length, left);
          left -= size;
          if (!res.write(block.subarray(0, size))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.once('close', () => (left = 0));
      pump();
    };
  },

  /** A compression bomb: a small body that decodes to `decodedBytes` zero bytes. */
  bomb(decodedBytes: number, options: { encoding?: 'gzip' | 'deflate' | 'br'; contentType?: string } = {}): FixtureHandler {
    const { encoding = 'gzip', contentType = 'text/html; charset=utf-8' } = options;
    return async (_req, res) => {
      const data = await buildBomb(encoding, decodedBytes);
      res.writeHead(200, { 'content-type': contentType, 'content-encoding': encoding, 'content-length': String(data.length) }).end(data);
    };
  },

  /** A robots.txt body (text/plain). */
  robots(text: string): FixtureHandler {
    return respond.body(text, { contentType: 'text/plain; charset=utf-8' });
  },
};
