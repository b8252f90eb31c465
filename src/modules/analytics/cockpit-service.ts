import type { AlertService } from '../watch/alert-service.js';
import { engagementScore, topContents, type Engagement } from '../pipeline/month-performance.js';
import { STEPS, type RunStatus, type StepName } from '../pipeline/domain.js';
import { currentStepOf, type PipelineService } from '../pipeline/run-service.js';
import { periodOf } from '../pipeline/month-performance.js';
import { bucketsOf, type CockpitPeriods } from './cockpit-period.js';
import { pearson, type Correlation } from './correlation.js';
import type {
  AttributionRow,
  ContentEngagement,
  EngagementBucket,
  EvergreenFigures,
  KnexCockpitRepository,
  MonthlyBusinessMetric,
  ReviewFigures,
  SafetyFigures,
} from './db/knex-cockpit-repository.js';
import { DateTime } from 'luxon';

export interface Compared {
  current: number;
  previous: number;
}

/** Interactions a network reports on a post: reactions, comments and shares (its clicks are counted apart). */
export function engagementsOf(e: Engagement): number {
  return e.reactions + e.comments + e.shares;
}

export interface AttributionLine {
  key: string | null;
  label: string | null;
  clicks: number;
  conversions: number;
  /** Conversion value per currency, in cents. */
  value: Record<string, number>;
}

export interface CockpitData {
  periods: CockpitPeriods;
  tiles: {
    impressions: Compared;
    engagements: Compared;
    clicks: Compared;
    conversions: Compared;
    /** Conversion value per currency, in cents. */
    conversionValue: { currency: string; current: number; previous: number }[];
    rating: { current: number | null; previous: number | null; count: number };
    credits: Compared;
  };
  engagement: {
    buckets: string[];
    /** Engagements per channel and bucket of the current period. */
    series: { channel: string; values: number[] }[];
    perChannel: { channel: string; current: Engagement; previous: Engagement }[];
    topContents: (ContentEngagement & { score: number })[];
  };
  attribution: { byChannel: AttributionLine[]; byCampaign: AttributionLine[]; byContent: AttributionLine[] };
  revenue: {
    months: string[];
    revenue: (number | null)[];
    orders: (number | null)[];
    currency: string | null;
    engagements: number[];
    clicks: number[];
    /** Revenue against engagements and against clicks, over the months with revenue entered. */
    correlation: { engagements: Correlation | null; clicks: Correlation | null };
  };
  reputation: ReviewFigures;
  safety: SafetyFigures;
  evergreen: EvergreenFigures;
  watch: { unread: number; changes: { kind: string; count: number }[] };
  pipeline: { month: string; status: RunStatus; done: number; total: number; currentStep: StepName | null } | null;
}

const ZERO: Engagement = { impressions: 0, reactions: 0, comments: 0, shares: 0, clicks: 0 };
const add = (a: Engagement, b: Engagement): Engagement => ({
  impressions: a.impressions + b.impressions,
  reactions: a.reactions + b.reactions,
  comments: a.comments + b.comments,
  shares: a.shares + b.shares,
  clicks: a.clicks + b.clicks,
});
const TOP_CONTENTS = 10;
const ATTRIBUTION_ROWS = 10;

/**
 * The cockpit: every section's figures for one period, read in parallel (one tenant-scoped query per section) and
 * put together here. Figures only: labels, formats and charts are `cockpit-view.ts`'s.
 */
export class CockpitService {
  constructor(
    private readonly deps: {
      cockpitRepository: KnexCockpitRepository;
      pipelineService: Pick<PipelineService, 'latest'>;
      alertService: Pick<AlertService, 'unreadCount'>;
    },
  ) {}

  async cockpit(tenantId: string, userId: string, periods: CockpitPeriods, options: { unread?: number } = {}): Promise<CockpitData> {
    const repo = this.deps.cockpitRepository;
    const { current, previous } = periods;
    const trend = trendPeriod(periods);
    const [series, contents, attribution, monthly, reputation, safety, evergreen, changes, credits, latestRun, unread] = await Promise.all([
      repo.engagementSeries(tenantId, periods),
      repo.contentEngagement(tenantId, current),
      repo.attribution(tenantId, current, previous),
      repo.monthly(tenantId, trend, periods.timezone),
      repo.reviews(tenantId, current, previous, trend, periods.timezone),
      repo.brandSafety(tenantId, current),
      repo.evergreen(tenantId),
      repo.watchChanges(tenantId, current),
      repo.creditsUsed(tenantId, current, previous),
      this.deps.pipelineService.latest(tenantId),
      options.unread ?? this.deps.alertService.unreadCount(tenantId, userId),
    ]);
    const engagement = engagementFigures(periods, series, contents);
    const sums = (side: 'current' | 'previous') =>
      engagement.perChannel.reduce((total, c) => add(total, c[side]), ZERO);
    const [now, before] = [sums('current'), sums('previous')];
    return {
      periods,
      tiles: {
        impressions: { current: now.impressions, previous: before.impressions },
        engagements: { current: engagementsOf(now), previous: engagementsOf(before) },
        clicks: compared(attribution, (r) => r.clicks),
        conversions: compared(attribution, (r) => r.conversions),
        conversionValue: conversionValues(attribution),
        rating: { current: reputation.current.average, previous: reputation.previous.average, count: reputation.current.count },
        credits,
      },
      engagement,
      attribution: {
        byChannel: attributionBy(attribution, (r) => ({ key: r.channel, label: r.channel })),
        byCampaign: attributionBy(attribution, (r) => ({ key: r.campaign, label: r.campaignName ?? r.campaign })),
        byContent: attributionBy(attribution, (r) => ({ key: r.contentId, label: r.contentTitle })).filter((l) => l.key !== null),
      },
      revenue: revenueFigures(periods.months, series, monthly.activity, monthly.business),
      reputation,
      safety,
      evergreen,
      watch: { unread, changes },
      pipeline: latestRun
        ? {
            month: latestRun.run.month,
            status: latestRun.run.status,
            done: latestRun.steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped').length,
            total: STEPS.length,
            currentStep: currentStepOf(latestRun.steps),
          }
        : null,
    };
  }
}

/** The trend months as one period (first day of the first month to the end of the current period). */
function trendPeriod(periods: CockpitPeriods) {
  const from = DateTime.fromISO(periods.months[0], { zone: periods.timezone });
  return periodOf(from, DateTime.fromJSDate(periods.current.to, { zone: periods.timezone }));
}

export function engagementFigures(periods: CockpitPeriods, series: EngagementBucket[], contents: ContentEngagement[]): CockpitData['engagement'] {
  const buckets = bucketsOf(periods.current, periods.bucket);
  const index = new Map(buckets.map((b, i) => [b, i]));
  const channels = new Map<string, { values: number[]; current: Engagement; previous: Engagement }>();
  for (const row of series) {
    if (!row.side) continue;
    let c = channels.get(row.channel);
    if (!c) channels.set(row.channel, (c = { values: buckets.map(() => 0), current: ZERO, previous: ZERO }));
    c[row.side] = add(c[row.side], row);
    if (row.side === 'current' && row.bucket) c.values[index.get(row.bucket)!] += engagementsOf(row);
  }
  const names = [...channels.keys()].sort();
  return {
    buckets,
    series: names.filter((n) => channels.get(n)!.values.some((v) => v !== 0)).map((n) => ({ channel: n, values: channels.get(n)!.values })),
    perChannel: names.map((n) => ({ channel: n, current: channels.get(n)!.current, previous: channels.get(n)!.previous })),
    topContents: topContents(
      contents.map((c) => ({ ...c, score: engagementScore(c) })),
      TOP_CONTENTS,
    ),
  };
}

function compared(rows: AttributionRow[], value: (r: AttributionRow) => number): Compared {
  const sum = (side: string) => rows.filter((r) => r.side === side).reduce((s, r) => s + value(r), 0);
  return { current: sum('current'), previous: sum('previous') };
}

function conversionValues(rows: AttributionRow[]): CockpitData['tiles']['conversionValue'] {
  const byCurrency = new Map<string, { current: number; previous: number }>();
  for (const r of rows) {
    if (!r.currency || r.conversions === 0) continue;
    const entry = byCurrency.get(r.currency) ?? { current: 0, previous: 0 };
    entry[r.side] += r.valueCents;
    byCurrency.set(r.currency, entry);
  }
  return [...byCurrency.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, v]) => ({ currency, ...v }));
}

/** The current period's clicks and conversions per key, most clicked first (conversions, then label, break ties). */
function attributionBy(rows: AttributionRow[], keyOf: (r: AttributionRow) => { key: string | null; label: string | null }): AttributionLine[] {
  const lines = new Map<string, AttributionLine>();
  for (const r of rows) {
    if (r.side !== 'current') continue;
    const { key, label } = keyOf(r);
    const id = key ?? '';
    const line = lines.get(id) ?? { key, label, clicks: 0, conversions: 0, value: {} };
    line.clicks += r.clicks;
    line.conversions += r.conversions;
    if (r.currency && r.conversions) line.value[r.currency] = (line.value[r.currency] ?? 0) + r.valueCents;
    lines.set(id, line);
  }
  return [...lines.values()]
    .sort((a, b) => b.clicks - a.clicks || b.conversions - a.conversions || (a.label ?? '').localeCompare(b.label ?? ''))
    .slice(0, ATTRIBUTION_ROWS);
}

export function revenueFigures(
  months: string[],
  series: EngagementBucket[],
  activity: { month: string; clicks: number }[],
  business: MonthlyBusinessMetric[],
): CockpitData['revenue'] {
  const index = new Map(months.map((m, i) => [m, i]));
  const engagements = months.map(() => 0);
  for (const row of series) {
    const i = index.get(row.month);
    if (i !== undefined) engagements[i] += engagementsOf(row);
  }
  const clicks = months.map((m) => activity.find((a) => a.month === m)?.clicks ?? 0);
  const valueOf = (kind: MonthlyBusinessMetric['kind']) => months.map((m) => business.find((b) => b.month === m && b.kind === kind)?.value ?? null);
  const revenue = valueOf('revenue');
  return {
    months,
    revenue,
    orders: valueOf('orders'),
    currency: business.find((b) => b.kind === 'revenue')?.currency ?? null,
    engagements,
    clicks,
    correlation: { engagements: pearson(engagements, revenue), clicks: pearson(clicks, revenue) },
  };
}
