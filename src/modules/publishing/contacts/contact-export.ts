import type { TFunction } from 'i18next';
import { writeCsv } from './csv.js';
import type { Contact } from './domain.js';

const iso = (d: Date | null) => (d ? d.toISOString() : '');

/**
 * The contacts as a CSV for French Excel: UTF-8 with BOM, `;` between cells, CRLF, headers in the reader's
 * language. Cells that a spreadsheet would run as a formula are prefixed with `'` (see csv.ts); re-importing
 * the file removes that prefix again.
 */
export function contactsCsv(contacts: Contact[], t: TFunction): string {
  const header = [
    'email', 'phone', 'firstName', 'lastName', 'company', 'status',
    'emailConsent', 'emailConsentSource', 'emailConsentAt', 'smsConsent', 'smsConsentSource', 'smsConsentAt',
    'createdAt',
  ].map((k) => t(`contacts.export.columns.${k}`));
  const yesNo = (v: boolean) => t(v ? 'contacts.export.yes' : 'contacts.export.no');
  const rows = contacts.map((c) => [
    c.email,
    c.phoneE164,
    c.firstName,
    c.lastName,
    c.company,
    t(`contacts.statuses.${c.status}`),
    yesNo(c.emailConsent.granted),
    c.emailConsent.source ? t(`contacts.sources.${c.emailConsent.source}`) : '',
    iso(c.emailConsent.at),
    yesNo(c.smsConsent.granted),
    c.smsConsent.source ? t(`contacts.sources.${c.smsConsent.source}`) : '',
    iso(c.smsConsent.at),
    iso(c.createdAt),
  ]);
  return writeCsv(header, rows);
}
