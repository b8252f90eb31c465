import type { Database } from '../../../../src/adapters/db/database.js';
import type { Channel, ContentStatus } from '../../../../src/modules/studio/domain.js';
import { testEnv } from '../../../support/root-hooks.js';

/**
 * Calendar test data written straight through Knex in the tenant's context, as the studio and approvals would
 * leave it: a content, its first version (current), its slot, and `contents.scheduled_at` = the slot's start.
 */

export interface ContentFixture {
  channel?: Channel;
  status?: ContentStatus;
  title?: string;
  body?: string;
  startsAt: Date;
  slotStatus?: 'proposed' | 'confirmed' | 'published' | 'missed' | 'cancelled';
  slotSource?: 'optimal' | 'manual' | 'plan';
  campaignId?: string | null;
  /** No slot row (a content the studio has not placed yet). */
  withoutSlot?: boolean;
}

export function database(): Database {
  return testEnv().container.cradle.database;
}

export async function tenantIdBySlug(slug: string): Promise<string> {
  return database().asPlatform(async (trx) => (await trx('tenants').where({ slug }).first('id')).id as string);
}

export const DEMO_TENANT = 'boulangerie-martin';
export const DEMO_TENANT_2 = 'velo-atelier-nantes';

export async function createCalendarContent(tenantId: string, fixture: ContentFixture): Promise<string> {
  return database().forTenant(tenantId, async (trx) => {
    const channel = fixture.channel ?? 'linkedin';
    const [content] = await trx('contents')
      .insert({
        tenantId,
        channel,
        status: fixture.status ?? 'pending_approval',
        title: fixture.title ?? '',
        campaignId: fixture.campaignId ?? null,
        scheduledAt: fixture.withoutSlot ? null : fixture.startsAt,
      })
      .returning('id');
    const [version] = await trx('contentVersions')
      .insert({ tenantId, contentId: content.id, number: 1, title: fixture.title ?? '', body: fixture.body ?? 'Texte de test.', source: 'generation' })
      .returning('id');
    await trx('contents').where({ tenantId, id: content.id }).update({ currentVersionId: version.id });
    if (!fixture.withoutSlot) {
      await trx('calendarSlots').insert({
        tenantId,
        contentId: content.id,
        channel,
        startsAt: fixture.startsAt,
        status: fixture.slotStatus ?? 'proposed',
        source: fixture.slotSource ?? 'optimal',
      });
    }
    return content.id as string;
  });
}

export async function createCampaign(tenantId: string, name: string, color: string | null = null): Promise<string> {
  const utm = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${Math.random().toString(36).slice(2, 8)}`;
  return database().forTenant(tenantId, async (trx) => {
    const [row] = await trx('campaigns').insert({ tenantId, name, color, utmCampaign: utm, status: 'active' }).returning('id');
    return row.id as string;
  });
}

/** The content's slot and its `scheduled_at`, read back. */
export async function slotOf(tenantId: string, contentId: string): Promise<{ startsAt: Date; status: string; source: string; scheduledAt: Date | null } | null> {
  return database().forTenant(tenantId, async (trx) => {
    const slot = await trx('calendarSlots').where({ tenantId, contentId }).first('startsAt', 'status', 'source');
    const content = await trx('contents').where({ tenantId, id: contentId }).first('scheduledAt');
    return slot ? { ...slot, scheduledAt: content?.scheduledAt ?? null } : null;
  });
}

export async function setPreferences(tenantId: string, channel: Channel, rows: { weekday: number; localTime: string; weight?: number }[]): Promise<void> {
  await database().forTenant(tenantId, async (trx) => {
    await trx('channelSlotPreferences').where({ tenantId, channel }).delete();
    if (rows.length) {
      await trx('channelSlotPreferences').insert(rows.map((r) => ({ tenantId, channel, weekday: r.weekday, localTime: r.localTime, weight: r.weight ?? 1, source: 'manual' })));
    }
  });
}

export async function preferenceRows(tenantId: string, channel: Channel): Promise<{ weekday: number; localTime: string; weight: number; source: string }[]> {
  return database().forTenant(tenantId, async (trx) => {
    const rows = await trx('channelSlotPreferences').where({ tenantId, channel }).orderBy(['weekday', 'localTime']).select('weekday', 'localTime', 'weight', 'source');
    return rows.map((r: Record<string, unknown>) => ({ weekday: Number(r.weekday), localTime: String(r.localTime).slice(0, 5), weight: Number(r.weight), source: String(r.source) }));
  });
}

/** Removes what a test wrote in a shared (demo) tenant. */
export async function deleteContents(tenantId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await database().forTenant(tenantId, async (trx) => {
    await trx('contents').where({ tenantId }).whereIn('id', ids).update({ currentVersionId: null });
    await trx('contents').where({ tenantId }).whereIn('id', ids).delete();
  });
}

/** The instant the tenant's wall clock (Europe/Paris in the demo) shows `date` `time`. */
export { localToInstant } from '../../../../src/modules/calendar/slots.js';
