import crypto from 'node:crypto';
import type { i18n } from 'i18next';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Clock } from '../../shared/clock.js';
import { CHANNELS, type Channel } from '../studio/domain.js';
import {
  DEFAULT_AUDIENCE,
  EXCERPT_CHARS,
  FEED_FUTURE_DAYS,
  FEED_LOCALES,
  FEED_PAST_DAYS,
  FEED_TOKEN,
  FEED_TOKEN_BYTES,
  isMovable,
  MAX_ACTIVE_FEEDS,
  MAX_PREFERENCES_PER_CHANNEL,
  MAX_WEIGHT,
  type CalendarFeed,
  type CalendarFilter,
  type CalendarItem,
  type CampaignOption,
  type StoredPreference,
  type TenantCalendarSettings,
} from './calendar-domain.js';
import type { CalendarRepository, NewPreference, TimeWindow } from './calendar-ports.js';
import { localDateParts, localOf, parseIsoDate } from './calendar-view.js';
import { buildIcs, icsStatusForSlot, type IcsEvent } from './ics.js';
import type { TenantSlotPlanner } from './slot-planner.js';
import { DEFAULT_SLOTS, isAudience, localToInstant, parseLocalTime, SMS_WINDOW, validateSlot, type Audience } from './slots.js';

/** Where to move an item: a local date (keeping its local time unless `time` is given), or a `datetime-local` slot. */
export interface MoveTarget {
  date?: string;
  time?: string;
  slot?: string;
}

/** One row of the preferences form, as typed. */
export interface PreferenceInput {
  weekday: string;
  time: string;
  weight: string;
}

export interface ChannelPreferences {
  channel: Channel;
  /** The rows in force: the tenant's, or the defaults of DEFAULT_AUDIENCE. */
  rows: Pick<StoredPreference, 'weekday' | 'localTime' | 'weight' | 'source'>[];
  custom: boolean;
}

export interface FeedInput {
  name: string;
  channels: string[];
  locale: string;
}

export interface FeedDocument {
  body: string;
  etag: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$/;
const SLOT = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2})?$/;
const MAX_FEED_NAME = 200;

export function hashFeedToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

const DAY_MS = 86_400_000;

export class CalendarService {
  constructor(
    private readonly deps: {
      calendarRepository: CalendarRepository;
      slotPlanner: TenantSlotPlanner;
      clock: Clock;
      i18n: i18n;
    },
  ) {}

  settings(tenantId: string): Promise<TenantCalendarSettings> {
    return this.deps.calendarRepository.settings(tenantId);
  }

  items(tenantId: string, window: TimeWindow, filter: CalendarFilter): Promise<CalendarItem[]> {
    return this.deps.calendarRepository.listItems(tenantId, window, filter);
  }

  campaigns(tenantId: string): Promise<CampaignOption[]> {
    return this.deps.calendarRepository.campaigns(tenantId);
  }

  /** The item of a content of the tenant; another tenant's content is not found. */
  async item(tenantId: string, contentId: string): Promise<CalendarItem> {
    const item = await this.deps.calendarRepository.findItem(tenantId, contentId);
    if (!item) throw new NotFoundError();
    return item;
  }

  /** The next free optimal slots of the item's channel, its own slot left out of the spacing. */
  suggestions(tenantId: string, item: CalendarItem, count = 5): Promise<Date[]> {
    if (!isMovable(item.status)) return Promise.resolve([]);
    return this.deps.slotPlanner.suggestions(tenantId, item.channel, { count, excludeContentId: item.contentId });
  }

  /** The next slots the planner would propose on a channel now (the preferences page shows their effect). */
  preview(tenantId: string, channel: Channel, count = 6): Promise<Date[]> {
    return this.deps.slotPlanner.suggestions(tenantId, channel, { count });
  }

  /**
   * Moves a content's slot: validated in the tenant's zone (past, more than a year ahead, SMS quiet hours → 422),
   * refused for published, publishing or archived contents (409). The slot becomes `manual` and `scheduled_at` follows.
   */
  async move(tenantId: string, contentId: string, target: MoveTarget): Promise<CalendarItem> {
    const item = await this.item(tenantId, contentId);
    const { timezone } = await this.deps.calendarRepository.settings(tenantId);
    if (!isMovable(item.status)) throw new AppError('calendar.errors.notMovable', 409, { status: item.status });
    const instant = resolveTarget(target, item, timezone);
    const error = validateSlot(instant, { now: this.deps.clock.now(), timezone, channel: item.channel });
    if (error) throw new AppError(error.code, 422, error.params);
    const outcome = await this.deps.calendarRepository.moveSlot(tenantId, contentId, instant);
    if (outcome.outcome === 'notFound') throw new NotFoundError();
    if (outcome.outcome === 'notMovable') throw new AppError('calendar.errors.notMovable', 409, { status: outcome.status });
    return outcome.item;
  }

  // ---- Slot preferences ----

  async preferences(tenantId: string): Promise<ChannelPreferences[]> {
    const rows = await this.deps.calendarRepository.preferences(tenantId);
    return CHANNELS.map((channel) => {
      const own = rows.filter((r) => r.channel === channel);
      if (own.length > 0) return { channel, rows: own, custom: true };
      return { channel, rows: DEFAULT_SLOTS[channel][DEFAULT_AUDIENCE].map((p) => ({ ...p, source: 'default' as const })), custom: false };
    });
  }

  async channelPreferences(tenantId: string, channel: Channel): Promise<ChannelPreferences> {
    return (await this.preferences(tenantId)).find((p) => p.channel === channel)!;
  }

  /**
   * Replaces a channel's rows with what the form holds. Rows left as they were keep their source (a learned row
   * stays learned); new or changed rows are `manual`. Field errors are keyed `row-<index>` (or `_form`).
   */
  async savePreferences(tenantId: string, channel: Channel, input: PreferenceInput[]): Promise<ChannelPreferences> {
    const current = await this.channelPreferences(tenantId, channel);
    const errors: Record<string, string> = {};
    const rows: NewPreference[] = [];
    const seen = new Set<string>();
    input.forEach((row, index) => {
      const blank = !row.weekday.trim() && !row.time.trim() && !row.weight.trim();
      if (blank) return;
      const weekday = Number(row.weekday);
      const time = row.time.trim();
      const weight = row.weight.trim() === '' ? 1 : Number(row.weight.replace(',', '.'));
      if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7 || !TIME.test(time) || !Number.isFinite(weight) || weight < 0 || weight > MAX_WEIGHT) {
        errors[`row-${index}`] = 'calendar.preferences.errors.invalidRow';
        return;
      }
      const localTime = time.slice(0, 5);
      if (channel === 'sms' && !inSmsWindow(weekday, localTime)) {
        errors[`row-${index}`] = 'calendar.preferences.errors.smsWindow';
        return;
      }
      const key = `${weekday}|${localTime}`;
      if (seen.has(key)) {
        errors[`row-${index}`] = 'calendar.preferences.errors.duplicate';
        return;
      }
      seen.add(key);
      const same = current.rows.find((r) => r.weekday === weekday && r.localTime === localTime && r.weight === weight);
      rows.push({ weekday, localTime, weight, source: current.custom && same ? same.source : 'manual' });
    });
    if (Object.keys(errors).length === 0) {
      if (rows.length > MAX_PREFERENCES_PER_CHANNEL) errors._form = 'calendar.preferences.errors.tooMany';
      else if (!rows.some((r) => r.weight > 0)) errors._form = 'calendar.preferences.errors.none';
    }
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    await this.deps.calendarRepository.replacePreferences(tenantId, { [channel]: rows });
    return this.channelPreferences(tenantId, channel);
  }

  /** Back to the defaults in code for the channel (its rows are removed). */
  async resetPreferences(tenantId: string, channel: Channel): Promise<void> {
    await this.deps.calendarRepository.replacePreferences(tenantId, { [channel]: [] });
  }

  /**
   * Applies an audience's default slots to every channel (replacing the tenant's rows). The planner's own default
   * audience is applied by removing the rows, so that the defaults in code keep applying.
   */
  async applyAudience(tenantId: string, audience: string): Promise<void> {
    if (!isAudience(audience)) throw new ValidationError({ audience: 'calendar.errors.unknownAudience' });
    const rows = Object.fromEntries(
      CHANNELS.map((channel) => [channel, audience === DEFAULT_AUDIENCE ? [] : presetRows(channel, audience)]),
    ) as Record<Channel, NewPreference[]>;
    await this.deps.calendarRepository.replacePreferences(tenantId, rows);
  }

  // ---- iCalendar feeds ----

  listFeeds(tenantId: string): Promise<CalendarFeed[]> {
    return this.deps.calendarRepository.listFeeds(tenantId);
  }

  /** Creates a feed; the token is returned once and only its SHA-256 is stored. */
  async createFeed(tenantId: string, createdBy: string | null, input: FeedInput): Promise<{ feed: CalendarFeed; token: string }> {
    const errors: Record<string, string> = {};
    const name = input.name.replace(/\s+/g, ' ').trim();
    if (name.length > MAX_FEED_NAME) errors.name = 'calendar.feeds.errors.nameTooLong';
    const channels = [...new Set(input.channels)];
    if (channels.some((c) => !(CHANNELS as readonly string[]).includes(c))) errors.channels = 'calendar.feeds.errors.channels';
    if (!(FEED_LOCALES as readonly string[]).includes(input.locale)) errors.locale = 'common.errors.invalidValue';
    if (Object.keys(errors).length > 0) throw new ValidationError(errors);
    const token = crypto.randomBytes(FEED_TOKEN_BYTES).toString('base64url');
    const feed = await this.deps.calendarRepository.createFeed(
      tenantId,
      { tokenHash: hashFeedToken(token), name, channels: channels as Channel[], locale: input.locale, createdBy },
      MAX_ACTIVE_FEEDS,
    );
    if (!feed) throw new AppError('calendar.feeds.errors.tooMany', 409, { max: MAX_ACTIVE_FEEDS });
    return { feed, token };
  }

  async revokeFeed(tenantId: string, feedId: string): Promise<void> {
    if (!(await this.deps.calendarRepository.revokeFeed(tenantId, feedId))) throw new NotFoundError();
  }

  /**
   * The iCalendar document behind a feed token: the tenant's slots from FEED_PAST_DAYS ago to FEED_FUTURE_DAYS ahead
   * (no cancelled slot, no archived content), titles in the feed's language, each event linking to the content's
   * page under `baseUrl`. Unknown or revoked tokens are not found.
   */
  async feedDocument(token: string, baseUrl: string): Promise<FeedDocument> {
    if (!FEED_TOKEN.test(token)) throw new NotFoundError();
    const found = await this.deps.calendarRepository.feedByTokenHash(hashFeedToken(token));
    if (!found) throw new NotFoundError();
    const now = this.deps.clock.now();
    const window = { from: new Date(now.getTime() - FEED_PAST_DAYS * DAY_MS), to: new Date(now.getTime() + FEED_FUTURE_DAYS * DAY_MS) };
    const { settings, items } = await this.deps.calendarRepository.feedItems(found.tenantId, found.feed, window);
    const t = this.deps.i18n.getFixedT(found.feed.locale);
    const base = baseUrl.replace(/\/+$/, '');
    const events: IcsEvent[] = items.map((item) => {
      const title = item.title || t('calendar.item.untitled');
      const link = `${base}/app/studio/${item.contentId}`;
      const description = [
        t('calendar.feed.status', { status: t(`calendar.statuses.${item.status}`) }),
        item.campaignName ? t('calendar.feed.campaign', { campaign: item.campaignName }) : '',
        item.excerpt ? `\n${item.excerpt}${item.excerpt.length >= EXCERPT_CHARS ? '…' : ''}` : '',
        `\n${t('calendar.feed.open')} ${link}`,
      ]
        .filter(Boolean)
        .join('\n');
      return {
        contentId: item.contentId,
        channel: item.channel,
        start: item.startsAt,
        summary: `${t(`calendar.channels.${item.channel}`)} · ${title}`,
        description,
        url: link,
        status: icsStatusForSlot(item.slotStatus),
        categories: item.campaignName ? [item.campaignName] : [],
        updatedAt: item.updatedAt,
      };
    });
    const name = found.feed.name ? `${settings.name} — ${found.feed.name}` : t('calendar.feed.calendarName', { tenant: settings.name });
    // generatedAt only stamps events without updatedAt (none here), so the document only changes with the data
    const body = buildIcs({ name, timezone: settings.timezone, generatedAt: now, events });
    return { body, etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
  }
}

function inSmsWindow(weekday: number, localTime: string): boolean {
  const seconds = parseLocalTime(localTime) ?? -1;
  return SMS_WINDOW.weekdays.includes(weekday) && seconds >= SMS_WINDOW.firstMinute * 60 && seconds < SMS_WINDOW.endMinute * 60;
}

function presetRows(channel: Channel, audience: Audience): NewPreference[] {
  return DEFAULT_SLOTS[channel][audience].map((p) => ({ weekday: p.weekday, localTime: p.localTime, weight: p.weight, source: 'default' as const }));
}

/** The instant a move form or a drop asks for, in the tenant's zone; malformed input is `calendar.errors.invalidSlot`. */
function resolveTarget(target: MoveTarget, item: CalendarItem, timezone: string): Date {
  const invalid = () => new AppError('calendar.errors.invalidSlot', 422);
  let date: string | null;
  let time: string;
  const slot = target.slot?.trim();
  if (slot) {
    const m = SLOT.exec(slot);
    if (!m) throw invalid();
    date = parseIsoDate(m[1]);
    time = m[2];
  } else {
    date = parseIsoDate(target.date?.trim());
    time = target.time?.trim() || localOf(item.startsAt, timezone).time;
  }
  if (!date || !TIME.test(time)) throw invalid();
  return localToInstant(localDateParts(date), time.slice(0, 5), timezone);
}
