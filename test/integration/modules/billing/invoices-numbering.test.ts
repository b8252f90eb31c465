import crypto from 'node:crypto';
import { expect } from 'chai';
import { issueInvoice } from '../../../../src/modules/billing/db/knex-invoice-repository.js';
import type { InvoiceDraft } from '../../../../src/modules/billing/invoice-drafts.js';
import { taxTreatment } from '../../../../src/modules/billing/invoice-rules.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

/** A one-line invoice in its own series (so the suite's other invoices never share its numbers). */
function draft(tenantId: string, series: string, amount = 1000): InvoiceDraft {
  const issuedAt = new Date('2026-11-25T09:00:00Z');
  return {
    tenantId,
    subscriptionId: null,
    currency: 'EUR',
    tax: taxTreatment({ country: 'FR', vatNumber: null }),
    lines: [{ kind: 'adjustment', description: 'Test', quantity: 1, unitPriceCents: amount }],
    periodStart: null,
    periodEnd: null,
    issuedAt,
    dueAt: issuedAt,
    issuer: { legalName: 'Cadence SAS', address: '1 rue Test, 75001 Paris', registrationNumber: '900000001', vatNumber: 'FR00900000001', country: 'FR', email: null, paymentTermDays: 30, bank: null },
    recipient: { legalName: 'Client', address: '', vatNumber: null, country: 'FR' },
    locale: 'fr',
    series: { series, prefix: `T${series}-` },
  };
}

describe('Invoice numbering (gapless per issuer and series)', () => {
  it('gives 20 concurrent issuances the numbers 1..20 exactly: no gap, no duplicate', async () => {
    const { database, invoiceRepository } = testEnv().container.cradle;
    const [a, b] = [await createTenant(database), await createTenant(database)];
    const series = `conc-${crypto.randomBytes(4).toString('hex')}`;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => invoiceRepository.issue(i % 2 ? a.id : b.id, draft(i % 2 ? a.id : b.id, series, 1000 + i))));
    expect(results.map((r) => r.sequenceNumber).sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.number)).size).to.equal(20);
    expect(results.find((r) => r.sequenceNumber === 7)!.number).to.equal(`T${series}-000007`);
    const stored = await database.asPlatform((trx) =>
      trx('invoices as i').join('invoiceSequences as s', 's.id', 'i.sequenceId').where('s.series', series).orderBy('i.sequenceNumber').select('i.sequenceNumber', 'i.number', 's.nextNumber'),
    );
    expect(stored.map((r: { sequenceNumber: number }) => r.sequenceNumber)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(stored[0].nextNumber).to.equal(21);
  });

  it('gives the number of an issuance that rolled back to the next one (a number is consumed only by an issued invoice)', async () => {
    const { database, invoiceRepository } = testEnv().container.cradle;
    const tenant = await createTenant(database);
    const series = `rb-${crypto.randomBytes(4).toString('hex')}`;
    expect((await invoiceRepository.issue(tenant.id, draft(tenant.id, series))).sequenceNumber).to.equal(1);
    const failed = database.forTenant(tenant.id, async (trx) => {
      await issueInvoice(trx, draft(tenant.id, series));
      throw new Error('payment provider down: roll back');
    });
    const error = await failed.then(() => null, (err: Error) => err);
    expect(error?.message).to.equal('payment provider down: roll back');
    const next = await invoiceRepository.issue(tenant.id, draft(tenant.id, series));
    expect(next.sequenceNumber).to.equal(2);
    expect(next.number).to.equal(`T${series}-000002`);
  });
});
