import crypto from 'node:crypto';
import type { Cradle } from '../../../../src/container.js';
import type { DetectionInput, ExtractedFields, NewFeedEntry, Snapshot, WatchSource } from '../../../../src/modules/watch/domain.js';
import type { WatchCradle } from '../../../../src/modules/watch/index.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

/**
 * Set-up of the change-detection, alert and summary tests, with plain Knex in the tenant's context (independent of
 * the polling code): a tenant with members, a competitor, sources, snapshots and feed items.
 */

export const cradle = (): Cradle & WatchCradle => testEnv().container.cradle as Cradle & WatchCradle;

export interface Member {
  userId: string;
  email: string;
}

export interface WatchTeam {
  tenantId: string;
  owner: Member;
  viewer: Member;
  competitorId: string;
}

export async function createMember(tenantId: string, role: string, name = 'Membre'): Promise<Member> {
  const email = `${role}-${crypto.randomBytes(4).toString('hex')}@watch.test`;
  const userId = await cradle().database.asPlatform(async (trx) => {
    const [user] = await trx('users').insert({ email, name, locale: 'fr' }).returning('id');
    const roleRow = await trx('roles').where({ code: role }).first('id');
    await trx('memberships').insert({ userId: user.id, scope: 'tenant', tenantId, roleId: roleRow.id });
    return user.id as string;
  });
  return { userId, email };
}

/** A role without `workspace.view` (a billing-only member): such a member must get no watch alert. */
export async function billingOnlyRole(): Promise<string> {
  const code = 'test_billing_only';
  await cradle().database.asPlatform((trx) =>
    trx('roles').insert({ code, scope: 'tenant', rank: 5, permissions: ['billing.manage'], isSystem: false }).onConflict('code').ignore(),
  );
  return code;
}

export async function createWatchTeam(options: { locale?: string; name?: string; timezone?: string; competitor?: string } = {}): Promise<WatchTeam> {
  const tenant = await createTenant(cradle().database, { locale: options.locale, name: options.name });
  if (options.timezone) await cradle().database.asPlatform((trx) => trx('tenants').where({ id: tenant.id }).update({ timezone: options.timezone }));
  const [owner, viewer] = await Promise.all([createMember(tenant.id, 'client_owner', 'Claire Martin'), createMember(tenant.id, 'client_viewer', 'Valérie Lecture')]);
  const competitorId = await cradle().database.forTenant(tenant.id, async (trx) => {
    const [row] = await trx('competitors').insert({ tenantId: tenant.id, name: options.competitor ?? 'Boulangerie Rivale', website: 'https://rivale.example' }).returning('id');
    return row.id as string;
  });
  return { tenantId: tenant.id, owner, viewer, competitorId };
}

export async function createSource(
  team: Pick<WatchTeam, 'tenantId' | 'competitorId'>,
  options: { kind?: 'rss' | 'page'; extractMode?: 'full_text' | 'selectors'; url?: string; title?: string } = {},
): Promise<WatchSource> {
  const kind = options.kind ?? 'page';
  const url = options.url ?? `https://rivale.example/${kind}/${crypto.randomBytes(4).toString('hex')}`;
  const extractMode = options.extractMode ?? 'selectors';
  const id = await cradle().database.forTenant(team.tenantId, async (trx) => {
    const [row] = await trx('watchSources')
      .insert({ tenantId: team.tenantId, competitorId: team.competitorId, kind, url, host: new URL(url).host, extractMode, title: options.title ?? null })
      .returning('id');
    return row.id as string;
  });
  return {
    id,
    tenantId: team.tenantId,
    competitorId: team.competitorId,
    kind,
    url,
    host: new URL(url).host,
    extractMode,
    intervalMinutes: 360,
    title: options.title ?? null,
    health: 'healthy',
    active: true,
  };
}

export async function snapshot(tenantId: string, source: WatchSource, content: { text?: string; fields?: ExtractedFields; fetchedAt?: Date }): Promise<Snapshot> {
  const text = content.text ?? '';
  const fields = content.fields ?? {};
  const contentHash = crypto.createHash('sha256').update(JSON.stringify([text, fields])).digest('hex');
  const fetchedAt = content.fetchedAt ?? new Date();
  const id = await cradle().database.forTenant(tenantId, async (trx) => {
    const [row] = await trx('watchSnapshots')
      .insert({ tenantId, sourceId: source.id, contentHash, extractedText: text, extractedFields: JSON.stringify(fields), fetchedAt })
      .returning('id');
    return row.id as string;
  });
  return { id, sourceId: source.id, contentHash, text, fields, fetchedAt };
}

export async function feedItems(tenantId: string, source: WatchSource, items: { guid: string; title: string; summary?: string; url?: string }[]): Promise<NewFeedEntry[]> {
  return cradle().database.forTenant(tenantId, async (trx) => {
    const entries: NewFeedEntry[] = [];
    for (const item of items) {
      const [row] = await trx('watchFeedItems')
        .insert({ tenantId, sourceId: source.id, guid: item.guid, title: item.title, summary: item.summary ?? null, url: item.url ?? null })
        .returning('id');
      entries.push({ feedItemId: row.id, guid: item.guid, url: item.url ?? null, title: item.title, summary: item.summary ?? null, publishedAt: null });
    }
    return entries;
  });
}

export function pageInput(source: WatchSource, previous: Snapshot | null, current: Snapshot | null, now = new Date()): DetectionInput {
  return { tenantId: source.tenantId, source, previous, current, newEntries: [], firstPoll: previous === null, now };
}

export function feedInput(source: WatchSource, entries: NewFeedEntry[], options: { firstPoll?: boolean; now?: Date } = {}): DetectionInput {
  return { tenantId: source.tenantId, source, previous: null, current: null, newEntries: entries, firstPoll: options.firstPoll ?? false, now: options.now ?? new Date() };
}

export function price(raw: string, amountCents: number | null, currency: string | null = 'EUR'): ExtractedFields['price'] {
  return { raw, amountCents, currency };
}

export async function changesOf(tenantId: string, sourceId?: string): Promise<Record<string, any>[]> {
  return cradle().database.forTenant(tenantId, (trx) => {
    const q = trx('watchChanges').where({ tenantId }).orderBy([{ column: 'detectedAt' }, { column: 'kind' }, { column: 'productName' }]);
    if (sourceId) q.where({ sourceId });
    return q;
  });
}

export async function alertsOf(tenantId: string, filter: Record<string, unknown> = {}): Promise<Record<string, any>[]> {
  return cradle().database.forTenant(tenantId, (trx) => trx('watchAlerts').where({ tenantId, ...filter }).orderBy('createdAt'));
}

/** E-mails the sandbox mailer recorded for the tenant. */
export async function sandboxMails(tenantId: string, kind?: string): Promise<{ recipient: string; payload: { kind: string; subject: string; text: string; html: string | null } }[]> {
  const rows = await cradle().database.forTenant(tenantId, (trx) => trx('sandboxDeliveries').where({ tenantId, channel: 'email' }).orderBy('createdAt').select('recipient', 'payload'));
  return rows.filter((r: { payload: { kind: string } }) => !kind || r.payload.kind === kind);
}
