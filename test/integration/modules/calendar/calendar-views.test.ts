import { expect } from 'chai';
import { DateTime } from 'luxon';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';
import { testEnv } from '../../../support/root-hooks.js';
import {
  createCalendarContent,
  createCampaign,
  DEMO_TENANT,
  DEMO_TENANT_2,
  deleteContents,
  localToInstant,
  slotOf,
  tenantIdBySlug,
} from './calendar-fixtures.js';

type Session = { agent: Agent; csrf: string };
const ZONE = 'Europe/Paris';

/** A local date in Paris `days` ahead, moved forward to the given ISO weekday (1 = Monday). */
function localDay(days: number, weekday?: number): DateTime {
  let d = DateTime.now().setZone(ZONE).startOf('day').plus({ days });
  if (weekday) while (d.weekday !== weekday) d = d.plus({ days: 1 });
  return d;
}

function at(d: DateTime, time: string): Date {
  return localToInstant({ year: d.year, month: d.month, day: d.day }, time, ZONE);
}

const htmx = { 'HX-Request': 'true' };

describe('Editorial calendar: views and moves (HTTP)', function () {
  this.timeout(60_000);
  let owner: Session;
  let ownerB: Session;
  let viewer: Session;
  let editor: Session;
  let english: Session;
  let tenantA: string;
  let tenantB: string;
  const created: string[] = [];
  const createdB: string[] = [];

  // a Tuesday about three weeks ahead, and items on it
  const tuesday = localDay(21, 2);
  let linkedinId: string;
  let smsId: string;
  let publishedId: string;
  let otherTenantId: string;
  let campaignId: string;

  before(async () => {
    const { app } = testEnv();
    owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    ownerB = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    viewer = await addTeamMember(app, owner, 'client_viewer');
    editor = await addTeamMember(app, owner, 'client_editor');
    english = await addTeamMember(app, owner, 'client_editor');
    await english.agent.post('/locale').type('form').send({ locale: 'en', _csrf: english.csrf });
    tenantA = await tenantIdBySlug(DEMO_TENANT);
    tenantB = await tenantIdBySlug(DEMO_TENANT_2);
    campaignId = await createCampaign(tenantA, 'Galette des rois', '#c0392b');
    linkedinId = await createCalendarContent(tenantA, {
      channel: 'linkedin',
      title: 'Nos pains au levain <b>maison</b>',
      body: 'Le levain naturel, nourri chaque matin.',
      startsAt: at(tuesday, '08:30'),
      campaignId,
    });
    smsId = await createCalendarContent(tenantA, { channel: 'sms', title: 'Offre SMS du vendredi', startsAt: at(tuesday.plus({ days: 3 }), '11:00'), status: 'scheduled', slotStatus: 'confirmed' });
    publishedId = await createCalendarContent(tenantA, { channel: 'facebook', title: 'Déjà publié', startsAt: at(tuesday, '12:30'), status: 'published', slotStatus: 'published' });
    created.push(linkedinId, smsId, publishedId);
    otherTenantId = await createCalendarContent(tenantB, { channel: 'instagram', title: 'Atelier réparation', startsAt: at(tuesday, '18:00') });
    createdB.push(otherTenantId);
  });

  after(async () => {
    await deleteContents(tenantA, created);
    await deleteContents(tenantB, createdB);
  });

  describe('GET /app/calendar', () => {
    it('month view: a Monday-first table by local day, today marked, chips with channel, status and campaign colour', async () => {
      const res = await owner.agent.get(`/app/calendar?view=month&date=${tuesday.toISODate()}`);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('<link rel="stylesheet" href="/assets/calendar.css">');
      expect(res.text).to.include('<script src="/assets/calendar.js" defer></script>');
      expect(res.text).to.match(/<table class="cal-month"[^>]*>/);
      // Monday first
      const headers = [...res.text.matchAll(/<th scope="col"><abbr title="([^"]+)">/g)].map((m) => m[1]);
      expect(headers).to.deep.equal(['Lundi', 'Mardi', 'Mercredi', 'Jeudi', 'Vendredi', 'Samedi', 'Dimanche']);
      // the chip sits in the Tuesday cell, escaped, with its channel, status and campaign colour
      const cell = new RegExp(`<td class="cal-day[^"]*" data-date="${tuesday.toISODate()}"[\\s\\S]*?</td>`).exec(res.text)?.[0] ?? '';
      expect(cell).to.include(`id="chip-${linkedinId}"`);
      expect(cell).to.include('Nos pains au levain &lt;b&gt;maison&lt;/b&gt;');
      expect(cell).to.include('08:30');
      expect(cell).to.include('LinkedIn');
      expect(cell).to.include('À valider');
      expect(cell).to.include('--campaign-color: #c0392b');
      expect(cell).to.include(`data-move-url="/app/calendar/items/${linkedinId}/move"`);
      // a published item cannot be dragged
      const published = new RegExp(`<a id="chip-${publishedId}"[^>]*>`).exec(res.text)?.[0] ?? '';
      expect(published).to.not.include('draggable');
      // French month title and local long dates
      expect(res.text).to.include(tuesday.setLocale('fr').toFormat('LLLL yyyy').replace(/^./, (c) => c.toUpperCase()));
      expect(res.text).to.include(tuesday.setLocale('fr').toFormat('cccc d LLLL yyyy'));
    });

    it('marks today in the current month', async () => {
      const res = await owner.agent.get('/app/calendar');
      expect(res.status).to.equal(200);
      const today = DateTime.now().setZone(ZONE).toISODate();
      expect(res.text).to.match(new RegExp(`<td class="cal-day[^"]*is-today[^"]*" data-date="${today}"`));
      expect(res.text).to.include('aria-current="date"');
    });

    it('filters by channel, status and campaign, and the filtered URL is shareable', async () => {
      const base = `/app/calendar?view=month&date=${tuesday.toISODate()}`;
      const sms = await owner.agent.get(`${base}&channel=sms`);
      expect(sms.text).to.include(`id="chip-${smsId}"`);
      expect(sms.text).to.not.include(`id="chip-${linkedinId}"`);
      expect(sms.text).to.match(/id="calendar-filter-channel-sms" name="channel" value="sms" checked/);

      const two = await owner.agent.get(`${base}&channel=sms&channel=facebook`);
      expect(two.text).to.include(`id="chip-${smsId}"`).and.to.include(`id="chip-${publishedId}"`).and.not.include(`id="chip-${linkedinId}"`);

      const status = await owner.agent.get(`${base}&status=published`);
      expect(status.text).to.include(`id="chip-${publishedId}"`).and.not.include(`id="chip-${smsId}"`);

      const campaign = await owner.agent.get(`${base}&campaign=${campaignId}`);
      expect(campaign.text).to.include(`id="chip-${linkedinId}"`).and.not.include(`id="chip-${smsId}"`);
      expect(campaign.text).to.match(new RegExp(`<option value="${campaignId}" selected>Galette des rois</option>`));

      // unknown values are ignored rather than failing a shared link
      const stale = await owner.agent.get(`${base}&channel=myspace&status=lost&campaign=nope`);
      expect(stale.status).to.equal(200);
      expect(stale.text).to.include(`id="chip-${linkedinId}"`);
    });

    it('answers HTMX with the calendar fragment and the filter state out of band', async () => {
      const res = await owner.agent.get(`/app/calendar?view=week&date=${tuesday.toISODate()}&channel=linkedin`).set(htmx);
      expect(res.status).to.equal(200);
      expect(res.text).to.not.include('<html');
      expect(res.text.trimStart()).to.match(/^<div id="calendar" class="cal" data-view="week">/);
      expect(res.text).to.include('<input type="hidden" id="calendar-filter-view" name="view" value="week" hx-swap-oob="true">');
      expect(res.text).to.include(`id="calendar-filter-date" name="date" value="${tuesday.toISODate()}" hx-swap-oob="true"`);
      expect(res.text).to.include('id="calendar-filter-channel-count" class="badge" hx-swap-oob="true">1 choisi');
      expect(res.headers.vary).to.match(/HX-Request/);
    });

    it('week view: a table of hours × days, the item in its hour row', async () => {
      const res = await owner.agent.get(`/app/calendar?view=week&date=${tuesday.toISODate()}`);
      expect(res.status).to.equal(200);
      const monday = tuesday.minus({ days: 1 });
      expect(res.text).to.include(`Semaine du ${monday.setLocale('fr').toFormat('cccc d LLLL yyyy')}`);
      const cell = new RegExp(`<td class="cal-slot[^"]*" data-date="${tuesday.toISODate()}" data-hour="8"[\\s\\S]*?</td>`).exec(res.text)?.[0] ?? '';
      expect(cell).to.include(`id="chip-${linkedinId}"`);
      expect(res.text).to.match(/<th scope="row" class="cal-hour">07:00<\/th>/);
      expect(res.text).to.match(/<th scope="row" class="cal-hour">21:00<\/th>/);
    });

    it('list view: grouped by local day, with the campaign', async () => {
      const res = await owner.agent.get(`/app/calendar?view=list&date=${tuesday.toISODate()}`);
      expect(res.status).to.equal(200);
      const day = new RegExp(`<h3>${tuesday.setLocale('fr').toFormat('cccc d LLLL yyyy').replace(/^./, (c) => c.toUpperCase())}[\\s\\S]*?</li>\\s*</ul>`).exec(res.text)?.[0] ?? '';
      expect(day).to.include(`id="chip-${linkedinId}"`).and.include(`id="chip-${publishedId}"`).and.include('Galette des rois');
    });

    it('in English for an English-speaking user: month names and labels', async () => {
      const res = await english.agent.get(`/app/calendar?view=month&date=${tuesday.toISODate()}`);
      expect(res.text).to.include('<html lang="en">');
      expect(res.text).to.include(tuesday.setLocale('en').toFormat('LLLL yyyy'));
      expect(res.text).to.include('Awaiting approval');
    });

    it('never shows another tenant’s items, and is refused without workspace access', async () => {
      const res = await owner.agent.get(`/app/calendar?view=month&date=${tuesday.toISODate()}`);
      expect(res.text).to.not.include(otherTenantId);
      const resB = await ownerB.agent.get(`/app/calendar?view=month&date=${tuesday.toISODate()}`);
      expect(resB.text).to.include(`id="chip-${otherTenantId}"`).and.not.include(linkedinId);
      const { app } = testEnv();
      const anonymous = await (await import('supertest')).default(app).get('/app/calendar');
      expect(anonymous.status).to.equal(303);
      expect(anonymous.headers.location).to.match(/^\/login/);
    });

    it('a viewer sees the calendar, without drag handles', async () => {
      const res = await viewer.agent.get(`/app/calendar?view=month&date=${tuesday.toISODate()}`);
      expect(res.status).to.equal(200);
      expect(res.text).to.include(`id="chip-${linkedinId}"`);
      expect(res.text).to.not.include('draggable="true"');
      expect(res.text).to.not.include('data-drop');
    });
  });

  describe('GET /app/calendar/items/:contentId', () => {
    it('HTMX: the detail fragment with title, channel, status, local time, campaign, studio link, move form and suggestions', async () => {
      const res = await owner.agent.get(`/app/calendar/items/${linkedinId}?view=week`).set(htmx);
      expect(res.status).to.equal(200);
      expect(res.text.trimStart()).to.match(/^<section id="calendar-detail"/);
      expect(res.text).to.include('Nos pains au levain &lt;b&gt;maison&lt;/b&gt;');
      expect(res.text).to.include(`${tuesday.setLocale('fr').toFormat('cccc d LLLL yyyy')} à 08:30`);
      expect(res.text).to.include('Heure de Europe/Paris');
      expect(res.text).to.include('Galette des rois');
      expect(res.text).to.include(`href="/app/studio/${linkedinId}"`).and.include('Ouvrir dans le studio');
      expect(res.text).to.include(`hx-post="/app/calendar/items/${linkedinId}/move"`);
      expect(res.text).to.include(`name="date" type="date" required min="`);
      expect(res.text).to.include(`value="${tuesday.toISODate()}"`);
      expect(res.text).to.include('name="time" type="time" required value="08:30"');
      expect(res.text).to.include('<input type="hidden" name="view" value="week">');
      expect(res.text).to.include('Le levain naturel, nourri chaque matin.');
      const suggestions = [...res.text.matchAll(/name="slot" value="(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})"/g)].map((m) => m[1]);
      expect(suggestions).to.have.length(5);
      expect([...suggestions].sort()).to.deep.equal(suggestions);
      for (const s of suggestions) {
        const local = DateTime.fromISO(s, { zone: ZONE });
        expect(local.toMillis()).to.be.greaterThan(Date.now());
        expect(['08:30', '12:30']).to.include(local.toFormat('HH:mm')); // local-audience LinkedIn defaults
      }
    });

    it('without HTMX: a page of its own with a way back to the calendar', async () => {
      const res = await owner.agent.get(`/app/calendar/items/${linkedinId}`);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('<html');
      expect(res.text).to.include(`href="/app/calendar?view=month&amp;date=${tuesday.toISODate()}"`);
    });

    it('a published item has no move form and says why', async () => {
      const res = await owner.agent.get(`/app/calendar/items/${publishedId}`).set(htmx);
      expect(res.status).to.equal(200);
      expect(res.text).to.not.include('/move"');
      expect(res.text).to.include('Ce contenu est publié : il ne peut plus être déplacé.');
    });

    it('a viewer sees the detail without the move form', async () => {
      const res = await viewer.agent.get(`/app/calendar/items/${linkedinId}`).set(htmx);
      expect(res.status).to.equal(200);
      expect(res.text).to.not.include('/move"');
      expect(res.text).to.include('pas de déplacer');
    });

    it('another tenant’s content and a malformed id are not found', async () => {
      expect((await owner.agent.get(`/app/calendar/items/${otherTenantId}`)).status).to.equal(404);
      expect((await owner.agent.get('/app/calendar/items/not-a-uuid')).status).to.equal(404);
    });
  });

  describe('POST /app/calendar/items/:contentId/move', () => {
    const move = (session: Session, id: string, body: Record<string, string>) =>
      session.agent.post(`/app/calendar/items/${id}/move`).set(htmx).set('X-CSRF-Token', session.csrf).type('form').send(body);

    it('moves to a date and time in the tenant’s zone: slot manual, scheduled_at follows, the calendar is told', async () => {
      const target = localDay(30, 3);
      const res = await move(owner, linkedinId, { date: target.toISODate()!, time: '10:15' });
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Déplacé au');
      expect(JSON.parse(res.headers['hx-trigger'])).to.have.property('calendar-changed');
      const slot = await slotOf(tenantA, linkedinId);
      expect(slot!.startsAt.toISOString()).to.equal(at(target, '10:15').toISOString());
      expect(slot!.source).to.equal('manual');
      expect(slot!.status).to.equal('proposed');
      expect(slot!.scheduledAt!.toISOString()).to.equal(slot!.startsAt.toISOString());
    });

    it('a drop gives only the date: the item keeps its local time, even across a daylight-saving change', async () => {
      // 10:15 local on a day of the other offset period stays 10:15 local
      const before = await slotOf(tenantA, linkedinId);
      const local = DateTime.fromJSDate(before!.startsAt, { zone: ZONE });
      const target = local.plus({ months: 5 }).set({ weekday: 3 });
      const res = await move(owner, linkedinId, { date: target.toISODate()! });
      expect(res.status).to.equal(200);
      const slot = await slotOf(tenantA, linkedinId);
      expect(DateTime.fromJSDate(slot!.startsAt, { zone: ZONE }).toFormat('yyyy-MM-dd HH:mm')).to.equal(`${target.toISODate()} 10:15`);
      expect(slot!.scheduledAt!.toISOString()).to.equal(slot!.startsAt.toISOString());
    });

    it('a suggested slot (datetime-local) wins over the date fields; without HTMX it redirects to the calendar', async () => {
      const target = localDay(12, 4);
      const res = await owner.agent
        .post(`/app/calendar/items/${linkedinId}/move`)
        .type('form')
        .send({ _csrf: owner.csrf, slot: `${target.toISODate()}T12:30`, date: '2000-01-01', view: 'week' });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/app/calendar?view=week&date=${target.toISODate()}`);
      const slot = await slotOf(tenantA, linkedinId);
      expect(slot!.startsAt.toISOString()).to.equal(at(target, '12:30').toISOString());
      const page = await owner.agent.get(res.headers.location);
      expect(page.text).to.include('Déplacé au');
    });

    it('a slot in the past: 422 in French, the form keeps what was typed, nothing moves', async () => {
      const before = await slotOf(tenantA, linkedinId);
      const yesterday = localDay(-1);
      const res = await move(owner, linkedinId, { date: yesterday.toISODate()!, time: '09:45' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('Ce créneau est déjà passé.');
      expect(res.text).to.include(`value="${yesterday.toISODate()}"`);
      expect(res.text).to.include('value="09:45"');
      expect(res.text).to.include('aria-invalid="true"');
      expect((await slotOf(tenantA, linkedinId))!.startsAt.toISOString()).to.equal(before!.startsAt.toISOString());
    });

    it('the error is in the user’s language', async () => {
      const res = await move(english, linkedinId, { date: localDay(-2).toISODate()!, time: '09:00' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('This slot is in the past.');
      const sms = await move(english, smsId, { date: localDay(7, 7).toISODate()!, time: '11:00' });
      expect(sms.text).to.include('SMS go out Monday–Saturday, 08:00–20:00, not on public holidays.');
    });

    it('SMS on a Sunday or at night: 422 with the SMS window', async () => {
      const sunday = localDay(7, 7);
      const res = await move(owner, smsId, { date: sunday.toISODate()!, time: '11:00' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('Les SMS ne partent que du lundi au samedi, de 08:00 à 20:00, hors jours fériés.');
      const night = await move(owner, smsId, { date: localDay(7, 2).toISODate()!, time: '21:30' });
      expect(night.status).to.equal(422);
      expect(night.text).to.include('Les SMS ne partent que du lundi au samedi');
    });

    it('more than a year ahead: 422 naming the last possible day in words', async () => {
      const res = await move(owner, linkedinId, { date: localDay(400).toISODate()!, time: '09:00' });
      expect(res.status).to.equal(422);
      expect(res.text).to.match(/Un créneau ne peut pas dépasser un an \(au plus tard le \w+ \d{1,2} \w+ \d{4}\)\./u);
    });

    it('malformed dates: 422 invalid slot', async () => {
      const bodies: Record<string, string>[] = [{ date: '2026-02-30', time: '09:00' }, { date: 'demain' }, { slot: '2026-13-01T09:00' }, { date: localDay(5).toISODate()!, time: '25:00' }];
      for (const body of bodies) {
        const res = await move(owner, linkedinId, body);
        expect(res.status, JSON.stringify(body)).to.equal(422);
        expect(res.text).to.include('Date de créneau invalide.');
      }
    });

    it('refuses a published content with 409 and a clear message', async () => {
      const res = await move(owner, publishedId, { date: localDay(10).toISODate()!, time: '09:00' });
      expect(res.status).to.equal(409);
      expect(res.text).to.include('Ce contenu est publié : il ne peut plus être déplacé.');
    });

    it('another tenant’s content is not found (404) and stays where it was', async () => {
      const res = await move(owner, otherTenantId, { date: localDay(10).toISODate()!, time: '09:00' });
      expect(res.status).to.equal(404);
      expect((await slotOf(tenantB, otherTenantId))!.startsAt.toISOString()).to.equal(at(tuesday, '18:00').toISOString());
    });

    it('a viewer may not move (403); an editor may', async () => {
      const denied = await move(viewer, linkedinId, { date: localDay(10).toISODate()!, time: '09:00' });
      expect(denied.status).to.equal(403);
      const target = localDay(11, 5);
      const allowed = await move(editor, linkedinId, { date: target.toISODate()!, time: '09:00' });
      expect(allowed.status).to.equal(200);
      expect((await slotOf(tenantA, linkedinId))!.startsAt.toISOString()).to.equal(at(target, '09:00').toISOString());
    });

    it('requires the CSRF token', async () => {
      const res = await owner.agent.post(`/app/calendar/items/${linkedinId}/move`).set(htmx).type('form').send({ date: localDay(10).toISODate()! });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('Le formulaire a expiré.');
    });

    it('a missed slot placed again is live again; a content not on the calendar is not found', async () => {
      const unplaced = await createCalendarContent(tenantA, { channel: 'blog', startsAt: new Date(), withoutSlot: true, status: 'approved' });
      const missed = await createCalendarContent(tenantA, { channel: 'blog', startsAt: at(localDay(-3), '08:00'), slotStatus: 'missed', status: 'approved' });
      created.push(unplaced, missed);
      const target = localDay(9, 3);
      expect((await move(owner, unplaced, { date: target.toISODate()!, time: '08:00' })).status).to.equal(404);
      expect(await slotOf(tenantA, unplaced)).to.equal(null);
      expect((await move(owner, missed, { date: target.toISODate()!, time: '09:00' })).status).to.equal(200);
      const slot = await slotOf(tenantA, missed);
      expect(slot).to.deep.include({ status: 'confirmed', source: 'manual' });
      expect(slot!.scheduledAt!.toISOString()).to.equal(at(target, '09:00').toISOString());
    });
  });
});
