import type { Database } from '../../adapters/db/database.js';

export interface TenantSummary {
  id: string;
  name: string;
  slug: string;
  status: string;
  distributorName: string;
  members: number;
  createdAt: Date;
}

/** Super-admin views across tenants. Every query runs in the explicit platform context. */
export class PlatformDirectory {
  constructor(private readonly deps: { database: Database }) {}

  listDistributors() {
    return this.deps.database.asPlatform((trx) =>
      trx('distributors as d')
        .leftJoin('distributors as p', 'p.id', 'd.parentId')
        .select('d.id', 'd.code', 'd.name', 'd.kind', 'd.status', 'p.name as parentName')
        .select(trx.raw('(select count(*) from tenants t where t.distributor_id = d.id)::int as tenants'))
        .orderBy('d.name'),
    );
  }

  listTenants(): Promise<TenantSummary[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('tenants as t')
        .join('distributors as d', 'd.id', 't.distributorId')
        .select('t.id', 't.name', 't.slug', 't.status', 't.createdAt', 'd.name as distributorName')
        .select(trx.raw(`(select count(*) from memberships m where m.tenant_id = t.id)::int as members`))
        .orderBy('t.name'),
    );
  }

  listUsers() {
    return this.deps.database.asPlatform((trx) =>
      trx('users as u')
        .select('u.id', 'u.email', 'u.name', 'u.status', 'u.lastLoginAt')
        .select(
          trx.raw(`coalesce((select string_agg(r.code || coalesce(':' || t.name, ''), ', ' order by r.code)
                    from memberships m join roles r on r.id = m.role_id left join tenants t on t.id = m.tenant_id
                    where m.user_id = u.id), '') as roles`),
        )
        .orderBy('u.email'),
    );
  }

  async counts(): Promise<{ distributors: number; tenants: number; users: number }> {
    return this.deps.database.asPlatform(async (trx) => {
      const row = await trx
        .select(
          trx.raw('(select count(*) from distributors)::int as distributors'),
          trx.raw('(select count(*) from tenants)::int as tenants'),
          trx.raw('(select count(*) from users)::int as users'),
        )
        .first();
      return row;
    });
  }
}
