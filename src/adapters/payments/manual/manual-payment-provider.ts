import {
  WebhookSignatureError,
  type ChargeOutcome,
  type PaymentEvent,
  type PaymentProvider,
  type VerifiedWebhook,
} from '../../../modules/billing/payment-ports.js';

/**
 * Bank transfer: nothing is collected automatically. The invoice shows the platform's bank details, the client
 * pays by transfer, and the super admin records the payment (which marks the invoice paid). A charge therefore
 * stays pending, and there are no webhooks.
 */
export class ManualPaymentProvider implements PaymentProvider {
  readonly name = 'manual' as const;

  async createCustomer(input: { tenantId: string }): Promise<{ customerId: string }> {
    return { customerId: `manual:${input.tenantId}` };
  }

  async createSetupSession(): Promise<null> {
    return null;
  }

  async chargeInvoice(): Promise<ChargeOutcome> {
    return { status: 'pending', externalPaymentId: null, externalChargeId: null, failureCode: null, failureMessage: null };
  }

  verifyWebhook(): VerifiedWebhook {
    throw new WebhookSignatureError('bank transfers have no webhooks');
  }

  async interpret(): Promise<PaymentEvent> {
    return { kind: 'ignored' };
  }
}
