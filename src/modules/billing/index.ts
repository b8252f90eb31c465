import { asClass, asFunction, type AwilixContainer } from 'awilix';
import type { Router } from 'express';
import { CreditService } from './credit-service.js';
import { KnexCreditRepository } from './db/knex-credit-repository.js';
import type { CreditLedger, CreditRepository } from './ports.js';
import { billingRoutes } from './routes.js';

export { billingJobs } from './jobs.js';
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
}

export function registerBilling(container: AwilixContainer): void {
  container.register({
    creditRepository: asClass(KnexCreditRepository).singleton(),
    creditService: asClass(CreditService).singleton(),
    creditLedger: asFunction(({ creditService }: { creditService: CreditService }) => creditService).singleton(),
  });
}

export function billingRouter(cradle: BillingCradle): Router {
  return billingRoutes(cradle);
}
