import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { AppError, NotFoundError } from '../../../shared/errors.js';
import {
  canReserve,
  creditPeriodAt,
  expireKey,
  grantKey,
  periodDate,
  settlement,
  type CreditBalance,
  type GrantOutcome,
  type LedgerEntry,
  type RefundReceipt,
  type RegenerationAllowance,
  type ReservationReceipt,
  type ReservationStatus,
  type SettlementReceipt,
} from '../domain.js';
import type { CreditRepository } from '../ports.js';

interface LockedAccount {
  balance: number;
  reserved: number;
  periodStart: Date | null;
  periodEnd: Date | null;
}

interface LockedReservation {
  balance: number;
  reserved: number;
  period_start: Date | null;
  amount_held: number;
  amount_settled: number;
  status: ReservationStatus;
}

interface CurrentPlan {
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  monthlyCredits: number;
  regenerationCap: number;
  planName: string;
}

/** The tenant's current (not cancelled) subscription and its plan; at most one (unique partial index). */
function currentPlan(trx: Knex.Transaction, tenantId: string): Promise<CurrentPlan | undefined> {
  return trx('subscriptions as s')
    .join('plans as p', 'p.id', 's.planId')
    .where('s.tenantId', tenantId)
    .whereNot('s.status', 'cancelled')
    .first('s.currentPeriodStart', 's.currentPeriodEnd', 'p.monthlyCredits', 'p.regenerationCap', 'p.name as planName');
}

/**
 * `created_at` of a new ledger entry: the wall clock, but always after the tenant's previous entry. Every ledger
 * write holds the account lock, so the entries of a tenant are strictly ordered in the order they were written
 * (even where the clock is coarse or two entries share a transaction) and the history replays exactly. The previous
 * entry is one backward step of the (tenant_id, created_at) index, whatever the size of the ledger.
 */
const NEXT_ENTRY_AT = `greatest(clock_timestamp(), coalesce((select created_at from credit_ledger where tenant_id = :tenantId order by created_at desc limit 1), '-infinity') + interval '1 microsecond')`;

function lockAccount(trx: Knex.Transaction, tenantId: string): Promise<LockedAccount | undefined> {
  return trx('creditAccounts').where({ tenantId }).forUpdate().first('balance', 'reserved', 'periodStart', 'periodEnd');
}

/**
 * The account row is the lock of the tenant's ledger: every write (reserve, settle, refund, grant, expire) first
 * takes it with `SELECT … FOR UPDATE` and computes from the locked values, so concurrent calls serialise per tenant
 * and the balance can never go below zero (the CHECK constraints are the last line). Locks are always taken in the
 * same order — account, then reservation — so two writers never deadlock.
 */
export class KnexCreditRepository implements CreditRepository {
  constructor(private readonly deps: { database: Database }) {}

  reserve(
    tenantId: string,
    input: { amount: number; task: string; idempotencyKey: string; expiresAt: Date },
  ): Promise<ReservationReceipt> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const account = await lockAccount(trx, tenantId);
      // Everything below runs under the account lock: a concurrent call with the same key has committed by now.
      const available = account?.balance ?? 0;
      if (!account || !canReserve(available, input.amount)) {
        const existing = await findByKey(trx, tenantId, input.idempotencyKey);
        if (existing) return existing;
        throw new AppError('billing.errors.insufficientCredits', 402, { balance: available, needed: input.amount });
      }
      // One statement: the reservation (skipped when the key exists), then the account and the ledger only if it was
      // inserted. A replayed key therefore costs one more read, and a fresh reservation no extra round trip.
      const { rows } = await trx.raw(
        `with res as (
           insert into credit_reservations (tenant_id, amount_held, task, idempotency_key, expires_at)
           values (:tenantId, :amount, :task, :key, :expiresAt)
           on conflict (tenant_id, idempotency_key) do nothing
           returning id
         ), acct as (
           update credit_accounts set balance = balance - :amount, reserved = reserved + :amount, updated_at = now()
           where tenant_id = :tenantId and exists (select 1 from res) returning balance, reserved
         )
         insert into credit_ledger (tenant_id, kind, amount, reserved_delta, balance_after, reserved_after, reservation_id,
                                    idempotency_key, period_start, created_at)
         select cast(:tenantId as uuid), 'reserve', cast(:negAmount as integer), cast(:amount as integer), acct.balance,
                acct.reserved, res.id, 'reserve:' || res.id, cast(:periodDate as date), ${NEXT_ENTRY_AT}
         from acct, res
         returning reservation_id`,
        {
          tenantId,
          amount: input.amount,
          negAmount: -input.amount,
          task: input.task,
          key: input.idempotencyKey,
          expiresAt: input.expiresAt,
          periodDate: periodDate(account.periodStart),
        },
      );
      if (!rows.length) return (await findByKey(trx, tenantId, input.idempotencyKey))!;
      const row = rows[0] as { reservation_id: string };
      return { reservationId: row.reservation_id, amountHeld: input.amount, status: 'held', expiresAt: input.expiresAt, replayed: false };
    });
  }

  settle(tenantId: string, reservationId: string, actualCredits: number, options: { aiCallId: string | null; at: Date }): Promise<SettlementReceipt> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const locked = await lockReservation(trx, tenantId, reservationId);
      if (locked.status !== 'held') {
        return { reservationId, status: locked.status, charged: locked.amount_settled, uncovered: 0, replayed: true };
      }
      const held = locked.amount_held;
      const { charged, uncovered, balanceDelta } = settlement(held, actualCredits, locked.balance);
      await trx.raw(
        `with acct as (
           update credit_accounts set balance = balance + :delta, reserved = reserved - :held, updated_at = now()
           where tenant_id = :tenantId returning balance, reserved
         ), res as (
           update credit_reservations set status = 'settled', amount_settled = :charged, settled_at = :at, updated_at = now()
           where id = :reservationId and status = 'held' returning id
         )
         insert into credit_ledger (tenant_id, kind, amount, reserved_delta, balance_after, reserved_after, reservation_id,
                                    ai_call_id, idempotency_key, period_start, memo, created_at)
         select cast(:tenantId as uuid), 'settle', cast(:delta as integer), cast(:negHeld as integer), acct.balance,
                acct.reserved, res.id, cast(:aiCallId as uuid), 'settle:' || res.id, cast(:periodDate as date),
                cast(:memo as text), ${NEXT_ENTRY_AT}
         from acct, res`,
        {
          tenantId,
          reservationId,
          delta: balanceDelta,
          held,
          negHeld: -held,
          charged,
          at: options.at,
          aiCallId: options.aiCallId,
          periodDate: periodDate(locked.period_start),
          memo: uncovered > 0 ? `uncovered:${uncovered}` : null,
        },
      );
      return { reservationId, status: 'settled', charged, uncovered, replayed: false };
    });
  }

  refund(tenantId: string, reservationId: string, reason: string, at: Date): Promise<RefundReceipt> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const locked = await lockReservation(trx, tenantId, reservationId);
      if (locked.status !== 'held') return { reservationId, status: locked.status, refunded: 0, replayed: true };
      const held = locked.amount_held;
      await trx.raw(
        `with acct as (
           update credit_accounts set balance = balance + :held, reserved = reserved - :held, updated_at = now()
           where tenant_id = :tenantId returning balance, reserved
         ), res as (
           update credit_reservations set status = 'refunded', refunded_at = :at, updated_at = now()
           where id = :reservationId and status = 'held' returning id
         )
         insert into credit_ledger (tenant_id, kind, amount, reserved_delta, balance_after, reserved_after, reservation_id,
                                    idempotency_key, period_start, memo, created_at)
         select cast(:tenantId as uuid), 'refund', cast(:held as integer), cast(:negHeld as integer), acct.balance,
                acct.reserved, res.id, 'refund:' || res.id, cast(:periodDate as date), cast(:memo as text), ${NEXT_ENTRY_AT}
         from acct, res`,
        { tenantId, reservationId, held, negHeld: -held, at, periodDate: periodDate(locked.period_start), memo: reason },
      );
      return { reservationId, status: 'refunded', refunded: held, replayed: false };
    });
  }

  balance(tenantId: string): Promise<CreditBalance> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const account = await trx('creditAccounts').where({ tenantId }).first('balance', 'reserved', 'periodStart', 'periodEnd');
      const plan = await currentPlan(trx, tenantId);
      let consumed = 0;
      if (account?.periodStart) {
        const row = await trx('creditReservations')
          .where({ tenantId, status: 'settled' })
          .where('settledAt', '>=', account.periodStart)
          .sum<{ total: number | null }>('amountSettled as total')
          .first();
        consumed = Number(row?.total ?? 0);
      }
      return {
        available: account?.balance ?? 0,
        reserved: account?.reserved ?? 0,
        periodStart: account?.periodStart ?? null,
        periodEnd: account?.periodEnd ?? null,
        monthlyGrant: plan?.monthlyCredits ?? 0,
        planName: plan?.planName ?? null,
        consumedThisPeriod: consumed,
      };
    });
  }

  history(tenantId: string, options: { limit: number; before?: string }): Promise<LedgerEntry[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = trx('creditLedger as l')
        .leftJoin('creditReservations as r', 'r.id', 'l.reservationId')
        .where('l.tenantId', tenantId)
        .select('l.id', 'l.kind', 'l.amount', 'l.reservedDelta', 'l.balanceAfter', 'l.reservedAfter', 'l.reservationId', 'r.task', 'l.aiCallId', 'l.memo', 'l.createdAt')
        .select(trx.raw(`case when l.kind = 'settle' then r.amount_settled end as charged`))
        .orderBy([
          { column: 'l.createdAt', order: 'desc' },
          { column: 'l.id', order: 'desc' },
        ])
        .limit(options.limit);
      if (options.before) {
        query.whereRaw('(l.created_at, l.id) < (select c.created_at, c.id from credit_ledger c where c.id = ?)', [options.before]);
      }
      return (await query) as LedgerEntry[];
    });
  }

  async creditRate(currency: string, at: Date): Promise<number | null> {
    // credit_rates is platform data (no tenant rows): one plain read, no unit of work needed.
    const row = await this.deps.database
      .knex('creditRates')
      .where({ currency })
      .where('effectiveFrom', '<=', at)
      .orderBy('effectiveFrom', 'desc')
      .first('microsPerCredit');
    return row ? Number(row.microsPerCredit) : null;
  }

  grantMonthly(tenantId: string, now: Date): Promise<GrantOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx.raw(`insert into credit_accounts (tenant_id) values (?) on conflict (tenant_id) do nothing`, [tenantId]);
      const account = (await lockAccount(trx, tenantId))!;
      const unchanged = (skipped: GrantOutcome['skipped']): GrantOutcome => ({
        granted: 0,
        expired: 0,
        periodStart: account.periodStart,
        periodEnd: account.periodEnd,
        skipped,
      });
      if (account.periodEnd && account.periodEnd > now) return unchanged('notDue');
      const plan = await currentPlan(trx, tenantId);
      if (!plan) return unchanged('noSubscription');
      const period = creditPeriodAt({ start: plan.currentPeriodStart, end: plan.currentPeriodEnd }, now);
      if (!period) return unchanged('notStarted');

      let balance = account.balance;
      let expired = 0;
      const entries: Record<string, unknown>[] = [];
      // What is left of the previous period expires (held credits stay held: their calls are in flight).
      if (account.periodStart && balance > 0 && period.start > account.periodStart) {
        expired = balance;
        balance = 0;
        entries.push({
          kind: 'expire',
          amount: -expired,
          balanceAfter: balance,
          idempotencyKey: expireKey(account.periodStart),
          periodStart: periodDate(account.periodStart),
        });
      }
      let granted = 0;
      const key = grantKey(period.start);
      if (plan.monthlyCredits > 0 && !(await trx('creditLedger').where({ tenantId, idempotencyKey: key }).first('id'))) {
        granted = plan.monthlyCredits;
        balance += granted;
        entries.push({ kind: 'grant', amount: granted, balanceAfter: balance, idempotencyKey: key, periodStart: periodDate(period.start), memo: plan.planName });
      }
      for (const entry of entries) {
        await trx('creditLedger').insert({
          tenantId,
          reservedDelta: 0,
          reservedAfter: account.reserved,
          createdAt: trx.raw(NEXT_ENTRY_AT.replace(':tenantId', '?'), [tenantId]),
          ...entry,
        });
      }
      await trx('creditAccounts')
        .where({ tenantId })
        .update({
          balance,
          periodStart: period.start,
          periodEnd: period.end,
          ...(granted > 0 ? { lastGrantedAt: now } : {}),
          updatedAt: trx.fn.now(),
        });
      return { granted, expired, periodStart: period.start, periodEnd: period.end };
    });
  }

  tenantsDueForReset(now: Date): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const rows = await trx('subscriptions as s')
        .join('tenants as t', 't.id', 's.tenantId')
        .leftJoin('creditAccounts as a', 'a.tenantId', 's.tenantId')
        .whereNot('s.status', 'cancelled')
        .where('t.status', 'active')
        .where('s.currentPeriodStart', '<=', now)
        .where((q) => q.whereNull('a.id').orWhereNull('a.periodEnd').orWhere('a.periodEnd', '<=', now))
        .orderBy('s.tenantId')
        .select('s.tenantId');
      return rows.map((r: { tenantId: string }) => r.tenantId);
    });
  }

  staleReservations(now: Date, limit: number): Promise<{ tenantId: string; reservationId: string }[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('creditReservations')
        .where({ status: 'held' })
        .where('expiresAt', '<=', now)
        .orderBy('expiresAt')
        .limit(limit)
        .select('tenantId', 'id as reservationId'),
    );
  }

  regenerationAllowance(tenantId: string, contentId: string): Promise<RegenerationAllowance> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const cap = (await currentPlan(trx, tenantId))?.regenerationCap ?? 0;
      const row = await trx('regenerationCounters').where({ tenantId, contentId }).first('regenerations');
      const used = row?.regenerations ?? 0;
      return { cap, used, left: Math.max(0, cap - used) };
    });
  }

  countRegeneration(tenantId: string, contentId: string, at: Date): Promise<RegenerationAllowance | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const cap = (await currentPlan(trx, tenantId))?.regenerationCap ?? 0;
      if (cap <= 0) return null;
      // One statement: the row lock of ON CONFLICT makes the check and the increment atomic.
      const { rows } = await trx.raw(
        `insert into regeneration_counters (tenant_id, content_id, regenerations, last_regenerated_at)
         values (:tenantId, :contentId, 1, :at)
         on conflict (tenant_id, content_id) do update
           set regenerations = regeneration_counters.regenerations + 1, last_regenerated_at = excluded.last_regenerated_at, updated_at = now()
           where regeneration_counters.regenerations < :cap
         returning regenerations`,
        { tenantId, contentId, at, cap },
      );
      if (!rows.length) return null;
      const used = Number(rows[0].regenerations);
      return { cap, used, left: Math.max(0, cap - used) };
    });
  }

  releaseRegeneration(tenantId: string, contentId: string): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('regenerationCounters')
        .where({ tenantId, contentId })
        .where('regenerations', '>', 0)
        .update({ regenerations: trx.raw('regenerations - 1'), updatedAt: trx.fn.now() });
    });
  }
}

/** The reservation already made with this idempotency key, answered as a replay. */
async function findByKey(trx: Knex.Transaction, tenantId: string, idempotencyKey: string): Promise<ReservationReceipt | null> {
  const existing = await trx('creditReservations').where({ tenantId, idempotencyKey }).first('id', 'amountHeld', 'status', 'expiresAt');
  if (!existing) return null;
  return { reservationId: existing.id, amountHeld: existing.amountHeld, status: existing.status, expiresAt: existing.expiresAt, replayed: true };
}

/** Locks the account and the reservation (in that order: one statement, rows of both tables locked). */
async function lockReservation(trx: Knex.Transaction, tenantId: string, reservationId: string): Promise<LockedReservation> {
  const { rows } = await trx.raw(
    `select a.balance, a.reserved, a.period_start, r.amount_held, r.amount_settled, r.status
     from credit_accounts a join credit_reservations r on r.tenant_id = a.tenant_id
     where a.tenant_id = ? and r.id = ?
     for update of a, r`,
    [tenantId, reservationId],
  );
  if (!rows.length) throw new NotFoundError('billing.errors.reservationNotFound');
  return rows[0] as LockedReservation;
}
