import { DateTime } from 'luxon';
import { monthStart } from './domain.js';

/** Networks report engagement late: a month is measured this many days after it ends (in the tenant's zone). */
export const METRICS_LAG_DAYS = 2;
/** Evergreen candidates are looked for among the contents published over this many days, up to the month's end. */
export const EVERGREEN_WINDOW_DAYS = 90;
export const TOP_CONTENTS = 5;

/** What a network reports about a publication (the latest cumulative totals), or their sum over several. */
export interface Engagement {
  impressions: number;
  reactions: number;
  comments: number;
  shares: number;
  clicks: number;
}

/** An engagement read from a row of sums (SQL aggregates come back as strings or nulls). */
export function engagementOf(row: Record<string, unknown>): Engagement {
  const n = (value: unknown) => Number(value ?? 0);
  return { impressions: n(row.impressions), reactions: n(row.reactions), comments: n(row.comments), shares: n(row.shares), clicks: n(row.clicks) };
}

/**
 * The one engagement score of the product (top contents, evergreen recycling): reactions + 2·comments +
 * 3·shares + 2·clicks. Impressions are left out: they measure reach, not interest, and networks count them
 * differently. A comment or a click costs the reader more than a reaction, a share most (it spreads the content).
 */
export const SCORE_WEIGHTS = { reactions: 1, comments: 2, shares: 3, clicks: 2 } as const;

export function engagementScore(e: Engagement): number {
  return (
    e.reactions * SCORE_WEIGHTS.reactions +
    e.comments * SCORE_WEIGHTS.comments +
    e.shares * SCORE_WEIGHTS.shares +
    e.clicks * SCORE_WEIGHTS.clicks
  );
}

/** The usual median (mean of the two middle values for an even count); null without values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Period bounds: instants for timestamps, `YYYY-MM-DD` for DATE columns (both end-exclusive but `lastDay`). */
export interface Period {
  from: Date;
  to: Date;
  firstDay: string;
  /** The period's last day, inclusive. */
  lastDay: string;
  /** The day after the period (`metric_date < endDay`). */
  endDay: string;
}

/** Bounds of `[from, to)`: instants for timestamps, local days for DATE columns. */
export function periodOf(from: DateTime, to: DateTime): Period {
  return {
    from: from.toJSDate(),
    to: to.toJSDate(),
    firstDay: from.toISODate()!,
    lastDay: to.minus({ days: 1 }).toISODate()!,
    endDay: to.toISODate()!,
  };
}

/** The run's month in the tenant's zone. */
export function monthPeriod(month: string, timezone: string): Period {
  const from = DateTime.fromJSDate(monthStart(month, timezone), { zone: timezone });
  return periodOf(from, from.plus({ months: 1 }));
}

/** The evergreen window: the last `EVERGREEN_WINDOW_DAYS` days up to the end of the run's month. */
export function evergreenWindow(month: string, timezone: string): Period {
  const to = DateTime.fromJSDate(monthStart(month, timezone, 1), { zone: timezone });
  return periodOf(to.minus({ days: EVERGREEN_WINDOW_DAYS }), to);
}

/** When the month's figures can be gathered: the start of the next month plus the networks' lag. */
export function measurableFrom(month: string, timezone: string): Date {
  return DateTime.fromJSDate(monthStart(month, timezone, 1), { zone: timezone }).plus({ days: METRICS_LAG_DAYS }).toJSDate();
}

export interface ScoredContent extends Engagement {
  contentId: string;
  score: number;
}

export function withScore<T extends Engagement & { contentId: string }>(row: T): T & { score: number } {
  return { ...row, score: engagementScore(row) };
}

/** The best contents, highest score first (impressions, then id, break ties so the order is stable). */
export function topContents<T extends ScoredContent>(contents: readonly T[], limit = TOP_CONTENTS): T[] {
  return [...contents]
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || b.impressions - a.impressions || a.contentId.localeCompare(b.contentId))
    .slice(0, limit);
}

export interface WindowContent {
  contentId: string;
  score: number;
  /** False for what must not be published again: SMS, newsletters, campaigns with an end, dated contents. */
  recyclable: boolean;
}

/**
 * Evergreen selection: the median is the tenant's over every content measured in the window (time-bound ones
 * included: they are part of what the audience saw), and a candidate must be strictly above it and recyclable.
 * The median is recorded as an integer, rounded down (scores are integers, so "above" is unchanged).
 */
export function evergreenSelection<T extends WindowContent>(contents: readonly T[]): { median: number; selected: T[] } {
  const m = median(contents.map((c) => c.score));
  if (m === null) return { median: 0, selected: [] };
  return { median: Math.floor(m), selected: contents.filter((c) => c.recyclable && c.score > m) };
}
