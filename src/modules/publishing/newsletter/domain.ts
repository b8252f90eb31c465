/** A newsletter built from a studio content (a `newsletters` row). */
export interface Newsletter {
  id: string;
  tenantId: string;
  contentId: string;
  contentVersionId: string | null;
  listId: string | null;
  subject: string;
  preheader: string;
  renderedHtml: string | null;
  renderedText: string | null;
  status: 'draft' | 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'failed';
  scheduledAt: Date | null;
  startedAt: Date | null;
  sentAt: Date | null;
  ratePerMinute: number;
  recipientCount: number;
  sentCount: number;
  failedCount: number;
  bouncedCount: number;
  unsubscribedCount: number;
  createdBy: string | null;
  locale: string;
  createdAt: Date;
  updatedAt: Date;
}

export const RECIPIENT_STATUSES = ['queued', 'sent', 'failed', 'bounced', 'opened', 'clicked', 'unsubscribed'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

/**
 * `newsletter_recipients.status` has no `sending` value (its CHECK constraint), so a row being sent is a
 * `queued` row whose `error_code` is this marker, set by the claim and cleared by the outcome.
 */
export const IN_FLIGHT = 'in_flight';

export interface NewsletterRecipient {
  id: string;
  tenantId: string;
  newsletterId: string;
  contactId: string;
  email: string;
  status: RecipientStatus;
  messageId: string | null;
  attempts: number;
  bounceType: 'hard' | 'soft' | null;
  errorCode: string | null;
  errorMessage: string | null;
  sentAt: Date | null;
  bouncedAt: Date | null;
  unsubscribedAt: Date | null;
  firstName?: string | null;
  lastName?: string | null;
}

/** Recipients per status; `sending` counts the rows in flight (still `queued` in the table). */
export type RecipientCounts = Record<RecipientStatus | 'sending', number>;

/** Temporary failures are retried this many times in all, then the recipient is `failed`. */
export const MAX_ATTEMPTS = 5;
/** A row in flight for longer than this was interrupted by a crash (an SMTP hand-off takes seconds). */
export const IN_FLIGHT_LEASE_MS = 15 * 60_000;
