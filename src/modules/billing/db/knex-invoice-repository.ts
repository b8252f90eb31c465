import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { dateOnly, formatInvoiceNumber, seriesOf, totalsOf } from '../invoice-rules.js';
import type { InvoiceDraft, PeriodContext } from '../invoice-drafts.js';
import type { ChargeOutcome, PaymentProviderName, SavedPaymentMethod, VerifiedWebhook } from '../payment-ports.js';
import { oneByOne } from '../../../adapters/db/one-by-one.js';

export type InvoiceStatus = 'draft' | 'issued' | 'paid' | 'void';

export interface InvoiceSummary {
  id: string;
  number: string;
  status: InvoiceStatus;
  issuedAt: Date;
  dueAt: Date | null;
  paidAt: Date | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  currency: string;
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
  amountPaidCents: number;
}

export interface InvoiceDocument extends InvoiceSummary {
  tenantId: string | null;
  taxRateBp: number;
  vatReverseCharge: boolean;
  locale: string;
  issuerLegalName: string | null;
  issuerAddress: string | null;
  issuerRegistrationNumber: string | null;
  issuerVatNumber: string | null;
  recipientLegalName: string | null;
  recipientAddress: string | null;
  recipientVatNumber: string | null;
  recipientCountry: string | null;
  lines: { position: number; kind: string; description: string; quantity: number; unitPriceCents: number; amountCents: number; taxRateBp: number }[];
}

export interface ChargeContext {
  invoice: { id: string; number: string; status: InvoiceStatus; totalCents: number; amountPaidCents: number; currency: string };
  paymentMode: 'stripe' | 'manual';
  customerId: string | null;
  paymentMethod: { id: string; externalId: string; method: 'card' | 'sepa_debit' | 'bank_transfer' } | null;
}

const SUMMARY_COLUMNS = [
  'id', 'number', 'status', 'issuedAt', 'dueAt', 'paidAt', 'periodStart', 'periodEnd', 'currency', 'subtotalCents', 'taxCents', 'totalCents', 'amountPaidCents',
];

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Numbers and stores an invoice, inside the caller's transaction. The issuer's sequence row for the series is
 * created if missing, then locked `FOR UPDATE` and advanced in this same transaction: two issuances serialise on
 * it, and a rolled-back issuance gives its number back — so numbers have no gap and no duplicate.
 */
export async function issueInvoice(trx: Knex.Transaction, draft: InvoiceDraft): Promise<{ id: string; number: string; sequenceNumber: number }> {
  const { series, prefix } = draft.series ?? seriesOf(draft.issuedAt);
  await trx.raw(
    `insert into invoice_sequences (issuer_kind, series, prefix, next_number, padding) values ('platform', ?, ?, 1, 6)
     on conflict (issuer_kind, coalesce(issuer_distributor_id, '${ZERO_UUID}'::uuid), series) do nothing`,
    [series, prefix],
  );
  const sequence = (await trx('invoiceSequences')
    .where({ issuerKind: 'platform', series })
    .whereNull('issuerDistributorId')
    .forUpdate()
    .first('id', 'prefix', 'nextNumber', 'padding')) as { id: string; prefix: string; nextNumber: number; padding: number };
  const sequenceNumber = sequence.nextNumber;
  await trx('invoiceSequences').where({ id: sequence.id }).update({ nextNumber: sequenceNumber + 1, updatedAt: trx.fn.now() });
  const number = formatInvoiceNumber(sequence.prefix, sequenceNumber, sequence.padding);
  const totals = totalsOf(draft.lines, draft.tax.rateBp);
  const [{ id }] = (await trx('invoices')
    .insert({
      kind: 'invoice',
      issuerKind: 'platform',
      recipientKind: 'tenant',
      tenantId: draft.tenantId,
      subscriptionId: draft.subscriptionId,
      sequenceId: sequence.id,
      sequenceNumber,
      number,
      status: 'issued',
      currency: draft.currency,
      ...totals,
      taxRateBp: draft.tax.rateBp,
      vatReverseCharge: draft.tax.reverseCharge,
      periodStart: draft.periodStart,
      periodEnd: draft.periodEnd,
      issuedAt: draft.issuedAt,
      dueAt: draft.dueAt,
      issuerLegalName: draft.issuer.legalName,
      issuerAddress: draft.issuer.address,
      issuerRegistrationNumber: draft.issuer.registrationNumber,
      issuerVatNumber: draft.issuer.vatNumber,
      recipientLegalName: draft.recipient.legalName,
      recipientAddress: draft.recipient.address,
      recipientVatNumber: draft.recipient.vatNumber,
      recipientCountry: draft.recipient.country,
      locale: draft.locale,
    })
    .returning('id')) as { id: string }[];
  await trx('invoiceLines').insert(
    draft.lines.map((line, i) => ({
      invoiceId: id,
      tenantId: draft.tenantId,
      position: i + 1,
      kind: line.kind,
      description: line.description,
      quantity: line.quantity,
      unitPriceCents: line.unitPriceCents,
      amountCents: line.quantity * line.unitPriceCents,
      taxRateBp: draft.tax.rateBp,
      planId: line.planId ?? null,
      subscriptionId: draft.subscriptionId,
      periodStart: line.periodStart ?? null,
      periodEnd: line.periodEnd ?? null,
    })),
  );
  return { id, number, sequenceNumber };
}

/** The tenant's current subscription, locked for the rest of the transaction, with what its invoices are built from. */
export async function lockPeriodContext(trx: Knex.Transaction, tenantId: string): Promise<PeriodContext | null> {
  const sub = await trx('subscriptions')
    .where({ tenantId })
    .whereNot('status', 'cancelled')
    .forUpdate()
    .first('id', 'planId', 'status', 'currentPeriodStart', 'currentPeriodEnd', 'priceOverrideCents', 'paymentMode');
  if (!sub) return null;
  const [plan, addons, profile, tenant] = await oneByOne([
    trx('plans').where({ id: sub.planId }).first('id', 'name', 'priceCents', 'currency', 'billingInterval'),
    trx('subscriptionConnectors').where({ tenantId, subscriptionId: sub.id, source: 'addon', status: 'active' }).select('connectorCode', 'quantity', 'priceCents', 'currency'),
    trx('billingProfiles').where({ tenantId }).first('legalName', 'vatNumber', 'billingEmail', 'addressLine1', 'addressLine2', 'postalCode', 'city', 'country'),
    trx('tenants').where({ id: tenantId }).first('name', 'locale', 'country'),
  ]);
  return { subscription: sub, plan, addons, profile: profile ?? null, tenant };
}

/** Whether the subscription's current period already has its invoice (a voided one does not count). */
export async function periodInvoiced(trx: Knex.Transaction, ctx: PeriodContext): Promise<boolean> {
  const row = await trx('invoiceLines as l')
    .join('invoices as i', 'i.id', 'l.invoiceId')
    .where({ 'l.subscriptionId': ctx.subscription.id, 'l.kind': 'subscription', 'l.periodStart': dateOnly(ctx.subscription.currentPeriodStart) })
    .whereNot('i.status', 'void')
    .first('i.id');
  return Boolean(row);
}

/** Invoices, their payments and the provider's webhooks. Tenant reads in its context; the super admin's in the platform's. */
export class KnexInvoiceRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** Numbers and stores one invoice (tests, one-off invoices). */
  issue(tenantId: string, draft: InvoiceDraft): Promise<{ id: string; number: string; sequenceNumber: number }> {
    return this.deps.database.forTenant(tenantId, (trx) => issueInvoice(trx, draft));
  }

  /**
   * The invoice of the subscription's current period, if it has started, is billable and has none yet. The
   * subscription row stays locked from the check to the insert, so two runs of the job never both issue it.
   */
  issuePeriodInvoice(
    tenantId: string,
    now: Date,
    build: (ctx: PeriodContext) => InvoiceDraft | null,
  ): Promise<{ id: string; number: string } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const ctx = await lockPeriodContext(trx, tenantId);
      if (!ctx || !['active', 'past_due'].includes(ctx.subscription.status) || ctx.subscription.currentPeriodStart > now) return null;
      if (await periodInvoiced(trx, ctx)) return null;
      const draft = build(ctx);
      return draft ? issueInvoice(trx, draft) : null;
    });
  }

  /** Platform context: tenants whose billable subscription's current period started and has no invoice yet. */
  tenantsToInvoice(now: Date): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const rows = await trx('subscriptions as s')
        .join('tenants as t', 't.id', 's.tenantId')
        .whereIn('s.status', ['active', 'past_due'])
        .where('t.status', 'active')
        .where('s.currentPeriodStart', '<=', now)
        .whereNotExists(
          trx('invoiceLines as l')
            .join('invoices as i', 'i.id', 'l.invoiceId')
            .whereRaw('l.subscription_id = s.id')
            .where('l.kind', 'subscription')
            .whereRaw(`l.period_start = (s.current_period_start at time zone 'Europe/Paris')::date`)
            .whereNot('i.status', 'void'),
        )
        .orderBy('s.tenantId')
        .select('s.tenantId');
      return rows.map((r: { tenantId: string }) => r.tenantId);
    });
  }

  list(tenantId: string): Promise<InvoiceSummary[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('invoices').where({ tenantId, kind: 'invoice' }).whereNot('status', 'draft').orderBy([{ column: 'issuedAt', order: 'desc' }, { column: 'sequenceNumber', order: 'desc' }]).select(SUMMARY_COLUMNS),
    );
  }

  find(tenantId: string, id: string): Promise<InvoiceDocument | null> {
    return this.deps.database.forTenant(tenantId, (trx) => documentOf(trx, trx('invoices').where({ id, tenantId })));
  }

  /** Platform context (the super admin). */
  findAny(id: string): Promise<InvoiceDocument | null> {
    return this.deps.database.asPlatform((trx) => documentOf(trx, trx('invoices').where({ id })));
  }

  /** Platform context: issued invoices not paid yet, oldest first, with their client. */
  unpaid(limit = 200): Promise<(InvoiceSummary & { tenantId: string | null; tenantName: string | null; paymentMode: string | null })[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('invoices as i')
        .leftJoin('tenants as t', 't.id', 'i.tenantId')
        .leftJoin('subscriptions as s', 's.id', 'i.subscriptionId')
        .where('i.status', 'issued')
        .orderBy([{ column: 'i.issuedAt' }, { column: 'i.sequenceNumber' }])
        .limit(limit)
        .select(SUMMARY_COLUMNS.map((c) => `i.${c}`))
        .select('i.tenantId', 't.name as tenantName', 's.paymentMode'),
    );
  }

  /**
   * Platform context: the super admin records a bank transfer received for an issued invoice (the whole amount
   * due), which marks it paid. Null when the invoice is not open (already paid, void, unknown).
   */
  recordManualPayment(invoiceId: string, input: { bankReference: string; userId: string; at: Date }): Promise<{ tenantId: string | null } | null> {
    return this.deps.database.asPlatform(async (trx) => {
      const invoice = await trx('invoices').where({ id: invoiceId, status: 'issued' }).forUpdate().first('id', 'tenantId', 'totalCents', 'amountPaidCents', 'currency');
      if (!invoice) return null;
      const due = invoice.totalCents - invoice.amountPaidCents;
      if (due > 0) {
        await trx('payments').insert({
          invoiceId,
          tenantId: invoice.tenantId,
          provider: 'manual',
          method: 'bank_transfer',
          amountCents: due,
          currency: invoice.currency,
          status: 'succeeded',
          idempotencyKey: `manual:${invoiceId}`,
          bankReference: input.bankReference,
          paidAt: input.at,
          recordedByUserId: input.userId,
        });
      }
      await trx('invoices').where({ id: invoiceId }).update({ status: 'paid', amountPaidCents: invoice.totalCents, paidAt: input.at, updatedAt: trx.fn.now() });
      return { tenantId: invoice.tenantId };
    });
  }

  // ── Payments ───────────────────────────────────────────────────────────────────────────────────────────────

  chargeContext(tenantId: string, invoiceId: string): Promise<ChargeContext | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const invoice = await trx('invoices').where({ id: invoiceId, tenantId }).first('id', 'number', 'status', 'totalCents', 'amountPaidCents', 'currency', 'subscriptionId');
      if (!invoice) return null;
      const sub = invoice.subscriptionId ? await trx('subscriptions').where({ id: invoice.subscriptionId }).first('paymentMode', 'externalCustomerId') : undefined;
      const pm = await trx('paymentMethods').where({ tenantId, isDefault: true, status: 'active' }).first('id', 'externalPaymentMethodId', 'method');
      const { subscriptionId: _s, ...rest } = invoice;
      return {
        invoice: rest,
        paymentMode: sub?.paymentMode ?? 'manual',
        customerId: sub?.externalCustomerId ?? null,
        paymentMethod: pm?.externalPaymentMethodId ? { id: pm.id, externalId: pm.externalPaymentMethodId, method: pm.method } : null,
      };
    });
  }

  /** A pending payment keyed by `idempotencyKey`; the existing one when the key was already used. */
  openPayment(
    tenantId: string,
    input: { invoiceId: string; provider: PaymentProviderName; method: 'card' | 'sepa_debit' | 'bank_transfer'; paymentMethodId: string | null; amountCents: number; currency: string; idempotencyKey: string },
  ): Promise<{ id: string; status: string; created: boolean }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const inserted = (await trx('payments')
        .insert({ ...input, tenantId, status: 'pending' })
        .onConflict('idempotencyKey')
        .ignore()
        .returning(['id', 'status'])) as { id: string; status: string }[];
      if (inserted.length) return { ...inserted[0], created: true };
      const existing = await trx('payments').where({ tenantId, idempotencyKey: input.idempotencyKey }).first('id', 'status');
      return { ...existing, created: false };
    });
  }

  /** Records a charge's outcome on its payment (and the invoice when it succeeded). */
  settlePayment(tenantId: string, paymentId: string, outcome: ChargeOutcome, at: Date): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const payment = await trx('payments').where({ id: paymentId, tenantId }).forUpdate().first('id', 'invoiceId', 'status', 'amountCents');
      if (!payment || payment.status !== 'pending') return;
      await trx('payments')
        .where({ id: paymentId })
        .update({
          status: outcome.status,
          externalPaymentId: outcome.externalPaymentId,
          externalChargeId: outcome.externalChargeId,
          failureCode: outcome.failureCode,
          failureMessage: outcome.failureMessage,
          paidAt: outcome.status === 'succeeded' ? at : null,
          updatedAt: trx.fn.now(),
        });
      if (outcome.status === 'succeeded') await markPaid(trx, payment.invoiceId, payment.amountCents, at);
    });
  }

  /** A provider's word on a payment (webhook): the payment found by its external id, or by its invoice's charge key. */
  applyPaymentEvent(
    tenantId: string,
    event: { invoiceId: string; externalPaymentId: string; succeeded: boolean; externalChargeId?: string | null; amountCents?: number; failureCode?: string | null; failureMessage?: string | null },
    at: Date,
  ): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const invoice = await trx('invoices').where({ id: event.invoiceId, tenantId }).first('id', 'currency');
      if (!invoice) return false;
      let payment = await trx('payments').where({ tenantId, externalPaymentId: event.externalPaymentId }).forUpdate().first('id', 'status', 'amountCents');
      if (!payment) {
        payment = await trx('payments').where({ tenantId, invoiceId: invoice.id, idempotencyKey: chargeKey(invoice.id) }).forUpdate().first('id', 'status', 'amountCents');
      }
      if (!payment) {
        if (!event.succeeded || !event.amountCents) return true;
        [payment] = await trx('payments')
          .insert({ tenantId, invoiceId: invoice.id, provider: 'stripe', method: 'card', amountCents: event.amountCents, currency: invoice.currency, status: 'pending', externalPaymentId: event.externalPaymentId })
          .returning(['id', 'status', 'amountCents']);
      }
      if (payment.status === 'succeeded') return true;
      await trx('payments')
        .where({ id: payment.id })
        .update({
          status: event.succeeded ? 'succeeded' : 'failed',
          externalPaymentId: event.externalPaymentId,
          externalChargeId: event.externalChargeId ?? null,
          failureCode: event.succeeded ? null : (event.failureCode ?? null),
          failureMessage: event.succeeded ? null : (event.failureMessage ?? null),
          paidAt: event.succeeded ? at : null,
          updatedAt: trx.fn.now(),
        });
      if (event.succeeded) await markPaid(trx, invoice.id, payment.amountCents, at);
      return true;
    });
  }

  /** The card saved through the provider's hosted page becomes the default; the subscription switches to card payment. */
  savePaymentMethod(tenantId: string, customerId: string, pm: SavedPaymentMethod): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('paymentMethods').where({ tenantId, isDefault: true }).update({ isDefault: false, updatedAt: trx.fn.now() });
      await trx('paymentMethods')
        .insert({
          tenantId,
          provider: 'stripe',
          method: pm.method,
          externalCustomerId: customerId,
          externalPaymentMethodId: pm.id,
          brand: pm.brand,
          last4: pm.last4,
          expMonth: pm.expMonth,
          expYear: pm.expYear,
          isDefault: true,
          status: 'active',
        })
        .onConflict('externalPaymentMethodId')
        .merge(['isDefault', 'status', 'brand', 'last4', 'expMonth', 'expYear', 'updatedAt']);
      await trx('subscriptions').where({ tenantId }).whereNot('status', 'cancelled').update({ paymentMode: 'stripe', externalCustomerId: customerId, updatedAt: trx.fn.now() });
    });
  }

  defaultPaymentMethod(tenantId: string): Promise<{ method: string; brand: string | null; last4: string | null; expMonth: number | null; expYear: number | null } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('paymentMethods').where({ tenantId, isDefault: true, status: 'active' }).first('method', 'brand', 'last4', 'expMonth', 'expYear')) ?? null);
  }

  // ── Provider webhooks ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores a verified event once (platform context: the tenant is only known from the event). Returns whether it
   * still needs processing: false for a replay of an event already processed or ignored.
   */
  recordEvent(provider: 'stripe', event: VerifiedWebhook): Promise<{ id: string; pending: boolean }> {
    return this.deps.database.asPlatform(async (trx) => {
      const tenantId = event.tenantId && (await trx('tenants').where({ id: event.tenantId }).first('id')) ? event.tenantId : null;
      await trx('paymentProviderEvents')
        .insert({ provider, externalEventId: event.id, type: event.type.slice(0, 100), tenantId, payload: JSON.stringify(event.payload) })
        .onConflict(['provider', 'externalEventId'])
        .ignore();
      const row = await trx('paymentProviderEvents').where({ provider, externalEventId: event.id }).forUpdate().first('id', 'status');
      await trx('paymentProviderEvents').where({ id: row.id }).update({ attempts: trx.raw('attempts + 1'), updatedAt: trx.fn.now() });
      return { id: row.id, pending: row.status === 'received' || row.status === 'failed' };
    });
  }

  finishEvent(id: string, status: 'processed' | 'ignored' | 'failed', error: string | null, at: Date): Promise<void> {
    return this.deps.database.asPlatform(async (trx) => {
      await trx('paymentProviderEvents')
        .where({ id })
        .update({ status, lastError: error, processedAt: status === 'failed' ? null : at, updatedAt: trx.fn.now() });
    });
  }
}

/** The idempotency key of the automatic charge of an invoice (one per invoice, whatever retries). */
export function chargeKey(invoiceId: string): string {
  return `charge:${invoiceId}`;
}

async function markPaid(trx: Knex.Transaction, invoiceId: string, amountCents: number, at: Date): Promise<void> {
  await trx('invoices')
    .where({ id: invoiceId })
    .whereIn('status', ['issued', 'paid'])
    .update({
      amountPaidCents: trx.raw('least(total_cents, amount_paid_cents + ?)', [amountCents]),
      status: trx.raw(`case when amount_paid_cents + ? >= total_cents then 'paid' else status end`, [amountCents]),
      paidAt: trx.raw(`case when amount_paid_cents + ? >= total_cents then coalesce(paid_at, ?) else paid_at end`, [amountCents, at]),
      updatedAt: trx.fn.now(),
    });
}

async function documentOf(trx: Knex.Transaction, query: Knex.QueryBuilder): Promise<InvoiceDocument | null> {
  const invoice = await query
    .whereNot('status', 'draft')
    .first([
      ...SUMMARY_COLUMNS,
      'tenantId', 'taxRateBp', 'vatReverseCharge', 'locale', 'issuerLegalName', 'issuerAddress', 'issuerRegistrationNumber', 'issuerVatNumber',
      'recipientLegalName', 'recipientAddress', 'recipientVatNumber', 'recipientCountry',
    ]);
  if (!invoice) return null;
  const lines = await trx('invoiceLines').where({ invoiceId: invoice.id }).orderBy('position').select('position', 'kind', 'description', 'quantity', 'unitPriceCents', 'amountCents', 'taxRateBp');
  return { ...invoice, lines };
}
