import crypto from 'node:crypto';
import type { Logger } from '../../shared/logger.js';
import type { AlertService } from './alert-service.js';
import type { KnexChangeRepository } from './db/knex-change-repository.js';
import type { ChangeFacts, ChangeKind, ChangeSink, DetectionInput, ExtractedFields, SelectorField, Significance, Snapshot } from './domain.js';
import { textDiff } from './text-diff.js';

/**
 * How much a change matters, in one place. Price: |Δ| ≥ 5 % high, ≥ 1 % medium, below low. Availability: high.
 * New post, product added or removed: medium. Text: medium when at least 20 % of the words or 50 words changed,
 * else low. Only medium and high changes get an AI summary and feed the monthly pipeline.
 */
export const SIGNIFICANCE_RULES = {
  priceHighBp: 500,
  priceMediumBp: 100,
  textMediumRatio: 0.2,
  textMediumWords: 50,
} as const;

/** A classified change, before it is stored (one `watch_changes` row). */
export interface NewChange extends ChangeFacts {
  kind: ChangeKind;
  significance: Significance;
  fingerprint: string;
  diffText: string | null;
  previousSnapshotId: string | null;
  newSnapshotId: string | null;
  feedItemId: string | null;
}

const MAX_INT = 2_147_483_647; // price columns are integers

function fingerprint(parts: (string | number | null | undefined)[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts.map((p) => p ?? null))).digest('hex');
}

function blank(kind: ChangeKind, significance: Significance, input: DetectionInput): Omit<NewChange, 'fingerprint'> {
  return {
    kind,
    significance,
    productName: null,
    oldPriceCents: null,
    newPriceCents: null,
    currency: null,
    priceChangeBp: null,
    oldValue: null,
    newValue: null,
    title: null,
    url: input.source.url,
    diffText: null,
    previousSnapshotId: input.previous?.id ?? null,
    newSnapshotId: input.current?.id ?? null,
    feedItemId: null,
  };
}

/** (new − old) / old in basis points, rounded half away from zero, in integers (12,99 → 9,99 € = −2309). */
export function basisPoints(oldCents: number, newCents: number): number | null {
  if (oldCents <= 0) return null;
  const numerator = (newCents - oldCents) * 10_000;
  const magnitude = Math.floor((2 * Math.abs(numerator) + oldCents) / (2 * oldCents));
  return numerator < 0 ? -magnitude : magnitude;
}

export function priceSignificance(bp: number | null): Significance {
  if (bp === null || Math.abs(bp) >= SIGNIFICANCE_RULES.priceHighBp) return 'high';
  return Math.abs(bp) >= SIGNIFICANCE_RULES.priceMediumBp ? 'medium' : 'low';
}

export function textSignificance(changedWords: number, totalWords: number): Significance {
  const { textMediumRatio, textMediumWords } = SIGNIFICANCE_RULES;
  return changedWords >= textMediumWords || changedWords >= textMediumRatio * Math.max(1, totalWords) ? 'medium' : 'low';
}

const clip = (text: string | null | undefined, max: number): string | null => {
  const t = text?.replace(/\s+/g, ' ').trim();
  return t ? (t.length > max ? `${t.slice(0, max - 1)}…` : t) : null;
};
const sameText = (a: string, b: string) => a.replace(/\s+/g, ' ').trim().toLocaleLowerCase() === b.replace(/\s+/g, ' ').trim().toLocaleLowerCase();

/**
 * Classifies what a poll brought (pure: no I/O). A feed's first poll and a page's first snapshot are baselines.
 * A selector listed in `missing` on either side is not a change (the page was redesigned, not repriced).
 */
export function classifyChanges(input: DetectionInput): NewChange[] {
  if (input.firstPoll) return [];
  if (input.source.kind === 'rss') return feedChanges(input);
  const { previous, current } = input;
  if (!previous || !current || previous.id === current.id) return [];
  if (input.source.extractMode === 'full_text') return textChanges(input, previous.text, current.text);
  return selectorChanges(input, previous, current);
}

function feedChanges(input: DetectionInput): NewChange[] {
  return input.newEntries.map((entry) => ({
    ...blank('new_post', 'medium', input),
    previousSnapshotId: null,
    newSnapshotId: null,
    feedItemId: entry.feedItemId,
    title: clip(entry.title, 1000),
    url: entry.url && entry.url.length <= 2048 ? entry.url : input.source.url,
    fingerprint: fingerprint([input.source.id, 'new_post', entry.guid]),
  }));
}

function textChanges(input: DetectionInput, before: string, after: string): NewChange[] {
  const diff = textDiff(before, after);
  if (!diff) return [];
  return [
    {
      ...blank('text_change', textSignificance(diff.changedWords, diff.totalWords), input),
      title: clip(input.source.title, 1000),
      diffText: diff.text,
      fingerprint: fingerprint([input.source.id, 'text_change', input.previous?.id, input.current?.id]),
    },
  ];
}

function selectorChanges(input: DetectionInput, previous: Snapshot, current: Snapshot): NewChange[] {
  const before = previous.fields;
  const after = current.fields;
  const missing = new Set<SelectorField>([...(before.missing ?? []), ...(after.missing ?? [])]);
  const product = clip(after.productName ?? before.productName ?? input.source.title, 500);
  const pair = [previous.id, current.id];
  const changes: NewChange[] = [];

  const price = priceChange(before, after);
  if (price && !missing.has('price')) {
    const bp = basisPoints(price.old, price.new);
    changes.push({
      ...blank('price_change', priceSignificance(bp), input),
      productName: product,
      title: product,
      oldPriceCents: price.old,
      newPriceCents: price.new,
      currency: price.currency,
      priceChangeBp: bp,
      oldValue: clip(before.price?.raw, 500),
      newValue: clip(after.price?.raw, 500),
      fingerprint: fingerprint([input.source.id, 'price_change', product, price.old, price.new, price.currency, ...pair]),
    });
  }

  if (!missing.has('availability') && before.availability !== undefined && after.availability !== undefined && !sameText(before.availability, after.availability)) {
    const oldValue = clip(before.availability, 500);
    const newValue = clip(after.availability, 500);
    changes.push({
      ...blank('availability_change', 'high', input),
      productName: product,
      title: product,
      oldValue,
      newValue,
      fingerprint: fingerprint([input.source.id, 'availability_change', product, oldValue, newValue, ...pair]),
    });
  }

  if (!missing.has('product_list') && before.products && after.products) {
    const key = (name: string) => name.replace(/\s+/g, ' ').trim().toLocaleLowerCase();
    const had = new Set(before.products.map(key));
    const has = new Set(after.products.map(key));
    const listed = (names: string[], other: Set<string>) => {
      const seen = new Set<string>();
      return names.filter((name) => {
        const k = key(name);
        if (!k || other.has(k) || seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    };
    for (const [kind, names] of [
      ['product_added', listed(after.products, had)],
      ['product_removed', listed(before.products, has)],
    ] as const) {
      for (const name of names) {
        const productName = clip(name, 500);
        changes.push({
          ...blank(kind, 'medium', input),
          productName,
          title: productName,
          fingerprint: fingerprint([input.source.id, kind, key(name), ...pair]),
        });
      }
    }
  }

  if (!missing.has('text') && before.text !== undefined && after.text !== undefined) changes.push(...textChanges(input, before.text, after.text));
  return changes;
}

/** Both prices parsed, same known currency, different amounts (within the columns' range). */
function priceChange(before: ExtractedFields, after: ExtractedFields): { old: number; new: number; currency: string } | null {
  const a = before.price;
  const b = after.price;
  if (!a || !b || a.amountCents === null || b.amountCents === null || !a.currency || a.currency !== b.currency) return null;
  if (a.amountCents === b.amountCents || a.amountCents > MAX_INT || b.amountCents > MAX_INT) return null;
  if (!/^[A-Z]{3}$/.test(a.currency)) return null;
  return { old: a.amountCents, new: b.amountCents, currency: a.currency };
}

/**
 * The `ChangeSink` the poller calls: classifies, stores each change once (a unique fingerprint per source makes a
 * second detection of the same poll a no-op), then fans out alerts. The fan-out covers the changes found already
 * stored too, and alerts are unique per change, user and channel: a crash between the two steps is repaired by the
 * next detection instead of leaving a change nobody hears of. Returns the changes inserted by this call.
 */
export class ChangeDetector implements ChangeSink {
  constructor(
    private readonly deps: {
      changeRepository: KnexChangeRepository;
      alertService: AlertService;
      logger: Logger;
    },
  ) {}

  async detect(input: DetectionInput): Promise<{ changeIds: string[] }> {
    const changes = classifyChanges(input);
    if (!changes.length) return { changeIds: [] };
    const { inserted, all } = await this.deps.changeRepository.insertChanges(input.tenantId, input.source, changes, input.now);
    await this.deps.alertService.fanOut(input.tenantId, all, input.now);
    this.deps.logger.debug({ tenantId: input.tenantId, sourceId: input.source.id, detected: changes.length, inserted: inserted.length }, 'watch changes detected');
    return { changeIds: inserted };
  }
}
