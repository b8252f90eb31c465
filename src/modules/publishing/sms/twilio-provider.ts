import crypto from 'node:crypto';
import { safeEqual } from './brevo-provider.js';
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

export const TWILIO_API_URL = 'https://api.twilio.com';

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  baseUrl?: string;
  /** Public URL of `/webhooks/sms/twilio`, given as StatusCallback so delivery reports come back. */
  statusCallbackUrl?: string;
}

/** Twilio error codes that describe the recipient or the content: no retry will change them. */
const PERMANENT_TWILIO_CODES = new Set([21211, 21214, 21408, 21610, 21612, 21614, 21617, 21635, 30003, 30004, 30005, 30006, 30007]);

/** Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{Sid}/Messages.json`, Basic auth, form-encoded. */
export class TwilioSmsProvider implements SmsProvider {
  readonly code = 'twilio' as const;

  constructor(private readonly options: TwilioOptions) {}

  async send(message: OutgoingSms): Promise<SmsSendResult> {
    const base = (this.options.baseUrl ?? TWILIO_API_URL).replace(/\/+$/, '');
    const form = new URLSearchParams({ To: message.to, From: message.from, Body: message.text });
    if (this.options.statusCallbackUrl) form.set('StatusCallback', this.options.statusCallbackUrl);
    const auth = Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString('base64');
    const response = await postWithDeadline(`${base}/2010-04-01/Accounts/${encodeURIComponent(this.options.accountSid)}/Messages.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
    const payload = (await response.json().catch(() => ({}))) as { sid?: string; num_segments?: string; price?: string | null; code?: number; message?: string };
    if (!response.ok) {
      const vendorCode = typeof payload.code === 'number' ? payload.code : null;
      const kind = vendorCode !== null && PERMANENT_TWILIO_CODES.has(vendorCode) ? 'permanent' : kindOfStatus(response.status);
      const code =
        response.status === 429 ? 'rateLimited' : response.status >= 500 ? 'providerUnavailable' : response.status === 401 || response.status === 403 ? 'providerAuth' : vendorCode === 21610 ? 'recipientUnsubscribed' : vendorCode === 21211 || vendorCode === 21614 ? 'invalidNumber' : 'rejected';
      throw new SmsSendError(kind, `sms.errors.${code}`, `twilio ${response.status}: ${vendorCode ?? ''} ${payload.message ?? ''}`.trim(), {
        status: response.status,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      });
    }
    if (!payload.sid) throw new SmsSendError('temporary', 'sms.errors.providerUnavailable', 'twilio: no sid in the answer');
    const segments = Number(payload.num_segments);
    return { externalId: payload.sid, segments: Number.isInteger(segments) && segments > 0 ? segments : undefined };
  }

  /** Incoming messages (From, To, Body, MessageSid) and status callbacks (MessageSid, MessageStatus), signed. */
  parseInbound(request: InboundRequest): InboundSmsEvent[] {
    const signature = headerValue(request.headers, 'x-twilio-signature') ?? '';
    const params = stringParams(request.body);
    if (!signature || !safeEqual(signature, twilioSignature(this.options.authToken, request.url, params))) throw new InboundRejectedError('invalid X-Twilio-Signature');
    const sid = params.MessageSid ?? params.SmsSid ?? null;
    if (params.MessageStatus && sid && !params.Body) {
      const status = params.MessageStatus;
      if (status === 'delivered') return [{ kind: 'status', providerMessageId: sid, status: 'delivered', errorCode: null }];
      if (status === 'sent') return [{ kind: 'status', providerMessageId: sid, status: 'sent', errorCode: null }];
      if (status === 'failed' || status === 'undelivered') return [{ kind: 'status', providerMessageId: sid, status: 'failed', errorCode: params.ErrorCode ?? status }];
      return [];
    }
    if (params.From && params.Body !== undefined) {
      return [{ kind: 'reply', from: params.From, to: params.To ?? null, text: params.Body, providerMessageId: sid, optOut: params.OptOutType === 'STOP' }];
    }
    return [];
  }
}

/** Twilio's request signature: base64 HMAC-SHA1, keyed by the auth token, of the URL followed by each POST parameter name+value, sorted by name. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return crypto.createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

function stringParams(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body ?? {})) if (typeof value === 'string') out[key] = value;
  return out;
}
