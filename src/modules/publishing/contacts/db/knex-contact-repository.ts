import type { Knex } from 'knex';
import type { Database } from '../../../../adapters/db/database.js';
import { containsPattern } from '../../../../adapters/db/like-pattern.js';
import type {
  ConsentContext,
  ConsentEvent,
  ConsentMedium,
  ConsentSource,
  Contact,
  ContactFilter,
  ContactImport,
  ContactList,
  ContactPage,
  ListMembership,
  MemberStatus,
  Recipient,
} from '../domain.js';

export const PAGE_SIZE = 50;

export interface ContactFields {
  email: string | null;
  phoneE164: string | null;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
}

/** A consent to record on the contact row (the event is appended beside it). */
export interface ConsentGrant {
  medium: ConsentMedium;
  source: ConsentSource;
  context: ConsentContext;
  /** `confirmed` for a double opt-in, else `granted`. */
  action: 'granted' | 'confirmed';
}

function toContact(row: Record<string, any>): Contact {
  const consent = (m: ConsentMedium) => ({
    granted: Boolean(row[`${m}Consent`]),
    source: row[`${m}ConsentSource`] ?? null,
    at: row[`${m}ConsentAt`] ?? null,
    ip: row[`${m}ConsentIp`] ?? null,
    proof: row[`${m}ConsentProof`] ?? null,
  });
  return {
    id: row.id,
    tenantId: row.tenantId,
    email: row.email,
    phoneE164: row.phoneE164,
    firstName: row.firstName,
    lastName: row.lastName,
    company: row.company,
    locale: row.locale,
    status: row.status,
    emailConsent: consent('email'),
    smsConsent: consent('sms'),
    doubleOptInSentAt: row.doubleOptInSentAt,
    doubleOptInConfirmedAt: row.doubleOptInConfirmedAt,
    unsubscribedAt: row.unsubscribedAt,
    smsOptedOutAt: row.smsOptedOutAt,
    hardBouncedAt: row.hardBouncedAt,
    source: row.source,
    importId: row.importId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toImport(row: Record<string, any>): ContactImport {
  return {
    id: row.id,
    originalFilename: row.originalFilename,
    sizeBytes: Number(row.sizeBytes),
    listId: row.listId,
    listName: row.listName ?? null,
    status: row.status,
    columnMapping: row.columnMapping ?? {},
    consentBasis: row.consentBasis,
    consentProof: row.consentProof,
    totalRows: row.totalRows,
    importedCount: row.importedCount,
    updatedCount: row.updatedCount,
    rejectedCount: row.rejectedCount,
    rejectedRows: row.rejectedRows ?? [],
    errorCode: row.errorCode,
    createdAt: row.createdAt,
    completedAt: row.completedAt,
  };
}

/** `inet` refuses anything but an address: a proxy's odd header must not fail the consent record. */
function inetOrNull(ip: string | null | undefined): string | null {
  if (!ip) return null;
  return /^[0-9a-fA-F:.]{2,45}$/.test(ip) ? ip : null;
}

/**
 * Contacts, their consent history, lists and members, imports. Every consent change writes the contact's
 * current state and appends its event in the same transaction.
 */
export class KnexContactRepository {
  constructor(private readonly deps: { database: Database }) {}

  private forTenant<T>(tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.deps.database.forTenant(tenantId, work);
  }

  /** The tenant's name and language, for mails and public pages reached by a token (no viewer there). */
  tenantInfo(tenantId: string): Promise<{ name: string; locale: string } | null> {
    return this.deps.database.asPlatform(async (trx) => (await trx('tenants').where({ id: tenantId }).first('name', 'locale')) ?? null);
  }

  // ---- contacts ----

  list(tenantId: string, filter: ContactFilter): Promise<ContactPage> {
    return this.forTenant(tenantId, async (trx) => {
      const base = trx('contacts as c').where('c.tenantId', tenantId);
      const q = filter.q;
      if (q) {
        const pattern = containsPattern(q.toLowerCase());
        base.where((w) =>
          w
            .whereRaw('lower(c.email) like ?', [pattern])
            .orWhereRaw(`lower(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) like ?`, [pattern])
            .orWhereRaw('lower(c.company) like ?', [pattern])
            .orWhere('c.phoneE164', 'like', containsPattern(q.replace(/[\s.]/g, ''))),
        );
      }
      if (filter.status) base.where('c.status', filter.status);
      if (filter.listId) base.whereExists((q) => q.select(trx.raw('1')).from('contactListMembers as m').whereRaw('m.contact_id = c.id').where('m.listId', filter.listId!));
      const [{ count }] = await base.clone().count({ count: '*' });
      const rows = await base
        .select('c.*')
        .orderBy('c.createdAt', 'desc')
        .orderBy('c.id')
        .limit(PAGE_SIZE)
        .offset((filter.page - 1) * PAGE_SIZE);
      return { items: rows.map(toContact), total: Number(count), page: filter.page, pageSize: PAGE_SIZE };
    });
  }

  /** Every contact, for the export (oldest first). */
  all(tenantId: string): Promise<Contact[]> {
    return this.forTenant(tenantId, async (trx) => (await trx('contacts').where({ tenantId }).orderBy('createdAt').orderBy('id')).map(toContact));
  }

  findById(tenantId: string, id: string): Promise<Contact | null> {
    return this.forTenant(tenantId, async (trx) => {
      const row = await trx('contacts').where({ tenantId, id }).first();
      return row ? toContact(row) : null;
    });
  }

  /** Another contact of the tenant holding this address or number (to explain a conflict before the index does). */
  findConflict(tenantId: string, fields: Pick<ContactFields, 'email' | 'phoneE164'>, exceptId?: string): Promise<'email' | 'phone' | null> {
    return this.forTenant(tenantId, async (trx) => {
      if (fields.email) {
        const q = trx('contacts').where({ tenantId }).whereRaw('lower(email) = ?', [fields.email]);
        if (exceptId) q.whereNot({ id: exceptId });
        if (await q.first('id')) return 'email';
      }
      if (fields.phoneE164) {
        const q = trx('contacts').where({ tenantId, phoneE164: fields.phoneE164 });
        if (exceptId) q.whereNot({ id: exceptId });
        if (await q.first('id')) return 'phone';
      }
      return null;
    });
  }

  create(tenantId: string, fields: ContactFields, grants: ConsentGrant[], now: Date): Promise<Contact> {
    return this.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('locale');
      const [row] = await trx('contacts')
        .insert({ tenantId, ...fields, locale: tenant?.locale ?? 'fr', source: 'manual', createdAt: now, updatedAt: now })
        .returning('*');
      for (const grant of grants) await this.grantIn(trx, tenantId, row.id, grant, now);
      return toContact(await trx('contacts').where({ tenantId, id: row.id }).first());
    });
  }

  update(tenantId: string, id: string, fields: ContactFields, now: Date): Promise<Contact | null> {
    return this.forTenant(tenantId, async (trx) => {
      const [row] = await trx('contacts').where({ tenantId, id }).update({ ...fields, updatedAt: now }).returning('*');
      return row ? toContact(row) : null;
    });
  }

  delete(tenantId: string, id: string): Promise<boolean> {
    return this.forTenant(tenantId, async (trx) => (await trx('contacts').where({ tenantId, id }).delete()) > 0);
  }

  consentEvents(tenantId: string, contactId: string): Promise<ConsentEvent[]> {
    return this.forTenant(tenantId, (trx) =>
      trx('contactConsentEvents')
        .where({ tenantId, contactId })
        .orderBy('occurredAt', 'desc')
        .orderBy('createdAt', 'desc')
        .select('id', 'medium', 'action', 'source', 'ip', 'userAgent', 'proof', 'actorUserId', 'occurredAt'),
    );
  }

  memberships(tenantId: string, contactId: string): Promise<ListMembership[]> {
    return this.forTenant(tenantId, (trx) =>
      trx('contactListMembers as m')
        .join('contactLists as l', 'l.id', 'm.listId')
        .where({ 'm.tenantId': tenantId, 'm.contactId': contactId })
        .orderBy('l.name')
        .select('m.listId', 'l.name as listName', 'l.doubleOptIn', 'm.status', 'm.subscribedAt', 'm.unsubscribedAt'),
    );
  }

  // ---- consent ----

  private async appendEvent(trx: Knex.Transaction, tenantId: string, contactId: string, medium: ConsentMedium, action: ConsentEvent['action'], context: ConsentContext, now: Date): Promise<void> {
    await trx('contactConsentEvents').insert({
      tenantId,
      contactId,
      medium,
      action,
      source: context.source.slice(0, 24),
      ip: inetOrNull(context.ip),
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      proof: context.proof ?? null,
      actorUserId: context.actorUserId ?? null,
      occurredAt: now,
    });
  }

  private async grantIn(trx: Knex.Transaction, tenantId: string, contactId: string, grant: ConsentGrant, now: Date): Promise<void> {
    const m = grant.medium;
    await trx('contacts')
      .where({ tenantId, id: contactId })
      .update({
        [`${m}Consent`]: true,
        [`${m}ConsentSource`]: grant.source,
        [`${m}ConsentAt`]: now,
        [`${m}ConsentIp`]: inetOrNull(grant.context.ip),
        [`${m}ConsentProof`]: grant.context.proof ?? null,
        ...(m === 'sms' ? { smsOptedOutAt: null } : {}),
        updatedAt: now,
      });
    await this.appendEvent(trx, tenantId, contactId, m, grant.action, grant.context, now);
  }

  grantConsent(tenantId: string, contactId: string, grant: ConsentGrant, now: Date): Promise<void> {
    return this.forTenant(tenantId, (trx) => this.grantIn(trx, tenantId, contactId, grant, now));
  }

  /** Consent withdrawn for one medium: e-mail also unsubscribes the contact from every list. */
  private async withdrawIn(trx: Knex.Transaction, tenantId: string, contactId: string, medium: ConsentMedium, context: ConsentContext, now: Date): Promise<boolean> {
    const contact = await trx('contacts').where({ tenantId, id: contactId }).forUpdate().first();
    if (!contact) return false;
    if (medium === 'email') {
      await trx('contacts')
        .where({ tenantId, id: contactId })
        .update({ emailConsent: false, unsubscribedAt: contact.unsubscribedAt ?? now, status: contact.status === 'active' ? 'unsubscribed' : contact.status, doubleOptInTokenHash: null, updatedAt: now });
      await trx('contactListMembers').where({ tenantId, contactId }).whereNot({ status: 'unsubscribed' }).update({ status: 'unsubscribed', unsubscribedAt: now, updatedAt: now });
    } else {
      await trx('contacts').where({ tenantId, id: contactId }).update({ smsConsent: false, smsOptedOutAt: contact.smsOptedOutAt ?? now, updatedAt: now });
    }
    await this.appendEvent(trx, tenantId, contactId, medium, 'withdrawn', context, now);
    return true;
  }

  withdrawConsent(tenantId: string, contactId: string, medium: ConsentMedium, context: ConsentContext, now: Date): Promise<boolean> {
    return this.forTenant(tenantId, (trx) => this.withdrawIn(trx, tenantId, contactId, medium, context, now));
  }

  /** Leaves one list; consent for the other lists stays. False when the contact is not (or no longer) on it. */
  unsubscribeFromList(tenantId: string, contactId: string, listId: string, context: ConsentContext, now: Date): Promise<boolean> {
    return this.forTenant(tenantId, async (trx) => {
      const list = await trx('contactLists').where({ tenantId, id: listId }).first('name');
      const changed = await trx('contactListMembers').where({ tenantId, contactId, listId }).whereNot({ status: 'unsubscribed' }).update({ status: 'unsubscribed', unsubscribedAt: now, updatedAt: now });
      if (!changed) return false;
      await this.appendEvent(trx, tenantId, contactId, 'email', 'withdrawn', { ...context, proof: context.proof ?? `list: ${list?.name ?? listId}` }, now);
      return true;
    });
  }

  recordHardBounce(tenantId: string, contactId: string, detail: string, now: Date): Promise<boolean> {
    return this.forTenant(tenantId, async (trx) => {
      const changed = await trx('contacts').where({ tenantId, id: contactId }).whereNull('hardBouncedAt').update({ status: 'bounced', hardBouncedAt: now, updatedAt: now });
      if (!changed) return false;
      await this.appendEvent(trx, tenantId, contactId, 'email', 'bounced', { source: 'hard_bounce', proof: detail.slice(0, 2000) }, now);
      return true;
    });
  }

  /** STOP: the contact holding this number stops receiving SMS at once. Returns its id, or null when unknown. */
  optOutSms(tenantId: string, phoneE164: string, context: ConsentContext, now: Date): Promise<string | null> {
    return this.forTenant(tenantId, async (trx) => {
      const contact = await trx('contacts').where({ tenantId, phoneE164 }).first('id');
      if (!contact) return null;
      await this.withdrawIn(trx, tenantId, contact.id, 'sms', context, now);
      return contact.id as string;
    });
  }

  // ---- double opt-in ----

  /** The contact goes pending on the list and gets a fresh confirmation token (only its hash is kept). */
  requestConfirmation(tenantId: string, contactId: string, listId: string, tokenHash: string, now: Date): Promise<void> {
    return this.forTenant(tenantId, async (trx) => {
      await trx('contactListMembers')
        .insert({ tenantId, listId, contactId, status: 'pending', createdAt: now, updatedAt: now })
        .onConflict(['listId', 'contactId'])
        .merge({ status: 'pending', unsubscribedAt: null, updatedAt: now });
      await trx('contacts').where({ tenantId, id: contactId }).update({ doubleOptInTokenHash: tokenHash, doubleOptInSentAt: now, updatedAt: now });
    });
  }

  /** Token lookups come without a tenant: the platform context finds which tenant, then work goes on there. */
  findByConfirmationHash(tokenHash: string): Promise<{ tenantId: string; contactId: string } | null> {
    return this.deps.database.asPlatform(async (trx) => {
      const row = await trx('contacts').where({ doubleOptInTokenHash: tokenHash }).first('tenantId', 'id');
      return row ? { tenantId: row.tenantId, contactId: row.id } : null;
    });
  }

  /** Confirms: consent recorded, the token spent, every pending membership of a double opt-in list subscribed. */
  confirm(tenantId: string, contactId: string, tokenHash: string, context: ConsentContext, now: Date): Promise<string[] | null> {
    return this.forTenant(tenantId, async (trx) => {
      const contact = await trx('contacts').where({ tenantId, id: contactId, doubleOptInTokenHash: tokenHash }).forUpdate().first();
      if (!contact) return null;
      await this.grantIn(trx, tenantId, contactId, { medium: 'email', source: 'double_opt_in', action: 'confirmed', context }, now);
      await trx('contacts')
        .where({ tenantId, id: contactId })
        .update({ doubleOptInTokenHash: null, doubleOptInConfirmedAt: now, unsubscribedAt: null, status: contact.status === 'unsubscribed' ? 'active' : contact.status });
      const pending = trx('contactLists').where({ tenantId, doubleOptIn: true }).select('id');
      await trx('contactListMembers').where({ tenantId, contactId, status: 'pending' }).whereIn('listId', pending).update({ status: 'subscribed', subscribedAt: now, updatedAt: now });
      const lists = await trx('contactListMembers as m')
        .join('contactLists as l', 'l.id', 'm.listId')
        .where({ 'm.tenantId': tenantId, 'm.contactId': contactId, 'm.status': 'subscribed' })
        .orderBy('l.name')
        .pluck('l.name');
      return lists as string[];
    });
  }

  // ---- lists ----

  lists(tenantId: string, options: { includeArchived?: boolean } = {}): Promise<ContactList[]> {
    return this.forTenant(tenantId, async (trx) => {
      const q = trx('contactLists as l')
        .where('l.tenantId', tenantId)
        .select(
          'l.id',
          'l.name',
          'l.description',
          'l.doubleOptIn',
          'l.isDefault',
          'l.archivedAt',
          'l.createdAt',
          trx.raw(`(select count(*) from contact_list_members m where m.list_id = l.id and m.status = 'subscribed')::int as subscribed_count`),
          trx.raw(`(select count(*) from contact_list_members m where m.list_id = l.id and m.status = 'pending')::int as pending_count`),
        )
        .orderByRaw('l.archived_at is not null, lower(l.name)');
      if (!options.includeArchived) q.whereNull('l.archivedAt');
      return q;
    });
  }

  findList(tenantId: string, id: string): Promise<ContactList | null> {
    return this.lists(tenantId, { includeArchived: true }).then((all) => all.find((l) => l.id === id) ?? null);
  }

  listNameTaken(tenantId: string, name: string, exceptId?: string): Promise<boolean> {
    return this.forTenant(tenantId, async (trx) => {
      const q = trx('contactLists').where({ tenantId }).whereRaw('lower(name) = lower(?)', [name]);
      if (exceptId) q.whereNot({ id: exceptId });
      return Boolean(await q.first('id'));
    });
  }

  createList(tenantId: string, input: { name: string; description: string; doubleOptIn: boolean }, now: Date): Promise<string> {
    return this.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('locale');
      const [row] = await trx('contactLists').insert({ tenantId, ...input, locale: tenant?.locale ?? 'fr', createdAt: now, updatedAt: now }).returning('id');
      return row.id as string;
    });
  }

  updateList(tenantId: string, id: string, input: { name: string; description: string; doubleOptIn: boolean }, now: Date): Promise<boolean> {
    return this.forTenant(tenantId, async (trx) => (await trx('contactLists').where({ tenantId, id }).update({ ...input, updatedAt: now })) > 0);
  }

  setListArchived(tenantId: string, id: string, archivedAt: Date | null, now: Date): Promise<boolean> {
    return this.forTenant(tenantId, async (trx) => (await trx('contactLists').where({ tenantId, id }).update({ archivedAt, updatedAt: now })) > 0);
  }

  /** Subscribed at once (a list without double opt-in, or a contact who already confirmed). */
  subscribe(tenantId: string, listId: string, contactId: string, now: Date): Promise<void> {
    return this.forTenant(tenantId, async (trx) => {
      await trx('contactListMembers')
        .insert({ tenantId, listId, contactId, status: 'subscribed', subscribedAt: now, createdAt: now, updatedAt: now })
        .onConflict(['listId', 'contactId'])
        .merge({ status: 'subscribed', subscribedAt: now, unsubscribedAt: null, updatedAt: now });
    });
  }

  removeMember(tenantId: string, listId: string, contactId: string): Promise<boolean> {
    return this.forTenant(tenantId, async (trx) => (await trx('contactListMembers').where({ tenantId, listId, contactId }).delete()) > 0);
  }

  memberStatus(tenantId: string, listId: string, contactId: string): Promise<MemberStatus | null> {
    return this.forTenant(tenantId, async (trx) => (await trx('contactListMembers').where({ tenantId, listId, contactId }).first('status'))?.status ?? null);
  }

  // ---- recipients (for the newsletter and SMS senders) ----

  recipientsForList(tenantId: string, listId: string): Promise<Recipient[]> {
    return this.forTenant(tenantId, (trx) =>
      trx('contactListMembers as m')
        .join('contacts as c', 'c.id', 'm.contactId')
        .join('contactLists as l', 'l.id', 'm.listId')
        .where({ 'm.tenantId': tenantId, 'm.listId': listId, 'm.status': 'subscribed', 'c.status': 'active', 'c.emailConsent': true })
        .whereNull('l.archivedAt')
        .whereNotNull('c.email')
        .whereNull('c.hardBouncedAt')
        .whereNull('c.complainedAt')
        .whereNull('c.unsubscribedAt')
        .orderBy('c.createdAt')
        .orderBy('c.id')
        .select('c.id as contactId', 'c.email', 'c.phoneE164', 'c.firstName', 'c.lastName', 'c.locale'),
    );
  }

  smsRecipients(tenantId: string, listId?: string): Promise<Recipient[]> {
    return this.forTenant(tenantId, (trx) => {
      const q = trx('contacts as c')
        .where({ 'c.tenantId': tenantId, 'c.smsConsent': true })
        .whereNotNull('c.phoneE164')
        .whereNull('c.smsOptedOutAt')
        .orderBy('c.createdAt')
        .orderBy('c.id')
        .select('c.id as contactId', 'c.email', 'c.phoneE164', 'c.firstName', 'c.lastName', 'c.locale');
      if (listId) {
        q.join('contactListMembers as m', 'm.contactId', 'c.id').join('contactLists as l', 'l.id', 'm.listId').where({ 'm.listId': listId, 'm.status': 'subscribed' }).whereNull('l.archivedAt');
      }
      return q;
    });
  }

  // ---- imports ----

  insertImport(tenantId: string, row: Record<string, unknown>): Promise<string> {
    return this.forTenant(tenantId, async (trx) => {
      const [created] = await trx('contactImports').insert({ tenantId, ...row, rejectedRows: JSON.stringify(row.rejectedRows ?? []), columnMapping: JSON.stringify(row.columnMapping ?? {}) }).returning('id');
      return created.id as string;
    });
  }

  /** The import itself: one transaction, so a failure leaves no half-imported file. */
  runImport<T>(tenantId: string, work: (trx: Knex.Transaction, helpers: ImportHelpers) => Promise<T>): Promise<T> {
    return this.forTenant(tenantId, (trx) =>
      work(trx, {
        grant: (contactId, grant, now) => this.grantIn(trx, tenantId, contactId, grant, now),
        toContact,
      }),
    );
  }

  findImport(tenantId: string, id: string): Promise<ContactImport | null> {
    return this.forTenant(tenantId, async (trx) => {
      const row = await trx('contactImports as i').leftJoin('contactLists as l', 'l.id', 'i.listId').where({ 'i.tenantId': tenantId, 'i.id': id }).first('i.*', 'l.name as listName');
      return row ? toImport(row) : null;
    });
  }

  recentImports(tenantId: string, limit = 10): Promise<ContactImport[]> {
    return this.forTenant(tenantId, async (trx) =>
      (await trx('contactImports as i').leftJoin('contactLists as l', 'l.id', 'i.listId').where('i.tenantId', tenantId).orderBy('i.createdAt', 'desc').limit(limit).select('i.*', 'l.name as listName')).map(toImport),
    );
  }
}

export interface ImportHelpers {
  grant(contactId: string, grant: ConsentGrant, now: Date): Promise<void>;
  toContact(row: Record<string, any>): Contact;
}
