import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { Channel, ContentStatus } from '../../studio/domain.js';
import {
  EXCERPT_CHARS,
  isMovable,
  type CalendarFeed,
  type CalendarFilter,
  type CalendarItem,
  type CampaignOption,
  type SlotStatus,
  type StoredPreference,
  type TenantCalendarSettings,
} from '../calendar-domain.js';
import type { CalendarRepository, MoveOutcome, NewFeed, NewPreference, PlanningData, TimeWindow } from '../calendar-ports.js';

/** A safety net: a month of a busy tenant is a few hundred items. */
const MAX_ITEMS = 3_000;

const FEED_COLUMNS = ['id', 'name', 'channels', 'locale', 'createdAt', 'lastAccessedAt', 'revokedAt'] as const;

function toFeed(row: Record<string, unknown>): CalendarFeed {
  return { ...(row as unknown as CalendarFeed), channels: ((row.channels as string[] | null) ?? []) as Channel[] };
}

function toItem(row: Record<string, unknown>): CalendarItem {
  return {
    contentId: row.contentId as string,
    channel: row.channel as Channel,
    status: row.status as ContentStatus,
    title: (row.title as string | null) ?? '',
    excerpt: (row.excerpt as string | null) ?? '',
    campaignId: (row.campaignId as string | null) ?? null,
    campaignName: (row.campaignName as string | null) ?? null,
    campaignColor: (row.campaignColor as string | null) ?? null,
    startsAt: row.startsAt as Date,
    slotStatus: row.slotStatus as SlotStatus,
    slotSource: row.slotSource as CalendarItem['slotSource'],
    updatedAt: row.updatedAt as Date,
  };
}

/** Slots joined with their content, campaign and current version: the calendar's read model. */
function itemsQuery(trx: Knex.Transaction, tenantId: string) {
  return trx('calendarSlots as s')
    .join('contents as c', 'c.id', 's.contentId')
    .leftJoin('campaigns as k', 'k.id', 'c.campaignId')
    .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
    .where('s.tenantId', tenantId)
    .select(
      'c.id as contentId',
      'c.channel',
      'c.status',
      trx.raw(`coalesce(nullif(c.title, ''), v.title, '') as title`),
      trx.raw(`left(coalesce(v.body, ''), ${EXCERPT_CHARS}) as excerpt`),
      'c.campaignId',
      'k.name as campaignName',
      'k.color as campaignColor',
      's.startsAt',
      's.status as slotStatus',
      's.source as slotSource',
      trx.raw('greatest(s.updated_at, c.updated_at) as updated_at'),
    )
    .orderBy([{ column: 's.startsAt' }, { column: 'c.channel' }, { column: 'c.id' }]);
}

async function settingsIn(trx: Knex.Transaction, tenantId: string): Promise<TenantCalendarSettings> {
  const row = await trx('tenants').where({ id: tenantId }).first('name', 'timezone', 'locale');
  if (!row) throw new Error(`tenant ${tenantId} not visible`);
  return row as TenantCalendarSettings;
}

export class KnexCalendarRepository implements CalendarRepository {
  constructor(private readonly deps: { database: Database }) {}

  settings(tenantId: string): Promise<TenantCalendarSettings> {
    return this.deps.database.forTenant(tenantId, (trx) => settingsIn(trx, tenantId));
  }

  planningData(tenantId: string, channel: Channel, window: TimeWindow, excludeContentId?: string): Promise<PlanningData> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { timezone } = await settingsIn(trx, tenantId);
      const preferences = await trx('channelSlotPreferences')
        .where({ tenantId, channel })
        .orderBy(['weekday', 'localTime'])
        .select('weekday', 'localTime', 'weight', 'source');
      const taken = trx('calendarSlots as s')
        .join('contents as c', 'c.id', 's.contentId')
        .where({ 's.tenantId': tenantId, 's.channel': channel })
        .whereNot('s.status', 'cancelled')
        .whereNot('c.status', 'archived')
        .where('s.startsAt', '>=', window.from)
        .where('s.startsAt', '<', window.to)
        .select('s.startsAt');
      if (excludeContentId) taken.whereNot('s.contentId', excludeContentId);
      return {
        timezone,
        preferences: preferences.map((p: Record<string, unknown>) => ({
          weekday: Number(p.weekday),
          localTime: String(p.localTime).slice(0, 5),
          weight: Number(p.weight),
          source: p.source as StoredPreference['source'],
        })),
        taken: (await taken).map((r: { startsAt: Date }) => r.startsAt),
      };
    });
  }

  listItems(tenantId: string, window: TimeWindow, filter: CalendarFilter): Promise<CalendarItem[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = itemsQuery(trx, tenantId)
        .whereNot('s.status', 'cancelled')
        .where('s.startsAt', '>=', window.from)
        .where('s.startsAt', '<', window.to)
        .limit(MAX_ITEMS);
      if (filter.channels.length > 0) query.whereIn('c.channel', filter.channels);
      if (filter.statuses.length > 0) query.whereIn('c.status', filter.statuses);
      if (!filter.statuses.includes('archived')) query.whereNot('c.status', 'archived');
      if (filter.campaignId) query.where('c.campaignId', filter.campaignId);
      return (await query).map(toItem);
    });
  }

  findItem(tenantId: string, contentId: string): Promise<CalendarItem | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await itemsQuery(trx, tenantId).where('c.id', contentId).first();
      return row ? toItem(row) : null;
    });
  }

  campaigns(tenantId: string): Promise<CampaignOption[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('campaigns').where({ tenantId }).whereNot('status', 'archived').orderBy('name').select('id', 'name', 'color'),
    );
  }

  moveSlot(tenantId: string, contentId: string, startsAt: Date): Promise<MoveOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const content = await trx('contents').where({ tenantId, id: contentId }).forUpdate().first('id', 'status');
      if (!content) return { outcome: 'notFound' };
      const slot = await trx('calendarSlots').where({ tenantId, contentId }).forUpdate().first('id', 'status');
      if (!slot) return { outcome: 'notFound' }; // not on the calendar: the studio or approvals place it first
      if (!isMovable(content.status) || slot.status === 'published') return { outcome: 'notMovable', status: content.status };
      // A missed or cancelled slot placed again comes back to life: confirmed once the content is approved.
      const revived: SlotStatus = ['approved', 'scheduled'].includes(content.status) ? 'confirmed' : 'proposed';
      const status: SlotStatus = slot.status === 'missed' || slot.status === 'cancelled' ? revived : slot.status;
      // a new time deserves a new approval reminder
      await trx('calendarSlots').where({ tenantId, id: slot.id }).update({ startsAt, status, source: 'manual', reminderSentAt: null, updatedAt: trx.fn.now() });
      await trx('contents').where({ tenantId, id: contentId }).update({ scheduledAt: startsAt, updatedAt: trx.fn.now() });
      const row = await itemsQuery(trx, tenantId).where('c.id', contentId).first();
      return { outcome: 'moved', item: toItem(row) };
    });
  }

  preferences(tenantId: string): Promise<StoredPreference[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('channelSlotPreferences')
        .where({ tenantId })
        .orderBy(['channel', 'weekday', 'localTime'])
        .select('id', 'channel', 'weekday', 'localTime', 'weight', 'source', 'sampleSize');
      return rows.map((r: Record<string, unknown>) => ({
        id: r.id as string,
        channel: r.channel as Channel,
        weekday: Number(r.weekday),
        localTime: String(r.localTime).slice(0, 5),
        weight: Number(r.weight),
        source: r.source as StoredPreference['source'],
        sampleSize: Number(r.sampleSize),
      }));
    });
  }

  replacePreferences(tenantId: string, rows: Partial<Record<Channel, NewPreference[]>>): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      for (const [channel, list] of Object.entries(rows) as [Channel, NewPreference[]][]) {
        await trx('channelSlotPreferences').where({ tenantId, channel }).delete();
        if (list.length === 0) continue;
        await trx('channelSlotPreferences').insert(
          list.map((p) => ({ tenantId, channel, weekday: p.weekday, localTime: p.localTime, weight: p.weight, source: p.source, sampleSize: p.sampleSize ?? 0 })),
        );
      }
    });
  }

  createFeed(tenantId: string, feed: NewFeed, limit: number): Promise<CalendarFeed | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      // one creation of a tenant at a time, so the limit holds
      await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`calendar-feeds:${tenantId}`]);
      const [{ n }] = await trx('calendarFeeds').where({ tenantId }).whereNull('revokedAt').count('* as n');
      if (Number(n) >= limit) return null;
      const [row] = await trx('calendarFeeds')
        .insert({ tenantId, tokenHash: feed.tokenHash, name: feed.name, channels: feed.channels, locale: feed.locale, createdBy: feed.createdBy })
        .returning(FEED_COLUMNS);
      return toFeed(row);
    });
  }

  listFeeds(tenantId: string): Promise<CalendarFeed[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('calendarFeeds')
        .where({ tenantId })
        .orderByRaw('revoked_at is not null, created_at desc')
        .limit(100)
        .select(FEED_COLUMNS);
      return rows.map(toFeed);
    });
  }

  revokeFeed(tenantId: string, feedId: string): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const n = await trx('calendarFeeds').where({ tenantId, id: feedId }).whereNull('revokedAt').update({ revokedAt: trx.fn.now(), updatedAt: trx.fn.now() });
      return n > 0;
    });
  }

  feedByTokenHash(tokenHash: string): Promise<{ tenantId: string; feed: CalendarFeed } | null> {
    // Before any tenant is known: the explicit platform context (docs/schema.md, calendar design notes).
    return this.deps.database.asPlatform(async (trx) => {
      const row = await trx('calendarFeeds as f')
        .join('tenants as t', 't.id', 'f.tenantId')
        .where('f.tokenHash', tokenHash)
        .whereNull('f.revokedAt')
        .whereNot('t.status', 'pending_deletion')
        .first('f.tenantId', ...FEED_COLUMNS.map((c) => `f.${c}`));
      return row ? { tenantId: row.tenantId as string, feed: toFeed(row) } : null;
    });
  }

  feedItems(tenantId: string, feed: CalendarFeed, window: TimeWindow): Promise<{ settings: TenantCalendarSettings; items: CalendarItem[] }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const settings = await settingsIn(trx, tenantId);
      const query = itemsQuery(trx, tenantId)
        .whereNot('s.status', 'cancelled')
        .whereNot('c.status', 'archived')
        .where('s.startsAt', '>=', window.from)
        .where('s.startsAt', '<', window.to)
        .limit(MAX_ITEMS);
      if (feed.channels.length > 0) query.whereIn('c.channel', feed.channels);
      const items = (await query).map(toItem);
      await trx('calendarFeeds').where({ tenantId, id: feed.id }).update({ lastAccessedAt: trx.fn.now() });
      return { settings, items };
    });
  }
}
