import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local emulator of the few Stripe API endpoints the Stripe adapter calls, on 127.0.0.1 (random port), spoken to
 * by the official `stripe` SDK pointed at it (`host`/`port`/`protocol`):
 * - `POST /v1/customers`, `POST /v1/checkout/sessions` (mode setup), `GET /v1/setup_intents/:id` (with
 *   `expand[]=payment_method`), `POST /v1/payment_intents` (confirm + off_session);
 * - form-encoded bodies with bracketed keys, `Authorization: Bearer <secret key>`, `Idempotency-Key` replayed as
 *   Stripe does (same key → same answer, no second object);
 * - faults: `declineNext()` answers the next PaymentIntent with a 402 `card_error`.
 * It also plays the customer's side (`completeSetup`: a card saved on the hosted page) and builds webhook events
 * signed with Stripe's scheme (`Stripe-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<body>")>`).
 */

export const STRIPE_TEST_SECRET_KEY = 'sk_test_emulator_0123456789';
export const STRIPE_TEST_WEBHOOK_SECRET = 'whsec_emulator_0123456789';

type StripeObject = Record<string, unknown> & { id: string };

export class StripeEmulator {
  readonly customers = new Map<string, StripeObject>();
  readonly sessions = new Map<string, StripeObject>();
  readonly setupIntents = new Map<string, StripeObject>();
  readonly paymentMethods = new Map<string, StripeObject>();
  readonly paymentIntents = new Map<string, StripeObject>();
  /** Every call received: method, path, status answered, idempotency key. */
  readonly calls: { method: string; path: string; status: number; idempotencyKey: string | null }[] = [];
  private readonly replies = new Map<string, { status: number; body: unknown }>();
  private declines = 0;
  private counter = 0;
  private server: http.Server | undefined;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(err) } })));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get baseUrl(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  declineNext(times = 1): void {
    this.declines += times;
  }

  /** The customer saves a card on the hosted page of a setup session: the `checkout.session.completed` event Stripe sends. */
  completeSetup(sessionId: string, card: { brand?: string; last4?: string; expMonth?: number; expYear?: number } = {}): StripeObject {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`unknown session ${sessionId}`);
    const pm: StripeObject = {
      id: this.id('pm'),
      object: 'payment_method',
      type: 'card',
      customer: session.customer,
      card: { brand: card.brand ?? 'visa', last4: card.last4 ?? '4242', exp_month: card.expMonth ?? 12, exp_year: card.expYear ?? 2030 },
    };
    this.paymentMethods.set(pm.id, pm);
    const intent = this.setupIntents.get(String(session.setup_intent))!;
    Object.assign(intent, { status: 'succeeded', payment_method: pm.id });
    Object.assign(session, { status: 'complete' });
    return this.event('checkout.session.completed', { ...session });
  }

  /** A webhook event wrapping `object`, as Stripe sends it. */
  event(type: string, object: Record<string, unknown>): StripeObject {
    return { id: this.id('evt'), object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, type, data: { object } };
  }

  /** The raw body and `Stripe-Signature` header of an event, signed with `secret` at `timestamp` (seconds). */
  signed(event: object, secret = STRIPE_TEST_WEBHOOK_SECRET, timestamp = Math.floor(Date.now() / 1000)): { body: string; signature: string } {
    const body = JSON.stringify(event);
    const v1 = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
    return { body, signature: `t=${timestamp},v1=${v1}` };
  }

  private id(prefix: string): string {
    return `${prefix}_emu${String(++this.counter).padStart(6, '0')}${crypto.randomBytes(4).toString('hex')}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const params = parseForm(method === 'GET' ? url.searchParams.toString() : Buffer.concat(chunks).toString('utf8'));
    const send = (status: number, body: unknown) => {
      this.calls.push({ method, path: url.pathname, status, idempotencyKey: key });
      if (key && method === 'POST') this.replies.set(`${url.pathname}:${key}`, { status, body });
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${this.counter}` }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${STRIPE_TEST_SECRET_KEY}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    const replay = key && method === 'POST' ? this.replies.get(`${url.pathname}:${key}`) : undefined;
    if (replay) {
      this.calls.push({ method, path: url.pathname, status: replay.status, idempotencyKey: key });
      res.writeHead(replay.status, { 'content-type': 'application/json', 'idempotent-replayed': 'true' }).end(JSON.stringify(replay.body));
      return;
    }
    const invalid = (message: string, param?: string) => send(400, { error: { type: 'invalid_request_error', message, param } });

    if (method === 'POST' && url.pathname === '/v1/customers') {
      const customer: StripeObject = { id: this.id('cus'), object: 'customer', name: params.name ?? null, email: params.email ?? null, metadata: params.metadata ?? {} };
      this.customers.set(customer.id, customer);
      return send(200, customer);
    }
    if (method === 'POST' && url.pathname === '/v1/checkout/sessions') {
      if (params.mode !== 'setup') return invalid('only setup mode is emulated', 'mode');
      if (!this.customers.has(String(params.customer))) return invalid(`No such customer: '${params.customer}'`, 'customer');
      if (!params.success_url || !params.cancel_url) return invalid('Missing required param: success_url.', 'success_url');
      const intent: StripeObject = { id: this.id('seti'), object: 'setup_intent', status: 'requires_payment_method', customer: params.customer, payment_method: null, metadata: (params.setup_intent_data as Record<string, unknown> | undefined)?.metadata ?? {} };
      this.setupIntents.set(intent.id, intent);
      const id = this.id('cs_test');
      const session: StripeObject = {
        id,
        object: 'checkout.session',
        mode: 'setup',
        status: 'open',
        customer: params.customer,
        setup_intent: intent.id,
        success_url: params.success_url,
        cancel_url: params.cancel_url,
        metadata: params.metadata ?? {},
        url: `${this.baseUrl}/pay/${id}`,
      };
      this.sessions.set(id, session);
      return send(200, session);
    }
    const setup = /^\/v1\/setup_intents\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && setup) {
      const intent = this.setupIntents.get(setup[1]);
      if (!intent) return send(404, { error: { type: 'invalid_request_error', message: `No such setupintent: '${setup[1]}'` } });
      const expand = ([] as unknown[]).concat(params.expand ?? []);
      const pm = intent.payment_method ? this.paymentMethods.get(String(intent.payment_method)) : null;
      return send(200, { ...intent, payment_method: expand.includes('payment_method') ? (pm ?? null) : intent.payment_method });
    }
    if (method === 'POST' && url.pathname === '/v1/payment_intents') {
      const amount = Number(params.amount);
      if (!Number.isInteger(amount) || amount < 50) return invalid('Amount must be at least 50 cents', 'amount');
      if (!this.customers.has(String(params.customer))) return invalid(`No such customer: '${params.customer}'`, 'customer');
      const pm = this.paymentMethods.get(String(params.payment_method));
      if (!pm || pm.customer !== params.customer) return invalid(`No such PaymentMethod: '${params.payment_method}'`, 'payment_method');
      const base = { object: 'payment_intent', amount, currency: params.currency, customer: params.customer, payment_method: pm.id, description: params.description ?? null, metadata: params.metadata ?? {} };
      if (this.declines > 0) {
        this.declines--;
        const intent: StripeObject = { id: this.id('pi'), ...base, status: 'requires_payment_method', amount_received: 0, latest_charge: null, last_payment_error: { code: 'card_declined', message: 'Your card was declined.', type: 'card_error' } };
        this.paymentIntents.set(intent.id, intent);
        return send(402, { error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', payment_intent: intent } });
      }
      const intent: StripeObject = { id: this.id('pi'), ...base, status: 'succeeded', amount_received: amount, latest_charge: this.id('ch') };
      this.paymentIntents.set(intent.id, intent);
      return send(200, intent);
    }
    return send(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname})` } });
  }
}

/** `a[b][c]=1&e[]=2&e[]=3` → { a: { b: { c: '1' } }, e: ['2', '3'] } (Stripe's form encoding). */
function parseForm(body: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = rawKey.replace(/\]/g, '').split('[');
    let node: any = out;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && (parts[i + 1] === '' || /^\d+$/.test(parts[i + 1]));
      if (last) {
        if (Array.isArray(node)) node.push(value);
        else node[part] = value;
        return;
      }
      if (Array.isArray(node)) {
        const child = nextIsIndex ? [] : {};
        node.push(child);
        node = child;
        return;
      }
      node[part] ??= nextIsIndex ? [] : {};
      node = node[part];
    });
  }
  return out;
}
