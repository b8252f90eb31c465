import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import {
  creditsFor,
  DEFAULT_RESERVATION_TTL_MS,
  isWholeCredits,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_RESERVATION_TTL_MS,
  type CreditBalance,
  type GrantOutcome,
  type LedgerEntry,
  type RefundReceipt,
  type RegenerationAllowance,
  type ReservationReceipt,
  type SettlementReceipt,
} from './domain.js';
import type { CreditLedger, CreditRepository } from './ports.js';
import { isUuid } from '../../shared/ids.js';

const CURRENCY = /^[A-Z]{3}$/;
const RATE_CACHE_MS = 60_000;
const HISTORY_MAX = 200;
const EXPIRY_BATCH = 200;
const MAX_TASK_LENGTH = 32; // credit_reservations.task

/**
 * The tenant's AI credits: reservations before a call, settlement on its real cost, refunds, the monthly grant and
 * the regeneration cap. Every write is one short transaction in the tenant's context (see KnexCreditRepository).
 */
export class CreditService implements CreditLedger {
  private readonly rates = new Map<string, { microsPerCredit: number; until: number }>();

  constructor(private readonly deps: { creditRepository: CreditRepository; clock: Clock; logger: Logger }) {}

  async reserve(tenantId: string, input: { amount: number; task: string; idempotencyKey: string; ttlMs?: number }): Promise<ReservationReceipt> {
    const { amount, task, idempotencyKey } = input;
    const ttlMs = input.ttlMs ?? DEFAULT_RESERVATION_TTL_MS;
    if (!isWholeCredits(amount, { min: 1 })) throw new AppError('billing.errors.invalidAmount', 400, { amount });
    if (typeof task !== 'string' || !task || task.length > MAX_TASK_LENGTH) throw new AppError('billing.errors.invalidTask', 400, { task });
    if (typeof idempotencyKey !== 'string' || !idempotencyKey || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw new AppError('billing.errors.invalidIdempotencyKey', 400);
    }
    if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_RESERVATION_TTL_MS) throw new AppError('billing.errors.invalidTtl', 400, { ttlMs });
    const expiresAt = new Date(this.deps.clock.now().getTime() + ttlMs);
    return this.deps.creditRepository.reserve(tenantId, { amount, task, idempotencyKey, expiresAt });
  }

  async settle(tenantId: string, reservationId: string, actualCredits: number, options: { aiCallId?: string | null } = {}): Promise<SettlementReceipt> {
    assertId(reservationId);
    if (!isWholeCredits(actualCredits, { min: 0 })) throw new AppError('billing.errors.invalidAmount', 400, { amount: actualCredits });
    const aiCallId = options.aiCallId ?? null;
    if (aiCallId !== null && !isUuid(aiCallId)) throw new AppError('billing.errors.invalidAiCall', 400);
    return this.deps.creditRepository.settle(tenantId, reservationId, actualCredits, { aiCallId, at: this.deps.clock.now() });
  }

  async refund(tenantId: string, reservationId: string, reason: string): Promise<RefundReceipt> {
    assertId(reservationId);
    return this.deps.creditRepository.refund(tenantId, reservationId, String(reason ?? '').slice(0, 500), this.deps.clock.now());
  }

  balance(tenantId: string): Promise<CreditBalance> {
    return this.deps.creditRepository.balance(tenantId);
  }

  async history(tenantId: string, options: { limit?: number; before?: string } = {}): Promise<LedgerEntry[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), HISTORY_MAX);
    if (options.before !== undefined && !isUuid(options.before)) return [];
    return this.deps.creditRepository.history(tenantId, { limit, before: options.before });
  }

  async creditsForCost(costMicros: number, currency: string): Promise<number> {
    if (!Number.isFinite(costMicros) || costMicros < 0) throw new AppError('billing.errors.invalidCost', 400, { costMicros });
    if (typeof currency !== 'string' || !CURRENCY.test(currency)) throw new AppError('billing.errors.noCreditRate', 500, { currency });
    if (costMicros === 0) return 0;
    return creditsFor(costMicros, await this.microsPerCredit(currency));
  }

  /** The credit period reset of one tenant (idempotent: the grant of a period is keyed by tenant and period). */
  grantMonthly(tenantId: string, now: Date = this.deps.clock.now()): Promise<GrantOutcome> {
    return this.deps.creditRepository.grantMonthly(tenantId, now);
  }

  /** Job: every tenant whose credit period has ended (found in the platform context) is reset in its own context. */
  async resetDuePeriods(now: Date = this.deps.clock.now()): Promise<{ due: number; granted: number; failed: number }> {
    const tenants = await this.deps.creditRepository.tenantsDueForReset(now);
    let granted = 0;
    let failed = 0;
    for (const tenantId of tenants) {
      try {
        if ((await this.grantMonthly(tenantId, now)).granted > 0) granted++;
      } catch (err) {
        failed++;
        this.deps.logger.error({ err, tenantId }, 'credit period reset failed');
      }
    }
    return { due: tenants.length, granted, failed };
  }

  /** Job: holds past their expiry are refunded, so a crashed call never keeps credits. */
  async expireStaleReservations(now: Date = this.deps.clock.now()): Promise<{ refunded: number; failed: number }> {
    let refunded = 0;
    let failed = 0;
    for (;;) {
      const stale = await this.deps.creditRepository.staleReservations(now, EXPIRY_BATCH);
      let progress = 0;
      for (const { tenantId, reservationId } of stale) {
        try {
          const receipt = await this.deps.creditRepository.refund(tenantId, reservationId, 'expired', now);
          if (!receipt.replayed) refunded++;
          progress++;
        } catch (err) {
          failed++;
          this.deps.logger.error({ err, tenantId, reservationId }, 'expiring a credit reservation failed');
        }
      }
      if (stale.length < EXPIRY_BATCH || progress === 0) break;
    }
    return { refunded, failed };
  }

  async regenerationsLeft(tenantId: string, contentId: string): Promise<RegenerationAllowance> {
    assertId(contentId, 'common.errors.notFound');
    return this.deps.creditRepository.regenerationAllowance(tenantId, contentId);
  }

  async countRegeneration(tenantId: string, contentId: string): Promise<RegenerationAllowance> {
    assertId(contentId, 'common.errors.notFound');
    const counted = await this.deps.creditRepository.countRegeneration(tenantId, contentId, this.deps.clock.now());
    if (counted) return counted;
    const allowance = await this.deps.creditRepository.regenerationAllowance(tenantId, contentId);
    throw new AppError('billing.errors.regenerationCapReached', 409, { cap: allowance.cap, used: allowance.used });
  }

  /** A regeneration that produced nothing (the AI call failed) does not count against the cap. */
  async releaseRegeneration(tenantId: string, contentId: string): Promise<void> {
    assertId(contentId, 'common.errors.notFound');
    await this.deps.creditRepository.releaseRegeneration(tenantId, contentId);
  }

  private async microsPerCredit(currency: string): Promise<number> {
    const now = this.deps.clock.now();
    const cached = this.rates.get(currency);
    if (cached && cached.until > now.getTime()) return cached.microsPerCredit;
    const microsPerCredit = await this.deps.creditRepository.creditRate(currency, now);
    if (microsPerCredit === null) throw new AppError('billing.errors.noCreditRate', 500, { currency });
    this.rates.set(currency, { microsPerCredit, until: now.getTime() + RATE_CACHE_MS });
    return microsPerCredit;
  }
}

/** A malformed id is simply not found: the same answer as another tenant's id. */
function assertId(id: unknown, code = 'billing.errors.reservationNotFound'): asserts id is string {
  if (!isUuid(id)) throw new NotFoundError(code);
}
