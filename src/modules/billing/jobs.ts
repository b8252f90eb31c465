import type { Clock } from '../../shared/clock.js';
import type { JobDefinition } from '../../shared/jobs.js';
import type { CreditService } from './credit-service.js';

/** Recurring billing work: credit periods reset on the hour, stale holds released every five minutes. */
export function billingJobs(cradle: { creditService: CreditService; clock: Clock }): JobDefinition[] {
  const { creditService, clock } = cradle;
  return [
    { name: 'billing:reset-credit-periods', every: '1 hour', run: () => creditService.resetDuePeriods(clock.now()) },
    { name: 'billing:expire-reservations', every: '5 minutes', run: () => creditService.expireStaleReservations(clock.now()) },
  ];
}
