/**
 * Parses a price as written on a page (`1 234,56 €`, `€1,234.56`, `12.99 USD`…) into cents and an ISO currency.
 * Being written by the detection engineer; this signature is fixed.
 */
export interface ParsedPrice {
  amountCents: number;
  /** ISO 4217 code when the text or the hint names one, else null. */
  currency: string | null;
}

export function parsePrice(_raw: string, _options: { currencyHint?: string | null } = {}): ParsedPrice | null {
  return null;
}
