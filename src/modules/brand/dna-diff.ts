import { DNA_SECTIONS, ITEM_KEYS, isEmpty, sourcePathOf, type BrandDna, type DnaSection } from './domain.js';

export type DnaChangeKind = 'added' | 'removed' | 'changed';

/**
 * One difference between two DNA versions. `path` is the field (`identity.mission`, `tone.do`, `offers`);
 * for lists, `item` names the item (a line, or an offer's name) and `before`/`after` hold that item.
 */
export interface DnaChange {
  path: string;
  section: DnaSection;
  kind: DnaChangeKind;
  item?: string;
  before?: unknown;
  after?: unknown;
}

/** Field by field, in section order; lists are compared by items (objects matched by their name). */
export function diffDna(a: BrandDna, b: BrandDna): DnaChange[] {
  const out: DnaChange[] = [];
  for (const section of DNA_SECTIONS) walk(section, section, a?.[section], b?.[section], out);
  return out;
}

function walk(section: DnaSection, path: string, a: unknown, b: unknown, out: DnaChange[]): void {
  const aEmpty = isEmpty(a);
  const bEmpty = isEmpty(b);
  if (aEmpty && bEmpty) return;
  if (Array.isArray(a) || Array.isArray(b)) {
    diffList(section, path, aEmpty ? [] : (a as unknown[]), bEmpty ? [] : (b as unknown[]), out);
    return;
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    const left = isPlainObject(a) ? a : {};
    const right = isPlainObject(b) ? b : {};
    const keys = [...Object.keys(right), ...Object.keys(left).filter((k) => !(k in right))];
    for (const key of keys) walk(section, `${path}.${key}`, left[key], right[key], out);
    return;
  }
  if (aEmpty) out.push({ path, section, kind: 'added', after: b });
  else if (bEmpty) out.push({ path, section, kind: 'removed', before: a });
  else if (!sameValue(a, b)) out.push({ path, section, kind: 'changed', before: a, after: b });
}

function diffList(section: DnaSection, path: string, a: unknown[], b: unknown[], out: DnaChange[]): void {
  const keyField = path === section ? (ITEM_KEYS as Record<string, string>)[section] : undefined;
  const keyOf = (item: unknown): string =>
    keyField && isPlainObject(item) && typeof item[keyField] === 'string'
      ? (item[keyField] as string).trim().toLocaleLowerCase('fr')
      : stableJson(item);
  const labelOf = (item: unknown): string =>
    keyField && isPlainObject(item) && typeof item[keyField] === 'string' ? (item[keyField] as string) : typeof item === 'string' ? item : stableJson(item);
  const left = new Map(a.map((item) => [keyOf(item), item]));
  const right = new Map(b.map((item) => [keyOf(item), item]));
  for (const [key, item] of left) {
    if (!right.has(key)) out.push({ path, section, kind: 'removed', item: labelOf(item), before: item });
  }
  for (const [key, item] of right) {
    if (!left.has(key)) out.push({ path, section, kind: 'added', item: labelOf(item), after: item });
    else if (!sameValue(left.get(key), item)) out.push({ path, section, kind: 'changed', item: labelOf(item), before: left.get(key), after: item });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

function sameValue(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

/** JSON with sorted keys, so two equal objects built in a different order compare equal. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The provenance paths touched by a set of changes (`offers`, `tone.do`, `seo.localZone`), in order, once each. */
export function changedSourcePaths(changes: DnaChange[]): string[] {
  return [...new Set(changes.map((c) => sourcePathOf(c.path)))];
}

/** Changes grouped by section, in section order (for the compare view). */
export function changesBySection(changes: DnaChange[]): { section: DnaSection; changes: DnaChange[] }[] {
  return DNA_SECTIONS.map((section) => ({ section, changes: changes.filter((c) => c.section === section) })).filter((g) => g.changes.length > 0);
}
