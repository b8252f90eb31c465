import { ValidationError } from '../../shared/errors.js';
import { DNA_CHANNELS, DNA_CURRENCIES, brandDnaSchema, compact, isEmpty, type BrandDna, type DnaChannel } from './domain.js';
import { dnaValidationError } from './dna-service.js';

/**
 * The edit form, as the user typed it (strings only), and its conversion to and from the DNA. Field names are
 * DNA paths (`identity.name`, `tone.do`); repeated sub-forms post one value per row (`offers.name`…), and
 * errors are keyed `offers.<row>.<field>`. Lists are textareas, one item per line.
 */

export const TEXT_FIELDS = [
  'identity.name',
  'identity.tagline',
  'identity.description',
  'identity.mission',
  'identity.story',
  'identity.city',
  'identity.founded',
  'tone.summary',
  'visual.imageStyle',
  'seo.localZone.city',
  'seo.localZone.radiusKm',
  'legal.companyName',
  'legal.legalForm',
  'legal.siret',
  'legal.address',
  'legal.mentions',
] as const;

/** Textareas, one item per line. */
export const LINE_FIELDS = [
  'values',
  'tone.do',
  'tone.dont',
  'tone.examples',
  'vocabulary.preferred',
  'vocabulary.banned',
  'bannedClaims',
  'visual.colors',
  'visual.fonts',
  'seo.keywords',
  'seo.localZone.areas',
] as const;

export type FormField = (typeof TEXT_FIELDS)[number] | (typeof LINE_FIELDS)[number];

export interface OfferRow {
  name: string;
  description: string;
  price: string;
  currency: string;
  unit: string;
  url: string;
}
export interface AudienceRow {
  name: string;
  description: string;
  needs: string;
  channels: string;
}
export interface CompetitorRow {
  name: string;
  website: string;
}
export interface ChannelRow {
  used: boolean;
  handle: string;
  url: string;
}

export interface DnaFormValues {
  fields: Record<FormField, string>;
  offers: OfferRow[];
  audiences: AudienceRow[];
  competitors: CompetitorRow[];
  channels: Record<DnaChannel, ChannelRow>;
  /** The version the form was opened on (conflict detection); '' when there was none. */
  baseVersion: string;
}

export const ROW_SECTIONS = ['offers', 'audiences', 'competitors'] as const;
export type RowSection = (typeof ROW_SECTIONS)[number];

const ROW_FIELDS: { offers: (keyof OfferRow)[]; audiences: (keyof AudienceRow)[]; competitors: (keyof CompetitorRow)[] } = {
  offers: ['name', 'description', 'price', 'currency', 'unit', 'url'],
  audiences: ['name', 'description', 'needs', 'channels'],
  competitors: ['name', 'website'],
};

export function blankRow(section: 'offers'): OfferRow;
export function blankRow(section: 'audiences'): AudienceRow;
export function blankRow(section: 'competitors'): CompetitorRow;
export function blankRow(section: RowSection): OfferRow | AudienceRow | CompetitorRow;
export function blankRow(section: RowSection): OfferRow | AudienceRow | CompetitorRow {
  const row = Object.fromEntries(ROW_FIELDS[section].map((f) => [f, ''])) as Record<string, string>;
  if (section === 'offers') row.currency = 'EUR';
  return row as unknown as OfferRow | AudienceRow | CompetitorRow;
}

const MAX_ROWS = 120;

function one(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (Array.isArray(v)) return String(v[0] ?? '');
  return typeof v === 'string' ? v : '';
}

function all(body: Record<string, unknown>, name: string): string[] {
  const v = body[name];
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : ''));
  return typeof v === 'string' ? [v] : [];
}

function isBlank(row: object): boolean {
  return Object.entries(row).every(([k, v]) => k === 'currency' || (typeof v === 'string' ? v.trim() === '' : !v));
}

/** What was posted, kept as typed (so a 422 re-renders it exactly). */
export function formValuesFromBody(body: Record<string, unknown> = {}): DnaFormValues {
  const fields = {} as Record<FormField, string>;
  for (const f of [...TEXT_FIELDS, ...LINE_FIELDS]) fields[f] = one(body, f);
  const rows = <S extends RowSection>(section: S) => {
    const columns = ROW_FIELDS[section].map((f) => [f, all(body, `${section}.${f}`)] as const);
    const count = Math.min(MAX_ROWS, Math.max(0, ...columns.map(([, values]) => values.length)));
    return Array.from({ length: count }, (_, i) => Object.fromEntries(columns.map(([f, values]) => [f, values[i] ?? ''])));
  };
  const channels = {} as Record<DnaChannel, ChannelRow>;
  for (const c of DNA_CHANNELS) {
    channels[c] = { used: one(body, `channels.${c}.used`) !== '', handle: one(body, `channels.${c}.handle`), url: one(body, `channels.${c}.url`) };
  }
  return {
    fields,
    offers: rows('offers') as unknown as OfferRow[],
    audiences: rows('audiences') as unknown as AudienceRow[],
    competitors: rows('competitors') as unknown as CompetitorRow[],
    channels,
    baseVersion: one(body, 'baseVersion'),
  };
}

function getPath(root: unknown, path: string): unknown {
  let node = root;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = root;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

const linesOf = (text: string): string[] => text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
const joinLines = (value: unknown): string => (Array.isArray(value) ? value.join('\n') : '');

/** Cents as the user reads them: 1250 → "12,50" (fr) / "12.50" (en). */
export function formatAmount(cents: number, locale: string): string {
  const value = (cents / 100).toFixed(2);
  const [int, dec] = value.split('.');
  const out = dec === '00' ? int : `${int}.${dec}`;
  return locale.startsWith('fr') ? out.replace('.', ',') : out;
}

/** "12,50", "12.50", "1 200", "12 €" → cents; null when it is not a price. */
export function parseAmount(text: string): number | null {
  const cleaned = text.replace(/[\s\u00a0\u202f€$£]/g, '').replace(/(EUR|USD|GBP|CHF|CAD)$/i, '');
  if (!/^\d{1,9}([.,]\d{1,2})?$/.test(cleaned)) return null;
  return Math.round(Number(cleaned.replace(',', '.')) * 100);
}

/** The form, filled from a DNA (plus blank rows to add items without JavaScript). */
export function formValuesFromDna(dna: BrandDna, locale: string, baseVersion: number | null, blankRows = 2): DnaFormValues {
  const fields = {} as Record<FormField, string>;
  for (const f of TEXT_FIELDS) {
    const v = getPath(dna, f);
    fields[f] = v === undefined || v === null ? '' : String(v);
  }
  for (const f of LINE_FIELDS) fields[f] = joinLines(getPath(dna, f));
  const offers: OfferRow[] = (dna.offers ?? []).map((o) => ({
    name: o.name,
    description: o.description ?? '',
    price: o.price ? formatAmount(o.price.amountCents, locale) : '',
    currency: o.price?.currency ?? 'EUR',
    unit: o.price?.unit ?? '',
    url: o.url ?? '',
  }));
  const audiences: AudienceRow[] = (dna.audiences ?? []).map((a) => ({
    name: a.name,
    description: a.description ?? '',
    needs: joinLines(a.needs),
    channels: joinLines(a.channels),
  }));
  const competitors: CompetitorRow[] = (dna.competitors ?? []).map((c) => ({ name: c.name, website: c.website ?? '' }));
  const channels = {} as Record<DnaChannel, ChannelRow>;
  for (const c of DNA_CHANNELS) {
    const use = dna.channels?.find((u) => u.channel === c);
    channels[c] = { used: Boolean(use), handle: use?.handle ?? '', url: use?.url ?? '' };
  }
  return withBlankRows({ fields, offers, audiences, competitors, channels, baseVersion: baseVersion === null ? '' : String(baseVersion) }, blankRows);
}

/** At least `count` blank rows at the end of each repeatable sub-form. */
export function withBlankRows(values: DnaFormValues, count = 1): DnaFormValues {
  const pad = <T extends object>(rows: T[], section: RowSection): T[] => {
    let trailing = 0;
    for (let i = rows.length - 1; i >= 0 && isBlank(rows[i]); i--) trailing++;
    return [...rows, ...Array.from({ length: Math.max(0, count - trailing) }, () => blankRow(section) as unknown as T)];
  };
  return { ...values, offers: pad(values.offers, 'offers'), audiences: pad(values.audiences, 'audiences'), competitors: pad(values.competitors, 'competitors') };
}

/**
 * The DNA the form describes, validated. Blank rows are ignored; a row with anything typed needs its name.
 * Throws a ValidationError keyed by form field (`identity.name`, `offers.<row>.price`, `channels.x.url`).
 */
export function dnaFromFormValues(values: DnaFormValues): BrandDna {
  const content: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of TEXT_FIELDS) setPath(content, f, values.fields[f]);
  for (const f of LINE_FIELDS) setPath(content, f, linesOf(values.fields[f] ?? ''));

  const rowIndex: Record<RowSection | 'channels', (number | string)[]> = { offers: [], audiences: [], competitors: [], channels: [] };
  content.offers = values.offers.flatMap((row, i) => {
    if (isBlank(row)) return [];
    rowIndex.offers.push(i);
    let price: unknown;
    if (row.price.trim()) {
      const cents = parseAmount(row.price);
      if (cents === null) errors[`offers.${i}.price`] = 'brand.dna.errors.price';
      else price = { amountCents: cents, currency: row.currency, unit: row.unit };
    }
    return [{ name: row.name, description: row.description, price, url: row.url }];
  });
  content.audiences = values.audiences.flatMap((row, i) => {
    if (isBlank(row)) return [];
    rowIndex.audiences.push(i);
    return [{ name: row.name, description: row.description, needs: linesOf(row.needs), channels: linesOf(row.channels) }];
  });
  content.competitors = values.competitors.flatMap((row, i) => {
    if (isBlank(row)) return [];
    rowIndex.competitors.push(i);
    return [{ name: row.name, website: row.website }];
  });
  content.channels = DNA_CHANNELS.flatMap((c) => {
    const row = values.channels[c];
    if (!row || (!row.used && !row.handle.trim() && !row.url.trim())) return [];
    rowIndex.channels.push(c);
    return [{ channel: c, handle: row.handle, url: row.url }];
  });

  // a section left blank is absent (not an object missing its required name), but every posted row keeps its
  // place so that errors point at it; the schema drops repeated lines
  const prepared = Object.fromEntries(
    Object.entries(content)
      .map(([key, value]) => [key, Array.isArray(value) && key in rowIndex ? value.map((item) => compact(item)) : compact(value)] as const)
      .filter(([, value]) => !isEmpty(value)),
  );
  const result = brandDnaSchema.safeParse(prepared);
  const fieldOf = (path: (string | number)[]): string => {
    const [section, second, third] = path;
    if (section === 'offers' || section === 'audiences' || section === 'competitors' || section === 'channels') {
      if (typeof second !== 'number') return String(section);
      const row = rowIndex[section][second];
      return third === undefined ? `${section}.${row}.${section === 'channels' ? 'url' : 'name'}` : `${section}.${row}.${third}`;
    }
    const field = path.filter((p) => typeof p === 'string').join('.');
    return (LINE_FIELDS as readonly string[]).concat(TEXT_FIELDS).includes(field) ? field : String(section);
  };
  if (!result.success) {
    const invalid = dnaValidationError(result.error, fieldOf).fieldErrors;
    for (const [k, v] of Object.entries(invalid)) errors[k] ??= v;
  }
  if (Object.keys(errors).length || !result.success) throw new ValidationError(errors);
  return compact(result.data);
}

export const CURRENCY_CHOICES = DNA_CURRENCIES;
