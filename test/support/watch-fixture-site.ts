import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CORPUS_DIR } from './corpus.js';
import { HttpFixtureServer, respond, type FixtureHandler } from './http-fixture-server.js';

/**
 * A competitor's web site for watch tests, on `HttpFixtureServer` (127.0.0.1, random port): pages and feeds served
 * with ETag / Last-Modified (conditional requests get 304), contents that change between polls (`serve` again: a new
 * version, new validators), redirects, error statuses. It records every response and how many requests were in
 * flight at once (the politeness tests: never two fetches to one host at the same time).
 *
 *   const site = await WatchFixtureSite.start();
 *   site.serveCorpus('/feed', 'feeds/real/fr-pcinpact.rss', 'application/rss+xml');
 *   site.serve('/price', '<span class="price">12,50 €</span>', { contentType: 'text/html; charset=utf-8' });
 *   site.redirect('/old', '/price');
 *   // SafeFetcher({ allowLoopbackPorts: [site.port] }) reaches it; site.url('/feed') is what a source watches.
 */

export interface ServeOptions {
  contentType?: string;
  /** Which validators are sent (default both). `none`: a server that ignores conditional GET. */
  validators?: 'both' | 'etag' | 'last-modified' | 'none';
  /** Held this long before answering (to widen the window in which a second request would overlap). */
  delayMs?: number;
  status?: number;
}

export interface RecordedResponse {
  path: string;
  status: number;
  /** Bytes of body sent. */
  bytes: number;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

/** Last-Modified of version n: a fixed date plus n minutes (the site's own clock, independent of the test's). */
const EPOCH = Date.UTC(2026, 0, 5, 9, 0, 0);

export class WatchFixtureSite {
  readonly responses: RecordedResponse[] = [];
  private version = 0;
  private inFlight = 0;
  private peak = 0;

  private constructor(readonly server: HttpFixtureServer) {}

  static async start(): Promise<WatchFixtureSite> {
    return new WatchFixtureSite(await HttpFixtureServer.start());
  }

  get port(): number {
    return this.server.port;
  }

  /** The host as sources store it (`127.0.0.1:<port>`). */
  get host(): string {
    return `127.0.0.1:${this.server.port}`;
  }

  url(pathname: string): string {
    return this.server.url(pathname);
  }

  /** Most requests in flight at the same time since the last reset. */
  get maxInFlight(): number {
    return this.peak;
  }

  /** Serves `body` at `pathname`: each call is a new version of that content, with its own ETag and Last-Modified. */
  serve(pathname: string, body: string | Buffer, options: ServeOptions = {}): this {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const version = ++this.version;
    const validators = options.validators ?? 'both';
    const etag = `"v${version}-${crypto.createHash('sha256').update(data).digest('hex').slice(0, 12)}"`;
    const lastModified = new Date(EPOCH + version * 60_000).toUTCString();
    const handler = respond.body(data, {
      contentType: options.contentType ?? 'text/html; charset=utf-8',
      status: options.status,
      ...(validators === 'both' || validators === 'etag' ? { etag } : {}),
      ...(validators === 'both' || validators === 'last-modified' ? { lastModified } : {}),
    });
    return this.route(pathname, handler, options.delayMs);
  }

  /** A file of `../shared/corpus` (bytes as they are). */
  serveCorpus(pathname: string, corpusFile: string, contentType: string, options: Omit<ServeOptions, 'contentType'> = {}): this {
    return this.serve(pathname, fs.readFileSync(path.join(CORPUS_DIR, corpusFile)), { ...options, contentType });
  }

  redirect(from: string, to: string, status = 301): this {
    return this.route(from, respond.redirect(to, status));
  }

  status(pathname: string, status: number): this {
    return this.route(pathname, respond.status(status));
  }

  /** Responses to one path, in order. */
  responsesTo(pathname: string): RecordedResponse[] {
    return this.responses.filter((r) => r.path === pathname);
  }

  reset(): void {
    this.server.reset();
    this.responses.length = 0;
    this.inFlight = 0;
    this.peak = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private route(pathname: string, handler: FixtureHandler, delayMs = 0): this {
    this.server.route(pathname, async (req: IncomingMessage, res: ServerResponse, server) => {
      this.inFlight++;
      this.peak = Math.max(this.peak, this.inFlight);
      let bytes = 0;
      const write = res.write.bind(res);
      const end = res.end.bind(res);
      const count = (chunk: unknown) => {
        if (Buffer.isBuffer(chunk) || typeof chunk === 'string') bytes += Buffer.byteLength(chunk);
      };
      res.write = ((chunk: unknown, ...rest: unknown[]) => (count(chunk), write(chunk as Buffer, ...(rest as []))) ) as typeof res.write;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => (count(chunk), end(chunk as Buffer, ...(rest as [])))) as typeof res.end;
      res.once('close', () => {
        this.inFlight--;
        this.responses.push({
          path: pathname,
          status: res.statusCode,
          bytes,
          ...(req.headers['if-none-match'] ? { ifNoneMatch: req.headers['if-none-match'] } : {}),
          ...(req.headers['if-modified-since'] ? { ifModifiedSince: req.headers['if-modified-since'] } : {}),
        });
      });
      if (delayMs > 0) await sleep(delayMs);
      await handler(req, res, server);
    });
    return this;
  }
}
