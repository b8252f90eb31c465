import { expect } from 'chai';
import supertest from 'supertest';
import { extractText, getDocumentProxy } from 'unpdf';
import { testEnv } from '../../../support/root-hooks.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';
import { createTenant } from '../../../support/tenants.js';
import { freshTenantOwner } from '../studio/editor-support.js';

const PERIOD = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
const NOW = new Date('2026-11-02T05:00:00Z');

/** Puts the tenant's subscription on a known period, with a billing profile (or none). */
async function prepare(tenantId: string, profile: Record<string, unknown> | null, extra: Record<string, unknown> = {}) {
  const { database } = testEnv().container.cradle;
  await database.asPlatform(async (trx) => {
    await trx('subscriptions').where({ tenantId }).update({ currentPeriodStart: PERIOD.start, currentPeriodEnd: PERIOD.end, ...extra });
    if (profile) {
      await trx('billingProfiles').insert({ tenantId, legalName: 'Client SA', billingEmail: 'compta@client.test', addressLine1: '1 rue du Client', postalCode: '1000', city: 'Ville', ...profile });
    }
  });
}

async function invoicesOf(tenantId: string): Promise<Record<string, any>[]> {
  const { database } = testEnv().container.cradle;
  return database.forTenant(tenantId, async (trx) => {
    const invoices = await trx('invoices').where({ tenantId }).orderBy('sequenceNumber');
    const lines = await trx('invoiceLines').where({ tenantId }).orderBy(['invoiceId', 'position']);
    return invoices.map((i: Record<string, any>) => ({ ...i, lines: lines.filter((l: { invoiceId: string }) => l.invoiceId === i.id) }));
  });
}

async function pdfText(buffer: Buffer): Promise<string> {
  const pdf = await getDocumentProxy(new Uint8Array(buffer));
  return (await extractText(pdf, { mergePages: true })).text as string;
}

describe('Invoices (billing:issue-invoices, PDF, download)', () => {
  it('issues one invoice per subscription period — plan price, paid add-ons, French VAT — and never twice', async () => {
    const { database, invoiceService } = testEnv().container.cradle;
    const tenant = await createTenant(database, { plan: 'growth' });
    await prepare(tenant.id, { country: 'FR', vatNumber: 'FR40812345678', postalCode: '69002', city: 'Lyon' });
    await database.asPlatform(async (trx) => {
      const sub = await trx('subscriptions').where({ tenantId: tenant.id }).first('id');
      await trx('subscriptionConnectors').insert({ tenantId: tenant.id, subscriptionId: sub.id, connectorCode: 'hubspot', source: 'addon', quantity: 2, priceCents: 1900 });
    });
    // The job's fan-out (platform context) lists the tenant; each tenant is then issued in its own context. The
    // job itself (`issueDue`) is not run here: it would invoice every tenant of the shared test database.
    const { invoiceRepository } = testEnv().container.cradle;
    expect(await invoiceRepository.tenantsToInvoice(NOW)).to.include(tenant.id);
    expect(await invoiceRepository.tenantsToInvoice(new Date('2026-10-31T23:00:00Z'))).to.not.include(tenant.id);
    const issued = await Promise.all([invoiceService.issueFor(tenant.id, NOW), invoiceService.issueFor(tenant.id, NOW)]);
    expect(issued.filter(Boolean)).to.have.length(1);
    expect(await invoiceService.issueFor(tenant.id, NOW)).to.equal(null);
    expect(await invoiceRepository.tenantsToInvoice(NOW)).to.not.include(tenant.id);
    const [invoice, ...others] = await invoicesOf(tenant.id);
    expect(others).to.have.length(0);
    expect(invoice).to.include({ status: 'issued', currency: 'EUR', subtotalCents: 12900 + 2 * 1900, taxRateBp: 2000, taxCents: 3340, totalCents: 16700 + 3340, vatReverseCharge: false, recipientLegalName: 'Client SA', recipientVatNumber: 'FR40812345678' });
    expect(invoice.number).to.match(/^F2026-\d{6}$/);
    expect(invoice.lines.map((l: { kind: string; quantity: number; unitPriceCents: number; amountCents: number }) => [l.kind, l.quantity, l.unitPriceCents, l.amountCents])).to.deep.equal([
      ['subscription', 1, 12900, 12900],
      ['connector', 2, 1900, 3800],
    ]);
    expect(invoice.lines[0].description).to.equal('Abonnement Cadence Growth — du 01/11/2026 au 30/11/2026');
  });

  it('applies reverse charge to an EU business outside France and no VAT outside the EU, each with its mention', async () => {
    const { database, invoiceService } = testEnv().container.cradle;
    const be = await createTenant(database, { plan: 'starter', locale: 'en' });
    await prepare(be.id, { country: 'BE', vatNumber: 'BE0123456789', vatReverseCharge: true });
    const us = await createTenant(database, { plan: 'starter' });
    await prepare(us.id, { country: 'US', vatNumber: null });
    const beInvoice = await invoiceService.issueFor(be.id, NOW);
    await invoiceService.issueFor(us.id, NOW);
    const [b] = await invoicesOf(be.id);
    const [u] = await invoicesOf(us.id);
    expect(b).to.include({ subtotalCents: 4900, taxRateBp: 0, taxCents: 0, totalCents: 4900, vatReverseCharge: true, locale: 'en' });
    expect(u).to.include({ subtotalCents: 4900, taxRateBp: 0, taxCents: 0, totalCents: 4900, vatReverseCharge: false });
    const text = await pdfText((await invoiceService.pdf(be.id, beInvoice!.id)).pdf);
    expect(text).to.include('Reverse charge');
    expect(text).to.include('BE0123456789');
    const usText = await pdfText((await invoiceService.pdf(us.id, u.id)).pdf);
    expect(usText).to.include('TVA non applicable, article 259-1 du CGI');
  });

  it('renders a PDF with the number, the parties, the totals and the French legal mentions', async () => {
    const { database, invoiceService } = testEnv().container.cradle;
    const tenant = await createTenant(database, { plan: 'growth' });
    await prepare(tenant.id, { country: 'FR', vatNumber: null, legalName: 'Fournil du Port SARL' });
    const issued = (await invoiceService.issueFor(tenant.id, NOW))!;
    const { pdf, number } = await invoiceService.pdf(tenant.id, issued.id);
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    expect(number).to.equal(issued.number);
    const text = await pdfText(pdf);
    for (const expected of [
      `Facture ${issued.number}`,
      'Fournil du Port SARL',
      'Date d\'émission',
      'Date d\'échéance',
      'Total HT',
      'TVA (20 %)',
      'Total TTC',
      '154,80 €',
      'indemnité forfaitaire pour frais de recouvrement de 40 €',
      'Pas d\'escompte',
    ]) {
      expect(text.replace(/\s+/g, ' ')).to.include(expected.replace(/\s+/g, ' '));
    }
  });

  it('lets members download their own invoice as a PDF; another tenant\'s or a malformed id is not found', async () => {
    const { app, container } = testEnv();
    const cradle = container.cradle;
    const owner = await freshTenantOwner(cradle, app);
    await prepare(owner.tenantId, null);
    const issued = (await cradle.invoiceService.issueFor(owner.tenantId, NOW))!;
    const page = await owner.agent.get('/app/subscription');
    expect(page.status).to.equal(200);
    expect(page.text).to.include(`href="/app/subscription/invoices/${issued.id}.pdf" data-testid="invoice-download"`);
    expect(page.text).to.include(issued.number);
    const res = await owner.agent.get(`/app/subscription/invoices/${issued.id}.pdf`).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/pdf/);
    expect(res.headers['content-disposition']).to.equal(`attachment; filename="${issued.number}.pdf"`);
    expect(await pdfText(res.body as Buffer)).to.include(issued.number);

    const viewer = await addTeamMember(app, { agent: owner.agent, csrf: owner.csrf }, 'client_viewer');
    expect((await viewer.agent.get(`/app/subscription/invoices/${issued.id}.pdf`)).status).to.equal(200);

    const other = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    expect((await other.agent.get(`/app/subscription/invoices/${issued.id}.pdf`)).status).to.equal(404);
    expect((await other.agent.get('/app/subscription/invoices/not-an-id.pdf')).status).to.equal(404);
    expect((await supertest(app).get(`/app/subscription/invoices/${issued.id}.pdf`)).status).to.equal(303);
  });

  it('gives the demo workspace an issued invoice to download', async () => {
    const { app } = testEnv();
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const page = await owner.agent.get('/app/subscription');
    const link = /href="(\/app\/subscription\/invoices\/[0-9a-f-]{36}\.pdf)" data-testid="invoice-download"/.exec(page.text);
    expect(link, 'demo invoice link').to.not.equal(null);
    const res = await owner.agent.get(link![1]);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/pdf/);
  });
});
