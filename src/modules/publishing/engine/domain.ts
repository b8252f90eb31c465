import type { SocialChannel } from '../ports.js';

/** Exactly-once publication: the vocabulary shared by the planner, the relay, the service and the views. */

export const PUBLISH_MESSAGE_KIND = 'publishing:publish';

export const ACCOUNT_STATUSES = ['connected', 'expired', 'revoked', 'error'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const PUBLICATION_STATUSES = ['queued', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type PublicationStatus = (typeof PUBLICATION_STATUSES)[number];

/** Contents whose slot is due within this horizon get their publications planned. */
export const PLANNING_HORIZON_MS = 60 * 60 * 1000;
/** A slot older than this is not published late when an account is connected afterwards. */
export const MAX_LATENESS_MS = 24 * 60 * 60 * 1000;
/** How long a relay owns a claimed message; a worker that died releases it when this runs out. */
export const CLAIM_LEASE_MS = 5 * 60 * 1000;
export const RELAY_BATCH = 20;

export const DISPLAY_NAME_MAX = 120;

/** One key per (content, account): the planner can run any number of times, the network sees one post. */
export function publicationKey(contentId: string, accountId: string): string {
  return `pub:${contentId}:${accountId}`;
}

/** Exponential backoff after the n-th failed attempt (1 → 1 min, 2 → 2 min, 3 → 4 min…), capped at 1 h. */
export function backoffMs(attempt: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempt - 1), 60 * 60 * 1000);
}

export interface ChannelAccount {
  id: string;
  channel: SocialChannel;
  externalAccountId: string;
  accountType: string | null;
  displayName: string;
  status: AccountStatus;
  sandbox: boolean;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  connectedAt: Date;
  connectedByName: string | null;
}

/** A publication as the portal lists it (channels page, content panel). */
export interface PublicationView {
  id: string;
  contentId: string;
  contentTitle: string;
  contentStatus: string;
  channel: SocialChannel;
  accountId: string;
  accountName: string;
  accountStatus: AccountStatus;
  sandbox: boolean;
  status: PublicationStatus;
  scheduledFor: Date;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date | null;
  externalPostId: string | null;
  externalUrl: string | null;
  errorKind: 'temporary' | 'permanent' | null;
  errorCode: string | null;
  errorMessage: string | null;
  sentAt: Date | null;
  /** What the sandbox recorded instead of sending (sandbox accounts only). */
  sandboxPayload: SandboxPayload | null;
}

/** The request a real adapter would have made, as the sandbox records it. */
export interface SandboxPayload {
  channel: SocialChannel;
  account: { id: string; externalAccountId: string; displayName: string };
  text: string;
  title: string;
  media: { filename: string; mimeType: string; altText: string | null }[];
  idempotencyKey: string;
}

/** A scheduled social content that has no connected account to go out on. */
export interface UnplannedContent {
  contentId: string;
  title: string;
  channel: SocialChannel;
  scheduledAt: Date;
}
