import { expect } from 'chai';
import { DateTime } from 'luxon';
import { DEFAULT_SLOTS } from '../../../../src/modules/calendar/slots.js';
import { DEMO_OWNER, loginAs, type Agent } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';
import { testEnv } from '../../../support/root-hooks.js';
import { database, DEMO_TENANT, preferenceRows, tenantIdBySlug } from './calendar-fixtures.js';

type Session = { agent: Agent; csrf: string };
const ZONE = 'Europe/Paris';
const htmx = { 'HX-Request': 'true' };

describe('Editorial calendar: slot preferences (HTTP) and their effect on the planner', function () {
  this.timeout(60_000);
  let owner: Session;
  let viewer: Session;
  let editor: Session;
  let tenantId: string;
  let saved: Record<string, unknown>[] = [];

  before(async () => {
    const { app } = testEnv();
    owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    viewer = await addTeamMember(app, owner, 'client_viewer');
    editor = await addTeamMember(app, owner, 'client_editor');
    tenantId = await tenantIdBySlug(DEMO_TENANT);
    // the demo tenant is shared with other tests: put its preferences back as they were
    saved = await database().forTenant(tenantId, (trx) => trx('channelSlotPreferences').where({ tenantId }).select('channel', 'weekday', 'localTime', 'weight', 'source', 'sampleSize'));
  });

  after(async () => {
    await database().forTenant(tenantId, async (trx) => {
      await trx('channelSlotPreferences').where({ tenantId }).delete();
      if (saved.length) await trx('channelSlotPreferences').insert(saved.map((r) => ({ ...r, tenantId })));
    });
  });

  const save = (session: Session, channel: string, rows: { weekday: string; time: string; weight: string }[], removed: number[] = []) =>
    session.agent
      .post(`/app/calendar/preferences/${channel}`)
      .set(htmx)
      .set('X-CSRF-Token', session.csrf)
      .type('form')
      .send(
        [
          ...rows.flatMap((r) => [`weekday=${encodeURIComponent(r.weekday)}`, `time=${encodeURIComponent(r.time)}`, `weight=${encodeURIComponent(r.weight)}`]),
          ...removed.map((i) => `remove=${i}`),
        ].join('&'),
      );

  it('lists every channel with the slots in force, defaults marked as such', async () => {
    await database().forTenant(tenantId, (trx) => trx('channelSlotPreferences').where({ tenantId }).delete());
    const res = await owner.agent.get('/app/calendar/preferences');
    expect(res.status).to.equal(200);
    for (const channel of ['LinkedIn', 'Facebook', 'Instagram', 'X', 'Google Business Profile', 'Blog', 'Newsletter', 'SMS']) expect(res.text).to.include(channel);
    const linkedin = /<tr id="pref-linkedin">[\s\S]*?<\/tr>/.exec(res.text)![0];
    expect(linkedin).to.include('Mar. 08:30').and.include('Jeu. 12:30').and.include('Par défaut');
    expect(linkedin).to.include('href="/app/calendar/preferences/linkedin"');
    expect(res.text).to.include('name="audience"');
  });

  it('the channel page shows the defaults in an editable form and previews the next slots', async () => {
    const res = await owner.agent.get('/app/calendar/preferences/linkedin');
    expect(res.status).to.equal(200);
    const weekdays = [...res.text.matchAll(/<option value="(\d)" selected>/g)].map((m) => Number(m[1]));
    expect(weekdays).to.deep.equal(DEFAULT_SLOTS.linkedin.local.map((p) => p.weekday));
    expect(res.text).to.include('Prochains créneaux proposés');
    const preview = [...res.text.matchAll(/<li><time datetime="([^"]+)">/g)].map((m) => DateTime.fromISO(m[1], { zone: ZONE }));
    expect(preview).to.have.length(6);
    for (const d of preview) expect(['08:30', '12:30']).to.include(d.toFormat('HH:mm'));
    expect((await owner.agent.get('/app/calendar/preferences/myspace')).status).to.equal(404);
  });

  it('saving replaces the channel’s rows (manual) and changes what slotPlanner.nextFreeSlot proposes', async () => {
    const res = await save(owner, 'linkedin', [
      { weekday: '6', time: '07:15', weight: '1' },
      { weekday: '3', time: '19:45', weight: '0,5' },
      { weekday: '', time: '', weight: '' },
    ]);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Créneaux de LinkedIn enregistrés.');
    expect(await preferenceRows(tenantId, 'linkedin')).to.deep.equal([
      { weekday: 3, localTime: '19:45', weight: 0.5, source: 'manual' },
      { weekday: 6, localTime: '07:15', weight: 1, source: 'manual' },
    ]);
    const { slotPlanner } = testEnv().container.cradle;
    const next = DateTime.fromJSDate(await slotPlanner.nextFreeSlot(tenantId, 'linkedin'), { zone: ZONE });
    expect(['Sat 07:15', 'Wed 19:45']).to.include(next.setLocale('en').toFormat('ccc HH:mm'));
    // the preview follows
    const page = await owner.agent.get('/app/calendar/preferences/linkedin');
    const preview = [...page.text.matchAll(/<li><time datetime="([^"]+)">/g)].map((m) => DateTime.fromISO(m[1], { zone: ZONE }).setLocale('en').toFormat('ccc HH:mm'));
    expect(preview.length).to.be.greaterThan(0);
    for (const p of preview) expect(['Sat 07:15', 'Wed 19:45']).to.include(p);
    // the overview says it is customised
    const overview = await owner.agent.get('/app/calendar/preferences');
    expect(/<tr id="pref-linkedin">[\s\S]*?<\/tr>/.exec(overview.text)![0]).to.include('Personnalisé').and.include('Sam. 07:15');
  });

  it('keeps the source of rows left as they were, removes ticked rows', async () => {
    await database().forTenant(tenantId, (trx) => trx('channelSlotPreferences').where({ tenantId, channel: 'linkedin', weekday: 6 }).update({ source: 'learned' }));
    const res = await save(
      owner,
      'linkedin',
      [
        { weekday: '3', time: '19:45', weight: '0.5' },
        { weekday: '6', time: '07:15', weight: '1' },
        { weekday: '2', time: '09:00', weight: '0.8' },
      ],
      [0],
    );
    expect(res.status).to.equal(200);
    expect(await preferenceRows(tenantId, 'linkedin')).to.deep.equal([
      { weekday: 2, localTime: '09:00', weight: 0.8, source: 'manual' },
      { weekday: 6, localTime: '07:15', weight: 1, source: 'learned' },
    ]);
  });

  it('refuses bad rows with 422 in French and keeps what was typed; nothing is saved', async () => {
    const before = await preferenceRows(tenantId, 'sms');
    const res = await save(owner, 'sms', [
      { weekday: '5', time: '11:00', weight: '1' },
      { weekday: '7', time: '11:00', weight: '1' },
      { weekday: '2', time: '21:00', weight: '1' },
      { weekday: '5', time: '11:00', weight: '0.4' },
      { weekday: '9', time: '10:00', weight: '1' },
      { weekday: '3', time: '10:00', weight: '-1' },
    ]);
    expect(res.status).to.equal(422);
    expect(res.text.match(/Un SMS ne peut partir que du lundi au samedi, de 08:00 à 20:00\./g)).to.have.length(2);
    expect(res.text).to.include('Ce jour et cette heure figurent déjà plus haut.');
    expect(res.text.match(/Choisissez un jour, une heure \(HH:MM\) et une priorité de 0 à 100\./g)).to.have.length(2);
    expect(res.text).to.include('id="row-2-error"');
    expect(res.text).to.include('value="21:00"').and.include('value="-1"');
    expect(await preferenceRows(tenantId, 'sms')).to.deep.equal(before);

    const none = await save(owner, 'blog', [{ weekday: '2', time: '08:00', weight: '0' }]);
    expect(none.status).to.equal(422);
    expect(none.text).to.include('Gardez au moins un créneau de priorité supérieure à 0.');
  });

  it('reset brings the defaults back, for the page and the planner', async () => {
    const res = await owner.agent.post('/app/calendar/preferences/linkedin/reset').set(htmx).set('X-CSRF-Token', owner.csrf);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('LinkedIn utilise de nouveau les créneaux par défaut.');
    expect(await preferenceRows(tenantId, 'linkedin')).to.deep.equal([]);
    const { slotPlanner } = testEnv().container.cradle;
    const next = DateTime.fromJSDate(await slotPlanner.nextFreeSlot(tenantId, 'linkedin'), { zone: ZONE });
    expect(['08:30', '12:30']).to.include(next.toFormat('HH:mm'));
  });

  it('applies an audience’s defaults to every channel, and back to the local defaults', async () => {
    const res = await owner.agent.post('/app/calendar/preferences/audience').set(htmx).set('X-CSRF-Token', owner.csrf).type('form').send({ audience: 'b2b' });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Créneaux par défaut « Entreprises (B2B) » appliqués à tous les canaux.');
    const linkedin = await preferenceRows(tenantId, 'linkedin');
    expect(linkedin.map((r) => [r.weekday, r.localTime, r.weight, r.source])).to.deep.equal(
      DEFAULT_SLOTS.linkedin.b2b.map((p) => [p.weekday, p.localTime, p.weight, 'default']).sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1]))),
    );
    // B2B skips public holidays and weekends on LinkedIn: the planner follows the new rows
    const { slotPlanner } = testEnv().container.cradle;
    const next = DateTime.fromJSDate(await slotPlanner.nextFreeSlot(tenantId, 'linkedin'), { zone: ZONE });
    expect(next.weekday).to.be.within(1, 5);

    const bad = await owner.agent.post('/app/calendar/preferences/audience').set(htmx).set('X-CSRF-Token', owner.csrf).type('form').send({ audience: 'aliens' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('Type d&#39;audience inconnu.');

    await owner.agent.post('/app/calendar/preferences/audience').set(htmx).set('X-CSRF-Token', owner.csrf).type('form').send({ audience: 'local' });
    expect(await preferenceRows(tenantId, 'linkedin')).to.deep.equal([]);
    expect(await preferenceRows(tenantId, 'sms')).to.deep.equal([]);
  });

  it('a viewer may look but not change (403); an editor may change', async () => {
    const page = await viewer.agent.get('/app/calendar/preferences/facebook');
    expect(page.status).to.equal(200);
    expect(page.text).to.not.include('name="weekday"');
    expect((await save(viewer, 'facebook', [{ weekday: '5', time: '11:00', weight: '1' }])).status).to.equal(403);
    expect((await viewer.agent.post('/app/calendar/preferences/facebook/reset').set(htmx).set('X-CSRF-Token', viewer.csrf)).status).to.equal(403);
    expect((await viewer.agent.post('/app/calendar/preferences/audience').set(htmx).set('X-CSRF-Token', viewer.csrf).type('form').send({ audience: 'b2c' })).status).to.equal(403);

    expect((await save(editor, 'facebook', [{ weekday: '5', time: '11:00', weight: '1' }])).status).to.equal(200);
    expect(await preferenceRows(tenantId, 'facebook')).to.deep.equal([{ weekday: 5, localTime: '11:00', weight: 1, source: 'manual' }]);
  });

  it('without HTMX: saving redirects to the channel page with a message', async () => {
    const res = await owner.agent
      .post('/app/calendar/preferences/blog')
      .type('form')
      .send(`_csrf=${encodeURIComponent(owner.csrf)}&weekday=3&time=08%3A00&weight=1`);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/app/calendar/preferences/blog');
    expect((await owner.agent.get(res.headers.location)).text).to.include('Créneaux de Blog enregistrés.');
  });
});
