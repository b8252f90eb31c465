import { expect } from 'chai';
import { parsePrice } from '../../../../src/modules/watch/price-parser.js';
import { alertsOf, changesOf, cradle, createSource, createWatchTeam, feedInput, feedItems, pageInput, price, snapshot, type WatchTeam } from './change-support.js';

describe('watch/change detector', function () {
  this.timeout(60_000);
  let team: WatchTeam;

  before(async () => {
    team = await createWatchTeam();
  });

  it('is the poller’s change sink', () => {
    expect(cradle().changeSink).to.equal(cradle().changeDetector);
  });

  it('records a price drop with exact basis points, high, and alerts the members', async () => {
    const source = await createSource(team, { title: 'Baguette tradition' });
    const before = await snapshot(team.tenantId, source, { fields: { productName: 'Baguette tradition', price: price('12,99 €', 1299), availability: 'En stock' } });
    const after = await snapshot(team.tenantId, source, { fields: { productName: 'Baguette tradition', price: price('9,99 €', 999), availability: 'En stock' } });
    const { changeIds } = await cradle().changeDetector.detect(pageInput(source, before, after));
    expect(changeIds).to.have.length(1);
    const [change] = await changesOf(team.tenantId, source.id);
    expect(change).to.include({
      id: changeIds[0],
      kind: 'price_change',
      oldPriceCents: 1299,
      newPriceCents: 999,
      currency: 'EUR',
      priceChangeBp: -2309,
      significance: 'high',
      productName: 'Baguette tradition',
      competitorId: team.competitorId,
      previousSnapshotId: before.id,
      newSnapshotId: after.id,
      summaryStatus: 'pending',
      locale: 'fr',
    });
    expect(change.fingerprint).to.match(/^[0-9a-f]{64}$/);
    const alerts = await alertsOf(team.tenantId, { changeId: change.id });
    // owner and viewer, each in the portal and by e-mail (price changes: immediate by default)
    expect(alerts.map((a) => `${a.userId}:${a.channel}`).sort()).to.deep.equal(
      [`${team.owner.userId}:email`, `${team.owner.userId}:portal`, `${team.viewer.userId}:email`, `${team.viewer.userId}:portal`].sort(),
    );
  });

  it('reads prices parsed from real strings (1 234,56 € → 1 299,00 €: +522 bp)', async () => {
    const source = await createSource(team);
    const a = parsePrice('1\u202f234,56\u00a0€')!;
    const b = parsePrice('1.299,00 EUR')!;
    const before = await snapshot(team.tenantId, source, { fields: { price: { raw: '1 234,56 €', ...a } } });
    const after = await snapshot(team.tenantId, source, { fields: { price: { raw: '1.299,00 EUR', ...b } } });
    await cradle().changeDetector.detect(pageInput(source, before, after));
    const [change] = await changesOf(team.tenantId, source.id);
    expect(change).to.include({ kind: 'price_change', oldPriceCents: 123456, newPriceCents: 129900, priceChangeBp: 522, significance: 'high' });
  });

  it('classifies availability, products added and removed, and a selector text block', async () => {
    const source = await createSource(team, { title: 'Nos viennoiseries' });
    const before = await snapshot(team.tenantId, source, {
      fields: { productName: 'Croissant', price: price('1,20 €', 120), availability: 'En stock', products: ['Croissant', 'Pain au chocolat', 'Chausson'], text: 'Livraison le samedi.' },
    });
    const after = await snapshot(team.tenantId, source, {
      fields: { productName: 'Croissant', price: price('1,20 €', 120), availability: 'Rupture de stock', products: ['Croissant', 'pain au chocolat ', 'Kouign-amann', 'Brioche'], text: 'Livraison le samedi et le dimanche.' },
    });
    const { changeIds } = await cradle().changeDetector.detect(pageInput(source, before, after));
    const changes = await changesOf(team.tenantId, source.id);
    expect(changeIds).to.have.length(changes.length);
    const summary = changes.map((c) => [c.kind, c.productName ?? null, c.oldValue ?? null, c.newValue ?? null, c.significance]).sort();
    expect(summary).to.deep.equal(
      [
        ['availability_change', 'Croissant', 'En stock', 'Rupture de stock', 'high'],
        ['product_added', 'Brioche', null, null, 'medium'],
        ['product_added', 'Kouign-amann', null, null, 'medium'],
        ['product_removed', 'Chausson', null, null, 'medium'],
        ['text_change', null, null, null, 'medium'],
      ].sort(),
    );
    const text = changes.find((c) => c.kind === 'text_change')!;
    expect(text.diffText).to.equal(['@@ -1,1 +1,1 @@', '-Livraison le samedi.', '+Livraison le samedi et le dimanche.'].join('\n'));
    expect(text.summaryStatus).to.equal('pending');
  });

  it('records a full-text page change with its diff; a whitespace-only change is none; small edits are low', async () => {
    const source = await createSource(team, { extractMode: 'full_text', title: 'Accueil' });
    const words = Array.from({ length: 60 }, (_, i) => `mot${i}`).join(' ');
    const one = await snapshot(team.tenantId, source, { text: `Bienvenue chez Rivale\n${words}\nOuvert du mardi au samedi` });
    const spaces = await snapshot(team.tenantId, source, { text: `Bienvenue  chez Rivale\n\n${words}\r\nOuvert du mardi au samedi  ` });
    expect((await cradle().changeDetector.detect(pageInput(source, one, spaces))).changeIds).to.deep.equal([]);
    const edited = await snapshot(team.tenantId, source, { text: `Bienvenue chez Rivale\n${words}\nOuvert du lundi au samedi` });
    const { changeIds } = await cradle().changeDetector.detect(pageInput(source, spaces, edited));
    expect(changeIds).to.have.length(1);
    const [change] = await changesOf(team.tenantId, source.id);
    expect(change).to.include({ kind: 'text_change', significance: 'low', summaryStatus: 'skipped', title: 'Accueil' });
    expect(change.diffText).to.include('-Ouvert du mardi au samedi').and.include('+Ouvert du lundi au samedi');
  });

  it('sees no change in a selector that stopped matching (redesign), nor in prices it cannot compare', async () => {
    const source = await createSource(team);
    const before = await snapshot(team.tenantId, source, { fields: { price: price('12,99 €', 1299), availability: 'En stock', products: ['A', 'B'] } });
    const redesigned = await snapshot(team.tenantId, source, { fields: { missing: ['price', 'availability', 'product_list'] } });
    expect((await cradle().changeDetector.detect(pageInput(source, before, redesigned))).changeIds).to.deep.equal([]);
    // the selector is back: compared with the last state that had it missing → still nothing
    const back = await snapshot(team.tenantId, source, { fields: { price: price('9,99 €', 999), availability: 'En stock', products: ['A', 'B'] } });
    expect((await cradle().changeDetector.detect(pageInput(source, redesigned, back))).changeIds).to.deep.equal([]);
    // missing on the new side only, with the old values present
    const partly = await snapshot(team.tenantId, source, { fields: { price: { raw: '', amountCents: null, currency: null }, availability: 'En stock', products: ['A', 'B'], missing: ['price'] } });
    expect((await cradle().changeDetector.detect(pageInput(source, back, partly))).changeIds).to.deep.equal([]);
    // unparsed or different currencies
    const unparsed = await snapshot(team.tenantId, source, { fields: { price: price('sur devis', null, null), availability: 'En stock', products: ['A', 'B'] } });
    expect((await cradle().changeDetector.detect(pageInput(source, back, unparsed))).changeIds).to.deep.equal([]);
    const dollars = await snapshot(team.tenantId, source, { fields: { price: price('$10.99', 1099, 'USD'), availability: 'En stock', products: ['A', 'B'] } });
    expect((await cradle().changeDetector.detect(pageInput(source, back, dollars))).changeIds).to.deep.equal([]);
    expect(await changesOf(team.tenantId, source.id)).to.deep.equal([]);
  });

  it('takes the first snapshot as a baseline', async () => {
    const source = await createSource(team);
    const first = await snapshot(team.tenantId, source, { fields: { price: price('12,99 €', 1299) } });
    expect((await cradle().changeDetector.detect(pageInput(source, null, first))).changeIds).to.deep.equal([]);
  });

  it('is idempotent: detecting the same poll again records nothing and alerts nobody twice', async () => {
    const source = await createSource(team);
    const before = await snapshot(team.tenantId, source, { fields: { price: price('20,00 €', 2000) } });
    const after = await snapshot(team.tenantId, source, { fields: { price: price('19,50 €', 1950) } });
    const input = pageInput(source, before, after);
    const first = await cradle().changeDetector.detect(input);
    const again = await cradle().changeDetector.detect({ ...input, now: new Date(input.now.getTime() + 60_000) });
    expect(first.changeIds).to.have.length(1);
    expect(again.changeIds).to.deep.equal([]);
    const changes = await changesOf(team.tenantId, source.id);
    expect(changes).to.have.length(1);
    expect(changes[0]).to.include({ priceChangeBp: -250, significance: 'medium' });
    expect(await alertsOf(team.tenantId, { changeId: changes[0].id })).to.have.length(4);
  });

  it('repairs a fan-out interrupted after the insert: the next detection alerts for the stored change', async () => {
    const source = await createSource(team);
    const before = await snapshot(team.tenantId, source, { fields: { availability: 'En stock' } });
    const after = await snapshot(team.tenantId, source, { fields: { availability: 'Épuisé' } });
    const input = pageInput(source, before, after);
    await cradle().changeDetector.detect(input);
    const [change] = await changesOf(team.tenantId, source.id);
    await cradle().database.forTenant(team.tenantId, (trx) => trx('watchAlerts').where({ tenantId: team.tenantId, changeId: change.id }).delete());
    expect((await cradle().changeDetector.detect(input)).changeIds).to.deep.equal([]);
    expect(await alertsOf(team.tenantId, { changeId: change.id })).to.have.length(4);
  });

  it('turns each new feed entry into one new post, none on the first poll, once', async () => {
    const source = await createSource(team, { kind: 'rss', url: 'https://rivale.example/feed.xml' });
    const backCatalogue = await feedItems(team.tenantId, source, [{ guid: 'old-1', title: 'Ancien article' }]);
    expect((await cradle().changeDetector.detect(feedInput(source, backCatalogue, { firstPoll: true }))).changeIds).to.deep.equal([]);
    const fresh = await feedItems(team.tenantId, source, [
      { guid: 'post-2', title: 'Nouvelle galette des rois', url: 'https://rivale.example/galette' },
      { guid: 'post-3', title: 'Ouverture le dimanche' },
    ]);
    const { changeIds } = await cradle().changeDetector.detect(feedInput(source, fresh));
    expect(changeIds).to.have.length(2);
    expect((await cradle().changeDetector.detect(feedInput(source, fresh))).changeIds).to.deep.equal([]);
    const changes = await changesOf(team.tenantId, source.id);
    expect(changes.map((c) => [c.kind, c.title, c.url, c.significance, c.feedItemId]).sort()).to.deep.equal(
      [
        ['new_post', 'Nouvelle galette des rois', 'https://rivale.example/galette', 'medium', fresh[0].feedItemId],
        ['new_post', 'Ouverture le dimanche', source.url, 'medium', fresh[1].feedItemId],
      ].sort(),
    );
    // new posts go to the daily digest by default: due at the next 08:00 Paris time, after detection
    const email = (await alertsOf(team.tenantId, { changeId: changes[0].id, channel: 'email' }))[0];
    expect(email.emailDueAt.getTime()).to.be.greaterThan(changes[0].detectedAt.getTime());
  });

  it('keeps two tenants watching the same site apart: separate changes and alerts', async () => {
    const other = await createWatchTeam({ competitor: 'Boulangerie Rivale' });
    const url = 'https://shared-competitor.example/produit/galette';
    const mine = await createSource(team, { url });
    const theirs = await createSource(other, { url });
    for (const [t, source] of [
      [team, mine],
      [other, theirs],
    ] as const) {
      const a = await snapshot(t.tenantId, source, { fields: { price: price('24,00 €', 2400) } });
      const b = await snapshot(t.tenantId, source, { fields: { price: price('21,60 €', 2160) } });
      await cradle().changeDetector.detect(pageInput(source, a, b));
    }
    const mineChanges = await changesOf(team.tenantId, mine.id);
    const theirChanges = await changesOf(other.tenantId, theirs.id);
    expect(mineChanges).to.have.length(1);
    expect(theirChanges).to.have.length(1);
    expect(mineChanges[0].id).to.not.equal(theirChanges[0].id);
    expect(mineChanges[0].fingerprint).to.not.equal(theirChanges[0].fingerprint); // the source is part of it
    // each tenant sees only its own rows (row-level security), and alerts go to its own members
    expect(await changesOf(other.tenantId, mine.id)).to.deep.equal([]);
    const theirAlerts = await alertsOf(other.tenantId);
    expect(theirAlerts.every((a) => [other.owner.userId, other.viewer.userId].includes(a.userId))).to.equal(true);
    expect(theirAlerts).to.have.length(4);
    expect(await cradle().alertService.unreadCount(other.tenantId, team.owner.userId)).to.equal(0);
  });
});
