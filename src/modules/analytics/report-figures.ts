import { DateTime } from 'luxon';
import { engagementScore } from '../pipeline/month-performance.js';
import type { KnexReportRepository, MoneyRow, UtmRow } from './db/knex-report-repository.js';

export type { MoneyRow, UtmRow } from './db/knex-report-repository.js';

/**
 * The one aggregation of the client's marketing figures over a period: the monthly report, the revenue page (and
 * the cockpit, if it wants) read them here, so every screen and file counts the same way.
 *
 * Definitions: publications are those sent in the period; engagement is, per publication, the latest cumulative
 * totals its network reported before the period's end (never a sum of days), summed; engagements = reactions +
 * comments + shares; clicks are human clicks on the tenant's short links (bots excluded); conversions are those that
 * occurred in the period, their value summed per currency (never converted); reviews are those written in the
 * period and not removed; credits are those consumed (settled) and granted in the period.
 */

/** A period of whole days in the tenant's zone. */
export interface ReportPeriod {
  /** `YYYY-MM-DD`, first day included. */
  firstDay: string;
  /** `YYYY-MM-DD`, last day included. */
  lastDay: string;
  /** The day after the period (`metric_date < endDay`). */
  endDay: string;
  /** Midnight starting `firstDay` in the zone. */
  from: Date;
  /** Midnight ending `lastDay` in the zone (exclusive). */
  to: Date;
  timezone: string;
}

export function periodOfDays(firstDay: string, lastDay: string, timezone: string): ReportPeriod {
  const start = DateTime.fromISO(firstDay, { zone: timezone }).startOf('day');
  const end = DateTime.fromISO(lastDay, { zone: timezone }).startOf('day').plus({ days: 1 });
  if (!start.isValid || !end.isValid || end <= start) throw new RangeError(`invalid period ${firstDay}…${lastDay}`);
  return { firstDay: start.toISODate()!, lastDay: end.minus({ days: 1 }).toISODate()!, endDay: end.toISODate()!, from: start.toJSDate(), to: end.toJSDate(), timezone };
}

/** The calendar month starting `month` (`YYYY-MM-01`) in the zone. */
export function monthPeriod(month: string, timezone: string): ReportPeriod {
  const start = DateTime.fromISO(month, { zone: timezone }).startOf('month');
  return periodOfDays(start.toISODate()!, start.endOf('month').toISODate()!, timezone);
}

/** `count` months (`YYYY-MM-01`) ending with the month of `at` in the zone, oldest first. */
export function monthsEndingAt(at: Date, timezone: string, count: number): string[] {
  const last = DateTime.fromJSDate(at, { zone: timezone }).startOf('month');
  return Array.from({ length: count }, (_, i) => last.minus({ months: count - 1 - i }).toISODate()!);
}

export interface Engagement {
  impressions: number;
  reactions: number;
  comments: number;
  shares: number;
  /** Clicks as the networks report them (on the post), not the short-link clicks. */
  clicks: number;
  /** reactions + comments + shares. */
  engagements: number;
}

export interface ChannelFigures extends Engagement {
  channel: string;
  publications: number;
  linkClicks: number;
}

export interface TopContent extends Engagement {
  contentId: string;
  title: string;
  channel: string;
  /** The product's engagement score (reactions + 2·comments + 3·shares + 2·clicks). */
  score: number;
}

export interface PeriodFigures {
  tenant: { name: string; locale: string; timezone: string };
  period: ReportPeriod;
  publications: number;
  /** Summed over the publications of the period that have a measure. */
  engagement: Engagement;
  /** Publications of the period with at least one measure from their network. */
  measuredPublications: number;
  linkClicks: number;
  conversions: { count: number; values: MoneyRow[] };
  perChannel: ChannelFigures[];
  topContents: TopContent[];
  reviews: { count: number; averageRating: number | null };
  credits: { consumed: number; granted: number };
}

export interface MonthActivity {
  month: string;
  publications: number;
  clicks: number;
  conversions: number;
}

export const TOP_CONTENTS = 5;

const engagementOf = (e: { impressions: number; reactions: number; comments: number; shares: number; clicks: number }): Engagement => ({
  impressions: e.impressions,
  reactions: e.reactions,
  comments: e.comments,
  shares: e.shares,
  clicks: e.clicks,
  engagements: e.reactions + e.comments + e.shares,
});

/** Reads the figures (see the module comment for what each one means). */
export class ReportFiguresService {
  constructor(private readonly deps: { reportRepository: KnexReportRepository }) {}

  async periodFigures(tenantId: string, period: ReportPeriod): Promise<PeriodFigures> {
    const repo = this.deps.reportRepository;
    const [tenant, raw] = await Promise.all([repo.tenantProfile(tenantId), repo.periodFigures(tenantId, period)]);
    const clicksByChannel = new Map(raw.linkClicks.map((c) => [c.channel, c.clicks]));
    const channels = [...new Set([...raw.perChannel.map((c) => c.channel), ...raw.linkClicks.map((c) => c.channel).filter((c): c is string => c !== null)])].sort();
    const perChannel = channels.map((channel) => {
      const row = raw.perChannel.find((c) => c.channel === channel);
      return {
        channel,
        publications: row?.publications ?? 0,
        linkClicks: clicksByChannel.get(channel) ?? 0,
        ...engagementOf(row ?? { impressions: 0, reactions: 0, comments: 0, shares: 0, clicks: 0 }),
      };
    });
    const total = raw.perChannel.reduce(
      (s, c) => ({ impressions: s.impressions + c.impressions, reactions: s.reactions + c.reactions, comments: s.comments + c.comments, shares: s.shares + c.shares, clicks: s.clicks + c.clicks }),
      { impressions: 0, reactions: 0, comments: 0, shares: 0, clicks: 0 },
    );
    const topContents = raw.contents
      .map((c) => ({ contentId: c.contentId, title: c.title, channel: c.channel, ...engagementOf(c), score: engagementScore(c) }))
      .filter((c) => c.score > 0 || c.impressions > 0)
      .sort((a, b) => b.score - a.score || b.impressions - a.impressions || a.contentId.localeCompare(b.contentId))
      .slice(0, TOP_CONTENTS);
    return {
      tenant: { name: tenant.name, locale: tenant.locale, timezone: tenant.timezone },
      period,
      publications: raw.perChannel.reduce((s, c) => s + c.publications, 0),
      engagement: engagementOf(total),
      measuredPublications: raw.perChannel.reduce((s, c) => s + c.measured, 0),
      linkClicks: raw.linkClicks.reduce((s, c) => s + c.clicks, 0),
      conversions: raw.conversions,
      perChannel,
      topContents,
      // one decimal, as people read a rating
      reviews: { count: raw.reviews.count, averageRating: raw.reviews.count ? Math.round((raw.reviews.ratingSum * 10) / raw.reviews.count) / 10 : null },
      credits: raw.credits,
    };
  }

  /** Marketing activity for each of `months` (`YYYY-MM-01`, consecutive, oldest first) in the zone; zero when nothing happened. */
  async monthlyActivity(tenantId: string, months: string[], timezone: string): Promise<MonthActivity[]> {
    if (!months.length) return [];
    const from = monthPeriod(months[0], timezone).from;
    const to = monthPeriod(months[months.length - 1], timezone).to;
    const rows = await this.deps.reportRepository.monthlyActivity(tenantId, { from, to }, timezone);
    const byMonth = new Map(rows.map((r) => [r.month, r]));
    return months.map((month) => byMonth.get(month) ?? { month, publications: 0, clicks: 0, conversions: 0 });
  }

  /** Human clicks and conversions per channel and campaign (UTM) over the period, busiest first, unattributed last. */
  async utmBreakdown(tenantId: string, period: ReportPeriod): Promise<UtmRow[]> {
    const rows = await this.deps.reportRepository.utmBreakdown(tenantId, period);
    const unattributed = (r: UtmRow) => (r.channel === null && r.campaign === null ? 1 : 0);
    return rows.sort(
      (a, b) =>
        unattributed(a) - unattributed(b) ||
        b.conversions - a.conversions ||
        b.clicks - a.clicks ||
        (a.channel ?? '').localeCompare(b.channel ?? '') ||
        (a.campaign ?? '').localeCompare(b.campaign ?? ''),
    );
  }
}
