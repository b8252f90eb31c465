import { expect } from 'chai';
import { testEnv } from '../../../../support/root-hooks.js';
import { createTenant } from '../../../../support/tenants.js';
import { session } from '../../calendar/approval-support.js';

/** Dates on the contact pages are in the workspace's time zone, not the server's or Paris'. */
describe('Contacts: dates in the tenant’s time zone', () => {
  it('shows an unsubscription at New York time for a New York workspace', async () => {
    const { database } = testEnv().container.cradle;
    const tenant = await createTenant(database, { name: 'Bagels NYC' });
    await database.asPlatform((trx) => trx('tenants').where({ id: tenant.id }).update({ timezone: 'America/New_York' }));
    const owner = await session(tenant.id, 'client_owner', 'Dana Owner');
    const contactId = await database.forTenant(tenant.id, async (trx) => {
      const [row] = await trx('contacts')
        .insert({ tenantId: tenant.id, email: 'lecteur@example.test', status: 'unsubscribed', unsubscribedAt: new Date('2026-07-14T03:30:00Z') })
        .returning('id');
      return row.id as string;
    });
    const page = await owner.agent.get(`/app/contacts/${contactId}`);
    expect(page.status).to.equal(200);
    const shown = new Intl.DateTimeFormat('fr', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/New_York' }).format(new Date('2026-07-14T03:30:00Z'));
    expect(shown).to.include('23:30'); // the evening before, in New York
    expect(page.text).to.include(shown);
  });
});
