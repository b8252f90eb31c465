import { asClass, asFunction, type AwilixContainer } from 'awilix';
import type { JobDefinition } from '../../shared/jobs.js';
import { Router } from 'express';
import { CreditService } from './credit-service.js';
import { KnexCreditRepository } from './db/knex-credit-repository.js';
import { KnexInvoiceRepository } from './db/knex-invoice-repository.js';
import { KnexLegalRepository } from './db/knex-legal-repository.js';
import { KnexSubscriptionRepository } from './db/knex-subscription-repository.js';
import { InvoiceService } from './invoice-service.js';
import { billingJobs as creditJobs } from './jobs.js';
import { legalRoutes } from './legal-routes.js';
import { LegalService } from './legal-service.js';
import { PaymentService } from './payment-service.js';
import { PaymentSettings } from './payment-settings.js';
import type { CreditLedger, CreditRepository } from './ports.js';
import { billingRoutes } from './routes.js';
import { subscriptionJobs } from './subscription-jobs.js';
import { subscriptionRoutes } from './subscription-routes.js';
import { SubscriptionService } from './subscription-service.js';

export { stripeWebhookRoutes } from './payment-webhook-routes.js';
export type { CreditLedger, CreditRepository } from './ports.js';
export type {
  CreditBalance,
  GrantOutcome,
  LedgerEntry,
  LedgerKind,
  RefundReceipt,
  RegenerationAllowance,
  ReservationReceipt,
  SettlementReceipt,
} from './domain.js';
export { CreditService } from './credit-service.js';

export interface BillingCradle {
  creditRepository: CreditRepository;
  creditService: CreditService;
  /** The same singleton as `creditService`, typed as the port other modules (the AI gateway) depend on. */
  creditLedger: CreditLedger;
  subscriptionRepository: KnexSubscriptionRepository;
  invoiceRepository: KnexInvoiceRepository;
  legalRepository: KnexLegalRepository;
  paymentSettings: PaymentSettings;
  paymentService: PaymentService;
  invoiceService: InvoiceService;
  subscriptionService: SubscriptionService;
  legalService: LegalService;
}

export function registerBilling(container: AwilixContainer): void {
  container.register({
    creditRepository: asClass(KnexCreditRepository).singleton(),
    creditService: asClass(CreditService).singleton(),
    creditLedger: asFunction(({ creditService }: { creditService: CreditService }) => creditService).singleton(),
    subscriptionRepository: asClass(KnexSubscriptionRepository).singleton(),
    invoiceRepository: asClass(KnexInvoiceRepository).singleton(),
    legalRepository: asClass(KnexLegalRepository).singleton(),
    paymentSettings: asClass(PaymentSettings).singleton(),
    paymentService: asClass(PaymentService).singleton(),
    invoiceService: asClass(InvoiceService).singleton(),
    subscriptionService: asClass(SubscriptionService).singleton(),
    legalService: asClass(LegalService).singleton(),
  });
}

export function billingJobs(cradle: Parameters<typeof creditJobs>[0] & Parameters<typeof subscriptionJobs>[0]): JobDefinition[] {
  return [...creditJobs(cradle), ...subscriptionJobs(cradle)];
}

export function billingRouter(cradle: BillingCradle & Parameters<typeof subscriptionRoutes>[0]): Router {
  const router = Router();
  router.use(billingRoutes(cradle));
  router.use(subscriptionRoutes(cradle));
  router.use(legalRoutes(cradle));
  return router;
}
