import type { TFunction } from 'i18next';
import PDFDocument from 'pdfkit';
import type { InvoiceDocument } from './db/knex-invoice-repository.js';
import { INVOICE_ZONE } from './invoice-rules.js';
import type { IssuerIdentity } from './payment-settings.js';

/**
 * An issued invoice as a PDF (A4, pdfkit's built-in Helvetica), in the language it was issued in, with what a French
 * invoice must show: issuer identity (name, address, SIREN, VAT number), unique number, issue date, period of the
 * service, client identity (and VAT number), lines excluding VAT, VAT rate and amount or the exemption mention,
 * totals, due date, payment terms, late-payment penalties and the fixed recovery indemnity (art. L441-9 C. com.).
 */
export function renderInvoicePdf(
  invoice: InvoiceDocument,
  options: { t: TFunction; paymentMode: 'stripe' | 'manual' | null; bank: IssuerIdentity['bank'] },
): Promise<Buffer> {
  const { t } = options;
  const locale = invoice.locale;
  // Standard PDF fonts are WinAnsi: the narrow no-break spaces of French number formats must become plain spaces.
  const clean = (s: string) => s.replace(/[\u202f\u2009]/g, ' ');
  const money = (cents: number) => clean(new Intl.NumberFormat(locale, { style: 'currency', currency: invoice.currency }).format(cents / 100));
  const date = (d: Date | null) => (d ? new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: INVOICE_ZONE }).format(new Date(d)) : '');
  // DATE columns come back as local midnight: formatted in the local zone, they stay the same day.
  const day = (d: Date | null) => (d ? new Intl.DateTimeFormat(locale, { dateStyle: 'long' }).format(new Date(d)) : '');
  const rate = (bp: number) => clean(new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(bp / 10000));

  const pdf = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `${t('subscription.invoice.title')} ${invoice.number}`, Author: invoice.issuerLegalName ?? '' } });
  const chunks: Buffer[] = [];
  pdf.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  const left = 50;
  const width = pdf.page.width - 100;

  // Issuer
  pdf.font('Helvetica-Bold').fontSize(14).text(invoice.issuerLegalName ?? '', left, 50);
  pdf.font('Helvetica').fontSize(9);
  if (invoice.issuerAddress) pdf.text(invoice.issuerAddress);
  if (invoice.issuerRegistrationNumber) pdf.text(t('subscription.invoice.registration', { value: invoice.issuerRegistrationNumber }));
  if (invoice.issuerVatNumber) pdf.text(t('subscription.invoice.vatNumber', { value: invoice.issuerVatNumber }));

  // Title, number, dates
  pdf.moveDown(1.5);
  pdf.font('Helvetica-Bold').fontSize(18).text(`${t('subscription.invoice.title')} ${invoice.number}`);
  pdf.font('Helvetica').fontSize(10);
  pdf.text(t('subscription.invoice.issuedOn', { date: date(invoice.issuedAt) }));
  if (invoice.periodStart && invoice.periodEnd) pdf.text(t('subscription.invoice.period', { start: day(invoice.periodStart), end: day(invoice.periodEnd) }));
  if (invoice.dueAt) pdf.text(t('subscription.invoice.dueOn', { date: date(invoice.dueAt) }));

  // Client
  pdf.moveDown();
  pdf.font('Helvetica-Bold').text(t('subscription.invoice.billedTo'));
  pdf.font('Helvetica').text(invoice.recipientLegalName ?? '');
  if (invoice.recipientAddress) pdf.text(invoice.recipientAddress);
  if (invoice.recipientVatNumber) pdf.text(t('subscription.invoice.vatNumber', { value: invoice.recipientVatNumber }));

  // Lines
  pdf.moveDown(1.5);
  const cols = { description: left, quantity: left + width * 0.58, unit: left + width * 0.68, amount: left + width * 0.84 };
  const row = (cells: [string, string, string, string], bold = false) => {
    const y = pdf.y;
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9);
    pdf.text(cells[0], cols.description, y, { width: width * 0.56 });
    const after = pdf.y;
    pdf.text(cells[1], cols.quantity, y, { width: width * 0.08, align: 'right' });
    pdf.text(cells[2], cols.unit, y, { width: width * 0.15, align: 'right' });
    pdf.text(cells[3], cols.amount, y, { width: width * 0.16, align: 'right' });
    pdf.x = left;
    pdf.y = Math.max(after, pdf.y) + 4;
  };
  row([t('subscription.invoice.columns.description'), t('subscription.invoice.columns.quantity'), t('subscription.invoice.columns.unitPrice'), t('subscription.invoice.columns.amount')], true);
  pdf.moveTo(left, pdf.y).lineTo(left + width, pdf.y).stroke();
  pdf.y += 4;
  for (const line of invoice.lines) row([clean(line.description), String(line.quantity), money(line.unitPriceCents), money(line.amountCents)]);
  pdf.moveTo(left, pdf.y).lineTo(left + width, pdf.y).stroke();
  pdf.y += 6;

  // Totals
  const total = (label: string, value: string, bold = false) => {
    const y = pdf.y;
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(10);
    pdf.text(label, left + width * 0.5, y, { width: width * 0.32, align: 'right' });
    pdf.text(value, cols.amount, y, { width: width * 0.16, align: 'right' });
    pdf.x = left;
  };
  total(t('subscription.invoice.subtotal'), money(invoice.subtotalCents));
  total(t('subscription.invoice.vat', { rate: rate(invoice.taxRateBp) }), money(invoice.taxCents));
  total(t('subscription.invoice.total'), money(invoice.totalCents), true);
  if (invoice.amountPaidCents > 0) total(t('subscription.invoice.paid'), money(invoice.amountPaidCents));
  total(t('subscription.invoice.due'), money(Math.max(0, invoice.totalCents - invoice.amountPaidCents)), true);

  // Mentions
  pdf.moveDown(2);
  pdf.x = left;
  pdf.font('Helvetica').fontSize(8.5);
  if (invoice.vatReverseCharge) pdf.text(t('subscription.invoice.mentions.reverseCharge'), { width });
  else if (invoice.taxRateBp === 0) pdf.text(t('subscription.invoice.mentions.outsideEu'), { width });
  pdf.text(
    options.paymentMode === 'stripe' ? t('subscription.invoice.mentions.paidByCard') : t('subscription.invoice.mentions.payByTransfer', { date: date(invoice.dueAt) }),
    { width },
  );
  if (options.paymentMode !== 'stripe' && options.bank) {
    pdf.text(t('subscription.invoice.mentions.bank', { iban: options.bank.iban, bic: options.bank.bic ?? '—', holder: options.bank.accountHolder ?? invoice.issuerLegalName ?? '' }), { width });
    pdf.text(t('subscription.invoice.mentions.reference', { number: invoice.number }), { width });
  }
  pdf.text(t('subscription.invoice.mentions.noDiscount'), { width });
  pdf.text(t('subscription.invoice.mentions.latePenalties'), { width });
  pdf.end();
  return done;
}
