import { DateTime } from 'luxon';
import { socialAdapters } from '../../adapters/social/index.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { OAuthApps, OAuthCredentialKeeper, PlatformOAuthApp } from '../publishing/engine/index.js';
import { PublishError, type ConnectedAccount, type SocialChannel, type SocialPublisher } from '../publishing/ports.js';
import type { CollectableAccount, KnexEngagementRepository } from './db/knex-engagement-repository.js';

/** Publications are followed this long after they went out. */
export const COLLECTION_WINDOW_DAYS = 30;
/** A network asking to wait up to this long is waited for (then asked once more); longer, it is left for this run. */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;

export interface CollectionRun {
  tenants: number;
  accounts: number;
  posts: number;
  failed: number;
  /** Accounts left for a later run because their network asked to wait. */
  deferred: number;
}

/**
 * `analytics:collect-engagement` (every 6 hours): for each tenant with connected network accounts, reads from each
 * network the current totals of the publications sent in the last 30 days and the account's audience, and stores them
 * as the day's readings (the tenant's day). Sandbox accounts are skipped: nobody saw what they "published".
 *
 * Tokens are made fresh through the publishing engine's `OAuthCredentialKeeper`, as before a publication, and a token
 * the network refuses (401) marks the account for reconnection. Each account is its own unit: its failure is logged
 * and the others go on. A rate limit (429) is honoured: a short Retry-After is waited for once, a longer one puts
 * the network aside until then (this process remembers it across runs).
 */
export class EngagementCollector {
  /** Overridable by tests (no real waiting). */
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  private readonly pausedUntil = new Map<SocialChannel, number>();

  constructor(
    private readonly deps: {
      engagementRepository: KnexEngagementRepository;
      oauthApps: OAuthApps;
      oauthCredentialKeeper: OAuthCredentialKeeper;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async collectAll(): Promise<CollectionRun> {
    const run: CollectionRun = { tenants: 0, accounts: 0, posts: 0, failed: 0, deferred: 0 };
    const apps = new Map<SocialChannel, PlatformOAuthApp | null>();
    for (const tenantId of await this.deps.engagementRepository.tenantsWithNetworkAccounts()) {
      run.tenants += 1;
      const tenantRun = await this.collectTenant(tenantId, apps);
      run.accounts += tenantRun.accounts;
      run.posts += tenantRun.posts;
      run.failed += tenantRun.failed;
      run.deferred += tenantRun.deferred;
    }
    return run;
  }

  /** One tenant's accounts (also what a test or an admin action runs for a single tenant). */
  async collectTenant(tenantId: string, apps = new Map<SocialChannel, PlatformOAuthApp | null>()): Promise<Omit<CollectionRun, 'tenants'>> {
    const { engagementRepository: repo, clock, logger } = this.deps;
    const run = { accounts: 0, posts: 0, failed: 0, deferred: 0 };
    const since = new Date(clock.now().getTime() - COLLECTION_WINDOW_DAYS * 24 * 3600_000);
    const plan = await repo.collectionPlan(tenantId, since);
    for (const item of plan.accounts) {
      const { account } = item;
      if ((this.pausedUntil.get(account.channel) ?? 0) > clock.now().getTime()) {
        run.deferred += 1;
        continue;
      }
      try {
        if (!apps.has(account.channel)) apps.set(account.channel, await this.deps.oauthApps.forChannel(account.channel));
        const app = apps.get(account.channel);
        if (!app) continue; // no platform app for the network: nothing can be read
        run.posts += await this.collectAccount(item, app, plan.timezone);
        run.accounts += 1;
      } catch (err) {
        if (err instanceof PublishError && err.code === 'rateLimited') {
          this.pausedUntil.set(account.channel, clock.now().getTime() + (err.options.retryAfterMs ?? MAX_RATE_LIMIT_WAIT_MS));
          run.deferred += 1;
          logger.warn({ tenantId, accountId: account.id, channel: account.channel, retryAfterMs: err.options.retryAfterMs }, 'engagement collection rate limited');
          continue;
        }
        run.failed += 1;
        logger.error({ err, tenantId, accountId: account.id, channel: account.channel }, 'engagement collection failed for an account');
      }
    }
    return run;
  }

  private async collectAccount(item: CollectableAccount, app: PlatformOAuthApp, timezone: string): Promise<number> {
    const { engagementRepository: repo, oauthCredentialKeeper: keeper, clock } = this.deps;
    const adapter = socialAdapters[item.account.channel];
    if (!adapter) return 0;
    const publisher = adapter.publisher(app);
    if (!publisher.fetchMetrics && !publisher.fetchAccountMetrics) return 0;
    const ready: ConnectedAccount = { ...item.account, credentials: await keeper.fresh(item.account, app) };
    const call = <T>(work: (p: SocialPublisher) => Promise<T>) => this.withRateLimit(() => this.tokenChecked(ready, () => work(publisher)));

    const capturedAt = clock.now();
    const metricDate = DateTime.fromJSDate(capturedAt, { zone: timezone }).toISODate()!;
    let saved = 0;
    if (publisher.fetchMetrics && item.posts.length) {
      const metrics = await call((p) => p.fetchMetrics!(ready, item.posts));
      const contentIds = new Map(item.posts.map((p) => [p.publicationId, p.contentId]));
      saved = await repo.saveEngagement(item.account.tenantId, { account: item.account, metricDate, capturedAt, metrics, contentIds });
    }
    if (publisher.fetchAccountMetrics) {
      const audience = await call((p) => p.fetchAccountMetrics!(ready));
      if (audience) await repo.saveChannelMetrics(item.account.tenantId, { account: item.account, metricDate, capturedAt, metrics: audience });
    }
    return saved;
  }

  /** A refused token (401) marks the account for reconnection, as the publishing engine does. */
  private async tokenChecked<T>(account: ConnectedAccount, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof PublishError && err.options.status === 401) await this.deps.oauthCredentialKeeper.tokenRefused(account, err);
      throw err;
    }
  }

  private async withRateLimit<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const wait = err instanceof PublishError && err.code === 'rateLimited' ? err.options.retryAfterMs : undefined;
      if (wait === undefined || wait > MAX_RATE_LIMIT_WAIT_MS) throw err;
      await this.sleep(wait);
      return work();
    }
  }
}
