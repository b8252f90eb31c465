import type { Clock } from '../../shared/clock.js';
import type { JobDefinition } from '../../shared/jobs.js';
import type { InvoiceService } from './invoice-service.js';
import type { SubscriptionService } from './subscription-service.js';

/**
 * Periods close every hour (renewal, scheduled downgrade, cancellation); invoices are issued every morning, after
 * the night's period ends, for the periods that started without one. Both are idempotent under row locks.
 */
export function subscriptionJobs(cradle: { subscriptionService: SubscriptionService; invoiceService: InvoiceService; clock: Clock }): JobDefinition[] {
  const { subscriptionService, invoiceService, clock } = cradle;
  return [
    { name: 'billing:apply-period-ends', every: '1 hour', run: () => subscriptionService.applyPeriodEnds(clock.now()) },
    { name: 'billing:issue-invoices', every: '0 6 * * *', timezone: 'Europe/Paris', run: () => invoiceService.issueDue(clock.now()) },
  ];
}
