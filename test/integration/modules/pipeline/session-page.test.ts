import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import type { Express } from 'express';
import { createApp } from '../../../../src/app.js';
import { loginAs, type Agent } from '../../../support/http.js';
import { corpus, createMember, frozenClock, html, newTenant, sessionContainer, watchChange, type Wired } from './session-support.js';

const BASE = '/app/pipeline/session';

describe('pipeline/session page (client portal)', function () {
  this.timeout(60_000);
  let container: AwilixContainer<Wired>;
  let c: Wired;
  let app: Express;
  let tenantId: string;
  let owner: { agent: Agent; csrf: string };
  let viewer: { agent: Agent; csrf: string };
  let stranger: { agent: Agent; csrf: string };
  // 15 June 2031 in Paris: the page opens on July by default, and offers June to September
  const clock = frozenClock(new Date('2031-06-15T10:00:00Z'));
  const t = (key: string, params?: Record<string, unknown>) => c.i18n.getFixedT('fr')(key, params ?? {}) as string;

  async function login(tenant: string, role: 'client_owner' | 'client_viewer') {
    const member = await createMember(c, tenant, role);
    return loginAs(app, member.email, member.password);
  }

  before(async () => {
    container = sessionContainer({ clock });
    c = container.cradle;
    app = createApp(c);
    tenantId = await newTenant(c, { timezone: 'Europe/Paris' });
    owner = await login(tenantId, 'client_owner');
    viewer = await login(tenantId, 'client_viewer');
    stranger = await login(await newTenant(c), 'client_owner');
  });
  after(() => container.dispose());

  it('opens next month by default with a CSRF-protected form, and only the current month to three months ahead', async () => {
    const res = await owner.agent.get(BASE);
    expect(res.status).to.equal(200);
    expect(res.text).to.include(html(t('session.title', { month: 'juillet 2031' })));
    expect(res.text).to.include(`<input type="hidden" name="_csrf" value="${owner.csrf}">`);
    expect(res.text).to.include('name="textInput"');
    for (const month of ['2031-06-01', '2031-07-01', '2031-08-01', '2031-09-01']) expect(res.text).to.include(`${BASE}?month=${month}`);
    expect((await owner.agent.get(`${BASE}?month=2031-10-01`)).status).to.equal(404);
    expect((await owner.agent.get(`${BASE}?month=2031-05-01`)).status).to.equal(404);
    expect((await owner.agent.get(`${BASE}?month=nonsense`)).status).to.equal(404);
    const session = (await c.monthlySessionRepository.find(tenantId, '2031-07-01'))!;
    expect(session).to.include({ status: 'open', locale: 'fr' });
  });

  it('saves text, ranked priorities and a deadline; a refused form (422) keeps what was typed', async () => {
    const session = (await c.monthlySessionRepository.ensure(tenantId, '2031-07-01', 'fr'))!;
    const refused = await owner.agent
      .post(`${BASE}/${session.id}`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _csrf: owner.csrf, textInput: 'Les glaces maison arrivent', priorityLabel: ['Glaces', 'Terrasse'], priorityWeight: ['12', '3'], deadline: '2031-06-01T10:00' });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.match(/^<div id="session-body"/);
    expect(refused.text).to.include('>Les glaces maison arrivent</textarea>');
    expect(refused.text).to.include('value="Terrasse"');
    expect(refused.text).to.include(html(t('session.errors.weightInvalid')));
    expect((await c.monthlySessionRepository.get(tenantId, session.id))!.textInput).to.equal('');

    const past = await owner.agent.post(`${BASE}/${session.id}`).type('form').send({ _csrf: owner.csrf, textInput: 'Texte', deadline: '2031-06-01T10:00' });
    expect(past.status).to.equal(422);
    expect(past.text).to.include(html(t('session.errors.deadlinePast')));
    expect(past.text).to.include('value="2031-06-01T10:00"');

    const saved = await owner.agent
      .post(`${BASE}/${session.id}`)
      .type('form')
      .send({ _csrf: owner.csrf, textInput: 'Les glaces maison arrivent', priorityLabel: ['Terrasse', 'Glaces', ''], priorityWeight: ['3', '8', ''], deadline: '2031-06-28T18:00' });
    expect(saved.status).to.equal(303);
    expect(saved.headers.location).to.equal(`${BASE}?month=2031-07-01`);
    const row = (await c.monthlySessionRepository.get(tenantId, session.id))!;
    expect(row.textInput).to.equal('Les glaces maison arrivent');
    expect(row.priorities).to.deep.equal([{ label: 'Glaces', weight: 8 }, { label: 'Terrasse', weight: 3 }]);
    expect(row.deadlineAt!.toISOString()).to.equal('2031-06-28T16:00:00.000Z'); // 18:00 in Paris
    const page = await owner.agent.get(`${BASE}?month=2031-07-01`);
    expect(page.text).to.include('value="2031-06-28T18:00"');
  });

  it('adds and removes items with HTMX, keeps a refused item as typed, and lets the client leave a watch suggestion out', async () => {
    const session = (await c.monthlySessionRepository.ensure(tenantId, '2031-07-01', 'fr'))!;
    const bad = await owner.agent
      .post(`${BASE}/${session.id}/items`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _csrf: owner.csrf, kind: 'offer', title: '', detail: 'Deux boules achetées', url: 'javascript:alert(1)', startsOn: '2031-07-10', endsOn: '2031-07-01' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.match(/^<section id="session-items"/);
    expect(bad.text).to.include(html(t('session.errors.titleRequired')));
    expect(bad.text).to.include(html(t('session.errors.urlInvalid')));
    expect(bad.text).to.include(html(t('session.errors.endsBeforeStart')));
    expect(bad.text).to.include('>Deux boules achetées</textarea>');

    const added = await owner.agent
      .post(`${BASE}/${session.id}/items`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _csrf: owner.csrf, kind: 'offer', title: 'Troisième boule offerte', detail: 'Deux boules achetées', url: 'https://boulangerie.example/glaces', startsOn: '2031-07-01', endsOn: '2031-07-31' });
    expect(added.status).to.equal(200);
    expect(added.text).to.match(/^<section id="session-items"/);
    expect(added.text).to.include('Troisième boule offerte');
    const [item] = await c.monthlySessionRepository.items(tenantId, session.id);
    expect(item).to.include({ kind: 'offer', startsOn: '2031-07-01', endsOn: '2031-07-31', source: 'client', included: true });

    const change = await watchChange(c, tenantId, { title: 'La Maison Rivale baisse ses prix', detectedAt: clock.now() });
    await c.monthlySessionRepository.addWatchItems(tenantId, session.id, { since: new Date(clock.now().getTime() - 1000), until: new Date(clock.now().getTime() + 1000) }, 'fr');
    const suggestion = (await c.monthlySessionRepository.items(tenantId, session.id)).find((i) => i.watchChangeId === change)!;
    const list = await owner.agent.get(`${BASE}?month=2031-07-01`);
    expect(list.text).to.include(html(t('session.items.origin.watch_change', { name: 'Maison Rivale' })));
    const excluded = await owner.agent.post(`${BASE}/${session.id}/items/${suggestion.id}/include`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, included: 'false' });
    expect(excluded.status).to.equal(200);
    expect(excluded.text).to.include(html(t('session.items.excluded')));
    expect((await c.monthlySessionRepository.items(tenantId, session.id)).find((i) => i.id === suggestion.id)!.included).to.equal(false);
    // a suggestion is left out, never deleted (it would come back with the next run)
    expect((await owner.agent.post(`${BASE}/${session.id}/items/${suggestion.id}/delete`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf })).status).to.equal(404);

    const removed = await owner.agent.post(`${BASE}/${session.id}/items/${item.id}/delete`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
    expect(removed.status).to.equal(200);
    expect(removed.text).not.to.include('Troisième boule offerte');
  });

  it('says so when no speech-to-text model can transcribe a recording, keeping nothing', async () => {
    const session = (await c.monthlySessionRepository.ensure(tenantId, '2031-07-01', 'fr'))!;
    const res = await owner.agent.post(`${BASE}/${session.id}/audio`).set('X-CSRF-Token', owner.csrf).set('HX-Request', 'true').attach('file', corpus('audio/jfk.wav'), 'message.wav');
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/^<section id="session-audio"/);
    expect(res.text).to.include(html(t('session.errors.transcriptionUnavailable')));
    expect((await c.monthlySessionRepository.get(tenantId, session.id))!.audioInputId).to.equal(null);
    // a multipart form without its token (in the action's query string) is refused
    expect((await owner.agent.post(`${BASE}/${session.id}/audio`).attach('file', corpus('audio/jfk.wav'), 'message.wav')).status).to.equal(403);
  });

  it('submits the session; a closed session is read-only and links to the run', async () => {
    const session = (await c.monthlySessionRepository.ensure(tenantId, '2031-08-01', 'fr'))!;
    const submitted = await owner.agent.post(`${BASE}/${session.id}`).type('form').send({ _csrf: owner.csrf, textInput: 'Fermeture annuelle du 10 au 20 août', action: 'submit' });
    expect(submitted.status).to.equal(303);
    const row = (await c.monthlySessionRepository.get(tenantId, session.id))!;
    expect(row.status).to.equal('submitted');
    expect(row.submittedAt!.getTime()).to.equal(clock.now().getTime());
    expect(row.submittedBy).to.be.a('string');

    await c.monthlySessionRepository.close(tenantId, session.id, clock.now());
    const page = await owner.agent.get(`${BASE}?month=2031-08-01`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('id="session-closed"');
    expect(page.text).to.include('href="/app/pipeline"');
    expect(page.text).to.include('Fermeture annuelle du 10 au 20 août');
    expect(page.text).not.to.include('name="textInput"');
    const late = await owner.agent.post(`${BASE}/${session.id}`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, textInput: 'Trop tard' });
    expect(late.status).to.equal(409);
    expect(late.text).to.include(html(t('session.errors.closed')));
    expect((await c.monthlySessionRepository.get(tenantId, session.id))!.textInput).to.equal('Fermeture annuelle du 10 au 20 août');
  });

  it('shows the session to a viewer without letting them edit, refuses a post without CSRF token, and never reaches another tenant’s session', async () => {
    const session = (await c.monthlySessionRepository.ensure(tenantId, '2031-09-01', 'fr'))!;
    await c.monthlySessionRepository.update(tenantId, session.id, { textInput: 'Rentrée des classes' });
    const seen = await viewer.agent.get(`${BASE}?month=2031-09-01`);
    expect(seen.status).to.equal(200);
    expect(seen.text).to.include('Rentrée des classes');
    expect(seen.text).not.to.include('name="textInput"');
    expect((await viewer.agent.post(`${BASE}/${session.id}`).type('form').send({ _csrf: viewer.csrf, textInput: 'x' })).status).to.equal(403);

    expect((await owner.agent.post(`${BASE}/${session.id}`).type('form').send({ textInput: 'sans jeton' })).status).to.equal(403);

    const other = await stranger.agent.post(`${BASE}/${session.id}`).type('form').send({ _csrf: stranger.csrf, textInput: 'intrusion' });
    expect(other.status).to.equal(404);
    expect((await stranger.agent.post(`${BASE}/${session.id}/items`).type('form').send({ _csrf: stranger.csrf, kind: 'news', title: 'intrus' })).status).to.equal(404);
    expect((await stranger.agent.post(`${BASE}/not-a-uuid`).type('form').send({ _csrf: stranger.csrf })).status).to.equal(404);
    const own = await stranger.agent.get(`${BASE}?month=2031-09-01`);
    expect(own.status).to.equal(200);
    expect(own.text).not.to.include('Rentrée des classes');
    expect((await c.monthlySessionRepository.get(tenantId, session.id))!.textInput).to.equal('Rentrée des classes');
    expect(await c.monthlySessionRepository.items(tenantId, session.id)).to.have.length(0);
  });
});
