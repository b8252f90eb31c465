import type { Clock } from '../../../shared/clock.js';
import { NotFoundError, ValidationError } from '../../../shared/errors.js';
import { CsvReadError, readCsv } from './csv.js';
import type { KnexContactRepository } from './db/knex-contact-repository.js';
import { CONSENT_BASES, mediaOfBasis, type ConsentBasis, type ConsentMedium, type ContactImport, type RejectedRow } from './domain.js';
import { IMPORT_FIELDS, mapHeader, validateRows, type ImportRow } from './import-mapping.js';

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 50_000;
/** The report keeps this many refused rows in detail; the count covers them all. */
const MAX_REPORTED_REJECTIONS = 1000;

export interface ImportRequest {
  filename: string;
  data: Buffer;
  listId: string | null;
  consentBasis: string;
  consentProof: string;
  uploadedBy: string;
  ip: string | null;
}

/**
 * CSV import: the file is read and every row validated in memory, then applied in one transaction with its
 * report (`contact_imports`). Existing contacts (same address or number) are updated, not duplicated. The
 * uploader declares what consent the file's people gave and how; that consent is recorded per contact with the
 * import as its source, except where a contact had withdrawn it (an import never overrides an unsubscribe/STOP).
 */
export class ContactImportService {
  constructor(private readonly deps: { contactRepository: KnexContactRepository; clock: Clock }) {}

  async import(tenantId: string, request: ImportRequest): Promise<ContactImport> {
    const repo = this.deps.contactRepository;
    const basis = request.consentBasis as ConsentBasis;
    const errors: Record<string, string> = {};
    if (!(CONSENT_BASES as readonly string[]).includes(basis)) errors.consentBasis = 'contacts.errors.consentBasisRequired';
    const proof = request.consentProof.trim().slice(0, 2000);
    if (basis !== 'none' && !proof) errors.consentProof = 'contacts.errors.consentProofRequired';
    if (Object.keys(errors).length) throw new ValidationError(errors);
    if (request.listId) {
      const list = await repo.findList(tenantId, request.listId);
      if (!list || list.archivedAt) throw new ValidationError({ listId: 'contacts.errors.listUnknown' });
    }
    const now = this.deps.clock.now();
    const base = {
      originalFilename: request.filename.slice(0, 255) || 'import.csv',
      sizeBytes: request.data.length,
      listId: request.listId,
      consentBasis: basis,
      consentProof: proof || null,
      createdBy: request.uploadedBy,
      createdAt: now,
      updatedAt: now,
    };

    let table;
    try {
      table = readCsv(request.data, { maxRows: MAX_IMPORT_ROWS });
    } catch (err) {
      if (!(err instanceof CsvReadError)) throw err;
      const id = await repo.insertImport(tenantId, { ...base, status: 'failed', errorCode: err.code, completedAt: now });
      return (await repo.findImport(tenantId, id))!;
    }
    const mapping = mapHeader(table.header);
    const columnMapping = Object.fromEntries(IMPORT_FIELDS.filter((f) => mapping[f] !== undefined).map((f) => [f, table.header[mapping[f]!]]));
    if (mapping.email === undefined && mapping.phone === undefined) {
      const id = await repo.insertImport(tenantId, { ...base, columnMapping, totalRows: table.rows.length, status: 'failed', errorCode: 'contacts.errors.noContactColumn', completedAt: now });
      return (await repo.findImport(tenantId, id))!;
    }
    const { valid, rejected } = validateRows(table.rows, mapping);
    const media = mediaOfBasis(basis);
    const context = { source: 'import', ip: request.ip, proof: `${proof} — ${base.originalFilename}`, actorUserId: request.uploadedBy };

    const id = await repo.runImport(tenantId, async (trx, helpers) => {
      const [created] = await trx('contactImports').insert({ tenantId, ...base, columnMapping: JSON.stringify(columnMapping), status: 'importing' }).returning('id');
      const importId = created.id as string;
      const locale = (await trx('tenants').where({ id: tenantId }).first('locale'))?.locale ?? 'fr';
      const list = request.listId ? await trx('contactLists').where({ tenantId, id: request.listId }).first('doubleOptIn') : null;
      let imported = 0;
      let updated = 0;
      for (const row of valid) {
        const byEmail = row.email ? await trx('contacts').where({ tenantId }).whereRaw('lower(email) = ?', [row.email]).first() : undefined;
        const byPhone = row.phoneE164 ? await trx('contacts').where({ tenantId, phoneE164: row.phoneE164 }).first() : undefined;
        if (byEmail && byPhone && byEmail.id !== byPhone.id) {
          rejected.push(rejection(row, 'contacts.import.reasons.conflict'));
          continue;
        }
        const existing = byEmail ?? byPhone;
        const fields = pickDefined({ email: row.email, phoneE164: row.phoneE164, firstName: row.firstName, lastName: row.lastName, company: row.company });
        let contactRow;
        if (existing) {
          [contactRow] = await trx('contacts').where({ tenantId, id: existing.id }).update({ ...fields, updatedAt: now }).returning('*');
          updated++;
        } else {
          [contactRow] = await trx('contacts').insert({ tenantId, ...fields, locale, source: 'import', importId, createdAt: now, updatedAt: now }).returning('*');
          imported++;
        }
        const contact = helpers.toContact(contactRow);
        for (const medium of media) {
          if (!mayGrant(contact, medium)) continue;
          await helpers.grant(contact.id, { medium, source: 'import', action: 'granted', context }, now);
          contact[medium === 'email' ? 'emailConsent' : 'smsConsent'].granted = true;
        }
        if (request.listId && list) {
          const subscribed = !list.doubleOptIn || contact.emailConsent.granted;
          await trx('contactListMembers')
            .insert({ tenantId, listId: request.listId, contactId: contact.id, status: subscribed ? 'subscribed' : 'pending', subscribedAt: subscribed ? now : null, createdAt: now, updatedAt: now })
            .onConflict(['listId', 'contactId'])
            .ignore();
        }
      }
      rejected.sort((a, b) => a.line - b.line);
      await trx('contactImports')
        .where({ tenantId, id: importId })
        .update({
          status: 'completed',
          totalRows: table.rows.length,
          importedCount: imported,
          updatedCount: updated,
          rejectedCount: rejected.length,
          rejectedRows: JSON.stringify(rejected.slice(0, MAX_REPORTED_REJECTIONS)),
          completedAt: now,
          updatedAt: now,
        });
      return importId;
    });
    return (await repo.findImport(tenantId, id))!;
  }

  async get(tenantId: string, id: string): Promise<ContactImport> {
    const found = await this.deps.contactRepository.findImport(tenantId, id);
    if (!found) throw new NotFoundError();
    return found;
  }

  recent(tenantId: string): Promise<ContactImport[]> {
    return this.deps.contactRepository.recentImports(tenantId);
  }
}

/** Consent the import may record: the medium is reachable, not already given, and never withdrawn by the person. */
function mayGrant(contact: { email: string | null; phoneE164: string | null; status: string; unsubscribedAt: Date | null; smsOptedOutAt: Date | null; emailConsent: { granted: boolean }; smsConsent: { granted: boolean } }, medium: ConsentMedium): boolean {
  if (medium === 'email') return Boolean(contact.email) && !contact.emailConsent.granted && !contact.unsubscribedAt && contact.status === 'active';
  return Boolean(contact.phoneE164) && !contact.smsConsent.granted && !contact.smsOptedOutAt;
}

function pickDefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && v !== '')) as Partial<T>;
}

function rejection(row: ImportRow, reason: string): RejectedRow {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries({ email: row.email, phone: row.phoneE164, firstName: row.firstName, lastName: row.lastName, company: row.company })) if (v) values[k] = v;
  return { line: row.line, reason, values };
}
