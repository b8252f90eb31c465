import { z } from 'zod';
import { isUuid } from '../../shared/ids.js';
import { LOCALES } from '../../shared/i18n.js';
import { CHANNELS, type BrandSafetyStatus, type Channel, type ContentMode, type ContentStatus, type VersionSource } from '../studio/domain.js';

/** The approval queue: decisions on contents, reviewer links, private notes, reminders. */

export const DECISIONS = ['approved', 'rejected', 'changes_requested', 'regeneration_requested', 'commented'] as const;
export type Decision = (typeof DECISIONS)[number];
export type ActorKind = 'user' | 'reviewer' | 'system';

/** Who decides: a team member, a reviewer through a link, or Cadence itself (auto mode). */
export type Actor =
  | { kind: 'user'; userId: string; name: string; locale: string }
  | { kind: 'reviewer'; linkId: string; name: string; locale: string }
  | { kind: 'system'; name: string; locale: string };

export type UserActor = Extract<Actor, { kind: 'user' }>;

/** Recorded as `actor_name` of automatic approvals (the pages show a translated label instead). */
export const SYSTEM_ACTOR_NAME = 'Cadence (automatique)';

export const COMMENT_MAX = 2_000;
export const NOTE_MAX = 2_000;
export const QUEUE_LIMIT = 100;
/** Decisions shown on a queue card (the panel shows them all). */
export const CARD_HISTORY = 3;

export const LINK_DEFAULT_DAYS = 7;
export const LINK_MAX_DAYS = 30;
export const LINK_MAX_CONTENTS = 100;
/** A period link covers at most this many days. */
export const LINK_MAX_PERIOD_DAYS = 92;
export const LINK_TOKEN_BYTES = 32;
/** 32 random bytes in base64url. */
export const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const LINK_SCOPES = ['contents', 'campaign', 'period'] as const;
export type LinkScope = (typeof LINK_SCOPES)[number];

/** The public reviewer pages: requests per address per window, and failed ones (unknown tokens, refusals). */
export const REVIEW_RATE = { windowMs: 15 * 60_000, limit: 300, failedLimit: 60 } as const;

/** Reminders go out for slots starting within this delay whose content still waits. */
export const REMINDER_HORIZON_MS = 24 * 3_600_000;

export interface ApprovalRecord {
  id: string;
  contentId: string;
  versionId: string | null;
  versionNumber: number | null;
  decision: Decision;
  comment: string | null;
  actorKind: ActorKind;
  actorName: string;
  decidedBy: string | null;
  approvalLinkId: string | null;
  overrodeBrandSafety: boolean;
  decidedAt: Date;
}

export interface ContentNote {
  id: string;
  contentId: string;
  versionNumber: number | null;
  authorId: string | null;
  authorName: string | null;
  body: string;
  createdAt: Date;
}

export interface QueueFlag {
  kind: string;
  severity: string;
  matchedText: string | null;
  detail: string;
}

/** A content as the queue (and a reviewer) sees it: its current text, where it goes, what the checks found. */
export interface QueueItem {
  contentId: string;
  channel: Channel;
  mode: ContentMode;
  status: ContentStatus;
  title: string;
  brief: string;
  campaignId: string | null;
  campaignName: string | null;
  version: {
    id: string;
    number: number;
    title: string;
    body: string;
    source: VersionSource;
    modelId: string | null;
    brandSafetyStatus: BrandSafetyStatus;
    brandSafetyOverriddenAt: Date | null;
    createdAt: Date;
  };
  /** Version number of the brand DNA snapshot the text was generated with (null for a hand-written text). */
  dnaVersion: number | null;
  flags: QueueFlag[];
  slot: { startsAt: Date; status: string } | null;
  /** The latest decisions, newest first (CARD_HISTORY at most). */
  recent: ApprovalRecord[];
}

export interface QueueFilter {
  channel?: Channel;
  campaignId?: string;
}

export interface ReviewerLink {
  id: string;
  reviewerName: string;
  reviewerEmail: string | null;
  scope: LinkScope;
  campaignId: string | null;
  campaignName: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  canApprove: boolean;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  createdByName: string | null;
  locale: string;
  contentCount: number;
}

export type LinkState = 'active' | 'expired' | 'revoked';

export function linkState(link: Pick<ReviewerLink, 'expiresAt' | 'revokedAt'>, now: Date): LinkState {
  if (link.revokedAt) return 'revoked';
  return link.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

/** A tenant's items whose slot comes soon while they still wait, and whom to tell. */
export interface DueReminder {
  tenant: { name: string; locale: string; timezone: string };
  items: { slotId: string; contentId: string; channel: Channel; title: string; startsAt: Date }[];
  recipients: { email: string; name: string }[];
}

// ---- input ----

const E = 'approvals.errors';

/** '' and absent are the same: nothing typed. */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const checkbox = z.preprocess((v) => v === true || v === 'true' || v === 'on' || v === '1', z.boolean());
const versionId = z.string({ error: `${E}.versionRequired` }).refine(isUuid, `${E}.versionRequired`);
const requiredComment = z
  .string({ error: `${E}.commentRequired` })
  .trim()
  .min(1, `${E}.commentRequired`)
  .max(COMMENT_MAX, `${E}.commentTooLong`);
const optionalComment = z.preprocess(blankToUndefined, z.string().trim().max(COMMENT_MAX, `${E}.commentTooLong`).optional());

export const approveSchema = z.object({ versionId, comment: optionalComment, overrideBrandSafety: checkbox.optional() });
export const rejectSchema = z.object({ versionId, comment: requiredComment });
export const commentSchema = z.object({ comment: requiredComment });
export const regenerateSchema = z.object({ versionId, comment: optionalComment });
export const noteSchema = z.object({
  body: z.string({ error: `${E}.noteRequired` }).trim().min(1, `${E}.noteRequired`).max(NOTE_MAX, `${E}.noteTooLong`),
});

/** Fields as they arrive from a form or a caller: parsed (and refused with field errors) by the service. */
export type FormInput<S extends z.ZodType> = { [K in keyof z.input<S>]?: unknown };
export type ApproveInput = FormInput<typeof approveSchema>;
export type RejectInput = FormInput<typeof rejectSchema>;
export type CommentInput = FormInput<typeof commentSchema>;
export type RegenerateInput = FormInput<typeof regenerateSchema>;
export type NoteInput = FormInput<typeof noteSchema>;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isoDate = z.preprocess(
  blankToUndefined,
  z
    .string()
    .regex(ISO_DATE, `${E}.dateInvalid`)
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), `${E}.dateInvalid`)
    .optional(),
);
const idList = z.preprocess(
  (v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
  z.array(z.string().refine(isUuid, `${E}.contentNotFound`)).max(LINK_MAX_CONTENTS, `${E}.tooManyContents`),
);

export const linkSchema = z
  .object({
    reviewerName: z.string({ error: `${E}.reviewerNameRequired` }).trim().min(1, `${E}.reviewerNameRequired`).max(200, `${E}.reviewerNameTooLong`),
    reviewerEmail: z.preprocess(blankToUndefined, z.string().trim().max(320, `${E}.emailInvalid`).email(`${E}.emailInvalid`).optional()),
    scope: z.enum(LINK_SCOPES, { error: `${E}.scopeInvalid` }),
    contentIds: idList,
    campaignId: z.preprocess(blankToUndefined, z.string().refine(isUuid, `${E}.campaignNotFound`).optional()),
    periodStart: isoDate,
    periodEnd: isoDate,
    canApprove: checkbox,
    expiresInDays: z.preprocess(
      (v) => (blankToUndefined(v) === undefined ? LINK_DEFAULT_DAYS : Number(v)),
      z.number({ error: `${E}.expiryInvalid` }).int(`${E}.expiryInvalid`).min(1, `${E}.expiryInvalid`).max(LINK_MAX_DAYS, `${E}.expiryInvalid`),
    ),
    locale: z.enum(LOCALES, { error: `${E}.localeInvalid` }),
  })
  .superRefine((v, ctx) => {
    if (v.scope === 'contents' && v.contentIds.length === 0) ctx.addIssue({ code: 'custom', path: ['contentIds'], message: `${E}.contentsRequired` });
    if (v.scope === 'campaign' && !v.campaignId) ctx.addIssue({ code: 'custom', path: ['campaignId'], message: `${E}.campaignRequired` });
    if (v.scope === 'period') {
      if (!v.periodStart) ctx.addIssue({ code: 'custom', path: ['periodStart'], message: `${E}.periodRequired` });
      if (!v.periodEnd) ctx.addIssue({ code: 'custom', path: ['periodEnd'], message: `${E}.periodRequired` });
      if (v.periodStart && v.periodEnd) {
        const days = (Date.parse(v.periodEnd) - Date.parse(v.periodStart)) / 86_400_000;
        if (days < 0) ctx.addIssue({ code: 'custom', path: ['periodEnd'], message: `${E}.periodOrder` });
        else if (days >= LINK_MAX_PERIOD_DAYS) ctx.addIssue({ code: 'custom', path: ['periodEnd'], message: `${E}.periodTooLong` });
      }
    }
  });
export type LinkInput = FormInput<typeof linkSchema>;
export type LinkData = z.output<typeof linkSchema>;

/** Filters from a query string: unknown values are dropped (a shared URL never fails on a stale value). */
export function parseQueueFilter(query: Record<string, unknown>): QueueFilter {
  const one = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
  const channel = one(query.channel);
  const campaign = one(query.campaign);
  return {
    channel: (CHANNELS as readonly string[]).includes(channel) ? (channel as Channel) : undefined,
    campaignId: isUuid(campaign) ? campaign : undefined,
  };
}

/** A slot as people read it: local day and time in the tenant's zone, in the reader's language. */
export function formatSlot(instant: Date, locale: string, timezone: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: timezone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(instant);
}

export function formatDate(instant: Date, locale: string, timezone: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: timezone, day: 'numeric', month: 'long', year: 'numeric' }).format(instant);
}

export function formatDateTime(instant: Date, locale: string, timezone: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: timezone, dateStyle: 'medium', timeStyle: 'short' }).format(instant);
}
