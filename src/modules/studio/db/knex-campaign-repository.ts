import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { Campaign, CampaignStatus } from '../campaign-service.js';

export interface NewCampaign {
  name: string;
  objective: string;
  startsOn: string | null;
  endsOn: string | null;
  status: CampaignStatus;
  color: string | null;
  /** The slug wanted; a number is appended when the tenant already uses it. */
  utmCampaign: string;
  locale: string;
  createdBy: string;
}

// Dates as the calendar day that was typed (a `date` read as a JS Date would shift with the server's zone).
const COLUMNS = (trx: Knex.Transaction) => [
  'c.id',
  'c.name',
  'c.objective',
  trx.raw(`to_char(c.starts_on, 'YYYY-MM-DD') as starts_on`),
  trx.raw(`to_char(c.ends_on, 'YYYY-MM-DD') as ends_on`),
  'c.status',
  'c.utmCampaign',
  'c.color',
  'c.createdAt',
];

/** The tenant's campaigns (`campaigns`), with how many contents each groups. */
export class KnexCampaignRepository {
  constructor(private readonly deps: { database: Database }) {}

  list(tenantId: string): Promise<Campaign[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('campaigns as c')
        .where('c.tenantId', tenantId)
        .select([
          ...COLUMNS(trx),
          trx('contents').where({ tenantId }).whereRaw('contents.campaign_id = c.id').whereNot('status', 'archived').count('*').as('contentCount'),
        ])
        .orderByRaw(`case when c.status in ('completed', 'archived') then 1 else 0 end, c.starts_on desc nulls last, c.created_at desc`);
      return rows.map((r) => ({ ...r, contentCount: Number(r.contentCount) })) as Campaign[];
    });
  }

  /**
   * Inserts the campaign under a per-tenant lock on its slugs, taking the wanted utm slug or the first free
   * `slug-2`, `slug-3`… (the unique index is the last word; the lock only avoids a needless failure).
   */
  create(tenantId: string, input: NewCampaign): Promise<Campaign> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx.raw(`select pg_advisory_xact_lock(hashtext('campaign-utm:' || ?))`, [tenantId]);
      const rows = await trx('campaigns')
        .where({ tenantId })
        .where((q) => q.where('utmCampaign', input.utmCampaign).orWhereLike('utmCampaign', `${input.utmCampaign}-%`))
        .select('utmCampaign');
      const taken = new Set<string>(rows.map((r) => r.utmCampaign));
      const utmCampaign = freeSlug(input.utmCampaign, taken);
      const [row] = await trx('campaigns').insert({ tenantId, ...input, utmCampaign }).returning('id');
      const campaign = await trx('campaigns as c').where({ 'c.tenantId': tenantId, 'c.id': row.id }).first(COLUMNS(trx));
      return { ...campaign, contentCount: 0 } as Campaign;
    });
  }
}

/** `slug`, or `slug-N` with the smallest N ≥ 2 not taken, within the column's 100 characters. */
function freeSlug(slug: string, taken: Set<string>): string {
  if (!taken.has(slug)) return slug;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${slug.slice(0, 100 - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
