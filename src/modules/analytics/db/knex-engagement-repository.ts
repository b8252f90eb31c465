import type { Database } from '../../../adapters/db/database.js';
import type { AccountMetrics, ConnectedAccount, PostMetrics, PublishedPostRef, SocialChannel } from '../../publishing/ports.js';

/** A connected network account of the tenant and its publications whose engagement is collected. */
export interface CollectableAccount {
  account: ConnectedAccount;
  posts: (PublishedPostRef & { contentId: string })[];
}

export interface CollectionPlan {
  timezone: string;
  accounts: CollectableAccount[];
}

const MEASURES = ['impressions', 'reach', 'reactions', 'comments', 'shares', 'clicks', 'saves', 'videoViews'] as const;

/**
 * Engagement time series. `engagement_metrics` holds one row per publication and day (the tenant's day) with the
 * network's cumulative totals as last read that day; `channel_metrics` one row per account and day. Writes are
 * upserts on those unique keys, and never replace a later reading with an earlier one.
 */
export class KnexEngagementRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** Platform fan-out: active tenants with at least one connected network account (sandbox accounts have no audience). */
  tenantsWithNetworkAccounts(): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const rows: { tenantId: string }[] = await trx('channelAccounts as a')
        .join('tenants as t', 't.id', 'a.tenantId')
        .where({ 'a.sandbox': false, 'a.status': 'connected', 't.status': 'active' })
        .distinct('a.tenantId')
        .orderBy('a.tenantId');
      return rows.map((r) => r.tenantId);
    });
  }

  /** The tenant's connected network accounts, each with its publications sent since `since` and known by the network. */
  collectionPlan(tenantId: string, since: Date): Promise<CollectionPlan> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('timezone');
      const accounts: Record<string, any>[] = await trx('channelAccounts')
        .where({ tenantId, sandbox: false, status: 'connected' })
        .orderBy([{ column: 'channel' }, { column: 'connectedAt' }])
        .select('id', 'channel', 'externalAccountId', 'accountType', 'displayName');
      const posts: Record<string, any>[] = accounts.length
        ? await trx('publications')
            .where({ tenantId, status: 'sent', sandbox: false })
            .whereIn('channelAccountId', accounts.map((a) => a.id))
            .whereNotNull('externalPostId')
            .where('sentAt', '>=', since)
            .orderBy('sentAt')
            .select('id', 'contentId', 'channelAccountId', 'externalPostId', 'sentAt')
        : [];
      return {
        timezone: tenant?.timezone ?? 'Europe/Paris',
        accounts: accounts.map((a) => ({
          account: {
            id: a.id,
            tenantId,
            channel: a.channel as SocialChannel,
            externalAccountId: a.externalAccountId,
            accountType: a.accountType,
            displayName: a.displayName,
            sandbox: false,
            credentials: null,
          },
          posts: posts
            .filter((p) => p.channelAccountId === a.id)
            .map((p) => ({ publicationId: p.id, contentId: p.contentId, externalId: p.externalPostId, publishedAt: p.sentAt })),
        })),
      };
    });
  }

  /** The day's latest totals of each post (one row per publication and `metricDate`, an ISO day in the tenant's zone). */
  async saveEngagement(
    tenantId: string,
    input: { account: ConnectedAccount; metricDate: string; capturedAt: Date; metrics: PostMetrics[]; contentIds: Map<string, string> },
  ): Promise<number> {
    if (!input.metrics.length) return 0;
    const rows = input.metrics.map((m) => ({
      tenantId,
      publicationId: m.publicationId,
      contentId: input.contentIds.get(m.publicationId) ?? null,
      channelAccountId: input.account.id,
      channel: input.account.channel,
      metricDate: input.metricDate,
      capturedAt: input.capturedAt,
      ...Object.fromEntries(MEASURES.map((k) => [k, m[k]])),
    }));
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const saved = await trx('engagementMetrics')
        .insert(rows)
        .onConflict(['publicationId', 'metricDate'])
        .merge(['capturedAt', ...MEASURES, 'updatedAt'])
        .where('engagementMetrics.capturedAt', '<=', input.capturedAt)
        .returning('id');
      return saved.length;
    });
  }

  saveChannelMetrics(tenantId: string, input: { account: ConnectedAccount; metricDate: string; capturedAt: Date; metrics: AccountMetrics }): Promise<void> {
    const { account, metrics } = input;
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('channelMetrics')
        .insert({
          tenantId,
          channelAccountId: account.id,
          channel: account.channel,
          metricDate: input.metricDate,
          capturedAt: input.capturedAt,
          followers: metrics.followers,
          impressions: metrics.impressions,
          reach: metrics.reach,
          profileViews: metrics.profileViews,
        })
        .onConflict(['channelAccountId', 'metricDate'])
        .merge(['capturedAt', 'followers', 'impressions', 'reach', 'profileViews', 'updatedAt'])
        .where('channelMetrics.capturedAt', '<=', input.capturedAt);
    });
  }
}
