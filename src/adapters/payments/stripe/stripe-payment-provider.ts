import Stripe from 'stripe';
import {
  WebhookSignatureError,
  type ChargeOutcome,
  type PaymentEvent,
  type PaymentProvider,
  type SavedPaymentMethod,
  type VerifiedWebhook,
} from '../../../modules/billing/payment-ports.js';

export interface StripeCredentials {
  secretKey: string;
  webhookSecret?: string;
  /** Another API endpoint than Stripe's (an emulator in tests): `http://127.0.0.1:4010`. */
  apiBaseUrl?: string;
}

/** Webhooks older than this are refused (Stripe's default tolerance), so a captured body cannot be replayed later. */
const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Stripe through its official SDK: customers, Checkout in setup mode to save a card, off-session PaymentIntents to
 * charge invoices, and signed webhooks. The SDK does not retry (the invoice job and Stripe's webhook retries do),
 * and every object carries `tenant_id` (and `invoice_id`) in its metadata so webhooks find their tenant.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(private readonly credentials: StripeCredentials) {
    const endpoint = credentials.apiBaseUrl ? new URL(credentials.apiBaseUrl) : null;
    this.stripe = new Stripe(credentials.secretKey, {
      maxNetworkRetries: 0,
      timeout: 20_000,
      telemetry: false,
      ...(endpoint
        ? {
            host: endpoint.hostname,
            port: endpoint.port || (endpoint.protocol === 'http:' ? 80 : 443),
            protocol: endpoint.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
  }

  async createCustomer(input: { tenantId: string; name: string; email: string }): Promise<{ customerId: string }> {
    const customer = await this.stripe.customers.create(
      { name: input.name, email: input.email, metadata: { tenant_id: input.tenantId } },
      { idempotencyKey: `customer:${input.tenantId}` },
    );
    return { customerId: customer.id };
  }

  async createSetupSession(input: { tenantId: string; customerId: string; successUrl: string; cancelUrl: string }): Promise<{ sessionId: string; url: string }> {
    const session = await this.stripe.checkout.sessions.create({
      mode: 'setup',
      customer: input.customerId,
      currency: 'eur',
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      metadata: { tenant_id: input.tenantId },
      setup_intent_data: { metadata: { tenant_id: input.tenantId } },
    });
    if (!session.url) throw new Error('Stripe returned a Checkout session without URL');
    return { sessionId: session.id, url: session.url };
  }

  async chargeInvoice(input: Parameters<PaymentProvider['chargeInvoice']>[0]): Promise<ChargeOutcome> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: input.amountCents,
          currency: input.currency.toLowerCase(),
          customer: input.customerId,
          payment_method: input.paymentMethodId,
          off_session: true,
          confirm: true,
          description: input.invoiceNumber,
          metadata: { tenant_id: input.tenantId, invoice_id: input.invoiceId },
        },
        { idempotencyKey: input.idempotencyKey },
      );
      const status = intent.status === 'succeeded' ? 'succeeded' : intent.status === 'processing' ? 'pending' : 'failed';
      return {
        status,
        externalPaymentId: intent.id,
        externalChargeId: typeof intent.latest_charge === 'string' ? intent.latest_charge : (intent.latest_charge?.id ?? null),
        failureCode: status === 'failed' ? (intent.last_payment_error?.code ?? intent.status) : null,
        failureMessage: status === 'failed' ? (intent.last_payment_error?.message ?? null) : null,
      };
    } catch (err) {
      // A declined card is an answer, not an outage: the payment is recorded as failed.
      if (err instanceof Stripe.errors.StripeCardError) {
        const intent = (err.raw as { payment_intent?: { id?: string } } | undefined)?.payment_intent;
        return { status: 'failed', externalPaymentId: intent?.id ?? null, externalChargeId: null, failureCode: err.code ?? 'card_declined', failureMessage: err.message };
      }
      throw err;
    }
  }

  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): VerifiedWebhook {
    if (!this.credentials.webhookSecret) throw new WebhookSignatureError('no webhook secret configured');
    if (!signatureHeader) throw new WebhookSignatureError('missing Stripe-Signature');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signatureHeader, this.credentials.webhookSecret, WEBHOOK_TOLERANCE_SECONDS);
    } catch (err) {
      throw new WebhookSignatureError((err as Error).message);
    }
    const object = (event.data?.object ?? {}) as { metadata?: Record<string, string> | null };
    return { id: event.id, type: event.type, tenantId: object.metadata?.tenant_id ?? null, payload: event as unknown as Record<string, unknown> };
  }

  async interpret(event: VerifiedWebhook): Promise<PaymentEvent> {
    const object = ((event.payload.data as { object?: unknown } | undefined)?.object ?? {}) as Record<string, unknown>;
    const metadata = (object.metadata ?? {}) as Record<string, string>;
    const tenantId = metadata.tenant_id;
    if (!tenantId) return { kind: 'ignored' };
    switch (event.type) {
      case 'checkout.session.completed': {
        if (object.mode !== 'setup' || typeof object.setup_intent !== 'string') return { kind: 'ignored' };
        const intent = await this.stripe.setupIntents.retrieve(object.setup_intent, { expand: ['payment_method'] });
        const pm = intent.payment_method;
        if (!pm || typeof pm === 'string') return { kind: 'ignored' };
        return { kind: 'setupCompleted', tenantId, customerId: String(object.customer ?? ''), paymentMethod: savedMethod(pm) };
      }
      case 'payment_intent.succeeded':
        if (!metadata.invoice_id) return { kind: 'ignored' };
        return {
          kind: 'paymentSucceeded',
          tenantId,
          invoiceId: metadata.invoice_id,
          externalPaymentId: String(object.id),
          externalChargeId: typeof object.latest_charge === 'string' ? object.latest_charge : null,
          amountCents: Number(object.amount_received ?? object.amount ?? 0),
        };
      case 'payment_intent.payment_failed': {
        if (!metadata.invoice_id) return { kind: 'ignored' };
        const error = (object.last_payment_error ?? {}) as { code?: string; message?: string };
        return { kind: 'paymentFailed', tenantId, invoiceId: metadata.invoice_id, externalPaymentId: String(object.id), failureCode: error.code ?? null, failureMessage: error.message ?? null };
      }
      default:
        return { kind: 'ignored' };
    }
  }
}

function savedMethod(pm: Stripe.PaymentMethod): SavedPaymentMethod {
  return {
    id: pm.id,
    method: pm.type === 'sepa_debit' ? 'sepa_debit' : 'card',
    brand: pm.card?.brand ?? null,
    last4: pm.card?.last4 ?? pm.sepa_debit?.last4 ?? null,
    expMonth: pm.card?.exp_month ?? null,
    expYear: pm.card?.exp_year ?? null,
  };
}
