import { expect } from 'chai';
import { allJobs } from '../../../../src/container.js';
import { SubscriptionService } from '../../../../src/modules/billing/subscription-service.js';
import { testEnv } from '../../../support/root-hooks.js';
import { DEMO_OWNER, loginAs } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';
import { createTenant } from '../../../support/tenants.js';
import { freshTenantOwner, html } from '../studio/editor-support.js';

const PERIOD = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };

/** The service on a frozen clock. */
function serviceAt(now: Date): SubscriptionService {
  const c = testEnv().container.cradle;
  return new SubscriptionService({
    subscriptionRepository: c.subscriptionRepository,
    invoiceService: c.invoiceService,
    creditService: c.creditService,
    paymentSettings: c.paymentSettings,
    i18n: c.i18n,
    clock: { now: () => now },
    logger: c.logger,
  });
}

async function planId(code: string): Promise<string> {
  return (await testEnv().container.cradle.database.asPlatform((trx) => trx('plans').where({ code }).first('id'))).id;
}

async function onPeriod(tenantId: string, extra: Record<string, unknown> = {}) {
  await testEnv().container.cradle.database.asPlatform((trx) =>
    trx('subscriptions').where({ tenantId }).update({ currentPeriodStart: PERIOD.start, currentPeriodEnd: PERIOD.end, ...extra }),
  );
}

async function stateOf(tenantId: string) {
  return testEnv().container.cradle.database.forTenant(tenantId, async (trx) => ({
    subscriptions: await trx('subscriptions as s').join('plans as p', 'p.id', 's.planId').where('s.tenantId', tenantId).orderBy('s.createdAt').select('s.*', 'p.code as planCode'),
    changes: await trx('subscriptionChanges as c').leftJoin('plans as f', 'f.id', 'c.fromPlanId').leftJoin('plans as t', 't.id', 'c.toPlanId').where('c.tenantId', tenantId).orderBy([{ column: 'c.effectiveAt' }, { column: 'c.createdAt' }]).select('c.kind', 'c.effectiveAt', 'c.mrrDeltaCents', 'f.code as fromCode', 't.code as toCode'),
    invoices: await trx('invoices').where({ tenantId }).orderBy('sequenceNumber').select('id', 'number', 'subtotalCents', 'taxCents', 'totalCents', 'periodStart', 'periodEnd'),
    lines: await trx('invoiceLines').where({ tenantId }).select('invoiceId', 'kind', 'unitPriceCents', 'description'),
    connectors: (await trx('subscriptionConnectors').where({ tenantId, status: 'active' }).orderBy('connectorCode').select('connectorCode')).map((r: { connectorCode: string }) => r.connectorCode),
  }));
}

describe('Subscription (/app/subscription): plan, usage, changes, cancellation, period ends', () => {
  it('shows the demo owner the plan and its limits, usage, plan options, invoices, legal documents and cancellation', async () => {
    const { app } = testEnv();
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const res = await owner.agent.get('/app/subscription');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('<h1>Mon abonnement</h1>');
    expect(res.text).to.include('href="/app/subscription" aria-current="page"');
    expect(res.text).to.include('Forfait Growth');
    expect(res.text).to.include(html('4 000 crédits IA par mois').replace(' ', '\u202f'));
    expect(res.text).to.include('5 régénérations par contenu');
    expect(res.text).to.match(/Moteurs IA : Premium, Standard/);
    expect(res.text).to.include('Veille : 20 sources');
    expect(res.text).to.include('5 utilisateurs');
    expect(res.text).to.include('id="usage-credits"');
    expect(res.text).to.include('<tr data-channel="linkedin">');
    expect(res.text).to.include('Passer à Scale maintenant');
    expect(res.text).to.include('Passer à Starter en fin de période');
    expect(res.text).to.include('data-testid="invoice-download"');
    expect(res.text).to.include('href="/legal/terms"');
    expect(res.text).to.include('href="/legal/legal-notice"');
    expect(res.text).to.include('Résilier mon abonnement');
    expect(res.text).to.include('name="_csrf"');
  });

  it('is read-only for a viewer (no forms; every change 403) and in English after a locale switch', async () => {
    const { app } = testEnv();
    const owner = await freshTenantOwner(testEnv().container.cradle, app);
    const viewer = await addTeamMember(app, { agent: owner.agent, csrf: owner.csrf }, 'client_viewer');
    const page = await viewer.agent.get('/app/subscription');
    expect(page.status).to.equal(200);
    expect(page.text).to.not.match(/<form[^>]+action="\/app\/(subscription|legal)/);
    for (const path of ['/app/subscription/plan', '/app/subscription/cancel', '/app/subscription/reactivate', '/app/subscription/profile', '/app/subscription/payment/transfer']) {
      expect((await viewer.agent.post(path).type('form').send({ _csrf: viewer.csrf, planId: await planId('scale'), reason: 'other' })).status, path).to.equal(403);
    }
    expect((await stateOf(owner.tenantId)).subscriptions[0].planCode).to.equal('growth');
    await viewer.agent.post('/locale').type('form').send({ locale: 'en', back: '/app/subscription', _csrf: viewer.csrf });
    expect((await viewer.agent.get('/app/subscription')).text).to.include('<h1>My subscription</h1>');
  });

  it('upgrades now: invoices the period if it was not yet, switches the plan, records the MRR delta and invoices the prorated difference', async () => {
    const { database } = testEnv().container.cradle;
    const tenant = await createTenant(database, { plan: 'growth' });
    await onPeriod(tenant.id);
    const at = new Date('2026-11-21T10:00:00Z');
    const outcome = await serviceAt(at).changePlan(tenant.id, { planId: await planId('scale') }, null as unknown as string);
    expect(outcome).to.deep.equal({ direction: 'upgrade', proration: { amountCents: 5667, daysLeft: 10, daysInPeriod: 30 } });
    const state = await stateOf(tenant.id);
    expect(state.subscriptions[0]).to.include({ planCode: 'scale', pendingPlanId: null });
    expect(state.changes.map((c: { kind: string; mrrDeltaCents: number; fromCode: string; toCode: string }) => [c.kind, c.fromCode, c.toCode, c.mrrDeltaCents])).to.deep.equal([['upgrade', 'growth', 'scale', 29900 - 12900]]);
    // the period's own invoice at the old price, then the proration: 5 667 + 20 % = 6 800
    expect(state.invoices.map((i: { subtotalCents: number; totalCents: number }) => [i.subtotalCents, i.totalCents])).to.deep.equal([[12900, 15480], [5667, 6800]]);
    const proration = state.lines.find((l: { kind: string }) => l.kind === 'proration');
    expect(proration.description).to.equal('Passage du forfait Growth au forfait Scale — différence au prorata (10/30 jours), du 21/11/2026 au 30/11/2026');
    expect(state.connectors).to.include('salesforce');
    // upgrading again to the same plan is refused; a downgrade never goes through the upgrade path
    const again = await serviceAt(at).changePlan(tenant.id, { planId: await planId('scale') }, null as unknown as string).catch((e) => e);
    expect(again.code).to.equal('subscription.errors.planUnavailable');
  });

  it('upgrades through the page for an owner (303 with a message) and refuses an unknown plan', async () => {
    const { app, container } = testEnv();
    const owner = await freshTenantOwner(container.cradle, app);
    const res = await owner.agent.post('/app/subscription/plan').type('form').send({ planId: await planId('scale'), _csrf: owner.csrf });
    expect(res.status).to.equal(303);
    expect((await stateOf(owner.tenantId)).subscriptions[0].planCode).to.equal('scale');
    const page = await owner.agent.get('/app/subscription');
    expect(page.text).to.include('Votre nouveau forfait est actif');
    expect((await owner.agent.post('/app/subscription/plan').type('form').send({ planId: '00000000-0000-0000-0000-000000000000', _csrf: owner.csrf })).status).to.equal(404);
    expect((await owner.agent.post('/app/subscription/plan').type('form').send({ planId: 'x', _csrf: owner.csrf })).status).to.equal(422);
  });

  it('downgrades at the period end: pending until the period-end job switches the plan, renews and records both changes', async () => {
    const { database, subscriptionRepository } = testEnv().container.cradle;
    const tenant = await createTenant(database, { plan: 'scale' });
    await onPeriod(tenant.id);
    const service = serviceAt(new Date('2026-11-10T00:00:00Z'));
    const outcome = await service.changePlan(tenant.id, { planId: await planId('starter') }, null as unknown as string);
    expect(outcome).to.deep.equal({ direction: 'downgrade', effectiveAt: PERIOD.end });
    let state = await stateOf(tenant.id);
    expect(state.subscriptions[0]).to.include({ planCode: 'scale', pendingPlanId: await planId('starter') });
    expect(state.subscriptions[0].pendingChangeAt.toISOString()).to.equal(PERIOD.end.toISOString());
    expect(state.changes).to.have.length(0);
    expect(state.invoices).to.have.length(0);

    await service.cancelPendingChange(tenant.id);
    expect((await stateOf(tenant.id)).subscriptions[0].pendingPlanId).to.equal(null);
    await service.changePlan(tenant.id, { planId: await planId('starter') }, null as unknown as string);

    // The job's fan-out lists the tenant only once its period has ended; each tenant is then closed in its context.
    expect(await subscriptionRepository.tenantsAtPeriodEnd(new Date('2026-11-30T23:59:59Z'))).to.not.include(tenant.id);
    const end = new Date('2026-12-01T01:00:00Z');
    expect(await subscriptionRepository.tenantsAtPeriodEnd(end)).to.include(tenant.id);
    expect(await subscriptionRepository.applyPeriodEnd(tenant.id, end)).to.deep.equal({ renewed: 1, downgraded: true, cancelled: false });
    expect(await subscriptionRepository.applyPeriodEnd(tenant.id, end)).to.deep.equal({ renewed: 0, downgraded: false, cancelled: false });
    state = await stateOf(tenant.id);
    expect(state.subscriptions[0]).to.include({ planCode: 'starter', pendingPlanId: null, status: 'active' });
    expect(state.subscriptions[0].currentPeriodStart.toISOString()).to.equal('2026-12-01T00:00:00.000Z');
    expect(state.subscriptions[0].currentPeriodEnd.toISOString()).to.equal('2027-01-01T00:00:00.000Z');
    expect(state.changes.map((c: { kind: string; mrrDeltaCents: number }) => [c.kind, c.mrrDeltaCents])).to.deep.equal([['downgrade', 4900 - 29900], ['renewal', 0]]);
    expect(state.connectors).to.not.include('salesforce');
  });

  it('registers the period-end job hourly and the invoice job every morning (Paris)', () => {
    const jobs = allJobs(testEnv().container.cradle).filter((j) => ['billing:apply-period-ends', 'billing:issue-invoices'].includes(j.name));
    expect(jobs.map((j) => [j.name, j.every, j.timezone])).to.deep.equal([
      ['billing:apply-period-ends', '1 hour', undefined],
      ['billing:issue-invoices', '0 6 * * *', 'Europe/Paris'],
    ]);
  });

  it('renews every period that ended while the job did not run, one renewal each', async () => {
    const { database, subscriptionRepository } = testEnv().container.cradle;
    const tenant = await createTenant(database, { plan: 'starter' });
    await onPeriod(tenant.id);
    expect(await subscriptionRepository.applyPeriodEnd(tenant.id, new Date('2027-02-15T00:00:00Z'))).to.deep.equal({ renewed: 3, downgraded: false, cancelled: false });
    const state = await stateOf(tenant.id);
    expect(state.subscriptions[0].currentPeriodStart.toISOString()).to.equal('2027-02-01T00:00:00.000Z');
    expect(state.changes.map((c: { kind: string }) => c.kind)).to.deep.equal(['renewal', 'renewal', 'renewal']);
  });

  it('cancels at the period end with a reason (422 without one, keeping the comment), can be undone until then, then ends', async () => {
    const { app, container } = testEnv();
    const { subscriptionRepository } = container.cradle;
    const owner = await freshTenantOwner(container.cradle, app);
    await onPeriod(owner.tenantId);
    const missing = await owner.agent.post('/app/subscription/cancel').type('form').send({ comment: 'On réduit la voilure', _csrf: owner.csrf });
    expect(missing.status).to.equal(422);
    expect(missing.text).to.include('Choisissez une raison.');
    expect(missing.text).to.include('On réduit la voilure</textarea>');
    const fragment = await owner.agent.post('/app/subscription/cancel').set('HX-Request', 'true').type('form').send({ reason: 'nope', _csrf: owner.csrf });
    expect(fragment.status).to.equal(422);
    expect(fragment.text.trimStart()).to.match(/^<section class="card" id="subscription-cancel"/);

    expect((await owner.agent.post('/app/subscription/cancel').type('form').send({ reason: 'too_expensive', comment: 'Budget', _csrf: owner.csrf })).status).to.equal(303);
    let sub = (await stateOf(owner.tenantId)).subscriptions[0];
    expect(sub).to.include({ cancelAtPeriodEnd: true, cancellationReason: 'too_expensive: Budget', status: 'active' });
    expect((await owner.agent.get('/app/subscription')).text).to.include('data-testid="reactivate"');
    // no plan change while cancelling
    expect((await owner.agent.post('/app/subscription/plan').type('form').send({ planId: await planId('scale'), _csrf: owner.csrf })).status).to.equal(409);

    expect((await owner.agent.post('/app/subscription/reactivate').type('form').send({ _csrf: owner.csrf })).status).to.equal(303);
    sub = (await stateOf(owner.tenantId)).subscriptions[0];
    expect(sub).to.include({ cancelAtPeriodEnd: false, cancellationReason: null });
    expect((await owner.agent.post('/app/subscription/reactivate').type('form').send({ _csrf: owner.csrf })).status).to.equal(409);

    await owner.agent.post('/app/subscription/cancel').type('form').send({ reason: 'closing', _csrf: owner.csrf });
    expect(await subscriptionRepository.applyPeriodEnd(owner.tenantId, new Date('2026-12-01T00:00:00Z'))).to.deep.equal({ renewed: 0, downgraded: false, cancelled: true });
    const state = await stateOf(owner.tenantId);
    expect(state.subscriptions[0]).to.include({ status: 'cancelled' });
    expect(state.subscriptions[0].cancelledAt.toISOString()).to.equal(PERIOD.end.toISOString());
    expect(state.changes.map((c: { kind: string; mrrDeltaCents: number }) => [c.kind, c.mrrDeltaCents])).to.deep.equal([['cancellation', -12900]]);
    expect(state.connectors).to.deep.equal([]);
    expect((await owner.agent.get('/app/subscription')).text).to.include(html("Vous n'avez pas d'abonnement en cours."));
  });

  it('edits the billing profile: 422 keeps what was typed; an EU business with a VAT number is reverse charged', async () => {
    const { app, container } = testEnv();
    const owner = await freshTenantOwner(container.cradle, app);
    const bad = await owner.agent.post('/app/subscription/profile').type('form').send({ legalName: 'Atelier <Nord>', vatNumber: '123', billingEmail: 'nope', addressLine1: '', postalCode: '1000', city: 'Bruxelles', country: 'BE', _csrf: owner.csrf });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('value="Atelier &lt;Nord&gt;"');
    expect(bad.text).to.include('Numéro de TVA invalide');
    expect(bad.text).to.include('Adresse e-mail invalide.');
    expect(bad.text).to.include('Ce champ est obligatoire.');
    const ok = await owner.agent.post('/app/subscription/profile').set('HX-Request', 'true').type('form').send({ legalName: 'Atelier Nord SRL', vatNumber: 'be 0123.456.789', billingEmail: 'facturation@atelier.test', addressLine1: 'Rue Neuve 1', postalCode: '1000', city: 'Bruxelles', country: 'BE', _csrf: owner.csrf });
    expect(ok.status).to.equal(200);
    expect(ok.text).to.include('Informations de facturation enregistrées.');
    const profile = await container.cradle.subscriptionRepository.billingProfile(owner.tenantId);
    expect(profile).to.include({ legalName: 'Atelier Nord SRL', vatNumber: 'BE0123456789', vatReverseCharge: true, country: 'BE' });
  });
});
