import { expect } from 'chai';
import { DEMO_OWNER_2, loginAs } from '../../../support/http.js';
import {
  approvalRows,
  banWord,
  contentRow,
  cradle,
  createCampaign,
  createTeam,
  form,
  html,
  pendingContent,
  session,
  setSlot,
  slotRow,
  versionRow,
  app,
  type Team,
} from './approval-support.js';

const HOUR = 3_600_000;

describe('calendar/approval queue (team)', function () {
  this.timeout(60_000);
  let team: Team;

  before(async () => {
    team = await createTeam();
  });

  const post = (who: 'owner' | 'editor' | 'viewer', path: string, fields: Record<string, unknown> = {}, htmx = true) => {
    const s = team[who];
    const req = s.agent.post(path).type('form').send(form(s, fields));
    return htmx ? req.set('HX-Request', 'true') : req;
  };

  describe('the queue page', () => {
    it('lists waiting contents soonest slot first, with channel, local slot, brand-safety badge and regenerations left', async () => {
      const later = await pendingContent(team.tenantId, team.owner.userId, { channel: 'facebook', title: 'Plus tard' });
      const sooner = await pendingContent(team.tenantId, team.owner.userId, { channel: 'linkedin', title: 'Bientôt' });
      const soonAt = new Date(Date.now() + 26 * HOUR);
      await setSlot(team.tenantId, sooner.id, soonAt);
      await setSlot(team.tenantId, later.id, new Date(Date.now() + 5 * 24 * HOUR));

      const res = await team.owner.agent.get('/app/approvals');
      expect(res.status).to.equal(200);
      const a = res.text.indexOf(`id="approval-${sooner.id}"`);
      const b = res.text.indexOf(`id="approval-${later.id}"`);
      expect(a).to.be.greaterThan(-1);
      expect(b).to.be.greaterThan(a);
      const card = res.text.slice(a, b);
      expect(card).to.include('LinkedIn');
      const local = new Intl.DateTimeFormat('fr', { timeZone: 'Europe/Paris', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(soonAt);
      expect(card).to.include(local);
      expect(card).to.include('Conforme');
      expect(card).to.match(/\d+ régénérations? restantes?/);
      expect(card).to.include(`/app/approvals/contents/${sooner.id}/approve`);
      expect(card).to.include(`href="/app/studio/${sooner.id}"`);
      expect(res.text).to.include('id="reviewer-links"');
    });

    it('filters by channel and campaign, and returns only the queue fragment to HTMX', async () => {
      const campaignId = await createCampaign(team.tenantId, 'Soldes d’hiver');
      const inCampaign = await pendingContent(team.tenantId, team.owner.userId, { channel: 'instagram', campaignId });
      const other = await pendingContent(team.tenantId, team.owner.userId, { channel: 'x' });
      const byChannel = await team.owner.agent.get('/app/approvals?channel=instagram').set('HX-Request', 'true');
      expect(byChannel.status).to.equal(200);
      expect(byChannel.text).to.match(/^<div id="approval-queue">/);
      expect(byChannel.text).to.include(`approval-${inCampaign.id}`);
      expect(byChannel.text).not.to.include(`approval-${other.id}`);
      const byCampaign = await team.owner.agent.get(`/app/approvals?campaign=${campaignId}`);
      expect(byCampaign.text).to.include(`approval-${inCampaign.id}`);
      expect(byCampaign.text).not.to.include(`approval-${other.id}`);
      // a stale value in a shared URL is simply ignored
      expect((await team.owner.agent.get('/app/approvals?channel=fax&campaign=nope')).status).to.equal(200);
    });

    it('shows the queue read-only to a viewer, without decision buttons to an editor, and nothing of another tenant', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const viewer = await team.viewer.agent.get('/app/approvals');
      expect(viewer.status).to.equal(200);
      expect(viewer.text).to.include(`approval-${item.id}`);
      expect(viewer.text).not.to.include(`/app/approvals/contents/${item.id}/approve`);
      expect(viewer.text).not.to.include(`/app/approvals/contents/${item.id}/comment`);
      expect(viewer.text).not.to.include('id="reviewer-links"');
      const editor = await team.editor.agent.get('/app/approvals');
      expect(editor.text).not.to.include(`/app/approvals/contents/${item.id}/approve`);
      expect(editor.text).not.to.include(`/app/approvals/contents/${item.id}/reject`);
      expect(editor.text).to.include(`/app/approvals/contents/${item.id}/comment`);
      expect(editor.text).to.include(`/app/approvals/contents/${item.id}/regenerate`);
      const stranger = await loginAs(app(), DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      expect((await stranger.agent.get('/app/approvals')).text).not.to.include(item.id);
    });
  });

  describe('approve', () => {
    it('schedules the content on its confirmed slot and records who approved which version', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const before = await slotRow(team.tenantId, item.id);
      const res = await post('owner', `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId });
      expect(res.status).to.equal(200);
      expect(res.text).to.match(new RegExp(`^<article id="approval-${item.id}"`));
      expect(res.text).to.include('Contenu validé');
      const content = await contentRow(team.tenantId, item.id);
      const slot = await slotRow(team.tenantId, item.id);
      expect(content.status).to.equal('scheduled');
      expect(slot!.status).to.equal('confirmed');
      expect(slot!.startsAt.getTime()).to.equal(before!.startsAt.getTime());
      expect(content.scheduledAt.getTime()).to.equal(slot!.startsAt.getTime());
      const [row] = await approvalRows(team.tenantId, item.id);
      expect(row).to.include({ decision: 'approved', actorKind: 'user', decidedBy: team.owner.userId, actorName: 'Claire Martin', contentVersionId: item.versionId, overrodeBrandSafety: false });
    });

    it('moves a content whose slot has passed to the next free slot before confirming it', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId, { channel: 'facebook' });
      await setSlot(team.tenantId, item.id, new Date(Date.now() - 2 * HOUR));
      const res = await post('owner', `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId }, false);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/app/approvals');
      const slot = await slotRow(team.tenantId, item.id);
      const content = await contentRow(team.tenantId, item.id);
      expect(slot!.status).to.equal('confirmed');
      expect(slot!.startsAt.getTime()).to.be.greaterThan(Date.now());
      expect(content).to.include({ status: 'scheduled' });
      expect(content.scheduledAt.getTime()).to.equal(slot!.startsAt.getTime());
    });

    it('gives a content without a slot a confirmed one', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId, { channel: 'instagram' });
      await cradle().database.forTenant(team.tenantId, (trx) => trx('calendarSlots').where({ contentId: item.id }).delete());
      expect((await post('owner', `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId })).status).to.equal(200);
      const slot = await slotRow(team.tenantId, item.id);
      expect(slot).to.include({ status: 'confirmed', channel: 'instagram' });
      expect((await contentRow(team.tenantId, item.id)).scheduledAt.getTime()).to.equal(slot!.startsAt.getTime());
    });

    it('refuses a version that is no longer the current one (409: the text changed)', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      await cradle().contentService.edit(team.tenantId, item.id, team.editor.userId, { body: 'Texte corrigé entre-temps.' });
      const res = await post('owner', `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId });
      expect(res.status).to.equal(409);
      expect(res.text).to.include(html('Le texte a changé depuis que vous l’avez ouvert'));
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
      expect(await approvalRows(team.tenantId, item.id)).to.have.length(0);
    });

    it('refuses a content that no longer waits, and a malformed or missing version with a clear error', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      expect((await post('owner', `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId })).status).to.equal(200);
      const again = await post('owner', `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId });
      expect(again.status).to.equal(409);
      expect(again.text).to.include(html('n’attend plus de validation'));
      const other = await pendingContent(team.tenantId, team.owner.userId);
      const missing = await post('owner', `/app/approvals/contents/${other.id}/approve`, {});
      expect(missing.status).to.equal(422);
      expect(missing.text).to.include('Version manquante');
      expect((await post('owner', '/app/approvals/contents/not-an-id/approve', { versionId: other.versionId })).status).to.equal(404);
    });

    it('needs an explicit override for a flagged version, and records it on the approval and the version', async () => {
      const flaggedTeam = await createTeam();
      await banWord(flaggedTeam.tenantId, flaggedTeam.owner.userId, 'industriel');
      const item = await pendingContent(flaggedTeam.tenantId, flaggedTeam.owner.userId, { body: 'Un pain industriel ? Jamais chez nous.' });
      expect((await versionRow(flaggedTeam.tenantId, item.versionId)).brandSafetyStatus).to.equal('flagged');
      const page = await flaggedTeam.owner.agent.get('/app/approvals');
      expect(page.text).to.include('À revoir');
      expect(page.text).to.include('Mot interdit');
      expect(page.text).to.include('name="overrideBrandSafety"');

      const owner = flaggedTeam.owner;
      const refused = await owner.agent.post(`/app/approvals/contents/${item.id}/approve`).set('HX-Request', 'true').type('form').send(form(owner, { versionId: item.versionId }));
      expect(refused.status).to.equal(409);
      expect(refused.text).to.include('vérification de conformité a relevé un problème');
      expect((await contentRow(flaggedTeam.tenantId, item.id)).status).to.equal('pending_approval');

      const ok = await owner.agent.post(`/app/approvals/contents/${item.id}/approve`).set('HX-Request', 'true').type('form').send(form(owner, { versionId: item.versionId, overrideBrandSafety: 'on' }));
      expect(ok.status).to.equal(200);
      const [row] = await approvalRows(flaggedTeam.tenantId, item.id);
      expect(row).to.include({ decision: 'approved', overrodeBrandSafety: true, decidedBy: owner.userId });
      const version = await versionRow(flaggedTeam.tenantId, item.versionId);
      expect(version.brandSafetyOverriddenBy).to.equal(owner.userId);
      expect(version.brandSafetyOverriddenAt).to.be.instanceOf(Date);
      const panel = await owner.agent.get(`/app/approvals/contents/${item.id}/panel`).set('HX-Request', 'true');
      expect(panel.text).to.include('malgré l’alerte de conformité');
    });

    it('lets exactly one of two simultaneous approvers win', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const second = await createTeamOwner();
      const results = await Promise.all([
        post('owner', `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId }),
        second.agent.post(`/app/approvals/contents/${item.id}/approve`).set('HX-Request', 'true').type('form').send({ _csrf: second.csrf, versionId: item.versionId }),
      ]);
      expect(results.map((r) => r.status).sort()).to.deep.equal([200, 409]);
      expect((await approvalRows(team.tenantId, item.id)).filter((r) => r.decision === 'approved')).to.have.length(1);
    });

    it('is refused to an editor and a viewer (403), and another tenant’s content is not found', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      for (const who of ['editor', 'viewer'] as const) {
        expect((await post(who, `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId })).status).to.equal(403);
        expect((await post(who, `/app/approvals/contents/${item.id}/reject`, { versionId: item.versionId, comment: 'Non' })).status).to.equal(403);
      }
      const stranger = await loginAs(app(), DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      const res = await stranger.agent.post(`/app/approvals/contents/${item.id}/approve`).type('form').send({ _csrf: stranger.csrf, versionId: item.versionId });
      expect(res.status).to.equal(404);
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
    });
  });

  describe('reject', () => {
    it('needs a comment (422 in French, the form kept open with what was typed)', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const empty = await post('owner', `/app/approvals/contents/${item.id}/reject`, { versionId: item.versionId, comment: '   ' });
      expect(empty.status).to.equal(422);
      expect(empty.text).to.include('Expliquez votre décision en quelques mots.');
      expect(empty.text).to.match(new RegExp(`^<article id="approval-${item.id}"`));
      const long = 'x'.repeat(2001);
      const tooLong = await post('owner', `/app/approvals/contents/${item.id}/reject`, { versionId: item.versionId, comment: long });
      expect(tooLong.status).to.equal(422);
      expect(tooLong.text).to.include('Le commentaire est trop long');
      expect(tooLong.text).to.include(`>${long}</textarea>`);
      // without HTMX: the whole page, with the card's form in error
      const page = await post('owner', `/app/approvals/contents/${item.id}/reject`, { versionId: item.versionId, comment: '' }, false);
      expect(page.status).to.equal(422);
      expect(page.text).to.include('<h1>Validations</h1>');
      expect(page.text).to.include('Expliquez votre décision en quelques mots.');
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
    });

    it('sends the content back to draft with the reason kept on the content', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const res = await post('owner', `/app/approvals/contents/${item.id}/reject`, { versionId: item.versionId, comment: 'Le ton est trop <formel>.' });
      expect(res.status).to.equal(200);
      expect(res.text).to.include('reparti en brouillon');
      expect(res.text).to.include('Le ton est trop &lt;formel&gt;.');
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('draft');
      expect((await slotRow(team.tenantId, item.id))!.status).to.equal('proposed');
      const [row] = await approvalRows(team.tenantId, item.id);
      expect(row).to.include({ decision: 'rejected', comment: 'Le ton est trop <formel>.', actorKind: 'user', decidedBy: team.owner.userId, contentVersionId: item.versionId });
      // the author can submit it again after a fix
      await cradle().contentService.edit(team.tenantId, item.id, team.editor.userId, { body: 'Version plus chaleureuse.' });
      await cradle().contentService.submitForApproval(team.tenantId, item.id);
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
    });
  });

  describe('comment, regenerate, quick edit', () => {
    it('lets an editor comment without changing the status; an empty comment is a 422; a viewer gets 403', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const res = await post('editor', `/app/approvals/contents/${item.id}/comment`, { comment: 'Ajoutons l’horaire du samedi ?' });
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Commentaire publié.');
      expect(res.text).to.include(html('Ajoutons l’horaire du samedi ?'));
      const [row] = await approvalRows(team.tenantId, item.id);
      expect(row).to.include({ decision: 'commented', actorKind: 'user', decidedBy: team.editor.userId, contentVersionId: item.versionId });
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
      expect((await post('editor', `/app/approvals/contents/${item.id}/comment`, { comment: '' })).status).to.equal(422);
      expect((await post('viewer', `/app/approvals/contents/${item.id}/comment`, { comment: 'Bof' })).status).to.equal(403);
    });

    it('regenerates at an editor’s request (a new version, the request kept), and shows the plan’s cap when reached', async () => {
      const capped = await createTeam({ plan: 'starter' });
      const item = await pendingContent(capped.tenantId, capped.owner.userId);
      const editor = capped.editor;
      const regen = (versionId: string) =>
        editor.agent.post(`/app/approvals/contents/${item.id}/regenerate`).set('HX-Request', 'true').type('form').send(form(editor, { versionId }));
      const first = await regen(item.versionId);
      expect(first.status).to.equal(200);
      const versions = await cradle().contentService.versions(capped.tenantId, item.id);
      expect(versions[0]).to.include({ number: 2, source: 'generation' });
      const rows = await approvalRows(capped.tenantId, item.id);
      expect(rows.map((r) => r.decision)).to.deep.equal(['regeneration_requested']);
      expect(rows[0]).to.include({ contentVersionId: item.versionId, decidedBy: editor.userId });
      // the plan's cap: 3 regenerations of a generated text
      let current = versions[0].id;
      for (let i = 0; i < 3; i++) {
        await cradle().contentService.generateNow(capped.tenantId, item.id, editor.userId);
        current = (await contentRow(capped.tenantId, item.id)).currentVersionId;
      }
      const refused = await regen(current);
      expect(refused.status).to.equal(409);
      expect(refused.text).to.include('alert');
      expect((await approvalRows(capped.tenantId, item.id)).filter((r) => r.decision === 'regeneration_requested')).to.have.length(1);
      expect((await post('viewer', `/app/approvals/contents/${item.id}/regenerate`, { versionId: current })).status).to.equal(403);
    });

    it('quick-edits from the queue (a new version, still waiting), keeping what was typed on a 422', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId, { title: 'Vitrine' });
      const bad = await post('editor', `/app/approvals/contents/${item.id}/edit`, { versionId: item.versionId, title: 'Nouveau titre tapé', body: '  ' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('Le texte est vide.');
      expect(bad.text).to.include('value="Nouveau titre tapé"');
      const ok = await post('editor', `/app/approvals/contents/${item.id}/edit`, { versionId: item.versionId, title: 'Vitrine', body: 'Texte corrigé depuis la file.' });
      expect(ok.status).to.equal(200);
      expect(ok.text).to.include('Texte corrigé depuis la file.');
      const content = await contentRow(team.tenantId, item.id);
      expect(content.status).to.equal('pending_approval');
      expect(content.currentVersionId).not.to.equal(item.versionId);
      const stale = await post('editor', `/app/approvals/contents/${item.id}/edit`, { versionId: item.versionId, body: 'Écrase ?' });
      expect(stale.status).to.equal(409);
      expect((await post('viewer', `/app/approvals/contents/${item.id}/edit`, { versionId: content.currentVersionId, body: 'Non' })).status).to.equal(403);
    });
  });

  describe('auto mode', () => {
    it('approves a safe text automatically as Cadence, on its slot', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId, { mode: 'auto' });
      const content = await contentRow(team.tenantId, item.id);
      expect(content.status).to.equal('scheduled');
      expect((await slotRow(team.tenantId, item.id))!.status).to.equal('confirmed');
      const [row] = await approvalRows(team.tenantId, item.id);
      expect(row).to.include({ decision: 'approved', actorKind: 'system', actorName: 'Cadence (automatique)', decidedBy: null, contentVersionId: item.versionId });
      const panel = await team.viewer.agent.get(`/app/approvals/contents/${item.id}/panel`).set('HX-Request', 'true');
      expect(panel.text).to.include('Cadence (validation automatique)');
    });

    it('leaves a flagged text, a stale version or a content that no longer waits alone', async () => {
      const flaggedTeam = await createTeam();
      await banWord(flaggedTeam.tenantId, flaggedTeam.owner.userId, 'surgelé');
      const flagged = await pendingContent(flaggedTeam.tenantId, flaggedTeam.owner.userId, { mode: 'auto', body: 'Rien de surgelé ici.' });
      expect((await contentRow(flaggedTeam.tenantId, flagged.id)).status).to.equal('pending_approval');
      const gate = cradle().approvalGate;
      await gate.approveAutomatically(flaggedTeam.tenantId, flagged.id, flagged.versionId);
      expect((await contentRow(flaggedTeam.tenantId, flagged.id)).status).to.equal('pending_approval');

      const item = await pendingContent(team.tenantId, team.owner.userId);
      const { version } = await cradle().contentService.edit(team.tenantId, item.id, team.owner.userId, { body: 'Nouvelle version.' });
      await gate.approveAutomatically(team.tenantId, item.id, item.versionId);
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
      await gate.approveAutomatically(team.tenantId, item.id, version.id);
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('scheduled');
      await gate.approveAutomatically(team.tenantId, item.id, version.id);
      expect(await approvalRows(team.tenantId, item.id)).to.have.length(1);
    });
  });

  describe('the approval panel and private notes', () => {
    it('shows the decision history and notes (not the generation details, which the editor shows) in a fragment rooted at #content-approvals', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      await post('editor', `/app/approvals/contents/${item.id}/comment`, { comment: 'Première remarque' });
      const panel = await team.owner.agent.get(`/app/approvals/contents/${item.id}/panel`).set('HX-Request', 'true');
      expect(panel.status).to.equal(200);
      expect(panel.text).to.match(/^<section id="content-approvals"/);
      expect(panel.text).to.include('Éric Rédacteur');
      expect(panel.text).to.include('a commenté');
      expect(panel.text).to.include('Première remarque');
      expect(panel.text).to.include('v1');
      expect(panel.text).not.to.include('Présenter la nouvelle vitrine'); // the brief is the editor's
      expect(panel.text).to.include(`/app/approvals/contents/${item.id}/approve`);
      const viewerPanel = await team.viewer.agent.get(`/app/approvals/contents/${item.id}/panel`).set('HX-Request', 'true');
      expect(viewerPanel.text).not.to.include(`/app/approvals/contents/${item.id}/approve`);
      expect(viewerPanel.text).not.to.include(`/app/approvals/contents/${item.id}/notes"`);
      // embedded in a queue card: its own id, no second set of decision buttons
      const inQueue = await team.owner.agent.get(`/app/approvals/contents/${item.id}/panel?place=queue`).set('HX-Request', 'true');
      expect(inQueue.text).to.match(new RegExp(`^<section id="content-approvals-${item.id}"`));
      expect(inQueue.text).not.to.include(`/app/approvals/contents/${item.id}/approve`);
      // a full page without HTMX
      expect((await team.owner.agent.get(`/app/approvals/contents/${item.id}/panel`)).text).to.include('<h1>');
    });

    it('approves and rejects from the panel, answering with the panel', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const bad = await post('owner', `/app/approvals/contents/${item.id}/reject`, { versionId: item.versionId, comment: '', from: 'panel' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.match(/^<section id="content-approvals"/);
      expect(bad.text).to.include('Expliquez votre décision');
      const ok = await post('owner', `/app/approvals/contents/${item.id}/approve`, { versionId: item.versionId, from: 'panel' });
      expect(ok.status).to.equal(200);
      expect(ok.text).to.match(/^<section id="content-approvals"/);
      expect(ok.text).to.include('a validé');
    });

    it('keeps notes private to the team: an editor adds them, only their author deletes them, a viewer cannot write', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const added = await post('editor', `/app/approvals/contents/${item.id}/notes`, { body: 'Vérifier l’adresse <b>exacte</b>.' });
      expect(added.status).to.equal(200);
      expect(added.text).to.include('Vérifier l’adresse &lt;b&gt;exacte&lt;/b&gt;.');
      const empty = await post('editor', `/app/approvals/contents/${item.id}/notes`, { body: ' ' });
      expect(empty.status).to.equal(422);
      expect(empty.text).to.include('La note est vide.');
      expect((await post('viewer', `/app/approvals/contents/${item.id}/notes`, { body: 'Moi aussi' })).status).to.equal(403);
      const [note] = await cradle().approvalService.notes(team.tenantId, item.id);
      expect(note).to.include({ authorId: team.editor.userId, versionNumber: 1 });
      expect((await post('owner', `/app/approvals/contents/${item.id}/notes/${note.id}/delete`)).status).to.equal(403);
      const deleted = await post('editor', `/app/approvals/contents/${item.id}/notes/${note.id}/delete`);
      expect(deleted.status).to.equal(200);
      expect(await cradle().approvalService.notes(team.tenantId, item.id)).to.have.length(0);
    });

    it('hides another tenant’s notes and panel (404), like a malformed id', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      await post('editor', `/app/approvals/contents/${item.id}/notes`, { body: 'Note interne confidentielle' });
      const stranger = await loginAs(app(), DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      expect((await stranger.agent.get(`/app/approvals/contents/${item.id}/panel`)).status).to.equal(404);
      const write = await stranger.agent.post(`/app/approvals/contents/${item.id}/notes`).type('form').send({ _csrf: stranger.csrf, body: 'Intrusion' });
      expect(write.status).to.equal(404);
      expect((await team.owner.agent.get('/app/approvals/contents/123/panel')).status).to.equal(404);
      const strangerTenant = (await cradle().database.asPlatform((trx) => trx('tenants').where({ slug: 'velo-atelier-nantes' }).first('id'))).id;
      expect(await cradle().approvalService.notes(strangerTenant, item.id)).to.have.length(0);
      expect(await cradle().approvalService.notes(team.tenantId, item.id)).to.have.length(1);
    });
  });

  /** A second owner of the same tenant (for the race). */
  function createTeamOwner() {
    return session(team.tenantId, 'client_owner', 'Second Propriétaire');
  }
});
