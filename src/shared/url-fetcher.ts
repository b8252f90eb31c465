import { AppError } from './errors.js';

/**
 * The port every user-supplied URL goes through (onboarding now, competitive watch later). The one adapter,
 * `src/adapters/fetch/safe-fetcher.ts`, refuses private, loopback, link-local, CGNAT, multicast and metadata
 * addresses on every DNS answer it connects to and after every redirect.
 */
export interface FetchOptions {
  /** Refuse bodies larger than this (default 5 MB); streaming stops at the cap. */
  maxBytes?: number;
  /** Whole request, redirects included (default 10 s). */
  timeoutMs?: number;
  /** Accepted content types (prefixes such as `text/html`, `application/pdf`); others are refused. */
  accept?: string[];
  maxRedirects?: number;
  /** Honour robots.txt for this user agent (default true for pages, false for feeds a user subscribed to). */
  respectRobots?: boolean;
  /** Conditional GET (watch). */
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  headers?: Record<string, string>;
}

export interface FetchedResource {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  /** Lower-cased media type without parameters, e.g. `text/html`. */
  contentType: string;
  charset?: string;
  headers: Record<string, string>;
  body: Buffer;
  /** 304 to a conditional request: `body` is empty. */
  notModified: boolean;
}

export type FetchRefusal =
  | 'invalidUrl'
  | 'badScheme'
  | 'forbiddenAddress'
  | 'dnsFailure'
  | 'unreachable'
  | 'timeout'
  | 'tooLarge'
  | 'tooManyRedirects'
  | 'contentType'
  | 'robots'
  | 'httpStatus';

/** A clear, user-facing refusal: the code is the i18n key `fetch.errors.<reason>`. */
export class FetchRefusedError extends AppError {
  constructor(
    readonly reason: FetchRefusal,
    params: Record<string, unknown> = {},
  ) {
    super(`fetch.errors.${reason}`, 422, params);
    this.name = 'FetchRefusedError';
  }
}

export interface UrlFetcher {
  fetch(url: string, options?: FetchOptions): Promise<FetchedResource>;
}
