import type { Database } from '../../../adapters/db/database.js';
import type { ConnectedAccount } from '../../publishing/ports.js';
import type { ReviewListing } from '../review-ports.js';
import type { MonthRating, NewReview, Review, ReviewFilter } from '../review-domain.js';

const COLUMNS = [
  'id',
  'source',
  'channelAccountId',
  'externalId',
  'authorName',
  'rating',
  'text',
  'locale',
  'url',
  'reviewedAt',
  'replyText',
  'replyStatus',
  'replyAiCallId',
  'repliedBy',
  'repliedAt',
  'replyError',
  'updatedAt',
] as const;

export interface SyncOutcome {
  created: number;
  updated: number;
  removed: number;
}

/** Reviews and their replies, one short unit of work per method (never held across a network call). */
export class KnexReviewRepository {
  constructor(private readonly deps: { database: Database }) {}

  list(tenantId: string, filter: ReviewFilter = {}): Promise<Review[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = trx('reviews').where({ tenantId }).whereNull('removedAt');
      if (filter.rating) query.where({ rating: filter.rating });
      if (filter.source) query.where({ source: filter.source });
      if (filter.replied === true) query.where({ replyStatus: 'posted' });
      if (filter.replied === false) query.whereNot({ replyStatus: 'posted' });
      const rows = await query
        .orderBy('reviewedAt', 'desc')
        .orderBy('id')
        .limit(filter.limit ?? 50)
        .offset(filter.offset ?? 0)
        .select(COLUMNS);
      return rows.map(toReview);
    });
  }

  find(tenantId: string, id: string): Promise<Review | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('reviews').where({ tenantId, id }).whereNull('removedAt').first(COLUMNS);
      return row ? toReview(row) : null;
    });
  }

  /** Count and average of the reviews still online, and per month of the tenant's zone since `since`. */
  summary(tenantId: string, timezone: string, since: Date): Promise<{ count: number; average: number | null; months: MonthRating[] }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const total = await trx('reviews').where({ tenantId }).whereNull('removedAt').first(trx.raw('count(*)::int as count'), trx.raw('avg(rating)::float as average'));
      const months = await trx('reviews')
        .where({ tenantId })
        .whereNull('removedAt')
        .where('reviewedAt', '>=', since)
        .select(trx.raw(`to_char(reviewed_at at time zone ?, 'YYYY-MM') as month`, [timezone]), trx.raw('count(*)::int as count'), trx.raw('avg(rating)::float as average'))
        .groupByRaw('1')
        .orderByRaw('1');
      return {
        count: Number(total?.count ?? 0),
        average: total?.average === null || total?.average === undefined ? null : Number(total.average),
        months: months.map((m: { month: string; count: number; average: number }) => ({ month: m.month, count: Number(m.count), average: Number(m.average) })),
      };
    });
  }

  insertManual(tenantId: string, review: NewReview): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('reviews').insert({ tenantId, source: 'manual', ...review }).returning('id');
      return row.id as string;
    });
  }

  /** Imported lines keyed by `externalId` (a digest of the line): a line imported again is skipped. */
  insertImported(tenantId: string, reviews: (NewReview & { externalId: string })[]): Promise<{ inserted: number; duplicates: number }> {
    if (!reviews.length) return Promise.resolve({ inserted: 0, duplicates: 0 });
    return this.deps.database.forTenant(tenantId, async (trx) => {
      let inserted = 0;
      for (let i = 0; i < reviews.length; i += 500) {
        const rows = await trx('reviews')
          .insert(reviews.slice(i, i + 500).map((r) => ({ tenantId, source: 'import', ...r })))
          .onConflict(trx.raw('(tenant_id, source, external_id) where external_id is not null'))
          .ignore()
          .returning('id');
        inserted += rows.length;
      }
      return { inserted, duplicates: reviews.length - inserted };
    });
  }

  /**
   * Applies one account's listing: new reviews inserted (in `localeOf`'s guess of their language), changed ones
   * updated, a reply made on the network recorded as posted (unless ours is being posted), and — when the listing is
   * complete — reviews no longer listed marked removed. Running it twice on the same listing changes nothing.
   */
  applyListing(tenantId: string, account: Pick<ConnectedAccount, 'id'>, listing: ReviewListing, localeOf: (text: string) => string, now: Date): Promise<SyncOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const outcome: SyncOutcome = { created: 0, updated: 0, removed: 0 };
      const existing = new Map<string, Record<string, any>>();
      const rows = await trx('reviews')
        .where({ tenantId, source: 'google_business', channelAccountId: account.id })
        .forUpdate()
        .select('id', 'externalId', 'authorName', 'rating', 'text', 'reviewedAt', 'replyText', 'replyStatus', 'repliedAt', 'removedAt');
      for (const row of rows) existing.set(row.externalId, row);
      const seen = new Set<string>();
      for (const review of listing.reviews) {
        if (seen.has(review.externalId)) continue;
        seen.add(review.externalId);
        const reply = review.reply ? { replyText: review.reply.text, replyStatus: 'posted', repliedAt: review.reply.updatedAt, replyError: null } : {};
        const row = existing.get(review.externalId);
        if (!row) {
          const [created] = await trx('reviews')
            .insert({
              tenantId,
              source: 'google_business',
              channelAccountId: account.id,
              externalId: review.externalId,
              authorName: review.authorName,
              rating: review.rating,
              text: review.text,
              locale: localeOf(review.text),
              reviewedAt: review.reviewedAt,
              ...reply,
            })
            .onConflict(trx.raw('(tenant_id, source, external_id) where external_id is not null'))
            .ignore()
            .returning('id');
          if (created) outcome.created += 1;
          continue;
        }
        const changes: Record<string, unknown> = {};
        if (row.authorName !== review.authorName) changes.authorName = review.authorName;
        if (Number(row.rating) !== review.rating) changes.rating = review.rating;
        if (row.text !== review.text) changes.text = review.text;
        if (new Date(row.reviewedAt).getTime() !== review.reviewedAt.getTime()) changes.reviewedAt = review.reviewedAt;
        if (row.removedAt) changes.removedAt = null;
        // the network's reply is the truth, except while ours is on its way there
        if (review.reply && row.replyStatus !== 'posting' && (row.replyStatus !== 'posted' || row.replyText !== review.reply.text)) Object.assign(changes, reply);
        if (Object.keys(changes).length) {
          await trx('reviews').where({ tenantId, id: row.id }).update({ ...changes, updatedAt: now });
          outcome.updated += 1;
        }
      }
      if (listing.complete) {
        const gone = rows.filter((r) => !r.removedAt && !seen.has(r.externalId)).map((r) => r.id);
        if (gone.length) outcome.removed = await trx('reviews').where({ tenantId }).whereIn('id', gone).update({ removedAt: now, updatedAt: now });
      }
      return outcome;
    });
  }

  /** A draft reply (AI or typed): only while nothing is posted or being posted. */
  saveDraft(tenantId: string, id: string, text: string, aiCallId: string | null, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const values: Record<string, unknown> = { replyText: text, replyStatus: 'draft', replyError: null, updatedAt: now };
      if (aiCallId) values.replyAiCallId = aiCallId;
      const updated = await trx('reviews').where({ tenantId, id }).whereNull('removedAt').whereIn('replyStatus', ['none', 'draft', 'failed']).update(values);
      return updated > 0;
    });
  }

  /**
   * Takes the reply for posting (draft or failed → posting). A reply left `posting` before `staleBefore` (the process
   * stopped mid-call) can be taken again. Null when someone else is posting it or it is posted already.
   */
  claimPosting(tenantId: string, id: string, text: string, staleBefore: Date, now: Date): Promise<Review | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('reviews')
        .where({ tenantId, id })
        .whereNull('removedAt')
        .where((q) => q.whereIn('replyStatus', ['none', 'draft', 'failed']).orWhere((p) => p.where({ replyStatus: 'posting' }).where('updatedAt', '<', staleBefore)))
        .update({ replyText: text, replyStatus: 'posting', replyError: null, updatedAt: now })
        .returning(COLUMNS);
      return row ? toReview(row) : null;
    });
  }

  markPosted(tenantId: string, id: string, userId: string, repliedAt: Date, now: Date, fromStatuses: string[] = ['posting']): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const updated = await trx('reviews')
        .where({ tenantId, id })
        .whereIn('replyStatus', fromStatuses)
        .whereNotNull('replyText')
        .update({ replyStatus: 'posted', repliedBy: userId, repliedAt, replyError: null, updatedAt: now });
      return updated > 0;
    });
  }

  markFailed(tenantId: string, id: string, error: string, now: Date): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('reviews').where({ tenantId, id, replyStatus: 'posting' }).update({ replyStatus: 'failed', replyError: error.slice(0, 2000), updatedAt: now });
    });
  }

  /** The tenant's connected (non-sandbox) Google Business Profile locations. */
  reviewAccounts(tenantId: string): Promise<ConnectedAccount[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('channelAccounts')
        .where({ tenantId, channel: 'google_business', sandbox: false, status: 'connected' })
        .orderBy('createdAt')
        .select('id', 'tenantId', 'channel', 'externalAccountId', 'accountType', 'displayName', 'sandbox');
      return rows.map((r: Record<string, any>) => ({ ...r, credentials: null }) as ConnectedAccount);
    });
  }

  account(tenantId: string, accountId: string): Promise<ConnectedAccount | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('channelAccounts').where({ tenantId, id: accountId, sandbox: false }).first('id', 'tenantId', 'channel', 'externalAccountId', 'accountType', 'displayName', 'sandbox');
      return row ? ({ ...row, credentials: null } as ConnectedAccount) : null;
    });
  }

  /** Tenants (platform context) with at least one connected Google location: the sync job's fan-out. */
  tenantsWithReviewAccounts(): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const rows = await trx('channelAccounts as a')
        .join('tenants as t', 't.id', 'a.tenantId')
        .where({ 'a.channel': 'google_business', 'a.sandbox': false, 'a.status': 'connected' })
        .where('t.status', 'active')
        .distinct('a.tenantId');
      return rows.map((r: { tenantId: string }) => r.tenantId);
    });
  }

  tenantLocale(tenantId: string): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => ((await trx('tenants').where({ id: tenantId }).first('locale'))?.locale as string) ?? 'fr');
  }
}

function toReview(row: Record<string, any>): Review {
  return { ...row, rating: Number(row.rating) } as Review;
}
