import type { Clock } from '../../shared/clock.js';
import { SOURCE_PRECEDENCE, metricKeyId, type BusinessMetric, type MetricKind, type MetricUnit } from './business-metric-domain.js';
import { correlationStrength, pearson, type Correlation, type CorrelationStrength } from './correlation.js';
import type { KnexBusinessMetricRepository } from './db/knex-business-metric-repository.js';
import { monthPeriod, monthsEndingAt, periodOfDays, type MonthActivity, type ReportFiguresService, type ReportPeriod, type UtmRow } from './report-figures.js';

/** The marketing activity a business metric is compared with, month by month. */
export const ACTIVITIES = ['clicks', 'conversions', 'publications'] as const;
export type Activity = (typeof ACTIVITIES)[number];

export const WINDOWS = [6, 12, 24] as const;
export const DEFAULT_WINDOW = 12;

/** One business metric over the window: one value per month (null where none was entered). */
export interface MetricSeries {
  id: string;
  kind: MetricKind;
  name: string;
  unit: MetricUnit;
  currency: string | null;
  values: (number | null)[];
  /** Months with a value. */
  known: number;
}

export interface PairCorrelation {
  metricId: string;
  activity: Activity;
  /** null: fewer than three months with a value, or a side that never changed. */
  correlation: Correlation | null;
  strength: CorrelationStrength | null;
  /** Months with a value on both sides (shown even when no coefficient could be computed). */
  months: number;
}

export interface RevenueOverview {
  months: string[];
  period: ReportPeriod;
  activity: MonthActivity[];
  metrics: MetricSeries[];
  selected: MetricSeries | null;
  correlations: PairCorrelation[];
  utm: UtmRow[];
}

/**
 * Metric series over the months: per month, the value of the most trusted source (hand-typed first, see
 * `SOURCE_PRECEDENCE`); a series keeps the unit and currency of its latest value, and a month recorded in another
 * unit or currency is left out rather than mixed in.
 */
export function metricSeries(metrics: BusinessMetric[], months: string[]): MetricSeries[] {
  const index = new Map(months.map((m, i) => [m, i]));
  const byKey = new Map<string, BusinessMetric[]>();
  for (const metric of metrics) {
    if (!index.has(metric.month)) continue;
    const id = metricKeyId(metric);
    byKey.set(id, [...(byKey.get(id) ?? []), metric]);
  }
  const rank = (m: BusinessMetric) => SOURCE_PRECEDENCE.indexOf(m.source);
  const series: MetricSeries[] = [];
  for (const [id, rows] of byKey) {
    const chosen = new Map<string, BusinessMetric>();
    for (const row of rows) {
      const current = chosen.get(row.month);
      if (!current || rank(row) < rank(current)) chosen.set(row.month, row);
    }
    const latest = [...chosen.values()].sort((a, b) => b.month.localeCompare(a.month))[0];
    const values = months.map((month) => {
      const row = chosen.get(month);
      return row && row.unit === latest.unit && row.currency === latest.currency ? row.value : null;
    });
    series.push({ id, kind: latest.kind, name: latest.name, unit: latest.unit, currency: latest.currency, values, known: values.filter((v) => v !== null).length });
  }
  const order = ['revenue', 'orders', 'leads', 'store_visits', 'custom'];
  return series.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.name.localeCompare(b.name));
}

export function correlations(series: MetricSeries[], activity: MonthActivity[]): PairCorrelation[] {
  return series.flatMap((metric) =>
    ACTIVITIES.map((name) => {
      const xs = activity.map((a) => a[name]);
      const correlation = pearson(xs, metric.values);
      return {
        metricId: metric.id,
        activity: name,
        correlation,
        strength: correlation ? correlationStrength(correlation.r) : null,
        months: metric.values.filter((v) => v !== null).length,
      };
    }),
  );
}

/**
 * The revenue page: the client's business metrics laid over their marketing activity for the last complete months
 * of their zone (the running month would compare half a month with a whole one), the coefficient of every pair with
 * the months behind it, and the UTM view of clicks and conversions per channel and campaign over the same months.
 */
export class RevenueService {
  constructor(private readonly deps: { businessMetricRepository: KnexBusinessMetricRepository; reportFigures: ReportFiguresService; clock: Clock }) {}

  async overview(tenantId: string, options: { timezone: string; window: number; metricId: string | null }): Promise<RevenueOverview> {
    const lastMonthAt = monthPeriod(monthsEndingAt(this.deps.clock.now(), options.timezone, 1)[0], options.timezone).from;
    const months = monthsEndingAt(new Date(lastMonthAt.getTime() - 1), options.timezone, options.window);
    const period = periodOfDays(months[0], monthPeriod(months[months.length - 1], options.timezone).lastDay, options.timezone);
    const [metrics, activity, utm] = await Promise.all([
      this.deps.businessMetricRepository.list(tenantId, { fromMonth: months[0], toMonth: months[months.length - 1] }),
      this.deps.reportFigures.monthlyActivity(tenantId, months, options.timezone),
      this.deps.reportFigures.utmBreakdown(tenantId, period),
    ]);
    const series = metricSeries(metrics, months);
    const selected = series.find((s) => s.id === options.metricId) ?? series[0] ?? null;
    return { months, period, activity, metrics: series, selected, correlations: correlations(series, activity), utm };
  }
}
