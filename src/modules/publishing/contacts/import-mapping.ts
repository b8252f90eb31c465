import { unneutralizeCell } from './csv.js';
import { normalizeEmail } from './email.js';
import { normalizePhone } from './phone.js';
import type { RejectedRow } from './domain.js';

export const IMPORT_FIELDS = ['email', 'phone', 'firstName', 'lastName', 'company'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

// Header names as people write them, compared without accents, case, spaces or punctuation.
const ALIASES: Record<ImportField, string[]> = {
  email: ['email', 'mail', 'courriel', 'adresseemail', 'adressemail', 'emailaddress', 'adressecourriel', 'adresseelectronique'],
  phone: ['phone', 'telephone', 'tel', 'mobile', 'portable', 'phonenumber', 'numerodetelephone', 'numero', 'gsm', 'mobilephone', 'telephoneportable', 'cellulaire'],
  firstName: ['firstname', 'prenom', 'givenname', 'first'],
  lastName: ['lastname', 'nom', 'nomdefamille', 'familyname', 'surname', 'last'],
  company: ['company', 'entreprise', 'societe', 'organisation', 'organization', 'raisonsociale', 'companyname'],
};

const MAX_LENGTH: Record<ImportField, number> = { email: 320, phone: 32, firstName: 100, lastName: 100, company: 200 };

export function headerKey(name: string): string {
  return name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Column index of each known field (first matching header wins); unknown columns are ignored. */
export function mapHeader(header: string[]): Partial<Record<ImportField, number>> {
  const mapping: Partial<Record<ImportField, number>> = {};
  header.forEach((name, index) => {
    const key = headerKey(name);
    for (const field of IMPORT_FIELDS) {
      if (mapping[field] === undefined && ALIASES[field].includes(key)) mapping[field] = index;
    }
  });
  return mapping;
}

export interface ImportRow {
  line: number;
  email: string | null;
  phoneE164: string | null;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
}

/**
 * Every row checked on its own, then against the earlier rows of the file: an address or number seen twice
 * keeps its first row and rejects the others (the user sees which line repeated which).
 */
export function validateRows(rows: { line: number; cells: string[] }[], mapping: Partial<Record<ImportField, number>>): { valid: ImportRow[]; rejected: RejectedRow[] } {
  const valid: ImportRow[] = [];
  const rejected: RejectedRow[] = [];
  const seenEmail = new Map<string, number>();
  const seenPhone = new Map<string, number>();
  for (const { line, cells } of rows) {
    const values: Record<string, string> = {};
    for (const field of IMPORT_FIELDS) {
      const index = mapping[field];
      if (index !== undefined) values[field] = unneutralizeCell((cells[index] ?? '').trim());
    }
    const reject = (reason: string, params: Record<string, unknown> = {}) =>
      rejected.push({ line, reason, values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.slice(0, 200)])), ...(Object.keys(params).length ? { params } : {}) });
    const tooLong = IMPORT_FIELDS.find((f) => (values[f] ?? '').length > MAX_LENGTH[f]);
    if (tooLong) {
      reject('contacts.import.reasons.tooLong', { field: tooLong });
      continue;
    }
    const rawEmail = values.email ?? '';
    const rawPhone = values.phone ?? '';
    if (!rawEmail && !rawPhone) {
      reject('contacts.import.reasons.missingContact');
      continue;
    }
    const email = rawEmail ? normalizeEmail(rawEmail) : null;
    if (rawEmail && !email) {
      reject('contacts.import.reasons.emailInvalid');
      continue;
    }
    let phoneE164: string | null = null;
    if (rawPhone) {
      const phone = normalizePhone(rawPhone);
      if (!phone.ok) {
        reject('contacts.import.reasons.phoneInvalid');
        continue;
      }
      phoneE164 = phone.e164;
    }
    const firstLine = (email && seenEmail.get(email)) || (phoneE164 && seenPhone.get(phoneE164));
    if (firstLine) {
      reject('contacts.import.reasons.duplicateInFile', { firstLine });
      continue;
    }
    if (email) seenEmail.set(email, line);
    if (phoneE164) seenPhone.set(phoneE164, line);
    valid.push({ line, email, phoneE164, firstName: values.firstName || null, lastName: values.lastName || null, company: values.company || null });
  }
  return { valid, rejected };
}
