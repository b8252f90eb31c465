import crypto from 'node:crypto';
import { isGsm7Text } from '../../studio/sms-segments.js';
import {
  headerValue,
  InboundRejectedError,
  kindOfStatus,
  postWithDeadline,
  retryAfterMs,
  SmsSendError,
  type InboundRequest,
  type InboundSmsEvent,
  type OutgoingSms,
  type SmsProvider,
  type SmsSendResult,
} from './provider.js';

export const BREVO_API_URL = 'https://api.brevo.com';

export interface BrevoOptions {
  apiKey: string;
  /** Secret expected as `?token=` on the webhook URL configured in Brevo (Brevo does not sign its webhooks). */
  webhookToken?: string;
  baseUrl?: string;
  tag?: string;
}

/**
 * Brevo transactional SMS (`POST /v3/transactionalSMS/send`, `api-key` header; the older `/sms` path is
 * deprecated by Brevo with the same request body). `type: 'marketing'` makes Brevo apply its marketing routes
 * and substitute its STOP code; the recipient is given as digits with the country code, without '+'.
 */
export class BrevoSmsProvider implements SmsProvider {
  readonly code = 'brevo' as const;

  constructor(private readonly options: BrevoOptions) {}

  async send(message: OutgoingSms): Promise<SmsSendResult> {
    const base = (this.options.baseUrl ?? BREVO_API_URL).replace(/\/+$/, '');
    const response = await postWithDeadline(`${base}/v3/transactionalSMS/send`, {
      method: 'POST',
      headers: { 'api-key': this.options.apiKey, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        sender: message.from,
        recipient: message.to.replace(/^\+/, ''),
        content: message.text,
        type: 'marketing',
        unicodeEnabled: !isGsm7Text(message.text),
        tag: this.options.tag ?? 'cadence',
      }),
    });
    const payload = (await response.json().catch(() => ({}))) as { messageId?: number | string; smsCount?: number; code?: string; message?: string };
    if (!response.ok) {
      const kind = kindOfStatus(response.status);
      const code = response.status === 429 ? 'rateLimited' : response.status >= 500 ? 'providerUnavailable' : response.status === 402 ? 'providerCredits' : response.status === 401 || response.status === 403 ? 'providerAuth' : 'rejected';
      throw new SmsSendError(kind, `sms.errors.${code}`, `brevo ${response.status}: ${payload.code ?? ''} ${payload.message ?? ''}`.trim(), {
        status: response.status,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      });
    }
    if (payload.messageId === undefined || payload.messageId === null) throw new SmsSendError('temporary', 'sms.errors.providerUnavailable', 'brevo: no messageId in the answer');
    return { externalId: String(payload.messageId), segments: typeof payload.smsCount === 'number' ? payload.smsCount : undefined };
  }

  /**
   * Brevo's transactional SMS webhook posts JSON events (`msg_status`: sent, delivered, softBounce, hardBounce,
   * replied with `reply`, unsubscribed…); numbers come without '+'. Authenticated by the URL's secret token.
   */
  parseInbound(request: InboundRequest): InboundSmsEvent[] {
    const token = typeof request.query.token === 'string' ? request.query.token : headerValue(request.headers, 'x-cadence-token') ?? '';
    if (!this.options.webhookToken || !safeEqual(token, this.options.webhookToken)) throw new InboundRejectedError('brevo webhook token mismatch');
    const events = Array.isArray(request.body) ? (request.body as Record<string, unknown>[]) : [request.body];
    return events.flatMap((event): InboundSmsEvent[] => {
      const status = String(event.msg_status ?? event.event ?? '').toLowerCase();
      const id = event.messageId ?? event.message_id ?? event.id;
      const providerMessageId = id === undefined || id === null ? null : String(id);
      const number = plusPrefixed(event.to ?? event.phone_number ?? event.from);
      if (status === 'replied' || status === 'reply' || status === 'unsubscribed' || status === 'unsubscribe') {
        if (!number) return [];
        const text = typeof event.reply === 'string' ? event.reply : typeof event.text === 'string' ? event.text : 'STOP';
        return [{ kind: 'reply', from: number, to: null, text, providerMessageId: providerMessageId ? `reply:${providerMessageId}` : null, optOut: status.startsWith('unsubscribe') }];
      }
      if (!providerMessageId) return [];
      if (status === 'delivered') return [{ kind: 'status', providerMessageId, status: 'delivered', errorCode: null }];
      if (status === 'sent' || status === 'accepted') return [{ kind: 'status', providerMessageId, status: 'sent', errorCode: null }];
      if (status.includes('bounce') || status === 'rejected' || status === 'blacklisted') return [{ kind: 'status', providerMessageId, status: 'failed', errorCode: status }];
      return [];
    });
  }
}

function plusPrefixed(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const digits = String(value).replace(/[^\d+]/g, '');
  const e164 = digits.startsWith('+') ? digits : `+${digits.replace(/^00/, '')}`;
  return /^\+[1-9]\d{6,14}$/.test(e164) ? e164 : null;
}

export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}
