import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import type { Express } from 'express';
import { createApp } from '../../../../../src/app.js';
import { buildContainer, type Cradle } from '../../../../../src/container.js';
import type { NewsletterSender } from '../../../../../src/modules/publishing/newsletter/index.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../../support/http.js';
import { testConfig, testEnv } from '../../../../support/root-hooks.js';
import { TestSmtpServer } from '../../../../support/smtp-server.js';
import { addTeamMember } from '../../../../support/team.js';
import { addNewsletterContent, listWithContacts, MovableClock, newsletterRow } from './newsletter-support.js';

describe('Newsletter pages', () => {
  let smtp: TestSmtpServer;
  let container: AwilixContainer<Cradle>;
  let app: Express;
  let owner: { agent: Agent; csrf: string };
  let tenantId: string;
  const clock = new MovableClock();

  before(async () => {
    smtp = await TestSmtpServer.start();
    container = buildContainer(testConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'Cadence <no-reply@cadence.test>', PUBLIC_URL: 'https://app.cadence.example' }), testEnv().db, { clock: asValue(clock) });
    app = createApp(container.cradle);
    owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    tenantId = (
      await container.cradle.database.asPlatform((trx) =>
        trx('users as u').join('memberships as m', 'm.userId', 'u.id').where('u.email', DEMO_OWNER.email).whereNotNull('m.tenantId').first('m.tenantId'),
      )
    ).tenantId;
  });

  after(async () => {
    await container.dispose();
    await smtp.close();
  });

  it('chooses the list, previews the e-mail under a strict CSP, sends, and shows the progress per recipient', async () => {
    const { listId, contacts } = await listWithContacts(container.cradle, tenantId, 2);
    const contentId = await addNewsletterContent(container.cradle, tenantId, { body: 'Bonjour <script>alert(1)</script> [carte](https://boulangerie.example/carte)' });
    const page = await owner.agent.get(`/app/newsletters/contents/${contentId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include(`<option value="${listId}"`);

    const prepared = await owner.agent.post(`/app/newsletters/contents/${contentId}/prepare`).type('form').send({ _csrf: owner.csrf, listId, ratePerMinute: '30' });
    expect(prepared.status).to.equal(303);
    const draftPage = await owner.agent.get(`/app/newsletters/contents/${contentId}`);
    const newsletterId = /\/app\/newsletters\/([0-9a-f-]{36})\/preview/.exec(draftPage.text)![1];
    expect(draftPage.text).to.include(`<iframe class="newsletter-preview"`).and.include('sandbox=""');
    expect(draftPage.text).to.match(/data-fact="recipients">2</);
    expect(draftPage.text).to.include('Envoyer à 2 destinataires');
    expect(draftPage.text).to.not.include('<script>alert(1)');

    const preview = await owner.agent.get(`/app/newsletters/${newsletterId}/preview`);
    expect(preview.status).to.equal(200);
    expect(preview.headers['content-security-policy']).to.include("default-src 'none'").and.include('sandbox').and.include("frame-ancestors 'self'");
    expect(preview.headers['content-security-policy']).to.not.include('script-src');
    expect(preview.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;').and.include('Vous recevez cet e-mail car');
    expect(preview.text).to.not.include('{{cadence:unsubscribe_url}}');

    const sent = await owner.agent.post(`/app/newsletters/${newsletterId}/send`).type('form').send({ _csrf: owner.csrf });
    expect(sent.status).to.equal(303);
    expect((await owner.agent.post(`/app/newsletters/${newsletterId}/send`).type('form').send({ _csrf: owner.csrf })).status).to.equal(409);
    let progress = await owner.agent.get(`/app/newsletters/contents/${contentId}`);
    expect(progress.text).to.match(/data-count="queued">2</);
    expect(progress.text).to.include('hx-trigger="every 10s"');

    await container.resolve<NewsletterSender>('newsletterSender').sendDue();
    expect(smtp.messages.filter((m) => contacts.some((c) => m.envelope.to.includes(c.email)))).to.have.length(2);
    progress = await owner.agent.get(`/app/newsletters/contents/${contentId}`).set('HX-Request', 'true');
    expect(progress.text).to.not.include('<html');
    expect(progress.text).to.match(/data-count="sent">2</);
    for (const c of contacts) expect(progress.text).to.include(`data-recipient="${c.email}" data-status="sent"`);
    expect((await newsletterRow(container.cradle, tenantId, newsletterId)).status).to.equal('sent');
  });

  it('lets a viewer look but not prepare or send', async () => {
    const { listId } = await listWithContacts(container.cradle, tenantId, 1);
    const contentId = await addNewsletterContent(container.cradle, tenantId);
    await owner.agent.post(`/app/newsletters/contents/${contentId}/prepare`).type('form').send({ _csrf: owner.csrf, listId });
    const newsletterId = (await container.cradle.database.forTenant(tenantId, (trx) => trx('newsletters').where({ contentId }).first('id'))).id;
    const viewer = await addTeamMember(app, owner, 'client_viewer');
    const page = await viewer.agent.get(`/app/newsletters/contents/${contentId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.not.include(`/app/newsletters/${newsletterId}/send`);
    expect((await viewer.agent.get(`/app/newsletters/${newsletterId}/preview`)).status).to.equal(200);
    expect((await viewer.agent.post(`/app/newsletters/contents/${contentId}/prepare`).type('form').send({ _csrf: viewer.csrf, listId })).status).to.equal(403);
    expect((await viewer.agent.post(`/app/newsletters/${newsletterId}/send`).type('form').send({ _csrf: viewer.csrf })).status).to.equal(403);
    expect((await newsletterRow(container.cradle, tenantId, newsletterId)).status).to.equal('draft');
  });

  it("answers 404 for another tenant's newsletter, content or list, and for malformed ids", async () => {
    const { listId } = await listWithContacts(container.cradle, tenantId, 1);
    const contentId = await addNewsletterContent(container.cradle, tenantId);
    await owner.agent.post(`/app/newsletters/contents/${contentId}/prepare`).type('form').send({ _csrf: owner.csrf, listId });
    const newsletterId = (await container.cradle.database.forTenant(tenantId, (trx) => trx('newsletters').where({ contentId }).first('id'))).id;
    const other = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    expect((await other.agent.get(`/app/newsletters/${newsletterId}/preview`)).status).to.equal(404);
    expect((await other.agent.post(`/app/newsletters/${newsletterId}/send`).type('form').send({ _csrf: other.csrf })).status).to.equal(404);
    expect((await other.agent.post(`/app/newsletters/contents/${contentId}/prepare`).type('form').send({ _csrf: other.csrf, listId })).status).to.equal(404);
    expect((await owner.agent.get('/app/newsletters/not-a-uuid/preview')).status).to.equal(404);
    expect((await newsletterRow(container.cradle, tenantId, newsletterId)).status).to.equal('draft');
  });
});
