import { expect } from 'chai';
import type { TFunction } from 'i18next';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';
import { databaseNow, freshTenantOwner, html, parseSse, removeCreatedSince, suiteApp, tenantIdBySlug, type StudioTestApp } from './editor-support.js';
import { randomPng } from '../media/support.js';

interface Session {
  agent: Agent;
  csrf: string;
}

/**
 * The studio's pages through HTTP, on the demo tenant with the offline provider (no AI key): list, new content,
 * editor, versions (edit, compare, restore), submission, modes, roles and tenant isolation. Generation against
 * real provider adapters (the emulator) is in editor-generation.test.ts.
 */
describe('Studio pages (list, new content, editor, versions)', function () {
  this.timeout(60_000);
  let s: StudioTestApp;
  let owner: Session;
  let tenantId: string;
  let fr: TFunction;
  let startedAt: Date;
  const uploaded: { tenantId: string; id: string }[] = [];

  before(async () => {
    s = suiteApp();
    startedAt = await databaseNow(s.cradle);
    owner = await loginAs(s.app, DEMO_OWNER.email, DEMO_OWNER.password);
    tenantId = await tenantIdBySlug(s.cradle, 'boulangerie-martin');
    fr = s.cradle.i18n.getFixedT('fr');
  });

  after(async () => {
    await removeCreatedSince(s.cradle, [tenantId, await tenantIdBySlug(s.cradle, 'velo-atelier-nantes')], startedAt);
    for (const asset of uploaded) await s.cradle.mediaService.delete(asset.tenantId, asset.id);
    await s.dispose();
  });

  const contentRow = (id: string) => s.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ id }).first());
  const versionRows = (id: string) => s.cradle.database.forTenant(tenantId, (trx) => trx('contentVersions').where({ contentId: id }).orderBy('number'));

  async function create(session: Session, fields: Record<string, string | string[]> = {}): Promise<string> {
    const res = await session.agent
      .post('/app/studio')
      .type('form')
      .send({ _csrf: session.csrf, channel: 'linkedin', brief: 'Annoncer le pain au levain du samedi', intent: 'write', ...fields });
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    const match = /^\/app\/studio\/([0-9a-f-]{36})/.exec(res.headers.location);
    expect(match, res.headers.location).to.not.equal(null);
    return match![1];
  }

  function edit(session: Session, id: string, fields: Record<string, string>) {
    return session.agent.post(`/app/studio/${id}/versions`).type('form').send({ _csrf: session.csrf, ...fields });
  }

  describe('the list', () => {
    it('shows the contents with their status, brand-safety verdict and slot in the tenant’s zone, and the way to start', async () => {
      const res = await owner.agent.get('/app/studio');
      expect(res.status).to.equal(200);
      expect(res.text).to.include('<link rel="stylesheet" href="/assets/studio.css">');
      expect(res.text).to.include('href="/app/studio/new"');
      const row = /<tr id="content-[^"]+" data-status="scheduled">[\s\S]*?Nos apprentis[\s\S]*?<\/tr>/.exec(res.text)?.[0] ?? '';
      expect(row, 'the scheduled demo post').to.include(html(fr('studio.status.scheduled')));
      expect(row).to.include(html(fr('studio.brandSafety.status.ok')));
      // seeded at 08:30 in Europe/Paris: shown at that local hour, whatever the server's zone
      expect(row).to.match(/08:30<\/time>/);
      expect(res.text).to.include(html(fr('studio.list.columns.slot', { zone: 'Europe/Paris' })));
      expect(res.text).to.include('id="studio-settings"');
    });

    it('filters by channel, status, campaign and text; HTMX gets the list alone', async () => {
      const sms = await owner.agent.get('/app/studio?channel=sms');
      expect(sms.text).to.include('Rappel galette').and.not.include('Le pain du jour');
      const published = await owner.agent.get('/app/studio?status=published');
      expect(published.text).to.include('Le pain du jour').and.not.include('Nos apprentis');
      const campaign = await s.cradle.database.forTenant(tenantId, (trx) => trx('campaigns').where({ tenantId, utmCampaign: 'galette-des-rois' }).first('id'));
      const inCampaign = await owner.agent.get(`/app/studio?campaign=${campaign.id}`);
      expect(inCampaign.text).to.include('Rappel galette').and.not.include('Nos apprentis');
      const search = await owner.agent.get('/app/studio?q=apprentis').set('HX-Request', 'true');
      expect(search.text.trimStart()).to.match(/^(<%[\s\S]*?%>\s*)?<div id="content-list">/);
      expect(search.text).to.not.include('<html');
      expect(search.text).to.include('Nos apprentis').and.not.include('Le pain du jour');
      const none = await owner.agent.get('/app/studio?q=zzzz-nothing-matches');
      expect(none.text).to.include(html(fr('studio.list.noMatch')));
      // unknown filter values are ignored, not errors
      expect((await owner.agent.get('/app/studio?channel=tiktok&status=nope&campaign=x')).status).to.equal(200);
    });

    it('explains what the studio does to a tenant without contents', async () => {
      const fresh = await freshTenantOwner(s.cradle, s.app);
      const res = await fresh.agent.get('/app/studio');
      expect(res.status).to.equal(200);
      expect(res.text).to.include(html(fr('studio.list.empty.title')));
      expect(res.text).to.include(html(fr('studio.list.empty.what')));
      expect(res.text).to.not.include('id="content-filters"');
    });

    it('sets the tenant’s default mode, which new contents then take', async () => {
      const fresh = await freshTenantOwner(s.cradle, s.app);
      const res = await fresh.agent.post('/app/studio/settings/mode').type('form').send({ _csrf: fresh.csrf, mode: 'manual' });
      expect(res.status).to.equal(303);
      expect((await s.cradle.contentService.tenantDefaults(fresh.tenantId)).defaultContentMode).to.equal('manual');
      const form = await fresh.agent.get('/app/studio/new');
      expect(form.text).to.match(/<input type="radio" name="mode" value="manual" checked>/);
      const id = await create(fresh);
      const row = await s.cradle.database.forTenant(fresh.tenantId, (trx) => trx('contents').where({ id }).first('mode'));
      expect(row.mode).to.equal('manual');

      const htmx = await fresh.agent.post('/app/studio/settings/mode').set('HX-Request', 'true').type('form').send({ _csrf: fresh.csrf, mode: 'auto' });
      expect(htmx.status).to.equal(200);
      expect(htmx.text).to.include('<section id="studio-settings"').and.include(html(fr('studio.settings.saved', { mode: fr('studio.modes.auto') })));
      const bad = await fresh.agent.post('/app/studio/settings/mode').type('form').send({ _csrf: fresh.csrf, mode: 'yolo' });
      expect(bad.status).to.equal(422);
      expect((await s.cradle.contentService.tenantDefaults(fresh.tenantId)).defaultContentMode).to.equal('auto');
    });
  });

  describe('a new content', () => {
    let imageId: string;
    let campaignId: string;

    before(async () => {
      const { asset } = await s.cradle.mediaService.upload(tenantId, { data: await randomPng(), filename: 'fournil.png' });
      uploaded.push({ tenantId, id: asset.id });
      imageId = asset.id;
      campaignId = (await s.cradle.database.forTenant(tenantId, (trx) => trx('campaigns').where({ tenantId, utmCampaign: 'galette-des-rois' }).first('id'))).id;
    });

    it('offers the channels with their limits, the DNA’s tone as placeholder, the campaigns and the library’s images', async () => {
      const res = await owner.agent.get('/app/studio/new');
      expect(res.status).to.equal(200);
      for (const channel of ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms']) expect(res.text).to.include(`<option value="${channel}"`);
      expect(res.text).to.include(html(fr('studio.new.limits.maxChars', { n: new Intl.NumberFormat('fr').format(3000) })));
      expect(res.text).to.include(html(fr('studio.new.limits.sms')));
      expect(res.text).to.include(`<option value="${campaignId}"`);
      expect(res.text).to.include(`src="/app/media/${imageId}/thumbnail"`);
      const dna = await s.cradle.dnaService.current(tenantId);
      if (dna?.content.tone?.summary) expect(res.text).to.include(`placeholder="${html(dna.content.tone.summary)}"`);
      expect(res.text).to.include(html(fr('studio.new.createAndGenerate'))).and.include(html(fr('studio.new.createAndWrite')));
      expect(res.text).to.include('<script src="/assets/studio.js" defer></script>');
    });

    it('creates the content with its brief, tone, campaign, media and slot, then opens the editor (generating when asked)', async () => {
      const res = await owner.agent.post('/app/studio').type('form').send({
        _csrf: owner.csrf,
        channel: 'instagram',
        brief: 'Montrer le fournil au petit matin',
        title: 'Le fournil',
        toneOverride: 'Poétique',
        campaignId,
        mediaIds: imageId,
        mode: 'manual',
        plannedDate: '2027-03-10',
        intent: 'generate',
      });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.match(/^\/app\/studio\/[0-9a-f-]{36}\?generate=1$/);
      const id = res.headers.location.slice('/app/studio/'.length, -'?generate=1'.length);
      const row = await contentRow(id);
      expect(row).to.include({ channel: 'instagram', brief: 'Montrer le fournil au petit matin', title: 'Le fournil', toneOverride: 'Poétique', campaignId, mode: 'manual', status: 'draft' });
      const media = await s.cradle.database.forTenant(tenantId, (trx) => trx('contentMedia').where({ contentId: id }).select('mediaAssetId'));
      expect(media.map((m) => m.mediaAssetId)).to.deep.equal([imageId]);
      const slot = await s.cradle.database.forTenant(tenantId, (trx) => trx('calendarSlots').where({ contentId: id }).first('startsAt', 'source'));
      expect(slot.source).to.equal('manual');
      // that day's best slot, or the first valid one after it (the planner's rule)
      const slotDay = slot.startsAt.toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' });
      expect(slotDay >= '2027-03-10' && slotDay <= '2027-03-17', slotDay).to.equal(true);

      const editor = await owner.agent.get(res.headers.location);
      expect(editor.status).to.equal(200);
      expect(editor.text).to.match(/<form id="generate-form"[^>]*data-generate data-autostart/);
      expect(editor.text).to.include('Le fournil').and.include('Poétique').and.include('Galette des rois');
      // the slot, in the tenant's local time, with a link to that day in the calendar
      expect(editor.text).to.include(`href="/app/calendar?date=${slotDay}"`);
      // once the text exists, the flag no longer starts anything
      await edit(owner, id, { title: 'Le fournil', body: 'Texte écrit à la main.' });
      expect((await owner.agent.get(res.headers.location)).text).to.not.include('data-autostart');
    });

    it('refuses an empty brief (422, in French) and keeps everything typed, selections included', async () => {
      const res = await owner.agent.post('/app/studio').type('form').send({
        _csrf: owner.csrf,
        channel: 'facebook',
        brief: '   ',
        title: 'Mon titre gardé',
        toneOverride: 'Ton gardé',
        campaignId,
        mediaIds: [imageId],
        mode: 'auto',
        plannedDate: '2027-04-01',
        intent: 'generate',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include(html(fr('studio.errors.briefRequired')));
      expect(res.text).to.include('id="new-brief"').and.include('aria-invalid="true"');
      expect(res.text).to.include('value="Mon titre gardé"').and.include('value="Ton gardé"');
      expect(res.text).to.match(/<option value="facebook" data-limits="[^"]*" selected>/);
      expect(res.text).to.include(`<option value="${campaignId}" selected>`);
      expect(res.text).to.include(`id="media-${imageId}" name="mediaIds" value="${imageId}" checked`);
      expect(res.text).to.match(/<input type="radio" name="mode" value="auto" checked>/);
      expect(res.text).to.include('value="2027-04-01"');
      const count = await s.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ title: 'Mon titre gardé' }).count('* as n').first());
      expect(Number(count!.n)).to.equal(0);
    });

    it('refuses a 100 KB brief and an unknown channel with their messages; HTMX gets the form alone', async () => {
      const huge = 'levain '.repeat(15_000); // ≈ 105 000 characters
      const tooLong = await owner.agent.post('/app/studio').type('form').send({ _csrf: owner.csrf, channel: 'linkedin', brief: huge, intent: 'write' });
      expect(tooLong.status).to.equal(422);
      expect(tooLong.text).to.include(html(fr('studio.errors.briefTooLong')));
      expect(tooLong.text).to.include(huge.slice(0, 2000)); // kept, to be shortened by hand

      const unknown = await owner.agent.post('/app/studio').set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, channel: 'tiktok', brief: 'Un brief', intent: 'write' });
      expect(unknown.status).to.equal(422);
      expect(unknown.text.trimStart()).to.match(/^<form id="new-content"/);
      expect(unknown.text).to.include(html(fr('studio.errors.unknownChannel')));
      expect(unknown.text).to.include('>Un brief</textarea>');
    });

    it('speaks the user’s language: the same refusals in English', async () => {
      const fresh = await freshTenantOwner(s.cradle, s.app);
      await fresh.agent.post('/locale').type('form').send({ _csrf: fresh.csrf, locale: 'en', back: '/app/studio' });
      const en = s.cradle.i18n.getFixedT('en');
      const page = await fresh.agent.get('/app/studio/new');
      expect(page.text).to.include(html(en('studio.new.createAndGenerate')));
      const res = await fresh.agent.post('/app/studio').type('form').send({ _csrf: fresh.csrf, channel: 'sms', brief: '', intent: 'write' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include(html(en('studio.errors.briefRequired'))).and.include(html(en('studio.new.limits.sms')));
      const id = await create(fresh, { channel: 'sms', brief: 'A reminder' });
      await s.cradle.database.forTenant(fresh.tenantId, (trx) => trx('contents').where({ id }).update({ status: 'archived' }));
      const refused = await fresh.agent.post(`/app/studio/${id}/generate`).set('Accept', 'text/event-stream').set('X-CSRF-Token', fresh.csrf).send();
      expect(parseSse(refused.text)[0].data).to.deep.equal({ status: 409, message: en('studio.errors.notEditable') });
    });

    it('refuses another tenant’s media and campaign, on their fields', async () => {
      const otherTenant = await tenantIdBySlug(s.cradle, 'velo-atelier-nantes');
      const { asset } = await s.cradle.mediaService.upload(otherTenant, { data: await randomPng(), filename: 'velo.png' });
      uploaded.push({ tenantId: otherTenant, id: asset.id });
      const media = await owner.agent.post('/app/studio').type('form').send({ _csrf: owner.csrf, channel: 'linkedin', brief: 'Brief', mediaIds: asset.id, intent: 'write' });
      expect(media.status).to.equal(422);
      expect(media.text).to.include(html(fr('studio.errors.mediaNotFound'))).and.include('href="#new-mediaIds"');
      const otherCampaign = await s.cradle.database.forTenant(otherTenant, (trx) =>
        trx('campaigns').insert({ tenantId: otherTenant, name: 'Secret', utmCampaign: `secret-${Date.now()}` }).returning('id'),
      );
      const campaign = await owner.agent.post('/app/studio').type('form').send({ _csrf: owner.csrf, channel: 'linkedin', brief: 'Brief', campaignId: otherCampaign[0].id, intent: 'write' });
      expect(campaign.status).to.equal(422);
      expect(campaign.text).to.include(html(fr('studio.errors.campaignNotFound')));
      expect(campaign.text).to.not.include('Secret');
    });
  });

  describe('the editor', () => {
    it('saves each edit as a new version, compares two with <ins>/<del>, and restores one as a new version', async () => {
      const id = await create(owner, { title: 'Versions' });
      const empty = await owner.agent.get(`/app/studio/${id}`);
      expect(empty.text).to.include(html(fr('studio.editor.text.empty')));
      expect(empty.text).to.include(html(fr('studio.editor.generate')));
      expect(empty.text).to.include('<div id="content-approvals" hx-get="/app/approvals/contents/' + id + '/panel" hx-trigger="load" hx-swap="outerHTML"');
      expect(empty.text).to.include('<section id="analysis"').and.include('hx-post="/app/studio/analysis"');

      const first = await edit(owner, id, { title: 'Versions', body: 'Premier jet du texte' });
      expect(first.status).to.equal(303);
      expect(first.headers.location).to.equal(`/app/studio/${id}`);
      const page = await owner.agent.get(`/app/studio/${id}`);
      expect(page.text).to.include(html(fr('studio.editor.saved', { number: 1 })));
      expect(page.text).to.include('Premier jet du texte</textarea>');
      expect(page.text).to.match(/<tr id="version-1"[^>]*aria-current="true">/);
      expect(page.text).to.include('Claire Martin');

      const second = await edit(owner, id, { title: 'Versions', body: 'Premier jet modifié du texte' }).set('HX-Request', 'true');
      expect(second.status).to.equal(200);
      expect(second.text.trimStart()).to.match(/^<div id="editor"/);
      expect(second.text).to.include(html(fr('studio.editor.saved', { number: 2 })));
      await edit(owner, id, { title: 'Versions v3', body: 'Premier texte' });
      const versions = await versionRows(id);
      expect(versions.map((v) => [v.number, v.source, v.body])).to.deep.equal([
        [1, 'edit', 'Premier jet du texte'],
        [2, 'edit', 'Premier jet modifié du texte'],
        [3, 'edit', 'Premier texte'],
      ]);

      const compare = await owner.agent.get(`/app/studio/${id}/compare?a=${versions[0].id}&b=${versions[1].id}`);
      expect(compare.status).to.equal(200);
      expect(compare.text).to.include(`<ins><span class="visually-hidden">${html(fr('studio.compare.sr.added'))} </span>modifié </ins>`);
      const removal = await owner.agent.get(`/app/studio/${id}/compare?a=${versions[1].id}&b=${versions[2].id}`).set('HX-Request', 'true');
      expect(removal.text.trimStart()).to.match(/^<div id="version-diff">/);
      expect(removal.text).to.include(`<del><span class="visually-hidden">${html(fr('studio.compare.sr.removed'))} </span>jet modifié du </del>`);
      expect(removal.text).to.include('<ins><span class="visually-hidden">'); // the title changed too
      // without a choice: the previous version against the newest
      const byDefault = await owner.agent.get(`/app/studio/${id}/compare`);
      expect(byDefault.text).to.include(html(fr('studio.compare.summary', { a: 2, b: 3 })));

      const restored = await owner.agent.post(`/app/studio/${id}/versions/${versions[0].id}/restore`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
      expect(restored.status).to.equal(200);
      expect(restored.text).to.include(html(fr('studio.editor.restored', { from: 1, number: 4 })));
      expect(restored.text).to.include('Premier jet du texte</textarea>');
      const after = await versionRows(id);
      expect(after).to.have.length(4);
      expect(after[3]).to.include({ number: 4, source: 'restore', body: 'Premier jet du texte', title: 'Versions', restoredFromId: versions[0].id });
      expect((await contentRow(id)).currentVersionId).to.equal(after[3].id);
      // the history was not rewritten
      expect(after.slice(0, 3).map((v) => v.body)).to.deep.equal(versions.map((v) => v.body));
    });

    it('refuses an empty text with its message and keeps what was typed', async () => {
      const id = await create(owner);
      const res = await edit(owner, id, { title: 'Titre tapé', body: '  ' }).set('HX-Request', 'true');
      expect(res.status).to.equal(422);
      expect(res.text.trimStart()).to.match(/^<div id="editor"/);
      expect(res.text).to.include(html(fr('studio.errors.bodyRequired')));
      expect(res.text).to.include('value="Titre tapé"');
      expect(await versionRows(id)).to.have.length(0);
    });

    it('shows the channel’s own fields: SEO fields for an article, subject and preheader for a newsletter', async () => {
      const blog = await create(owner, { channel: 'blog' });
      const article = await owner.agent.get(`/app/studio/${blog}`);
      for (const f of ['targetKeyword', 'metaDescription', 'slug']) expect(article.text).to.include(`name="${f}"`);
      expect(article.text).to.not.include('name="subject"');
      await edit(owner, blog, { title: 'Conserver le pain', body: 'Texte', targetKeyword: 'pain au levain', slug: 'conserver-pain' });
      const [version] = await versionRows(blog);
      expect(version.meta).to.include({ targetKeyword: 'pain au levain', slug: 'conserver-pain' });
      const newsletter = await create(owner, { channel: 'newsletter' });
      const letter = await owner.agent.get(`/app/studio/${newsletter}`);
      expect(letter.text).to.include('name="subject"').and.include('name="preheader"').and.not.include('name="slug"');
    });

    it('submits a draft for approval, once it has a text', async () => {
      const id = await create(owner);
      const nothing = await owner.agent.post(`/app/studio/${id}/submit`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
      expect(nothing.status).to.equal(422);
      expect(nothing.text.trimStart()).to.match(/^<div id="editor"/);
      expect(nothing.text).to.include(html(fr('studio.errors.nothingToSubmit')));
      await edit(owner, id, { body: 'Un texte prêt' });
      const page = await owner.agent.get(`/app/studio/${id}`);
      expect(page.text).to.include(`action="/app/studio/${id}/submit"`);
      const res = await owner.agent.post(`/app/studio/${id}/submit`).type('form').send({ _csrf: owner.csrf });
      expect(res.status).to.equal(303);
      expect((await contentRow(id)).status).to.equal('pending_approval');
      const after = await owner.agent.get(`/app/studio/${id}`);
      expect(after.text).to.include(html(fr('studio.editor.submitted')));
      expect(after.text).to.include(`<span class="badge status-pending_approval" id="content-status">${html(fr('studio.status.pending_approval'))}</span>`);
      expect(after.text).to.not.include(`action="/app/studio/${id}/submit"`);
    });

    it('changes the content’s mode and checks its brand safety again', async () => {
      const id = await create(owner);
      const mode = await owner.agent.post(`/app/studio/${id}/mode`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf, mode: 'auto' });
      expect(mode.status).to.equal(200);
      expect(mode.text.trimStart()).to.match(/^<section id="content-mode"/);
      expect(mode.text).to.include(html(fr('studio.modeHelp.auto')));
      expect((await contentRow(id)).mode).to.equal('auto');

      const noText = await owner.agent.post(`/app/studio/${id}/recheck`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
      expect(noText.status).to.equal(422);
      expect(noText.text).to.include(html(fr('studio.errors.nothingToCheck')));
      await edit(owner, id, { body: 'Un texte sans histoire' });
      const recheck = await owner.agent.post(`/app/studio/${id}/recheck`).set('HX-Request', 'true').type('form').send({ _csrf: owner.csrf });
      expect(recheck.status).to.equal(200);
      expect(recheck.text.trimStart()).to.match(/^<section id="brand-safety"/);
      expect(recheck.text).to.include(html(fr('studio.editor.safety.rechecked')));
    });

    it('flags a version that uses a word the DNA bans, and shows the finding', async () => {
      const before = await s.cradle.dnaService.current(tenantId);
      const userId = (await s.cradle.database.asPlatform((trx) => trx('users').where({ email: DEMO_OWNER.email }).first('id'))).id;
      const vocabulary = before?.content.vocabulary;
      await s.cradle.dnaService.edit(tenantId, userId, { vocabulary: { ...(vocabulary ?? {}), banned: [...(vocabulary?.banned ?? []), 'industriel'] } });
      try {
        const id = await create(owner);
        await edit(owner, id, { body: 'Rien à voir avec un pain industriel : ici tout est fait main.' });
        const [version] = await versionRows(id);
        expect(version.brandSafetyStatus).to.equal('flagged');
        const page = await owner.agent.get(`/app/studio/${id}`);
        const panel = /<section id="brand-safety"[\s\S]*?<\/section>/.exec(page.text)?.[0] ?? '';
        expect(panel).to.include(html(fr('studio.brandSafety.status.flagged')));
        expect(panel).to.include(html(fr('studio.brandSafety.kind.banned_word')));
        expect(panel).to.include('<mark>industriel</mark>');
        expect(panel).to.include(html(fr('studio.editor.safety.occurrences', { count: 1 })));
        const list = await owner.agent.get('/app/studio');
        expect(/<tr id="content-[^"]+"[\s\S]*?<\/tr>/g.exec(list.text)?.[0]).to.include('safety-flagged');
      } finally {
        await s.cradle.dnaService.edit(tenantId, userId, { vocabulary: vocabulary ?? undefined });
      }
    });
  });

  describe('generation with the offline provider (no AI key)', () => {
    it('streams the text as Server-Sent Events, then the refreshed editor; a plain post generates and redirects', async () => {
      const id = await create(owner, { brief: 'Les croissants du dimanche' });
      const res = await owner.agent
        .post(`/app/studio/${id}/generate`)
        .set('Accept', 'text/event-stream')
        .set('X-CSRF-Token', owner.csrf)
        .type('form')
        .send({});
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/event-stream/);
      expect(res.headers['cache-control']).to.include('no-cache');
      const events = parseSse(res.text);
      const deltas = events.filter((e) => e.event === 'delta');
      expect(deltas.length).to.be.greaterThan(1);
      expect(events.at(-1)!.event).to.equal('done');
      expect(events.findIndex((e) => e.event === 'done')).to.equal(events.length - 1);
      const done = events.at(-1)!.data as { html: string; version: number; regenerationsLeft: number | null };
      expect(done.version).to.equal(1);
      expect(done.html.trimStart()).to.match(/^<div id="editor"/);
      const [version] = await versionRows(id);
      expect(version).to.include({ number: 1, source: 'generation', modelId: 'offline-composer' });
      // what streamed is what was saved
      expect(deltas.map((e) => (e.data as { text: string }).text).join('').trim()).to.equal(version.body);
      expect(done.html).to.include(html(fr('studio.editor.details.offline')));
      expect(done.html).to.include('<code>offline-composer</code>');
      expect(done.html).to.include(html(fr('studio.editor.regenerate', { count: 5 })));
      expect((await contentRow(id)).status).to.equal('pending_approval'); // semi: the AI wrote, a human approves

      const plain = await owner.agent.post(`/app/studio/${id}/generate`).type('form').send({ _csrf: owner.csrf });
      expect(plain.status).to.equal(303);
      expect(plain.headers.location).to.equal(`/app/studio/${id}`);
      const versions = await versionRows(id);
      expect(versions.map((v) => v.source)).to.deep.equal(['generation', 'regeneration']);
      expect(await s.cradle.contentService.regenerationsLeft(tenantId, id)).to.include({ used: 1, left: 4 });
      const page = await owner.agent.get(`/app/studio/${id}`);
      expect(page.text).to.include(html(fr('studio.generation.done', { number: 2 })));
      expect(page.text).to.include(html(fr('studio.editor.regenerate', { count: 4 })));
    });

    it('refuses a second generation while one runs; the editor says so and refreshes itself', async () => {
      const id = await create(owner);
      await s.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ id }).update({ status: 'generating' }));
      try {
        const page = await owner.agent.get(`/app/studio/${id}`);
        expect(page.text).to.include(`hx-get="/app/studio/${id}" hx-trigger="every 3s" hx-target="#editor" hx-swap="outerHTML">${html(fr('studio.editor.busy'))}`);
        expect(page.text).to.match(/id="generate-button" disabled aria-describedby="generate-why"/);
        const res = await owner.agent.post(`/app/studio/${id}/generate`).set('Accept', 'text/event-stream').set('X-CSRF-Token', owner.csrf).send();
        expect(res.status).to.equal(409);
        expect(parseSse(res.text)[0].data).to.deep.equal({ status: 409, message: fr('studio.errors.generationInProgress') });
      } finally {
        await s.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ id }).update({ status: 'draft' }));
      }
      const refreshed = await owner.agent.get(`/app/studio/${id}`).set('HX-Request', 'true');
      expect(refreshed.text.trimStart()).to.match(/^<div id="editor"/);
      expect(refreshed.text).to.not.include('hx-trigger="every 3s"');
    });

    it('answers a generation the content cannot take with its status and message', async () => {
      const published = await s.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ tenantId, status: 'published' }).first('id'));
      const res = await owner.agent.post(`/app/studio/${published.id}/generate`).set('Accept', 'text/event-stream').set('X-CSRF-Token', owner.csrf).send();
      expect(res.status).to.equal(409);
      const [event] = parseSse(res.text);
      expect(event).to.deep.equal({ event: 'error', data: { status: 409, message: fr('studio.errors.notEditable') } });
      const plain = await owner.agent.post(`/app/studio/${published.id}/generate`).type('form').send({ _csrf: owner.csrf });
      expect(plain.status).to.equal(409);
      expect(plain.text).to.include(html(fr('studio.errors.notEditable'))).and.include('id="editor"');
    });
  });

  describe('roles', () => {
    it('lets a viewer read but not write (403 on every write), and an editor write', async () => {
      const id = await create(owner);
      await edit(owner, id, { body: 'Texte de départ' });
      const [version] = await versionRows(id);
      const viewer = await addTeamMember(s.app, owner, 'client_viewer');
      expect((await viewer.agent.get('/app/studio')).status).to.equal(200);
      const page = await viewer.agent.get(`/app/studio/${id}`);
      expect(page.status).to.equal(200);
      expect(page.text).to.not.include('id="generate-form"').and.not.include(html(fr('studio.editor.save')));
      expect(page.text).to.include('readonly');
      expect((await viewer.agent.get(`/app/studio/${id}/compare`)).status).to.equal(200);
      expect((await viewer.agent.get('/app/studio/campaigns')).status).to.equal(200);
      expect((await viewer.agent.get('/app/studio/new')).status).to.equal(403);
      const writes: [string, Record<string, string>][] = [
        ['/app/studio', { channel: 'linkedin', brief: 'x' }],
        ['/app/studio/settings/mode', { mode: 'auto' }],
        ['/app/studio/campaigns', { name: 'Interdit' }],
        [`/app/studio/${id}/generate`, {}],
        [`/app/studio/${id}/versions`, { body: 'x' }],
        [`/app/studio/${id}/versions/${version.id}/restore`, {}],
        [`/app/studio/${id}/submit`, {}],
        [`/app/studio/${id}/mode`, { mode: 'auto' }],
        [`/app/studio/${id}/recheck`, {}],
      ];
      for (const [url, body] of writes) {
        const res = await viewer.agent.post(url).type('form').send({ _csrf: viewer.csrf, ...body });
        expect(res.status, url).to.equal(403);
      }
      expect(await versionRows(id)).to.have.length(1);

      const editor = await addTeamMember(s.app, owner, 'client_editor');
      const created = await create(editor, { brief: 'Brief de l’éditrice' });
      expect((await edit(editor, created, { body: 'Texte de l’éditrice' })).status).to.equal(303);
      expect((await editor.agent.post(`/app/studio/${created}/submit`).type('form').send({ _csrf: editor.csrf })).status).to.equal(303);
    });
  });

  describe('tenant isolation', () => {
    it('answers 404 on every route for another tenant’s content and version, as for a malformed id', async () => {
      const id = await create(owner);
      await edit(owner, id, { body: 'Texte privé de la boulangerie' });
      const [version] = await versionRows(id);
      const other = await loginAs(s.app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      const reads = [`/app/studio/${id}`, `/app/studio/${id}/compare`, `/app/studio/${id}/compare?a=${version.id}&b=${version.id}`, '/app/studio/not-a-uuid'];
      for (const url of reads) {
        const res = await other.agent.get(url);
        expect(res.status, url).to.equal(404);
        expect(res.text).to.not.include('Texte privé');
      }
      const writes = [
        `/app/studio/${id}/generate`,
        `/app/studio/${id}/versions`,
        `/app/studio/${id}/versions/${version.id}/restore`,
        `/app/studio/${id}/submit`,
        `/app/studio/${id}/mode`,
        `/app/studio/${id}/recheck`,
      ];
      for (const url of writes) {
        const res = await other.agent.post(url).type('form').send({ _csrf: other.csrf, body: 'pris', mode: 'auto' });
        expect(res.status, url).to.equal(404);
      }
      const streamed = await other.agent.post(`/app/studio/${id}/generate`).set('Accept', 'text/event-stream').set('X-CSRF-Token', other.csrf).send();
      expect(streamed.status).to.equal(404);
      expect(parseSse(streamed.text)[0].event).to.equal('error');
      // own content, another content's version: not found either
      const mine = await create(owner);
      expect((await owner.agent.get(`/app/studio/${mine}/compare?a=${version.id}&b=${version.id}`)).status).to.equal(404);
      expect((await owner.agent.post(`/app/studio/${mine}/versions/${version.id}/restore`).type('form').send({ _csrf: owner.csrf })).status).to.equal(404);
      // nothing changed
      expect(await versionRows(id)).to.have.length(1);
      expect((await contentRow(id)).mode).to.equal('semi');
      const list = await other.agent.get('/app/studio');
      expect(list.text).to.not.include(id);
    });
  });
});
