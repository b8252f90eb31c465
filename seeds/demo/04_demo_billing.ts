import type { Knex } from 'knex';
import { issueInvoice, lockPeriodContext, periodInvoiced } from '../../src/modules/billing/db/knex-invoice-repository.js';
import { periodDraft } from '../../src/modules/billing/invoice-drafts.js';
import { issuerFrom } from '../../src/modules/billing/payment-settings.js';
import { createI18n } from '../../src/shared/i18n.js';

/**
 * Demo mode only: Boulangerie Martin's billing profile and the issued invoice of its current subscription period,
 * numbered through the same sequence as real invoices, so "Mon abonnement" has an invoice to download. Idempotent:
 * the profile is kept if present, and a period already invoiced is not invoiced again.
 */
export async function seed(knex: Knex): Promise<void> {
  const tenant = await knex('tenants').where({ slug: 'boulangerie-martin' }).first('id');
  if (!tenant) return;
  const tenantId = tenant.id as string;
  await knex('billingProfiles')
    .insert({
      tenantId,
      legalName: 'Boulangerie Martin SARL',
      registrationNumber: '812345678',
      vatNumber: 'FR40812345678',
      vatReverseCharge: false,
      billingEmail: 'compta@boulangerie-martin.test',
      addressLine1: '12 rue des Boulangers',
      postalCode: '69002',
      city: 'Lyon',
      country: 'FR',
    })
    .onConflict('tenantId')
    .ignore();
  const [direct, connector] = await Promise.all([
    knex('distributors').where({ code: 'direct' }).first('name', 'legalName', 'vatNumber', 'supportEmail'),
    knex('platformConnectors').where({ kind: 'stripe', isDefault: true, active: true }).whereNull('distributorId').first('settings'),
  ]);
  const issuer = issuerFrom(direct ?? null, connector?.settings ?? {});
  const i18n = createI18n();
  const now = new Date();
  await knex.transaction(async (trx) => {
    const ctx = await lockPeriodContext(trx, tenantId);
    if (!ctx || ctx.subscription.currentPeriodStart > now || (await periodInvoiced(trx, ctx))) return;
    const draft = periodDraft(tenantId, ctx, issuer, i18n.getFixedT(ctx.tenant.locale), now);
    if (draft) await issueInvoice(trx, draft);
  });
}
