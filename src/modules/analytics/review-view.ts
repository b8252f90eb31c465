import { lineChart } from '../../shared/svg-chart.js';
import type { Translate } from '../../shared/i18n.js';
import type { ReviewSummary } from './review-domain.js';

/** Numbers and dates of the reputation, brand-safety and evergreen pages, in the reader's language and tenant's zone. */
export class ReputationFormats {
  private readonly decimal: Intl.NumberFormat;
  private readonly integer: Intl.NumberFormat;
  private readonly day: Intl.DateTimeFormat;
  private readonly dayTime: Intl.DateTimeFormat;
  private readonly monthLabel: Intl.DateTimeFormat;

  constructor(
    readonly locale: string,
    readonly timezone: string,
    private readonly t: Translate,
  ) {
    const tag = locale === 'en' ? 'en-GB' : 'fr-FR';
    this.decimal = new Intl.NumberFormat(tag, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    this.integer = new Intl.NumberFormat(tag, { maximumFractionDigits: 0 });
    this.day = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeZone: timezone });
    this.dayTime = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short', timeZone: timezone });
    this.monthLabel = new Intl.DateTimeFormat(tag, { month: 'short', year: '2-digit', timeZone: 'UTC' });
  }

  rating(value: number | null): string {
    return value === null ? '—' : this.decimal.format(value);
  }

  count(value: number): string {
    return this.integer.format(value);
  }

  date(value: Date | null): string {
    return value ? this.day.format(value) : '';
  }

  dateTime(value: Date | null): string {
    return value ? this.dayTime.format(value) : '';
  }

  /** `2026-03` → "mars 26" / "Mar 26". */
  month(value: string): string {
    return this.monthLabel.format(new Date(Date.UTC(Number(value.slice(0, 4)), Number(value.slice(5, 7)) - 1, 15)));
  }

  /** The average rating per month as an accessible SVG line (gaps for months without reviews). */
  trendChart(summary: ReviewSummary): string {
    return lineChart({
      title: this.t('reputation.summary.trendTitle'),
      labels: summary.months.map((m) => this.month(m.month)),
      series: [{ label: this.t('reputation.summary.averageRating'), values: summary.months.map((m) => (m.average === null ? null : Math.round(m.average * 10) / 10)), className: 'series-1' }],
      format: (v) => this.rating(v),
      height: 220,
    });
  }
}
