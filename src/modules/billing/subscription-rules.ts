import { DateTime } from 'luxon';

/**
 * Subscriptions: the pure rules (no I/O) — periods, plan changes, proration and MRR. Prices are integer cents
 * excluding VAT.
 */

export type BillingInterval = 'month' | 'year';

export interface PlanPrice {
  priceCents: number;
  billingInterval: BillingInterval;
  currency: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** The period that follows one ending at `end` (calendar months or years in UTC). */
export function nextPeriod(end: Date, interval: BillingInterval): { start: Date; end: Date } {
  const next = DateTime.fromJSDate(end, { zone: 'utc' }).plus(interval === 'year' ? { years: 1 } : { months: 1 });
  return { start: end, end: next.toJSDate() };
}

/** Monthly recurring revenue of a price: a yearly price counts for a twelfth (rounded to the cent). */
export function monthlyCents(price: Pick<PlanPrice, 'priceCents' | 'billingInterval'>): number {
  return price.billingInterval === 'year' ? Math.round(price.priceCents / 12) : price.priceCents;
}

/**
 * Whether moving from one plan to another is an upgrade (applied now, prorated) or a downgrade (applied at the
 * period end). Compared on MRR; an equal price counts as an upgrade: it switches at once and costs nothing.
 */
export function changeDirection(from: PlanPrice, to: PlanPrice): 'upgrade' | 'downgrade' {
  return monthlyCents(to) >= monthlyCents(from) ? 'upgrade' : 'downgrade';
}

export interface Proration {
  amountCents: number;
  daysLeft: number;
  daysInPeriod: number;
}

/**
 * THE proration rule (the only one): an upgrade at `at` inside the period [start, end) costs the price difference
 * for the share of the period left, counted in days — `daysLeft` is the number of days from `at` to the period end,
 * a started day counting as left; `daysInPeriod` the period's length in days. The amount is
 * `(toPrice − fromPrice) × daysLeft / daysInPeriod`, rounded half up to the cent. Nothing is refunded for the part
 * of the old plan already paid beyond that difference; a downgrade is never prorated (it waits for the period end).
 */
export function prorate(fromPriceCents: number, toPriceCents: number, period: { start: Date; end: Date }, at: Date): Proration {
  const daysInPeriod = Math.max(1, Math.round((period.end.getTime() - period.start.getTime()) / DAY_MS));
  const left = period.end.getTime() - Math.max(at.getTime(), period.start.getTime());
  const daysLeft = Math.min(daysInPeriod, Math.max(0, Math.ceil(left / DAY_MS)));
  const diff = Math.max(0, toPriceCents - fromPriceCents);
  return { amountCents: Math.floor((diff * daysLeft * 2 + daysInPeriod) / (2 * daysInPeriod)), daysLeft, daysInPeriod };
}
