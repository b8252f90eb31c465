import crypto from 'node:crypto';
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../../../src/app.js';
import { REVIEW_RATE } from '../../../../src/modules/calendar/approval-domain.js';
import { csrfOf, DEMO_OWNER_2, loginAs } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import {
  app,
  approvalRows,
  banWord,
  contentRow,
  cradle,
  createCampaign,
  createTeam,
  form,
  html,
  pendingContent,
  sandboxMails,
  setSlot,
  slotRow,
  type Session,
  type Team,
} from './approval-support.js';

const DAY = 86_400_000;

/** Creates a link through the queue's form; returns the token shown once. */
async function createLink(owner: Session, fields: Record<string, unknown>): Promise<{ token: string; res: supertest.Response }> {
  const res = await owner.agent
    .post('/app/approvals/links')
    .set('HX-Request', 'true')
    .type('form')
    .send(form(owner, { canApprove: 'on', expiresInDays: '7', locale: 'fr', ...fields }));
  const match = /\/review\/([A-Za-z0-9_-]{43})"/.exec(res.text);
  return { token: match ? match[1] : '', res };
}

function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

/** A reviewer's browser: no account, cookies kept; its CSRF token read from the review page. */
async function reviewer(token: string): Promise<{ agent: ReturnType<typeof supertest.agent>; csrf: string }> {
  const agent = supertest.agent(app());
  return { agent, csrf: await csrfOf(agent, `/review/${token}`) };
}

describe('calendar/reviewer links', function () {
  this.timeout(60_000);
  let team: Team;

  before(async () => {
    team = await createTeam({ name: 'Boulangerie <Dupont>' });
  });

  describe('creating and listing links (team)', () => {
    it('creates a link shown once, stores only its hash, and e-mails it in the link’s language (escaped)', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const { token, res } = await createLink(team.owner, { reviewerName: 'Marie <Cliente>', reviewerEmail: 'marie@client.test', scope: 'contents', contentIds: item.id });
      expect(res.status).to.equal(201);
      expect(res.headers['cache-control']).to.include('no-store');
      expect(res.text).to.match(/^<section id="reviewer-links"/);
      expect(token).to.have.length(43);
      expect(res.text).to.include('Copiez-le maintenant');
      expect(res.text).to.include('Il a été envoyé à marie@client.test.');

      const [link] = await cradle().database.forTenant(team.tenantId, (trx) => trx('approvalLinks').where({ reviewerEmail: 'marie@client.test' }));
      expect(link.tokenHash).to.equal(sha256(token));
      expect(JSON.stringify(link)).not.to.include(token);
      expect(link).to.include({ scope: 'contents', canApprove: true, locale: 'fr', createdBy: team.owner.userId });
      const days = (link.expiresAt.getTime() - Date.now()) / DAY;
      expect(days).to.be.within(6.99, 7.01);

      const mails = await sandboxMails(team.tenantId, 'approval_link');
      const mail = mails.find((m) => m.recipient === 'marie@client.test')!;
      expect(mail.payload.subject).to.equal('Claire Martin vous demande de relire des contenus de Boulangerie <Dupont>');
      expect(mail.payload.text).to.include(`/review/${token}`);
      expect(mail.payload.text).to.include('Bonjour Marie <Cliente>,');
      expect(mail.payload.html).to.include(`/review/${token}`);
      expect(mail.payload.html).to.include('Marie &lt;Cliente&gt;');
      expect(mail.payload.html).not.to.include('<Cliente>');

      // the list shows it (never the token again) with a revoke button
      const page = await team.owner.agent.get('/app/approvals');
      expect(page.text).to.include('Marie &lt;Cliente&gt;');
      expect(page.text).to.include(`/app/approvals/links/${link.id}/revoke`);
      expect(page.text).not.to.include(token);
    });

    it('sends the e-mail in English for an English link', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      // a plain form post (no HTMX) gets the whole page, with the link shown once
      const res = await team.owner.agent
        .post('/app/approvals/links')
        .type('form')
        .send(form(team.owner, { reviewerName: 'John', reviewerEmail: 'john@client.test', scope: 'contents', contentIds: item.id, locale: 'en', canApprove: 'on' }));
      expect(res.status).to.equal(201);
      expect(res.text).to.include('<h1>Validations</h1>');
      expect(res.text).to.match(/id="created-link" readonly value="http:\/\/[^"]+\/review\/[A-Za-z0-9_-]{43}"/);
      const mail = (await sandboxMails(team.tenantId, 'approval_link')).find((m) => m.recipient === 'john@client.test')!;
      expect(mail.payload.subject).to.equal('Claire Martin asks you to review Boulangerie <Dupont>\'s contents');
      expect(mail.payload.text).to.include('Hello John,');
    });

    it('refuses bad input with clear errors in French, keeping what was typed', async () => {
      const noName = await createLink(team.owner, { reviewerName: '', scope: 'contents', reviewerEmail: 'pas-un-email' });
      expect(noName.res.status).to.equal(422);
      expect(noName.res.text).to.include('Indiquez le nom du relecteur.');
      expect(noName.res.text).to.include('Adresse e-mail invalide.');
      expect(noName.res.text).to.include('value="pas-un-email"');
      const noContents = await createLink(team.owner, { reviewerName: 'Paul', scope: 'contents' });
      expect(noContents.res.text).to.include('Cochez au moins un contenu.');
      const badPeriod = await createLink(team.owner, { reviewerName: 'Paul', scope: 'period', periodStart: '2030-05-10', periodEnd: '2030-05-01' });
      expect(badPeriod.res.status).to.equal(422);
      expect(badPeriod.res.text).to.include('La fin de la période doit suivre son début.');
      const tooLong = await createLink(team.owner, { reviewerName: 'Paul', scope: 'campaign', expiresInDays: '31' });
      expect(tooLong.res.text).to.include('Choisissez une campagne.');
      expect(tooLong.res.text).to.include('entre 1 et 30 jours');
      // another tenant's content cannot be put in a link
      const foreign = await pendingContent(team.tenantId, team.owner.userId);
      const stranger = await loginAs(app(), DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      const res = await stranger.agent.post('/app/approvals/links').set('HX-Request', 'true').type('form').send({ _csrf: stranger.csrf, reviewerName: 'X', scope: 'contents', contentIds: foreign.id, locale: 'fr' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('Un des contenus choisis n’existe pas.');
    });

    it('is reserved to those who may approve (editor and viewer: 403)', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      for (const who of [team.editor, team.viewer]) {
        const res = await who.agent.post('/app/approvals/links').type('form').send(form(who, { reviewerName: 'X', scope: 'contents', contentIds: item.id }));
        expect(res.status).to.equal(403);
      }
    });
  });

  describe('the reviewer’s page', () => {
    it('shows only the items in scope that wait (no notes), in the link’s language, not indexed and without referrer', async () => {
      const inScope = await pendingContent(team.tenantId, team.owner.userId, { title: 'Dans le lien', body: 'Texte à relire <em>tel quel</em>.' });
      const outOfScope = await pendingContent(team.tenantId, team.owner.userId, { title: 'Hors du lien' });
      const approved = await pendingContent(team.tenantId, team.owner.userId, { title: 'Déjà validé' });
      await cradle().approvalService.approve(team.tenantId, { kind: 'user', userId: team.owner.userId, name: 'Claire', locale: 'fr' }, approved.id, { versionId: approved.versionId });
      await cradle().approvalService.addNote(team.tenantId, { kind: 'user', userId: team.editor.userId, name: 'Éric', locale: 'fr' }, inScope.id, { body: 'Note interne secrète' });
      const { token } = await createLink(team.owner, { reviewerName: 'Jane', scope: 'contents', contentIds: [inScope.id, approved.id], locale: 'en' });

      const res = await supertest(app()).get(`/review/${token}`);
      expect(res.status).to.equal(200);
      expect(res.headers['x-robots-tag']).to.include('noindex');
      expect(res.headers['referrer-policy']).to.equal('no-referrer');
      expect(res.headers['cache-control']).to.include('no-store');
      expect(res.text).to.include('<html lang="en">');
      expect(res.text).to.include('Hello Jane,');
      expect(res.text).to.include('<meta name="robots" content="noindex');
      expect(res.text).to.include(`id="review-item-${inScope.id}"`);
      expect(res.text).to.include('Texte à relire &lt;em&gt;tel quel&lt;/em&gt;.');
      expect(res.text).not.to.include(outOfScope.id);
      expect(res.text).not.to.include(approved.id); // approved by the team, not through this link
      expect(res.text).not.to.include('Note interne secrète');
      expect(res.text).not.to.include('/app/');
      const link = await cradle().database.forTenant(team.tenantId, (trx) => trx('approvalLinks').where({ tokenHash: sha256(token) }).first('lastUsedAt'));
      expect(link.lastUsedAt).to.be.instanceOf(Date);
    });

    it('lets the reviewer approve (scheduled, recorded as the reviewer), then shows the item read-only', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const { token } = await createLink(team.owner, { reviewerName: 'Marc Client', scope: 'contents', contentIds: item.id });
      const r = await reviewer(token);
      const res = await r.agent.post(`/review/${token}/contents/${item.id}/approve`).type('form').send({ _csrf: r.csrf, versionId: item.versionId });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/review/${token}#review-item-${item.id}`);
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('scheduled');
      expect((await slotRow(team.tenantId, item.id))!.status).to.equal('confirmed');
      const [row] = await approvalRows(team.tenantId, item.id);
      const link = await cradle().database.forTenant(team.tenantId, (trx) => trx('approvalLinks').where({ tokenHash: sha256(token) }).first('id'));
      expect(row).to.include({ decision: 'approved', actorKind: 'reviewer', actorName: 'Marc Client', approvalLinkId: link.id, decidedBy: null, overrodeBrandSafety: false });
      const page = await r.agent.get(`/review/${token}`);
      expect(page.text).to.include('Merci, ce contenu est validé.');
      expect(page.text).to.include('Vous avez validé ce contenu');
      expect(page.text).not.to.include(`/review/${token}/contents/${item.id}/approve`);
      // the team sees who it was
      const panel = await team.owner.agent.get(`/app/approvals/contents/${item.id}/panel`).set('HX-Request', 'true');
      expect(panel.text).to.include('Marc Client');
      expect(panel.text).to.include('relecteur externe');
    });

    it('lets the reviewer reject with a reason (required) and comment, through HTMX', async () => {
      const toReject = await pendingContent(team.tenantId, team.owner.userId);
      const toComment = await pendingContent(team.tenantId, team.owner.userId);
      const { token } = await createLink(team.owner, { reviewerName: 'Léa', scope: 'contents', contentIds: [toReject.id, toComment.id] });
      const r = await reviewer(token);
      const post = (id: string, action: string, fields: Record<string, unknown>) =>
        r.agent.post(`/review/${token}/contents/${id}/${action}`).set('HX-Request', 'true').type('form').send({ _csrf: r.csrf, ...fields });
      const empty = await post(toReject.id, 'reject', { versionId: toReject.versionId, comment: '' });
      expect(empty.status).to.equal(422);
      expect(empty.text).to.match(new RegExp(`^<article id="review-item-${toReject.id}"`));
      expect(empty.text).to.include('Expliquez votre décision en quelques mots.');
      const plain = await r.agent.post(`/review/${token}/contents/${toReject.id}/reject`).type('form').send({ _csrf: r.csrf, versionId: toReject.versionId, comment: ' ' });
      expect(plain.status).to.equal(422);
      expect(plain.text).to.include('<html lang="fr">');
      expect(plain.text).to.include('Expliquez votre décision en quelques mots.');
      expect(plain.text).to.include(`id="review-item-${toComment.id}"`);
      const rejected = await post(toReject.id, 'reject', { versionId: toReject.versionId, comment: 'Trop long pour un post.' });
      expect(rejected.status).to.equal(200);
      expect(rejected.text).to.include('Vous avez refusé ce contenu');
      expect((await contentRow(team.tenantId, toReject.id)).status).to.equal('draft');
      expect((await approvalRows(team.tenantId, toReject.id))[0]).to.include({ decision: 'rejected', actorKind: 'reviewer', comment: 'Trop long pour un post.' });

      const commented = await post(toComment.id, 'comment', { comment: 'Très bien, mais ajoutez le prix.' });
      expect(commented.status).to.equal(200);
      expect(commented.text).to.include('Merci, votre commentaire a été transmis');
      expect((await contentRow(team.tenantId, toComment.id)).status).to.equal('pending_approval');
      expect((await approvalRows(team.tenantId, toComment.id))[0]).to.include({ decision: 'commented', actorKind: 'reviewer', actorName: 'Léa' });
      expect((await post(toComment.id, 'publish', {})).status).to.equal(404);
    });

    it('never lets a reviewer approve a flagged item: the team must review it first', async () => {
      const flaggedTeam = await createTeam();
      await banWord(flaggedTeam.tenantId, flaggedTeam.owner.userId, 'congelé');
      const item = await pendingContent(flaggedTeam.tenantId, flaggedTeam.owner.userId, { body: 'Aucun pain congelé ici.' });
      const { token } = await createLink(flaggedTeam.owner, { reviewerName: 'Anne', scope: 'contents', contentIds: item.id });
      const r = await reviewer(token);
      const page = await r.agent.get(`/review/${token}`);
      expect(page.text).to.include('L’équipe doit d’abord revoir ce contenu');
      expect(page.text).not.to.include(`/review/${token}/contents/${item.id}/approve`);
      const res = await r.agent.post(`/review/${token}/contents/${item.id}/approve`).type('form').send({ _csrf: r.csrf, versionId: item.versionId, overrideBrandSafety: 'on' });
      expect(res.status).to.equal(409);
      expect(res.text).to.include('L’équipe doit d’abord revoir ce contenu');
      expect((await contentRow(flaggedTeam.tenantId, item.id)).status).to.equal('pending_approval');
      expect(await approvalRows(flaggedTeam.tenantId, item.id)).to.have.length(0);
    });

    it('only comments through a link without the right to approve', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const { token } = await createLink(team.owner, { reviewerName: 'Observateur', scope: 'contents', contentIds: item.id, canApprove: '' });
      const r = await reviewer(token);
      const page = await r.agent.get(`/review/${token}`);
      expect(page.text).not.to.include(`/contents/${item.id}/approve`);
      expect(page.text).not.to.include(`/contents/${item.id}/reject`);
      const approve = await r.agent.post(`/review/${token}/contents/${item.id}/approve`).type('form').send({ _csrf: r.csrf, versionId: item.versionId });
      expect(approve.status).to.equal(403);
      expect(approve.text).to.include('Ce lien permet seulement de commenter.');
      const comment = await r.agent.post(`/review/${token}/contents/${item.id}/comment`).type('form').send({ _csrf: r.csrf, comment: 'Joli !' });
      expect(comment.status).to.equal(303);
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
    });

    it('protects the reviewer’s forms with the session’s CSRF token', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const { token } = await createLink(team.owner, { reviewerName: 'Zoé', scope: 'contents', contentIds: item.id });
      const forged = await supertest(app()).post(`/review/${token}/contents/${item.id}/approve`).type('form').send({ versionId: item.versionId });
      expect(forged.status).to.equal(403);
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
    });

    it('covers a campaign or a period (local days), and never reaches another tenant’s content or one out of scope', async () => {
      const campaignId = await createCampaign(team.tenantId, 'Printemps');
      const inCampaign = await pendingContent(team.tenantId, team.owner.userId, { campaignId });
      const other = await pendingContent(team.tenantId, team.owner.userId);
      const { token } = await createLink(team.owner, { reviewerName: 'Camille', scope: 'campaign', campaignId });
      const page = await supertest(app()).get(`/review/${token}`);
      expect(page.text).to.include(inCampaign.id);
      expect(page.text).not.to.include(other.id);

      // period: a slot at 23:30 in Paris on 2 June falls on the 2nd locally (the 2nd at 21:30 UTC)
      const year = new Date().getUTCFullYear() + 1;
      const periodItem = await pendingContent(team.tenantId, team.owner.userId);
      await setSlot(team.tenantId, periodItem.id, new Date(`${year}-06-02T21:30:00Z`));
      const nextDay = await pendingContent(team.tenantId, team.owner.userId);
      await setSlot(team.tenantId, nextDay.id, new Date(`${year}-06-02T22:30:00Z`)); // 00:30 on the 3rd in Paris
      const period = await createLink(team.owner, { reviewerName: 'Camille', scope: 'period', periodStart: `${year}-06-01`, periodEnd: `${year}-06-02` });
      const periodPage = await supertest(app()).get(`/review/${period.token}`);
      expect(periodPage.text).to.include(periodItem.id);
      expect(periodPage.text).not.to.include(nextDay.id);

      // decisions on contents the link does not reach: out of scope, or another tenant's (404, nothing written)
      const r = await reviewer(token);
      const outside = await r.agent.post(`/review/${token}/contents/${other.id}/approve`).type('form').send({ _csrf: r.csrf, versionId: other.versionId });
      expect(outside.status).to.equal(404);
      const foreignTeam = await createTeam();
      const foreign = await pendingContent(foreignTeam.tenantId, foreignTeam.owner.userId);
      const cross = await r.agent.post(`/review/${token}/contents/${foreign.id}/comment`).type('form').send({ _csrf: r.csrf, comment: 'Intrusion' });
      expect(cross.status).to.equal(404);
      expect(await approvalRows(foreignTeam.tenantId, foreign.id)).to.have.length(0);
      expect(await approvalRows(team.tenantId, other.id)).to.have.length(0);
    });
  });

  describe('expired, revoked and unknown links', () => {
    it('answers an expired link with a clear 410 page in the link’s language', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const { token } = await createLink(team.owner, { reviewerName: 'Tom', scope: 'contents', contentIds: item.id, locale: 'en' });
      await cradle().database.forTenant(team.tenantId, (trx) => trx('approvalLinks').where({ tokenHash: sha256(token) }).update({ expiresAt: new Date(Date.now() - 1000) }));
      const res = await supertest(app()).get(`/review/${token}`);
      expect(res.status).to.equal(410);
      expect(res.text).to.include('This review link has expired.');
      expect(res.text).to.include('<html lang="en">');
      expect(res.headers['x-robots-tag']).to.include('noindex');
      const page = await team.owner.agent.get('/app/approvals');
      expect(page.text).to.include('Expiré le');
    });

    it('revokes a link from the queue (410 for the reviewer, even mid-visit); another tenant cannot revoke it', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const { token } = await createLink(team.owner, { reviewerName: 'Inès', scope: 'contents', contentIds: item.id });
      const link = await cradle().database.forTenant(team.tenantId, (trx) => trx('approvalLinks').where({ tokenHash: sha256(token) }).first('id'));
      const r = await reviewer(token);
      const stranger = await loginAs(app(), DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      expect((await stranger.agent.post(`/app/approvals/links/${link.id}/revoke`).type('form').send({ _csrf: stranger.csrf })).status).to.equal(404);
      expect((await team.editor.agent.post(`/app/approvals/links/${link.id}/revoke`).type('form').send(form(team.editor))).status).to.equal(403);
      const revoked = await team.owner.agent.post(`/app/approvals/links/${link.id}/revoke`).set('HX-Request', 'true').type('form').send(form(team.owner));
      expect(revoked.status).to.equal(200);
      expect(revoked.text).to.include('Lien révoqué');
      expect(revoked.text).to.include('Révoqué le');
      expect(revoked.text).not.to.include(`/app/approvals/links/${link.id}/revoke`);
      const page = await r.agent.get(`/review/${token}`);
      expect(page.status).to.equal(410);
      expect(page.text).to.include('a été désactivé');
      const post = await r.agent.post(`/review/${token}/contents/${item.id}/approve`).type('form').send({ _csrf: r.csrf, versionId: item.versionId });
      expect(post.status).to.equal(410);
      expect((await contentRow(team.tenantId, item.id)).status).to.equal('pending_approval');
      expect((await team.owner.agent.post(`/app/approvals/links/${link.id}/revoke`).type('form').send(form(team.owner))).status).to.equal(404);
    });

    it('answers 404 to a tampered or malformed token', async () => {
      const item = await pendingContent(team.tenantId, team.owner.userId);
      const { token } = await createLink(team.owner, { reviewerName: 'Eve', scope: 'contents', contentIds: item.id });
      const tampered = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
      expect((await supertest(app()).get(`/review/${tampered}`)).status).to.equal(404);
      expect((await supertest(app()).get('/review/short')).status).to.equal(404);
      expect((await supertest(app()).get(`/review/${token}x`)).status).to.equal(404);
    });

    it('limits failed requests per address (429)', async () => {
      const fresh = createApp(testEnv().container.cradle);
      let last = 0;
      for (let i = 0; i <= REVIEW_RATE.failedLimit; i++) last = (await supertest(fresh).get(`/review/${'x'.repeat(43)}`)).status;
      expect(last).to.equal(429);
    });
  });
});
