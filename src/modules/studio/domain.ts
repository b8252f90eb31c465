import type { Channel } from './channels.js';

export { CHANNELS, isChannel, type Channel } from './channels.js';

export const CONTENT_MODES = ['manual', 'semi', 'auto'] as const;
export type ContentMode = (typeof CONTENT_MODES)[number];

export const CONTENT_STATUSES = [
  'draft',
  'generating',
  'pending_approval',
  'approved',
  'scheduled',
  'publishing',
  'published',
  'failed',
  'rejected',
  'archived',
] as const;
export type ContentStatus = (typeof CONTENT_STATUSES)[number];

/** Statuses in which the text may still change (an edit, a generation or a restore makes a new version). */
export const EDITABLE_STATUSES: readonly ContentStatus[] = ['draft', 'pending_approval', 'approved', 'scheduled', 'rejected', 'failed'];

export type VersionSource = 'generation' | 'edit' | 'restore' | 'regeneration';
export type BrandSafetyStatus = 'unchecked' | 'ok' | 'flagged';

/**
 * What a version carries besides title and body (`content_versions.meta`): SEO fields for articles,
 * subject/preheader for newsletters, hashtags as written. All optional.
 */
export interface VersionMeta {
  targetKeyword?: string;
  metaDescription?: string;
  slug?: string;
  subject?: string;
  preheader?: string;
  hashtags?: string[];
}

export interface Content {
  id: string;
  tenantId: string;
  channel: Channel;
  mode: ContentMode;
  status: ContentStatus;
  title: string;
  brief: string;
  toneOverride: string | null;
  campaignId: string | null;
  currentVersionId: string | null;
  dnaSnapshotId: string | null;
  regenerationCount: number;
  scheduledAt: Date | null;
  publishedAt: Date | null;
  locale: string;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ContentVersion {
  id: string;
  contentId: string;
  number: number;
  title: string;
  body: string;
  meta: VersionMeta;
  charCount: number;
  source: VersionSource;
  restoredFromId: string | null;
  aiCallId: string | null;
  modelId: string | null;
  promptTemplateId: string | null;
  dnaSnapshotId: string | null;
  createdBy: string | null;
  /** Display name of the author (user's name or email), or null for generations. */
  authorName: string | null;
  brandSafetyStatus: BrandSafetyStatus;
  brandSafetyCheckedAt: Date | null;
  brandSafetyOverriddenBy: string | null;
  locale: string;
  createdAt: Date;
}

export interface BrandSafetyFinding {
  kind: 'banned_word' | 'claim' | 'moderation';
  severity: 'low' | 'medium' | 'high' | 'critical';
  /** What matched in the text (word, claim), or the moderation category. */
  matchedText: string;
  detail: string;
}

export interface BrandSafetyFlag extends BrandSafetyFinding {
  id: string;
  contentVersionId: string;
  status: string;
  createdAt: Date;
}

export interface CalendarSlotRef {
  id: string;
  startsAt: Date;
  status: 'proposed' | 'confirmed' | 'published' | 'missed' | 'cancelled';
  source: 'optimal' | 'manual' | 'plan';
}

/** A content with what its pages show beside it. */
export interface ContentDetail {
  content: Content;
  current: ContentVersion | null;
  flags: BrandSafetyFlag[];
  slot: CalendarSlotRef | null;
  campaign: { id: string; name: string } | null;
  /** The resolved prompt cascade recorded at generation (`contents.prompt_layers_snapshot`). */
  promptLayersSnapshot: unknown;
}

export interface ContentSummary {
  id: string;
  channel: Channel;
  mode: ContentMode;
  status: ContentStatus;
  title: string;
  campaignId: string | null;
  campaignName: string | null;
  scheduledAt: Date | null;
  slotStatus: CalendarSlotRef['status'] | null;
  brandSafetyStatus: BrandSafetyStatus | null;
  versionNumber: number | null;
  updatedAt: Date;
}

export interface ContentFilter {
  status?: ContentStatus[];
  channel?: Channel[];
  campaignId?: string;
  /** Slot window (calendar views): contents whose slot starts in [from, to). */
  from?: Date;
  to?: Date;
  search?: string;
  limit?: number;
}

export type GenerationEvent =
  | { type: 'delta'; text: string }
  | { type: 'done'; version: ContentVersion; content: Content; regenerationsLeft: number | null };
