import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { engagementOf, type Engagement } from '../../pipeline/month-performance.js';

/** Bounds of a period: instants for timestamps (`[from, to)`), `endDay` for DATE columns (`metric_date < endDay`). */
export interface PeriodBounds {
  from: Date;
  to: Date;
  endDay: string;
}

/** The sums of a channel's or a content's engagement over the period. */
export type EngagementSums = Engagement;

export interface ChannelRow extends EngagementSums {
  channel: string;
  publications: number;
  /** Publications with at least one measure from their network. */
  measured: number;
}

export interface ContentRow extends EngagementSums {
  contentId: string;
  title: string;
  channel: string;
}

export interface MoneyRow {
  currency: string;
  cents: number;
}

export interface RawPeriodFigures {
  perChannel: ChannelRow[];
  contents: ContentRow[];
  linkClicks: { channel: string | null; clicks: number }[];
  conversions: { count: number; values: MoneyRow[] };
  reviews: { count: number; ratingSum: number };
  credits: { consumed: number; granted: number };
}

export interface MonthActivityRow {
  month: string;
  publications: number;
  clicks: number;
  conversions: number;
}

export interface UtmRow {
  channel: string | null;
  campaign: string | null;
  clicks: number;
  conversions: number;
  values: MoneyRow[];
}

export interface TenantProfile {
  id: string;
  name: string;
  locale: string;
  timezone: string;
  createdAt: Date;
}

export type ReportKind = 'monthly' | 'on_demand';
export type ReportStatus = 'pending' | 'generating' | 'ready' | 'failed';

export interface ReportRow {
  id: string;
  kind: ReportKind;
  periodStart: string;
  periodEnd: string;
  locale: string;
  status: ReportStatus;
  pdfStorageKey: string | null;
  csvStorageKey: string | null;
  pdfBytes: number | null;
  csvBytes: number | null;
  generatedAt: Date | null;
  errorMessage: string | null;
  createdAt: Date;
}

const num = (value: unknown): number => Number(value ?? 0);


/** Publications sent in the period, with their content's channel. */
const PUBS = `
  pubs as (
    select p.id, p.content_id, c.channel
    from publications p join contents c on c.id = p.content_id
    where p.tenant_id = :tenantId and p.status = 'sent' and p.sent_at >= :from and p.sent_at < :to
  )`;

/** Engagement rows are cumulative totals as of each day: a publication counts with its latest row before `endDay`. */
const LATEST = `
  latest as (
    select distinct on (em.publication_id) em.publication_id, em.impressions, em.reactions, em.comments, em.shares, em.clicks
    from engagement_metrics em join pubs on pubs.id = em.publication_id
    where em.tenant_id = :tenantId and em.metric_date < :endDay
    order by em.publication_id, em.metric_date desc
  )`;

const SUMS = `
  coalesce(sum(l.impressions), 0) as impressions, coalesce(sum(l.reactions), 0) as reactions,
  coalesce(sum(l.comments), 0) as comments, coalesce(sum(l.shares), 0) as shares, coalesce(sum(l.clicks), 0) as clicks`;

const REPORT_COLUMNS = [
  'id', 'kind', 'locale', 'status', 'pdfStorageKey', 'csvStorageKey', 'pdfBytes', 'csvBytes', 'generatedAt', 'errorMessage', 'createdAt',
];

function reportsQuery(trx: Knex.Transaction, tenantId: string) {
  return trx('reports')
    .where({ tenantId })
    .select(REPORT_COLUMNS)
    .select(trx.raw(`to_char(period_start, 'YYYY-MM-DD') as period_start, to_char(period_end, 'YYYY-MM-DD') as period_end`));
}

function toReport(row: Record<string, unknown>): ReportRow {
  return {
    id: row.id as string,
    kind: row.kind as ReportKind,
    periodStart: (row.periodStart ?? row.period_start) as string,
    periodEnd: (row.periodEnd ?? row.period_end) as string,
    locale: row.locale as string,
    status: row.status as ReportStatus,
    pdfStorageKey: (row.pdfStorageKey as string | null) ?? null,
    csvStorageKey: (row.csvStorageKey as string | null) ?? null,
    pdfBytes: (row.pdfBytes as number | null) ?? null,
    csvBytes: (row.csvBytes as number | null) ?? null,
    generatedAt: (row.generatedAt as Date | null) ?? null,
    errorMessage: (row.errorMessage as string | null) ?? null,
    createdAt: row.createdAt as Date,
  };
}

/**
 * The figures of the client's marketing over a period (the report, the revenue page, the cockpit may read them) and
 * the `reports` rows. Every tenant read is one unit of work in the tenant's context; the two fan-out reads of the
 * monthly job are explicit platform reads.
 */
export class KnexReportRepository {
  constructor(private readonly deps: { database: Database }) {}

  tenantProfile(tenantId: string): Promise<TenantProfile> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('tenants').where({ id: tenantId }).first('id', 'name', 'locale', 'timezone', 'createdAt');
      return row as TenantProfile;
    });
  }

  periodFigures(tenantId: string, period: PeriodBounds): Promise<RawPeriodFigures> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const b = { tenantId, from: period.from, to: period.to, endDay: period.endDay };
      const perChannel = await trx.raw(
        `with ${PUBS}, ${LATEST}
         select pubs.channel, count(*) as publications, count(l.publication_id) as measured, ${SUMS}
         from pubs left join latest l on l.publication_id = pubs.id
         group by pubs.channel order by pubs.channel`,
        b,
      );
      const contents = await trx.raw(
        `with ${PUBS}, ${LATEST}
         select c.id as content_id, c.channel, coalesce(nullif(c.title, ''), v.title, '') as title, ${SUMS}
         from latest l join pubs on pubs.id = l.publication_id join contents c on c.id = pubs.content_id
         left join content_versions v on v.id = c.current_version_id
         group by c.id, c.channel, c.title, v.title`,
        b,
      );
      const clicks = await trx.raw(
        `select sl.channel, count(*) as clicks
         from short_link_clicks k join short_links sl on sl.id = k.short_link_id
         where k.tenant_id = :tenantId and not k.is_bot and k.clicked_at >= :from and k.clicked_at < :to
         group by sl.channel order by sl.channel nulls last`,
        b,
      );
      const conversions = await trx.raw(
        `select currency, count(*) as n, coalesce(sum(value_cents), 0) as cents, count(value_cents) as valued
         from conversions where tenant_id = :tenantId and occurred_at >= :from and occurred_at < :to
         group by currency order by currency`,
        b,
      );
      const reviews = await trx.raw(
        `select count(*) as n, coalesce(sum(rating), 0) as rating_sum
         from reviews where tenant_id = :tenantId and removed_at is null and reviewed_at >= :from and reviewed_at < :to`,
        b,
      );
      const consumed = await trx.raw(
        `select coalesce(sum(amount_settled), 0) as n from credit_reservations
         where tenant_id = :tenantId and status = 'settled' and settled_at >= :from and settled_at < :to`,
        b,
      );
      const granted = await trx.raw(
        `select coalesce(sum(amount), 0) as n from credit_ledger
         where tenant_id = :tenantId and kind = 'grant' and created_at >= :from and created_at < :to`,
        b,
      );
      const conversionRows = conversions.rows as Record<string, unknown>[];
      return {
        perChannel: perChannel.rows.map((r: Record<string, unknown>) => ({ channel: r.channel as string, publications: num(r.publications), measured: num(r.measured), ...engagementOf(r) })),
        contents: contents.rows.map((r: Record<string, unknown>) => ({ contentId: r.content_id as string, title: r.title as string, channel: r.channel as string, ...engagementOf(r) })),
        linkClicks: clicks.rows.map((r: Record<string, unknown>) => ({ channel: (r.channel as string | null) ?? null, clicks: num(r.clicks) })),
        conversions: {
          count: conversionRows.reduce((s, r) => s + num(r.n), 0),
          values: conversionRows.filter((r) => num(r.valued) > 0).map((r) => ({ currency: String(r.currency).trim(), cents: num(r.cents) })),
        },
        reviews: { count: num(reviews.rows[0]?.n), ratingSum: num(reviews.rows[0]?.rating_sum) },
        credits: { consumed: num(consumed.rows[0]?.n), granted: num(granted.rows[0]?.n) },
      };
    });
  }

  /**
   * Marketing activity per month of the tenant's zone, over `[from, to)`: publications sent, human clicks on short
   * links, conversions recorded. Months without any activity are absent (the caller fills zeros).
   */
  monthlyActivity(tenantId: string, period: { from: Date; to: Date }, timezone: string): Promise<MonthActivityRow[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const result = await trx.raw(
        `with events as (
           select date_trunc('month', p.sent_at at time zone :tz) as m, 1 as publications, 0 as clicks, 0 as conversions
           from publications p where p.tenant_id = :tenantId and p.status = 'sent' and p.sent_at >= :from and p.sent_at < :to
           union all
           select date_trunc('month', k.clicked_at at time zone :tz), 0, 1, 0
           from short_link_clicks k where k.tenant_id = :tenantId and not k.is_bot and k.clicked_at >= :from and k.clicked_at < :to
           union all
           select date_trunc('month', c.occurred_at at time zone :tz), 0, 0, 1
           from conversions c where c.tenant_id = :tenantId and c.occurred_at >= :from and c.occurred_at < :to
         )
         select to_char(m, 'YYYY-MM-DD') as month, sum(publications) as publications, sum(clicks) as clicks, sum(conversions) as conversions
         from events group by m order by m`,
        { tenantId, from: period.from, to: period.to, tz: timezone },
      );
      return result.rows.map((r: Record<string, unknown>) => ({ month: r.month as string, publications: num(r.publications), clicks: num(r.clicks), conversions: num(r.conversions) }));
    });
  }

  /**
   * UTM view: human clicks and conversions per channel (`utm_source`, else the link's channel) and campaign
   * (`utm_campaign`) over the period. A conversion carries its own UTM fields first, its short link's otherwise;
   * one with neither is unattributed (channel and campaign null).
   */
  utmBreakdown(tenantId: string, period: { from: Date; to: Date }): Promise<UtmRow[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const b = { tenantId, from: period.from, to: period.to };
      const clicks = await trx.raw(
        `select coalesce(sl.utm_source, sl.channel) as channel, sl.utm_campaign as campaign, count(*) as n
         from short_link_clicks k join short_links sl on sl.id = k.short_link_id
         where k.tenant_id = :tenantId and not k.is_bot and k.clicked_at >= :from and k.clicked_at < :to
         group by 1, 2`,
        b,
      );
      const conversions = await trx.raw(
        `select coalesce(c.utm_source, sl.utm_source, sl.channel) as channel, coalesce(c.utm_campaign, sl.utm_campaign) as campaign,
                c.currency, count(*) as n, coalesce(sum(c.value_cents), 0) as cents, count(c.value_cents) as valued
         from conversions c left join short_links sl on sl.id = c.short_link_id
         where c.tenant_id = :tenantId and c.occurred_at >= :from and c.occurred_at < :to
         group by 1, 2, 3`,
        b,
      );
      const rows = new Map<string, UtmRow>();
      const rowOf = (channel: string | null, campaign: string | null) => {
        const key = JSON.stringify([channel, campaign]);
        if (!rows.has(key)) rows.set(key, { channel, campaign, clicks: 0, conversions: 0, values: [] });
        return rows.get(key)!;
      };
      for (const r of clicks.rows as Record<string, unknown>[]) rowOf((r.channel as string) ?? null, (r.campaign as string) ?? null).clicks += num(r.n);
      for (const r of conversions.rows as Record<string, unknown>[]) {
        const row = rowOf((r.channel as string) ?? null, (r.campaign as string) ?? null);
        row.conversions += num(r.n);
        if (num(r.valued) > 0) row.values.push({ currency: String(r.currency).trim(), cents: num(r.cents) });
      }
      return [...rows.values()];
    });
  }

  // ---- reports ----

  list(tenantId: string, limit = 50): Promise<ReportRow[]> {
    return this.deps.database.forTenant(tenantId, async (trx) =>
      (await reportsQuery(trx, tenantId).orderBy([{ column: 'periodStart', order: 'desc' }, { column: 'createdAt', order: 'desc' }]).limit(limit)).map(toReport),
    );
  }

  find(tenantId: string, id: string): Promise<ReportRow | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await reportsQuery(trx, tenantId).where({ id }).first();
      return row ? toReport(row) : null;
    });
  }

  insertOnDemand(tenantId: string, input: { periodStart: string; periodEnd: string; locale: string; requestedBy: string }): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('reports').insert({ tenantId, kind: 'on_demand', ...input }).returning('id');
      return row.id as string;
    });
  }

  /** The month's report row in this language, created once (the partial unique index decides between concurrent jobs). */
  ensureMonthly(tenantId: string, input: { periodStart: string; periodEnd: string; locale: string }): Promise<{ id: string; created: boolean }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const inserted = await trx('reports')
        .insert({ tenantId, kind: 'monthly', ...input })
        .onConflict(trx.raw(`(tenant_id, period_start, locale) where kind = 'monthly'`))
        .ignore()
        .returning('id');
      if (inserted.length) return { id: inserted[0].id as string, created: true };
      const existing = await trx('reports').where({ tenantId, kind: 'monthly', periodStart: input.periodStart, locale: input.locale }).first('id');
      return { id: existing.id as string, created: false };
    });
  }

  /** pending → generating (or a generation left behind by a dead process, older than `staleBefore`): one winner. */
  claim(tenantId: string, id: string, staleBefore: Date): Promise<ReportRow | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const claimed = await trx('reports')
        .where({ tenantId, id })
        .where((q) => q.where('status', 'pending').orWhere((s) => s.where('status', 'generating').where('updatedAt', '<', staleBefore)))
        .update({ status: 'generating', errorMessage: null, updatedAt: trx.fn.now() })
        .returning('id');
      if (!claimed.length) return null;
      return toReport(await reportsQuery(trx, tenantId).where({ id }).first());
    });
  }

  markReady(tenantId: string, id: string, files: { pdfStorageKey: string; csvStorageKey: string; pdfBytes: number; csvBytes: number; generatedAt: Date }): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const n = await trx('reports').where({ tenantId, id, status: 'generating' }).update({ ...files, status: 'ready', errorMessage: null, updatedAt: trx.fn.now() });
      return n > 0;
    });
  }

  markFailed(tenantId: string, id: string, message: string): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('reports').where({ tenantId, id, status: 'generating' }).update({ status: 'failed', errorMessage: message.slice(0, 2000), updatedAt: trx.fn.now() });
    });
  }

  /** Fan-out of the monthly job: the active tenants with their zone and language. */
  activeTenants(): Promise<TenantProfile[]> {
    return this.deps.database.asPlatform(async (trx) =>
      trx('tenants').where({ status: 'active' }).orderBy('createdAt').select('id', 'name', 'locale', 'timezone', 'createdAt'),
    );
  }

  /** Reports waiting for a generation (or whose generation was abandoned before `staleBefore`), across tenants. */
  pendingReports(staleBefore: Date, limit = 200): Promise<{ tenantId: string; id: string }[]> {
    return this.deps.database.asPlatform(async (trx) =>
      trx('reports')
        .where('status', 'pending')
        .orWhere((q) => q.where('status', 'generating').where('updatedAt', '<', staleBefore))
        .orderBy('createdAt')
        .limit(limit)
        .select('tenantId', 'id'),
    );
  }
}
