import type { Database } from '../../../adapters/db/database.js';
import { engagementOf, type Engagement, type Period } from '../../pipeline/month-performance.js';
import { SOURCE_PRECEDENCE } from '../business-metric-domain.js';
import type { CockpitPeriods } from '../cockpit-period.js';

/** What a channel's publications gained: in one bucket of the current period, in the previous one, or elsewhere in the trend. */
export interface EngagementBucket extends Engagement {
  channel: string;
  side: Side | null;
  /** The chart bucket (`YYYY-MM-DD` of its first day), for the current period only. */
  bucket: string | null;
  /** The month (`YYYY-MM-01`) the gains belong to. */
  month: string;
}

export interface ContentEngagement extends Engagement {
  contentId: string;
  title: string;
  channel: string;
}

/** Which period a figure belongs to. */
export type Side = 'current' | 'previous';

/** Human clicks and conversions on one attribution key (channel, campaign, content). */
export interface AttributionRow {
  side: Side;
  channel: string | null;
  campaign: string | null;
  campaignName: string | null;
  contentId: string | null;
  contentTitle: string | null;
  clicks: number;
  conversions: number;
  /** Conversion value in cents of `currency` (null: conversions without a value, or clicks). */
  valueCents: number;
  currency: string | null;
}

export interface MonthlyActivity {
  month: string;
  clicks: number;
  conversions: number;
}

export interface MonthlyBusinessMetric {
  month: string;
  kind: 'revenue' | 'orders';
  value: number;
  currency: string | null;
}

export interface ReviewFigures {
  current: { count: number; average: number | null };
  previous: { count: number; average: number | null };
  months: { month: string; count: number; average: number }[];
}

export interface SafetyFigures {
  open: { kind: string; severity: string; count: number }[];
  /** Flags raised during the period, by their status now. */
  raised: { status: string; count: number }[];
  latest: { id: string; kind: string; severity: string; detail: string; contentId: string | null; contentTitle: string | null; createdAt: Date }[];
}

export interface EvergreenFigures {
  proposed: number;
  top: { contentId: string; title: string; channel: string; score: number; medianScore: number }[];
}

const num = (value: unknown): number => Number(value ?? 0);


const METRICS = ['impressions', 'reactions', 'comments', 'shares', 'clicks'] as const;

/**
 * Engagement rows hold the cumulative totals a network reported as of each day, so what a day brought is its row
 * minus the publication's previous one (the last row before the span for the first day of it, or zero for a new
 * publication). Summed over days, the gains of a period are its last totals minus those before it.
 * `:tenantId`, `:firstDay`, `:endDay` bound; yields `gains (publication_id, content_id, channel, metric_date, …)`.
 */
const GAINS = `
  rows as (
    select em.publication_id, em.content_id, em.channel, em.metric_date, ${METRICS.map((m) => `em.${m}`).join(', ')}
    from engagement_metrics em
    where em.tenant_id = :tenantId and em.metric_date >= :firstDay and em.metric_date < :endDay
  ),
  base as (
    select p.publication_id, b.*
    from (select distinct publication_id from rows) p
    join lateral (
      select ${METRICS.join(', ')} from engagement_metrics b
      where b.publication_id = p.publication_id and b.metric_date < :firstDay
      order by b.metric_date desc limit 1
    ) b on true
  ),
  gains as (
    select r.publication_id, r.content_id, r.channel, r.metric_date,
      ${METRICS.map((m) => `r.${m} - coalesce(lag(r.${m}) over w, base.${m}, 0) as ${m}`).join(',\n      ')}
    from rows r left join base on base.publication_id = r.publication_id
    window w as (partition by r.publication_id order by r.metric_date)
  )`;

/** `SOURCE_PRECEDENCE` as a sort key (constants of the code, not input). */
const SOURCE_RANK = `case b.source ${SOURCE_PRECEDENCE.map((s, i) => `when '${s}' then ${i}`).join(' ')} else ${SOURCE_PRECEDENCE.length} end`;

const SUMS = METRICS.map((m) => `coalesce(sum(g.${m}), 0) as ${m}`).join(', ');

/** The cockpit's read model: every figure aggregated in SQL, in the tenant's context, one query per section. */
export class KnexCockpitRepository {
  constructor(private readonly deps: { database: Database }) {}

  /**
   * Gains per channel over `periods.span`, summed in SQL down to what the cockpit draws: per chart bucket of the
   * current period, one sum for the previous period, and per month (the trend), so few rows leave the database.
   */
  engagementSeries(tenantId: string, periods: CockpitPeriods): Promise<EngagementBucket[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const result = await trx.raw(
        `with ${GAINS}, sided as (
           select g.*, case when g.metric_date >= :currentFirstDay then 'current'
                            when g.metric_date >= :previousFirstDay and g.metric_date < :previousEndDay then 'previous' end as side
           from gains g
         )
         select g.channel, g.side,
           case when g.side = 'current' then to_char(date_trunc(:bucket, g.metric_date::timestamp), 'YYYY-MM-DD') end as bucket,
           to_char(date_trunc('month', g.metric_date::timestamp), 'YYYY-MM-DD') as month, ${SUMS}
         from sided g group by 1, 2, 3, 4`,
        {
          tenantId,
          firstDay: periods.span.firstDay,
          endDay: periods.span.endDay,
          currentFirstDay: periods.current.firstDay,
          previousFirstDay: periods.previous.firstDay,
          previousEndDay: periods.previous.endDay,
          bucket: periods.bucket,
        },
      );
      return result.rows.map((r: Record<string, unknown>) => ({
        channel: r.channel as string,
        side: (r.side as Side | null) ?? null,
        bucket: (r.bucket as string | null) ?? null,
        month: r.month as string,
        ...engagementOf(r),
      }));
    });
  }

  /** Gains per content over the period (contents that gained nothing are left out). */
  contentEngagement(tenantId: string, period: Period): Promise<ContentEngagement[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const result = await trx.raw(
        `with ${GAINS}, per_content as (
           select g.content_id, ${SUMS} from gains g where g.content_id is not null group by g.content_id
         )
         select p.*, c.channel, coalesce(nullif(c.title, ''), v.title, '') as title
         from per_content p
         join contents c on c.id = p.content_id
         left join content_versions v on v.id = c.current_version_id
         where p.reactions <> 0 or p.comments <> 0 or p.shares <> 0 or p.clicks <> 0 or p.impressions <> 0`,
        { tenantId, firstDay: period.firstDay, endDay: period.endDay },
      );
      return result.rows.map((r: Record<string, unknown>) => ({
        contentId: r.content_id as string,
        title: r.title as string,
        channel: r.channel as string,
        ...engagementOf(r),
      }));
    });
  }

  /**
   * Human short-link clicks and conversions of both periods per attribution key. A conversion is attributed by its
   * own UTM parameters first, then by the short link it came through: channel = `utm_source`, campaign =
   * `utm_campaign`, content = the content id.
   */
  attribution(tenantId: string, current: Period, previous: Period): Promise<AttributionRow[]> {
    // One range scan from the previous period's start to the current one's end (the previous period ends where the
    // current one starts, or before: calendar months), the gap between them filtered out.
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const bindings = { tenantId, from: current.from, to: current.to, prevFrom: previous.from, prevTo: previous.to };
      const result = await trx.raw(
        `with clicks as (
           select case when k.clicked_at >= :from then 'current' else 'previous' end as side,
             coalesce(sl.channel, sl.utm_source) as channel, sl.utm_campaign as campaign, sl.content_id,
             count(*) as clicks, 0 as conversions, 0 as value_cents, null::text as currency
           from short_link_clicks k join short_links sl on sl.id = k.short_link_id
           where k.tenant_id = :tenantId and not k.is_bot and k.clicked_at >= :prevFrom and k.clicked_at < :to
             and (k.clicked_at >= :from or k.clicked_at < :prevTo)
           group by 1, 2, 3, 4
         ), conv as (
           select case when cv.occurred_at >= :from then 'current' else 'previous' end as side,
             coalesce(cv.utm_source, sl.channel, sl.utm_source) as channel, coalesce(cv.utm_campaign, sl.utm_campaign) as campaign,
             coalesce(cv.content_id, sl.content_id) as content_id,
             0 as clicks, count(*) as conversions, coalesce(sum(cv.value_cents), 0) as value_cents, cv.currency
           from conversions cv left join short_links sl on sl.id = cv.short_link_id
           where cv.tenant_id = :tenantId and cv.occurred_at >= :prevFrom and cv.occurred_at < :to
             and (cv.occurred_at >= :from or cv.occurred_at < :prevTo)
           group by 1, 2, 3, 4, cv.currency
         ), rows as (select * from clicks union all select * from conv)
         select r.side, r.channel, r.campaign, g.name as campaign_name, r.content_id,
           coalesce(nullif(c.title, ''), v.title) as content_title,
           sum(r.clicks) as clicks, sum(r.conversions) as conversions, sum(r.value_cents) as value_cents, r.currency
         from rows r
         left join campaigns g on g.tenant_id = :tenantId and g.utm_campaign = r.campaign
         left join contents c on c.id = r.content_id
         left join content_versions v on v.id = c.current_version_id
         group by r.side, r.channel, r.campaign, g.name, r.content_id, c.title, v.title, r.currency`,
        bindings,
      );
      return result.rows.map((r: Record<string, unknown>) => ({
        side: r.side as Side,
        channel: (r.channel as string | null) ?? null,
        campaign: (r.campaign as string | null) ?? null,
        campaignName: (r.campaign_name as string | null) ?? null,
        contentId: (r.content_id as string | null) ?? null,
        contentTitle: (r.content_title as string | null) ?? null,
        clicks: num(r.clicks),
        conversions: num(r.conversions),
        valueCents: num(r.value_cents),
        currency: (r.currency as string | null) ?? null,
      }));
    });
  }

  /**
   * Per month of the trend (tenant's zone): human clicks, conversions, and the business metrics the client entered.
   * When a month's metric comes from several sources, the one of highest precedence is taken (never their sum).
   */
  monthly(tenantId: string, months: Period, timezone: string): Promise<{ activity: MonthlyActivity[]; business: MonthlyBusinessMetric[] }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const bindings = { tenantId, from: months.from, to: months.to, firstDay: months.firstDay, endDay: months.endDay, timezone };
      const activity = await trx.raw(
        `select month, sum(clicks) as clicks, sum(conversions) as conversions from (
           select to_char(date_trunc('month', k.clicked_at at time zone :timezone), 'YYYY-MM-DD') as month, count(*) as clicks, 0 as conversions
           from short_link_clicks k
           where k.tenant_id = :tenantId and not k.is_bot and k.clicked_at >= :from and k.clicked_at < :to
           group by 1
           union all
           select to_char(date_trunc('month', cv.occurred_at at time zone :timezone), 'YYYY-MM-DD'), 0, count(*)
           from conversions cv
           where cv.tenant_id = :tenantId and cv.occurred_at >= :from and cv.occurred_at < :to
           group by 1
         ) m group by month order by month`,
        bindings,
      );
      const business = await trx.raw(
        `select distinct on (b.month, b.kind) to_char(b.month, 'YYYY-MM-DD') as month, b.kind, b.value, b.currency
         from business_metrics b
         where b.tenant_id = :tenantId and b.kind in ('revenue', 'orders') and b.month >= :firstDay and b.month < :endDay
         order by b.month, b.kind, ${SOURCE_RANK}, b.id`,
        bindings,
      );
      return {
        activity: activity.rows.map((r: Record<string, unknown>) => ({ month: r.month as string, clicks: num(r.clicks), conversions: num(r.conversions) })),
        business: business.rows.map((r: Record<string, unknown>) => ({
          month: r.month as string,
          kind: r.kind as 'revenue' | 'orders',
          value: num(r.value),
          currency: (r.currency as string | null) ?? null,
        })),
      };
    });
  }

  /** Reviews (removed ones left out): count and average per period, and per month of the trend. */
  reviews(tenantId: string, current: Period, previous: Period, months: Period, timezone: string): Promise<ReviewFigures> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const bindings = { tenantId, from: current.from, to: current.to, prevFrom: previous.from, prevTo: previous.to, monthsFrom: months.from, timezone };
      const sides = await trx.raw(
        `select case when r.reviewed_at >= :from then 'current' else 'previous' end as side, count(*) as n, avg(r.rating)::float as average
         from reviews r
         where r.tenant_id = :tenantId and r.removed_at is null and r.reviewed_at >= :prevFrom and r.reviewed_at < :to
           and (r.reviewed_at >= :from or r.reviewed_at < :prevTo)
         group by 1`,
        bindings,
      );
      const perMonth = await trx.raw(
        `select to_char(date_trunc('month', r.reviewed_at at time zone :timezone), 'YYYY-MM-DD') as month, count(*) as n, avg(r.rating)::float as average
         from reviews r
         where r.tenant_id = :tenantId and r.removed_at is null and r.reviewed_at >= :monthsFrom and r.reviewed_at < :to
         group by 1 order by 1`,
        bindings,
      );
      const side = (name: Side) => {
        const row = sides.rows.find((r: Record<string, unknown>) => r.side === name);
        return { count: num(row?.n), average: row ? Number(row.average) : null };
      };
      return {
        current: side('current'),
        previous: side('previous'),
        months: perMonth.rows.map((r: Record<string, unknown>) => ({ month: r.month as string, count: num(r.n), average: Number(r.average) })),
      };
    });
  }

  /** Open flags (whenever raised) by kind and severity, the period's flags by status, and the latest open ones. */
  brandSafety(tenantId: string, period: Period, latest = 5): Promise<SafetyFigures> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const open = await trx('brandSafetyFlags').where({ tenantId, status: 'open' }).groupBy('kind', 'severity').select('kind', 'severity', trx.raw('count(*) as n'));
      const raised = await trx('brandSafetyFlags')
        .where({ tenantId })
        .where('createdAt', '>=', period.from)
        .where('createdAt', '<', period.to)
        .groupBy('status')
        .select('status', trx.raw('count(*) as n'));
      const rows = await trx('brandSafetyFlags as f')
        .leftJoin('contents as c', 'c.id', 'f.contentId')
        .where({ 'f.tenantId': tenantId, 'f.status': 'open' })
        .orderBy([
          { column: 'f.createdAt', order: 'desc' },
          { column: 'f.id', order: 'desc' },
        ])
        .limit(latest)
        .select('f.id', 'f.kind', 'f.severity', 'f.detail', 'f.contentId', 'c.title as contentTitle', 'f.createdAt');
      return {
        open: open.map((r: Record<string, unknown>) => ({ kind: r.kind as string, severity: r.severity as string, count: num(r.n) })),
        raised: raised.map((r: Record<string, unknown>) => ({ status: r.status as string, count: num(r.n) })),
        latest: rows as SafetyFigures['latest'],
      };
    });
  }

  /** Proposals waiting for the client, best first. */
  evergreen(tenantId: string, top = 3): Promise<EvergreenFigures> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const count = await trx('evergreenCandidates').where({ tenantId, status: 'proposed' }).count<{ n: string }>({ n: '*' }).first();
      const rows = await trx('evergreenCandidates as e')
        .join('contents as c', 'c.id', 'e.contentId')
        .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
        .where({ 'e.tenantId': tenantId, 'e.status': 'proposed' })
        .orderBy([
          { column: 'e.engagementScore', order: 'desc' },
          { column: 'e.id', order: 'asc' },
        ])
        .limit(top)
        .select('e.contentId', 'c.channel', 'e.engagementScore', 'e.tenantMedianScore', trx.raw(`coalesce(nullif(c.title, ''), v.title, '') as title`));
      return {
        proposed: num(count?.n),
        top: rows.map((r: Record<string, unknown>) => ({
          contentId: r.contentId as string,
          title: r.title as string,
          channel: r.channel as string,
          score: num(r.engagementScore),
          medianScore: num(r.tenantMedianScore),
        })),
      };
    });
  }

  /** Competitor changes the watch detected during the period, by kind. */
  watchChanges(tenantId: string, period: Period): Promise<{ kind: string; count: number }[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('watchChanges')
        .where({ tenantId })
        .where('detectedAt', '>=', period.from)
        .where('detectedAt', '<', period.to)
        .groupBy('kind')
        .orderBy('kind')
        .select('kind', trx.raw('count(*) as n'));
      return rows.map((r: Record<string, unknown>) => ({ kind: r.kind as string, count: num(r.n) }));
    });
  }

  /** Credits consumed (settled reservations, as on the credits page) in each period. */
  creditsUsed(tenantId: string, current: Period, previous: Period): Promise<Record<Side, number>> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx.raw(
        `select coalesce(sum(amount_settled) filter (where settled_at >= :from and settled_at < :to), 0) as current,
                coalesce(sum(amount_settled) filter (where settled_at >= :prevFrom and settled_at < :prevTo), 0) as previous
         from credit_reservations
         where tenant_id = :tenantId and status = 'settled' and settled_at >= :prevFrom and settled_at < :to`,
        { tenantId, from: current.from, to: current.to, prevFrom: previous.from, prevTo: previous.to },
      );
      return { current: num(row.rows[0]?.current), previous: num(row.rows[0]?.previous) };
    });
  }
}
