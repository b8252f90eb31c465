import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Eta } from 'eta';
import express, { type Express, type Request } from 'express';
import supertest from 'supertest';
import type { Cradle } from '../../../../src/container.js';
import { PORTAL_NAV } from '../../../../src/modules/portal/index.js';
import { watchNavBadge } from '../../../../src/modules/watch/nav-badge.js';
import { CORPUS_DIR } from '../../../support/corpus.js';
import type { Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import { freshTenantOwner, html } from '../studio/editor-support.js';

type Session = { agent: Agent; csrf: string; tenantId: string; userId: string };
const htmx = { 'HX-Request': 'true' };
const XSS = fs.readFileSync(path.join(CORPUS_DIR, 'security/xss.txt'), 'utf8').split('\n').filter(Boolean);
const DIFF = ['--- avant', '+++ après', '@@ -1,3 +1,3 @@', ' Nos horaires', '-Ouvert le dimanche', '+Fermé le dimanche', ' À bientôt'].join('\n');

interface Seeded {
  competitorId: string;
  otherCompetitorId: string;
  pageSourceId: string;
  price: string;
  post: string;
  text: string;
  availability: string;
  dismissed: string;
}

/**
 * What polling and detection would have recorded for a tenant, written by hand: a competitor with a page and a feed,
 * two snapshots, a feed item, five changes (one dismissed) and the user's portal alerts on two of them.
 */
async function seedChanges(cradle: Cradle, tenantId: string, userId: string, options: { title?: string } = {}): Promise<Seeded> {
  return cradle.database.forTenant(tenantId, async (trx) => {
    const [competitor] = await trx('competitors').insert({ tenantId, name: 'Boulangerie Rivale', website: 'https://rivale.example/' }).returning('id');
    const [otherCompetitor] = await trx('competitors').insert({ tenantId, name: 'Pâtisserie Voisine' }).returning('id');
    const [page] = await trx('watchSources')
      .insert({ tenantId, competitorId: competitor.id, kind: 'page', url: 'https://rivale.example/tarifs', host: 'rivale.example', title: 'Tarifs', nextPollAt: new Date() })
      .returning('id');
    const [feed] = await trx('watchSources')
      .insert({ tenantId, competitorId: otherCompetitor.id, kind: 'rss', url: 'https://voisine.example/feed.xml', host: 'voisine.example', nextPollAt: new Date() })
      .returning('id');
    const [previous] = await trx('watchSnapshots')
      .insert({ tenantId, sourceId: page.id, contentHash: 'a'.repeat(64), extractedText: 'Ouvert le dimanche', fetchedAt: new Date('2026-03-01T08:00:00Z') })
      .returning('id');
    const [current] = await trx('watchSnapshots')
      .insert({ tenantId, sourceId: page.id, contentHash: 'b'.repeat(64), extractedText: 'Fermé le dimanche', fetchedAt: new Date('2026-03-02T08:00:00Z') })
      .returning('id');
    const [item] = await trx('watchFeedItems')
      .insert({ tenantId, sourceId: feed.id, guid: 'post-1', url: 'https://voisine.example/galette', title: 'Notre galette des rois', summary: 'Frangipane maison.', publishedAt: new Date('2026-03-02T07:00:00Z') })
      .returning('id');
    const base = { tenantId, locale: 'fr' };
    const insert = async (row: Record<string, unknown>) => (await trx('watchChanges').insert({ ...base, ...row }).returning('id'))[0].id as string;
    const price = await insert({
      sourceId: page.id, competitorId: competitor.id, previousSnapshotId: previous.id, newSnapshotId: current.id, kind: 'price_change', fingerprint: 'price-1',
      productName: 'Pièce montée', oldPriceCents: 123456, newPriceCents: 129900, currency: 'EUR', priceChangeBp: 523, significance: 'high',
      url: 'https://rivale.example/tarifs', summary: 'La pièce montée augmente de 5 %.', summaryStatus: 'ready', detectedAt: new Date('2026-03-02T09:00:00Z'),
    });
    const post = await insert({
      sourceId: feed.id, competitorId: otherCompetitor.id, feedItemId: item.id, kind: 'new_post', fingerprint: 'post-1', title: options.title ?? 'Notre galette des rois',
      url: 'https://voisine.example/galette', significance: 'medium', summaryStatus: 'pending', detectedAt: new Date('2026-03-02T08:00:00Z'),
    });
    const text = await insert({
      sourceId: page.id, competitorId: competitor.id, previousSnapshotId: previous.id, newSnapshotId: current.id, kind: 'text_change', fingerprint: 'text-1',
      title: 'Horaires', diffText: DIFF, significance: 'low', summaryStatus: 'skipped', detectedAt: new Date('2026-03-01T09:00:00Z'),
    });
    const availability = await insert({
      sourceId: page.id, competitorId: competitor.id, kind: 'availability_change', fingerprint: 'stock-1', productName: 'Baguette tradition',
      oldValue: 'En stock', newValue: 'Rupture', significance: 'medium', summaryStatus: 'failed', detectedAt: new Date('2026-02-28T09:00:00Z'),
    });
    const dismissed = await insert({
      sourceId: page.id, competitorId: competitor.id, kind: 'product_added', fingerprint: 'added-1', productName: 'Chouquettes écartées',
      significance: 'low', summaryStatus: 'skipped', dismissedAt: new Date('2026-03-03T09:00:00Z'), detectedAt: new Date('2026-02-27T09:00:00Z'),
    });
    await trx('watchAlerts').insert([
      { tenantId, changeId: price, userId, channel: 'portal' },
      { tenantId, changeId: post, userId, channel: 'portal' },
      { tenantId, changeId: text, userId, channel: 'portal', readAt: new Date() },
      { tenantId, changeId: availability, userId, channel: 'email', emailDueAt: new Date() },
    ]);
    return { competitorId: competitor.id, otherCompetitorId: otherCompetitor.id, pageSourceId: page.id, price, post, text, availability, dismissed };
  });
}

const order = (page: string) => [...page.matchAll(/<article class="card wt-change[^"]*" id="change-([0-9a-f-]{36})"/g)].map((m) => m[1]);

describe('Watch: overview, change detail, alerts and navigation badge (HTTP)', function () {
  this.timeout(60_000);
  let app: Express;
  let cradle: Cradle;
  let owner: Session;
  let seeded: Seeded;
  let other: Session;

  before(async () => {
    app = testEnv().app;
    cradle = testEnv().container.cradle;
    owner = await freshTenantOwner(cradle, app, { plan: 'growth' });
    other = await freshTenantOwner(cradle, app, { plan: 'growth' });
  });

  it('replaces the "coming soon" page: an empty watch says what to do first', async () => {
    const res = await owner.agent.get('/app/watch');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Vous ne suivez encore aucun concurrent.');
    expect(res.text).to.include('href="/app/watch/competitors"');
    expect(res.text).not.to.include('id="watch-unread"');
    for (const page of ['/app/watch/alerts', '/app/watch/competitors']) expect((await owner.agent.get(page)).status, page).to.equal(200);
  });

  it('lists the changes newest first, prices in French format with the percentage, the AI summary when ready', async () => {
    seeded = await seedChanges(cradle, owner.tenantId, owner.userId);
    const res = await owner.agent.get('/app/watch');
    expect(res.status).to.equal(200);
    expect(order(res.text)).to.deep.equal([seeded.price, seeded.post, seeded.text, seeded.availability]);
    const card = (id: string) => new RegExp(`<article class="[^"]*" id="change-${id}"[\\s\\S]*?</article>`).exec(res.text)![0];
    const price = card(seeded.price);
    expect(price).to.include('Changement de prix').and.include('Boulangerie Rivale').and.include('Pièce montée').and.include('Forte');
    expect(price).to.match(/1\s234,56\s€<\/span> → <span class="wt-new-value">1\s299,00\s€<\/span>/);
    expect(price).to.match(/\(\+5,2\s%\)/);
    expect(price).to.include('La pièce montée augmente de 5 %.');
    expect(price).to.include('wt-unread').and.include('Nouveau');
    expect(price).to.include(`action="/app/watch/changes/${seeded.price}/respond"`).and.include(`action="/app/watch/changes/${seeded.price}/dismiss"`);
    expect(price).to.include(`name="_csrf" value="${owner.csrf}"`);
    expect(card(seeded.post)).to.include('Nouvelle publication').and.include('Pâtisserie Voisine').and.include('Résumé en cours de rédaction');
    expect(card(seeded.text)).not.to.include('wt-unread');
    expect(card(seeded.availability)).to.include('En stock').and.include('Rupture');
    expect(res.text).not.to.include('Chouquettes écartées');
  });

  it('shows prices in English format to an English reader', async () => {
    const english = await freshTenantOwner(cradle, app, { plan: 'growth' });
    await cradle.database.asPlatform((trx) => trx('users').where({ id: english.userId }).update({ locale: 'en' }));
    await seedChanges(cradle, english.tenantId, english.userId);
    const res = await english.agent.get('/app/watch');
    expect(res.text).to.include('Price change').and.include('€1,234.56</span> → <span class="wt-new-value">€1,299.00</span>').and.include('(+5.2%)');
  });

  it('filters by competitor, kind, significance, unread and dismissed; HTMX gets the list alone', async () => {
    const get = async (query: string) => order((await owner.agent.get(`/app/watch?${query}`)).text);
    expect(await get(`competitor=${seeded.otherCompetitorId}`)).to.deep.equal([seeded.post]);
    expect(await get('kind=price_change')).to.deep.equal([seeded.price]);
    expect(await get('significance=medium')).to.deep.equal([seeded.post, seeded.availability]);
    expect(await get('unread=1')).to.deep.equal([seeded.price, seeded.post]);
    expect(await get('dismissed=1&kind=product_added')).to.deep.equal([seeded.dismissed]);
    expect(await get('kind=nonsense&competitor=not-a-uuid')).to.have.length(4);
    const fragment = await owner.agent.get('/app/watch?kind=text_change').set(htmx);
    expect(fragment.text.trim().startsWith('<div id="watch-changes">')).to.equal(true);
    expect(fragment.headers.vary).to.include('HX-Request');
    const none = await owner.agent.get('/app/watch?kind=product_removed');
    expect(none.text).to.include('Aucun changement ne correspond à ces filtres.');
  });

  it('the change detail renders the diff readably, the snapshots’ dates, the source, Respond and Dismiss', async () => {
    const res = await owner.agent.get(`/app/watch/changes/${seeded.text}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('<span class="wt-diff-removed"><span class="visually-hidden">Retiré : </span>− Ouvert le dimanche</span>');
    expect(res.text).to.include('<span class="wt-diff-added"><span class="visually-hidden">Ajouté : </span>+ Fermé le dimanche</span>');
    expect(res.text).to.include('<span class="wt-diff-hunk">@@ -1,3 +1,3 @@</span>');
    expect(res.text).not.to.include('+++ après');
    expect(res.text).to.include('Version précédente du').and.include('1 mars 2026').and.include('2 mars 2026');
    expect(res.text).to.include('href="https://rivale.example/tarifs"');
    expect(res.text).to.include(`action="/app/watch/changes/${seeded.text}/respond"`).and.include('name="generate"');
    const post = await owner.agent.get(`/app/watch/changes/${seeded.post}`);
    expect(post.text).to.include('Notre galette des rois').and.include('Frangipane maison.').and.include('href="https://voisine.example/galette"');
  });

  it('escapes scraped text in the list and the detail', async () => {
    const target = await freshTenantOwner(cradle, app, { plan: 'growth' });
    const payload = XSS.find((p) => p.includes('<svg'))!;
    const s = await seedChanges(cradle, target.tenantId, target.userId, { title: payload });
    for (const url of ['/app/watch', `/app/watch/changes/${s.post}`, '/app/watch/alerts']) {
      const res = await target.agent.get(url);
      expect(res.text, url).not.to.include(payload);
      expect(res.text, url).to.include(html(payload));
    }
  });

  it('another tenant’s change is not found (404), nor is a malformed id; its actions too', async () => {
    expect((await other.agent.get(`/app/watch/changes/${seeded.price}`)).status).to.equal(404);
    expect((await other.agent.get('/app/watch/changes/123')).status).to.equal(404);
    for (const action of ['dismiss', 'respond']) {
      const res = await other.agent.post(`/app/watch/changes/${seeded.price}/${action}`).type('form').send({ _csrf: other.csrf });
      expect(res.status, action).to.equal(404);
    }
    expect(order((await other.agent.get('/app/watch')).text)).to.deep.equal([]);
    const row = await cradle.database.forTenant(owner.tenantId, (trx) => trx('watchChanges').where({ id: seeded.price }).first('dismissedAt', 'respondedContentId'));
    expect(row).to.deep.equal({ dismissedAt: null, respondedContentId: null });
  });

  it('dismissing hides the change, reads its alerts and can be undone; without the CSRF token it is refused', async () => {
    const refused = await owner.agent.post(`/app/watch/changes/${seeded.post}/dismiss`).type('form').send({});
    expect(refused.status).to.equal(403);
    const res = await owner.agent.post(`/app/watch/changes/${seeded.post}/dismiss`).type('form').send({ _csrf: owner.csrf, back: '/app/watch?kind=new_post' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/app/watch?kind=new_post');
    const row = await cradle.database.forTenant(owner.tenantId, (trx) => trx('watchChanges').where({ id: seeded.post }).first('dismissedAt'));
    expect(row.dismissedAt).to.be.instanceOf(Date);
    const alert = await cradle.database.forTenant(owner.tenantId, (trx) => trx('watchAlerts').where({ changeId: seeded.post }).first('readAt'));
    expect(alert.readAt).to.be.instanceOf(Date);
    expect(order((await owner.agent.get('/app/watch')).text)).not.to.include(seeded.post);

    const elsewhere = await owner.agent.post(`/app/watch/changes/${seeded.post}/dismiss`).type('form').send({ _csrf: owner.csrf, undo: '1', back: 'https://evil.example/' });
    expect(elsewhere.headers.location).to.equal(`/app/watch/changes/${seeded.post}`);
    expect(order((await owner.agent.get('/app/watch')).text)).to.include(seeded.post);
  });

  describe('navigation badge', () => {
    it('watchNavBadge counts the reader’s unread portal alerts of their tenant only', async () => {
      const mini = express();
      const viewers: Record<string, unknown> = {
        owner: { userId: owner.userId, tenant: { id: owner.tenantId, permissions: ['workspace.view'] } },
        other: { userId: owner.userId, tenant: { id: other.tenantId, permissions: ['workspace.view'] } },
      };
      mini.use((req: Request, _res, next) => {
        req.viewer = viewers[String(req.query.as)] as never;
        next();
      });
      mini.use(watchNavBadge(cradle));
      mini.get(/.*/, (_req, res) => void res.json({ unread: res.locals.watchUnread ?? null }));
      const before = await cradle.database.forTenant(owner.tenantId, (trx) =>
        trx('watchAlerts').where({ tenantId: owner.tenantId, userId: owner.userId, channel: 'portal' }).whereNull('readAt').count<{ count: string }[]>('id as count'),
      );
      expect((await supertest(mini).get('/app/watch?as=owner')).body).to.deep.equal({ unread: Number(before[0].count) });
      expect((await supertest(mini).get('/app/watch?as=owner')).body.unread).to.equal(1); // the price change (the post was dismissed)
      expect((await supertest(mini).get('/app/watch?as=other')).body).to.deep.equal({ unread: 0 });
      expect((await supertest(mini).get('/app/watch?as=nobody')).body).to.deep.equal({ unread: null });
      expect((await supertest(mini).get('/admin?as=owner')).body).to.deep.equal({ unread: null });
      expect((await supertest(mini).get('/app/watch?as=owner').set(htmx)).body).to.deep.equal({ unread: null });
    });

    it('the portal navigation shows the count on the watch entry (99+ beyond 99), nothing at zero', () => {
      const eta = app.locals.eta as Eta;
      const t = cradle.i18n.getFixedT('fr');
      const page = (watchUnread: number) =>
        eta.renderString(`<% layout('/layouts/app', { title: 'page', section: 'subscription' }) %>page`, { t, locale: 'fr', csrfToken: 'x', nav: PORTAL_NAV, viewer: { tenants: [], email: 'a@b.c' }, watchUnread });
      const watchEntry = (markup: string) => /<li><a href="\/app\/watch"[^]*?<\/li>/.exec(markup)![0];
      expect(watchEntry(page(3))).to.include('id="watch-unread"').and.include('<span aria-hidden="true">3</span>').and.include('3 alertes de veille non lues');
      expect(watchEntry(page(1))).to.include('1 alerte de veille non lue');
      expect(watchEntry(page(150))).to.include('<span aria-hidden="true">99+</span>');
      expect(page(0)).not.to.include('id="watch-unread"');
    });
  });

  describe('alerts (through the alert service)', () => {
    let session: Session;
    let mine: Seeded;
    const unreadPortal = (s: Session) =>
      cradle.database.forTenant(s.tenantId, (trx) => trx('watchAlerts').where({ userId: s.userId, channel: 'portal' }).whereNull('readAt').select('changeId')).then((rows) => rows.map((r) => r.changeId as string));

    before(async () => {
      session = await freshTenantOwner(cradle, app, { plan: 'growth' });
      mine = await seedChanges(cradle, session.tenantId, session.userId);
    });

    it('opening a change reads the reader’s alert about it', async () => {
      expect(await unreadPortal(session)).to.have.members([mine.price, mine.post]);
      const res = await session.agent.get(`/app/watch/changes/${mine.price}`);
      expect(res.status).to.equal(200);
      expect(await unreadPortal(session)).to.deep.equal([mine.post]);
    });

    it('lists the reader’s alerts (unread marked), marks one or all read', async () => {
      const res = await session.agent.get('/app/watch/alerts');
      expect(res.status).to.equal(200);
      const items = [...res.text.matchAll(/<li class="card wt-alert( wt-unread)?" id="alert-([0-9a-f-]{36})">/g)];
      expect(items).to.have.length(3); // portal alerts only, not the e-mail one
      expect(items.filter((m) => m[1]).length).to.equal(1);
      expect(res.text).to.include('Tout marquer comme lu').and.include('Notre galette des rois');
      const unread = await session.agent.get('/app/watch/alerts?unread=1').set(htmx);
      expect(unread.text.trim().startsWith('<div id="watch-alerts">')).to.equal(true);
      expect([...unread.text.matchAll(/id="alert-/g)]).to.have.length(1);

      const alertId = items.find((m) => m[1])![2];
      expect((await other.agent.post(`/app/watch/alerts/${alertId}/read`).type('form').send({ _csrf: other.csrf })).status).to.equal(404);
      expect((await session.agent.post('/app/watch/alerts/read-all').type('form').send({})).status).to.equal(403);
      const one = await session.agent.post(`/app/watch/alerts/${alertId}/read`).type('form').send({ _csrf: session.csrf, back: '/app/watch/alerts?unread=1' });
      expect(one.status).to.equal(303);
      expect(one.headers.location).to.equal('/app/watch/alerts?unread=1');
      expect(await unreadPortal(session)).to.deep.equal([]);

      await cradle.database.forTenant(session.tenantId, (trx) => trx('watchAlerts').where({ userId: session.userId }).update({ readAt: null }));
      const all = await session.agent.post('/app/watch/alerts/read-all').type('form').send({ _csrf: session.csrf });
      expect(all.status).to.equal(303);
      expect(await unreadPortal(session)).to.deep.equal([]);
      expect((await session.agent.get('/app/watch/alerts?unread=1')).text).to.include('Aucune alerte non lue.');
    });

    it('preferences: one row per kind with the defaults; saving keeps the choices; a bad value is 422 with the input kept', async () => {
      const page = await session.agent.get('/app/watch/preferences');
      expect(page.status).to.equal(200);
      const row = (markup: string, kind: string) => new RegExp(`<tr id="pref-${kind}">[\\s\\S]*?</tr>`).exec(markup)![0];
      expect(row(page.text, 'price_change')).to.include('<option value="immediate" selected>');
      expect(row(page.text, 'new_post')).to.include('<option value="daily" selected>').and.include('name="portal_new_post" value="on" aria-label="Alerte dans le portail pour « Nouvelle publication »" checked');

      const form: Record<string, string> = { _csrf: session.csrf };
      for (const kind of ['new_post', 'price_change', 'product_added', 'product_removed', 'availability_change', 'text_change']) {
        form[`email_${kind}`] = kind === 'text_change' ? 'off' : 'daily';
        form[`min_${kind}`] = kind === 'price_change' ? 'high' : 'low';
        if (kind !== 'text_change') form[`portal_${kind}`] = 'on';
      }
      const bad = await session.agent.post('/app/watch/preferences').set(htmx).type('form').send({ ...form, email_new_post: 'hourly' });
      expect(bad.status).to.equal(422);
      expect(bad.text.trim().startsWith('<div id="watch-preferences">')).to.equal(true);
      expect(row(bad.text, 'new_post')).to.include('aria-invalid="true"').and.include('class="field-error"');
      expect(row(bad.text, 'text_change')).to.include('<option value="off" selected>');
      expect(await cradle.database.forTenant(session.tenantId, (trx) => trx('alertPreferences').where({ userId: session.userId }).select('id'))).to.have.length(0);

      const ok = await session.agent.post('/app/watch/preferences').type('form').send(form);
      expect(ok.status).to.equal(303);
      const again = await session.agent.get('/app/watch/preferences');
      expect(row(again.text, 'text_change')).to.include('<option value="off" selected>').and.not.include(' checked');
      expect(row(again.text, 'price_change')).to.include('<option value="daily" selected>').and.include('<option value="high" selected>');
    });
  });
});
