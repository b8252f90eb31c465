import { expect } from 'chai';
import { basisPoints, classifyChanges, priceSignificance, SIGNIFICANCE_RULES, textSignificance } from '../../../../src/modules/watch/change-detector.js';
import type { DetectionInput, ExtractedFields, Snapshot, WatchSource } from '../../../../src/modules/watch/domain.js';

const source: WatchSource = {
  id: '00000000-0000-4000-8000-000000000001',
  tenantId: '00000000-0000-4000-8000-0000000000aa',
  competitorId: '00000000-0000-4000-8000-0000000000bb',
  kind: 'page',
  url: 'https://rivale.example/produit',
  host: 'rivale.example',
  extractMode: 'selectors',
  intervalMinutes: 360,
  title: 'Produit',
  health: 'healthy',
  active: true,
};

function snap(id: string, fields: ExtractedFields, text = ''): Snapshot {
  return { id, sourceId: source.id, contentHash: id, text, fields, fetchedAt: new Date('2026-03-02T10:00:00Z') };
}

function input(previous: Snapshot | null, current: Snapshot | null, over: Partial<DetectionInput> = {}): DetectionInput {
  return { tenantId: source.tenantId, source, previous, current, newEntries: [], firstPoll: false, now: new Date('2026-03-02T10:00:00Z'), ...over };
}

const eur = (raw: string, cents: number) => ({ raw, amountCents: cents, currency: 'EUR' });

describe('watch/change classification', () => {
  it('computes basis points exactly, rounded half away from zero', () => {
    expect(basisPoints(1299, 999)).to.equal(-2309); // −23.094…%
    expect(basisPoints(999, 1299)).to.equal(3003); // +30.030…%
    expect(basisPoints(2000, 1950)).to.equal(-250);
    expect(basisPoints(200, 201)).to.equal(50);
    expect(basisPoints(40_000, 40_002)).to.equal(1); // 0.5 bp → 1
    expect(basisPoints(40_000, 39_998)).to.equal(-1); // −0.5 bp → −1
    expect(basisPoints(0, 500)).to.equal(null);
  });

  it('rates significance by the thresholds defined in one place', () => {
    expect(SIGNIFICANCE_RULES).to.deep.equal({ priceHighBp: 500, priceMediumBp: 100, textMediumRatio: 0.2, textMediumWords: 50 });
    expect(priceSignificance(-500)).to.equal('high');
    expect(priceSignificance(499)).to.equal('medium');
    expect(priceSignificance(100)).to.equal('medium');
    expect(priceSignificance(-99)).to.equal('low');
    expect(priceSignificance(null)).to.equal('high'); // from a price of 0
    expect(textSignificance(2, 100)).to.equal('low');
    expect(textSignificance(20, 100)).to.equal('medium');
    expect(textSignificance(50, 10_000)).to.equal('medium');
  });

  it('gives every kind its significance and a stable fingerprint', () => {
    const a = snap('a', { productName: 'Galette', price: eur('12,99 €', 1299), availability: 'En stock', products: ['Galette', 'Brioche'] });
    const b = snap('b', { productName: 'Galette', price: eur('12,50 €', 1250), availability: 'Sur commande', products: ['Galette', 'Flan'] });
    const changes = classifyChanges(input(a, b));
    expect(changes.map((c) => [c.kind, c.significance, c.productName])).to.deep.equal([
      ['price_change', 'medium', 'Galette'],
      ['availability_change', 'high', 'Galette'],
      ['product_added', 'medium', 'Flan'],
      ['product_removed', 'medium', 'Brioche'],
    ]);
    expect(changes[0]).to.include({ oldPriceCents: 1299, newPriceCents: 1250, priceChangeBp: -377, currency: 'EUR', oldValue: '12,99 €', newValue: '12,50 €' });
    expect(classifyChanges(input(a, b)).map((c) => c.fingerprint)).to.deep.equal(changes.map((c) => c.fingerprint));
    expect(new Set(changes.map((c) => c.fingerprint)).size).to.equal(4);
    // another snapshot pair is another change, even with the same values
    const c = snap('c', b.fields);
    expect(classifyChanges(input(a, c))[0].fingerprint).to.not.equal(changes[0].fingerprint);
  });

  it('ignores availability changes of case and spacing, and lists without change', () => {
    const a = snap('a', { availability: 'En stock', products: ['Galette'] });
    const b = snap('b', { availability: '  en   STOCK ', products: [' galette'] });
    expect(classifyChanges(input(a, b))).to.deep.equal([]);
  });

  it('never reads a missing selector as a change, on either side', () => {
    const a = snap('a', { price: eur('12,99 €', 1299), availability: 'En stock', products: ['A'], text: 'x' });
    const b = snap('b', { missing: ['price', 'availability', 'product_list', 'text'] });
    expect(classifyChanges(input(a, b))).to.deep.equal([]);
    expect(classifyChanges(input(b, a))).to.deep.equal([]);
  });

  it('makes nothing of first polls and of a feed without new entries', () => {
    const a = snap('a', { price: eur('1 €', 100) });
    expect(classifyChanges(input(null, a, { firstPoll: true }))).to.deep.equal([]);
    const feed = { ...source, kind: 'rss' as const };
    const entry = { feedItemId: 'f1', guid: 'g1', url: null, title: 'T', summary: null, publishedAt: null };
    expect(classifyChanges(input(null, null, { source: feed, newEntries: [entry], firstPoll: true }))).to.deep.equal([]);
    expect(classifyChanges(input(null, null, { source: feed, newEntries: [] }))).to.deep.equal([]);
    expect(classifyChanges(input(null, null, { source: feed, newEntries: [entry] }))).to.have.length(1);
  });
});
