/** Brand-safety flags raised on generated versions (studio), mentions or reviews, and what the team decided. */

export const FLAG_STATUSES = ['open', 'resolved', 'dismissed'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];
export const FLAG_KINDS = ['banned_word', 'claim', 'moderation', 'mention'] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];
export const FLAG_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type FlagSeverity = (typeof FLAG_SEVERITIES)[number];
export const FLAG_ACTIONS = ['resolve', 'dismiss'] as const;
export type FlagAction = (typeof FLAG_ACTIONS)[number];

export interface BrandSafetyFlagView {
  id: string;
  subjectType: 'content_version' | 'mention' | 'review';
  contentId: string | null;
  contentVersionId: string | null;
  contentTitle: string | null;
  contentChannel: string | null;
  versionNumber: number | null;
  mentionId: string | null;
  mentionUrl: string | null;
  mentionTitle: string | null;
  reviewId: string | null;
  reviewAuthor: string | null;
  kind: FlagKind;
  severity: FlagSeverity;
  detail: string;
  matchedText: string | null;
  status: FlagStatus;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  resolutionNote: string | null;
  createdAt: Date;
}

export interface FlagFilter {
  /** Default: open ones. */
  status?: FlagStatus | 'all';
  kind?: FlagKind;
}
