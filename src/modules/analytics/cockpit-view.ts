import { DateTime } from 'luxon';
import type { Translate } from '../../shared/i18n.js';
import { barChart, lineChart } from '../../shared/svg-chart.js';
import type { Bucket } from './cockpit-period.js';
import { engagementsOf, type CockpitData, type Compared } from './cockpit-service.js';
import { correlationStrength, FEW_MONTHS, type Correlation } from './correlation.js';

/**
 * What the cockpit shows, shaped from its figures: numbers, money, percentages and dates in the reader's language
 * (`Intl`), changes against the previous period, and the charts (server-rendered SVG). Pure.
 */

export interface Change {
  /** Signed ratio (0.25 = +25 %); null when there was nothing before to compare with. */
  ratio: number | null;
  direction: 'up' | 'down' | 'flat';
}

export function change(current: number | null, previous: number | null): Change {
  if (current === null || previous === null) return { ratio: null, direction: 'flat' };
  const direction = current > previous ? 'up' : current < previous ? 'down' : 'flat';
  return { ratio: previous === 0 ? null : (current - previous) / previous, direction };
}

export class CockpitFormats {
  private readonly integer: Intl.NumberFormat;
  private readonly decimal: Intl.NumberFormat;
  private readonly percentFormat: Intl.NumberFormat;
  private readonly moneyFormats = new Map<string, Intl.NumberFormat>();

  constructor(
    readonly locale: string,
    readonly timezone: string,
    private readonly t: Translate,
  ) {
    this.integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    this.decimal = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    this.percentFormat = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0, signDisplay: 'exceptZero' });
  }

  number = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : this.integer.format(n));

  /** One decimal (ratings, coefficients). */
  decimal1 = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : this.decimal.format(n));

  /** A signed change, e.g. "+12 %". */
  percent = (ratio: number): string => this.percentFormat.format(ratio);

  money(cents: number, currency: string | null): string {
    const code = currency ?? 'EUR';
    let format = this.moneyFormats.get(code);
    if (!format) this.moneyFormats.set(code, (format = new Intl.NumberFormat(this.locale, { style: 'currency', currency: code, maximumFractionDigits: 0 })));
    return format.format(cents / 100);
  }

  /** A local day `YYYY-MM-DD`, e.g. "3 nov. 2026". */
  day(isoDay: string): string {
    return DateTime.fromISO(isoDay, { zone: 'utc' }).setLocale(this.locale).toLocaleString(DateTime.DATE_MED);
  }

  /** `YYYY-MM-01` → "nov. 2026". */
  month(isoMonth: string): string {
    return DateTime.fromISO(isoMonth, { zone: 'utc' }).setLocale(this.locale).toFormat('LLL yyyy');
  }

  /** The label of a chart bucket. */
  bucket(key: string, bucket: Bucket): string {
    const d = DateTime.fromISO(key, { zone: 'utc' }).setLocale(this.locale);
    return bucket === 'month' ? d.toFormat('LLL yy') : d.toFormat('d LLL');
  }

  dateTime(d: Date): string {
    return DateTime.fromJSDate(d, { zone: this.timezone }).setLocale(this.locale).toLocaleString(DateTime.DATETIME_MED);
  }

  channel(channel: string | null): string {
    return channel ? this.t(`cockpit.channels.${channel}`, { defaultValue: channel }) : this.t('cockpit.attribution.none');
  }
}

export interface Tile {
  key: string;
  value: string;
  change: Change;
  changeText: string | null;
  /** A second line (the conversions' value, the number of reviews). */
  detail?: string;
}

function tile(fmt: CockpitFormats, key: string, figure: Compared, value = fmt.number(figure.current)): Tile {
  const c = change(figure.current, figure.previous);
  return { key, value, change: c, changeText: c.ratio === null ? null : fmt.percent(c.ratio) };
}

export function tiles(data: CockpitData, fmt: CockpitFormats, t: Translate): Tile[] {
  const { tiles: figures } = data;
  const value = figures.conversionValue;
  const conversions = tile(fmt, 'conversions', figures.conversions);
  if (value.length) conversions.detail = value.map((v) => fmt.money(v.current, v.currency)).join(' · ');
  const rating = change(figures.rating.current, figures.rating.previous);
  return [
    tile(fmt, 'impressions', figures.impressions),
    tile(fmt, 'engagements', figures.engagements),
    tile(fmt, 'clicks', figures.clicks),
    conversions,
    {
      key: 'rating',
      value: figures.rating.current === null ? '—' : fmt.decimal1(figures.rating.current),
      change: rating,
      // a rating moves by points, not by percent
      changeText:
        figures.rating.current !== null && figures.rating.previous !== null && rating.direction !== 'flat'
          ? t('cockpit.tiles.ratingChange', { delta: (figures.rating.current > figures.rating.previous ? '+' : '') + fmt.decimal1(figures.rating.current - figures.rating.previous) })
          : null,
      detail: t('cockpit.tiles.reviewCount', { count: figures.rating.count, n: fmt.number(figures.rating.count) }),
    },
    tile(fmt, 'credits', figures.credits),
  ];
}

export function engagementCharts(data: CockpitData, fmt: CockpitFormats, t: Translate): { line: string; bar: string } {
  const { buckets, series, perChannel } = data.engagement;
  const labels = buckets.map((b) => fmt.bucket(b, data.periods.bucket));
  const line = lineChart({
    title: t('cockpit.engagement.lineTitle'),
    labels,
    series: series.map((s, i) => ({ label: fmt.channel(s.channel), values: s.values, className: `series-${(i % 8) + 1}` })),
    format: fmt.number,
  });
  const bar = barChart({
    title: t('cockpit.engagement.barTitle'),
    labels: perChannel.map((c) => fmt.channel(c.channel)),
    series: [
      { label: t('cockpit.engagement.current'), values: perChannel.map((c) => engagementsOf(c.current)), className: 'series-1' },
      { label: t('cockpit.engagement.previous'), values: perChannel.map((c) => engagementsOf(c.previous)), className: 'series-muted' },
    ],
    format: fmt.number,
  });
  return { line, bar };
}

export interface CorrelationView {
  against: 'engagements' | 'clicks';
  r: string;
  months: number;
  strength: string;
  direction: 'positive' | 'negative';
  few: boolean;
}

function correlationView(against: CorrelationView['against'], c: Correlation | null, fmt: CockpitFormats): CorrelationView | null {
  if (!c) return null;
  return {
    against,
    r: new Intl.NumberFormat(fmt.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(c.r),
    months: c.n,
    strength: correlationStrength(c.r),
    direction: c.r >= 0 ? 'positive' : 'negative',
    few: c.n < FEW_MONTHS,
  };
}

/** Revenue (right axis) over the month's engagements and clicks (left axis), and the coefficients. */
export function revenueView(data: CockpitData, fmt: CockpitFormats, t: Translate) {
  const r = data.revenue;
  const hasRevenue = r.revenue.some((v) => v !== null);
  const chart = lineChart({
    title: t('cockpit.revenue.chartTitle'),
    labels: r.months.map((m) => fmt.bucket(m, 'month')),
    series: [
      { label: t('cockpit.revenue.engagements'), values: r.engagements, className: 'series-1' },
      { label: t('cockpit.revenue.clicks'), values: r.clicks, className: 'series-2' },
      ...(hasRevenue ? [{ label: t('cockpit.revenue.revenue'), values: r.revenue, className: 'series-revenue', rightAxis: true }] : []),
    ],
    format: fmt.number,
    formatRight: (cents) => fmt.money(cents, r.currency),
  });
  return {
    hasRevenue,
    chart,
    correlations: [correlationView('engagements', r.correlation.engagements, fmt), correlationView('clicks', r.correlation.clicks, fmt)].filter(
      (c): c is CorrelationView => c !== null,
    ),
  };
}

export function reputationChart(data: CockpitData, fmt: CockpitFormats, t: Translate): string | null {
  const byMonth = new Map(data.reputation.months.map((m) => [m.month, m]));
  if (!byMonth.size) return null;
  return lineChart({
    title: t('cockpit.reputation.chartTitle'),
    labels: data.periods.months.map((m) => fmt.bucket(m, 'month')),
    series: [{ label: t('cockpit.reputation.average'), values: data.periods.months.map((m) => byMonth.get(m)?.average ?? null), className: 'series-3' }],
    height: 180,
    format: fmt.decimal1,
  });
}

/** Everything the cockpit's templates read. */
export function cockpitView(data: CockpitData, fmt: CockpitFormats, t: Translate) {
  const p = data.periods;
  return {
    data,
    fmt,
    periodLabel: t('cockpit.period.range', { from: fmt.day(p.current.firstDay), to: fmt.day(p.current.lastDay) }),
    previousLabel: t('cockpit.period.range', { from: fmt.day(p.previous.firstDay), to: fmt.day(p.previous.lastDay) }),
    tiles: tiles(data, fmt, t),
    engagementCharts: engagementCharts(data, fmt, t),
    revenue: revenueView(data, fmt, t),
    reputationChart: reputationChart(data, fmt, t),
  };
}
