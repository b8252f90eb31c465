import crypto from 'node:crypto';
import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../../../../src/app.js';
import { buildContainer, type Cradle } from '../../../../../src/container.js';
import type { Clock } from '../../../../../src/shared/clock.js';
import { csrfOf, DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../../support/http.js';
import { testConfig, testEnv } from '../../../../support/root-hooks.js';
import { TestSmtpServer } from '../../../../support/smtp-server.js';

const tag = () => crypto.randomBytes(4).toString('hex');

/** A clock the test moves forward (the confirmation link expires after 7 days). */
class MovableClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

describe('Double opt-in and one-click unsubscribe (real SMTP)', () => {
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
    tenantId = (await container.cradle.database.asPlatform((trx) => trx('users as u').join('memberships as m', 'm.userId', 'u.id').where('u.email', DEMO_OWNER.email).whereNotNull('m.tenantId').first('m.tenantId'))).tenantId;
  });

  after(async () => {
    await container.dispose();
    await smtp.close();
  });

  afterEach(() => {
    clock.offsetMs = 0;
  });

  async function newContactOnList(doubleOptIn: boolean) {
    const t = tag();
    const email = `optin.${t}@exemple.fr`;
    const created = await owner.agent.post('/app/contacts').type('form').send({ _csrf: owner.csrf, email, firstName: 'Camille' });
    const contactId = created.headers.location.split('/').pop() as string;
    await owner.agent.post('/app/contacts/lists').type('form').send({ _csrf: owner.csrf, name: `Newsletter ${t}`, ...(doubleOptIn ? { doubleOptIn: 'on' } : {}) });
    const listId = (await container.cradle.database.forTenant(tenantId, (trx) => trx('contactLists').where({ tenantId, name: `Newsletter ${t}` }).first('id'))).id as string;
    const added = await owner.agent.post(`/app/contacts/${contactId}/lists`).type('form').send({ _csrf: owner.csrf, listId });
    expect(added.status).to.equal(303);
    return { email, contactId, listId };
  }

  const contactRow = (id: string) => container.cradle.database.forTenant(tenantId, (trx) => trx('contacts').where({ tenantId, id }).first());
  const memberStatus = (listId: string, contactId: string) =>
    container.cradle.database.forTenant(tenantId, async (trx) => (await trx('contactListMembers').where({ listId, contactId }).first('status'))?.status);

  it('mails a confirmation link; only its hash is stored; confirming records the consent with IP and user agent', async () => {
    const { email, contactId, listId } = await newContactOnList(true);
    expect(await memberStatus(listId, contactId)).to.equal('pending');
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(email));
    expect(mail.parsed.subject).to.match(/^Confirmez votre inscription — /);
    const link = /https:\/\/app\.cadence\.example\/c\/confirm\/([A-Za-z0-9_-]{43})/.exec(mail.parsed.text ?? '');
    expect(link, mail.parsed.text).to.not.equal(null);
    const token = link![1];
    const stored = await contactRow(contactId);
    expect(stored.doubleOptInTokenHash).to.equal(crypto.createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).to.not.include(token);

    // a visitor without an account: the GET only shows the button (mail scanners must not confirm)
    const visitor = supertest.agent(app);
    const page = await visitor.get(`/c/confirm/${token}`);
    expect(page.status).to.equal(200);
    expect(page.headers['cache-control']).to.equal('no-store');
    expect(await memberStatus(listId, contactId)).to.equal('pending');
    const csrf = await csrfOf(visitor, `/c/confirm/${token}`);
    const confirmed = await visitor.post(`/c/confirm/${token}`).type('form').set('User-Agent', 'Thunderbird/128').send({ _csrf: csrf });
    expect(confirmed.status).to.equal(200);
    expect(confirmed.text).to.include('est confirmée');

    expect(await memberStatus(listId, contactId)).to.equal('subscribed');
    const after = await contactRow(contactId);
    expect(after).to.deep.include({ emailConsent: true, emailConsentSource: 'double_opt_in', doubleOptInTokenHash: null });
    expect(after.doubleOptInConfirmedAt).to.be.instanceOf(Date);
    const event = await container.cradle.database.forTenant(tenantId, (trx) => trx('contactConsentEvents').where({ contactId, action: 'confirmed' }).first());
    expect(event).to.deep.include({ medium: 'email', source: 'double_opt_in', userAgent: 'Thunderbird/128' });
    expect(event.ip).to.match(/127\.0\.0\.1/);

    // the link is single-use
    expect((await visitor.get(`/c/confirm/${token}`)).status).to.equal(404);
    // confirmed contacts join other double opt-in lists at once
    const t = tag();
    await owner.agent.post('/app/contacts/lists').type('form').send({ _csrf: owner.csrf, name: `Promo ${t}`, doubleOptIn: 'on' });
    const promo = (await container.cradle.database.forTenant(tenantId, (trx) => trx('contactLists').where({ tenantId, name: `Promo ${t}` }).first('id'))).id;
    await owner.agent.post(`/app/contacts/${contactId}/lists`).type('form').send({ _csrf: owner.csrf, listId: promo });
    expect(await memberStatus(promo, contactId)).to.equal('subscribed');
    expect((await container.cradle.contactService.recipientsForList(tenantId, listId)).map((r) => r.email)).to.deep.equal([email]);
  });

  it('expires the confirmation link after 7 days, and refuses unknown tokens', async () => {
    const { email, contactId, listId } = await newContactOnList(true);
    const mail = await smtp.waitFor((m) => m.envelope.to.includes(email));
    const token = /\/c\/confirm\/([A-Za-z0-9_-]{43})/.exec(mail.parsed.text ?? '')![1];
    clock.offsetMs = 7 * 24 * 3600 * 1000 + 60_000;
    const visitor = supertest.agent(app);
    expect((await visitor.get(`/c/confirm/${token}`)).status).to.equal(410);
    const csrf = await csrfOf(visitor, '/login');
    expect((await visitor.post(`/c/confirm/${token}`).type('form').send({ _csrf: csrf })).status).to.equal(410);
    expect(await memberStatus(listId, contactId)).to.equal('pending');
    expect((await contactRow(contactId)).emailConsent).to.equal(false);
    expect((await visitor.get(`/c/confirm/${'A'.repeat(43)}`)).status).to.equal(404);
    expect((await visitor.get('/c/confirm/short')).status).to.equal(404);
  });

  it('builds RFC 8058 headers, and the one-click POST unsubscribes at once without session or CSRF token', async () => {
    const { email, contactId, listId } = await newContactOnList(false);
    await container.cradle.contactService.grantConsent(tenantId, contactId, 'email', { source: 'manual', proof: 'comptoir' });
    expect(await container.cradle.contactService.recipientsForList(tenantId, listId)).to.have.length(1);
    const headers = container.cradle.contactService.unsubscribeHeaders(tenantId, contactId, listId, { mailto: 'unsubscribe@cadence.example' });
    expect(headers['List-Unsubscribe-Post']).to.equal('List-Unsubscribe=One-Click');
    const match = /^<https:\/\/app\.cadence\.example\/u\/([A-Za-z0-9_-]+)>, <mailto:unsubscribe@cadence\.example\?subject=unsubscribe%20\1>$/.exec(headers['List-Unsubscribe']);
    expect(match, headers['List-Unsubscribe']).to.not.equal(null);

    // the headers travel through the real mailer as they are
    const receipt = await container.cradle.mailer.send({ tenantId, to: email, subject: 'Newsletter', text: 'Bonjour', headers, kind: 'test' });
    const received = await smtp.waitFor((m) => m.parsed.messageId === receipt.messageId);
    expect(received.raw).to.include('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    const token = match![1];
    const res = await supertest(app).post(`/u/${token}`).type('form').send('List-Unsubscribe=One-Click');
    expect(res.status).to.equal(200);
    expect(await memberStatus(listId, contactId)).to.equal('unsubscribed');
    expect(await container.cradle.contactService.recipientsForList(tenantId, listId)).to.have.length(0);
    const event = await container.cradle.database.forTenant(tenantId, (trx) => trx('contactConsentEvents').where({ contactId, action: 'withdrawn' }).first());
    expect(event).to.deep.include({ medium: 'email', source: 'unsubscribe_link' });
    // again: still fine (idempotent)
    expect((await supertest(app).post(`/u/${token}`).type('form').send('List-Unsubscribe=One-Click')).status).to.equal(200);
  });

  it('unsubscribes from every e-mail with a link without list, through the page and its button', async () => {
    const { contactId, listId } = await newContactOnList(false);
    await container.cradle.contactService.grantConsent(tenantId, contactId, 'email', { source: 'manual', proof: 'comptoir' });
    const url = container.cradle.contactService.unsubscribeUrl(tenantId, contactId);
    const path = new URL(url).pathname;
    const visitor = supertest.agent(app);
    const page = await visitor.get(path);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Confirmer la désinscription');
    expect((await contactRow(contactId)).status).to.equal('active');
    const csrf = await csrfOf(visitor, path);
    const done = await visitor.post(path).type('form').send({ _csrf: csrf });
    expect(done.status).to.equal(200);
    expect(done.text).to.include('votre désinscription');
    expect(await contactRow(contactId)).to.deep.include({ status: 'unsubscribed', emailConsent: false });
    expect(await memberStatus(listId, contactId)).to.equal('unsubscribed');
  });

  it('answers 404 to a tampered or foreign token', async () => {
    const { contactId, listId } = await newContactOnList(false);
    const token = new URL(container.cradle.contactService.unsubscribeUrl(tenantId, contactId, listId)).pathname.split('/').pop()!;
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    expect((await supertest(app).get(`/u/${flipped}`)).status).to.equal(404);
    expect((await supertest(app).post(`/u/${flipped}`).type('form').send('List-Unsubscribe=One-Click')).status).to.equal(404);
    expect((await supertest(app).get('/u/nothing-here')).status).to.equal(404);
    // a token signed with another key (another installation) is refused too
    const otherKey = buildContainer(testConfig({ SESSION_SECRET: 'z'.repeat(48) }), testEnv().db);
    try {
      const foreign = otherKey.cradle.unsubscribeTokens.sign({ tenantId, contactId, listId });
      expect((await supertest(app).post(`/u/${foreign}`).type('form').send('List-Unsubscribe=One-Click')).status).to.equal(404);
    } finally {
      await otherKey.dispose();
    }
    expect(await memberStatus(listId, contactId)).to.equal('subscribed');
  });

  it('gives the senders only who may receive: hard bounces, SMS consent and STOP', async () => {
    const service = container.cradle.contactService;
    const { contactId, listId } = await newContactOnList(false);
    await service.grantConsent(tenantId, contactId, 'email', { source: 'manual', proof: 'comptoir' });
    expect(await service.recipientsForList(tenantId, listId)).to.have.length(1);
    expect(await service.recordHardBounce(tenantId, contactId, '550 5.1.1 user unknown')).to.equal(true);
    expect(await service.recordHardBounce(tenantId, contactId, '550 again')).to.equal(false);
    expect(await service.recipientsForList(tenantId, listId)).to.have.length(0);
    expect(await contactRow(contactId)).to.deep.include({ status: 'bounced' });

    const phone = `+3361${String(crypto.randomInt(1_000_000, 9_999_999))}`;
    const sms = await owner.agent.post('/app/contacts').type('form').send({ _csrf: owner.csrf, phone, smsConsent: 'on', consentProof: 'Mot-clé JOIN au 38 000' });
    const smsId = sms.headers.location.split('/').pop() as string;
    expect((await service.smsRecipients(tenantId)).map((r) => r.contactId)).to.include(smsId);
    expect(await service.optOutSms(tenantId, phone, 'stop_reply')).to.equal(smsId);
    expect((await service.smsRecipients(tenantId)).map((r) => r.contactId)).to.not.include(smsId);
    expect(await service.optOutSms(tenantId, '+33699999999', 'stop_reply')).to.equal(null);
    const row = await contactRow(smsId);
    expect(row.smsConsent).to.equal(false);
    expect(row.smsOptedOutAt).to.be.instanceOf(Date);
    // and a team member cannot give it back
    const regrant = await owner.agent.post(`/app/contacts/${smsId}/consent`).type('form').send({ _csrf: owner.csrf, medium: 'sms', action: 'grant', consentProof: 'oral' });
    expect(regrant.status).to.equal(409);
  });

  it('keeps the senders’ queries inside their tenant', async () => {
    const { contactId, listId } = await newContactOnList(false);
    await container.cradle.contactService.grantConsent(tenantId, contactId, 'email', { source: 'manual', proof: 'comptoir' });
    const other = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const otherTenant = (await container.cradle.database.asPlatform((trx) => trx('users as u').join('memberships as m', 'm.userId', 'u.id').where('u.email', DEMO_OWNER_2.email).whereNotNull('m.tenantId').first('m.tenantId'))).tenantId;
    expect(otherTenant).to.not.equal(tenantId);
    expect(await container.cradle.contactService.recipientsForList(otherTenant, listId)).to.deep.equal([]);
    expect((await other.agent.post(`/app/contacts/${contactId}/lists`).type('form').send({ _csrf: other.csrf, listId })).status).to.equal(404);
  });
});
