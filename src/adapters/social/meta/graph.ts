import crypto from 'node:crypto';
import { PublishError, type OAuthApp } from '../../../modules/publishing/ports.js';
import { retryAfterMs, trimSlash } from '../http.js';

/**
 * Meta's Graph API (Facebook Pages and Instagram professional accounts). Graph reports most refusals as HTTP 400
 * with `{ error: { code, error_subcode, is_transient } }` — including rate limits and expired tokens — so the
 * shared status-based mapping of ../http.ts is not enough: this module reads the Graph error code.
 */
export const GRAPH_VERSION = 'v23.0';
export const GRAPH_API_BASE = 'https://graph.facebook.com';
export const FACEBOOK_AUTH_BASE = 'https://www.facebook.com';

/** Graph's throttling lasts "up to an hour"; without Meta's own estimate the engine waits this long. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 15 * 60_000;
const TIMEOUT_MS = 30_000;

export function graphBase(app: OAuthApp): string {
  return `${trimSlash(app.apiBaseUrl || GRAPH_API_BASE)}/${GRAPH_VERSION}`;
}

export function dialogUrl(app: OAuthApp): string {
  return `${trimSlash(app.authBaseUrl || FACEBOOK_AUTH_BASE)}/${GRAPH_VERSION}/dialog/oauth`;
}

/** `appsecret_proof`: proves the call comes from the app's server (required when the app enables "Require App Secret"). */
export function appSecretProof(accessToken: string, appSecret: string): string {
  return crypto.createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

export interface GraphRequest {
  method?: 'GET' | 'POST';
  /** Path under the versioned base, e.g. `/123/feed`. */
  path: string;
  query?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  multipart?: FormData;
  /** The user or page token; sent as a bearer header (never in the URL) with its appsecret_proof. */
  accessToken?: string;
}

export async function graphCall(app: OAuthApp, request: GraphRequest, network = 'facebook'): Promise<any> {
  const url = new URL(`${graphBase(app)}${request.path}`);
  for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.accessToken) {
    headers.authorization = `Bearer ${request.accessToken}`;
    url.searchParams.set('appsecret_proof', appSecretProof(request.accessToken, app.clientSecret));
  }
  let body: BodyInit | undefined;
  if (request.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  } else if (request.multipart) {
    body = request.multipart;
  }
  let response: Response;
  try {
    response = await fetch(url, { method: request.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
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
  if (response.ok && !json?.error) return json;
  throw graphRefusal(network, response.status, response.headers, json, text);
}

// Graph error codes (developers.facebook.com/docs/graph-api/guides/error-handling).
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613]);
const TOKEN_EXPIRED_SUBCODES = new Set([463, 467]);
const MEDIA_CODES = new Set([324, 352, 9004, 36000, 36001, 36003, 36004]);

/** A Graph refusal as a PublishError the engine can act on. Exported for unit tests of the mapping. */
export function graphRefusal(network: string, status: number, headers: Headers, json: any, text: string): PublishError {
  const error = json?.error ?? {};
  const code = Number(error.code);
  const subcode = Number(error.error_subcode);
  const message = `${network} ${status}${Number.isFinite(code) ? ` (code ${code}${Number.isFinite(subcode) ? `/${subcode}` : ''})` : ''}: ${String(error.message ?? text).replace(/\s+/g, ' ').slice(0, 400)}`;
  const options = { status };
  if (status === 429 || RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80014)) {
    return new PublishError('temporary', 'rateLimited', message, { ...options, retryAfterMs: retryAfterMs(headers) ?? usageWaitMs(headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS });
  }
  // Code 1 is both "unknown, retry" and the token endpoint's "Error validating client secret" (permanent).
  const appRefused = code === 101 || /client secret|validating application/i.test(String(error.message ?? ''));
  if (appRefused) return new PublishError('permanent', 'appRejected', message, options);
  if (status >= 500 || status === 408 || error.is_transient === true || code === 1 || code === 2 || code === 9007) {
    return new PublishError('temporary', 'networkUnavailable', message, { ...options, retryAfterMs: retryAfterMs(headers) });
  }
  if (code === 190 || code === 102 || status === 401) {
    return new PublishError('permanent', TOKEN_EXPIRED_SUBCODES.has(subcode) ? 'tokenExpired' : 'tokenRevoked', message, options);
  }
  if (code === 10 || (code >= 200 && code <= 299) || status === 403) return new PublishError('permanent', 'permissionDenied', message, options);
  if (code === 506) return new PublishError('permanent', 'duplicateContent', message, options);
  if (MEDIA_CODES.has(code) || status === 413) return new PublishError('permanent', 'mediaRejected', message, options);
  if (code === 803 || status === 404) return new PublishError('permanent', 'accountNotConnected', message, options);
  return new PublishError('permanent', 'contentRejected', message, options);
}

/**
 * Meta's throttling headers (X-Business-Use-Case-Usage, X-App-Usage…) carry `estimated_time_to_regain_access` in
 * minutes; the longest one is how long to wait.
 */
function usageWaitMs(headers: Headers): number | undefined {
  let minutes: number | undefined;
  for (const name of ['x-business-use-case-usage', 'x-app-usage', 'x-page-usage', 'x-ad-account-usage']) {
    const raw = headers.get(name);
    if (!raw) continue;
    for (const match of raw.matchAll(/"estimated_time_to_regain_access"\s*:\s*(\d+)/g)) {
      const value = Number(match[1]);
      if (value > 0) minutes = Math.max(minutes ?? 0, value);
    }
  }
  return minutes === undefined ? undefined : minutes * 60_000;
}

