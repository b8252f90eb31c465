import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { PublishError } from '../publishing/ports.js';
import type { KnexReviewRepository, SyncOutcome } from './db/knex-review-repository.js';
import { guessLanguage } from './review-language.js';
import type { ReviewSources } from './review-sources.js';

export interface ReviewSyncRun extends SyncOutcome {
  tenants: number;
  accounts: number;
  failed: number;
}

/**
 * `analytics:sync-reviews` (every 6 hours): reads the reviews of every connected Google Business Profile location and
 * applies them per tenant. Idempotent on (tenant, source, external id); one location failing does not stop the
 * others (a refused token marks its account for reconnection).
 */
export class ReviewSync {
  constructor(private readonly deps: { reviewRepository: KnexReviewRepository; reviewSources: ReviewSources; clock: Clock; logger: Logger }) {}

  async run(): Promise<ReviewSyncRun> {
    const total: ReviewSyncRun = { tenants: 0, accounts: 0, failed: 0, created: 0, updated: 0, removed: 0 };
    for (const tenantId of await this.deps.reviewRepository.tenantsWithReviewAccounts()) {
      total.tenants += 1;
      try {
        const run = await this.syncTenant(tenantId);
        for (const key of ['accounts', 'failed', 'created', 'updated', 'removed'] as const) total[key] += run[key];
      } catch (err) {
        // one tenant's trouble (its database work) must not keep the others' reviews from being read
        total.failed += 1;
        this.deps.logger.error({ err, tenantId }, 'review sync failed for a tenant');
      }
    }
    return total;
  }

  async syncTenant(tenantId: string): Promise<Omit<ReviewSyncRun, 'tenants'>> {
    const repo = this.deps.reviewRepository;
    const run = { accounts: 0, failed: 0, created: 0, updated: 0, removed: 0 };
    const [accounts, locale] = await Promise.all([repo.reviewAccounts(tenantId), repo.tenantLocale(tenantId)]);
    for (const account of accounts) {
      run.accounts += 1;
      try {
        const listing = await this.deps.reviewSources.withAccount(account, (source, ready) => source.listReviews(ready));
        const outcome = await repo.applyListing(tenantId, account, listing, (text) => guessLanguage(text, locale), this.deps.clock.now());
        run.created += outcome.created;
        run.updated += outcome.updated;
        run.removed += outcome.removed;
      } catch (err) {
        run.failed += 1;
        const level = err instanceof PublishError ? 'warn' : 'error';
        this.deps.logger[level]({ err, tenantId, accountId: account.id }, 'review sync failed for an account');
      }
    }
    return run;
  }
}
