import crypto from 'node:crypto';

/**
 * The prompt cascade (specification §4.1): platform → distributor → tenant layers, deep-merged, per locale
 * with fallback to the default locale. Pure: no I/O, inputs are never mutated. Rules in docs/prompt-cascade.md.
 *
 * - Objects merge key by key: a layer overrides only the keys it defines and inherits the rest.
 * - Scalars and arrays replace what they inherit; `{ "$append": [...] }` appends to an inherited array.
 * - `null` or `{ "$unset": true }` removes the inherited key (and everything under it).
 * - Every leaf (a scalar or an array) of the result names the layer that set it, the layers that appended
 *   to it, and the values it overrode.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const PROMPT_LEVELS = ['platform', 'distributor', 'tenant'] as const;
export type PromptLevel = (typeof PROMPT_LEVELS)[number];

export const DEFAULT_PROMPT_LOCALE = 'fr';

/** Channels a channel guidance (`channels.<channel>.*`) may target. */
export const PROMPT_CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms'] as const;
export type PromptChannel = (typeof PROMPT_CHANNELS)[number];

/** The format of `prompt_layers.key` (CHECK in the migration): a dot path of lower-case segments. */
export const LAYER_KEY_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
/** The format of `prompt_layers.locale`: BCP 47 language, optionally a region (`fr`, `en`, `fr-BE`). */
export const LOCALE_PATTERN = /^[a-z]{2}(-[A-Z]{2})?$/;

/** Which row set a value: the provenance of a leaf. */
export interface LayerRef {
  level: PromptLevel;
  /** `prompt_layers.id` */
  id: string;
  locale: string;
  version: number;
  /** The row's dot-path key (a leaf may sit below it when the row's value is an object). */
  key: string;
}

/** One `prompt_layers` row, as the cascade needs it. */
export interface PromptLayerRow extends LayerRef {
  value: Json;
}

// ---------------------------------------------------------------------------------------------------------
// The generic merge: layers of whole documents, each with one source

export interface Layer<S> {
  source: S;
  document: JsonObject;
}

export interface LeafProvenance<S> {
  /** Dot path of the leaf (`safety.rules`). */
  key: string;
  path: string[];
  value: Json;
  /** The highest layer that defined the leaf (set it, or appended to it last). */
  source: S;
  /** Every layer whose values are in the leaf, lowest first: the one that set it, then those that appended. */
  contributors: S[];
  /** Values the leaf replaced, most recent first (the greyed-out lines of the inspector). */
  overridden: { value: Json; source: S }[];
}

/** A leaf that a higher layer removed (`null`, `$unset`) or replaced by an object, and nothing set again. */
export interface RemovedLeaf<S> {
  key: string;
  path: string[];
  value: Json;
  source: S;
  removedBy: S;
}

export interface MergeResult<S> {
  document: JsonObject;
  /** Every leaf of `document`, keyed by its dot path, in document order. */
  provenance: Record<string, LeafProvenance<S>>;
  removed: RemovedLeaf<S>[];
}

type Node<S> = ObjectNode<S> | LeafNode<S>;
interface ObjectNode<S> {
  kind: 'object';
  children: Map<string, Node<S>>;
}
interface LeafNode<S> {
  kind: 'leaf';
  value: Json;
  source: S;
  contributors: S[];
  overridden: { value: Json; source: S }[];
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `null` or exactly `{ "$unset": true }`. */
export function isRemoval(value: Json): boolean {
  if (value === null) return true;
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$unset' && value.$unset === true;
}

/** Exactly `{ "$append": [ … ] }`. */
export function isAppend(value: Json): value is { $append: Json[] } {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === '$append' && Array.isArray(value.$append);
}

/** A deep copy of a JSON value (faster than structuredClone for plain data; keeps `__proto__` as data). */
function clone<T extends Json>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => clone(v)) as T;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) defineKey(out, k, clone(v));
  return out as T;
}

/** Sets an own, enumerable property even for names like `__proto__`. */
function defineKey<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

class Merger<S> {
  readonly root: ObjectNode<S> = { kind: 'object', children: new Map() };
  private readonly removed = new Map<string, RemovedLeaf<S>>();
  // Leaf values are shared with the input and never mutated here; result() copies them out.

  apply(layer: Layer<S>): void {
    for (const [key, value] of Object.entries(layer.document)) this.setChild(this.root, key, value, layer.source, []);
  }

  private setChild(parent: ObjectNode<S>, key: string, value: Json, source: S, parentPath: string[]): void {
    const next = this.merge(parent.children.get(key), value, source, [...parentPath, key]);
    if (next === undefined) parent.children.delete(key);
    else parent.children.set(key, next);
  }

  private merge(node: Node<S> | undefined, value: Json, source: S, path: string[]): Node<S> | undefined {
    if (isRemoval(value)) {
      if (node) this.recordRemoved(node, path, source);
      return undefined;
    }
    if (isAppend(value)) {
      const items = value.$append;
      if (node?.kind === 'leaf' && Array.isArray(node.value)) {
        return { kind: 'leaf', value: [...node.value, ...items], source, contributors: [...node.contributors, source], overridden: node.overridden };
      }
      return this.newLeaf(node, items, source, path);
    }
    if (isPlainObject(value)) {
      if (node?.kind === 'object') {
        for (const [key, child] of Object.entries(value)) this.setChild(node, key, child, source, path);
        return node;
      }
      const created: ObjectNode<S> = { kind: 'object', children: new Map() };
      for (const [key, child] of Object.entries(value)) this.setChild(created, key, child, source, path);
      // A value that only removes keys which do not exist (`{ "a": { "b": null } }` over no `a`, or over a
      // scalar `a`) changes nothing; an explicit `{}` still creates an empty object or replaces a scalar.
      if (created.children.size === 0 && Object.keys(value).length > 0) return node;
      if (node) this.recordRemoved(node, path, source);
      return created;
    }
    return this.newLeaf(node, value, source, path);
  }

  private newLeaf(node: Node<S> | undefined, value: Json, source: S, path: string[]): LeafNode<S> {
    const leaf: LeafNode<S> = { kind: 'leaf', value, source, contributors: [source], overridden: [] };
    if (node?.kind === 'leaf') leaf.overridden = [{ value: node.value, source: node.source }, ...node.overridden];
    else if (node) this.recordRemoved(node, path, source);
    this.removed.delete(path.join('.'));
    return leaf;
  }

  private recordRemoved(node: Node<S>, path: string[], removedBy: S): void {
    if (node.kind === 'leaf') {
      this.removed.set(path.join('.'), { key: path.join('.'), path, value: node.value, source: node.source, removedBy });
      return;
    }
    for (const [key, child] of node.children) this.recordRemoved(child, [...path, key], removedBy);
  }

  result(): MergeResult<S> {
    const provenance: Record<string, LeafProvenance<S>> = {};
    const build = (node: ObjectNode<S>, path: string[]): JsonObject => {
      const out: JsonObject = {};
      for (const [key, child] of node.children) {
        const childPath = [...path, key];
        if (child.kind === 'object') {
          defineKey(out, key, build(child, childPath));
        } else {
          defineKey(out, key, clone(child.value));
          const dotted = childPath.join('.');
          defineKey(provenance, dotted, {
            key: dotted,
            path: childPath,
            value: clone(child.value),
            source: child.source,
            contributors: [...child.contributors],
            overridden: child.overridden.map((o) => ({ value: clone(o.value), source: o.source })),
          });
        }
      }
      return out;
    };
    const document = build(this.root, []);
    const removed = [...this.removed.values()].filter((r) => !Object.hasOwn(provenance, r.key)).map((r) => ({ ...r, value: clone(r.value) }));
    return { document, provenance, removed };
  }
}

/**
 * Merges layers, lowest first: each one overrides only the keys it defines and inherits the rest.
 * `mergeLayers([])` is the empty document.
 */
export function mergeLayers<S>(layers: readonly Layer<S>[]): MergeResult<S> {
  const merger = new Merger<S>();
  for (const layer of layers) merger.apply(layer);
  return merger.result();
}

/** The plain document only (no provenance), for callers that merge two documents. */
export function mergeDocuments(...documents: JsonObject[]): JsonObject {
  return mergeLayers(documents.map((document, i) => ({ source: i, document }))).document;
}

/**
 * Problems in a layer value that the merge would not read as its author meant: `$` keys that are not one
 * of the two operators exactly, and object keys outside the key format (dots belong in the row's key).
 * The merge never throws (a bad row must not stop every generation): editors call this before saving.
 */
export function validateLayerValue(value: Json, path = ''): string[] {
  if (Array.isArray(value)) return [];
  if (!isPlainObject(value) || isRemoval(value) || isAppend(value)) return [];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.startsWith('$')) problems.push(`${at}: unknown operator (use { "$append": [...] } or { "$unset": true } alone)`);
    else if (!/^[a-z][a-z0-9_]*$/.test(key)) problems.push(`${at}: key outside the format [a-z][a-z0-9_]*`);
    problems.push(...validateLayerValue(child, at));
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// The cascade: rows → ordered layers → merge

/**
 * Locales to read, most specific first, always ending with the default: `fr-BE` → [fr-BE, fr];
 * `en` → [en, fr]; `en-GB` → [en-GB, en, fr]; `fr` → [fr].
 */
export function localeChain(locale: string, defaultLocale = DEFAULT_PROMPT_LOCALE): string[] {
  const chain = [locale];
  const language = locale.split('-')[0];
  if (language !== locale) chain.push(language);
  chain.push(defaultLocale);
  return [...new Set(chain)];
}

export interface ResolvedCascade extends MergeResult<LayerRef> {
  /** The requested locale and the chain it falls back along. */
  locale: string;
  localeChain: string[];
  /** The rows that entered the merge, in the order they were applied. */
  layers: LayerRef[];
  snapshotRef: string;
}

const LEVEL_RANK: Record<PromptLevel, number> = { platform: 0, distributor: 1, tenant: 2 };

/** `channels.linkedin.guidance` + value → `{ channels: { linkedin: { guidance: value } } }`. */
export function nestAtKey(key: string, value: Json): JsonObject {
  const segments = key.split('.');
  let document: Json = value;
  for (let i = segments.length - 1; i >= 0; i--) {
    const wrapper: JsonObject = {};
    defineKey(wrapper, segments[i], document);
    document = wrapper;
  }
  return document as JsonObject;
}

/**
 * Orders rows into layers and merges them. Rows outside the locale chain are ignored; of several rows of
 * one level, locale and key, the highest version wins (then the lowest id). Order: by level (platform, distributor, tenant);
 * within a level, by locale from the default to the requested one (so a key the requested locale lacks
 * comes from the same level's default locale, before the next level applies); within a level and locale,
 * shorter keys first, so `channels.linkedin.guidance` refines a `channels.linkedin` object.
 */
export function resolveCascade(rows: readonly PromptLayerRow[], options: { locale: string; defaultLocale?: string }): ResolvedCascade {
  const chain = localeChain(options.locale, options.defaultLocale);
  const localeRank = new Map(chain.map((l, i) => [l, chain.length - 1 - i]));
  const latest = new Map<string, PromptLayerRow>();
  for (const row of rows) {
    if (!localeRank.has(row.locale)) continue;
    const slot = `${row.level}\u0000${row.locale}\u0000${row.key}`;
    const current = latest.get(slot);
    // (one active row per slot in the database; ties broken by id so the order of `rows` never matters)
    if (!current || row.version > current.version || (row.version === current.version && row.id < current.id)) latest.set(slot, row);
  }
  const ordered = [...latest.values()].sort(
    (a, b) =>
      LEVEL_RANK[a.level] - LEVEL_RANK[b.level] ||
      localeRank.get(a.locale)! - localeRank.get(b.locale)! ||
      a.key.split('.').length - b.key.split('.').length ||
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const layers = ordered.map((row) => ({ source: refOf(row), document: nestAtKey(row.key, row.value) }));
  const merged = mergeLayers(layers);
  return {
    ...merged,
    locale: options.locale,
    localeChain: chain,
    layers: layers.map((l) => l.source),
    snapshotRef: snapshotRefOf(ordered),
  };
}

function refOf(row: PromptLayerRow): LayerRef {
  return { level: row.level, id: row.id, locale: row.locale, version: row.version, key: row.key };
}

/** JSON with object keys sorted, so equal values always hash alike (jsonb does not keep key order). */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A stable reference to the rows a resolution used: `pl1:` + sha256 over the sorted `id@version#value` of
 * every row that entered the merge (values canonical; the platform seed rewrites version 1 in place, and
 * that must change the reference). Independent of row order; fits `ai_calls.prompt_layer_snapshot_ref`.
 */
export function snapshotRefOf(rows: readonly Pick<PromptLayerRow, 'id' | 'version' | 'value'>[]): string {
  // one line per row, `id@version#<canonical value>`, sorted: the value is in the line, hashed once with the rest
  const lines = rows.map((r) => `${r.id}@${r.version}#${canonicalJson(r.value)}`).sort();
  return `pl1:${crypto.createHash('sha256').update(lines.join('\n')).digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Rendering: the resolved document → the system prompt the gateway sends

export interface RenderOptions {
  /** The AI task (`generation`, `planning`, `seo_analysis`…); decides which sections are included. */
  task: string;
  /** For writing tasks: adds `channels.<channel>.*` to the variable part. */
  channel?: string;
  /** Language of the headings (the layers' own text is already in the resolved locale). Default `fr`. */
  locale?: string;
}

export interface RenderedSystemPrompt {
  /** Cacheable prefix: identical for every call of one tenant, task and locale. The gateway appends the brand DNA. */
  stable: string;
  /** Call-specific part (the channel guidance); empty when none. */
  variable: string;
  /** The leaf keys the text was built from (to link the prompt to its provenance). */
  keys: string[];
}

type SectionId = 'identity' | 'language' | 'safety' | 'style' | 'seo' | 'output';

interface SectionSpec {
  /** Group of the document (`system`, `safety`…). */
  group: string;
  /** Keys of the group rendered first, in this order. */
  first: string[];
  /** Whether the group's other keys follow (in document order). */
  rest: boolean;
  /** Keys of the group never rendered by this section (another section takes them). */
  skip?: string[];
  heading?: keyof Headings;
}

const SECTIONS: Record<SectionId, SectionSpec> = {
  identity: { group: 'system', first: ['role', 'language'], rest: true, skip: ['output_rules'] },
  language: { group: 'system', first: ['language'], rest: false },
  safety: { group: 'safety', first: ['rules', 'uncertain_facts'], rest: true, heading: 'safety' },
  style: { group: 'style', first: ['defaults'], rest: true, heading: 'style' },
  seo: { group: 'seo', first: ['geo_principles'], rest: true, heading: 'seo' },
  output: { group: 'system', first: ['output_rules'], rest: false, heading: 'output' },
};

const WRITING: SectionId[] = ['identity', 'safety', 'style', 'seo', 'output'];

/** Sections per task; a task not listed gets the writing profile. Tasks without a system prompt get none. */
export const TASK_SECTIONS: Record<string, SectionId[]> = {
  generation: WRITING,
  regeneration: WRITING,
  batch: WRITING,
  planning: ['identity', 'safety', 'seo'],
  seo_analysis: ['language', 'safety', 'seo'],
  summarization: ['language', 'safety'],
  moderation: ['safety'],
  transcription: [],
  embeddings: [],
  image: [],
};

/** Tasks whose prompt carries a channel's guidance. */
const CHANNEL_TASKS = new Set(['generation', 'regeneration', 'batch']);

interface Headings {
  safety: string;
  style: string;
  seo: string;
  output: string;
  channel: string;
  guidance: string;
  format: string;
}

const HEADINGS: Record<'fr' | 'en', Headings> = {
  fr: {
    safety: 'Règles de sécurité de marque :',
    style: 'Style :',
    seo: 'Référencement naturel (SEO) et moteurs génératifs (GEO) :',
    output: 'Règles de sortie :',
    channel: 'Canal : {channel}',
    guidance: "Consignes d'écriture pour ce canal :",
    format: 'Format et limites :',
  },
  en: {
    safety: 'Brand safety rules:',
    style: 'Style:',
    seo: 'Search (SEO) and generative engine (GEO) optimisation:',
    output: 'Output rules:',
    channel: 'Channel: {channel}',
    guidance: 'Writing guidance for this channel:',
    format: 'Format and limits:',
  },
};

/** A value as prompt text: strings as they are, lists as `- ` lines, objects as `key: value` lines. */
export function valueToText(value: Json, indent = ''): string {
  if (value === null) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    return value
      .map((item) => (isPlainObject(item) || Array.isArray(item) ? `${indent}-\n${valueToText(item, `${indent}  `)}` : `${indent}- ${valueToText(item)}`))
      .join('\n');
  }
  return Object.entries(value)
    .map(([k, v]) => (isPlainObject(v) || Array.isArray(v) ? `${indent}${k}:\n${valueToText(v, `${indent}  `)}` : `${indent}${k}: ${valueToText(v)}`))
    .join('\n');
}

/**
 * Turns a resolved document into the system prompt: a stable part (role, language, safety, style, SEO/GEO,
 * output rules — per task) and a variable part (the channel's guidance and format). Keys a distributor or
 * tenant adds under a known group (`safety.extra`, `style.tone`) are rendered after the known ones.
 */
export function renderSystemPrompt(document: JsonObject, options: RenderOptions): RenderedSystemPrompt {
  const headings = HEADINGS[(options.locale ?? DEFAULT_PROMPT_LOCALE).split('-')[0] === 'en' ? 'en' : 'fr'];
  const keys: string[] = [];
  const blocks: string[] = [];
  const used = new Set<string>();
  for (const id of Object.hasOwn(TASK_SECTIONS, options.task) ? TASK_SECTIONS[options.task] : WRITING) {
    const spec = SECTIONS[id];
    const group = document[spec.group];
    if (!isPlainObject(group)) continue;
    const names = spec.first.filter((k) => Object.hasOwn(group, k));
    if (spec.rest) names.push(...Object.keys(group).filter((k) => !spec.first.includes(k) && !spec.skip?.includes(k)));
    const parts: string[] = [];
    for (const name of names) {
      const key = `${spec.group}.${name}`;
      if (used.has(key)) continue;
      const text = valueToText(group[name]);
      if (!text) continue;
      used.add(key);
      keys.push(...leafKeys(group[name], key));
      parts.push(text);
    }
    if (parts.length === 0) continue;
    const [head, ...tail] = parts;
    blocks.push(spec.heading ? `${headings[spec.heading]}\n${head}` : head, ...tail);
  }

  let variable = '';
  const channels = document.channels;
  if (options.channel && CHANNEL_TASKS.has(options.task) && isPlainObject(channels) && Object.hasOwn(channels, options.channel) && isPlainObject(channels[options.channel])) {
    const channel = channels[options.channel] as JsonObject;
    const parts = [headings.channel.replace('{channel}', options.channel)];
    const names = ['guidance', 'format', ...Object.keys(channel).filter((k) => k !== 'guidance' && k !== 'format')].filter((k) => Object.hasOwn(channel, k));
    for (const name of names) {
      const text = valueToText(channel[name]);
      if (!text) continue;
      keys.push(...leafKeys(channel[name], `channels.${options.channel}.${name}`));
      const heading = name === 'guidance' ? headings.guidance : name === 'format' ? headings.format : null;
      parts.push(heading ? `${heading}\n${text}` : text);
    }
    if (parts.length > 1) variable = parts.join('\n\n');
  }
  return { stable: blocks.join('\n\n'), variable, keys };
}

function leafKeys(value: Json, key: string): string[] {
  if (!isPlainObject(value)) return [key];
  return Object.entries(value).flatMap(([k, v]) => leafKeys(v, `${key}.${k}`));
}
