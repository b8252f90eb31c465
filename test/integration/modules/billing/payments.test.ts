import crypto from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import supertest from 'supertest';
import { extractText, getDocumentProxy } from 'unpdf';
import { stripeWebhookRoutes } from '../../../../src/modules/billing/index.js';
import { testEnv } from '../../../support/root-hooks.js';
import { DEMO_OWNER, loginAs, SUPER_ADMIN } from '../../../support/http.js';
import { StripeEmulator, STRIPE_TEST_SECRET_KEY, STRIPE_TEST_WEBHOOK_SECRET } from '../../../support/stripe-emulator.js';
import { createTenant } from '../../../support/tenants.js';
import { freshTenantOwner } from '../studio/editor-support.js';

const NOW = new Date('2026-11-02T05:00:00Z');
const PERIOD = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
const BANK = { iban: 'FR76 3000 6000 0112 3456 7890 189', bic: 'AGRIFRPPXXX', accountHolder: 'Cadence SAS' };

describe('Payments (Stripe through its emulator, bank transfers)', () => {
  let emulator: StripeEmulator;
  let connectorId: string;
  /** The webhook router on its own app, as `src/app.ts` mounts it: before any body parser, session or CSRF. */
  let webhooks: express.Express;

  before(async () => {
    const { database, secretBox } = testEnv().container.cradle;
    emulator = await new StripeEmulator().start();
    connectorId = await database.asPlatform(async (trx) => {
      await trx('platformConnectors').where({ kind: 'stripe' }).whereNull('distributorId').update({ isDefault: false });
      const [row] = await trx('platformConnectors')
        .insert({
          kind: 'stripe',
          name: `Stripe test ${crypto.randomBytes(3).toString('hex')}`,
          settings: JSON.stringify({ apiBaseUrl: emulator.baseUrl, ...BANK, issuerAddress: '10 rue de la Paix, 75002 Paris', issuerRegistrationNumber: '900 000 001' }),
          secretsEncrypted: secretBox.seal(JSON.stringify({ secretKey: STRIPE_TEST_SECRET_KEY, webhookSecret: STRIPE_TEST_WEBHOOK_SECRET })),
          active: true,
          isDefault: true,
        })
        .returning('id');
      return row.id as string;
    });
    webhooks = express();
    webhooks.use(stripeWebhookRoutes(testEnv().container.cradle));
  });

  after(async () => {
    await testEnv().container.cradle.database.asPlatform((trx) => trx('platformConnectors').where({ id: connectorId }).delete());
    await emulator.stop();
  });

  const post = (event: object, signature?: string) => {
    const signed = emulator.signed(event);
    return supertest(webhooks).post('/webhooks/stripe').set('content-type', 'application/json').set('stripe-signature', signature ?? signed.signature).send(signed.body);
  };

  async function rowsOf(tenantId: string) {
    return testEnv().container.cradle.database.forTenant(tenantId, async (trx) => ({
      subscription: await trx('subscriptions').where({ tenantId }).whereNot('status', 'cancelled').first(),
      methods: await trx('paymentMethods').where({ tenantId }),
      invoices: await trx('invoices').where({ tenantId }).orderBy('sequenceNumber'),
      payments: await trx('payments').where({ tenantId }).orderBy('createdAt'),
    }));
  }

  /** An owner who saved a card through Checkout (hosted page on the emulator) and whose webhook was received. */
  async function ownerWithCard() {
    const { app, container } = testEnv();
    const owner = await freshTenantOwner(container.cradle, app);
    await container.cradle.database.asPlatform((trx) => trx('subscriptions').where({ tenantId: owner.tenantId }).update({ currentPeriodStart: PERIOD.start, currentPeriodEnd: PERIOD.end }));
    const res = await owner.agent.post('/app/subscription/payment/card').type('form').send({ _csrf: owner.csrf });
    expect(res.status).to.equal(303);
    const sessionId = /\/pay\/(cs_test_\w+)$/.exec(res.headers.location)![1];
    const event = emulator.completeSetup(sessionId, { brand: 'visa', last4: '4242', expMonth: 4, expYear: 2031 });
    const hook = await post(event);
    expect(hook.status).to.equal(200);
    return { owner, event };
  }

  it('saves a card: customer created once, Checkout setup session, signed webhook → default method and card payment mode', async () => {
    const { owner } = await ownerWithCard();
    const rows = await rowsOf(owner.tenantId);
    const customer = emulator.customers.get(rows.subscription.externalCustomerId)!;
    expect(customer.metadata).to.deep.equal({ tenant_id: owner.tenantId });
    expect(rows.subscription.paymentMode).to.equal('stripe');
    expect(rows.methods.map((m: Record<string, unknown>) => [m.provider, m.method, m.brand, m.last4, m.expMonth, m.expYear, m.isDefault, m.externalCustomerId])).to.deep.equal([
      ['stripe', 'card', 'visa', '4242', 4, 2031, true, customer.id],
    ]);
    const page = await owner.agent.get('/app/subscription');
    expect(page.text).to.include('Carte visa se terminant par 4242, expire 4/2031.');
    // a second setup reuses the customer
    await owner.agent.post('/app/subscription/payment/card').type('form').send({ _csrf: owner.csrf });
    expect([...emulator.customers.values()].filter((c) => (c.metadata as Record<string, string>).tenant_id === owner.tenantId)).to.have.length(1);
  });

  it('refuses a webhook with a bad, stale or missing signature (400, nothing stored) and treats a replay as done (200, once)', async () => {
    const { owner, event } = await ownerWithCard();
    const { database } = testEnv().container.cradle;
    const events = () => database.asPlatform((trx) => trx('paymentProviderEvents').where({ externalEventId: event.id }).select('status', 'attempts', 'tenantId'));
    const replay = await post(event);
    expect(replay.status).to.equal(200);
    expect(replay.body).to.deep.equal({ received: true, replayed: true });
    expect(await events()).to.deep.equal([{ status: 'processed', attempts: 2, tenantId: owner.tenantId }]);
    expect((await rowsOf(owner.tenantId)).methods).to.have.length(1);

    const forged = emulator.event('payment_intent.succeeded', { id: 'pi_forged', object: 'payment_intent', amount_received: 100, metadata: { tenant_id: owner.tenantId, invoice_id: crypto.randomUUID() } });
    const wrongSecret = emulator.signed(forged, 'whsec_someone_else').signature;
    const stale = emulator.signed(forged, STRIPE_TEST_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 3600).signature;
    for (const signature of [wrongSecret, stale, 't=1,v1=00']) {
      const res = await post(forged, signature);
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ error: 'invalid_signature' });
    }
    const missing = await supertest(webhooks).post('/webhooks/stripe').set('content-type', 'application/json').send(JSON.stringify(forged));
    expect(missing.status).to.equal(400);
    expect(await database.asPlatform((trx) => trx('paymentProviderEvents').where({ externalEventId: forged.id }).first('id'))).to.equal(undefined);
  });

  it('charges an issued invoice with the saved card once (idempotency key per invoice), marking it paid', async () => {
    const { owner } = await ownerWithCard();
    const { invoiceService, paymentService } = testEnv().container.cradle;
    const issued = (await invoiceService.issueFor(owner.tenantId, NOW))!;
    const rows = await rowsOf(owner.tenantId);
    const invoice = rows.invoices[0];
    expect(invoice).to.include({ id: issued.id, status: 'paid', amountPaidCents: 15480, totalCents: 15480 });
    expect(rows.payments.map((p: Record<string, unknown>) => [p.provider, p.method, p.amountCents, p.status, p.idempotencyKey])).to.deep.equal([['stripe', 'card', 15480, 'succeeded', `charge:${issued.id}`]]);
    const intent = emulator.paymentIntents.get(rows.payments[0].externalPaymentId)!;
    expect(intent).to.include({ amount: 15480, currency: 'eur', status: 'succeeded', customer: rows.subscription.externalCustomerId, description: issued.number });
    expect(intent.metadata).to.deep.equal({ tenant_id: owner.tenantId, invoice_id: issued.id });
    expect(emulator.calls.filter((c) => c.idempotencyKey === `charge:${issued.id}`)).to.have.length(1);
    expect(await paymentService.collect(owner.tenantId, issued.id)).to.equal('skipped');
    // the PDF says it was paid by card
    const text = (await extractText(await getDocumentProxy(new Uint8Array((await invoiceService.pdf(owner.tenantId, issued.id)).pdf)), { mergePages: true })).text as string;
    expect(text).to.include('Paiement par carte bancaire');
  });

  it('records a declined card as a failed payment (invoice still due), then the payment_intent.succeeded webhook pays it', async () => {
    const { owner } = await ownerWithCard();
    const { invoiceService } = testEnv().container.cradle;
    emulator.declineNext();
    const issued = (await invoiceService.issueFor(owner.tenantId, NOW))!;
    let rows = await rowsOf(owner.tenantId);
    expect(rows.invoices[0]).to.include({ status: 'issued', amountPaidCents: 0 });
    expect(rows.payments.map((p: Record<string, unknown>) => [p.status, p.failureCode])).to.deep.equal([['failed', 'card_declined']]);

    const paid = emulator.event('payment_intent.succeeded', { id: 'pi_retry_' + crypto.randomBytes(4).toString('hex'), object: 'payment_intent', amount: 15480, amount_received: 15480, latest_charge: 'ch_retry', status: 'succeeded', metadata: { tenant_id: owner.tenantId, invoice_id: issued.id } });
    expect((await post(paid)).status).to.equal(200);
    rows = await rowsOf(owner.tenantId);
    expect(rows.invoices[0]).to.include({ status: 'paid', amountPaidCents: 15480 });
    expect(rows.payments.map((p: Record<string, unknown>) => p.status)).to.deep.equal(['succeeded']);
    // an event naming another tenant's invoice changes nothing there
    const demo = await testEnv().container.cradle.database.asPlatform((trx) => trx('tenants').where({ slug: 'boulangerie-martin' }).first('id'));
    const cross = emulator.event('payment_intent.succeeded', { id: 'pi_cross', object: 'payment_intent', amount_received: 15480, metadata: { tenant_id: demo.id, invoice_id: issued.id } });
    expect((await post(cross)).status).to.equal(200);
    expect((await rowsOf(demo.id)).payments.filter((p: { invoiceId: string }) => p.invoiceId === issued.id)).to.have.length(0);
  });

  it('bank transfer: the invoice shows the IBAN and the reference, the super admin records the transfer and it is paid', async () => {
    const { app, container } = testEnv();
    const { database, invoiceService } = container.cradle;
    const tenant = await createTenant(database, { plan: 'starter' });
    await database.asPlatform((trx) => trx('subscriptions').where({ tenantId: tenant.id }).update({ currentPeriodStart: PERIOD.start, currentPeriodEnd: PERIOD.end, paymentMode: 'manual' }));
    const issued = (await invoiceService.issueFor(tenant.id, NOW))!;
    const text = (await extractText(await getDocumentProxy(new Uint8Array((await invoiceService.pdf(tenant.id, issued.id)).pdf)), { mergePages: true })).text as string;
    expect(text).to.include(`IBAN : ${BANK.iban}`);
    expect(text).to.include(`BIC : ${BANK.bic}`);
    expect(text).to.include(`référence ${issued.number}`);
    expect(text).to.include('10 rue de la Paix, 75002 Paris');
    expect(emulator.calls.filter((c) => c.idempotencyKey === `charge:${issued.id}`)).to.have.length(0);

    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    expect((await owner.agent.get('/admin/invoices')).status).to.equal(403);
    expect((await owner.agent.post(`/admin/invoices/${issued.id}/paid`).type('form').send({ bankReference: 'VIR 1', _csrf: owner.csrf })).status).to.equal(403);

    const admin = await loginAs(app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    const list = await admin.agent.get('/admin/invoices');
    expect(list.status).to.equal(200);
    expect(list.text).to.include(`id="invoice-${issued.id}"`);
    const empty = await admin.agent.post(`/admin/invoices/${issued.id}/paid`).type('form').send({ bankReference: '  ', _csrf: admin.csrf });
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('Indiquez la référence du virement.');
    expect((await admin.agent.post(`/admin/invoices/${issued.id}/paid`).type('form').send({ bankReference: 'VIR SEPA 2026-11-05', _csrf: admin.csrf })).status).to.equal(303);
    expect((await admin.agent.post(`/admin/invoices/${issued.id}/paid`).type('form').send({ bankReference: 'again', _csrf: admin.csrf })).status).to.equal(404);
    const rows = await rowsOf(tenant.id);
    expect(rows.invoices[0]).to.include({ status: 'paid', amountPaidCents: 5880 });
    expect(rows.payments.map((p: Record<string, unknown>) => [p.provider, p.method, p.amountCents, p.status, p.bankReference])).to.deep.equal([['manual', 'bank_transfer', 5880, 'succeeded', 'VIR SEPA 2026-11-05']]);
    expect((await admin.agent.get('/admin/invoices')).text).to.not.include(`id="invoice-${issued.id}"`);
  });

  it('lets the owner switch back to bank transfer', async () => {
    const { owner } = await ownerWithCard();
    expect((await owner.agent.post('/app/subscription/payment/transfer').type('form').send({ _csrf: owner.csrf })).status).to.equal(303);
    expect((await rowsOf(owner.tenantId)).subscription.paymentMode).to.equal('manual');
  });
});
