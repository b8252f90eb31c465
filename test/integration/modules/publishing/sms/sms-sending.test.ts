import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { buildContainer, type Cradle } from '../../../../../src/container.js';
import { AppError } from '../../../../../src/shared/errors.js';
import { DEFAULT_STOP_MENTION } from '../../../../../src/modules/publishing/sms/rules.js';
import { startSmsEmulator, type SmsEmulator } from '../../../../support/sms-emulator/index.js';
import { testConfig, testEnv } from '../../../../support/root-hooks.js';
import { createTenant } from '../../../../support/tenants.js';
import { addContacts, addSmsContent, FrozenClock, messagesOf, phone, useConnector } from './sms-support.js';

// Monday 30 November 2026, 10:00 in Paris.
const MONDAY_10H = '2026-11-30T09:00:00Z';

describe('SMS sending (consent, quiet hours, providers over HTTP)', function () {
  this.timeout(60_000);
  let emulator: SmsEmulator;
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;
  const clock = new FrozenClock(new Date(MONDAY_10H));

  before(async () => {
    emulator = await startSmsEmulator();
    container = buildContainer(testConfig(), testEnv().db, { clock: asValue(clock) });
    cradle = container.cradle;
  });

  after(async () => {
    await useConnector(cradle, 'sandbox');
    await container.dispose();
    await emulator.stop();
  });

  beforeEach(() => {
    emulator.reset();
    clock.set(MONDAY_10H);
  });

  async function campaignWith(vendor: 'brevo' | 'twilio' | 'sandbox', count = 2) {
    await useConnector(cradle, vendor, emulator);
    const tenant = await createTenant(cradle.database, { name: 'Boulangerie Martin' });
    const phones = Array.from({ length: count }, phone);
    await addContacts(cradle, tenant.id, phones.map((p) => ({ phone: p, consent: true })));
    const contentId = await addSmsContent(cradle, tenant.id, 'Galettes des rois à -20 % ce samedi !');
    const preparation = await cradle.smsService.prepareCampaign(tenant.id, contentId);
    return { tenant, phones, contentId, preparation };
  }

  it('prepares only for contacts with SMS consent, not opted out, with a phone, and shows text, segments, cost and send time', async () => {
    await useConnector(cradle, 'brevo', emulator, { pricePerSegmentMicros: 50_000 });
    const tenant = await createTenant(cradle.database, { name: 'Boulangerie Martin' });
    const [ok1, ok2, noConsent, stopped] = [phone(), phone(), phone(), phone()];
    await addContacts(cradle, tenant.id, [
      { phone: ok1, consent: true },
      { phone: ok2, consent: true },
      { phone: noConsent, consent: false },
      { phone: stopped, consent: true, optedOut: true },
      { phone: null, consent: false, email: 'sans-telephone@example.test' },
    ]);
    const contentId = await addSmsContent(cradle, tenant.id, 'Galettes des rois à -20 % ce samedi !');
    clock.set('2026-11-29T10:00:00Z'); // a Sunday
    const p = await cradle.smsService.prepareCampaign(tenant.id, contentId);
    expect(p.recipients).to.equal(2);
    expect(p.text).to.equal(`Boulangerie Martin : Galettes des rois à -20 % ce samedi !\n${DEFAULT_STOP_MENTION}`);
    expect(p.info.encoding).to.equal('gsm7');
    expect(p.cost).to.include({ segments: 1, recipients: 2, billableSegments: 2, unitPriceMicros: 50_000, totalMicros: 100_000 });
    expect(p.provider).to.equal('brevo');
    expect(p.senderId).to.equal('Boulangerie');
    expect(p.plannedAt.toISOString()).to.equal('2026-11-30T07:00:00.000Z'); // Monday 08:00 Paris
    expect(p.sendable).to.equal(true);
  });

  it('sends through the Brevo API over HTTP, once per contact, and records the provider ids', async () => {
    const { tenant, phones, preparation } = await campaignWith('brevo');
    await cradle.smsService.sendCampaign(tenant.id, preparation.campaignId);
    const report = await cradle.smsSender.sendDue();
    expect(report.sent).to.be.at.least(2);
    for (const p of phones) {
      const [sms] = emulator.sentTo(p);
      expect(emulator.sentTo(p)).to.have.length(1);
      expect(sms.body).to.include({ sender: 'Boulangerie', recipient: p.slice(1), type: 'marketing', unicodeEnabled: false, content: preparation.text });
    }
    const rows = await messagesOf(cradle, tenant.id, preparation.campaignId);
    expect(rows.map((r) => r.status)).to.deep.equal(['sent', 'sent']);
    expect(rows.every((r) => r.provider === 'brevo' && /^\d+$/.test(r.providerMessageId))).to.equal(true);
    const { campaign, counts } = await cradle.smsService.progress(tenant.id, preparation.campaignId);
    expect(campaign.status).to.equal('sent');
    expect(counts.sent).to.equal(2);
    await expectRejection(cradle.smsService.sendCampaign(tenant.id, preparation.campaignId), 'sms.errors.alreadySent');
  });

  it('sends through the Twilio API over HTTP with Basic auth and form fields', async () => {
    const { tenant, phones, preparation } = await campaignWith('twilio');
    await cradle.smsService.sendCampaign(tenant.id, preparation.campaignId);
    await cradle.smsSender.sendDue();
    for (const p of phones) {
      const sent = emulator.sentTo(p);
      expect(sent).to.have.length(1);
      expect(sent[0].body).to.include({ To: p, From: 'Boulangerie', Body: preparation.text });
    }
    const rows = await messagesOf(cradle, tenant.id, preparation.campaignId);
    expect(rows.every((r) => r.status === 'sent' && r.provider === 'twilio' && r.providerMessageId.startsWith('SM'))).to.equal(true);
  });

  it('retries after a 429 with backoff and then sends exactly once', async () => {
    const { tenant, phones, preparation } = await campaignWith('brevo', 1);
    emulator.fail({ vendor: 'brevo', status: 429, to: phones[0] });
    await cradle.smsService.sendCampaign(tenant.id, preparation.campaignId);
    const first = await cradle.smsSender.sendDue();
    expect(first.retried).to.be.at.least(1);
    let [row] = await messagesOf(cradle, tenant.id, preparation.campaignId);
    expect(row).to.include({ status: 'queued', attempts: 1, provider: null, errorCode: 'sms.errors.rateLimited' });
    expect(new Date(row.scheduledFor).toISOString()).to.equal(new Date(Date.parse(MONDAY_10H) + 1000).toISOString()); // Retry-After: 1
    await cradle.smsSender.sendDue(); // not due yet
    expect(emulator.sentTo(phones[0])).to.have.length(0);
    clock.advance(1000);
    await cradle.smsSender.sendDue();
    [row] = await messagesOf(cradle, tenant.id, preparation.campaignId);
    expect(row).to.include({ status: 'sent', attempts: 2 });
    expect(emulator.sentTo(phones[0])).to.have.length(1);
  });

  it('fails a message at once on a permanent 400 and never retries it', async () => {
    const { tenant, phones, preparation } = await campaignWith('twilio', 2);
    emulator.fail({ vendor: 'twilio', status: 400, to: phones[0] });
    await cradle.smsService.sendCampaign(tenant.id, preparation.campaignId);
    await cradle.smsSender.sendDue();
    clock.advance(3_600_000);
    await cradle.smsSender.sendDue();
    const rows = await messagesOf(cradle, tenant.id, preparation.campaignId);
    const failed = rows.find((r) => r.toPhone === phones[0]);
    expect(failed).to.include({ status: 'failed', attempts: 1, errorCode: 'sms.errors.invalidNumber' });
    expect(emulator.calls.filter((c) => c.vendor === 'twilio' && c.status === 400)).to.have.length(1);
    expect(emulator.sentTo(phones[1])).to.have.length(1);
    const { campaign, counts } = await cradle.smsService.progress(tenant.id, preparation.campaignId);
    expect(counts).to.include({ sent: 1, failed: 1 });
    expect(campaign.status).to.equal('sent');
  });

  it('checks quiet hours at each send: what is due at 20:00 on Saturday waits for Monday 08:00', async () => {
    clock.set('2026-11-28T18:59:00Z'); // Saturday 19:59 Paris
    const { tenant, phones, preparation } = await campaignWith('brevo', 2);
    expect(preparation.plannedAt.toISOString()).to.equal('2026-11-28T18:59:00.000Z');
    await cradle.smsService.sendCampaign(tenant.id, preparation.campaignId);
    clock.set('2026-11-28T19:00:00Z'); // 20:00 when the worker runs
    const report = await cradle.smsSender.sendDue();
    expect(report.deferred).to.be.at.least(2);
    const rows = await messagesOf(cradle, tenant.id, preparation.campaignId);
    expect(rows.map((r) => [r.status, new Date(r.scheduledFor).toISOString()])).to.deep.equal([
      ['deferred_quiet_hours', '2026-11-30T07:00:00.000Z'],
      ['deferred_quiet_hours', '2026-11-30T07:00:00.000Z'],
    ]);
    clock.set('2026-11-29T12:00:00Z'); // Sunday noon: still nothing
    await cradle.smsSender.sendDue();
    expect(phones.flatMap((p) => emulator.sentTo(p))).to.have.length(0);
    clock.set('2026-11-30T07:00:00Z'); // Monday 08:00
    await cradle.smsSender.sendDue();
    expect(phones.map((p) => emulator.sentTo(p).length)).to.deep.equal([1, 1]);
  });

  it('re-checks consent at send time: a contact who withdrew after the launch gets nothing', async () => {
    const { tenant, phones, preparation } = await campaignWith('sandbox', 2);
    await cradle.smsService.sendCampaign(tenant.id, preparation.campaignId);
    await cradle.database.forTenant(tenant.id, (trx) => trx('contacts').where({ phoneE164: phones[0] }).update({ smsConsent: false }));
    await cradle.smsSender.sendDue();
    const rows = await messagesOf(cradle, tenant.id, preparation.campaignId);
    expect(rows.find((r) => r.toPhone === phones[0])).to.include({ status: 'blocked_consent' });
    expect(rows.find((r) => r.toPhone === phones[1])).to.include({ status: 'sent', provider: 'sandbox' });
    const deliveries = await cradle.database.forTenant(tenant.id, (trx) => trx('sandboxDeliveries').where({ tenantId: tenant.id, channel: 'sms' }));
    expect(deliveries.map((d) => d.recipient)).to.deep.equal([phones[1]]);
    expect(deliveries[0].payload).to.include({ content: preparation.text });
  });

  it('sends each message exactly once when two workers run at the same time', async () => {
    const { tenant, phones, preparation } = await campaignWith('twilio', 6);
    await cradle.smsService.sendCampaign(tenant.id, preparation.campaignId);
    await Promise.all([cradle.smsSender.sendDue(), cradle.smsSender.sendDue(), cradle.smsSender.sendDue()]);
    expect(phones.map((p) => emulator.sentTo(p).length)).to.deep.equal([1, 1, 1, 1, 1, 1]);
    const rows = await messagesOf(cradle, tenant.id, preparation.campaignId);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).to.equal(true);
  });

  it('refuses to send a content that is not approved', async () => {
    await useConnector(cradle, 'sandbox');
    const tenant = await createTenant(cradle.database, { name: 'Vélo Atelier' });
    await addContacts(cradle, tenant.id, [{ phone: phone(), consent: true }]);
    const contentId = await addSmsContent(cradle, tenant.id, 'Révision à -30 %', { status: 'pending_approval' });
    const p = await cradle.smsService.prepareCampaign(tenant.id, contentId);
    expect(p.sendable).to.equal(false);
    await expectRejection(cradle.smsService.sendCampaign(tenant.id, p.campaignId), 'sms.errors.notApproved');
  });
});

async function expectRejection(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal(code);
    return;
  }
  throw new Error(`expected ${code}`);
}
