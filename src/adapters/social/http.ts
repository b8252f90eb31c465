import { PublishError, type AccountCredentials } from '../../modules/publishing/ports.js';
import { parseRetryAfter } from '../../shared/http/retry-after.js';

/**
 * One HTTP call to a social network, with the network's refusals turned into PublishError so the engine knows
 * whether to retry: network failure, timeout, 429 and 5xx are temporary (Retry-After honoured); 401 is a revoked
 * (or expired) token; 400/403/404/409/413/422 are permanent with a code the client can read.
 * Uses the global fetch (not the SSRF-safe fetcher): the hosts are the networks' own, or the platform's configured
 * override (the test emulator on localhost), never a user-supplied URL.
 */

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Raw bytes or multipart (the caller sets the content type of raw bytes). */
  body?: Buffer | FormData;
  timeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: any;
}

/** A network's own refinements of a refusal (e.g. X's duplicate text is a 403). Return a code, or undefined. */
export type RefusalClassifier = (status: number, body: any, text: string) => string | undefined;

const DEFAULT_TIMEOUT_MS = 30_000;

export async function callApi(network: string, request: ApiRequest, classify?: RefusalClassifier): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: BodyInit | undefined;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  } else if (request.body) {
    body = request.body instanceof FormData ? request.body : new Uint8Array(request.body);
  }
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(request.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (err) {
    throw new PublishError('temporary', 'networkUnavailable', `${network}: ${(err as Error).message}`);
  }
  const text = await response.text().catch(() => '');
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (response.ok) return { status: response.status, headers: response.headers, text, json };
  throw refusal(network, response.status, response.headers, json, text, classify);
}

function refusal(network: string, status: number, headers: Headers, json: any, text: string, classify?: RefusalClassifier): PublishError {
  const message = `${network} ${status}: ${text.replace(/\s+/g, ' ').slice(0, 500)}`;
  const options = { status };
  if (status === 429) return new PublishError('temporary', 'rateLimited', message, { ...options, retryAfterMs: retryAfterMs(headers) });
  if (status >= 500 || status === 408) return new PublishError('temporary', 'networkUnavailable', message, { ...options, retryAfterMs: retryAfterMs(headers) });
  const refined = classify?.(status, json, text);
  if (refined) return new PublishError('permanent', refined, message, options);
  if (status === 401) return new PublishError('permanent', /expired/i.test(text) ? 'tokenExpired' : 'tokenRevoked', message, options);
  if (status === 403) return new PublishError('permanent', 'permissionDenied', message, options);
  if (status === 413) return new PublishError('permanent', 'mediaRejected', message, options);
  return new PublishError('permanent', 'contentRejected', message, options);
}

/** Retry-After in seconds or as an HTTP date; X sends the window's end as epoch seconds in x-rate-limit-reset. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = headers.get('x-rate-limit-reset');
  if (reset && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset.trim()) * 1000 - now);
  return undefined;
}

/** The token endpoint's answer (RFC 6749 §5.1) as stored credentials; `previous` keeps a refresh token not rotated. */
export function credentialsFromTokenResponse(body: any, now: Date, previous?: AccountCredentials): AccountCredentials {
  if (!body || typeof body.access_token !== 'string') throw new PublishError('permanent', 'tokenRevoked', 'the token endpoint returned no access token');
  const expiresIn = Number(body.expires_in);
  const credentials: AccountCredentials = {
    accessToken: body.access_token,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : (previous?.refreshToken ?? null),
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(now.getTime() + expiresIn * 1000).toISOString() : null,
    extra: { ...previous?.extra },
  };
  const refreshIn = Number(body.refresh_token_expires_in);
  if (Number.isFinite(refreshIn) && refreshIn > 0) credentials.extra!.refreshExpiresAt = new Date(now.getTime() + refreshIn * 1000).toISOString();
  if (typeof body.scope === 'string') credentials.extra!.scope = body.scope;
  return credentials;
}

/**
 * A call to the token endpoint. A refused grant (400 invalid_grant, 401) means the user's authorisation is gone:
 * permanent tokenRevoked, so the account is marked and the client asked to reconnect. 5xx/429 stay temporary.
 */
export async function tokenRequest(network: string, url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<any> {
  const response = await callApi(network, { url, form, headers }, (status, body) => {
    if (status === 400 || status === 401) return body?.error === 'invalid_client' || body?.error === 'unauthorized_client' ? 'appRejected' : 'tokenRevoked';
    return undefined;
  });
  return response.json;
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
