import type { Channel, ContentStatus } from '../studio/domain.js';
import type {
  CalendarFeed,
  CalendarFilter,
  CalendarItem,
  CampaignOption,
  StoredPreference,
  TenantCalendarSettings,
} from './calendar-domain.js';
import type { SlotPreference } from './slots.js';

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** What the planner needs to place one channel's slot. */
export interface PlanningData {
  timezone: string;
  /** The tenant's rows for the channel (any source); empty when the defaults apply. */
  preferences: SlotPreference[];
  /** Starts of the tenant's other non-cancelled slots on the channel inside the window. */
  taken: Date[];
}

export type MoveOutcome =
  | { outcome: 'moved'; item: CalendarItem }
  | { outcome: 'notFound' }
  | { outcome: 'notMovable'; status: ContentStatus };

export interface NewPreference {
  weekday: number;
  localTime: string;
  weight: number;
  source: 'default' | 'learned' | 'manual';
  sampleSize?: number;
}

export interface NewFeed {
  tokenHash: string;
  name: string;
  channels: Channel[];
  locale: string;
  createdBy: string | null;
}

export interface CalendarRepository {
  settings(tenantId: string): Promise<TenantCalendarSettings>;
  planningData(tenantId: string, channel: Channel, window: TimeWindow, excludeContentId?: string): Promise<PlanningData>;
  /** Items whose slot starts in the window; cancelled slots never, archived contents only when the filter asks. */
  listItems(tenantId: string, window: TimeWindow, filter: CalendarFilter): Promise<CalendarItem[]>;
  findItem(tenantId: string, contentId: string): Promise<CalendarItem | null>;
  campaigns(tenantId: string): Promise<CampaignOption[]>;
  /**
   * Moves the content's slot and its `scheduled_at` together, under a lock on the content so that a publication
   * starting meanwhile wins: the slot becomes `manual`. A content without a slot is not on the calendar (not found).
   */
  moveSlot(tenantId: string, contentId: string, startsAt: Date): Promise<MoveOutcome>;
  preferences(tenantId: string): Promise<StoredPreference[]>;
  /** Replaces the rows of each channel given (an empty list removes them: the defaults apply again). */
  replacePreferences(tenantId: string, rows: Partial<Record<Channel, NewPreference[]>>): Promise<void>;
  /** Null when the tenant already has `limit` active feeds. */
  createFeed(tenantId: string, feed: NewFeed, limit: number): Promise<CalendarFeed | null>;
  listFeeds(tenantId: string): Promise<CalendarFeed[]>;
  /** False when no active feed of the tenant has this id. */
  revokeFeed(tenantId: string, feedId: string): Promise<boolean>;
  /** Platform context: the active feed with this token hash, and its tenant (null when unknown or revoked). */
  feedByTokenHash(tokenHash: string): Promise<{ tenantId: string; feed: CalendarFeed } | null>;
  /** The feed's items in the window (its channels, no cancelled slot or archived content); records the access. */
  feedItems(tenantId: string, feed: CalendarFeed, window: TimeWindow): Promise<{ settings: TenantCalendarSettings; items: CalendarItem[] }>;
}
