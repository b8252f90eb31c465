/**
 * How money is collected. A `PaymentProvider` is built per use from the platform's current settings (Stripe keys
 * from the super admin's connector, or the environment), so a key change applies without a restart.
 */

export type PaymentProviderName = 'stripe' | 'manual';

export interface SavedPaymentMethod {
  id: string;
  method: 'card' | 'sepa_debit';
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
}

export interface ChargeOutcome {
  status: 'succeeded' | 'pending' | 'failed';
  externalPaymentId: string | null;
  externalChargeId: string | null;
  failureCode: string | null;
  failureMessage: string | null;
}

/** A provider event, verified and reduced to what billing acts on. */
export type PaymentEvent =
  | { kind: 'setupCompleted'; tenantId: string; customerId: string; paymentMethod: SavedPaymentMethod }
  | { kind: 'paymentSucceeded'; tenantId: string; invoiceId: string; externalPaymentId: string; externalChargeId: string | null; amountCents: number }
  | { kind: 'paymentFailed'; tenantId: string; invoiceId: string; externalPaymentId: string; failureCode: string | null; failureMessage: string | null }
  | { kind: 'ignored' };

/** A webhook whose signature checked out: its id (idempotency), type, the tenant named in it, and the body. */
export interface VerifiedWebhook {
  id: string;
  type: string;
  tenantId: string | null;
  payload: Record<string, unknown>;
}

/** The signature of a webhook is missing, malformed, stale or wrong: answered 400, nothing stored. */
export class WebhookSignatureError extends Error {
  constructor(message = 'invalid webhook signature') {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

export interface PaymentProvider {
  readonly name: PaymentProviderName;
  createCustomer(input: { tenantId: string; name: string; email: string }): Promise<{ customerId: string }>;
  /** A hosted page where the client saves a payment method; null when the provider has none (bank transfer). */
  createSetupSession(input: { tenantId: string; customerId: string; successUrl: string; cancelUrl: string }): Promise<{ sessionId: string; url: string } | null>;
  /** Charges an issued invoice off-session with the saved method. Idempotent on `idempotencyKey`. */
  chargeInvoice(input: {
    tenantId: string;
    invoiceId: string;
    invoiceNumber: string;
    customerId: string;
    paymentMethodId: string;
    amountCents: number;
    currency: string;
    idempotencyKey: string;
  }): Promise<ChargeOutcome>;
  /** Checks the signature of a raw webhook body; throws `WebhookSignatureError`. */
  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): VerifiedWebhook;
  /** What a verified event means for billing (may read back objects from the provider). */
  interpret(event: VerifiedWebhook): Promise<PaymentEvent>;
}
