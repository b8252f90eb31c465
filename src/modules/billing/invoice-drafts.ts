import type { TFunction } from 'i18next';
import { DateTime } from 'luxon';
import { dateOnly, dueDateOf, taxTreatment, type DraftLine, type TaxTreatment } from './invoice-rules.js';
import type { IssuerIdentity } from './payment-settings.js';
import type { Proration } from './subscription-rules.js';

/** What an invoice is built from, read in the tenant's context under the subscription's row lock. */
export interface PeriodContext {
  subscription: {
    id: string;
    planId: string;
    status: 'trial' | 'active' | 'past_due' | 'cancelled';
    currentPeriodStart: Date;
    currentPeriodEnd: Date;
    priceOverrideCents: number | null;
    paymentMode: 'stripe' | 'manual';
  };
  plan: { id: string; name: string; priceCents: number; currency: string; billingInterval: 'month' | 'year' };
  /** Paid add-on connectors active on the subscription. */
  addons: { connectorCode: string; quantity: number; priceCents: number; currency: string }[];
  profile: {
    legalName: string;
    vatNumber: string | null;
    billingEmail: string;
    addressLine1: string;
    addressLine2: string | null;
    postalCode: string;
    city: string;
    country: string;
  } | null;
  tenant: { name: string; locale: string; country: string };
}

/** An invoice ready to be numbered and stored. */
export interface InvoiceDraft {
  tenantId: string;
  subscriptionId: string | null;
  currency: string;
  tax: TaxTreatment;
  lines: DraftLine[];
  periodStart: string | null;
  periodEnd: string | null;
  issuedAt: Date;
  dueAt: Date;
  issuer: IssuerIdentity;
  recipient: { legalName: string; address: string; vatNumber: string | null; country: string };
  locale: string;
  /** Numbering series; by default the year of issue (see `seriesOf`). */
  series?: { series: string; prefix: string };
}

export function recipientOf(ctx: PeriodContext): InvoiceDraft['recipient'] {
  const p = ctx.profile;
  if (!p) return { legalName: ctx.tenant.name, address: '', vatNumber: null, country: ctx.tenant.country };
  const address = [p.addressLine1, p.addressLine2, [p.postalCode, p.city].filter(Boolean).join(' '), p.country].filter((part) => part && part.trim()).join('\n');
  return { legalName: p.legalName, address, vatNumber: p.vatNumber, country: p.country };
}

/** The last day of a period ending (exclusively) at `end`, as printed on invoices. */
function lastDay(end: Date): string {
  return DateTime.fromJSDate(end, { zone: 'utc' }).minus({ milliseconds: 1 }).toISODate()!;
}

const day = (iso: string, locale: string) => DateTime.fromISO(iso).setLocale(locale).toLocaleString(DateTime.DATE_SHORT);

/** One invoice per subscription period: the plan's price (or the negotiated one) and the paid add-ons. */
export function periodDraft(tenantId: string, ctx: PeriodContext, issuer: IssuerIdentity, t: TFunction, at: Date): InvoiceDraft | null {
  const { subscription: sub, plan } = ctx;
  const periodStart = dateOnly(sub.currentPeriodStart);
  const periodEnd = lastDay(sub.currentPeriodEnd);
  const locale = ctx.tenant.locale;
  const range = { start: day(periodStart, locale), end: day(periodEnd, locale) };
  const lines: DraftLine[] = [
    {
      kind: 'subscription',
      description: t('subscription.invoice.lines.subscription', { plan: plan.name, ...range }),
      quantity: 1,
      unitPriceCents: sub.priceOverrideCents ?? plan.priceCents,
      planId: plan.id,
      periodStart,
      periodEnd,
    },
    ...ctx.addons
      .filter((a) => a.priceCents > 0 && a.currency === plan.currency)
      .map((a) => ({
        kind: 'connector' as const,
        description: t('subscription.invoice.lines.connector', { connector: t(`subscription.connectors.${a.connectorCode}`, { defaultValue: a.connectorCode }), ...range }),
        quantity: a.quantity,
        unitPriceCents: a.priceCents,
        periodStart,
        periodEnd,
      })),
  ];
  if (lines.every((l) => l.unitPriceCents === 0)) return null; // a free plan issues no invoice
  return draft(tenantId, ctx, issuer, lines, { periodStart, periodEnd, at });
}

/** The invoice of an upgrade: the prorated price difference for the rest of the period (see `prorate`). */
export function prorationDraft(
  tenantId: string,
  ctx: PeriodContext,
  issuer: IssuerIdentity,
  t: TFunction,
  change: { fromPlan: string; toPlan: { id: string; name: string }; proration: Proration; at: Date },
): InvoiceDraft | null {
  if (change.proration.amountCents <= 0) return null;
  const periodStart = dateOnly(change.at);
  const periodEnd = lastDay(ctx.subscription.currentPeriodEnd);
  const locale = ctx.tenant.locale;
  const line: DraftLine = {
    kind: 'proration',
    description: t('subscription.invoice.lines.proration', {
      from: change.fromPlan,
      to: change.toPlan.name,
      start: day(periodStart, locale),
      end: day(periodEnd, locale),
      daysLeft: change.proration.daysLeft,
      days: change.proration.daysInPeriod,
    }),
    quantity: 1,
    unitPriceCents: change.proration.amountCents,
    planId: change.toPlan.id,
    periodStart,
    periodEnd,
  };
  return draft(tenantId, ctx, issuer, [line], { periodStart, periodEnd, at: change.at });
}

function draft(tenantId: string, ctx: PeriodContext, issuer: IssuerIdentity, lines: DraftLine[], when: { periodStart: string; periodEnd: string; at: Date }): InvoiceDraft {
  const recipient = recipientOf(ctx);
  return {
    tenantId,
    subscriptionId: ctx.subscription.id,
    currency: ctx.plan.currency,
    tax: taxTreatment(recipient),
    lines,
    periodStart: when.periodStart,
    periodEnd: when.periodEnd,
    issuedAt: when.at,
    dueAt: dueDateOf(when.at, issuer.paymentTermDays),
    issuer,
    recipient,
    locale: ctx.tenant.locale,
  };
}
