import { CHANNELS, CONTENT_STATUSES, type Channel, type ContentStatus } from '../studio/domain.js';
import type { Audience, SlotPreference } from './slots.js';

/** What the editorial calendar reads and writes: items (a content and its slot), slot preferences, feeds. */

export const SLOT_STATUSES = ['proposed', 'confirmed', 'published', 'missed', 'cancelled'] as const;
export type SlotStatus = (typeof SLOT_STATUSES)[number];
export type SlotSource = 'optimal' | 'manual' | 'plan';

/** Contents that can no longer move: they are (being) published, or archived. */
export const IMMOVABLE_STATUSES: readonly ContentStatus[] = ['publishing', 'published', 'archived'];

export function isMovable(status: ContentStatus): boolean {
  return !IMMOVABLE_STATUSES.includes(status);
}

/**
 * The audience whose default slots apply when a tenant has no preference rows for a channel. Cadence serves small
 * local businesses, and the brand DNA has no reliable B2B/B2C field (its personas are free text), so the planner
 * starts from `local`; the preferences page lets the client apply another audience's defaults (docs/optimal-slots.md).
 */
export const DEFAULT_AUDIENCE: Audience = 'local';

/** Enough of the current text to recognise an item in a detail panel or a calendar application. */
export const EXCERPT_CHARS = 280;

/** A content as the calendar shows it: where its slot sits and what it is. */
export interface CalendarItem {
  contentId: string;
  channel: Channel;
  status: ContentStatus;
  /** The content's title, else its current version's, else ''. */
  title: string;
  /** The start of the current version's text (for the detail and the feed). */
  excerpt: string;
  campaignId: string | null;
  campaignName: string | null;
  campaignColor: string | null;
  startsAt: Date;
  slotStatus: SlotStatus;
  slotSource: SlotSource;
  updatedAt: Date;
}

export interface CalendarFilter {
  channels: Channel[];
  statuses: ContentStatus[];
  campaignId?: string;
}

export interface CampaignOption {
  id: string;
  name: string;
  color: string | null;
}

/** What a tenant plans in: its zone and name (feeds, headings). */
export interface TenantCalendarSettings {
  name: string;
  timezone: string;
  locale: string;
}

export interface StoredPreference extends SlotPreference {
  id: string;
  channel: Channel;
  /** `HH:MM` (seconds dropped). */
  localTime: string;
  source: 'default' | 'learned' | 'manual';
  sampleSize: number;
}

export interface CalendarFeed {
  id: string;
  name: string;
  /** Empty: every channel. */
  channels: Channel[];
  locale: string;
  createdAt: Date;
  lastAccessedAt: Date | null;
  revokedAt: Date | null;
}

export const FEED_LOCALES = ['fr', 'en'] as const;
export type FeedLocale = (typeof FEED_LOCALES)[number];
export const MAX_ACTIVE_FEEDS = 20;
/** The feed covers this window around now. */
export const FEED_PAST_DAYS = 30;
export const FEED_FUTURE_DAYS = 180;
/** Random bytes of a feed token (base64url: 43 characters). */
export const FEED_TOKEN_BYTES = 32;
export const FEED_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const MAX_PREFERENCES_PER_CHANNEL = 40;
/** The highest weight a client may type (defaults use 0–1; learned weights may go above). */
export const MAX_WEIGHT = 100;

/** Colours of the calendar chips: a campaign's own colour when it is a valid hex colour. */
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
export function safeColor(value: string | null | undefined): string | null {
  return value && HEX_COLOR.test(value) ? value : null;
}

/** The first of a query value (a string or a repeated parameter), trimmed; '' otherwise. */
function values(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((s): s is string => typeof s === 'string').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Filters from a query string: unknown values are dropped (a shared URL never fails on a stale value). */
export function parseFilter(query: Record<string, unknown>): CalendarFilter {
  const channels = [...new Set(values(query.channel))].filter((c): c is Channel => (CHANNELS as readonly string[]).includes(c));
  const statuses = [...new Set(values(query.status))].filter((s): s is ContentStatus => (CONTENT_STATUSES as readonly string[]).includes(s));
  const campaign = values(query.campaign)[0];
  return { channels, statuses, campaignId: campaign && UUID.test(campaign) ? campaign : undefined };
}
