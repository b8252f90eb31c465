import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { NotFoundError } from '../../../shared/errors.js';
import type { Membership, TeamMember, User } from '../domain.js';
import type { MembershipRepository } from '../ports.js';
import { MembershipModel, RoleModel } from './models.js';

async function roleId(trx: Knex.Transaction, code: string): Promise<string> {
  const role = await RoleModel.query(trx).findOne({ code });
  if (!role) throw new NotFoundError('tenancy.errors.unknownRole');
  return role.id;
}

function teamQuery(trx: Knex.Transaction) {
  return trx('memberships as m')
    .join('users as u', 'u.id', 'm.userId')
    .join('roles as r', 'r.id', 'm.roleId')
    .where('m.scope', 'tenant')
    .select('m.id as membershipId', 'u.id as userId', 'u.email', 'u.name', 'r.code as roleCode', 'u.lastLoginAt');
}

export class KnexMembershipRepository implements MembershipRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** One query: the user and every scope they belong to (inactive tenants left out), highest role first. */
  findUserWithMemberships(userId: string): Promise<{ user: User; memberships: Membership[] } | null> {
    return this.deps.database.asPlatform(async (trx) => {
      const row = await trx('users as u')
        .leftJoin('memberships as m', 'm.userId', 'u.id')
        .leftJoin('roles as r', 'r.id', 'm.roleId')
        .leftJoin('tenants as t', 't.id', 'm.tenantId')
        .where('u.id', userId)
        .where((q) => q.whereNull('m.tenantId').orWhereIn('t.status', ['active', 'pending_deletion']))
        .groupBy('u.id')
        .first(
          'u.id',
          'u.email',
          'u.name',
          'u.locale',
          'u.status',
          'u.passwordHash',
          'u.lastLoginAt',
          trx.raw(
            `coalesce(json_agg(json_build_object('id', m.id, 'userId', m.user_id, 'scope', m.scope, 'tenantId', m.tenant_id,
               'tenantName', t.name, 'tenantTimezone', t.timezone, 'distributorId', m.distributor_id, 'roleCode', r.code, 'permissions', r.permissions)
               order by r.rank desc, t.name) filter (where m.id is not null), '[]') as memberships`,
          ),
        );
      if (!row) return null;
      const { memberships, ...user } = row as User & { memberships: Membership[] };
      return { user, memberships };
    });
  }

  async grantPlatformRole(userId: string, roleCode: string): Promise<void> {
    await this.deps.database.asPlatform(async (trx) => {
      const id = await roleId(trx, roleCode);
      await trx('memberships')
        .insert({ userId, scope: 'platform', roleId: id })
        .onConflict(trx.raw(`(user_id, scope, coalesce(distributor_id, tenant_id, '00000000-0000-0000-0000-000000000000'::uuid))`))
        .merge(['roleId']);
    });
  }

  listTeam(tenantId: string): Promise<TeamMember[]> {
    return this.deps.database.forTenant(tenantId, (trx) => teamQuery(trx).orderBy('u.email'));
  }

  findTeamMember(tenantId: string, membershipId: string): Promise<TeamMember | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await teamQuery(trx).where('m.id', membershipId).first()) ?? null);
  }

  async addToTenant(tenantId: string, userId: string, roleCode: string): Promise<void> {
    await this.deps.database.forTenant(tenantId, async (trx) => {
      const id = await roleId(trx, roleCode);
      await MembershipModel.query(trx).insert({ userId, scope: 'tenant', tenantId, roleId: id });
    });
  }

  async changeRole(tenantId: string, membershipId: string, roleCode: string): Promise<void> {
    await this.deps.database.forTenant(tenantId, async (trx) => {
      const updated = await MembershipModel.query(trx)
        .patch({ roleId: await roleId(trx, roleCode) })
        .where({ id: membershipId, scope: 'tenant' });
      if (!updated) throw new NotFoundError();
    });
  }

  async remove(tenantId: string, membershipId: string): Promise<void> {
    await this.deps.database.forTenant(tenantId, async (trx) => {
      const deleted = await MembershipModel.query(trx).delete().where({ id: membershipId, scope: 'tenant' });
      if (!deleted) throw new NotFoundError();
    });
  }

  countWithRole(tenantId: string, roleCode: string): Promise<number> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('memberships as m')
        .join('roles as r', 'r.id', 'm.roleId')
        .where({ 'm.scope': 'tenant', 'r.code': roleCode })
        .count<{ count: number }[]>('* as count')
        .first();
      return Number(row?.count ?? 0);
    });
  }
}
