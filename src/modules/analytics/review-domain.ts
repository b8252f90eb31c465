/** Reputation: reviews from Google Business Profile (synchronised), entered by hand or imported, and their replies. */

export const REVIEW_SOURCES = ['google_business', 'manual', 'import'] as const;
export type ReviewSourceKind = (typeof REVIEW_SOURCES)[number];

export const REPLY_STATUSES = ['none', 'draft', 'posting', 'posted', 'failed'] as const;
export type ReplyStatus = (typeof REPLY_STATUSES)[number];

/** What the reply box accepts (Google's limit is 4096 bytes; the adapter checks bytes). */
export const REPLY_MAX = 4_000;
export const REVIEW_TEXT_MAX = 10_000;

export interface Review {
  id: string;
  source: ReviewSourceKind;
  channelAccountId: string | null;
  externalId: string | null;
  authorName: string;
  rating: number;
  text: string;
  locale: string;
  url: string | null;
  reviewedAt: Date;
  replyText: string | null;
  replyStatus: ReplyStatus;
  replyAiCallId: string | null;
  repliedBy: string | null;
  repliedAt: Date | null;
  replyError: string | null;
  updatedAt: Date;
}

export interface ReviewFilter {
  rating?: number;
  /** true: answered (reply posted); false: not yet. */
  replied?: boolean;
  source?: ReviewSourceKind;
  limit?: number;
  offset?: number;
}

export interface MonthRating {
  /** `YYYY-MM` in the tenant's time zone. */
  month: string;
  count: number;
  average: number | null;
}

export interface ReviewSummary {
  count: number;
  average: number | null;
  /** The last 12 months, oldest first, months without a review included. */
  months: MonthRating[];
}

/** A review entered by hand or read from a CSV line, validated. */
export interface NewReview {
  authorName: string;
  rating: number;
  text: string;
  locale: string;
  url: string | null;
  reviewedAt: Date;
}

/** Sources Cadence can post a reply to; for the others the client posts it and marks the review as answered. */
export function postsThroughNetwork(source: ReviewSourceKind): boolean {
  return source === 'google_business';
}
