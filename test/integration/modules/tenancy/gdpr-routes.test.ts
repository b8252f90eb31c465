import crypto from 'node:crypto';
import { expect } from 'chai';
import { unzipSync } from 'fflate';
import type { Response } from 'superagent';
import { testEnv } from '../../../support/root-hooks.js';
import { DEMO_OWNER, loginAs } from '../../../support/http.js';
import { createTenant } from '../../../support/tenants.js';

type Cradle = ReturnType<typeof testEnv>['container']['cradle'];

const PASSWORD = 'correct horse battery';

function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

async function member(c: Cradle, tenantId: string, role: string): Promise<{ id: string; email: string }> {
  const email = `gdpr-${role}-${crypto.randomBytes(4).toString('hex')}@example.com`;
  const user = await c.userRepository.create({ email, name: `Membre ${role}`, passwordHash: await c.passwordHasher.hash(PASSWORD), locale: 'fr' });
  await c.membershipRepository.addToTenant(tenantId, user.id, role);
  return { id: user.id, email };
}

describe('GDPR self-service: /app/account/data', function () {
  this.timeout(60_000);

  it('lets the owner request an export, follow it, download the zip; others get 403 or 404', async () => {
    const c = testEnv().container.cradle;
    const app = testEnv().app;
    const tenant = await createTenant(c.database, { name: 'Export Routes' });
    const owner = await member(c, tenant.id, 'client_owner');
    const editor = await member(c, tenant.id, 'client_editor');
    const ownerAgent = await loginAs(app, owner.email, PASSWORD);
    const editorAgent = await loginAs(app, editor.email, PASSWORD);

    const page = await ownerAgent.agent.get('/app/account/data');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Mes données');
    expect(page.text).to.include('Supprimer mon espace');
    expect((await editorAgent.agent.get('/app/account/data')).status).to.equal(403);
    expect((await editorAgent.agent.post('/app/account/data/exports').type('form').send({ _csrf: editorAgent.csrf })).status).to.equal(403);

    const requested = await ownerAgent.agent.post('/app/account/data/exports').set('HX-Request', 'true').type('form').send({ _csrf: ownerAgent.csrf });
    expect(requested.status).to.equal(200);
    expect(requested.text.trimStart()).to.match(/^<div id="account-data-panel"/);
    expect(requested.text).to.include('En attente');
    expect(requested.text).to.include('hx-trigger="every 5s"');
    const [created] = await c.gdprRepository.listExports(tenant.id, 1);

    for (let i = 0; i < 10 && (await c.gdprRepository.findExport(tenant.id, created.id))?.status !== 'ready'; i++) await c.gdprExportService.buildDue();
    const ready = await ownerAgent.agent.get('/app/account/data');
    expect(ready.text).to.include(`/app/account/data/exports/${created.id}/download`);
    expect(ready.text).not.to.include('hx-trigger="every 5s"');

    const download = await ownerAgent.agent.get(`/app/account/data/exports/${created.id}/download`).buffer(true).parse(binary);
    expect(download.status).to.equal(200);
    expect(download.headers['content-type']).to.equal('application/zip');
    expect(download.headers['content-disposition']).to.match(/^attachment; filename="cadence-export-\d{4}-\d{2}-\d{2}\.zip"/);
    const files = Object.keys(unzipSync(new Uint8Array(download.body as Buffer)));
    expect(files).to.include.members(['data.json', 'README.txt', 'csv/contacts.csv', 'csv/data_exports.csv']);

    // another tenant's owner, a malformed id, an editor: not found / forbidden
    const stranger = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    expect((await stranger.agent.get(`/app/account/data/exports/${created.id}/download`)).status).to.equal(404);
    expect((await ownerAgent.agent.get('/app/account/data/exports/not-a-uuid/download')).status).to.equal(404);
    expect((await editorAgent.agent.get(`/app/account/data/exports/${created.id}/download`)).status).to.equal(403);
  });

  it('schedules the deletion only when the workspace name is re-typed, and mails the owners', async function () {
    const c = testEnv().container.cradle;
    const app = testEnv().app;
    const tenant = await createTenant(c.database, { name: 'Atelier <Suppression>' });
    const owner = await member(c, tenant.id, 'client_owner');
    const ownerAgent = await loginAs(app, owner.email, PASSWORD);

    const wrong = await ownerAgent.agent.post('/app/account/deletion').type('form').send({ confirmName: 'Atelier <autre>', _csrf: ownerAgent.csrf });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.include('Le nom saisi ne correspond pas');
    expect(wrong.text).to.include('value="Atelier &lt;autre&gt;"');
    expect(wrong.text).not.to.include('<autre>');
    const empty = await ownerAgent.agent.post('/app/account/deletion').type('form').send({ confirmName: '  ', _csrf: ownerAgent.csrf });
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('espace pour confirmer.');
    expect((await c.database.asPlatform((trx) => trx('tenants').where({ id: tenant.id }).first('status'))).status).to.equal('active');

    const done = await ownerAgent.agent.post('/app/account/deletion').type('form').send({ confirmName: 'Atelier <Suppression>', _csrf: ownerAgent.csrf });
    expect(done.status).to.equal(200);
    expect(done.text).to.include('sera supprimé définitivement le');
    expect(done.text).to.include('Annuler la suppression');
    const row = await c.database.asPlatform((trx) => trx('tenants').where({ id: tenant.id }).first('status', 'deletionRequestedAt', 'deletionScheduledFor'));
    expect(row.status).to.equal('pending_deletion');
    expect(row.deletionScheduledFor.getTime() - row.deletionRequestedAt.getTime()).to.equal(30 * 24 * 3600 * 1000);
    const mails = await c.database.forTenant(tenant.id, (trx) => trx('sandboxDeliveries').where({ channel: 'email', recipient: owner.email }).select('payload'));
    expect(mails).to.have.length(1);
    expect(JSON.stringify(mails[0].payload)).to.include('Suppression de l');

  });

  it('shows the deletion banner during the grace period and lets the owner cancel', async function () {
    const c = testEnv().container.cradle;
    const app = testEnv().app;
    const tenant = await createTenant(c.database, { name: 'Atelier Bannière' });
    const owner = await member(c, tenant.id, 'client_owner');
    const ownerAgent = await loginAs(app, owner.email, PASSWORD);
    const schedule = await c.gdprDeletionService.request(tenant.id, owner.id, 'Atelier Bannière');

    const eta = app.locals.eta as { render(name: string, data: object): string };
    const t = c.i18n.getFixedT('fr');
    const forOwner = eta.render('/partials/deletion-banner', { t, tenantDeletion: { ...schedule, day: '31 décembre 2026', canCancel: true } });
    expect(forOwner).to.include('Cet espace sera supprimé le 31 décembre 2026.');
    expect(forOwner).to.include('href="/app/account/data"');
    const forMember = eta.render('/partials/deletion-banner', { t, tenantDeletion: { ...schedule, day: '31 décembre 2026', canCancel: false } });
    expect(forMember).to.include('Seul le propriétaire peut annuler');
    expect(eta.render('/partials/deletion-banner', { t }).trim()).to.equal('');

    // The owner keeps the workspace during the grace period, with the banner on every page.
    const viewer = await c.authService.loadViewer(owner.id);
    expect(viewer?.tenants.map((x) => x.id)).to.include(tenant.id);
    const back = await ownerAgent.agent.get('/app/account/data');
    expect(back.text).to.include('id="deletion-banner"');
    const cancelled = await ownerAgent.agent.post('/app/account/deletion/cancel').type('form').send({ _csrf: ownerAgent.csrf });
    expect(cancelled.status).to.equal(200);
    expect(cancelled.text).to.include('La suppression est annulée');
    expect((await c.database.asPlatform((trx) => trx('tenants').where({ id: tenant.id }).first('status'))).status).to.equal('active');
  });
});
