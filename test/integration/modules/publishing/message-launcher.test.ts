import { asValue } from 'awilix';
import { expect } from 'chai';
import { buildContainer } from '../../../../src/container.js';
import type { Cradle } from '../../../../src/container.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';
import { addNewsletterContent, listWithContacts } from './newsletter/newsletter-support.js';
import { addContacts, addSmsContent, FrozenClock, phone, useConnector } from './sms/sms-support.js';

/** Approved SMS and newsletter contents leave at their slot, once, without anyone pressing "send". */
describe('publishing/MessageLauncher', function () {
  this.timeout(60_000);
  const cradle = (): Cradle => testEnv().container.cradle;

  async function smsDueNow(tenantId: string): Promise<string> {
    const contentId = await addSmsContent(cradle(), tenantId, 'Boulangerie Test : -20 % sur les viennoiseries ce samedi. STOP au 36111', { scheduledAt: new Date(Date.now() - 60_000) });
    await cradle().database.forTenant(tenantId, (trx) =>
      trx('calendarSlots').insert({ tenantId, contentId, channel: 'sms', startsAt: new Date(Date.now() - 60_000), status: 'confirmed', source: 'manual' }),
    );
    return contentId;
  }

  before(() => useConnector(cradle(), 'sandbox'));

  it('launches a due SMS for its consenting contacts once, however often it runs', async () => {
    const tenant = await createTenant(cradle().database);
    await addContacts(cradle(), tenant.id, [
      { phone: phone(), consent: true },
      { phone: phone(), consent: true },
      { phone: phone(), consent: false },
    ]);
    const contentId = await smsDueNow(tenant.id);
    await Promise.all([cradle().messageLauncher.run(), cradle().messageLauncher.run()]);
    await cradle().messageLauncher.run();
    const campaigns = await cradle().database.forTenant(tenant.id, (trx) => trx('smsCampaigns').where({ contentId }).whereNot('status', 'draft'));
    expect(campaigns).to.have.length(1);
    const messages = await cradle().database.forTenant(tenant.id, (trx) => trx('smsMessages').where({ smsCampaignId: campaigns[0].id }));
    expect(messages).to.have.length(2);

    // a team member preparing and sending it again by hand gets a refusal, not a second campaign
    const again = await cradle().smsService.prepareCampaign(tenant.id, contentId);
    const refusal = await cradle().smsService.sendCampaign(tenant.id, again.campaignId).then(() => null, (err: { status?: number }) => err);
    expect(refusal?.status).to.equal(409);
    expect(await cradle().database.forTenant(tenant.id, (trx) => trx('smsMessages').whereIn('smsCampaignId', trx('smsCampaigns').select('id').where({ contentId })))).to.have.length(2);
  });

  it('marks the SMS content published once its messages have gone out (sandbox provider, a Tuesday morning)', async () => {
    const clock = new FrozenClock(new Date('2026-11-24T09:00:00Z')); // 10:00 in Paris: SMS may go out
    const container = buildContainer(testEnv().config, testEnv().db, { clock: asValue(clock) });
    try {
      const c = container.cradle;
      const tenant = await createTenant(c.database);
      await addContacts(c, tenant.id, [{ phone: phone(), consent: true }]);
      const slot = new Date(clock.now().getTime() - 60_000);
      const contentId = await addSmsContent(c, tenant.id, 'Boulangerie Test : galettes en boutique. STOP au 36111', { scheduledAt: slot });
      await c.database.forTenant(tenant.id, (trx) => trx('calendarSlots').insert({ tenantId: tenant.id, contentId, channel: 'sms', startsAt: slot, status: 'confirmed', source: 'manual' }));
      expect((await c.messageLauncher.run()).launched).to.be.greaterThanOrEqual(1);
      await c.smsSender.sendDue();
      const content = await c.database.forTenant(tenant.id, (trx) => trx('contents').where({ id: contentId }).first('status', 'publishedAt'));
      const slotRow = await c.database.forTenant(tenant.id, (trx) => trx('calendarSlots').where({ contentId }).first('status'));
      expect(content.status).to.equal('published');
      expect(content.publishedAt.toISOString()).to.equal(clock.now().toISOString());
      expect(slotRow.status).to.equal('published');
    } finally {
      await container.dispose();
    }
  });

  it('sends a due newsletter to the default list once, and skips a workspace without one', async () => {
    const tenant = await createTenant(cradle().database);
    const { listId } = await listWithContacts(cradle(), tenant.id, 3);
    const contentId = await addNewsletterContent(cradle(), tenant.id);
    await cradle().messageLauncher.run();
    expect(await cradle().database.forTenant(tenant.id, (trx) => trx('newsletters').where({ contentId }))).to.have.length(0); // no default list yet

    await cradle().database.forTenant(tenant.id, (trx) => trx('contactLists').where({ id: listId }).update({ isDefault: true }));
    await Promise.all([cradle().messageLauncher.run(), cradle().messageLauncher.run()]);
    await cradle().messageLauncher.run();
    const newsletters = await cradle().database.forTenant(tenant.id, (trx) => trx('newsletters').where({ contentId }).whereNot('status', 'draft'));
    expect(newsletters).to.have.length(1);
    expect(newsletters[0]).to.include({ status: 'sending', listId, recipientCount: 3 });
    const recipients = await cradle().database.forTenant(tenant.id, (trx) => trx('newsletterRecipients').where({ newsletterId: newsletters[0].id }));
    expect(recipients).to.have.length(3);
  });

  it('leaves contents that are not approved or not due yet', async () => {
    const tenant = await createTenant(cradle().database);
    await addContacts(cradle(), tenant.id, [{ phone: phone(), consent: true }]);
    const draft = await addSmsContent(cradle(), tenant.id, 'Brouillon. STOP au 36111', { status: 'draft' });
    await cradle().database.forTenant(tenant.id, (trx) =>
      trx('calendarSlots').insert({ tenantId: tenant.id, contentId: draft, channel: 'sms', startsAt: new Date(Date.now() - 60_000), status: 'proposed', source: 'manual' }),
    );
    const later = await addSmsContent(cradle(), tenant.id, 'Plus tard. STOP au 36111', { scheduledAt: new Date(Date.now() + 3600_000) });
    await cradle().database.forTenant(tenant.id, (trx) =>
      trx('calendarSlots').insert({ tenantId: tenant.id, contentId: later, channel: 'sms', startsAt: new Date(Date.now() + 3600_000), status: 'confirmed', source: 'manual' }),
    );
    await cradle().messageLauncher.run();
    expect(await cradle().database.forTenant(tenant.id, (trx) => trx('smsCampaigns').whereIn('contentId', [draft, later]))).to.have.length(0);
  });
});
