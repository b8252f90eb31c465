import { parseRetryAfter } from '../../../shared/http/retry-after.js';

/** The SMS provider port: one adapter per vendor (Brevo, Twilio) plus the sandbox. */

export type SmsProviderCode = 'brevo' | 'twilio' | 'sandbox';

export interface OutgoingSms {
  tenantId: string;
  /** E.164 recipient. */
  to: string;
  /** Sender id: ≤ 11 alphanumeric characters, or a number. */
  from: string;
  text: string;
  /** Unique per campaign and contact; the vendors below have no idempotency header, so it is our claim that keeps sends single. */
  idempotencyKey: string;
}

export interface SmsSendResult {
  externalId: string;
  segments?: number;
  costMicros?: number;
}

/**
 * A vendor refused or failed. `temporary` (429, 5xx, network, credits or auth to be fixed by an admin) is retried
 * with backoff; `permanent` (invalid or blocked number, content refused) fails the message with its reason.
 */
export class SmsSendError extends Error {
  constructor(
    readonly kind: 'temporary' | 'permanent',
    /** i18n key `sms.errors.<code>`. */
    readonly code: string,
    message: string,
    readonly options: { retryAfterMs?: number; status?: number } = {},
  ) {
    super(message);
    this.name = 'SmsSendError';
  }
}

/** What the webhook route hands to an adapter: the public URL the vendor called, headers, parsed body and query. */
export interface InboundRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  query: Record<string, unknown>;
}

export type InboundSmsEvent =
  | { kind: 'reply'; from: string; to: string | null; text: string; providerMessageId: string | null; optOut: boolean }
  | { kind: 'status'; providerMessageId: string; status: 'sent' | 'delivered' | 'failed'; errorCode: string | null };

/** The webhook's authentication failed (bad signature or token): answered 403, nothing recorded. */
export class InboundRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InboundRejectedError';
  }
}

export interface SmsProvider {
  readonly code: SmsProviderCode;
  send(message: OutgoingSms): Promise<SmsSendResult>;
  /** Authenticates a webhook call and reads its events; throws InboundRejectedError when not authentic. */
  parseInbound(request: InboundRequest): InboundSmsEvent[];
}

/** What a provider adapter is built from: a `platform_connectors` row, secrets decrypted. */
export interface SmsConnectorSettings {
  /** Base URL override (the emulator in tests); the vendor's public API otherwise. */
  baseUrl?: string;
  /** Sender id or number used instead of the tenant's derived sender id. */
  sender?: string;
  pricePerSegmentMicros?: number;
  currency?: string;
  /** Messages per second the worker keeps under (default 5). */
  ratePerSecond?: number;
  stopMention?: string;
  /** Twilio: the account SID. */
  accountSid?: string;
  /** Twilio: where delivery reports are posted (our `/webhooks/sms/twilio`). */
  statusCallbackUrl?: string;
}

export function headerValue(headers: InboundRequest['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Classifies an HTTP status the vendors share: 429 and 5xx (and 401/402/403, which an admin can fix) are temporary. */
export function kindOfStatus(status: number): 'temporary' | 'permanent' {
  return status === 429 || status >= 500 || status === 401 || status === 402 || status === 403 ? 'temporary' : 'permanent';
}

/** The provider's Retry-After, capped at an hour. */
export function retryAfterMs(value: string | null): number | undefined {
  const ms = parseRetryAfter(value);
  return ms === undefined ? undefined : Math.min(ms, 3_600_000);
}

/** fetch with a deadline; network failures and timeouts become temporary SmsSendErrors. */
export async function postWithDeadline(url: string, init: RequestInit, timeoutMs = 15_000): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    throw new SmsSendError('temporary', 'sms.errors.network', `network error: ${(err as Error).message}`);
  }
}
