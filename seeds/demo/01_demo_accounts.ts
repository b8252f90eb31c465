import type { Knex } from 'knex';
import { Argon2PasswordHasher } from '../../src/adapters/crypto/argon2-password-hasher.js';
import { creditPeriodAt, grantKey, periodDate } from '../../src/modules/billing/domain.js';

/** Demo mode only (never in production): two client workspaces with their owners and subscriptions, and a super admin. */
export const DEMO_TENANTS = [
  { slug: 'boulangerie-martin', name: 'Boulangerie Martin', timezone: 'Europe/Paris', owner: { email: 'demo@cadence.test', name: 'Claire Martin' }, plan: 'growth' },
  { slug: 'velo-atelier-nantes', name: 'L’Atelier Vélo Nantes', timezone: 'Europe/Paris', owner: { email: 'demo2@cadence.test', name: 'Hugo Le Goff' }, plan: 'starter' },
] as const;

export async function seed(knex: Knex): Promise<void> {
  const hasher = new Argon2PasswordHasher();
  const direct = await knex('distributors').where({ code: 'direct' }).first('id');
  const roleId = async (code: string) => (await knex('roles').where({ code }).first('id')).id as string;

  const ensureUser = async (email: string, name: string, password: string): Promise<string> => {
    const existing = await knex('users').whereRaw('lower(email) = ?', [email]).first('id');
    if (existing) return existing.id;
    const [row] = await knex('users').insert({ email, name, passwordHash: await hasher.hash(password), locale: 'fr' }).returning('id');
    return row.id;
  };
  const ensureMembership = async (userId: string, roleCode: string, tenantId: string | null) => {
    const scope = tenantId ? 'tenant' : 'platform';
    const exists = await knex('memberships').where({ userId, scope, tenantId }).first('id');
    if (!exists) await knex('memberships').insert({ userId, scope, tenantId, roleId: await roleId(roleCode) });
  };

  for (const demo of DEMO_TENANTS) {
    const [tenant] = await knex('tenants')
      .insert({ slug: demo.slug, name: demo.name, distributorId: direct.id, timezone: demo.timezone, locale: 'fr' })
      .onConflict('slug')
      .merge(['name'])
      .returning('id');
    const userId = await ensureUser(demo.owner.email, demo.owner.name, 'cadence-demo');
    await ensureMembership(userId, 'client_owner', tenant.id);
    if (!(await knex('subscriptions').where({ tenantId: tenant.id }).whereNot('status', 'cancelled').first('id'))) {
      const plan = await knex('plans').where({ code: demo.plan }).first('id');
      const now = new Date();
      const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
      await knex('subscriptions').insert({ tenantId: tenant.id, planId: plan.id, status: 'active', currentPeriodStart: start, currentPeriodEnd: end });
    }
    await ensureCredits(knex, tenant.id);
  }
  const adminId = await ensureUser('admin@cadence.test', 'Admin Cadence', 'cadence-admin');
  await ensureMembership(adminId, 'super_admin', null);
}

/** The demo tenant's credit account with the plan's monthly grant for the current period (the ledger keys match the service's, so the hourly reset never grants it twice). */
async function ensureCredits(knex: Knex, tenantId: string): Promise<void> {
  if (await knex('creditAccounts').where({ tenantId }).first('id')) return;
  const sub = await knex('subscriptions as s')
    .join('plans as p', 'p.id', 's.planId')
    .where('s.tenantId', tenantId)
    .whereNot('s.status', 'cancelled')
    .first('s.currentPeriodStart', 's.currentPeriodEnd', 'p.monthlyCredits', 'p.name');
  const now = new Date();
  const period = sub ? creditPeriodAt({ start: sub.currentPeriodStart, end: sub.currentPeriodEnd }, now) : null;
  if (!sub || !period) return;
  const grant = sub.monthlyCredits as number;
  await knex.transaction(async (trx) => {
    await trx('creditAccounts').insert({ tenantId, balance: grant, reserved: 0, periodStart: period.start, periodEnd: period.end, lastGrantedAt: grant > 0 ? now : null });
    if (grant > 0) {
      await trx('creditLedger').insert({
        tenantId,
        kind: 'grant',
        amount: grant,
        reservedDelta: 0,
        balanceAfter: grant,
        reservedAfter: 0,
        idempotencyKey: grantKey(period.start),
        periodStart: periodDate(period.start),
        memo: sub.name,
      });
    }
  });
}
