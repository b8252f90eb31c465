import crypto from 'node:crypto';
import type { i18n } from 'i18next';
import { z } from 'zod';
import type { Config } from '../../../config.js';
import type { Clock } from '../../../shared/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../../shared/errors.js';
import type { Mailer } from '../../../shared/mailer.js';
import { parseInput } from '../../../shared/validation.js';
import type { ConsentGrant, ContactFields, KnexContactRepository } from './db/knex-contact-repository.js';
import {
  CONSENT_MEDIA,
  type ConsentContext,
  type ConsentMedium,
  type Contact,
  type ContactFilter,
  type ContactList,
  type Recipient,
} from './domain.js';
import { normalizeEmail } from './email.js';
import { normalizePhone } from './phone.js';
import type { UnsubscribeTokens } from './unsubscribe-token.js';
import { appBaseUrl } from '../../../shared/http/public-url.js';

export const CONFIRMATION_TTL_MS = 7 * 24 * 3600 * 1000;

export interface ContactServiceDeps {
  contactRepository: KnexContactRepository;
  unsubscribeTokens: UnsubscribeTokens;
  mailer: Mailer;
  clock: Clock;
  i18n: i18n;
  config: Pick<Config, 'publicUrl' | 'port'>;
}

const optionalText = (max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v ?? '').trim())
    .pipe(z.string().max(max, { error: 'contacts.errors.tooLong' }));

const contactSchema = z.object({
  email: optionalText(320),
  phone: optionalText(32),
  firstName: optionalText(100),
  lastName: optionalText(100),
  company: optionalText(200),
});

const listSchema = z.object({
  name: z
    .string({ error: 'contacts.errors.listNameRequired' })
    .transform((v) => v.trim())
    .pipe(z.string().min(1, { error: 'contacts.errors.listNameRequired' }).max(200, { error: 'contacts.errors.tooLong' })),
  description: optionalText(2000),
  doubleOptIn: z.boolean(),
});

/** What a form sends: typed text, plus consent boxes ticked (with the proof of that consent). */
export interface ContactInput {
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  company?: string;
}

export function sha256(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}

/**
 * Contacts and consent. Consent changes go through here only, each with its proof (source, time, IP, wording)
 * appended to the history. What the contact withdrew (unsubscribe, STOP) is never granted back by the team or an
 * import: only the contact's own act (double opt-in confirmation, SMS keyword) restores it.
 */
export class ContactService {
  constructor(private readonly deps: ContactServiceDeps) {}

  private get repo(): KnexContactRepository {
    return this.deps.contactRepository;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  /** The base of links leaving the app when no request is at hand (jobs). */
  publicBaseUrl(): string {
    return appBaseUrl(this.deps.config);
  }

  // ---- contacts ----

  list(tenantId: string, filter: ContactFilter) {
    return this.repo.list(tenantId, filter);
  }

  /** Every contact of the tenant (the export). */
  all(tenantId: string): Promise<Contact[]> {
    return this.repo.all(tenantId);
  }

  async get(tenantId: string, id: string): Promise<Contact> {
    const contact = await this.repo.findById(tenantId, id);
    if (!contact) throw new NotFoundError();
    return contact;
  }

  async details(tenantId: string, id: string) {
    const contact = await this.get(tenantId, id);
    const [events, memberships] = await Promise.all([this.repo.consentEvents(tenantId, id), this.repo.memberships(tenantId, id)]);
    return { contact, events, memberships };
  }

  /** Validated, normalised fields; the address and number must not belong to another contact. */
  private async fieldsOf(tenantId: string, input: ContactInput, exceptId?: string): Promise<ContactFields> {
    const data = parseInput(contactSchema, input);
    const errors: Record<string, string> = {};
    const email = data.email ? normalizeEmail(data.email) : null;
    if (data.email && !email) errors.email = 'contacts.errors.emailInvalid';
    let phoneE164: string | null = null;
    if (data.phone) {
      const phone = normalizePhone(data.phone);
      if (phone.ok) phoneE164 = phone.e164;
      else errors.phone = phone.reason;
    }
    if (!data.email && !data.phone) errors.email = 'contacts.errors.emailOrPhoneRequired';
    if (Object.keys(errors).length) throw new ValidationError(errors);
    const conflict = await this.repo.findConflict(tenantId, { email, phoneE164 }, exceptId);
    if (conflict === 'email') throw new ValidationError({ email: 'contacts.errors.emailTaken' });
    if (conflict === 'phone') throw new ValidationError({ phone: 'contacts.errors.phoneTaken' });
    return { email, phoneE164, firstName: data.firstName || null, lastName: data.lastName || null, company: data.company || null };
  }

  /** A contact entered by the team; `consent` lists the media the person agreed to, with the proof given. */
  async create(tenantId: string, input: ContactInput, consent: { media: ConsentMedium[]; context: ConsentContext }): Promise<Contact> {
    const fields = await this.fieldsOf(tenantId, input);
    const grants: ConsentGrant[] = [];
    for (const medium of consent.media) {
      if ((medium === 'email' && !fields.email) || (medium === 'sms' && !fields.phoneE164)) {
        throw new ValidationError({ [`${medium}Consent`]: `contacts.errors.consentNeeds.${medium}` });
      }
      if (!consent.context.proof?.trim()) throw new ValidationError({ consentProof: 'contacts.errors.consentProofRequired' });
      grants.push({ medium, source: 'manual', action: 'granted', context: consent.context });
    }
    return this.repo.create(tenantId, fields, grants, this.now());
  }

  async update(tenantId: string, id: string, input: ContactInput): Promise<Contact> {
    await this.get(tenantId, id);
    const fields = await this.fieldsOf(tenantId, input, id);
    const contact = await this.repo.update(tenantId, id, fields, this.now());
    if (!contact) throw new NotFoundError();
    return contact;
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(tenantId, id))) throw new NotFoundError();
  }

  /** The team records a consent the person gave them (shop counter, paper form…), with its wording. */
  async grantConsent(tenantId: string, id: string, medium: ConsentMedium, context: ConsentContext): Promise<void> {
    const contact = await this.get(tenantId, id);
    if (medium === 'email' && !contact.email) throw new ValidationError({ consent: 'contacts.errors.consentNeeds.email' });
    if (medium === 'sms' && !contact.phoneE164) throw new ValidationError({ consent: 'contacts.errors.consentNeeds.sms' });
    if (!context.proof?.trim()) throw new ValidationError({ consentProof: 'contacts.errors.consentProofRequired' });
    if (medium === 'email' && (contact.unsubscribedAt || contact.status !== 'active')) throw new AppError('contacts.errors.consentWithdrawnByContact', 409);
    if (medium === 'sms' && contact.smsOptedOutAt) throw new AppError('contacts.errors.consentWithdrawnByContact', 409);
    await this.repo.grantConsent(tenantId, id, { medium, source: 'manual', action: 'granted', context }, this.now());
  }

  async withdrawConsent(tenantId: string, id: string, medium: ConsentMedium, context: ConsentContext): Promise<void> {
    if (!(await this.repo.withdrawConsent(tenantId, id, medium, context, this.now()))) throw new NotFoundError();
  }

  // ---- lists ----

  lists(tenantId: string, options: { includeArchived?: boolean } = {}): Promise<ContactList[]> {
    return this.repo.lists(tenantId, options);
  }

  async getList(tenantId: string, id: string): Promise<ContactList> {
    const list = await this.repo.findList(tenantId, id);
    if (!list) throw new NotFoundError();
    return list;
  }

  async createList(tenantId: string, input: { name?: string; description?: string; doubleOptIn?: boolean }): Promise<string> {
    const data = parseInput(listSchema, { ...input, doubleOptIn: Boolean(input.doubleOptIn) });
    if (await this.repo.listNameTaken(tenantId, data.name)) throw new ValidationError({ name: 'contacts.errors.listNameTaken' });
    return this.repo.createList(tenantId, data, this.now());
  }

  async updateList(tenantId: string, id: string, input: { name?: string; description?: string; doubleOptIn?: boolean }): Promise<void> {
    await this.getList(tenantId, id);
    const data = parseInput(listSchema, { ...input, doubleOptIn: Boolean(input.doubleOptIn) });
    if (await this.repo.listNameTaken(tenantId, data.name, id)) throw new ValidationError({ name: 'contacts.errors.listNameTaken' });
    await this.repo.updateList(tenantId, id, data, this.now());
  }

  async archiveList(tenantId: string, id: string, archived: boolean): Promise<void> {
    if (!(await this.repo.setListArchived(tenantId, id, archived ? this.now() : null, this.now()))) throw new NotFoundError();
  }

  /**
   * Adds a contact to a list. On a double opt-in list, a contact who has not confirmed their address yet is
   * pending and receives the confirmation e-mail; otherwise they are subscribed at once.
   * Returns the membership's status.
   */
  async addToList(tenantId: string, listId: string, contactId: string, baseUrl = this.publicBaseUrl()): Promise<'subscribed' | 'pending'> {
    const [list, contact] = await Promise.all([this.getList(tenantId, listId), this.get(tenantId, contactId)]);
    if (list.archivedAt) throw new AppError('contacts.errors.listArchived', 409);
    if (contact.status === 'bounced' || contact.status === 'complained') throw new AppError(`contacts.errors.contact.${contact.status}`, 409);
    const confirmed = contact.emailConsent.granted && contact.doubleOptInConfirmedAt !== null;
    if (!list.doubleOptIn || confirmed) {
      await this.repo.subscribe(tenantId, listId, contactId, this.now());
      return 'subscribed';
    }
    if (!contact.email) throw new AppError('contacts.errors.doubleOptInNeedsEmail', 422);
    await this.sendConfirmation(tenantId, contact, list, baseUrl);
    return 'pending';
  }

  async resendConfirmation(tenantId: string, listId: string, contactId: string, baseUrl = this.publicBaseUrl()): Promise<void> {
    const [list, contact] = await Promise.all([this.getList(tenantId, listId), this.get(tenantId, contactId)]);
    if ((await this.repo.memberStatus(tenantId, listId, contactId)) !== 'pending' || !contact.email) throw new AppError('contacts.errors.notPending', 409);
    await this.sendConfirmation(tenantId, contact, list, baseUrl);
  }

  async removeFromList(tenantId: string, listId: string, contactId: string): Promise<void> {
    if (!(await this.repo.removeMember(tenantId, listId, contactId))) throw new NotFoundError();
  }

  /** A new token (the previous link stops working), stored hashed before the mail leaves, sent after the commit. */
  private async sendConfirmation(tenantId: string, contact: Contact, list: ContactList, baseUrl: string): Promise<void> {
    const token = crypto.randomBytes(32).toString('base64url');
    await this.repo.requestConfirmation(tenantId, contact.id, list.id, sha256(token), this.now());
    const tenant = await this.repo.tenantInfo(tenantId);
    const t = this.deps.i18n.getFixedT(contact.locale || tenant?.locale || 'fr');
    const link = `${baseUrl.replace(/\/+$/, '')}/c/confirm/${token}`;
    const params = { tenant: tenant?.name ?? '', list: list.name, link, days: CONFIRMATION_TTL_MS / 86_400_000 };
    await this.deps.mailer.send({
      tenantId,
      to: contact.email!,
      subject: t('contacts.confirmMail.subject', params),
      text: t('contacts.confirmMail.text', params),
      kind: 'double_opt_in',
    });
  }

  /** The confirmation page's view of a token: who, for whom, and whether it still works. */
  async confirmationState(token: string): Promise<{ state: 'valid' | 'expired'; tenantName: string } | null> {
    const found = await this.findConfirmation(token);
    if (!found) return null;
    return { state: found.expired ? 'expired' : 'valid', tenantName: found.tenantName };
  }

  async confirm(token: string, context: Omit<ConsentContext, 'source'>): Promise<{ tenantName: string; lists: string[] } | 'expired' | null> {
    const found = await this.findConfirmation(token);
    if (!found) return null;
    if (found.expired) return 'expired';
    const { tenantId, contact } = found;
    const proof = `${contact.email} — ${contact.doubleOptInSentAt?.toISOString() ?? ''}`;
    const lists = await this.repo.confirm(tenantId, contact.id, sha256(token), { ...context, source: 'double_opt_in', proof: context.proof ?? proof }, this.now());
    return lists ? { tenantName: found.tenantName, lists } : null;
  }

  private async findConfirmation(token: string) {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const ref = await this.repo.findByConfirmationHash(sha256(token));
    if (!ref) return null;
    const contact = await this.repo.findById(ref.tenantId, ref.contactId);
    if (!contact) return null;
    const tenant = await this.repo.tenantInfo(ref.tenantId);
    const sentAt = contact.doubleOptInSentAt?.getTime() ?? 0;
    return { tenantId: ref.tenantId, contact, tenantName: tenant?.name ?? '', expired: this.now().getTime() - sentAt > CONFIRMATION_TTL_MS };
  }

  // ---- unsubscribe ----

  /**
   * The headers of a marketing e-mail (RFC 2369 and RFC 8058 one-click). `mailto` is added only when given: an
   * address must exist that actually processes the requests.
   */
  unsubscribeHeaders(tenantId: string, contactId: string, listId?: string | null, options: { mailto?: string; baseUrl?: string } = {}): Record<string, string> {
    const url = this.unsubscribeUrl(tenantId, contactId, listId, options.baseUrl);
    const mailto = options.mailto ? `, <mailto:${options.mailto}?subject=${encodeURIComponent(`unsubscribe ${url.split('/').pop()}`)}>` : '';
    return { 'List-Unsubscribe': `<${url}>${mailto}`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  }

  unsubscribeUrl(tenantId: string, contactId: string, listId?: string | null, baseUrl = this.publicBaseUrl()): string {
    return `${baseUrl.replace(/\/+$/, '')}/u/${this.deps.unsubscribeTokens.sign({ tenantId, contactId, listId: listId ?? null })}`;
  }

  /** What an unsubscribe link points at, for its page; null for a forged or malformed token. */
  async unsubscribeTarget(token: string): Promise<{ tenantName: string; listName: string | null; email: string | null } | null> {
    const target = this.deps.unsubscribeTokens.verify(token);
    if (!target) return null;
    const tenant = await this.repo.tenantInfo(target.tenantId);
    if (!tenant) return null;
    const [contact, list] = await Promise.all([
      this.repo.findById(target.tenantId, target.contactId),
      target.listId ? this.repo.findList(target.tenantId, target.listId) : Promise.resolve(null),
    ]);
    return { tenantName: tenant.name, listName: list?.name ?? null, email: contact?.email ?? null };
  }

  /**
   * Unsubscribes at once: from the token's list, or from every e-mail of the tenant. Idempotent; a contact
   * deleted since is simply done. Null for a forged token.
   */
  async unsubscribe(token: string, context: Omit<ConsentContext, 'source'>): Promise<{ tenantName: string } | null> {
    const target = this.deps.unsubscribeTokens.verify(token);
    if (!target) return null;
    const tenant = await this.repo.tenantInfo(target.tenantId);
    if (!tenant) return null;
    const ctx = { ...context, source: 'unsubscribe_link' };
    if (target.listId) await this.repo.unsubscribeFromList(target.tenantId, target.contactId, target.listId, ctx, this.now());
    else await this.repo.withdrawConsent(target.tenantId, target.contactId, 'email', ctx, this.now());
    return { tenantName: tenant.name };
  }

  // ---- for the senders ----

  /** Who may receive a newsletter sent to a list: subscribed, e-mail consent, active, never hard-bounced. */
  recipientsForList(tenantId: string, listId: string): Promise<Recipient[]> {
    return this.repo.recipientsForList(tenantId, listId);
  }

  /** Who may receive an SMS (optionally of a list): SMS consent recorded, not opted out. */
  smsRecipients(tenantId: string, listId?: string): Promise<Recipient[]> {
    return this.repo.smsRecipients(tenantId, listId);
  }

  /** A permanent refusal of the address: no further e-mail. True the first time. */
  recordHardBounce(tenantId: string, contactId: string, detail: string): Promise<boolean> {
    return this.repo.recordHardBounce(tenantId, contactId, detail, this.now());
  }

  /** STOP (or an unsubscribe by SMS): honoured at once. The contact's id, or null when the number is unknown. */
  optOutSms(tenantId: string, phoneE164: string, source: string, context: Omit<ConsentContext, 'source'> = {}): Promise<string | null> {
    return this.repo.optOutSms(tenantId, phoneE164, { ...context, source }, this.now());
  }
}

export { CONSENT_MEDIA };
