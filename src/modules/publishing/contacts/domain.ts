/** Contacts, lists and consent: the shapes the service and the views share. */

export const CONSENT_MEDIA = ['email', 'sms'] as const;
export type ConsentMedium = (typeof CONSENT_MEDIA)[number];

export const CONTACT_STATUSES = ['active', 'unsubscribed', 'bounced', 'complained'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

/** Where a consent came from (`contacts.<medium>_consent_source`). */
export type ConsentSource = 'form' | 'import' | 'manual' | 'double_opt_in' | 'api' | 'crm' | 'sms_keyword';

export const CONSENT_BASES = ['email', 'sms', 'both', 'none'] as const;
export type ConsentBasis = (typeof CONSENT_BASES)[number];

export type MemberStatus = 'pending' | 'subscribed' | 'unsubscribed';

export interface ConsentState {
  granted: boolean;
  source: ConsentSource | null;
  at: Date | null;
  ip: string | null;
  proof: string | null;
}

export interface Contact {
  id: string;
  tenantId: string;
  email: string | null;
  phoneE164: string | null;
  firstName: string | null;
  lastName: string | null;
  company: string | null;
  locale: string;
  status: ContactStatus;
  emailConsent: ConsentState;
  smsConsent: ConsentState;
  doubleOptInSentAt: Date | null;
  doubleOptInConfirmedAt: Date | null;
  unsubscribedAt: Date | null;
  smsOptedOutAt: Date | null;
  hardBouncedAt: Date | null;
  source: string;
  importId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConsentEvent {
  id: string;
  medium: ConsentMedium;
  action: 'granted' | 'confirmed' | 'withdrawn' | 'bounced' | 'complained';
  source: string;
  ip: string | null;
  userAgent: string | null;
  proof: string | null;
  actorUserId: string | null;
  occurredAt: Date;
}

export interface ContactList {
  id: string;
  name: string;
  description: string;
  doubleOptIn: boolean;
  isDefault: boolean;
  archivedAt: Date | null;
  createdAt: Date;
  subscribedCount: number;
  pendingCount: number;
}

export interface ListMembership {
  listId: string;
  listName: string;
  doubleOptIn: boolean;
  status: MemberStatus;
  subscribedAt: Date | null;
  unsubscribedAt: Date | null;
}

/** Who did it and from where: the proof attached to a consent change. */
export interface ConsentContext {
  source: string;
  ip?: string | null;
  userAgent?: string | null;
  proof?: string | null;
  actorUserId?: string | null;
}

export interface ContactFilter {
  q?: string;
  listId?: string;
  status?: ContactStatus;
  page: number;
}

export interface ContactPage {
  items: Contact[];
  total: number;
  page: number;
  pageSize: number;
}

/** One row the import refused: its line in the file, why (i18n key), and what it held. */
export interface RejectedRow {
  line: number;
  reason: string;
  values: Record<string, string>;
  /** Interpolation values of the reason (the first line of a duplicate…). */
  params?: Record<string, unknown>;
}

export interface ContactImport {
  id: string;
  originalFilename: string;
  sizeBytes: number;
  listId: string | null;
  listName: string | null;
  status: 'pending' | 'validating' | 'importing' | 'completed' | 'failed';
  columnMapping: Record<string, string>;
  consentBasis: ConsentBasis | null;
  consentProof: string | null;
  totalRows: number;
  importedCount: number;
  updatedCount: number;
  rejectedCount: number;
  rejectedRows: RejectedRow[];
  errorCode: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** A recipient the newsletter or SMS sender may write to. */
export interface Recipient {
  contactId: string;
  email: string | null;
  phoneE164: string | null;
  firstName: string | null;
  lastName: string | null;
  locale: string;
}

export function mediaOfBasis(basis: ConsentBasis): ConsentMedium[] {
  return basis === 'both' ? ['email', 'sms'] : basis === 'none' ? [] : [basis];
}

export function displayName(c: Pick<Contact, 'firstName' | 'lastName' | 'email' | 'phoneE164'>): string {
  const name = [c.firstName, c.lastName].filter(Boolean).join(' ');
  return name || c.email || c.phoneE164 || '';
}
