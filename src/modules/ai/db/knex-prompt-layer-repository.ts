import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { Json, PromptLayerRow, PromptLevel } from '../prompt-cascade.js';
import type { PromptLayerRepository, PromptTenant, PromptTenantSummary, TenantLayers } from '../prompt-layer-service.js';

interface Row {
  tenantId: string;
  tenantName: string;
  tenantDistributorId: string;
  tenantLocale: string;
  id: string | null;
  level: PromptLevel | null;
  locale: string | null;
  key: string | null;
  value: Json;
  version: number | null;
}

/**
 * One query for the three levels of one tenant: the tenant row (its distributor and locale) left-joined to
 * the active layers of the platform, of its distributor and of itself — of each level, locale and key only
 * the highest active version. The filters are explicit, so the query is right in the tenant's context
 * (where row-level security would hide the rest anyway: `cascade_read`) and in the platform context.
 */
const LAYERS_SQL = `
  with t as (select id, name, distributor_id, locale from tenants where id = ?)
  select t.id as "tenantId", t.name as "tenantName", t.distributor_id as "tenantDistributorId", t.locale as "tenantLocale",
         pl.id, pl.level, pl.locale, pl.key, pl.value, pl.version
    from t
    left join lateral (
      select distinct on (p.level, p.locale, p.key) p.id, p.level, p.locale, p.key, p.value, p.version
        from prompt_layers p
       where p.active
         and (p.level = 'platform'
              or (p.level = 'distributor' and p.distributor_id = t.distributor_id)
              or (p.level = 'tenant' and p.tenant_id = t.id))
         and (?::text[] is null or p.locale = any(?::text[]))
       order by p.level, p.locale, p.key, p.version desc
    ) pl on true`;

async function loadLayers(trx: Knex.Transaction, tenantId: string, locales: readonly string[] | null): Promise<TenantLayers | null> {
  const list = locales ? [...locales] : null;
  const result = await trx.raw<{ rows: Row[] }>(LAYERS_SQL, [tenantId, list, list]);
  const rows = result.rows;
  if (rows.length === 0) return null;
  const first = rows[0];
  const tenant: PromptTenant = { id: first.tenantId, name: first.tenantName, distributorId: first.tenantDistributorId, locale: first.tenantLocale };
  const layers: PromptLayerRow[] = rows
    .filter((r) => r.id !== null)
    .map((r) => ({ id: r.id!, level: r.level!, locale: r.locale!, key: r.key!, value: r.value, version: r.version! }));
  return { tenant, rows: layers };
}

export class KnexPromptLayerRepository implements PromptLayerRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** Inside the tenant's own context: row-level security lets it read platform rows and its distributor's. */
  findForTenant(tenantId: string, locales: readonly string[] | null): Promise<TenantLayers | null> {
    return this.deps.database.forTenant(tenantId, (trx) => loadLayers(trx, tenantId, locales));
  }

  /** The super admin's inspector: the same query in the explicit platform context. */
  findForTenantAsPlatform(tenantId: string, locales: readonly string[] | null): Promise<TenantLayers | null> {
    return this.deps.database.asPlatform((trx) => loadLayers(trx, tenantId, locales));
  }

  listTenants(): Promise<PromptTenantSummary[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('tenants as t')
        .join('distributors as d', 'd.id', 't.distributorId')
        .select('t.id', 't.name', 't.slug', 't.locale', 'd.name as distributorName')
        .orderBy('t.name'),
    );
  }

  /** Locales that have at least one active layer (for the inspector's picker). */
  async listLocales(): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) => (await trx('promptLayers').where('active', true).distinct('locale').orderBy('locale')).map((r: { locale: string }) => r.locale));
  }
}
