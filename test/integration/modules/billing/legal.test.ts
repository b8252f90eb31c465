import { expect } from 'chai';
import supertest from 'supertest';
import { csrfOf } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import { addTeamMember } from '../../../support/team.js';
import { freshTenantOwner, html } from '../studio/editor-support.js';

describe('Legal documents (/legal/<kind>, acceptance)', () => {
  it('serves every document publicly, in French by default and in English after a switch, marked as a template', async () => {
    const agent = supertest.agent(testEnv().app);
    for (const [path, title] of [
      ['/legal/terms', 'Conditions générales de service'],
      ['/legal/dpa', 'Accord de traitement des données (article 28 du RGPD)'],
      ['/legal/privacy', 'Politique de confidentialité'],
      ['/legal/legal-notice', 'Mentions légales'],
    ]) {
      const res = await agent.get(path);
      expect(res.status, path).to.equal(200);
      expect(res.text).to.include(`<h1>${html(title)}</h1>`);
      expect(res.text).to.include('Modèle à faire relire par un avocat');
      expect(res.text).to.include('Version 2026-11');
    }
    const csrf = await csrfOf(agent, '/legal/terms');
    await agent.post('/locale').type('form').send({ locale: 'en', back: '/legal/terms', _csrf: csrf });
    const english = await agent.get('/legal/terms');
    expect(english.text).to.include('<h1>Terms of service</h1>');
    expect(english.text).to.include('Template to be reviewed by a lawyer');
    expect((await agent.get('/legal/cookies')).status).to.equal(404);
    expect((await agent.get('/legal/legal_notice')).status).to.equal(200);
  });

  it('asks the owner to accept the terms and DPA, records who accepted which version once, and only those', async () => {
    const { app, container } = testEnv();
    const { database } = container.cradle;
    const owner = await freshTenantOwner(container.cradle, app);
    const page = await owner.agent.get('/app/subscription');
    const ids = [...page.text.matchAll(/action="\/app\/legal\/([0-9a-f-]{36})\/accept"/g)].map((m) => m[1]);
    expect(ids).to.have.length(2);
    const viewer = await addTeamMember(app, { agent: owner.agent, csrf: owner.csrf }, 'client_viewer');
    expect((await viewer.agent.post(`/app/legal/${ids[0]}/accept`).type('form').send({ _csrf: viewer.csrf })).status).to.equal(403);

    for (const id of ids) {
      expect((await owner.agent.post(`/app/legal/${id}/accept`).set('user-agent', 'Test browser').type('form').send({ _csrf: owner.csrf })).status).to.equal(303);
    }
    expect((await owner.agent.post(`/app/legal/${ids[0]}/accept`).type('form').send({ _csrf: owner.csrf })).status).to.equal(303);
    const rows = await database.forTenant(owner.tenantId, (trx) => trx('legalAcceptances').where({ tenantId: owner.tenantId }).select('documentId', 'userId', 'userAgent', 'ip'));
    expect(rows.map((r: { documentId: string }) => r.documentId).sort()).to.deep.equal([...ids].sort());
    expect(rows.every((r: { userId: string; userAgent: string; ip: string | null }) => r.userId === owner.userId && r.userAgent === 'Test browser' && r.ip !== null)).to.equal(true);
    const after = await owner.agent.get('/app/subscription');
    expect(after.text).to.not.include('/accept"');

    const privacy = await database.asPlatform((trx) => trx('legalDocuments').where({ kind: 'privacy', locale: 'fr' }).first('id'));
    expect((await owner.agent.post(`/app/legal/${privacy.id}/accept`).type('form').send({ _csrf: owner.csrf })).status).to.equal(404);
    expect((await owner.agent.post('/app/legal/nope/accept').type('form').send({ _csrf: owner.csrf })).status).to.equal(404);
  });
});
