import dns from 'node:dns';
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Logger } from '../../shared/logger.js';
import {
  FetchRefusedError,
  type FetchedResource,
  type FetchOptions,
  type FetchRefusal,
  type UrlFetcher,
} from '../../shared/url-fetcher.js';
import { classifyAddress, classifyHostname, isAllowedPort, isExactLoopback, unbracket } from './address-policy.js';
import { isCapReached, readBody } from './read-body.js';
import { ROBOTS_MAX_BYTES, RobotsCache, type RobotsOutcome } from './robots.js';

/**
 * The one adapter of `UrlFetcher`: every user-supplied URL (onboarding, competitive watch) goes through it.
 *
 * Per hop (the first request and every redirect, at most `maxRedirects`, default 5):
 * 1. WHATWG URL parsing (which already folds `0x7f.1`, `0177.0.0.1`, `2130706433`, `127.1`, full-width dots
 *    and enclosed alphanumerics into canonical hosts); http/https only; no credentials; port 80, 443 or
 *    1024–65535.
 * 2. The host name is checked (`localhost`, metadata names, single-label and intranet suffixes), then
 *    resolved HERE (`dns.lookup`, all answers) and EVERY answer must be a public address (`classifyAddress`).
 * 3. The socket connects to one of those validated addresses, by IP (Host header and TLS SNI/certificate
 *    check still use the name), so a DNS answer that changes between the check and the connection
 *    (rebinding) cannot redirect it: there is no second lookup.
 * 4. robots.txt of the hop's origin is honoured when `respectRobots` (default true), fetched through this
 *    same path and cached per origin for an hour.
 *
 * Then: 3xx → next hop (relative `Location` resolved against the current URL; https → http is followed,
 * since the fetcher sends no credentials of its own: caller `Authorization`/`Cookie` headers are dropped when
 * the origin changes and every caller header is dropped on a downgrade); 304 to a conditional request → `notModified`; other non-2xx → `httpStatus`; content type checked
 * against `accept` before the body is read; body streamed, decoded (gzip, deflate, br) and capped on its
 * DECODED size; one deadline (`timeoutMs`, default 10 s) for the whole request including redirects and
 * robots.txt, plus a connect timeout per attempt.
 */

export const USER_AGENT = 'CadenceBot/1.0 (+https://cadence.example/bot)';
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_REDIRECTS = 5;
/** At most this many validated addresses are tried in turn when connecting fails. */
const MAX_CONNECT_ATTEMPTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers the caller cannot set: hop-by-hop, framing, and those the fetcher owns. */
const RESERVED_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'expect',
  'accept-encoding',
  'user-agent',
  'if-none-match',
  'if-modified-since',
]);
/** Caller headers never forwarded to another origin after a redirect. */
const ORIGIN_BOUND_HEADERS = new Set(['authorization', 'cookie']);

export type Resolver = (hostname: string) => Promise<string[]>;

export interface SafeFetcherOptions {
  logger?: Logger;
  /**
   * Name resolution, default `dns.lookup(host, { all: true })`. Tests inject a stub to play DNS answers
   * (rebinding, names pointing at private ranges) without a DNS server.
   */
  resolve?: Resolver;
  /**
   * TESTS ONLY — off by default. Lets the fetcher connect to exactly 127.0.0.1 or ::1 when the target port is
   * in this list (the local fixture server's port); every other loopback port, every other address class
   * (private, link-local, metadata…) stays refused. It is a constructor argument only: `config.ts` has no
   * setting for it and the composition root never passes it, so no environment variable or configuration
   * file can turn it on.
   */
  allowLoopbackPorts?: readonly number[];
  /** Per connection attempt (TCP + TLS handshake), default 10 s, never beyond the request deadline. */
  connectTimeoutMs?: number;
  /** Clock for the robots.txt cache (tests). */
  now?: () => number;
}

interface Target {
  url: URL;
  hostname: string;
  port: number;
  addresses: { address: string; family: 4 | 6 }[];
}

interface Settings {
  maxBytes: number;
  timeoutMs: number;
  accept?: string[];
  maxRedirects: number;
  respectRobots: boolean;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  headers: Record<string, string>;
  truncate: boolean;
  /** robots.txt only: the page's already validated addresses, reused for the same origin (no second lookup). */
  pinned?: Target;
}

/** A failure to open the connection (so the next validated address may be tried). */
class ConnectError extends Error {
  constructor(override readonly cause: unknown) {
    super('connect failed');
  }
}

class ConnectTimeout extends Error {
  constructor() {
    super('connect timeout');
  }
}

const defaultResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** A refusal that also carries, for the logs only, what exactly was refused (never shown to the user). */
class Refusal extends FetchRefusedError {
  constructor(
    reason: FetchRefusal,
    params: Record<string, unknown>,
    readonly detail?: string,
  ) {
    super(reason, params);
  }
}

function refused(reason: FetchRefusal, params: Record<string, unknown> = {}, detail?: string): FetchRefusedError {
  return new Refusal(reason, params, detail);
}

function effectivePort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** Parses a user URL or a redirect `Location`; refuses what is not a plain http(s) URL. */
export function parseTarget(input: string, base?: URL): URL {
  let url: URL;
  try {
    url = base ? new URL(input, base) : new URL(input.trim());
  } catch {
    throw refused('invalidUrl');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused('badScheme', { scheme: url.protocol.replace(/:$/, '') });
  if (url.username || url.password) throw refused('invalidUrl');
  if (!url.hostname) throw refused('invalidUrl');
  url.hash = '';
  return url;
}

function parseContentType(header: string | undefined): { mediaType: string; charset?: string } {
  if (!header) return { mediaType: 'application/octet-stream' };
  const [type, ...params] = header.split(';');
  const mediaType = type.trim().toLowerCase() || 'application/octet-stream';
  let charset: string | undefined;
  for (const param of params) {
    const [key, ...value] = param.split('=');
    if (key.trim().toLowerCase() === 'charset') charset = value.join('=').trim().replace(/^"|"$/g, '').toLowerCase() || undefined;
  }
  return { mediaType, charset };
}

function accepts(mediaType: string, accept: string[]): boolean {
  return accept.some((entry) => {
    const prefix = entry.trim().toLowerCase().replace(/\*$/, '');
    return prefix === '' || prefix === '/' || mediaType.startsWith(prefix);
  });
}

function flattenHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function megabytes(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

export class SafeFetcher implements UrlFetcher {
  private readonly logger?: Logger;
  private readonly resolve: Resolver;
  private readonly loopbackPorts: ReadonlySet<number>;
  private readonly connectTimeoutMs: number;
  private readonly robots: RobotsCache;

  constructor(options: SafeFetcherOptions = {}) {
    this.logger = options.logger;
    this.resolve = options.resolve ?? defaultResolver;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.robots = new RobotsCache(USER_AGENT, options.now);
    const ports = options.allowLoopbackPorts ?? [];
    for (const port of ports) {
      if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`allowLoopbackPorts: ${port} is not an unprivileged port`);
    }
    this.loopbackPorts = new Set(ports);
    if (this.loopbackPorts.size > 0) {
      this.logger?.warn({ ports: [...this.loopbackPorts] }, 'SafeFetcher: loopback allowed on these ports (tests only)');
    }
  }

  async fetch(input: string, options: FetchOptions = {}): Promise<FetchedResource> {
    const settings = this.settings(options);
    return this.run(input, settings);
  }

  private settings(options: FetchOptions): Settings {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
      if (!RESERVED_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    if (options.ifNoneMatch !== undefined) http.validateHeaderValue('if-none-match', options.ifNoneMatch);
    if (options.ifModifiedSince !== undefined) http.validateHeaderValue('if-modified-since', options.ifModifiedSince);
    const positive = (value: number | undefined, fallback: number) =>
      value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
    return {
      maxBytes: Math.floor(positive(options.maxBytes, DEFAULT_MAX_BYTES)),
      timeoutMs: positive(options.timeoutMs, DEFAULT_TIMEOUT_MS),
      accept: options.accept && options.accept.length > 0 ? options.accept : undefined,
      maxRedirects: Math.max(0, Math.floor(options.maxRedirects ?? DEFAULT_MAX_REDIRECTS)),
      respectRobots: options.respectRobots ?? true,
      ifNoneMatch: options.ifNoneMatch,
      ifModifiedSince: options.ifModifiedSince,
      headers,
      truncate: false,
    };
  }

  /** One fetch with its own deadline; every failure leaves as a `FetchRefusedError`. */
  private async run(input: string, settings: Settings, parentSignal?: AbortSignal): Promise<FetchedResource> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
    const onParentAbort = () => controller.abort();
    parentSignal?.addEventListener('abort', onParentAbort, { once: true });
    const deadline = Date.now() + settings.timeoutMs;
    let current: URL | undefined;
    try {
      current = parseTarget(input);
      return await this.follow(current, settings, controller.signal, deadline, (url) => (current = url));
    } catch (err) {
      const refusal = this.toRefusal(err, controller.signal, settings, current);
      if (!parentSignal && this.logger) {
        const entry = { reason: refusal.reason, host: current?.host, detail: describe(err) };
        // A forbidden address is what an SSRF attempt looks like: worth a warning.
        if (refusal.reason === 'forbiddenAddress') this.logger.warn(entry, 'fetch refused');
        else this.logger.info(entry, 'fetch refused');
      }
      throw refusal;
    } finally {
      clearTimeout(timer);
      parentSignal?.removeEventListener('abort', onParentAbort);
    }
  }

  private async follow(
    start: URL,
    settings: Settings,
    signal: AbortSignal,
    deadline: number,
    onHop: (url: URL) => void,
  ): Promise<FetchedResource> {
    let url = start;
    let headers = { ...settings.headers };
    const conditional = settings.ifNoneMatch !== undefined || settings.ifModifiedSince !== undefined;
    for (let redirects = 0; ; redirects++) {
      const pinned = redirects === 0 && settings.pinned?.url.origin === url.origin ? settings.pinned : undefined;
      const target = pinned ? { ...pinned, url } : await this.validate(url, signal);
      if (settings.respectRobots) await this.checkRobots(target, signal, deadline);

      const requestHeaders: OutgoingHttpHeaders = {
        ...headers,
        host: url.host,
        'user-agent': USER_AGENT,
        accept: settings.accept ? settings.accept.map((a) => (a.endsWith('/') ? `${a}*` : a)).join(', ') : '*/*',
        'accept-encoding': 'gzip, deflate, br',
        connection: 'close',
      };
      if (settings.ifNoneMatch !== undefined) requestHeaders['if-none-match'] = settings.ifNoneMatch;
      if (settings.ifModifiedSince !== undefined) requestHeaders['if-modified-since'] = settings.ifModifiedSince;

      const res = await this.send(target, requestHeaders, signal, deadline);
      const status = res.statusCode ?? 0;

      if (REDIRECT_STATUSES.has(status) && res.headers.location) {
        res.destroy();
        if (redirects >= settings.maxRedirects) throw refused('tooManyRedirects', { max: settings.maxRedirects });
        const next = parseTarget(res.headers.location, url);
        if (next.origin !== url.origin) {
          for (const name of ORIGIN_BOUND_HEADERS) delete headers[name];
        }
        if (url.protocol === 'https:' && next.protocol === 'http:') {
          this.logger?.info({ from: url.origin, to: next.origin }, 'fetch: redirect downgrades https to http');
          headers = {};
        }
        url = next;
        onHop(url);
        continue;
      }

      const base = { url: url.href, status, headers: flattenHeaders(res) };
      const { mediaType, charset } = parseContentType(res.headers['content-type']);
      if (status === 304 && conditional) {
        res.destroy();
        return { ...base, contentType: mediaType, charset, body: Buffer.alloc(0), notModified: true };
      }
      if (status < 200 || status > 299) {
        res.destroy();
        throw refused('httpStatus', { status });
      }
      if (settings.accept && !accepts(mediaType, settings.accept)) {
        res.destroy();
        throw refused('contentType', { contentType: mediaType });
      }
      const body = await readBody(res, { maxBytes: settings.maxBytes, truncate: settings.truncate, signal });
      return { ...base, contentType: mediaType, charset, body, notModified: false };
    }
  }

  /** Name and port policy, then resolution; every answer must be public. */
  private async validate(url: URL, signal: AbortSignal): Promise<Target> {
    const port = effectivePort(url);
    const host = unbracket(url.hostname);
    const literal = net.isIP(host) !== 0;
    const loopbackAllowed = this.loopbackPorts.has(port);
    const check = (answer: string): Target['addresses'][number] => {
      if (loopbackAllowed && isExactLoopback(answer)) {
        const address = unbracket(answer);
        return { address, family: net.isIP(address) === 6 ? 6 : 4 };
      }
      const verdict = classifyAddress(answer);
      // ANY forbidden answer refuses the host: a name that can point inside is not fetched at all.
      if (!verdict.allowed) throw refused('forbiddenAddress', { host: url.hostname }, `${answer}: ${verdict.range}`);
      return { address: verdict.address, family: verdict.family };
    };

    // What can be judged without DNS first (so `127.0.0.1:22` says "private address", not "bad port").
    let hostname = host;
    if (literal) {
      check(host);
    } else {
      const verdict = classifyHostname(host);
      if (!verdict.allowed) throw refused('forbiddenAddress', { host: url.hostname }, verdict.reason);
      hostname = verdict.hostname;
    }
    if (!isAllowedPort(port)) throw refused('invalidUrl', {}, `port ${port}`);

    const answers = literal ? [host] : await this.lookup(hostname, signal);
    if (answers.length === 0) throw refused('dnsFailure', { host: url.hostname });
    const addresses = answers.map(check);
    // IPv4 first: an IPv6 route is more often missing than an IPv4 one.
    addresses.sort((a, b) => a.family - b.family);
    return { url, hostname, port, addresses };
  }

  private async lookup(hostname: string, signal: AbortSignal): Promise<string[]> {
    if (signal.aborted) throw signal.reason;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new DOMException('aborted', 'AbortError'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.resolve(hostname), aborted]);
    } catch (err) {
      if (signal.aborted) throw err;
      throw refused('dnsFailure', { host: hostname }, describe(err));
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  private async checkRobots(target: Target, signal: AbortSignal, deadline: number): Promise<void> {
    const { url } = target;
    let decide = this.robots.lookup(url.origin);
    if (!decide) decide = this.robots.store(url.origin, await this.fetchRobots(target, signal, deadline));
    if (!decide(url.href)) throw refused('robots', { host: url.hostname });
  }

  private async fetchRobots(target: Target, signal: AbortSignal, deadline: number): Promise<RobotsOutcome> {
    const { url } = target;
    const robotsUrl = `${url.origin}/robots.txt`;
    try {
      const res = await this.run(
        robotsUrl,
        {
          maxBytes: ROBOTS_MAX_BYTES,
          timeoutMs: Math.max(1, deadline - Date.now()),
          maxRedirects: 5,
          respectRobots: false,
          headers: {},
          truncate: true,
          pinned: target,
        },
        signal,
      );
      return { kind: 'rules', text: res.body.toString('utf8') };
    } catch (err) {
      // robots.txt ran out of the page's own time: that is the page's timeout, not a robots refusal
      if (signal.aborted || (err instanceof FetchRefusedError && err.reason === 'timeout')) throw err;
      const reason = err instanceof FetchRefusedError ? err.reason : 'unreachable';
      const status = err instanceof FetchRefusedError ? Number(err.params.status) : NaN;
      this.logger?.debug({ origin: url.origin, reason, status }, 'robots.txt unavailable');
      if (reason === 'httpStatus' && status >= 400 && status < 500) return { kind: 'allowAll' };
      if (reason === 'tooManyRedirects' || reason === 'forbiddenAddress' || reason === 'invalidUrl' || reason === 'badScheme') {
        return { kind: 'allowAll' };
      }
      return { kind: 'disallowAll' };
    }
  }

  /** Connects to the validated addresses in turn (by IP: no second lookup) until one answers. */
  private async send(target: Target, headers: OutgoingHttpHeaders, signal: AbortSignal, deadline: number): Promise<IncomingMessage> {
    const candidates = target.addresses.slice(0, MAX_CONNECT_ATTEMPTS);
    let lastError: unknown;
    for (const candidate of candidates) {
      try {
        return await this.attempt(target, candidate, headers, signal, deadline);
      } catch (err) {
        lastError = err;
        if (!(err instanceof ConnectError) || signal.aborted) throw err;
        this.logger?.debug({ host: target.hostname, address: candidate.address, err: describe(err.cause) }, 'fetch: connect failed');
      }
    }
    throw lastError;
  }

  private attempt(
    target: Target,
    candidate: { address: string; family: 4 | 6 },
    headers: OutgoingHttpHeaders,
    signal: AbortSignal,
    deadline: number,
  ): Promise<IncomingMessage> {
    const secure = target.url.protocol === 'https:';
    this.logger?.debug({ host: target.hostname, address: candidate.address, port: target.port }, 'fetch: connecting');
    return new Promise((resolve, reject) => {
      let connected = false;
      const options: https.RequestOptions = {
        host: candidate.address,
        family: candidate.family,
        port: target.port,
        method: 'GET',
        path: `${target.url.pathname}${target.url.search}`,
        headers,
        agent: false,
        signal,
        // Never consulted when `host` is an IP; pinned anyway so no code path can resolve the name again.
        lookup: (_hostname, opts, callback) => {
          const cb = callback as (...args: unknown[]) => void;
          if ((opts as { all?: boolean }).all) cb(null, [{ address: candidate.address, family: candidate.family }]);
          else cb(null, candidate.address, candidate.family);
        },
      };
      if (secure && net.isIP(target.hostname) === 0) options.servername = target.hostname;
      const req = (secure ? https : http).request(options);
      const connectTimer = setTimeout(
        () => req.destroy(new ConnectTimeout()),
        Math.max(1, Math.min(this.connectTimeoutMs, deadline - Date.now())),
      );
      req.on('socket', (socket) => {
        socket.once(secure ? 'secureConnect' : 'connect', () => {
          connected = true;
          clearTimeout(connectTimer);
        });
      });
      req.on('response', (res) => {
        clearTimeout(connectTimer);
        resolve(res);
      });
      req.on('error', (err) => {
        clearTimeout(connectTimer);
        reject(connected || signal.aborted ? err : new ConnectError(err));
      });
      req.end();
    });
  }

  private toRefusal(err: unknown, signal: AbortSignal, settings: Settings, url: URL | undefined): FetchRefusedError {
    if (err instanceof FetchRefusedError && err.reason !== 'timeout') return err;
    const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
    if (signal.aborted || err instanceof FetchRefusedError) return refused('timeout', { seconds: seconds(settings.timeoutMs) });
    if (isCapReached(err)) return refused('tooLarge', { megabytes: megabytes(settings.maxBytes) });
    const cause = err instanceof ConnectError ? err.cause : err;
    if (cause instanceof ConnectTimeout) {
      return refused('timeout', { seconds: seconds(Math.min(this.connectTimeoutMs, settings.timeoutMs)) }, 'connect timeout');
    }
    return refused('unreachable', { host: url?.hostname ?? '' }, describe(err));
  }
}

function describe(err: unknown): string {
  if (err instanceof ConnectError) return `connect: ${describe(err.cause)}`;
  if (err instanceof Refusal) return `${err.reason}${err.detail ? ` (${err.detail})` : ''}`;
  if (err instanceof FetchRefusedError) return err.reason;
  if (err instanceof Error) return `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}`;
  return String(err);
}
