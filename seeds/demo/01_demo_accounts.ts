import type { Knex } from 'knex';
import { Argon2PasswordHasher } from '../../src/adapters/crypto/argon2-password-hasher.js';

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
  }
  const adminId = await ensureUser('admin@cadence.test', 'Admin Cadence', 'cadence-admin');
  await ensureMembership(adminId, 'super_admin', null);
}
