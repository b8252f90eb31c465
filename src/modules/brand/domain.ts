import { z } from 'zod';

/**
 * The brand DNA: what a generation must know about the business. Keys are English, values in the tenant's
 * language. Every field is optional (an empty DNA is valid) but typed and bounded; lists drop blank and
 * duplicate lines. Stored as `brand_dna.content` (JSONB), one immutable row per numbered snapshot.
 */

export const DNA_CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms'] as const;
export type DnaChannel = (typeof DNA_CHANNELS)[number];

export const DNA_CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'CAD'] as const;
export type DnaCurrency = (typeof DNA_CURRENCIES)[number];

export const DNA_REASONS = ['onboarding', 'edit', 'restore', 'pipeline'] as const;
export type DnaReason = (typeof DNA_REASONS)[number];

/** Top-level sections, in display order. */
export const DNA_SECTIONS = [
  'identity',
  'values',
  'offers',
  'audiences',
  'tone',
  'vocabulary',
  'bannedClaims',
  'visual',
  'competitors',
  'seo',
  'channels',
  'legal',
] as const;
export type DnaSection = (typeof DNA_SECTIONS)[number];

/** Sections that are lists of objects, and the field that identifies an item (diff, display). */
export const ITEM_KEYS = { offers: 'name', audiences: 'name', competitors: 'name', channels: 'channel' } as const;
export type ItemSection = keyof typeof ITEM_KEYS;

/** A source that is not an onboarding input: the client typed it in the form. */
export const MANUAL_SOURCE = 'manual';

/** Field messages are i18n keys (the form shows them in the user's language). */
const E = 'brand.dna.errors';

const blankToUndefined = (v: unknown) => (v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v);

/** Optional text: blank is absent. */
const text = (max: number) => z.preprocess(blankToUndefined, z.string({ error: `${E}.invalid` }).trim().max(max, `${E}.tooLong`).optional());

/** A list: a single value becomes a list; null, blank and duplicate entries are dropped. */
function normaliseList(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  const list = Array.isArray(v) ? v : [v];
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const item of list) {
    if (item === null || item === undefined) continue;
    if (typeof item === 'string') {
      const trimmed = item.trim();
      const key = trimmed.toLocaleLowerCase('fr');
      if (!trimmed || seen.has(key)) continue;
      seen.add(key);
      out.push(trimmed);
    } else out.push(item);
  }
  return out;
}

const list = <T extends z.ZodType>(item: T, maxItems: number) =>
  z.preprocess(normaliseList, z.array(item).max(maxItems, `${E}.tooMany`).optional());

/** Lines of text (values, do/don't, keywords…). */
const lines = (maxLength: number, maxItems: number) => list(z.string().max(maxLength, `${E}.tooLong`), maxItems);

/** `www.example.fr` is understood as https; only http(s) URLs are kept. */
export function normaliseUrl(v: unknown): unknown {
  if (typeof v !== 'string') return blankToUndefined(v);
  const trimmed = v.trim();
  if (!trimmed) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return trimmed;
  return /^[\w-]+(\.[\w-]+)+([/?#].*)?$/.test(trimmed) ? `https://${trimmed}` : trimmed;
}

const url = () =>
  z.preprocess(
    normaliseUrl,
    z.url({ protocol: /^https?$/, hostname: z.regexes.domain, error: `${E}.invalidUrl` }).max(2048, `${E}.tooLong`).optional(),
  );

const integer = (min: number, max: number, error: string) =>
  z.preprocess(
    (v) => {
      const b = blankToUndefined(v);
      if (typeof b === 'string' && /^\s*-?\d+\s*$/.test(b)) return Number(b);
      return b;
    },
    z.number({ error }).int(error).min(min, error).max(max, error).optional(),
  );

const CURRENCY_ALIASES: Record<string, DnaCurrency> = { '€': 'EUR', EURO: 'EUR', EUROS: 'EUR', $: 'USD', '£': 'GBP' };

const currency = () =>
  z.preprocess((v) => {
    const b = blankToUndefined(v);
    if (typeof b !== 'string') return b;
    const upper = b.trim().toUpperCase();
    return CURRENCY_ALIASES[upper] ?? upper;
  }, z.enum(DNA_CURRENCIES, { error: `${E}.currency` }).default('EUR'));

const CHANNEL_ALIASES: Record<string, DnaChannel> = {
  twitter: 'x',
  'google business': 'google_business',
  'google business profile': 'google_business',
  'google my business': 'google_business',
  gmb: 'google_business',
  google: 'google_business',
  site: 'blog',
  'e-mail': 'newsletter',
  email: 'newsletter',
};

const channel = () =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const lower = v.trim().toLowerCase();
    return CHANNEL_ALIASES[lower] ?? lower.replace(/[\s-]+/g, '_');
  }, z.enum(DNA_CHANNELS, { error: `${E}.channel` }));

const required = (max: number) =>
  z.preprocess(blankToUndefined, z.string({ error: `${E}.required` }).trim().min(1, `${E}.required`).max(max, `${E}.tooLong`));

export const offerSchema = z.object({
  name: required(200).describe('Name of the product or service'),
  description: text(2000),
  price: z
    .object({
      amountCents: z.preprocess(
        (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : blankToUndefined(v)),
        z.number({ error: `${E}.price` }).int(`${E}.price`).min(0, `${E}.price`).max(100_000_000_00, `${E}.price`),
      ).describe('Price in cents (12.50 € → 1250)'),
      currency: currency().describe('ISO 4217 code, EUR by default'),
      unit: text(60).describe('What the price is for: "la pièce", "l’heure", "par mois"…'),
    })
    .optional(),
  url: url(),
});

export const personaSchema = z.object({
  name: required(200).describe('A short name for this audience or persona'),
  description: text(2000),
  needs: lines(300, 30).describe('What they look for, what holds them back'),
  channels: lines(100, 20).describe('Where they can be reached (networks, places, media)'),
});

export const competitorSchema = z.object({
  name: required(200),
  website: url(),
});

export const channelUseSchema = z.object({
  channel: channel().describe(`One of: ${DNA_CHANNELS.join(', ')}`),
  handle: text(100).describe('Account name or handle, e.g. @boulangerie.martin'),
  url: url(),
});

export const brandDnaSchema = z.object({
  identity: z
    .object({
      name: text(200).describe('Business or brand name'),
      tagline: text(300),
      description: text(1000).describe('What the business does, in one or two sentences'),
      mission: text(2000),
      story: text(5000).describe('History of the business'),
      city: text(120).describe('Where the business is based'),
      founded: integer(1000, 2100, `${E}.year`).describe('Year the business was founded'),
    })
    .optional(),
  values: lines(200, 30),
  offers: list(offerSchema, 100),
  audiences: list(personaSchema, 30),
  tone: z
    .object({
      summary: text(1000),
      do: lines(300, 30),
      dont: lines(300, 30),
      examples: lines(1000, 20).describe('Sentences that sound like the brand'),
    })
    .optional(),
  vocabulary: z
    .object({
      preferred: lines(100, 100),
      banned: lines(100, 100).describe('Words the brand never uses'),
    })
    .optional(),
  bannedClaims: lines(300, 50).describe('Claims never to make (health, price, superlatives, regulated claims…)'),
  visual: z
    .object({
      colors: lines(60, 20).describe('Colours, as names or hex codes'),
      fonts: lines(100, 10),
      imageStyle: text(1000).describe('What the pictures look like'),
    })
    .optional(),
  competitors: list(competitorSchema, 50),
  seo: z
    .object({
      keywords: lines(100, 100),
      localZone: z
        .object({
          city: required(120),
          radiusKm: integer(0, 500, `${E}.radius`),
          areas: lines(120, 50).describe('Towns or districts served'),
        })
        .optional(),
    })
    .optional(),
  channels: list(channelUseSchema, DNA_CHANNELS.length).describe('Channels the business already uses'),
  legal: z
    .object({
      companyName: required(200).describe('Registered company name'),
      legalForm: text(60).describe('SARL, SAS, EI, association…'),
      siret: z.preprocess(
        (v) => (typeof v === 'string' ? blankToUndefined(v.replace(/[\s.]/g, '')) : blankToUndefined(v)),
        z.string().regex(/^\d{14}$/, `${E}.siret`).optional(),
      ),
      address: text(500),
      mentions: text(2000).describe('Mandatory legal mentions'),
    })
    .optional(),
});

export type BrandDna = z.output<typeof brandDnaSchema>;
export type Offer = z.output<typeof offerSchema>;
export type Persona = z.output<typeof personaSchema>;
export type Competitor = z.output<typeof competitorSchema>;
export type ChannelUse = z.output<typeof channelUseSchema>;

/** Field path (`offers`, `tone.do`, `identity.mission`) → the onboarding input ids it came from, or `manual`. */
export type DnaSources = Record<string, string[]>;

const SOURCE_PATH = /^[a-zA-Z]+(\.[a-zA-Z]+){0,2}$/;
export const dnaSourcesSchema = z.record(
  z.string().regex(SOURCE_PATH).max(100),
  z.array(z.union([z.uuid(), z.literal(MANUAL_SOURCE)])).max(50),
);

/** An immutable, numbered snapshot of a tenant's brand DNA. */
export interface DnaSnapshot {
  id: string;
  tenantId: string;
  version: number;
  isCurrent: boolean;
  content: BrandDna;
  sources: DnaSources;
  reason: DnaReason;
  parentId: string | null;
  parentVersion: number | null;
  restoredFromId: string | null;
  restoredFromVersion: number | null;
  onboardingSessionId: string | null;
  aiCallId: string | null;
  createdBy: string | null;
  createdByName: string | null;
  changeSummary: string | null;
  locale: string;
  createdAt: Date;
}

export type DnaVersionSummary = Omit<DnaSnapshot, 'content' | 'sources'>;

/** Removes absent values: undefined, blank strings, empty lists and empty objects (recursively). */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((v) => compact(v)).filter((v) => !isEmpty(v)) as T;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const c = compact(v);
      if (!isEmpty(c)) out[k] = c;
    }
    return out as T;
  }
  return value;
}

export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && !(value instanceof Date)) return Object.keys(value).length === 0;
  return false;
}

/** Strict validation (form edits, snapshots): throws the zod error. The result is compact. */
export function parseDna(input: unknown): BrandDna {
  return compact(brandDnaSchema.parse(input));
}

const DROP = Symbol('drop');

/**
 * Best effort from untrusted structured output (a model's answer, an older snapshot): what validates is
 * kept, a too long text or list is cut to its maximum, anything else invalid is dropped (an item without
 * its required name goes with it). Never throws.
 */
export function coerceDna(raw: unknown): BrandDna {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
  let value: unknown = structuredClone(raw);
  for (let round = 0; round < 25; round++) {
    const result = brandDnaSchema.safeParse(value);
    if (result.success) return compact(result.data);
    for (const issue of result.error.issues) {
      const path = issue.path as (string | number)[];
      const current = getAt(value, path);
      if (issue.code === 'too_big' && typeof current === 'string' && typeof issue.maximum === 'number') {
        setAt(value, path, current.slice(0, Number(issue.maximum)).trim());
      } else if (issue.code === 'too_big' && Array.isArray(current) && typeof issue.maximum === 'number') {
        setAt(value, path, current.slice(0, Number(issue.maximum)));
      } else if (current === undefined || current === DROP) {
        // a required value is missing: its container goes
        if (path.length <= 1) return {};
        setAt(value, path.slice(0, -1), DROP);
      } else if (path.length === 0) {
        return {};
      } else {
        setAt(value, path, DROP);
      }
    }
    value = purge(value);
  }
  return {};
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string | number, unknown>)[key];
  }
  if (node !== null && typeof node === 'object') (node as Record<string | number, unknown>)[path[path.length - 1]] = value;
}

function purge(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== DROP).map(purge);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== DROP) out[k] = purge(v);
    return out;
  }
  return value;
}

/**
 * The same structure for a model to fill: no length limits, no failing leaf (an invalid value becomes
 * absent), descriptions kept. `coerceDna` then applies the real limits.
 */
export function lenientDnaSchema(): z.ZodObject {
  return loosen(brandDnaSchema) as z.ZodObject;
}

function loosen(schema: z.ZodType, description = schema.description): z.ZodType {
  const describe = <S extends z.ZodType>(s: S): S => (description ? (s.describe(description) as S) : s);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    const inner = schema.unwrap() as z.ZodType;
    return loosen(inner, description ?? inner.description);
  }
  if (schema instanceof z.ZodPipe) {
    // an enum keeps its normalising preprocess (`Instagram` → `instagram`): the JSON schema still lists the values
    const out = schema.out as z.ZodType;
    const inner = out instanceof z.ZodDefault ? (out.unwrap() as z.ZodType) : out;
    if (inner instanceof z.ZodEnum) return describe(schema);
    return loosen(out, description ?? out.description);
  }
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [key, child] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      shape[key] = loosen(child).optional().catch(undefined);
    }
    return describe(z.object(shape));
  }
  if (schema instanceof z.ZodArray) return describe(z.array(loosen(schema.element as z.ZodType).catch(undefined as never)));
  if (schema instanceof z.ZodEnum) return describe(z.enum(schema.options as [string, ...string[]]));
  if (schema.type === 'number') return describe(z.number());
  return describe(z.string());
}

/** Sections filled in a DNA. */
export function filledSections(dna: BrandDna): DnaSection[] {
  return DNA_SECTIONS.filter((s) => !isEmpty(dna[s]));
}

/**
 * Where a field came from: the most specific path that has sources (`tone.do`, else `tone`).
 * `manual` marks a value typed in the form.
 */
export function sourcesFor(sources: DnaSources, path: string): string[] {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const found = sources[parts.slice(0, n).join('.')];
    if (found?.length) return found;
  }
  return [];
}

/** The path whose provenance a change at `path` affects: the item list, or the field of an object section. */
export function sourcePathOf(path: string): string {
  const parts = path.split('.');
  const section = parts[0] as DnaSection;
  if (section in ITEM_KEYS || parts.length === 1) return section;
  return parts.slice(0, 2).join('.');
}
