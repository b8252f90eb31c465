import { DateTime } from 'luxon';
import type { CalendarItem } from './calendar-domain.js';
import { localToInstant } from './slots.js';

/**
 * The calendar's periods and grids, by local day in the tenant's time zone (weeks start on Monday). Pure: the
 * route fetches the items of `windowOf(period)` and hands them here.
 */

export const VIEWS = ['month', 'week', 'list'] as const;
export type CalendarView = (typeof VIEWS)[number];

export function isView(value: unknown): value is CalendarView {
  return typeof value === 'string' && (VIEWS as readonly string[]).includes(value);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A local calendar date `YYYY-MM-DD` between 2000 and 2100, or null. */
export function parseIsoDate(value: unknown): string | null {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return null;
  const d = DateTime.fromISO(value, { zone: 'utc' });
  return d.isValid && d.year >= 2000 && d.year <= 2100 ? value : null;
}

export function localDateParts(isoDate: string): { year: number; month: number; day: number } {
  const [, y, m, d] = ISO_DATE.exec(isoDate)!;
  return { year: Number(y), month: Number(m), day: Number(d) };
}

/** The local date and wall time (`HH:MM`) of an instant in `timezone`. */
export function localOf(instant: Date, timezone: string): { date: string; time: string; hour: number } {
  const d = DateTime.fromJSDate(instant, { zone: timezone });
  return { date: d.toISODate()!, time: d.toFormat('HH:mm'), hour: d.hour };
}

export function todayIn(timezone: string, now: Date): string {
  return DateTime.fromJSDate(now, { zone: timezone }).toISODate()!;
}

export interface Period {
  view: CalendarView;
  anchor: string;
  /** First local day shown (inclusive) and the day after the last (exclusive). */
  start: string;
  end: string;
  /** Anchors of the previous and next periods. */
  prev: string;
  next: string;
  today: string;
}

const day = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' });
const iso = (d: DateTime) => d.toISODate()!;

export function periodOf(view: CalendarView, anchor: string, today: string): Period {
  const a = day(anchor);
  if (view === 'week') {
    const start = a.minus({ days: a.weekday - 1 });
    return { view, anchor, start: iso(start), end: iso(start.plus({ days: 7 })), prev: iso(a.minus({ weeks: 1 })), next: iso(a.plus({ weeks: 1 })), today };
  }
  const first = a.startOf('month');
  const next = first.plus({ months: 1 });
  const around = { prev: iso(first.minus({ months: 1 })), next: iso(next) };
  if (view === 'list') return { view, anchor, start: iso(first), end: iso(next), ...around, today };
  // month: whole weeks, Monday first
  const start = first.minus({ days: first.weekday - 1 });
  const lastDay = next.minus({ days: 1 });
  const end = lastDay.plus({ days: 8 - lastDay.weekday });
  return { view, anchor, start: iso(start), end: iso(end), ...around, today };
}

/** The instants bounding a period's local days in `timezone`: [from, to). */
export function windowOf(period: Period, timezone: string): { from: Date; to: Date } {
  return { from: localToInstant(localDateParts(period.start), '00:00', timezone), to: localToInstant(localDateParts(period.end), '00:00', timezone) };
}

export interface PlacedItem extends CalendarItem {
  localDate: string;
  localTime: string;
  hour: number;
}

export interface DayCell {
  date: string;
  /** Day of the month. */
  day: number;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  inMonth: boolean;
  isToday: boolean;
  isPast: boolean;
  items: PlacedItem[];
}

export function placeItems(items: readonly CalendarItem[], timezone: string): PlacedItem[] {
  return items
    .map((item) => {
      const local = localOf(item.startsAt, timezone);
      return { ...item, localDate: local.date, localTime: local.time, hour: local.hour };
    })
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.channel.localeCompare(b.channel));
}

function cells(period: Period, placed: readonly PlacedItem[]): DayCell[] {
  const month = day(period.anchor).month;
  const out: DayCell[] = [];
  for (let d = day(period.start); iso(d) < period.end; d = d.plus({ days: 1 })) {
    const date = iso(d);
    out.push({
      date,
      day: d.day,
      weekday: d.weekday,
      inMonth: period.view !== 'month' || d.month === month,
      isToday: date === period.today,
      isPast: date < period.today,
      items: placed.filter((i) => i.localDate === date),
    });
  }
  return out;
}

/** Month view: rows of seven days. */
export function monthWeeks(period: Period, placed: readonly PlacedItem[]): DayCell[][] {
  const all = cells(period, placed);
  const weeks: DayCell[][] = [];
  for (let i = 0; i < all.length; i += 7) weeks.push(all.slice(i, i + 7));
  return weeks;
}

/** Working hours always shown in the week view; hours holding an item are added. */
export const WEEK_HOURS = { first: 7, last: 21 } as const;

/** Week view: the seven days and one row per hour. */
export function weekGrid(period: Period, placed: readonly PlacedItem[]): { days: DayCell[]; hours: { hour: number; cells: PlacedItem[][] }[] } {
  const days = cells(period, placed);
  const hourSet = new Set<number>();
  for (let h = WEEK_HOURS.first; h <= WEEK_HOURS.last; h++) hourSet.add(h);
  for (const d of days) for (const item of d.items) hourSet.add(item.hour);
  const hours = [...hourSet].sort((a, b) => a - b).map((hour) => ({ hour, cells: days.map((d) => d.items.filter((i) => i.hour === hour)) }));
  return { days, hours };
}

/** List view: the days holding items, in order. */
export function listDays(period: Period, placed: readonly PlacedItem[]): DayCell[] {
  return cells(period, placed).filter((d) => d.items.length > 0);
}

/** Date and time labels in the reader's language, on the tenant's wall clock. */
export function formatters(locale: string, timezone: string) {
  const f = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(locale, { timeZone: timezone, ...options });
  const utc = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(locale, { timeZone: 'UTC', ...options });
  const dateOnly = (isoDate: string) => new Date(`${isoDate}T00:00:00Z`);
  const longDay = utc({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const month = utc({ month: 'long', year: 'numeric' });
  const shortDay = utc({ weekday: 'short', day: 'numeric', month: 'short' });
  const weekdayLong = utc({ weekday: 'long' });
  const weekdayShort = utc({ weekday: 'short' });
  const time = f({ hour: '2-digit', minute: '2-digit' });
  const hourOfDay = utc({ hour: '2-digit', minute: '2-digit' });
  const dateTime = f({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  const capital = (s: string) => s.charAt(0).toLocaleUpperCase(locale) + s.slice(1);
  // 2026-01-05 is a Monday: ISO weekday n is 2026-01-(4 + n).
  const weekdayDate = (n: number) => new Date(Date.UTC(2026, 0, 4 + n));
  return {
    /** « lundi 12 octobre 2026 » */
    longDay: (isoDate: string) => longDay.format(dateOnly(isoDate)),
    /** « Lundi 12 octobre 2026 » (a heading) */
    dayTitle: (isoDate: string) => capital(longDay.format(dateOnly(isoDate))),
    /** « Octobre 2026 » */
    month: (isoDate: string) => capital(month.format(dateOnly(isoDate))),
    /** « lun. 12 oct. » */
    shortDay: (isoDate: string) => shortDay.format(dateOnly(isoDate)),
    weekday: (isoWeekday: number) => capital(weekdayLong.format(weekdayDate(isoWeekday))),
    weekdayShort: (isoWeekday: number) => capital(weekdayShort.format(weekdayDate(isoWeekday))),
    time: (instant: Date) => time.format(instant),
    dateTime: (instant: Date) => dateTime.format(instant),
    /** « 08:00 » (a row of the week view) */
    hour: (h: number) => hourOfDay.format(new Date(Date.UTC(2026, 0, 1, h))),
  };
}
