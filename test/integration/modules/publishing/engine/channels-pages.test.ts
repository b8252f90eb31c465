import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { CORPUS_DIR } from '../../../../support/corpus.js';
import { DEMO_OWNER_2, loginAs } from '../../../../support/http.js';
import { testEnv } from '../../../../support/root-hooks.js';
import { createTeam, type Team } from '../../calendar/approval-support.js';
import { rows, scheduledContent } from './engine-support.js';

const cradle = () => testEnv().container.cradle;
const XSS = fs.readFileSync(path.join(CORPUS_DIR, 'security/xss.txt'), 'utf8').split('\n').find((l) => l.includes('<svg'))!;

describe('Channels page and the content publication panel', function () {
  this.timeout(30_000);
  let team: Team;

  before(async () => {
    team = await createTeam({ name: 'Fromagerie Test' });
  });

  async function connectSandbox(channel: string, displayName: string, session = team.owner) {
    return session.agent.post('/app/channels/sandbox-accounts').set('HX-Request', 'true').type('form').send({ _csrf: session.csrf, channel, displayName });
  }

  it('lists the five networks with the note on real connections; an owner connects a sandbox account', async () => {
    const page = await team.owner.agent.get('/app/channels');
    expect(page.status).to.equal(200);
    for (const network of ['LinkedIn', 'Facebook', 'Instagram', 'X', 'Google Business Profile']) expect(page.text).to.include(network);
    expect(page.text).to.include('id="real-connection-note"');
    expect(page.text).to.include('l’administrateur de la plateforme');

    const res = await connectSandbox('linkedin', 'Fromagerie — LinkedIn');
    expect(res.status).to.equal(201);
    expect(res.text).to.match(/^<div id="channels">/);
    expect(res.text).to.include('Compte bac à sable « Fromagerie — LinkedIn » connecté pour LinkedIn.');
    const [account] = await rows(cradle(), team.tenantId, 'channelAccounts', { displayName: 'Fromagerie — LinkedIn' });
    expect(account).to.include({ channel: 'linkedin', sandbox: true, status: 'connected', credentialsEncrypted: null, connectedBy: team.owner.userId });
    expect(account.externalAccountId).to.match(/^sandbox-[0-9a-f-]{36}$/);
    expect(res.text).to.include(`id="account-${account.id}"`);
  });

  it('refuses an empty name (422, field error) and an unknown network; escapes what the user typed', async () => {
    const empty = await connectSandbox('facebook', '   ');
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('Donnez un nom au compte.');
    expect(empty.text).to.include('aria-invalid="true"');
    const unknown = await connectSandbox('myspace', 'Page');
    expect(unknown.status).to.equal(422);
    expect(unknown.text).to.include('Choisissez un réseau social.');

    const res = await connectSandbox('instagram', XSS);
    expect(res.status).to.equal(201);
    expect(res.text).not.to.include(XSS);
    expect(res.text).to.include('&lt;svg');
  });

  it('only members who manage publishing connect or disconnect; every member sees the page', async () => {
    expect((await connectSandbox('x', 'Compte X', team.editor)).status).to.equal(403);
    const viewerPage = await team.viewer.agent.get('/app/channels');
    expect(viewerPage.status).to.equal(200);
    expect(viewerPage.text).not.to.include('action="/app/channels/sandbox-accounts"');
    const [account] = await rows(cradle(), team.tenantId, 'channelAccounts', { channel: 'linkedin' });
    const denied = await team.editor.agent.post(`/app/channels/accounts/${account.id}/disconnect`).type('form').send({ _csrf: team.editor.csrf });
    expect(denied.status).to.equal(403);
  });

  it('disconnects an account (revoked, gone from the list); another tenant’s or a malformed id is not found', async () => {
    await connectSandbox('google_business', 'Fiche Google');
    const [account] = await rows(cradle(), team.tenantId, 'channelAccounts', { channel: 'google_business' });
    const other = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const foreign = await other.agent.post(`/app/channels/accounts/${account.id}/disconnect`).type('form').send({ _csrf: other.csrf });
    expect(foreign.status).to.equal(404);
    expect((await team.owner.agent.post('/app/channels/accounts/not-a-uuid/disconnect').type('form').send({ _csrf: team.owner.csrf })).status).to.equal(404);

    const res = await team.owner.agent.post(`/app/channels/accounts/${account.id}/disconnect`).type('form').send({ _csrf: team.owner.csrf });
    expect(res.status).to.equal(303);
    expect((await rows(cradle(), team.tenantId, 'channelAccounts', { id: account.id }))[0].status).to.equal('revoked');
    expect((await team.owner.agent.get('/app/channels')).text).not.to.include(`id="account-${account.id}"`);
  });

  it('flags a scheduled content whose network has no account, on the page and in the content panel', async () => {
    const id = await scheduledContent(team.tenantId, { channel: 'facebook', title: 'Plateau du mois' });
    const page = await team.owner.agent.get('/app/channels');
    expect(page.text).to.include('id="no-account-facebook"');
    expect(page.text).to.include('Aucun compte connecté pour Facebook.');
    expect(page.text).to.include(`href="/app/studio/${id}"`);
    const panel = await team.owner.agent.get(`/app/publishing/contents/${id}/panel`).set('HX-Request', 'true');
    expect(panel.status).to.equal(200);
    expect(panel.text).to.match(/^<section class="card" id="content-publications"/);
    expect(panel.text).to.include('id="content-no-account"');
  });

  it('shows a publication once sent, with what the sandbox would have sent; the panel of another tenant is not found', async () => {
    const id = await scheduledContent(team.tenantId, { channel: 'linkedin', title: 'Comté 24 mois', body: 'Le comté 24 mois est arrivé.' });
    await cradle().publicationPlanner.run();
    await cradle().outboxRelay.runOnce();
    const [publication] = await rows(cradle(), team.tenantId, 'publications', { contentId: id });
    expect(publication.status).to.equal('sent');

    const page = await team.viewer.agent.get('/app/channels');
    expect(page.text).to.include(`id="publication-${publication.id}" data-status="sent"`);
    expect(page.text).to.include(publication.externalPostId);
    expect(page.text).to.include('Ce qui aurait été envoyé');
    expect(page.text).to.include('Le comté 24 mois est arrivé.');

    const panel = await team.owner.agent.get(`/app/publishing/contents/${id}/panel`).set('HX-Request', 'true');
    expect(panel.text).to.include('Publiée');
    expect(panel.text).to.include(`pub:${id}:`);

    const other = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    expect((await other.agent.get(`/app/publishing/contents/${id}/panel`)).status).to.equal(404);
    expect((await other.agent.get('/app/publishing/contents/nope/panel')).status).to.equal(404);
  });

  it('shows a failure with its reason and lets an owner retry it', async () => {
    const id = await scheduledContent(team.tenantId, { channel: 'x', title: 'Sur X' });
    await cradle().database.forTenant(team.tenantId, (trx) =>
      trx('channelAccounts').insert({ tenantId: team.tenantId, channel: 'x', externalAccountId: '12345', displayName: 'Compte X réel', sandbox: false }),
    );
    await cradle().publicationPlanner.run();
    await cradle().outboxRelay.runOnce();
    const [publication] = await rows(cradle(), team.tenantId, 'publications', { contentId: id });
    expect(publication.status).to.equal('failed');

    const page = await team.owner.agent.get('/app/channels');
    expect(page.text).to.include('id="failed-publications"');
    expect(page.text).to.include('La connexion à ce réseau n’est pas encore configurée sur la plateforme.');
    expect(page.text).to.include(`action="/app/channels/publications/${publication.id}/retry"`);

    const denied = await team.editor.agent.post(`/app/channels/publications/${publication.id}/retry`).type('form').send({ _csrf: team.editor.csrf });
    expect(denied.status).to.equal(403);
    const res = await team.owner.agent.post(`/app/channels/publications/${publication.id}/retry`).set('HX-Request', 'true').type('form').send({ _csrf: team.owner.csrf });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Publication reprogrammée');
    expect((await rows(cradle(), team.tenantId, 'publications', { id: publication.id }))[0].status).to.equal('queued');
    const again = await team.owner.agent.post(`/app/channels/publications/${publication.id}/retry`).set('HX-Request', 'true').type('form').send({ _csrf: team.owner.csrf });
    expect(again.status).to.equal(409);
    expect(again.text).to.include('Cette publication n’est pas en échec.');
  });
});
