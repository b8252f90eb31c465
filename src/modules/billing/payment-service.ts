import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { chargeKey, type KnexInvoiceRepository } from './db/knex-invoice-repository.js';
import type { KnexSubscriptionRepository } from './db/knex-subscription-repository.js';
import { WebhookSignatureError, type PaymentEvent } from './payment-ports.js';
import type { PaymentSettings } from './payment-settings.js';

export type WebhookAnswer = { status: 200 | 400 | 500; body: Record<string, unknown> };

/**
 * Collecting money: the client's payment mode (card through Stripe, or bank transfer), the automatic charge of an
 * issued invoice, and Stripe's webhooks. No transaction is held across a provider call: a pending payment is
 * written first (idempotency key per invoice), the provider is called, then the outcome is recorded.
 */
export class PaymentService {
  constructor(
    private readonly deps: {
      paymentSettings: PaymentSettings;
      invoiceRepository: KnexInvoiceRepository;
      subscriptionRepository: KnexSubscriptionRepository;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** Whether card payment can be offered (Stripe keys configured). */
  async cardAvailable(): Promise<boolean> {
    return (await this.deps.paymentSettings.stripeCredentials()) !== null;
  }

  defaultPaymentMethod(tenantId: string) {
    return this.deps.invoiceRepository.defaultPaymentMethod(tenantId);
  }

  /** Starts saving a card: the Stripe customer (created once), then the URL of the hosted setup page. */
  async startCardSetup(tenantId: string, input: { name: string; email: string; successUrl: string; cancelUrl: string }): Promise<string> {
    const provider = await this.deps.paymentSettings.provider('stripe');
    if (!provider) throw new AppError('subscription.errors.cardUnavailable', 409);
    const sub = await this.deps.subscriptionRepository.current(tenantId);
    if (!sub) throw new AppError('subscription.errors.noSubscription', 404);
    let customerId = sub.externalCustomerId;
    if (!customerId) {
      customerId = (await provider.createCustomer({ tenantId, name: input.name, email: input.email })).customerId;
      await this.deps.subscriptionRepository.setPaymentMode(tenantId, sub.paymentMode, customerId);
    }
    const session = await provider.createSetupSession({ tenantId, customerId, successUrl: input.successUrl, cancelUrl: input.cancelUrl });
    if (!session) throw new AppError('subscription.errors.cardUnavailable', 409);
    return session.url;
  }

  async chooseBankTransfer(tenantId: string): Promise<void> {
    if (!(await this.deps.subscriptionRepository.current(tenantId))) throw new AppError('subscription.errors.noSubscription', 404);
    await this.deps.subscriptionRepository.setPaymentMode(tenantId, 'manual');
  }

  /**
   * Charges an issued invoice when the client pays by card and has a saved card; bank transfers wait for the
   * super admin. Idempotent: one payment per invoice (`charge:<invoice>`), and Stripe receives the same key.
   */
  async collect(tenantId: string, invoiceId: string): Promise<'succeeded' | 'pending' | 'failed' | 'manual' | 'skipped'> {
    const ctx = await this.deps.invoiceRepository.chargeContext(tenantId, invoiceId);
    if (!ctx || ctx.invoice.status !== 'issued') return 'skipped';
    const due = ctx.invoice.totalCents - ctx.invoice.amountPaidCents;
    if (due <= 0) return 'skipped';
    if (ctx.paymentMode === 'manual') return 'manual';
    if (!ctx.customerId || !ctx.paymentMethod) return 'skipped';
    const provider = await this.deps.paymentSettings.provider('stripe');
    if (!provider) return 'skipped';
    const key = chargeKey(invoiceId);
    const payment = await this.deps.invoiceRepository.openPayment(tenantId, {
      invoiceId,
      provider: 'stripe',
      method: ctx.paymentMethod.method === 'sepa_debit' ? 'sepa_debit' : 'card',
      paymentMethodId: ctx.paymentMethod.id,
      amountCents: due,
      currency: ctx.invoice.currency,
      idempotencyKey: key,
    });
    if (payment.status !== 'pending') return payment.status === 'succeeded' ? 'succeeded' : 'failed';
    const outcome = await provider.chargeInvoice({
      tenantId,
      invoiceId,
      invoiceNumber: ctx.invoice.number,
      customerId: ctx.customerId,
      paymentMethodId: ctx.paymentMethod.externalId,
      amountCents: due,
      currency: ctx.invoice.currency,
      idempotencyKey: key,
    });
    if (outcome.status !== 'pending') await this.deps.invoiceRepository.settlePayment(tenantId, payment.id, outcome, this.deps.clock.now());
    this.deps.logger.info({ tenantId, invoiceId, status: outcome.status }, 'invoice charged');
    return outcome.status;
  }

  /**
   * `POST /webhooks/stripe`: the signature is checked on the raw body (400 otherwise, nothing stored); the event is
   * stored once by its id, and processed unless it already was (a replay answers 200 and changes nothing). A
   * processing failure answers 500 so that Stripe retries; the stored event is processed again then.
   */
  async handleStripeWebhook(rawBody: Buffer, signature: string | undefined): Promise<WebhookAnswer> {
    const provider = await this.deps.paymentSettings.provider('stripe');
    if (!provider) return { status: 400, body: { error: 'not_configured' } };
    let verified;
    try {
      verified = provider.verifyWebhook(rawBody, signature);
    } catch (err) {
      if (err instanceof WebhookSignatureError) return { status: 400, body: { error: 'invalid_signature' } };
      throw err;
    }
    const stored = await this.deps.invoiceRepository.recordEvent('stripe', verified);
    if (!stored.pending) return { status: 200, body: { received: true, replayed: true } };
    try {
      const event = await provider.interpret(verified);
      const applied = await this.apply(event);
      await this.deps.invoiceRepository.finishEvent(stored.id, applied ? 'processed' : 'ignored', null, this.deps.clock.now());
      return { status: 200, body: { received: true } };
    } catch (err) {
      this.deps.logger.error({ err, event: verified.id, type: verified.type }, 'stripe webhook failed');
      await this.deps.invoiceRepository.finishEvent(stored.id, 'failed', String((err as Error).message ?? err).slice(0, 2000), this.deps.clock.now());
      return { status: 500, body: { error: 'processing_failed' } };
    }
  }

  private async apply(event: PaymentEvent): Promise<boolean> {
    const now = this.deps.clock.now();
    switch (event.kind) {
      case 'setupCompleted':
        await this.deps.invoiceRepository.savePaymentMethod(event.tenantId, event.customerId, event.paymentMethod);
        return true;
      case 'paymentSucceeded':
        return this.deps.invoiceRepository.applyPaymentEvent(
          event.tenantId,
          { invoiceId: event.invoiceId, externalPaymentId: event.externalPaymentId, externalChargeId: event.externalChargeId, amountCents: event.amountCents, succeeded: true },
          now,
        );
      case 'paymentFailed':
        return this.deps.invoiceRepository.applyPaymentEvent(
          event.tenantId,
          { invoiceId: event.invoiceId, externalPaymentId: event.externalPaymentId, failureCode: event.failureCode, failureMessage: event.failureMessage, succeeded: false },
          now,
        );
      case 'ignored':
        return false;
    }
  }
}
