import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import supertest from 'supertest';
import { buildContainer, type Cradle } from '../../../../../src/container.js';
import { smsWebhookRoutes } from '../../../../../src/modules/publishing/sms/index.js';
import { twilioSignature } from '../../../../../src/modules/publishing/sms/twilio-provider.js';
import { loginAs, DEMO_OWNER } from '../../../../support/http.js';
import { addTeamMember } from '../../../../support/team.js';
import { startSmsEmulator, TWILIO_TEST_TOKEN, type SmsEmulator } from '../../../../support/sms-emulator/index.js';
import { testConfig, testEnv } from '../../../../support/root-hooks.js';
import { createTenant } from '../../../../support/tenants.js';
import { addContacts, addSmsContent, BREVO_WEBHOOK_TOKEN, FrozenClock, messagesOf, phone, useConnector } from './sms-support.js';

describe('SMS STOP webhooks', function () {
  this.timeout(60_000);
  let emulator: SmsEmulator;
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;
  let server: http.Server;
  let webhooks: string;
  const clock = new FrozenClock(new Date('2026-11-30T09:00:00Z'));

  before(async () => {
    emulator = await startSmsEmulator();
    container = buildContainer(testConfig(), testEnv().db, { clock: asValue(clock) });
    cradle = container.cradle;
    // The webhook router as the app mounts it (before session and CSRF).
    const app = express();
    app.use(smsWebhookRoutes(cradle));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    webhooks = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await useConnector(cradle, 'sandbox');
    await new Promise((resolve) => server.close(resolve));
    await container.dispose();
    await emulator.stop();
  });

  async function postTwilio(params: Record<string, string>, signature?: string) {
    // Twilio signs the exact URL it calls.
    const url = `${webhooks}/webhooks/sms/twilio`;
    return supertest(webhooks).post('/webhooks/sms/twilio').type('form').send(params).set('X-Twilio-Signature', signature ?? twilioSignature(TWILIO_TEST_TOKEN, url, params));
  }

  it('opts the number out at once in every tenant where it is a contact, on a validly signed Twilio STOP, and nothing more is sent to it', async () => {
    await useConnector(cradle, 'twilio', emulator);
    const stopper = phone();
    const other = phone();
    const tenantA = await createTenant(cradle.database, { name: 'Boulangerie Martin' });
    const tenantB = await createTenant(cradle.database, { name: 'Vélo Atelier' });
    await addContacts(cradle, tenantA.id, [{ phone: stopper, consent: true }, { phone: other, consent: true }]);
    await addContacts(cradle, tenantB.id, [{ phone: stopper, consent: true }]);
    const contentId = await addSmsContent(cradle, tenantA.id, 'Galettes des rois à -20 % ce samedi !');
    const p = await cradle.smsService.prepareCampaign(tenantA.id, contentId);
    await cradle.smsService.sendCampaign(tenantA.id, p.campaignId);

    const params = { MessageSid: 'SM' + 'a'.repeat(32), From: stopper, To: '+33700000000', Body: ' Arrêt ', AccountSid: 'AC1' };
    const response = await postTwilio(params);
    expect(response.status).to.equal(200);
    expect(response.text).to.include('<Response></Response>');

    for (const tenant of [tenantA, tenantB]) {
      const contact = await cradle.database.forTenant(tenant.id, (trx) => trx('contacts').where({ phoneE164: stopper }).first());
      expect(contact.smsConsent).to.equal(false);
      expect(new Date(contact.smsOptedOutAt).toISOString()).to.equal('2026-11-30T09:00:00.000Z');
      const events = await cradle.database.forTenant(tenant.id, (trx) => trx('contactConsentEvents').where({ contactId: contact.id }));
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ medium: 'sms', action: 'withdrawn', source: 'stop_reply' });
      const inbound = await cradle.database.forTenant(tenant.id, (trx) => trx('inboundSms').where({ tenantId: tenant.id }));
      expect(inbound).to.have.length(1);
      expect(inbound[0]).to.include({ fromPhone: stopper, keyword: 'ARRET', actionTaken: 'opted_out', provider: 'twilio', contactId: contact.id });
    }

    // A replay of the same webhook changes nothing.
    expect((await postTwilio(params)).status).to.equal(200);
    const events = await cradle.database.forTenant(tenantA.id, (trx) => trx('contactConsentEvents').where({ tenantId: tenantA.id }));
    expect(events).to.have.length(1);

    await cradle.smsSender.sendDue();
    expect(emulator.sentTo(stopper)).to.have.length(0);
    expect(emulator.sentTo(other)).to.have.length(1);
    const rows = await messagesOf(cradle, tenantA.id, p.campaignId);
    expect(rows.find((r) => r.toPhone === stopper)).to.include({ status: 'blocked_consent' });
  });

  it('refuses a Twilio webhook with a wrong or missing signature and changes nothing', async () => {
    await useConnector(cradle, 'twilio', emulator);
    const number = phone();
    const tenant = await createTenant(cradle.database);
    await addContacts(cradle, tenant.id, [{ phone: number, consent: true }]);
    const params = { MessageSid: 'SM' + 'b'.repeat(32), From: number, To: '+33700000000', Body: 'STOP' };
    const forged = twilioSignature('not-the-auth-token', 'http://127.0.0.1/webhooks/sms/twilio', params);
    expect((await postTwilio(params, forged)).status).to.equal(403);
    expect((await supertest(webhooks).post('/webhooks/sms/twilio').type('form').send(params)).status).to.equal(403);
    const contact = await cradle.database.forTenant(tenant.id, (trx) => trx('contacts').where({ phoneE164: number }).first());
    expect(contact).to.include({ smsConsent: true, smsOptedOutAt: null });
  });

  it('takes a Brevo STOP reply only with the secret token of the webhook URL', async () => {
    await useConnector(cradle, 'brevo', emulator);
    const number = phone();
    const tenant = await createTenant(cradle.database);
    await addContacts(cradle, tenant.id, [{ phone: number, consent: true }]);
    const event = { msg_status: 'replied', to: number.slice(1), reply: 'stop sms', messageId: 987654321 };
    expect((await supertest(webhooks).post('/webhooks/sms/brevo?token=wrong').send(event)).status).to.equal(403);
    let contact = await cradle.database.forTenant(tenant.id, (trx) => trx('contacts').where({ phoneE164: number }).first());
    expect(contact.smsConsent).to.equal(true);
    const ok = await supertest(webhooks).post(`/webhooks/sms/brevo?token=${BREVO_WEBHOOK_TOKEN}`).send(event);
    expect(ok.status).to.equal(200);
    expect(ok.body).to.include({ replies: 1, optedOut: 1 });
    contact = await cradle.database.forTenant(tenant.id, (trx) => trx('contacts').where({ phoneE164: number }).first());
    expect(contact.smsConsent).to.equal(false);
    expect(contact.smsOptedOutAt).to.not.equal(null);
  });

  it('answers 404 for an unknown provider or one without an active connector', async () => {
    await useConnector(cradle, 'sandbox');
    expect((await supertest(webhooks).post('/webhooks/sms/acme').send({})).status).to.equal(404);
    expect((await supertest(webhooks).post('/webhooks/sms/twilio').type('form').send({ From: '+33612345678', Body: 'STOP' })).status).to.equal(404);
  });
});

describe('SMS pages', function () {
  this.timeout(60_000);
  let tenantId: string;
  let contentId: string;
  const phones = [phone(), phone()];

  before(async () => {
    const { container } = testEnv();
    await useConnector(container.cradle, 'sandbox');
    tenantId = await container.cradle.database.asPlatform(async (trx) => (await trx('tenants').where({ slug: 'boulangerie-martin' }).first('id')).id);
    await addContacts(container.cradle, tenantId, phones.map((p) => ({ phone: p, consent: true })));
    contentId = await addSmsContent(container.cradle, tenantId, 'Nos bûches de Noël sont arrivées !');
  });

  after(async () => {
    // Leave the demo tenant as it was.
    await testEnv().container.cradle.database.forTenant(tenantId, async (trx) => {
      await trx('smsCampaigns').where({ contentId }).del(); // its messages go with it
      await trx('contents').where({ id: contentId }).del();
      await trx('contacts').whereIn('phoneE164', phones).del();
    });
  });

  it('shows the preparation and lets the owner send; a viewer sees it without the button and cannot send', async () => {
    const { app } = testEnv();
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const page = await owner.agent.get(`/app/sms/contents/${contentId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.match(/data-fact="recipients">\d+</);
    expect(page.text).to.include('data-fact="encoding"');
    expect(page.text).to.include('STOP au 36111');
    const campaignId = /name="campaignId" value="([0-9a-f-]{36})"/.exec(page.text)![1];

    const viewer = await addTeamMember(app, owner, 'client_viewer');
    const viewed = await viewer.agent.get(`/app/sms/contents/${contentId}`);
    expect(viewed.status).to.equal(200);
    expect(viewed.text).to.not.include('name="campaignId"');
    const refused = await viewer.agent.post(`/app/sms/contents/${contentId}/send`).type('form').send({ _csrf: viewer.csrf, campaignId });
    expect(refused.status).to.equal(403);

    const sent = await owner.agent.post(`/app/sms/contents/${contentId}/send`).type('form').send({ _csrf: owner.csrf, campaignId });
    expect(sent.status).to.equal(303);
    const progress = await owner.agent.get(`/app/sms/contents/${contentId}`);
    expect(progress.text).to.include('data-status="scheduled"');
    expect(progress.text).to.match(/data-count="queued">\d+</);
    const again = await owner.agent.post(`/app/sms/contents/${contentId}/send`).type('form').send({ _csrf: owner.csrf, campaignId });
    expect(again.status).to.equal(409);
  });

  it("answers 404 for another tenant's content and for a malformed id", async () => {
    const { app, container } = testEnv();
    const other = await createTenant(container.cradle.database);
    const foreign = await addSmsContent(container.cradle, other.id, 'Ailleurs');
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    expect((await owner.agent.get(`/app/sms/contents/${foreign}`)).status).to.equal(404);
    expect((await owner.agent.get('/app/sms/contents/not-a-uuid')).status).to.equal(404);
  });
});
