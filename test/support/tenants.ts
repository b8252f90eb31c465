import crypto from 'node:crypto';
import type { Database } from '../../src/adapters/db/database.js';

export interface TestTenant {
  id: string;
  slug: string;
}

/**
 * A fresh tenant of its own (so tests sharing the database do not disturb each other), on a plan, with a
 * funded credit account whose ledger explains its balance.
 */
export async function createTenant(
  database: Database,
  options: { plan?: string; credits?: number; requiresEu?: boolean; locale?: string; name?: string } = {},
): Promise<TestTenant> {
  const slug = `t-${crypto.randomBytes(5).toString('hex')}`;
  const credits = options.credits ?? 10_000;
  return database.asPlatform(async (trx) => {
    const direct = await trx('distributors').where({ code: 'direct' }).first('id');
    const plan = await trx('plans').where({ code: options.plan ?? 'growth' }).first('id');
    const [tenant] = await trx('tenants')
      .insert({ slug, name: options.name ?? `Test ${slug}`, distributorId: direct.id, requiresEuProcessing: options.requiresEu ?? false, locale: options.locale ?? 'fr' })
      .returning('id');
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    await trx('subscriptions').insert({ tenantId: tenant.id, planId: plan.id, status: 'active', currentPeriodStart: start, currentPeriodEnd: end });
    await trx('creditAccounts').insert({ tenantId: tenant.id, balance: credits, reserved: 0, periodStart: start, periodEnd: end, lastGrantedAt: now });
    if (credits > 0) {
      await trx('creditLedger').insert({
        tenantId: tenant.id,
        kind: 'grant',
        amount: credits,
        balanceAfter: credits,
        reservedAfter: 0,
        idempotencyKey: `test-grant:${tenant.id}`,
        periodStart: start,
        memo: 'test grant',
      });
    }
    return { id: tenant.id, slug };
  });
}

export async function creditBalance(database: Database, tenantId: string): Promise<{ balance: number; reserved: number }> {
  return database.forTenant(tenantId, (trx) => trx('creditAccounts').where({ tenantId }).first('balance', 'reserved'));
}
