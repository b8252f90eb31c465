import { DateTime } from 'luxon';

/**
 * Invoices: the pure rules (no I/O) — VAT treatment, totals, numbering format, due date and the French legal
 * mentions. Money is integer cents, excluding VAT on lines; rates are basis points (2000 = 20 %).
 */

/** French standard VAT rate, applied to every supply the platform (established in France) invoices in France. */
export const FR_VAT_RATE_BP = 2000;

/** Days between issue and due date when the platform settings give none (French default for services: 30 days). */
export const DEFAULT_PAYMENT_TERM_DAYS = 30;

/** Numbering restarts every calendar year (Paris time): one `invoice_sequences` row per issuer and year. */
export const INVOICE_ZONE = 'Europe/Paris';

const EU_COUNTRIES = new Set([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
]);

export type TaxCase = 'domestic' | 'reverseCharge' | 'outsideEu' | 'euConsumer';

export interface TaxTreatment {
  case: TaxCase;
  rateBp: number;
  reverseCharge: boolean;
  /** i18n key (namespace `subscription`) of the mention the invoice must carry, or null. */
  mention: string | null;
}

/**
 * The VAT of an invoice from the platform (in France) to a client, decided in this one place:
 * - client in France: French VAT at 20 %;
 * - business in another EU country with a VAT number (B2B): no VAT, reverse charge (art. 283-2 CGI, art. 196 of
 *   directive 2006/112/EC) — the invoice says so and shows both VAT numbers;
 * - client outside the EU: no French VAT (art. 259-1 CGI, place of supply is the client's);
 * - consumer or business without VAT number elsewhere in the EU: French VAT at 20 %. (Electronically supplied
 *   services to EU consumers are due at their country's rate through the OSS once the EU threshold is passed:
 *   not handled here; the platform sells to businesses.)
 */
export function taxTreatment(recipient: { country: string; vatNumber: string | null }): TaxTreatment {
  const country = recipient.country.toUpperCase();
  if (country === 'FR') return { case: 'domestic', rateBp: FR_VAT_RATE_BP, reverseCharge: false, mention: null };
  if (!EU_COUNTRIES.has(country)) return { case: 'outsideEu', rateBp: 0, reverseCharge: false, mention: 'subscription.invoice.mentions.outsideEu' };
  if (recipient.vatNumber) return { case: 'reverseCharge', rateBp: 0, reverseCharge: true, mention: 'subscription.invoice.mentions.reverseCharge' };
  return { case: 'euConsumer', rateBp: FR_VAT_RATE_BP, reverseCharge: false, mention: null };
}

export function isEuCountry(country: string): boolean {
  return EU_COUNTRIES.has(country.toUpperCase());
}

export interface DraftLine {
  kind: 'subscription' | 'connector' | 'credits' | 'proration' | 'discount' | 'adjustment';
  description: string;
  quantity: number;
  unitPriceCents: number;
  planId?: string | null;
  periodStart?: string | null;
  periodEnd?: string | null;
}

export interface Totals {
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
}

/** VAT on the subtotal, rounded half up to the cent (the invoice's VAT is computed once, on its total). */
export function totalsOf(lines: readonly Pick<DraftLine, 'quantity' | 'unitPriceCents'>[], rateBp: number): Totals {
  for (const l of lines) {
    if (!Number.isSafeInteger(l.quantity) || l.quantity <= 0 || !Number.isSafeInteger(l.unitPriceCents)) {
      throw new RangeError(`invalid line: ${l.quantity} × ${l.unitPriceCents}`);
    }
  }
  const subtotalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  if (subtotalCents < 0) throw new RangeError(`negative subtotal: ${subtotalCents}`);
  const taxCents = Math.floor((subtotalCents * rateBp + 5000) / 10000);
  return { subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}

/** The series an invoice issued at `at` belongs to (its year in Paris) and that series' printed prefix. */
export function seriesOf(at: Date): { series: string; prefix: string } {
  const year = DateTime.fromJSDate(at, { zone: INVOICE_ZONE }).year;
  return { series: String(year), prefix: `F${year}-` };
}

export function formatInvoiceNumber(prefix: string, n: number, padding: number): string {
  return `${prefix}${String(n).padStart(padding, '0')}`;
}

export function dueDateOf(issuedAt: Date, termDays: number): Date {
  return DateTime.fromJSDate(issuedAt, { zone: INVOICE_ZONE }).plus({ days: termDays }).endOf('day').toJSDate();
}

/** A DATE column value (`YYYY-MM-DD`) for an instant, read in Paris time. */
export function dateOnly(at: Date): string {
  return DateTime.fromJSDate(at, { zone: INVOICE_ZONE }).toISODate()!;
}
