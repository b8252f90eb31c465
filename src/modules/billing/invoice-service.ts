import type { i18n as I18n } from 'i18next';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { NotFoundError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import { parseInput } from '../../shared/validation.js';
import type { InvoiceDocument, InvoiceSummary, KnexInvoiceRepository } from './db/knex-invoice-repository.js';
import { periodDraft } from './invoice-drafts.js';
import { renderInvoicePdf } from './invoice-pdf.js';
import type { PaymentService } from './payment-service.js';
import type { PaymentSettings } from './payment-settings.js';

const manualPaymentSchema = z.object({
  bankReference: z
    .preprocess((v) => (v === undefined || v === null ? '' : String(v)), z.string())
    .transform((v) => v.trim())
    .pipe(z.string().min(1, 'subscription.errors.bankReferenceRequired').max(140, 'subscription.errors.tooLong')),
});

/**
 * Invoices: the monthly issuance (one invoice per subscription period, numbered without gaps), the charge that
 * follows for clients paying by card, the list and PDF for the client, and the bank transfers the super admin records.
 */
export class InvoiceService {
  constructor(
    private readonly deps: {
      invoiceRepository: KnexInvoiceRepository;
      paymentSettings: PaymentSettings;
      paymentService: PaymentService;
      i18n: I18n;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** Job `billing:issue-invoices`: every subscription whose period started without its invoice gets it (then is charged). */
  async issueDue(now: Date = this.deps.clock.now()): Promise<{ due: number; issued: number; failed: number }> {
    const tenants = await this.deps.invoiceRepository.tenantsToInvoice(now);
    let issued = 0;
    let failed = 0;
    for (const tenantId of tenants) {
      try {
        if (await this.issueFor(tenantId, now)) issued++;
      } catch (err) {
        failed++;
        this.deps.logger.error({ err, tenantId }, 'invoice issuance failed');
      }
    }
    return { due: tenants.length, issued, failed };
  }

  /** The current period's invoice of one tenant, if due; then its charge (outside the issuing transaction). */
  async issueFor(tenantId: string, now: Date = this.deps.clock.now()): Promise<{ id: string; number: string } | null> {
    const issuer = await this.deps.paymentSettings.issuer();
    const invoice = await this.deps.invoiceRepository.issuePeriodInvoice(tenantId, now, (ctx) =>
      periodDraft(tenantId, ctx, issuer, this.deps.i18n.getFixedT(ctx.tenant.locale), now),
    );
    if (invoice) {
      this.deps.logger.info({ tenantId, invoice: invoice.id, number: invoice.number }, 'invoice issued');
      await this.collect(tenantId, invoice.id);
    }
    return invoice;
  }

  /** Charges an invoice; a provider failure is logged, never lost: the invoice stays open for the next attempt or a transfer. */
  async collect(tenantId: string, invoiceId: string): Promise<void> {
    try {
      await this.deps.paymentService.collect(tenantId, invoiceId);
    } catch (err) {
      this.deps.logger.error({ err, tenantId, invoiceId }, 'invoice charge failed');
    }
  }

  list(tenantId: string): Promise<InvoiceSummary[]> {
    return this.deps.invoiceRepository.list(tenantId);
  }

  async document(tenantId: string, id: unknown): Promise<InvoiceDocument> {
    if (!isUuid(id)) throw new NotFoundError();
    const doc = await this.deps.invoiceRepository.find(tenantId, id);
    if (!doc) throw new NotFoundError();
    return doc;
  }

  async pdf(tenantId: string, id: unknown): Promise<{ number: string; pdf: Buffer }> {
    const doc = await this.document(tenantId, id);
    const ctx = await this.deps.invoiceRepository.chargeContext(tenantId, doc.id);
    return { number: doc.number, pdf: await this.render(doc, ctx?.paymentMode ?? 'manual') };
  }

  /** The super admin's copy of any invoice. */
  async adminPdf(id: unknown): Promise<{ number: string; pdf: Buffer }> {
    if (!isUuid(id)) throw new NotFoundError();
    const doc = await this.deps.invoiceRepository.findAny(id);
    if (!doc) throw new NotFoundError();
    return { number: doc.number, pdf: await this.render(doc, null) };
  }

  unpaid() {
    return this.deps.invoiceRepository.unpaid();
  }

  /** The super admin records the bank transfer of an open invoice; the invoice becomes paid. */
  async recordBankTransfer(invoiceId: unknown, input: unknown, userId: string): Promise<void> {
    if (!isUuid(invoiceId)) throw new NotFoundError();
    const { bankReference } = parseInput(manualPaymentSchema, input);
    const recorded = await this.deps.invoiceRepository.recordManualPayment(invoiceId, { bankReference, userId, at: this.deps.clock.now() });
    if (!recorded) throw new NotFoundError();
    this.deps.logger.info({ invoiceId, tenantId: recorded.tenantId }, 'bank transfer recorded');
  }

  private async render(doc: InvoiceDocument, paymentMode: 'stripe' | 'manual' | null): Promise<Buffer> {
    const issuer = await this.deps.paymentSettings.issuer();
    return renderInvoicePdf(doc, { t: this.deps.i18n.getFixedT(doc.locale), paymentMode, bank: issuer.bank });
  }
}
