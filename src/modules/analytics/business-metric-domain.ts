/**
 * Monthly business metrics: what the client's business did each month (revenue, orders, leads, store visits, or a
 * figure of their own), entered by hand, imported from a CSV, or — later — synchronised from a POS, CRM or shop.
 * Values are integers: cents for money (with its currency), a count otherwise.
 */

export const METRIC_KINDS = ['revenue', 'orders', 'leads', 'store_visits', 'custom'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

export const METRIC_UNITS = ['cents', 'count', 'other'] as const;
export type MetricUnit = (typeof METRIC_UNITS)[number];

/** Where a value came from; the automated sources arrive with `revenue_integrations` (V2). */
export const METRIC_SOURCES = ['manual', 'csv', 'pos', 'crm', 'ecommerce'] as const;
export type MetricSource = (typeof METRIC_SOURCES)[number];

/** The client may edit or delete what they entered or imported; synchronised values belong to their source. */
export const EDITABLE_SOURCES: readonly MetricSource[] = ['manual', 'csv'];

/**
 * When several sources give the same metric for the same month, the one the client typed wins, then their import,
 * then the synchronised ones (a correction by hand must not be hidden by the next sync).
 */
export const SOURCE_PRECEDENCE: readonly MetricSource[] = ['manual', 'csv', 'ecommerce', 'pos', 'crm'];

export const DEFAULT_CURRENCY = 'EUR';
export const MAX_METRIC_NAME = 100;
/** Largest value accepted (cents or count): far beyond any small business, well inside a bigint and a JS number. */
export const MAX_METRIC_VALUE = 1e15;

export interface BusinessMetric {
  id: string;
  /** First day of the month, `YYYY-MM-01`. */
  month: string;
  kind: MetricKind;
  /** Label of a custom metric; '' for the standard kinds. */
  name: string;
  value: number;
  unit: MetricUnit;
  currency: string | null;
  source: MetricSource;
  integrationId: string | null;
  importId: string | null;
  notes: string | null;
  updatedAt: Date;
}

/** A metric as the client chooses it (its series): kind and, for a custom one, its name. */
export interface MetricKey {
  kind: MetricKind;
  name: string;
}

export const metricKeyId = (key: MetricKey): string => (key.kind === 'custom' ? `custom:${key.name}` : key.kind);

export function parseMetricKeyId(id: string): MetricKey | null {
  if (id.startsWith('custom:')) {
    const name = id.slice(7);
    return name && name.length <= MAX_METRIC_NAME ? { kind: 'custom', name } : null;
  }
  return (METRIC_KINDS as readonly string[]).includes(id) && id !== 'custom' ? { kind: id as MetricKind, name: '' } : null;
}

/** A custom metric's label: shown in pages, reports and CSV cells, so nothing a spreadsheet would run as a formula. */
export function customNameError(name: string): string | null {
  if (!name) return 'revenue.errors.nameRequired';
  if (/^[=+\-@\t\r]/.test(name) || /[\u0000-\u001f]/.test(name)) return 'revenue.errors.nameInvalid';
  return null;
}

export interface MetricImportError {
  /** Line in the file (1 = header); null for an error about the whole file. */
  line: number | null;
  /** Header of the column at fault, when one is. */
  column: string | null;
  code: string;
  /** What the cell held (truncated), to help the client find it. */
  value?: string;
}

export interface MetricImport {
  id: string;
  fileName: string;
  status: 'pending' | 'processing' | 'completed' | 'failed';
  rowsTotal: number;
  rowsImported: number;
  rowsRejected: number;
  rowErrors: MetricImportError[];
  createdAt: Date;
  completedAt: Date | null;
}

const MONTH_NAMES: Record<string, number> = {
  janvier: 1, janv: 1, jan: 1, january: 1,
  fevrier: 2, fevr: 2, fev: 2, feb: 2, february: 2,
  mars: 3, mar: 3, march: 3,
  avril: 4, avr: 4, apr: 4, april: 4,
  mai: 5, may: 5,
  juin: 6, jun: 6, june: 6,
  juillet: 7, juil: 7, jul: 7, july: 7,
  aout: 8, aug: 8, august: 8,
  septembre: 9, sept: 9, sep: 9, september: 9,
  octobre: 10, oct: 10, october: 10,
  novembre: 11, nov: 11, november: 11,
  decembre: 12, dec: 12, december: 12,
};

const monthOf = (year: number, month: number): string | null =>
  year >= 2000 && year <= 2100 && month >= 1 && month <= 12 ? `${year}-${String(month).padStart(2, '0')}-01` : null;

/**
 * A month as people write it in a spreadsheet: `2026-03`, `2026-03-01`, `03/2026`, `01/03/2026` (French day
 * first), `mars 2026`, `March 2026`. Returns `YYYY-MM-01` or null.
 */
export function parseMonth(input: string): string | null {
  const text = input.trim().normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  let m = /^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$/.exec(text);
  if (m) return m[3] && !validDay(Number(m[3])) ? null : monthOf(Number(m[1]), Number(m[2]));
  m = /^(?:(\d{1,2})[/.-])?(\d{1,2})[/.-](\d{4})$/.exec(text);
  if (m) return m[1] && !validDay(Number(m[1])) ? null : monthOf(Number(m[3]), Number(m[2]));
  m = /^([a-z]+)\.?\s+(\d{4})$/.exec(text);
  if (m && MONTH_NAMES[m[1]]) return monthOf(Number(m[2]), MONTH_NAMES[m[1]]);
  return null;
}

const validDay = (d: number) => d >= 1 && d <= 31;

export type ParsedNumber = { ok: true; value: number } | { ok: false; code: string };

/**
 * A decimal number as a French or English spreadsheet writes it, scaled to an integer with `decimals` places:
 * `1 234,56`, `1234,56 €`, `1.234,56`, `1,234.56`, `1234.56`. Spaces (also non-breaking) group thousands; with both
 * `,` and `.` the last one is the decimal mark; a lone `,` is the French decimal mark, and so is a lone `.`
 * unless it repeats (`1.234.567`). More decimals than allowed, a negative value or anything else is refused.
 */
export function parseDecimal(input: string, decimals: 0 | 2): ParsedNumber {
  let text = input.replace(/[\s\u00a0\u202f]/g, '').replace(/€|eur$/i, '');
  if (!text) return { ok: false, code: 'revenue.errors.valueRequired' };
  if (text.startsWith('-')) return { ok: false, code: 'revenue.errors.valueNegative' };
  if (text.startsWith('+')) text = text.slice(1);
  if (!/^[\d.,]+$/.test(text) || !/\d/.test(text)) return { ok: false, code: 'revenue.errors.valueInvalid' };
  const lastComma = text.lastIndexOf(',');
  const lastDot = text.lastIndexOf('.');
  let integer: string;
  let fraction = '';
  const split = (mark: string, thousands: string): boolean => {
    const at = text.lastIndexOf(mark);
    integer = text.slice(0, at);
    fraction = text.slice(at + 1);
    if (integer.includes(mark)) return false;
    if (thousands && integer.includes(thousands) && !/^\d{1,3}(\.\d{3}|,\d{3})*$/.test(integer)) return false;
    integer = integer.split(thousands || '\u0000').join('');
    return true;
  };
  if (lastComma >= 0 && lastDot >= 0) {
    if (!(lastComma > lastDot ? split(',', '.') : split('.', ','))) return { ok: false, code: 'revenue.errors.valueInvalid' };
  } else if (lastComma >= 0 || lastDot >= 0) {
    const mark = lastComma >= 0 ? ',' : '.';
    if (text.indexOf(mark) !== text.lastIndexOf(mark)) {
      // repeated: thousands groups only (1.234.567 or 1,234,567)
      if (!new RegExp(`^\\d{1,3}(\\${mark}\\d{3})+$`).test(text)) return { ok: false, code: 'revenue.errors.valueInvalid' };
      integer = text.split(mark).join('');
    } else if (!split(mark, '')) return { ok: false, code: 'revenue.errors.valueInvalid' };
  } else {
    integer = text;
  }
  integer = integer! || '0';
  if (!/^\d+$/.test(integer) || (fraction && !/^\d+$/.test(fraction))) return { ok: false, code: 'revenue.errors.valueInvalid' };
  fraction = fraction.replace(/0+$/, '');
  if (fraction.length > decimals) return { ok: false, code: decimals === 0 ? 'revenue.errors.valueNotWhole' : 'revenue.errors.valueTooPrecise' };
  // exact: digits are joined as a string before becoming a number, never multiplied as floats
  const value = Number(integer + fraction.padEnd(decimals, '0'));
  if (!Number.isSafeInteger(value) || value > MAX_METRIC_VALUE) return { ok: false, code: 'revenue.errors.valueTooLarge' };
  return { ok: true, value };
}

/** The unit a kind is stored in (custom metrics choose theirs). */
export function unitOfKind(kind: Exclude<MetricKind, 'custom'>): MetricUnit {
  return kind === 'revenue' ? 'cents' : 'count';
}
