import { DateTime } from 'luxon';

/**
 * Credits: the pure rules of the ledger (no I/O), shared by the repository's units of work, the service and the
 * seeds. Credits are integers; `available` (the account's `balance` column) is what may be spent, `reserved` is what
 * open reservations hold.
 */

export const LEDGER_KINDS = ['grant', 'reserve', 'settle', 'refund', 'expire', 'adjust'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export type ReservationStatus = 'held' | 'settled' | 'refunded';

/** How long a hold lives when the caller gives no TTL; past it the expiry job refunds it. */
export const DEFAULT_RESERVATION_TTL_MS = 15 * 60 * 1000;
/** Longest hold allowed: a sanity bound (a nightly batch item waits for the night, then up to 24 h at the provider). */
export const MAX_RESERVATION_TTL_MS = 7 * 24 * 3600 * 1000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

export interface CreditBalance {
  /** Credits free to spend now. */
  available: number;
  /** Credits held by open reservations (calls in flight). */
  reserved: number;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** The current plan's `monthly_credits` (0 without a current subscription). */
  monthlyGrant: number;
  planName: string | null;
  /** Credits charged by settlements since the period started. */
  consumedThisPeriod: number;
}

export interface LedgerEntry {
  id: string;
  kind: LedgerKind;
  /** Change of the available balance (signed). */
  amount: number;
  /** Change of the held credits (signed). */
  reservedDelta: number;
  balanceAfter: number;
  reservedAfter: number;
  reservationId: string | null;
  /** The AI task the reservation paid for. */
  task: string | null;
  /** For settle entries: the credits the call actually cost the tenant. */
  charged: number | null;
  aiCallId: string | null;
  memo: string | null;
  createdAt: Date;
}

export interface ReservationReceipt {
  reservationId: string;
  amountHeld: number;
  status: ReservationStatus;
  expiresAt: Date;
  /** True when the idempotency key had already been used: the existing reservation is returned, nothing changed. */
  replayed: boolean;
}

export interface SettlementReceipt {
  reservationId: string;
  /** `refunded` when the reservation had already been refunded (failed call, or expired hold): nothing charged. */
  status: Exclude<ReservationStatus, 'held'>;
  /** Credits taken from the tenant for this call. */
  charged: number;
  /** Part of the real cost the balance could not cover (absorbed by the platform, never a negative balance). */
  uncovered: number;
  replayed: boolean;
}

export interface RefundReceipt {
  reservationId: string;
  status: Exclude<ReservationStatus, 'held'>;
  /** Credits given back by this call (0 when replayed). */
  refunded: number;
  replayed: boolean;
}

export interface GrantOutcome {
  /** Credits granted for the new period (0 when nothing was due). */
  granted: number;
  /** Leftover credits of the previous period that expired. */
  expired: number;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** Why nothing happened, when nothing happened. */
  skipped?: 'notDue' | 'noSubscription' | 'notStarted';
}

export interface RegenerationAllowance {
  cap: number;
  used: number;
  left: number;
}

export interface Period {
  start: Date;
  end: Date;
}

/** A reservation is refused when it would take the available balance below zero. */
export function canReserve(available: number, amount: number): boolean {
  return available - amount >= 0;
}

/**
 * Settling a hold of `held` credits for a call that really cost `actual`, when `available` credits are free
 * (the hold itself is not part of `available`):
 * - the hold is always released in full (`reserved` drops by `held`);
 * - `actual <= held`: `actual` is charged and the difference goes back to the balance;
 * - `actual > held`: the hold is charged, and the excess is charged from the available balance **as far as it
 *   goes** — never below zero. What is left (`uncovered`) is not charged: the estimate was the platform's, so the
 *   platform absorbs its error rather than letting a balance go negative or failing a call already made.
 */
export function settlement(held: number, actual: number, available: number): { charged: number; uncovered: number; balanceDelta: number } {
  const fromHold = Math.min(actual, held);
  const extra = Math.min(Math.max(actual - held, 0), Math.max(available, 0));
  const charged = fromHold + extra;
  return { charged, uncovered: actual - charged, balanceDelta: held - charged };
}

/**
 * Credits for an AI cost in micro-units of `currency`: rounded up to whole credits, so any paid call costs at
 * least 1 credit; a free call (offline provider, cost 0) costs 0.
 */
export function creditsFor(costMicros: number, microsPerCredit: number): number {
  if (!Number.isFinite(costMicros) || costMicros < 0) throw new RangeError(`invalid cost: ${costMicros}`);
  if (!Number.isFinite(microsPerCredit) || microsPerCredit <= 0) throw new RangeError(`invalid rate: ${microsPerCredit}`);
  if (costMicros === 0) return 0;
  return Math.max(1, Math.ceil(costMicros / microsPerCredit));
}

const utc = (d: Date) => DateTime.fromJSDate(d, { zone: 'utc' });

/** The k-th monthly window from `anchor` (calendar months in UTC, always counted from the anchor so days never drift). */
function monthlyWindow(anchor: Date, k: number): Period {
  return { start: utc(anchor).plus({ months: k }).toJSDate(), end: utc(anchor).plus({ months: k + 1 }).toJSDate() };
}

function monthlyWindowAt(anchor: Date, now: Date): Period {
  let k = Math.max(0, Math.floor(utc(now).diff(utc(anchor), 'months').months));
  let w = monthlyWindow(anchor, k);
  while (w.start > now) w = monthlyWindow(anchor, --k);
  while (w.end <= now) w = monthlyWindow(anchor, ++k);
  return w;
}

/**
 * The credit period containing `now`, derived from the subscription's current period:
 * - inside a subscription period of at most one month (monthly plan, trial): that period exactly;
 * - inside a longer one (yearly plan): monthly windows counted from its start, the last one cut at its end;
 * - past its end (the renewal is not recorded yet): monthly windows counted from its end, so credits keep
 *   coming month after month until the subscription flow renews or cancels it;
 * - before its start: none (nothing is granted before a subscription starts).
 */
export function creditPeriodAt(subscription: Period, now: Date): Period | null {
  const { start, end } = subscription;
  if (now < start) return null;
  if (now >= end) return monthlyWindowAt(end, now);
  if (end <= utc(start).plus({ months: 1 }).toJSDate()) return { start, end };
  const w = monthlyWindowAt(start, now);
  return w.end > end ? { start: w.start, end } : w;
}

/** The period's grant and expiry happen once per tenant: their ledger idempotency keys. */
export function grantKey(periodStart: Date): string {
  return `grant:${periodStart.toISOString()}`;
}

export function expireKey(periodStart: Date): string {
  return `expire:${periodStart.toISOString()}`;
}

/** `credit_ledger.period_start` is a date (UTC day of the period start). */
export function periodDate(periodStart: Date | null): string | null {
  return periodStart ? periodStart.toISOString().slice(0, 10) : null;
}

export function isWholeCredits(n: unknown, { min }: { min: number }): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min;
}
