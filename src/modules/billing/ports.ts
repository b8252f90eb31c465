import type {
  CreditBalance,
  GrantOutcome,
  LedgerEntry,
  RefundReceipt,
  RegenerationAllowance,
  ReservationReceipt,
  SettlementReceipt,
} from './domain.js';

/**
 * The credit ledger as other modules use it (the AI gateway first): reserve before a call, settle on its real cost,
 * refund on failure. Every method takes the tenant first and works only on that tenant's account: another tenant's
 * reservation is simply not found (404).
 */
export interface CreditLedger {
  /**
   * Holds `amount` credits for a call. Refuses with `billing.errors.insufficientCredits` (402, params
   * `{ balance, needed }`) when the available balance is smaller. Idempotent on `idempotencyKey`: the same key
   * returns the existing reservation (whatever its amount or state) and changes nothing.
   */
  reserve(tenantId: string, input: { amount: number; task: string; idempotencyKey: string; ttlMs?: number }): Promise<ReservationReceipt>;
  /** Charges the real cost and releases the hold (see `settlement` in domain.ts for the rule above the hold). Idempotent. */
  settle(tenantId: string, reservationId: string, actualCredits: number, options?: { aiCallId?: string | null }): Promise<SettlementReceipt>;
  /** Gives the whole hold back (failed call). Idempotent; a reservation already settled stays settled. */
  refund(tenantId: string, reservationId: string, reason: string): Promise<RefundReceipt>;
  balance(tenantId: string): Promise<CreditBalance>;
  /** Newest first; `before` is the id of the last entry of the previous page. */
  history(tenantId: string, options?: { limit?: number; before?: string }): Promise<LedgerEntry[]>;
  /** Credits for an AI cost in micro-units of `currency`, at the latest effective rate (rounded up; 0 for a free call). */
  creditsForCost(costMicros: number, currency: string): Promise<number>;
  regenerationsLeft(tenantId: string, contentId: string): Promise<RegenerationAllowance>;
  /** Counts one regeneration of a content; refuses with `billing.errors.regenerationCapReached` (409) beyond the plan's cap. */
  countRegeneration(tenantId: string, contentId: string): Promise<RegenerationAllowance>;
  /** Gives back a counted regeneration whose generation failed. */
  releaseRegeneration(tenantId: string, contentId: string): Promise<void>;
}

/** Persistence of the ledger. Each method is one unit of work (one transaction) in the tenant's context. */
export interface CreditRepository {
  /** Locks the account, refuses or holds, writes the reservation and its ledger entry. */
  reserve(tenantId: string, input: { amount: number; task: string; idempotencyKey: string; expiresAt: Date }): Promise<ReservationReceipt>;
  settle(tenantId: string, reservationId: string, actualCredits: number, options: { aiCallId: string | null; at: Date }): Promise<SettlementReceipt>;
  refund(tenantId: string, reservationId: string, reason: string, at: Date): Promise<RefundReceipt>;
  balance(tenantId: string): Promise<CreditBalance>;
  history(tenantId: string, options: { limit: number; before?: string }): Promise<LedgerEntry[]>;
  /** Micro-units of `currency` per credit, effective at `at` (the latest `effective_from` not after it), or null. */
  creditRate(currency: string, at: Date): Promise<number | null>;
  /** Opens the credit period containing `now` when the account's period has ended: expiry of leftovers, then the grant. */
  grantMonthly(tenantId: string, now: Date): Promise<GrantOutcome>;
  /** Platform context: tenants with a current subscription whose credit period has ended (or never started). */
  tenantsDueForReset(now: Date): Promise<string[]>;
  /** Platform context: holds still open after their expiry. */
  staleReservations(now: Date, limit: number): Promise<{ tenantId: string; reservationId: string }[]>;
  regenerationAllowance(tenantId: string, contentId: string): Promise<RegenerationAllowance>;
  /** Increments the counter unless the cap is reached; null when refused. */
  countRegeneration(tenantId: string, contentId: string, at: Date): Promise<RegenerationAllowance | null>;
  /** Gives back a counted regeneration whose generation failed. */
  releaseRegeneration(tenantId: string, contentId: string): Promise<void>;
}
