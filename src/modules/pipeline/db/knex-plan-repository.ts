import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { utmSlug } from '../../studio/campaign-service.js';
import type { Channel } from '../../studio/channels.js';
import type { PlanCampaign, PlanEvergreen } from '../plan-normaliser.js';

export interface MonthCampaign extends PlanCampaign {
  startsOn: string | null;
  endsOn: string | null;
}

/** A campaign the month's offers and events call for (created unless one of that name covers the period). */
export interface WantedCampaign {
  name: string;
  objective: string;
  startsOn: string;
  endsOn: string;
  /** Slug used when the name has no letter or digit to make one from. */
  fallbackSlug: string;
}

export interface NewPlan {
  runId: string;
  month: string;
  dnaSnapshotId: string | null;
  aiCallId: string | null;
  summary: string;
  locale: string;
  items: NewPlanItem[];
}

export interface NewPlanItem {
  position: number;
  channel: Channel;
  theme: string;
  angle: string;
  targetKeyword: string | null;
  campaignId: string | null;
  evergreenSourceContentId: string | null;
  plannedDate: string;
  plannedSlotAt: Date | null;
}

export interface StoredPlan {
  id: string;
  summary: string;
  items: number;
  perChannel: Record<string, number>;
  evergreen: number;
}

const UTM_MAX = 100;

function sameName(a: string, b: string): boolean {
  return a.trim().toLocaleLowerCase('fr') === b.trim().toLocaleLowerCase('fr');
}

/** `slug`, or `slug-N` with the smallest N ≥ 2 not taken (the campaign repository's rule). */
function freeSlug(slug: string, taken: Set<string>): string {
  if (!taken.has(slug)) return slug;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${slug.slice(0, UTM_MAX - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * What step 4 reads and writes: the month's campaigns (and those its offers and events call for), the proposed
 * evergreen contents, and the editorial plan with its items. Every method runs in the tenant's context.
 */
export class KnexPlanRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** The plan a run already produced, or null. */
  planOfRun(tenantId: string, runId: string): Promise<StoredPlan | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const plan = await trx('editorialPlans').where({ tenantId, pipelineRunId: runId }).orderBy('createdAt').first('id', 'summary');
      return plan ? storedPlan(trx, tenantId, plan) : null;
    });
  }

  /** What an AI call cost at catalogue prices (micro-units), for the run's totals. */
  callCostMicros(tenantId: string, callId: string): Promise<number> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('aiCalls').where({ tenantId, id: callId }).first('costMicros');
      return Number(row?.costMicros ?? 0);
    });
  }

  /**
   * Creates the wanted campaigns that do not exist yet, then returns the month's active campaigns. A campaign
   * exists when one of the same name (any case, any status) overlaps the wanted period, so running this again
   * creates nothing. Serialised with the studio's campaign creation by the same per-tenant lock on slugs.
   */
  ensureCampaigns(
    tenantId: string,
    input: { wanted: WantedCampaign[]; month: { firstDay: string; lastDay: string }; locale: string },
  ): Promise<{ campaigns: MonthCampaign[]; created: number }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      let created = 0;
      if (input.wanted.length) {
        await trx.raw(`select pg_advisory_xact_lock(hashtext('campaign-utm:' || ?))`, [tenantId]);
        for (const wanted of input.wanted) {
          const overlapping: { name: string }[] = await trx('campaigns')
            .where({ tenantId })
            .where((q) => q.whereNull('startsOn').orWhere('startsOn', '<=', wanted.endsOn))
            .where((q) => q.whereNull('endsOn').orWhere('endsOn', '>=', wanted.startsOn))
            .select('name');
          // compared here, not with SQL lower(), which leaves accented capitals alone under the C locale
          if (overlapping.some((c) => sameName(c.name, wanted.name))) continue;
          const slug = utmSlug(wanted.name) || wanted.fallbackSlug;
          const rows = await trx('campaigns')
            .where({ tenantId })
            .where((q) => q.where('utmCampaign', slug).orWhereLike('utmCampaign', `${slug}-%`))
            .select('utmCampaign');
          await trx('campaigns').insert({
            tenantId,
            name: wanted.name,
            objective: wanted.objective,
            startsOn: wanted.startsOn,
            endsOn: wanted.endsOn,
            status: 'active',
            utmCampaign: freeSlug(slug, new Set(rows.map((r: { utmCampaign: string }) => r.utmCampaign))),
            locale: input.locale,
          });
          created++;
        }
      }
      const campaigns = await trx('campaigns')
        .where({ tenantId, status: 'active' })
        .where((q) => q.whereNull('startsOn').orWhere('startsOn', '<=', input.month.lastDay))
        .where((q) => q.whereNull('endsOn').orWhere('endsOn', '>=', input.month.firstDay))
        .orderBy([{ column: 'startsOn', order: 'asc', nulls: 'first' }, { column: 'createdAt' }])
        .select('id', 'name', 'utmCampaign', trx.raw(`to_char(starts_on, 'YYYY-MM-DD') as starts_on`), trx.raw(`to_char(ends_on, 'YYYY-MM-DD') as ends_on`));
      return { campaigns: campaigns as MonthCampaign[], created };
    });
  }

  /** The tenant's proposed evergreen contents, best first, with their current title. */
  evergreenCandidates(tenantId: string, limit = 20): Promise<PlanEvergreen[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('evergreenCandidates as e')
        .join('contents as c', 'c.id', 'e.contentId')
        .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
        .where({ 'e.tenantId': tenantId, 'e.status': 'proposed' })
        .whereNot('c.status', 'archived')
        .orderBy([{ column: 'e.engagementScore', order: 'desc' }, { column: 'e.proposedAt', order: 'desc' }])
        .limit(limit)
        .select('e.contentId', 'c.channel', trx.raw(`coalesce(nullif(v.title, ''), c.title) as title`));
      return rows as PlanEvergreen[];
    });
  }

  /**
   * Saves the run's plan (status `confirmed`) and its items in one transaction. A plan already linked to the run is
   * returned as it is; another non-archived plan of the month (an earlier run's, or one made by hand) is archived
   * first, so the month keeps one live plan.
   */
  savePlan(tenantId: string, plan: NewPlan): Promise<{ plan: StoredPlan; created: boolean }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`editorial_plan:${tenantId}:${plan.month}`]);
      const existing = await trx('editorialPlans').where({ tenantId, pipelineRunId: plan.runId }).orderBy('createdAt').first('id', 'summary');
      if (existing) return { plan: await storedPlan(trx, tenantId, existing), created: false };
      await trx('editorialPlans').where({ tenantId, month: plan.month }).whereNot('status', 'archived').update({ status: 'archived', updatedAt: trx.fn.now() });
      const [row] = await trx('editorialPlans')
        .insert({
          tenantId,
          month: plan.month,
          status: 'confirmed',
          pipelineRunId: plan.runId,
          dnaSnapshotId: plan.dnaSnapshotId,
          aiCallId: plan.aiCallId,
          summary: plan.summary,
          confirmedAt: trx.fn.now(),
          locale: plan.locale,
        })
        .returning(['id', 'summary']);
      if (plan.items.length) {
        await trx('editorialPlanItems').insert(
          plan.items.map((item) => ({
            tenantId,
            planId: row.id,
            position: item.position,
            channel: item.channel,
            theme: item.theme,
            angle: item.angle,
            targetKeyword: item.targetKeyword,
            campaignId: item.campaignId,
            evergreenSourceContentId: item.evergreenSourceContentId,
            plannedDate: item.plannedDate,
            plannedSlotAt: item.plannedSlotAt,
            status: 'planned',
            locale: plan.locale,
          })),
        );
      }
      return { plan: await storedPlan(trx, tenantId, row), created: true };
    });
  }
}

async function storedPlan(trx: Knex.Transaction, tenantId: string, plan: { id: string; summary: string }): Promise<StoredPlan> {
  const rows: { channel: string; count: string | number; evergreen: string | number }[] = await trx('editorialPlanItems')
    .where({ tenantId, planId: plan.id })
    .groupBy('channel')
    .select('channel', trx.raw('count(*) as count'), trx.raw('count(evergreen_source_content_id) as evergreen'));
  const perChannel = Object.fromEntries(rows.map((r) => [r.channel, Number(r.count)]));
  return {
    id: plan.id,
    summary: plan.summary,
    items: rows.reduce((n, r) => n + Number(r.count), 0),
    perChannel,
    evergreen: rows.reduce((n, r) => n + Number(r.evergreen), 0),
  };
}
