import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local emulator of the two SMS APIs the adapters call, on 127.0.0.1 (random port):
 * - Brevo: `POST /brevo/v3/transactionalSMS/send` (and the deprecated `/sms`), `api-key` header, JSON body
 *   { sender, recipient, content, type, unicodeEnabled, tag } → 201 { messageId, smsCount }.
 * - Twilio: `POST /twilio/2010-04-01/Accounts/{Sid}/Messages.json`, Basic auth (Sid:AuthToken), form body
 *   To/From/Body/StatusCallback → 201 { sid, status: 'queued', num_segments, … }.
 * It checks credentials and required fields as the vendors do, records every accepted message, and injects
 * faults (429 with Retry-After, 500, 400 with the vendor's error shape) for the next N calls.
 */

export type SmsVendor = 'brevo' | 'twilio';

export interface EmulatedSms {
  vendor: SmsVendor;
  id: string;
  to: string;
  from: string;
  text: string;
  body: Record<string, string | boolean | undefined>;
  receivedAt: Date;
}

export interface SmsFault {
  vendor: SmsVendor;
  status: 400 | 429 | 500;
  /** How many calls fail before the emulator answers normally again (default 1). */
  times?: number;
  /** Only calls to this recipient (E.164) fail. */
  to?: string;
}

export const BREVO_TEST_KEY = 'xkeysib-test-key';
export const TWILIO_TEST_SID = 'AC00000000000000000000000000000001';
export const TWILIO_TEST_TOKEN = 'twilio-test-auth-token';

export class SmsEmulator {
  readonly messages: EmulatedSms[] = [];
  /** Every call received, accepted or not (vendor, status answered). */
  readonly calls: { vendor: SmsVendor; status: number }[] = [];
  private faults: (SmsFault & { left: number })[] = [];
  private server: http.Server | undefined;
  private counter = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(err) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  baseUrl(vendor: SmsVendor): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/${vendor}`;
  }

  reset(): void {
    this.messages.length = 0;
    this.calls.length = 0;
    this.faults = [];
  }

  fail(fault: SmsFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  sentTo(phone: string): EmulatedSms[] {
    return this.messages.filter((m) => m.to === phone);
  }

  private takeFault(vendor: SmsVendor, to: string): SmsFault | undefined {
    const fault = this.faults.find((f) => f.vendor === vendor && f.left > 0 && (!f.to || f.to === to));
    if (fault) fault.left -= 1;
    return fault;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://emulator');
    const send = (vendor: SmsVendor, status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ vendor, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (req.method === 'POST' && /^\/brevo\/v3\/transactionalSMS\/(send|sms)$/.test(url.pathname)) {
      if (req.headers['api-key'] !== BREVO_TEST_KEY) return send('brevo', 401, { code: 'unauthorized', message: 'Key not found' });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw);
      } catch {
        return send('brevo', 400, { code: 'bad_request', message: 'invalid JSON' });
      }
      const recipient = String(body.recipient ?? '');
      const to = `+${recipient}`;
      if (typeof body.sender !== 'string' || !body.sender || body.sender.length > 15 || typeof body.content !== 'string' || !body.content) {
        return send('brevo', 400, { code: 'missing_parameter', message: 'sender, recipient and content are required' });
      }
      if (!/^[1-9]\d{6,14}$/.test(recipient)) return send('brevo', 400, { code: 'invalid_parameter', message: 'Invalid phone number' });
      const fault = this.takeFault('brevo', to);
      if (fault?.status === 429) return send('brevo', 429, { code: 'too_many_requests', message: 'Too many requests' }, { 'retry-after': '1' });
      if (fault?.status === 500) return send('brevo', 500, { code: 'internal_error', message: 'Internal error' });
      if (fault?.status === 400) return send('brevo', 400, { code: 'invalid_parameter', message: 'Invalid phone number' });
      const id = String(1511882900000000 + ++this.counter);
      const smsCount = segmentsOf(body.content as string);
      this.messages.push({ vendor: 'brevo', id, to, from: body.sender, text: body.content as string, body: body as EmulatedSms['body'], receivedAt: new Date() });
      return send('brevo', 201, { messageId: Number(id), smsCount });
    }
    const twilio = /^\/twilio\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
    if (req.method === 'POST' && twilio) {
      const expected = `Basic ${Buffer.from(`${TWILIO_TEST_SID}:${TWILIO_TEST_TOKEN}`).toString('base64')}`;
      if (twilio[1] !== TWILIO_TEST_SID || req.headers.authorization !== expected) {
        return send('twilio', 401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
      }
      const form = Object.fromEntries(new URLSearchParams(raw));
      if (!form.To || !form.From || !form.Body) return send('twilio', 400, { code: 21604, message: "A 'To', 'From' and 'Body' are required", status: 400 });
      if (!/^\+[1-9]\d{6,14}$/.test(form.To)) return send('twilio', 400, { code: 21211, message: `The 'To' number ${form.To} is not a valid phone number.`, status: 400 });
      const fault = this.takeFault('twilio', form.To);
      if (fault?.status === 429) return send('twilio', 429, { code: 20429, message: 'Too Many Requests', status: 429 }, { 'retry-after': '1' });
      if (fault?.status === 500) return send('twilio', 500, { code: 20500, message: 'Internal Server Error', status: 500 });
      if (fault?.status === 400) return send('twilio', 400, { code: 21211, message: `The 'To' number ${form.To} is not a valid phone number.`, status: 400 });
      const sid = `SM${crypto.randomBytes(16).toString('hex')}`;
      this.messages.push({ vendor: 'twilio', id: sid, to: form.To, from: form.From, text: form.Body, body: form, receivedAt: new Date() });
      return send('twilio', 201, {
        sid,
        account_sid: TWILIO_TEST_SID,
        to: form.To,
        from: form.From,
        body: form.Body,
        status: 'queued',
        num_segments: String(segmentsOf(form.Body)),
        price: null,
        price_unit: 'USD',
        error_code: null,
        error_message: null,
      });
    }
    send(url.pathname.startsWith('/twilio') ? 'twilio' : 'brevo', 404, { message: 'not found' });
  }
}

/** A rough segment count, enough for the emulator's answers (the app computes its own exactly). */
function segmentsOf(text: string): number {
  const unicode = /[^\n\r\x20-\x7E£¥èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà€]/u.test(text);
  const length = [...text].length;
  const [single, part] = unicode ? [70, 67] : [160, 153];
  return length <= single ? 1 : Math.ceil(length / part);
}

export function startSmsEmulator(): Promise<SmsEmulator> {
  return new SmsEmulator().start();
}
