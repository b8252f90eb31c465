import crypto from 'node:crypto';
import { testEnv } from '../../../support/root-hooks.js';

export interface CreditTenant {
  tenantId: string;
  planId: string;
  periodStart: Date;
  periodEnd: Date;
}

/**
 * A fresh tenant of its own (never a demo tenant, so other tests sharing the database are not disturbed), created
 * in the platform context: a private plan with `monthlyCredits` and `regenerationCap`, an active monthly
 * subscription, and — through the service, so the ledger explains every credit — the grant of the current period.
 */
export async function createCreditTenant(
  options: { monthlyCredits: number; regenerationCap?: number; periodStart?: Date; grantAt?: Date | null } = { monthlyCredits: 100 },
): Promise<CreditTenant> {
  const { database, creditService } = testEnv().container.cradle;
  const suffix = crypto.randomBytes(5).toString('hex');
  const now = new Date();
  const periodStart = options.periodStart ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const periodEnd = new Date(Date.UTC(periodStart.getUTCFullYear(), periodStart.getUTCMonth() + 1, periodStart.getUTCDate()));
  const { tenantId, planId } = await database.asPlatform(async (trx) => {
    const direct = await trx('distributors').where({ code: 'direct' }).first('id');
    const [plan] = await trx('plans')
      .insert({
        code: `test-credits-${suffix}`,
        name: `Test ${suffix}`,
        visibility: 'client',
        priceCents: 0,
        monthlyCredits: options.monthlyCredits,
        regenerationCap: options.regenerationCap ?? 3,
        mediaStorageLimitBytes: 0,
      })
      .returning('id');
    const [tenant] = await trx('tenants').insert({ name: `Crédits ${suffix}`, slug: `credits-${suffix}`, distributorId: direct.id }).returning('id');
    await trx('subscriptions').insert({ tenantId: tenant.id, planId: plan.id, status: 'active', currentPeriodStart: periodStart, currentPeriodEnd: periodEnd });
    return { tenantId: tenant.id as string, planId: plan.id as string };
  });
  if (options.grantAt !== null) await creditService.grantMonthly(tenantId, options.grantAt ?? now);
  return { tenantId, planId, periodStart, periodEnd };
}

/** The tenant's account and ledger as stored (read in its own context). */
export async function ledgerOf(tenantId: string) {
  const { database } = testEnv().container.cradle;
  return database.forTenant(tenantId, async (trx) => ({
    account: await trx('creditAccounts').where({ tenantId }).first(),
    entries: await trx('creditLedger').where({ tenantId }).orderBy([{ column: 'createdAt' }, { column: 'id' }]),
    reservations: await trx('creditReservations').where({ tenantId }).orderBy('createdAt'),
  }));
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
