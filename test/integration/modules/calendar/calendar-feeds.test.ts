import crypto from 'node:crypto';
import { expect } from 'chai';
import { DateTime } from 'luxon';
import supertest from 'supertest';
import { unescapeText, unfoldLines } from '../../../../src/modules/calendar/ics.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createCalendarContent, createCampaign, database, DEMO_TENANT, DEMO_TENANT_2, deleteContents, localToInstant, tenantIdBySlug } from './calendar-fixtures.js';

type Session = { agent: Agent; csrf: string };
const ZONE = 'Europe/Paris';
const htmx = { 'HX-Request': 'true' };

interface ParsedEvent {
  [property: string]: string;
}

/** A minimal RFC 5545 reader for the test: unfolds, splits events, unescapes TEXT values. */
function parseIcs(text: string): { calendar: Record<string, string>; events: ParsedEvent[] } {
  expect(text.endsWith('\r\n')).to.equal(true);
  for (const physical of text.split('\r\n')) expect(Buffer.byteLength(physical, 'utf8')).to.be.at.most(75);
  const lines = unfoldLines(text).split('\r\n').filter(Boolean);
  expect(lines[0]).to.equal('BEGIN:VCALENDAR');
  expect(lines.at(-1)).to.equal('END:VCALENDAR');
  const calendar: Record<string, string> = {};
  const events: ParsedEvent[] = [];
  let current: ParsedEvent | null = null;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') current = {};
    else if (line === 'END:VEVENT') {
      events.push(current!);
      current = null;
    } else {
      const i = line.indexOf(':');
      const name = line.slice(0, i).split(';')[0];
      const value = line.slice(i + 1);
      (current ?? calendar)[name] = ['SUMMARY', 'DESCRIPTION', 'X-WR-CALNAME', 'CATEGORIES'].includes(name) ? unescapeText(value) : value;
    }
  }
  return { calendar, events };
}

const utc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

function at(days: number, time: string): Date {
  const d = DateTime.now().setZone(ZONE).startOf('day').plus({ days });
  return localToInstant({ year: d.year, month: d.month, day: d.day }, time, ZONE);
}

/** The feed URL shown once on the page after creation. */
function feedUrlOf(html: string): string {
  const match = /id="feed-url" class="copyable" readonly value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no feed url on the page');
  return match[1];
}

describe('Editorial calendar: iCalendar feeds (HTTP)', function () {
  this.timeout(60_000);
  let owner: Session;
  let ownerB: Session;
  let tenantA: string;
  let tenantB: string;
  const created: string[] = [];
  let linkedinId: string;
  let smsId: string;
  let cancelledId: string;
  let archivedId: string;
  let oldId: string;

  before(async () => {
    const { app } = testEnv();
    owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    ownerB = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    tenantA = await tenantIdBySlug(DEMO_TENANT);
    tenantB = await tenantIdBySlug(DEMO_TENANT_2);
    const campaign = await createCampaign(tenantA, 'Fête du pain', '#aa5500');
    linkedinId = await createCalendarContent(tenantA, {
      channel: 'linkedin',
      title: 'Le pain, la vie; et nous, les boulangers',
      body: 'Une longue histoire de farine, de sel et de temps.',
      startsAt: at(6, '08:30'),
      campaignId: campaign,
      status: 'scheduled',
      slotStatus: 'confirmed',
    });
    smsId = await createCalendarContent(tenantA, { channel: 'sms', title: 'Promo croissants', startsAt: at(8, '11:00') });
    cancelledId = await createCalendarContent(tenantA, { channel: 'facebook', title: 'Annulé', startsAt: at(5, '12:30'), slotStatus: 'cancelled' });
    archivedId = await createCalendarContent(tenantA, { channel: 'facebook', title: 'Archivé', startsAt: at(5, '17:00'), status: 'archived' });
    oldId = await createCalendarContent(tenantA, { channel: 'blog', title: 'Trop ancien', startsAt: at(-60, '08:00'), status: 'published', slotStatus: 'published' });
    created.push(linkedinId, smsId, cancelledId, archivedId, oldId);
  });

  after(async () => {
    await deleteContents(tenantA, created);
  });

  const createFeed = (session: Session, body: Record<string, string | string[]>) =>
    session.agent.post('/app/calendar/feeds').set(htmx).set('X-CSRF-Token', session.csrf).type('form').send(body);

  it('creates a feed whose secret URL is shown once; only its SHA-256 is stored', async () => {
    const res = await createFeed(owner, { name: 'Agenda de l’équipe', locale: 'fr' });
    expect(res.status).to.equal(201);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.text).to.include('Copiez son adresse maintenant');
    expect(res.text).to.include('data-copy="feed-url"');
    const url = feedUrlOf(res.text);
    const match = /^http:\/\/127\.0\.0\.1:\d+\/calendar\/feeds\/([A-Za-z0-9_-]{43})\.ics$/.exec(url);
    expect(match, url).to.not.equal(null);
    const token = match![1];
    expect(res.text).to.include(`href="webcal:${url.slice('http:'.length)}"`);

    const rows = await database().forTenant(tenantA, (trx) => trx('calendarFeeds').where({ tenantId: tenantA, name: 'Agenda de l’équipe' }));
    expect(rows).to.have.length(1);
    expect(rows[0].tokenHash).to.equal(crypto.createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(rows[0])).to.not.include(token);

    // the list shows it without the URL
    const list = await owner.agent.get('/app/calendar/feeds');
    expect(list.status).to.equal(200);
    expect(list.text).to.include('Agenda de l’équipe');
    expect(list.text).to.not.include(token);
  });

  it('serves the feed by its token without a session: text/calendar, private, parsed back with the tenant’s items', async () => {
    const res = await createFeed(owner, { name: '', locale: 'fr' });
    const url = new URL(feedUrlOf(res.text));
    const { app } = testEnv();
    const feed = await supertest(app).get(url.pathname).set('Host', 'cadence.test');
    expect(feed.status).to.equal(200);
    expect(feed.headers['content-type']).to.equal('text/calendar; charset=utf-8');
    expect(feed.headers['cache-control']).to.match(/^private/);
    expect(feed.headers['set-cookie'], 'a feed poll must not leave a session behind').to.equal(undefined);

    const { calendar, events } = parseIcs(feed.text);
    expect(calendar['X-WR-CALNAME']).to.equal('Cadence — Boulangerie Martin');
    expect(calendar['X-WR-TIMEZONE']).to.equal(ZONE);
    const byUid = new Map(events.map((e) => [e.UID, e]));
    const linkedin = byUid.get(`${linkedinId}@cadence`)!;
    expect(linkedin, 'the LinkedIn item is in the feed').to.not.equal(undefined);
    expect(linkedin.SUMMARY).to.equal('LinkedIn · Le pain, la vie; et nous, les boulangers');
    expect(linkedin.DTSTART).to.equal(utc(at(6, '08:30')));
    expect(linkedin.STATUS).to.equal('CONFIRMED');
    expect(linkedin.CATEGORIES).to.equal('linkedin,Fête du pain');
    // links are absolute, on the host the feed was asked from (PUBLIC_URL when set)
    expect(linkedin.URL).to.equal(`http://cadence.test/app/studio/${linkedinId}`);
    expect(linkedin.DESCRIPTION).to.include('Statut : Programmé').and.include('Campagne : Fête du pain').and.include('Une longue histoire de farine');
    expect(linkedin.DESCRIPTION).to.include(`Ouvrir dans Cadence : ${linkedin.URL}`);
    const sms = byUid.get(`${smsId}@cadence`)!;
    expect(sms.STATUS).to.equal('TENTATIVE');
    expect(sms.SUMMARY).to.equal('SMS · Promo croissants');
    // cancelled slots, archived contents and items outside the window are left out
    for (const id of [cancelledId, archivedId, oldId]) expect(byUid.has(`${id}@cadence`), id).to.equal(false);

    // the access is recorded
    const row = await database().forTenant(tenantA, (trx) => trx('calendarFeeds').where({ tenantId: tenantA }).orderBy('createdAt', 'desc').first('lastAccessedAt'));
    expect(row.lastAccessedAt).to.be.an.instanceOf(Date);
    expect(Date.now() - row.lastAccessedAt.getTime()).to.be.lessThan(60_000);

    // conditional requests of calendar clients
    const again = await supertest(app).get(url.pathname).set('Host', 'cadence.test').set('If-None-Match', feed.headers.etag);
    expect(again.status).to.equal(304);
  });

  it('writes event titles in the feed’s language and keeps only its channels', async () => {
    const res = await createFeed(owner, { name: 'SMS only', locale: 'en', channels: ['sms'] });
    expect(res.status).to.equal(201);
    const { app } = testEnv();
    const feed = await supertest(app).get(new URL(feedUrlOf(res.text)).pathname);
    const { calendar, events } = parseIcs(feed.text);
    expect(calendar['X-WR-CALNAME']).to.equal('Boulangerie Martin — SMS only');
    expect(events.length).to.be.greaterThan(0);
    expect(events.every((e) => e.CATEGORIES.split(',')[0] === 'sms')).to.equal(true);
    const sms = events.find((e) => e.UID === `${smsId}@cadence`)!;
    expect(sms.DESCRIPTION).to.include('Status: Awaiting approval').and.include('Open in Cadence:');
  });

  it('a revoked token and an unknown one are not found', async () => {
    const res = await createFeed(owner, { name: 'À révoquer', locale: 'fr' });
    const path = new URL(feedUrlOf(res.text)).pathname;
    const { app } = testEnv();
    expect((await supertest(app).get(path)).status).to.equal(200);
    const feedId = await database().forTenant(tenantA, async (trx) => (await trx('calendarFeeds').where({ tenantId: tenantA, name: 'À révoquer' }).first('id')).id as string);

    const revoke = await owner.agent.post(`/app/calendar/feeds/${feedId}/revoke`).set(htmx).set('X-CSRF-Token', owner.csrf);
    expect(revoke.status).to.equal(200);
    expect(revoke.text).to.include('Abonnement révoqué');
    expect(revoke.text).to.match(/Révoqué le/);
    expect((await supertest(app).get(path)).status).to.equal(404);
    // revoking twice, or another tenant's feed, is not found
    expect((await owner.agent.post(`/app/calendar/feeds/${feedId}/revoke`).set(htmx).set('X-CSRF-Token', owner.csrf)).status).to.equal(404);

    const unknown = await supertest(app).get(`/calendar/feeds/${crypto.randomBytes(32).toString('base64url')}.ics`);
    expect(unknown.status).to.equal(404);
    expect((await supertest(app).get('/calendar/feeds/short.ics')).status).to.equal(404);
  });

  it('another tenant cannot revoke a feed, and its own feed shows only its items', async () => {
    const res = await createFeed(owner, { name: 'Protégé', locale: 'fr' });
    const path = new URL(feedUrlOf(res.text)).pathname;
    const feedId = await database().forTenant(tenantA, async (trx) => (await trx('calendarFeeds').where({ tenantId: tenantA, name: 'Protégé' }).first('id')).id as string);
    expect((await ownerB.agent.post(`/app/calendar/feeds/${feedId}/revoke`).set(htmx).set('X-CSRF-Token', ownerB.csrf)).status).to.equal(404);
    const { app } = testEnv();
    expect((await supertest(app).get(path)).status).to.equal(200);

    const bikeContent = await createCalendarContent(tenantB, { channel: 'instagram', title: 'Vélos', startsAt: at(4, '18:00') });
    try {
      const resB = await createFeed(ownerB, { locale: 'fr' });
      const feedB = await supertest(app).get(new URL(feedUrlOf(resB.text)).pathname);
      const uids = parseIcs(feedB.text).events.map((e) => e.UID);
      expect(uids).to.include(`${bikeContent}@cadence`);
      expect(uids).to.not.include(`${linkedinId}@cadence`);
      const feedA = await supertest(app).get(path);
      expect(parseIcs(feedA.text).events.map((e) => e.UID)).to.not.include(`${bikeContent}@cadence`);
    } finally {
      await deleteContents(tenantB, [bikeContent]);
    }
  });

  it('validates the form: unknown channel, overlong name (422, typed values kept)', async () => {
    const res = await createFeed(owner, { name: 'x'.repeat(201), locale: 'fr', channels: ['linkedin', 'myspace'] });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Le nom ne doit pas dépasser 200 caractères.');
    expect(res.text).to.include('Choisissez parmi les canaux proposés.');
    expect(res.text).to.match(/name="channels" value="linkedin" checked/);
  });

  it('is managed with content.write: a viewer is refused (403), an editor may create', async () => {
    const { app } = testEnv();
    const viewer = await addTeamMember(app, owner, 'client_viewer');
    expect((await viewer.agent.get('/app/calendar/feeds')).status).to.equal(403);
    expect((await createFeed(viewer, { locale: 'fr' })).status).to.equal(403);
    const editor = await addTeamMember(app, owner, 'client_editor');
    expect((await createFeed(editor, { name: 'Éditeur', locale: 'fr' })).status).to.equal(201);
  });
});
