import type { Knex } from 'knex';
import { nextMonth } from '../domain.js';
import type { Database } from '../../../adapters/db/database.js';
import { engagementOf, type Engagement, type Period } from '../month-performance.js';

/** The run's contents by status (statuses folded the way the client reads them). */
export interface ContentCounts {
  total: number;
  published: number;
  /** Approved and waiting for their slot (approved, scheduled, publishing). */
  scheduled: number;
  pendingApproval: number;
  rejected: number;
  /** Not written yet or being written (draft, generating). */
  draft: number;
  failed: number;
}

export interface ChannelEngagement extends Engagement {
  channel: string;
  /** Publications sent in the month on the channel, measured or not. */
  publications: number;
}

export interface ContentEngagement extends Engagement {
  contentId: string;
  title: string;
  channel: string;
}

export interface MonthFigures {
  contents: ContentCounts;
  perChannel: ChannelEngagement[];
  /** Every content published in the month with at least one measure. */
  measuredContents: ContentEngagement[];
  /** Human short-link clicks during the month per channel (`null`: a link outside any channel). */
  linkClicks: { channel: string | null; clicks: number }[];
  credits: { spent: number; estimated: number | null; budget: number | null };
  approvals: { approved: number; rejected: number; regenerations: number };
}

export interface WindowContentRow extends Engagement {
  contentId: string;
  sourcePublicationId: string;
  recyclable: boolean;
}

export interface EvergreenProposal {
  contentId: string;
  sourcePublicationId: string;
  score: number;
}

export interface SessionItemInput {
  /** The month measured: the item goes to the first later session no run has used yet. */
  after: string;
  locale: string;
  title: string;
  detail: string;
}

const num = (value: unknown): number => Number(value ?? 0);


/**
 * Engagement rows hold the cumulative totals a network reported as of each day: a publication's figures are its
 * latest row up to `endDay`, never a sum of days. `pubs` is a CTE of publications (`id`, `content_id`).
 */
const LATEST_MEASURES = `
  latest as (
    select distinct on (em.publication_id) em.publication_id, em.impressions, em.reactions, em.comments, em.shares, em.clicks
    from engagement_metrics em
    join pubs on pubs.id = em.publication_id
    where em.tenant_id = :tenantId and em.metric_date < :endDay
    order by em.publication_id, em.metric_date desc
  )`;

const SUMS = `
  coalesce(sum(l.impressions), 0) as impressions, coalesce(sum(l.reactions), 0) as reactions,
  coalesce(sum(l.comments), 0) as comments, coalesce(sum(l.shares), 0) as shares, coalesce(sum(l.clicks), 0) as clicks`;

/** Publications of the tenant sent in a period (`sent_at` in `[from, to)`), with their content's channel. */
const PUBS = `
  pubs as (
    select p.id, p.content_id, c.channel
    from publications p join contents c on c.id = p.content_id
    where p.tenant_id = :tenantId and p.sent_at >= :from and p.sent_at < :to
  )`;

/** Read model of a month's performance (step 7) and the writes it feeds: evergreen proposals, next month's session. */
export class KnexPerformanceRepository {
  constructor(private readonly deps: { database: Database }) {}

  monthFigures(tenantId: string, run: { runId: string; editorialPlanId: string | null }, month: Period): Promise<MonthFigures> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const bindings = { tenantId, from: month.from, to: month.to, endDay: month.endDay };
      const perChannel = await trx.raw(
        `with ${PUBS}, ${LATEST_MEASURES}
         select pubs.channel, count(*) as publications, ${SUMS}
         from pubs left join latest l on l.publication_id = pubs.id
         group by pubs.channel order by pubs.channel`,
        bindings,
      );
      const measured = await trx.raw(
        `with ${PUBS}, ${LATEST_MEASURES}
         select c.id as content_id, c.channel, coalesce(nullif(c.title, ''), v.title, '') as title, ${SUMS}
         from latest l
         join pubs on pubs.id = l.publication_id
         join contents c on c.id = pubs.content_id
         left join content_versions v on v.id = c.current_version_id
         group by c.id, c.channel, c.title, v.title`,
        bindings,
      );
      const clicks = await trx.raw(
        `select sl.channel, count(*) as clicks
         from short_link_clicks k join short_links sl on sl.id = k.short_link_id
         where k.tenant_id = :tenantId and not k.is_bot and k.clicked_at >= :from and k.clicked_at < :to
         group by sl.channel order by sl.channel`,
        bindings,
      );
      return {
        contents: await runContents(trx, tenantId, run.editorialPlanId),
        perChannel: perChannel.rows.map((r: Record<string, unknown>) => ({ channel: r.channel as string, publications: num(r.publications), ...engagementOf(r) })),
        measuredContents: measured.rows.map((r: Record<string, unknown>) => ({
          contentId: r.content_id as string,
          title: r.title as string,
          channel: r.channel as string,
          ...engagementOf(r),
        })),
        linkClicks: clicks.rows.map((r: Record<string, unknown>) => ({ channel: (r.channel as string | null) ?? null, clicks: num(r.clicks) })),
        credits: await runCredits(trx, tenantId, run.runId),
        approvals: await runApprovals(trx, tenantId, run.editorialPlanId),
      };
    });
  }

  /**
   * Every content published in the window with at least one measure (a publication without any is unknown, not
   * zero), with its summed latest totals. Not recyclable: SMS and newsletters (addressed to a list at a moment),
   * contents marked time-bound or dated, contents of a campaign that ends, archived ones, and contents whose
   * proposal was already dismissed or republished (the client decided).
   */
  windowContents(tenantId: string, window: Period): Promise<WindowContentRow[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const result = await trx.raw(
        `with ${PUBS}, ${LATEST_MEASURES}
         select c.id as content_id, (array_agg(l.publication_id order by l.publication_id))[1] as source_publication_id,
           (c.channel not in ('sms', 'newsletter') and not c.is_time_bound and c.valid_until is null and c.status <> 'archived'
             and not exists (select 1 from campaigns g where g.id = c.campaign_id and g.ends_on is not null)
             and not exists (select 1 from evergreen_candidates e where e.content_id = c.id and e.status in ('dismissed', 'republished'))
           ) as recyclable,
           ${SUMS}
         from latest l join pubs on pubs.id = l.publication_id join contents c on c.id = pubs.content_id
         group by c.id`,
        { tenantId, from: window.from, to: window.to, endDay: window.endDay },
      );
      return result.rows.map((r: Record<string, unknown>) => ({
        contentId: r.content_id as string,
        sourcePublicationId: r.source_publication_id as string,
        recyclable: Boolean(r.recyclable),
        ...engagementOf(r),
      }));
    });
  }

  /** Opens a proposal per content; one already open (proposed or accepted) is kept as it is. */
  proposeEvergreen(tenantId: string, proposals: EvergreenProposal[], window: Period, medianScore: number): Promise<void> {
    if (proposals.length === 0) return Promise.resolve();
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('evergreenCandidates')
        .insert(
          proposals.map((p) => ({
            tenantId,
            contentId: p.contentId,
            sourcePublicationId: p.sourcePublicationId,
            engagementScore: p.score,
            tenantMedianScore: medianScore,
            windowStart: window.firstDay,
            windowEnd: window.lastDay,
          })),
        )
        .onConflict(trx.raw(`(tenant_id, content_id) where status in ('proposed', 'accepted')`))
        .ignore();
    });
  }

  /**
   * Makes sure the month's session exists (open, in the tenant's language) and holds one analytics item: added once,
   * under the session's row lock so two executions cannot both add it. A session already submitted or closed keeps
   * its text; the item is only appended.
   */
  addAnalyticsItem(tenantId: string, item: SessionItemInput): Promise<{ sessionId: string; added: boolean }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      // Runs prepare their month ahead, so the month right after the measured one has usually been planned already:
      // the lesson goes to the first later month whose session no run has closed yet.
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`analytics_item:${tenantId}`]);
      const existing = await trx('monthlySessionItems').where({ tenantId, source: 'analytics', title: item.title.slice(0, 500) }).first('sessionId');
      if (existing) return { sessionId: existing.sessionId as string, added: false };
      let month = nextMonth(item.after);
      for (;;) {
        const used = await trx('monthlySessions').where({ tenantId, month, status: 'closed' }).first('id');
        const planned = await trx('pipelineRuns').where({ tenantId, month }).whereNot('status', 'cancelled').first('id');
        if (!used && !planned) break;
        month = nextMonth(month);
      }
      await trx('monthlySessions').insert({ tenantId, month, status: 'open', locale: item.locale }).onConflict(['tenantId', 'month']).ignore();
      const session = await trx('monthlySessions').where({ tenantId, month }).forUpdate().first('id');
      const last = await trx('monthlySessionItems').where({ tenantId, sessionId: session.id }).max('position as n').first();
      await trx('monthlySessionItems').insert({
        tenantId,
        sessionId: session.id,
        kind: 'priority',
        source: 'analytics',
        title: item.title.slice(0, 500),
        detail: item.detail,
        locale: item.locale,
        position: num(last?.n ?? -1) + 1,
      });
      return { sessionId: session.id as string, added: true };
    });
  }
}

async function runContents(trx: Knex.Transaction, tenantId: string, planId: string | null): Promise<ContentCounts> {
  const counts: ContentCounts = { total: 0, published: 0, scheduled: 0, pendingApproval: 0, rejected: 0, draft: 0, failed: 0 };
  if (!planId) return counts;
  const rows = await trx('editorialPlanItems as i')
    .join('contents as c', 'c.id', 'i.contentId')
    .where({ 'i.tenantId': tenantId, 'i.planId': planId })
    .groupBy('c.status')
    .select('c.status', trx.raw('count(*) as n'));
  const bucket: Record<string, keyof ContentCounts> = {
    published: 'published',
    approved: 'scheduled',
    scheduled: 'scheduled',
    publishing: 'scheduled',
    pending_approval: 'pendingApproval',
    rejected: 'rejected',
    draft: 'draft',
    generating: 'draft',
    failed: 'failed',
  };
  for (const row of rows as { status: string; n: unknown }[]) {
    counts.total += num(row.n);
    const key = bucket[row.status];
    if (key) counts[key] += num(row.n);
  }
  return counts;
}

async function runCredits(trx: Knex.Transaction, tenantId: string, runId: string): Promise<MonthFigures['credits']> {
  const row = await trx('pipelineRuns').where({ tenantId, id: runId }).first('spentCredits', 'estimatedCredits', 'budgetCredits');
  return { spent: num(row?.spentCredits), estimated: row?.estimatedCredits ?? null, budget: row?.budgetCredits ?? null };
}

/** Decisions recorded on the run's contents, and how many times they were written again (`regeneration_count`). */
async function runApprovals(trx: Knex.Transaction, tenantId: string, planId: string | null): Promise<MonthFigures['approvals']> {
  if (!planId) return { approved: 0, rejected: 0, regenerations: 0 };
  const contentIds = trx('editorialPlanItems').where({ tenantId, planId }).whereNotNull('contentId').select('contentId');
  const decisions = await trx('approvals')
    .where({ tenantId })
    .whereIn('contentId', contentIds)
    .whereIn('decision', ['approved', 'rejected'])
    .groupBy('decision')
    .select('decision', trx.raw('count(*) as n'));
  const regenerations = await trx('contents').where({ tenantId }).whereIn('id', contentIds.clone()).sum({ n: 'regenerationCount' }).first();
  const count = (decision: string) => num((decisions as { decision: string; n: unknown }[]).find((d) => d.decision === decision)?.n);
  return { approved: count('approved'), rejected: count('rejected'), regenerations: num(regenerations?.n) };
}
