import { DateTime } from 'luxon';
import { z } from 'zod';
import { parseInput } from '../../shared/validation.js';
import { periodOf, type Period } from '../pipeline/month-performance.js';

/** The cockpit's period choices; `custom` takes `from` and `to` (local days, both included). */
export const PERIOD_PRESETS = ['7d', '30d', '90d', 'this_month', 'last_month', '12m', 'custom'] as const;
export type PeriodPreset = (typeof PERIOD_PRESETS)[number];
export const DEFAULT_PRESET: PeriodPreset = '30d';
/** A custom period spans at most two years (the comparison doubles what is read). */
export const MAX_CUSTOM_DAYS = 731;
/** The revenue overlay and the reviews' trend look at this many months, up to the period's last month. */
export const TREND_MONTHS = 12;

export type Bucket = 'day' | 'week' | 'month';

export interface CockpitPeriods {
  preset: PeriodPreset;
  timezone: string;
  current: Period & { days: number };
  /** The period it is compared with: the same span just before (the previous month for calendar months). */
  previous: Period;
  /** Chart resolution: days up to a month, weeks up to a quarter, months beyond. */
  bucket: Bucket;
  /** `YYYY-MM-01` of the `TREND_MONTHS` months ending with the period's last month (oldest first). */
  months: string[];
  /** Every day the cockpit reads engagement for: the previous period, the current one and the trend months. */
  span: Period;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : undefined);

const periodSchema = z
  .object({
    period: z.enum(PERIOD_PRESETS, { message: 'cockpit.errors.periodInvalid' }),
    from: z.string().optional(),
    to: z.string().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.period !== 'custom') return;
    const from = validDay(value.from);
    const to = validDay(value.to);
    if (!value.from) ctx.addIssue({ code: 'custom', path: ['from'], message: 'cockpit.errors.fromRequired' });
    else if (!from) ctx.addIssue({ code: 'custom', path: ['from'], message: 'cockpit.errors.dateInvalid' });
    if (!value.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'cockpit.errors.toRequired' });
    else if (!to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'cockpit.errors.dateInvalid' });
    if (!from || !to) return;
    if (to < from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'cockpit.errors.toBeforeFrom' });
    else if (to.diff(from, 'days').days + 1 > MAX_CUSTOM_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: 'cockpit.errors.tooLong' });
  });

function validDay(value: string | undefined): DateTime | null {
  if (!value || !ISO_DAY.test(value)) return null;
  const day = DateTime.fromISO(value, { zone: 'utc' });
  return day.isValid && day.year >= 2000 ? day : null;
}

/** What the period form holds (as typed), for re-rendering it. */
export interface PeriodForm {
  period: string;
  from: string;
  to: string;
}

export function periodForm(query: Record<string, unknown>): PeriodForm {
  return { period: text(query.period) || DEFAULT_PRESET, from: text(query.from) ?? '', to: text(query.to) ?? '' };
}

/** The periods of a cockpit request, in the tenant's zone; a `ValidationError` (422) for a bad custom period. */
export function resolvePeriods(query: Record<string, unknown>, now: Date, timezone: string): CockpitPeriods {
  const form = periodForm(query);
  const input = parseInput(periodSchema, { period: form.period, from: form.from || undefined, to: form.to || undefined });
  const today = DateTime.fromJSDate(now, { zone: timezone }).startOf('day');
  const thisMonth = today.startOf('month');
  const day = (iso: string) => DateTime.fromISO(iso, { zone: timezone });
  let from: DateTime;
  let to: DateTime;
  let shift: { days: number } | { months: number };
  switch (input.period) {
    case '7d':
    case '30d':
    case '90d': {
      const days = Number.parseInt(input.period, 10);
      [from, to, shift] = [today.minus({ days: days - 1 }), today.plus({ days: 1 }), { days }];
      break;
    }
    case 'this_month':
      [from, to, shift] = [thisMonth, today.plus({ days: 1 }), { months: 1 }];
      break;
    case 'last_month':
      [from, to, shift] = [thisMonth.minus({ months: 1 }), thisMonth, { months: 1 }];
      break;
    case '12m':
      [from, to, shift] = [thisMonth.minus({ months: 11 }), today.plus({ days: 1 }), { months: 12 }];
      break;
    case 'custom': {
      from = day(input.from!);
      to = day(input.to!).plus({ days: 1 });
      shift = { days: Math.round(to.diff(from, 'days').days) };
      break;
    }
  }
  const days = Math.round(to.diff(from, 'days').days);
  const previous = periodOf(from.minus(shift), to.minus(shift));
  const lastMonth = to.minus({ days: 1 }).startOf('month');
  const months = Array.from({ length: TREND_MONTHS }, (_, i) => lastMonth.minus({ months: TREND_MONTHS - 1 - i }).toISODate()!);
  const spanFrom = DateTime.min(from.minus(shift), day(months[0]));
  return {
    preset: input.period,
    timezone,
    current: { ...periodOf(from, to), days },
    previous,
    bucket: days <= 31 ? 'day' : days <= 92 ? 'week' : 'month',
    months,
    span: periodOf(spanFrom, to),
  };
}

/** The bucket a local day (`YYYY-MM-DD`) falls in: itself, its ISO week's Monday, or its month's first day. */
export function bucketOf(day: string, bucket: Bucket): string {
  if (bucket === 'day') return day;
  const d = DateTime.fromISO(day, { zone: 'utc' });
  return (bucket === 'week' ? d.startOf('week') : d.startOf('month')).toISODate()!;
}

/** Every bucket of the period, in order (charts show empty ones as zero). */
export function bucketsOf(period: Period, bucket: Bucket): string[] {
  const keys: string[] = [];
  let d = DateTime.fromISO(bucketOf(period.firstDay, bucket), { zone: 'utc' });
  const end = DateTime.fromISO(period.endDay, { zone: 'utc' });
  while (d < end) {
    keys.push(d.toISODate()!);
    d = d.plus(bucket === 'day' ? { days: 1 } : bucket === 'week' ? { weeks: 1 } : { months: 1 });
  }
  return keys;
}
