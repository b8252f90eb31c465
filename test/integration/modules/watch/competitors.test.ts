import fs from 'node:fs';
import path from 'node:path';
import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import type { Express } from 'express';
import { createApp } from '../../../../src/app.js';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import { SafeFetcher } from '../../../../src/adapters/fetch/safe-fetcher.js';
import { CORPUS_DIR } from '../../../support/corpus.js';
import type { Agent } from '../../../support/http.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';
import { WatchFixtureSite } from '../../../support/watch-fixture-site.js';
import { addTeamMember } from '../../../support/team.js';
import { freshTenantOwner, html } from '../studio/editor-support.js';

type Session = { agent: Agent; csrf: string };
const htmx = { 'HX-Request': 'true' };
const SSRF = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, 'security/ssrf.json'), 'utf8')) as { url: string; category: string }[];
const XSS = fs.readFileSync(path.join(CORPUS_DIR, 'security/xss.txt'), 'utf8').split('\n').filter(Boolean);

/** An app of its own on the suite's database, with some cradle members replaced (the URL fetcher). */
function appWith(overrides: Record<string, unknown>): { app: Express; container: AwilixContainer<Cradle>; dispose(): Promise<void> } {
  const config = testConfig();
  const resolvers = Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, asValue(v)]));
  const container = buildContainer(config, testEnv().db, resolvers as never);
  return {
    app: createApp(container.cradle),
    container,
    dispose: async () => {
      await container.dispose();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

const idFrom = (location: string | undefined, prefix: string) => {
  const match = new RegExp(`^${prefix}/([0-9a-f-]{36})$`).exec(location ?? '');
  if (!match) throw new Error(`unexpected redirect ${location}`);
  return match[1];
};

describe('Watch: competitors and sources (HTTP)', function () {
  this.timeout(60_000);
  let app: Express;
  let cradle: Cradle;
  let owner: Session & { tenantId: string };
  let other: Session & { tenantId: string };

  const sourceRow = (tenantId: string, id: string) =>
    cradle.database.forTenant(tenantId, (trx) => trx('watchSources').where({ tenantId, id }).first());

  async function addCompetitor(session: Session, name: string, website = 'https://www.concurrent.example/') {
    const res = await session.agent.post('/app/watch/competitors').type('form').send({ name, website, notes: '', _csrf: session.csrf });
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    return idFrom(res.headers.location, '/app/watch/competitors');
  }

  const addSource = (session: Session, competitorId: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    session.agent.post(`/app/watch/competitors/${competitorId}/sources`).set(headers).type('form').send({ _csrf: session.csrf, ...form });

  before(async () => {
    app = testEnv().app;
    cradle = testEnv().container.cradle;
    const a = await freshTenantOwner(cradle, app, { plan: 'growth' });
    owner = { agent: a.agent, csrf: a.csrf, tenantId: a.tenantId };
    const b = await freshTenantOwner(cradle, app, { plan: 'growth' });
    other = { agent: b.agent, csrf: b.csrf, tenantId: b.tenantId };
  });

  it('shows an empty list, the plan’s limits and the add form', async () => {
    const res = await owner.agent.get('/app/watch/competitors');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Aucun concurrent pour l&#39;instant.');
    expect(res.text).to.include('0 source(s) active(s) sur 20 permises par votre offre');
    expect(res.text).to.include('toutes les 6 h');
    expect(res.text).to.include('action="/app/watch/competitors"').and.include(`name="_csrf" value="${owner.csrf}"`);
  });

  it('adds a competitor, escapes what was typed, refuses a second one of the same name (422, input kept)', async () => {
    const payload = XSS[0];
    const id = await addCompetitor(owner, `Fournil ${payload}`);
    const list = await owner.agent.get('/app/watch/competitors');
    expect(list.text).to.include(html(`Fournil ${payload}`));
    expect(list.text).not.to.include(payload);
    const page = await owner.agent.get(`/app/watch/competitors/${id}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Aucune source pour ce concurrent');

    const dup = await owner.agent
      .post('/app/watch/competitors')
      .set(htmx)
      .type('form')
      .send({ name: `fournil ${payload}`.toUpperCase(), website: 'https://autre.example', notes: 'Mes notes', _csrf: owner.csrf });
    expect(dup.status).to.equal(422);
    expect(dup.text).to.include('Vous suivez déjà un concurrent de ce nom.');
    expect(dup.text).to.include('value="https://autre.example"').and.include('Mes notes');
    expect(dup.text.trim().startsWith('<section class="card" id="watch-competitor-create"')).to.equal(true);
  });

  it('validates the competitor form: name required, website http(s) only', async () => {
    const res = await owner.agent.post('/app/watch/competitors').type('form').send({ name: '  ', website: 'javascript:alert(1)', _csrf: owner.csrf });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Indiquez le nom du concurrent.');
    expect(res.text).to.include('elle doit commencer par http:// ou https://');
    expect(res.text).to.include('value="javascript:alert(1)"');
  });

  it('refuses a form without its CSRF token', async () => {
    const res = await owner.agent.post('/app/watch/competitors').type('form').send({ name: 'Sans jeton' });
    expect(res.status).to.equal(403);
    const count = await cradle.database.forTenant(owner.tenantId, (trx) => trx('competitors').where({ tenantId: owner.tenantId, name: 'Sans jeton' }).first('id'));
    expect(count).to.equal(undefined);
  });

  it('adds a feed: host lower-cased with its port, due at once, interval kept', async () => {
    const competitorId = await addCompetitor(owner, 'Boulangerie Dupont');
    const before = Date.now();
    const res = await addSource(owner, competitorId, { kind: 'rss', url: 'HTTP://Blog.Dupont.EXAMPLE:8080/feed.xml#top', title: 'Blog', intervalMinutes: '720' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const sourceId = idFrom(res.headers.location, '/app/watch/sources');
    const row = await sourceRow(owner.tenantId, sourceId);
    expect(row).to.include({ kind: 'rss', url: 'http://blog.dupont.example:8080/feed.xml', host: 'blog.dupont.example:8080', intervalMinutes: 720, active: true, competitorId });
    expect((row.nextPollAt as Date).getTime()).to.be.within(before - 5_000, Date.now() + 5_000);

    const page = await owner.agent.get(`/app/watch/sources/${sourceId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('En bonne santé').and.include('12 h').and.include('Cette source n&#39;a pas encore été consultée.');

    const dup = await addSource(owner, competitorId, { kind: 'rss', url: 'http://blog.dupont.example:8080/feed.xml', intervalMinutes: '720' });
    expect(dup.status).to.equal(422);
    expect(dup.text).to.include('Cette adresse est déjà surveillée.');
  });

  it('refuses URLs that are not http(s) with 422, keeping what was typed', async () => {
    const competitorId = await addCompetitor(owner, 'Pâtisserie Lenoir');
    const notHttp = SSRF.map((e) => e.url).filter((u) => !/^https?:/i.test(u));
    expect(notHttp.length).to.be.greaterThan(0);
    for (const url of [...notHttp.slice(0, 5), 'javascript:alert(1)', 'http://user:secret@example.com/feed', 'pas une adresse']) {
      const res = await addSource(owner, competitorId, { kind: 'rss', url, intervalMinutes: '720' }, htmx);
      expect(res.status, url).to.equal(422);
      expect(res.text, url).to.include('Cette adresse n&#39;est pas valide');
      expect(res.text, url).to.include(`value="${html(url)}"`);
      expect(res.text.trim().startsWith('<section class="card" id="watch-feed-form"')).to.equal(true);
    }
    const rows = await cradle.database.forTenant(owner.tenantId, (trx) => trx('watchSources').where({ tenantId: owner.tenantId, competitorId }).select('id'));
    expect(rows).to.have.length(0);
  });

  it('accepts an http URL to a private address: the safe fetcher refuses it at poll time, and the source shows why', async () => {
    const competitorId = await addCompetitor(owner, 'Métadonnées');
    const metadata = SSRF.find((e) => e.category === 'cloud-metadata-aws' && e.url.startsWith('http://169.254.169.254/'))!;
    const res = await addSource(owner, competitorId, { kind: 'page', url: metadata.url, intervalMinutes: '720', extractMode: 'full_text' });
    expect(res.status).to.equal(303);
    const sourceId = idFrom(res.headers.location, '/app/watch/sources');
    // what the poller records when the fetcher refuses (its code is the message key)
    await cradle.database.forTenant(owner.tenantId, (trx) =>
      trx('watchSources').where({ id: sourceId }).update({ health: 'unhealthy', lastErrorCode: 'fetch.errors.forbiddenAddress', lastErrorAt: new Date(), consecutiveFailures: 5 }),
    );
    const page = await owner.agent.get(`/app/watch/sources/${sourceId}`);
    expect(page.text).to.include('En échec');
    expect(page.text).to.include(html('Cette adresse (169.254.169.254) pointe vers un réseau privé ou un service interne'));
    const list = await owner.agent.get(`/app/watch/competitors/${competitorId}`);
    expect(list.text).to.include('En échec').and.include('pointe vers un réseau privé');
  });

  it('refuses an interval below the plan’s minimum (422, input kept, minimum named)', async () => {
    const competitorId = await addCompetitor(owner, 'Fromagerie Petit');
    const res = await addSource(owner, competitorId, { kind: 'page', url: 'https://fromagerie.example/tarifs', title: 'Tarifs', intervalMinutes: '60', extractMode: 'full_text' }, htmx);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Votre offre permet une consultation toutes les 6 h au plus souvent : indiquez au moins 360 minutes.');
    expect(res.text).to.include('value="https://fromagerie.example/tarifs"').and.include('value="Tarifs"').and.include('value="60"');
    expect(res.text.trim().startsWith('<section class="card" id="watch-page-form"')).to.equal(true);
    const bad = await addSource(owner, competitorId, { kind: 'page', url: 'https://fromagerie.example/tarifs', intervalMinutes: 'souvent', extractMode: 'full_text' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('Indiquez un nombre entier de minutes.');
  });

  it('stores a page’s selectors, refuses invalid ones and an empty selectors editor', async () => {
    const competitorId = await addCompetitor(owner, 'Épicerie Fine');
    const empty = await addSource(owner, competitorId, { kind: 'page', url: 'https://epicerie.example/p/1', intervalMinutes: '360', extractMode: 'selectors' });
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('Indiquez au moins un sélecteur');

    const invalid = await addSource(owner, competitorId, {
      kind: 'page',
      url: 'https://epicerie.example/p/1',
      intervalMinutes: '360',
      extractMode: 'selectors',
      'selector.price': 'span[',
      'selector.availability': '.stock',
      'attribute.availability': 'data stock',
    });
    expect(invalid.status).to.equal(422);
    expect(invalid.text).to.include('Ce sélecteur CSS n&#39;est pas valide.').and.include('Ce nom d&#39;attribut n&#39;est pas valide.');
    expect(invalid.text).to.include('value="span["').and.include('value="data stock"');

    const res = await addSource(owner, competitorId, {
      kind: 'page',
      url: 'https://epicerie.example/p/1',
      intervalMinutes: '360',
      extractMode: 'selectors',
      'selector.price': '.product-price',
      'attribute.price': 'data-price',
      'selector.product_list': '.product-card h2',
      'multiple.product_list': 'on',
    });
    expect(res.status).to.equal(303);
    const sourceId = idFrom(res.headers.location, '/app/watch/sources');
    const selectors = await cradle.database.forTenant(owner.tenantId, (trx) =>
      trx('watchSelectors').where({ sourceId }).orderBy('field').select('field', 'selector', 'attribute', 'multiple'),
    );
    expect(selectors).to.deep.equal([
      { field: 'price', selector: '.product-price', attribute: 'data-price', multiple: false },
      { field: 'product_list', selector: '.product-card h2', attribute: null, multiple: true },
    ]);
    expect((await sourceRow(owner.tenantId, sourceId)).extractMode).to.equal('selectors');

    // editing: another interval, one selector changed, one removed, the missing one shown
    await cradle.database.forTenant(owner.tenantId, (trx) => trx('watchSelectors').where({ sourceId, field: 'price' }).update({ missingSince: new Date('2026-01-05T10:00:00Z') }));
    const shown = await owner.agent.get(`/app/watch/sources/${sourceId}`);
    expect(shown.text).to.include('Introuvable sur la page depuis le').and.include('value=".product-price"');
    const edit = await owner.agent
      .post(`/app/watch/sources/${sourceId}`)
      .type('form')
      .send({ _csrf: owner.csrf, title: 'Fiche produit', intervalMinutes: '1440', extractMode: 'selectors', 'selector.price': '.product-price', 'attribute.price': 'data-price', 'selector.availability': '#stock' });
    expect(edit.status).to.equal(303);
    const after = await cradle.database.forTenant(owner.tenantId, (trx) =>
      trx('watchSelectors').where({ sourceId }).orderBy('field').select('field', 'selector', 'missingSince'),
    );
    expect(after.map((s) => [s.field, s.selector])).to.deep.equal([
      ['availability', '#stock'],
      ['price', '.product-price'],
    ]);
    expect(after[1].missingSince, 'an unchanged selector keeps its history').to.not.equal(null);
    expect(await sourceRow(owner.tenantId, sourceId)).to.include({ title: 'Fiche produit', intervalMinutes: 1440 });

    const tooOften = await owner.agent.post(`/app/watch/sources/${sourceId}`).set(htmx).type('form').send({ _csrf: owner.csrf, intervalMinutes: '30', extractMode: 'full_text' });
    expect(tooOften.status).to.equal(422);
    expect(tooOften.text).to.include('indiquez au moins 360 minutes').and.include('value="30"');
    expect(tooOften.text.trim().startsWith('<section class="card" id="watch-source-form"')).to.equal(true);
  });

  it('stops at the plan’s number of sources (422 with the limit), deactivating frees room, reactivating is checked', async () => {
    const starter = await freshTenantOwner(cradle, app, { plan: 'starter' }); // 5 sources, every 24 h at most
    const session = { agent: starter.agent, csrf: starter.csrf };
    const first = await addCompetitor(session, 'Premier');
    for (let i = 0; i < 5; i++) {
      const res = await addSource(session, first, { kind: 'rss', url: `https://premier.example/feed-${i}.xml`, intervalMinutes: '1440' });
      expect(res.status, res.text.slice(0, 300)).to.equal(303);
    }
    const sixth = await addSource(session, first, { kind: 'rss', url: 'https://premier.example/feed-6.xml', title: 'Sixième', intervalMinutes: '1440' }, htmx);
    expect(sixth.status).to.equal(422);
    expect(sixth.text).to.include('Votre offre permet de surveiller 5 source(s) au plus');
    expect(sixth.text).to.include('value="https://premier.example/feed-6.xml"').and.include('value="Sixième"');

    // a second competitor's sources count too; deactivating the first frees its five
    const second = await addCompetitor(session, 'Second');
    expect((await addSource(session, second, { kind: 'rss', url: 'https://second.example/feed.xml', intervalMinutes: '1440' })).status).to.equal(422);
    const off = await session.agent.post(`/app/watch/competitors/${first}/deactivate`).type('form').send({ _csrf: session.csrf });
    expect(off.status).to.equal(303);
    const inactive = await cradle.database.forTenant(starter.tenantId, (trx) => trx('watchSources').where({ competitorId: first }).pluck('active'));
    expect(inactive).to.deep.equal([false, false, false, false, false]);
    expect((await addSource(session, second, { kind: 'rss', url: 'https://second.example/feed.xml', intervalMinutes: '1440' })).status).to.equal(303);

    const on = await session.agent.post(`/app/watch/competitors/${first}/activate`).type('form').send({ _csrf: session.csrf });
    expect(on.status).to.equal(303);
    const page = await session.agent.get(on.headers.location);
    expect(page.text).to.include('Réactiver ce concurrent dépasserait la limite de 5 source(s)');
    expect(await cradle.database.forTenant(starter.tenantId, (trx) => trx('competitors').where({ id: first }).first('active'))).to.deep.equal({ active: false });
  });

  it('edits a competitor (422 keeps input) and removes a source', async () => {
    const competitorId = await addCompetitor(owner, 'Caviste Martin');
    const bad = await owner.agent.post(`/app/watch/competitors/${competitorId}`).set(htmx).type('form').send({ _csrf: owner.csrf, name: '', website: 'https://caviste.example', notes: 'Vins nature' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('Indiquez le nom du concurrent.').and.include('Vins nature');
    const ok = await owner.agent.post(`/app/watch/competitors/${competitorId}`).type('form').send({ _csrf: owner.csrf, name: 'Caviste Martin & Fils', website: 'https://caviste.example', notes: 'Vins nature' });
    expect(ok.status).to.equal(303);
    const row = await cradle.database.forTenant(owner.tenantId, (trx) => trx('competitors').where({ id: competitorId }).first('name', 'website', 'notes'));
    expect(row).to.deep.equal({ name: 'Caviste Martin & Fils', website: 'https://caviste.example/', notes: 'Vins nature' });

    const added = await addSource(owner, competitorId, { kind: 'rss', url: 'https://caviste.example/feed', intervalMinutes: '360' });
    const sourceId = idFrom(added.headers.location, '/app/watch/sources');
    const removed = await owner.agent.post(`/app/watch/sources/${sourceId}/delete`).type('form').send({ _csrf: owner.csrf });
    expect(removed.status).to.equal(303);
    expect(removed.headers.location).to.equal(`/app/watch/competitors/${competitorId}`);
    expect(await sourceRow(owner.tenantId, sourceId)).to.equal(undefined);
  });

  it('another tenant’s competitor or source is not found (404), as is a malformed id', async () => {
    const competitorId = await addCompetitor(owner, 'Confidentiel');
    const added = await addSource(owner, competitorId, { kind: 'rss', url: 'https://confidentiel.example/feed', intervalMinutes: '360' });
    const sourceId = idFrom(added.headers.location, '/app/watch/sources');
    const t = other;
    expect((await t.agent.get(`/app/watch/competitors/${competitorId}`)).status).to.equal(404);
    expect((await t.agent.get(`/app/watch/sources/${sourceId}`)).status).to.equal(404);
    expect((await t.agent.get('/app/watch/competitors/not-an-id')).status).to.equal(404);
    for (const [url, form] of [
      [`/app/watch/competitors/${competitorId}`, { name: 'Pris' }],
      [`/app/watch/competitors/${competitorId}/deactivate`, {}],
      [`/app/watch/competitors/${competitorId}/sources`, { kind: 'rss', url: 'https://x.example/feed', intervalMinutes: '360' }],
      [`/app/watch/sources/${sourceId}`, { intervalMinutes: '720' }],
      [`/app/watch/sources/${sourceId}/check`, {}],
      [`/app/watch/sources/${sourceId}/delete`, {}],
    ] as const) {
      const res = await t.agent.post(url).type('form').send({ _csrf: t.csrf, ...form });
      expect(res.status, url).to.equal(404);
    }
    expect(await sourceRow(owner.tenantId, sourceId)).to.include({ intervalMinutes: 360, active: true });
    const list = await t.agent.get('/app/watch/competitors');
    expect(list.text).not.to.include('Confidentiel');
  });

  it('a viewer sees the competitors but cannot change them (403)', async () => {
    const competitorId = await addCompetitor(owner, 'Vu seulement');
    const viewer = await addTeamMember(app, owner, 'client_viewer');
    const page = await viewer.agent.get(`/app/watch/competitors/${competitorId}`);
    expect(page.status).to.equal(200);
    expect(page.text).not.to.include(`action="/app/watch/competitors/${competitorId}/sources"`);
    const res = await viewer.agent.post(`/app/watch/competitors/${competitorId}/sources`).type('form').send({ _csrf: viewer.csrf, kind: 'rss', url: 'https://vu.example/feed', intervalMinutes: '360' });
    expect(res.status).to.equal(403);
  });

  describe('"check now" and feed discovery, through the poller and the safe fetcher', () => {
    let site: WatchFixtureSite;
    let wired: ReturnType<typeof appWith>;
    let session: Session & { tenantId: string };

    before(async () => {
      site = await WatchFixtureSite.start();
      site.serve(
        '/',
        `<!doctype html><html><head><title>Boutique</title>
          <link rel="alternate" type="application/rss+xml" title="Les actus" href="/feed.xml">
          <link rel="alternate" type="application/atom+xml" href="${site.url('/atom.xml')}">
        </head><body><h1>Boutique</h1></body></html>`,
        { contentType: 'text/html; charset=utf-8' },
      );
      site.serveCorpus('/feed.xml', 'feeds/real/fr-pcinpact.rss', 'application/rss+xml');
      site.serveCorpus('/atom.xml', 'feeds/real/aws-blog.atom', 'application/atom+xml');
      wired = appWith({ urlFetcher: new SafeFetcher({ allowLoopbackPorts: [site.port] }) });
      const fresh = await freshTenantOwner(wired.container.cradle, wired.app, { plan: 'growth' });
      session = { agent: fresh.agent, csrf: fresh.csrf, tenantId: fresh.tenantId };
    });
    after(async () => {
      await wired.dispose();
      await site.close();
    });

    it('discovers the feeds a page announces and offers to add them, from where they were found', async () => {
      const competitorId = await addCompetitor(session, 'Boutique', site.url('/'));
      const res = await session.agent.post(`/app/watch/competitors/${competitorId}/discover`).set(htmx).type('form').send({ _csrf: session.csrf, pageUrl: '' });
      expect(res.status, res.text.slice(0, 500)).to.equal(200);
      expect(res.text.trim().startsWith('<section class="card" id="watch-feed-form"')).to.equal(true);
      expect(res.text).to.include('2 flux trouvés').and.include('Les actus');
      expect(res.text).to.include(`name="url" value="${site.url('/feed.xml')}"`).and.include(`name="url" value="${site.url('/atom.xml')}"`);
      expect(res.text).to.include(`name="discoveredFromUrl" value="${site.url('/')}"`);

      const add = await addSource(session, competitorId, { kind: 'rss', url: site.url('/feed.xml'), title: 'Les actus', discoveredFromUrl: site.url('/'), intervalMinutes: '360' });
      expect(add.status).to.equal(303);
      const row = await sourceRow(session.tenantId, idFrom(add.headers.location, '/app/watch/sources'));
      expect(row).to.include({ discoveredFromUrl: site.url('/'), host: site.host, title: 'Les actus' });
    });

    it('shows the fetcher’s refusal in the user’s language when discovery is pointed at an internal address', async () => {
      const competitorId = await addCompetitor(session, 'Interne');
      const metadata = SSRF.find((e) => e.category === 'cloud-metadata-aws' && e.url.startsWith('http://169.254.169.254/'))!;
      const res = await session.agent.post(`/app/watch/competitors/${competitorId}/discover`).set(htmx).type('form').send({ _csrf: session.csrf, pageUrl: metadata.url });
      expect(res.status).to.equal(422);
      expect(res.text).to.include(html('Cette adresse (169.254.169.254) pointe vers un réseau privé'));
      expect(res.text).to.include(`value="${html(metadata.url)}"`);
    });

    it('"check now" polls the source at once and says what it found; a refused address is shown on the source', async () => {
      const competitorId = await addCompetitor(session, 'Boutique vérifiée');
      const added = await addSource(session, competitorId, { kind: 'rss', url: site.url('/atom.xml'), intervalMinutes: '360' });
      const sourceId = idFrom(added.headers.location, '/app/watch/sources');
      const res = await session.agent.post(`/app/watch/sources/${sourceId}/check`).type('form').send({ _csrf: session.csrf });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/app/watch/sources/${sourceId}`);
      const page = await session.agent.get(res.headers.location);
      expect(page.text).to.include('Source vérifiée');
      expect((await sourceRow(session.tenantId, sourceId)).lastPolledAt).to.be.instanceOf(Date);
      expect(site.responsesTo('/atom.xml').length).to.be.greaterThan(0);
      expect(page.text).not.to.include('Cette source n&#39;a pas encore été consultée.');

      const metadata = SSRF.find((e) => e.category === 'cloud-metadata-aws' && e.url.startsWith('http://169.254.169.254/'))!;
      const ssrf = await addSource(session, competitorId, { kind: 'page', url: metadata.url, intervalMinutes: '360', extractMode: 'full_text' });
      expect(ssrf.status, ssrf.text.slice(0, 600)).to.equal(303);
      const ssrfId = idFrom(ssrf.headers.location, '/app/watch/sources');
      const refused = await session.agent.post(`/app/watch/sources/${ssrfId}/check`).type('form').send({ _csrf: session.csrf });
      const after = await session.agent.get(refused.headers.location);
      expect(after.text).to.include(html('La vérification a échoué : Cette adresse (169.254.169.254) pointe vers un réseau privé'));
      expect(after.text).to.include('class="wt-source-error"');
      expect((await sourceRow(session.tenantId, ssrfId)).lastErrorCode).to.equal('fetch.errors.forbiddenAddress');
    });
  });
});
