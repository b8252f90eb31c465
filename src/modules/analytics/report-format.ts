import type { MoneyRow } from './report-figures.js';

/** Numbers, money and dates of the report in its language (French formats for `fr`). */
export interface ReportFormat {
  locale: 'fr' | 'en';
  number(value: number, decimals?: number): string;
  money(row: MoneyRow): string;
  /** `YYYY-MM-DD` as a long date (1 novembre 2026). */
  day(isoDay: string): string;
  /** `YYYY-MM-01` as a month (novembre 2026). */
  month(isoMonth: string): string;
  dateTime(at: Date, timezone: string): string;
}

export const reportLocale = (locale: string): 'fr' | 'en' => (locale.toLowerCase().startsWith('en') ? 'en' : 'fr');

export function reportFormat(locale: string): ReportFormat {
  const lang = reportLocale(locale);
  const tag = lang === 'fr' ? 'fr-FR' : 'en-GB';
  const dayOf = (iso: string) => new Date(`${iso}T12:00:00Z`);
  return {
    locale: lang,
    number: (value, decimals = 0) => new Intl.NumberFormat(tag, { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(value),
    money: (row) => new Intl.NumberFormat(tag, { style: 'currency', currency: row.currency }).format(row.cents / 100),
    day: (iso) => new Intl.DateTimeFormat(tag, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(dayOf(iso)),
    month: (iso) => new Intl.DateTimeFormat(tag, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(dayOf(iso)),
    dateTime: (at, timezone) => new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeStyle: 'short', timeZone: timezone }).format(at),
  };
}

/** A figure for a spreadsheet cell: no thousands separator, the language's decimal mark (French Excel reads `4,5`). */
export function csvNumber(value: number, locale: string, decimals = 0): string {
  const text = value.toFixed(decimals);
  return reportLocale(locale) === 'fr' ? text.replace('.', ',') : text;
}

/** Whether the period is exactly one calendar month (the report then says "November 2026"). */
export function isWholeMonth(firstDay: string, lastDay: string): boolean {
  if (!firstDay.endsWith('-01') || firstDay.slice(0, 7) !== lastDay.slice(0, 7)) return false;
  const next = new Date(`${lastDay}T12:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.getUTCDate() === 1;
}

/** Cents as a decimal cell, built from the integer (exact for any amount). */
export function csvMoney(cents: number, locale: string): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const text = `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return reportLocale(locale) === 'fr' ? text.replace('.', ',') : text;
}
