import { expect } from 'chai';
import { SandboxMailer } from '../../../../src/adapters/mail/sandbox-mailer.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant, type TestTenant } from '../../../support/tenants.js';

describe('SandboxMailer (records what would have been sent)', () => {
  let mailer: SandboxMailer;
  let tenant: TestTenant;
  let other: TestTenant;

  before(async () => {
    const { database } = testEnv().container.cradle;
    mailer = new SandboxMailer({ database });
    tenant = await createTenant(database);
    other = await createTenant(database);
  });

  it('records the message as an e-mail delivery of its tenant, visible only in that tenant', async () => {
    const { database } = testEnv().container.cradle;
    const receipt = await mailer.send({
      tenantId: tenant.id,
      to: 'élodie@boulangerie-martin.fr',
      subject: 'Votre publication est prête à être validée',
      text: 'Bonjour, relisez-la ici.',
      html: '<p>Bonjour, <a href="https://cadence.test/r/abc">relisez-la ici</a>.</p>',
      replyTo: 'contact@agence-lumiere.fr',
      headers: { 'List-Unsubscribe': '<https://cadence.test/u/abc>' },
      kind: 'approval_link',
    });

    expect(receipt.sandbox).to.equal(true);
    expect(receipt.messageId).to.match(/^<sandbox-[0-9a-f-]{36}@cadence\.local>$/);

    const rows = await database.forTenant(tenant.id, (trx) => trx('sandboxDeliveries').where({ fakeExternalId: receipt.messageId }));
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ tenantId: tenant.id, channel: 'email', recipient: 'élodie@boulangerie-martin.fr' });
    expect(rows[0].payload).to.deep.equal({
      kind: 'approval_link',
      subject: 'Votre publication est prête à être validée',
      text: 'Bonjour, relisez-la ici.',
      html: '<p>Bonjour, <a href="https://cadence.test/r/abc">relisez-la ici</a>.</p>',
      replyTo: 'contact@agence-lumiere.fr',
      headers: { 'List-Unsubscribe': '<https://cadence.test/u/abc>' },
    });

    // Row-level security: another tenant does not see it, even when it asks for it by its id.
    const seenByOther = await database.forTenant(other.id, (trx) => trx('sandboxDeliveries').where({ fakeExternalId: receipt.messageId }));
    expect(seenByOther).to.deep.equal([]);
    const platformView = await database.asPlatform((trx) => trx('sandboxDeliveries').where({ fakeExternalId: receipt.messageId }).select('tenantId'));
    expect(platformView).to.deep.equal([{ tenantId: tenant.id }]);
  });

  it('cannot record a message in the name of a tenant other than the one of the unit of work', async () => {
    const { database } = testEnv().container.cradle;
    let refused = false;
    try {
      await database.forTenant(other.id, (trx) =>
        trx('sandboxDeliveries').insert({ tenantId: tenant.id, channel: 'email', recipient: 'x@exemple.fr', payload: '{}', fakeExternalId: '<forged@cadence.local>' }),
      );
    } catch (err) {
      refused = true;
      expect((err as Error).message).to.match(/row-level security/);
    }
    expect(refused).to.equal(true);
  });
});
