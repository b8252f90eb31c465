import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { ExtractedFields, NewFeedEntry, Snapshot, SourceHealth, WatchSource } from '../domain.js';
import type { FeedEntry } from '../feed-reader.js';
import type { PageSelector } from '../page-extractor.js';

/** A source claimed for a poll, with its conditional-GET state. */
export interface DueSource extends WatchSource {
  etag: string | null;
  lastModified: string | null;
  lastContentHash: string | null;
  consecutiveFailures: number;
}

export type HostLease = { acquired: true; crawlDelayMs: number } | { acquired: false; retryAt: Date };

/** What every poll that got an answer records. */
export interface PollRecord {
  /** When the poll finished (fetch log time, `last_polled_at`). */
  at: Date;
  status: number;
  durationMs: number;
  resolvedUrl: string;
  /** The final URL is not the source's (the fetcher reports the final URL, not the number of hops). */
  redirected: boolean;
  etag: string | null;
  lastModified: string | null;
  nextPollAt: Date;
}

/** A new state of the content (page extraction or feed entries). */
export interface ContentRecord {
  contentHash: string;
  text: string;
  fields: ExtractedFields;
  bytes: number;
  contentType: string;
  /** Feeds: every entry of the body (new guids are inserted). */
  entries?: FeedEntry[];
  /** Selectors mode: the selectors that matched (the others are missing). */
  matchedSelectorIds?: string[];
}

export type ChangeRecord =
  | { changed: false }
  | {
      changed: true;
      previous: Snapshot | null;
      current: Snapshot;
      /** Entries never seen before (none on the first poll: the back catalogue is a baseline). */
      newEntries: NewFeedEntry[];
      firstPoll: boolean;
      /** What `undoChange` needs. */
      previousHash: string | null;
      insertedFeedItemIds: string[];
    };

export interface FailureRecord {
  at: Date;
  status: number | null;
  durationMs: number;
  /** i18n key (`fetch.errors.timeout`, `watch.errors.notAFeed`…). */
  code: string;
  /** The key's parameters (JSON in `last_error_message` / `error_message`). */
  params: Record<string, unknown>;
}

/** Consecutive failures after which a source is degraded, then unhealthy. */
export const DEGRADED_AFTER = 3;
export const UNHEALTHY_AFTER = 6;
export const MAX_BACKOFF_MS = 24 * 60 * 60 * 1000;
/** Entries of one feed body stored at most. */
const MAX_ENTRIES = 1000;

const SOURCE_COLUMNS = [
  'id',
  'tenantId',
  'competitorId',
  'kind',
  'url',
  'host',
  'extractMode',
  'intervalMinutes',
  'title',
  'health',
  'active',
  'etag',
  'lastModified',
  'lastContentHash',
  'consecutiveFailures',
] as const;

interface SnapshotRow {
  id: string;
  sourceId: string;
  contentHash: string;
  extractedText: string;
  extractedFields: ExtractedFields;
  fetchedAt: Date;
}

function toSnapshot(row: SnapshotRow): Snapshot {
  return { id: row.id, sourceId: row.sourceId, contentHash: row.contentHash, text: row.extractedText, fields: row.extractedFields ?? {}, fetchedAt: row.fetchedAt };
}

/** Next poll after `failures` consecutive failures: the interval doubled each time, at most 24 h. */
export function backoffDelayMs(intervalMinutes: number, failures: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 20);
  return Math.min(intervalMinutes * 60_000 * 2 ** exponent, MAX_BACKOFF_MS);
}

export function healthAfter(failures: number, current: SourceHealth): SourceHealth {
  if (failures >= UNHEALTHY_AFTER) return 'unhealthy';
  if (failures >= DEGRADED_AFTER) return 'degraded';
  return current;
}

/**
 * Everything polling reads and writes. The claim and the host leases serve every tenant (platform context:
 * `watch_hosts` holds no tenant data); whatever a poll records about a source is written in its tenant's context.
 */
export class KnexWatchSourceRepository {
  constructor(private readonly deps: { database: Database }) {}

  /**
   * Claims up to `limit` due sources of active tenants (and active competitors), oldest due first. `SKIP LOCKED`
   * keeps concurrent workers off each other's rows and `next_poll_at` moves to `leaseUntil` in the same transaction,
   * so a source is polled by one worker at a time; a worker that dies hands it back at `leaseUntil`.
   */
  claimDue(now: Date, limit: number, leaseUntil: Date): Promise<DueSource[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const due: { id: string }[] = await trx('watchSources as s')
        .join('tenants as t', 't.id', 's.tenantId')
        .leftJoin('competitors as c', 'c.id', 's.competitorId')
        .where('s.active', true)
        .where('t.status', 'active')
        .where((q) => q.whereNull('c.id').orWhere('c.active', true))
        .where((q) => q.whereNull('s.nextPollAt').orWhere('s.nextPollAt', '<=', now))
        .orderByRaw('s.next_poll_at asc nulls first, s.id')
        .limit(limit)
        .forUpdate('s')
        .skipLocked()
        .select('s.id');
      if (due.length === 0) return [];
      // ids first, then the update: a LIMIT … SKIP LOCKED subquery inside the UPDATE may be evaluated more than once
      return trx('watchSources')
        .whereIn(
          'id',
          due.map((r) => r.id),
        )
        .update({ nextPollAt: leaseUntil })
        .returning([...SOURCE_COLUMNS]);
    });
  }

  /** One source of the tenant, claimed the same way (a manual "check now"); null when it is not the tenant's. */
  claimOne(tenantId: string, sourceId: string, leaseUntil: Date): Promise<DueSource | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('watchSources').where({ tenantId, id: sourceId }).update({ nextPollAt: leaseUntil }).returning([...SOURCE_COLUMNS]);
      return (row as DueSource | undefined) ?? null;
    });
  }

  selectors(tenantId: string, sourceId: string): Promise<PageSelector[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('watchSelectors').where({ tenantId, sourceId }).orderBy('field').select('id', 'field', 'selector', 'attribute', 'multiple'),
    );
  }

  /**
   * Takes the host's lease (one fetch at a time per host, across processes): only when its `next_fetch_at` has
   * passed, no live lease is held and it is not backing off. Otherwise says when to come back.
   */
  acquireHost(host: string, owner: string, now: Date, leaseMs: number): Promise<HostLease> {
    return this.deps.database.asPlatform(async (trx) => {
      await trx('watchHosts').insert({ host }).onConflict('host').ignore();
      const [taken] = await trx('watchHosts')
        .where({ host })
        .where((q) => q.whereNull('nextFetchAt').orWhere('nextFetchAt', '<=', now))
        .where((q) => q.whereNull('leaseExpiresAt').orWhere('leaseExpiresAt', '<=', now))
        .where((q) => q.whereNull('backoffUntil').orWhere('backoffUntil', '<=', now))
        .update({ leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + leaseMs), updatedAt: now })
        .returning(['crawlDelayMs']);
      if (taken) return { acquired: true, crawlDelayMs: taken.crawlDelayMs };
      const row: { nextFetchAt: Date | null; leaseExpiresAt: Date | null; backoffUntil: Date | null; crawlDelayMs: number } = await trx('watchHosts')
        .where({ host })
        .first('nextFetchAt', 'leaseExpiresAt', 'backoffUntil', 'crawlDelayMs');
      const leased = row.leaseExpiresAt && row.leaseExpiresAt > now;
      const candidates = [row.nextFetchAt?.getTime() ?? 0, row.backoffUntil?.getTime() ?? 0, leased ? now.getTime() + row.crawlDelayMs : 0];
      return { acquired: false, retryAt: new Date(Math.max(now.getTime(), ...candidates)) };
    });
  }

  /** Hands the host back: the next fetch may start `crawl_delay_ms` after this one finished. */
  async releaseHost(host: string, owner: string, startedAt: Date, finishedAt: Date, ok: boolean): Promise<void> {
    await this.deps.database.asPlatform((trx) =>
      trx('watchHosts')
        .where({ host, leaseOwner: owner })
        .update({
          leaseOwner: null,
          leaseExpiresAt: null,
          lastFetchAt: startedAt,
          nextFetchAt: trx.raw(`?::timestamptz + crawl_delay_ms * interval '1 millisecond'`, [finishedAt]),
          consecutiveFailures: ok ? 0 : trx.raw('consecutive_failures + 1'),
          updatedAt: finishedAt,
        }),
    );
  }

  /** Puts a claimed source back (its host was busy). */
  async defer(tenantId: string, sourceId: string, nextPollAt: Date): Promise<void> {
    await this.deps.database.forTenant(tenantId, (trx) => trx('watchSources').where({ tenantId, id: sourceId }).update({ nextPollAt }));
  }

  /** A 304: the body not downloaded is what the last stored snapshot weighed. */
  async recordNotModified(tenantId: string, sourceId: string, poll: PollRecord): Promise<void> {
    await this.deps.database.forTenant(tenantId, async (trx) => {
      const source: { lastContentHash: string | null } = await trx('watchSources').where({ tenantId, id: sourceId }).first('lastContentHash');
      const snapshot: { bytes: number } | undefined = source?.lastContentHash
        ? await trx('watchSnapshots').where({ tenantId, sourceId, contentHash: source.lastContentHash }).first('bytes')
        : undefined;
      await this.succeeded(trx, tenantId, sourceId, poll);
      await this.log(trx, tenantId, sourceId, poll, { outcome: 'not_modified', bytesReceived: 0, bytesSaved: snapshot?.bytes ?? 0 });
    });
  }

  /**
   * A body was read. Same hash as the current snapshot → `unchanged` (its `last_seen_at` moves). A new hash → a
   * snapshot is inserted, or, when the content went back to an OLDER state, that snapshot is seen again and becomes
   * current. Feed entries are inserted (new guids only: `ON CONFLICT DO NOTHING`); on the first poll they are the
   * baseline, not news. The source row is locked, so two polls of one source record one after the other.
   */
  recordContent(tenantId: string, source: DueSource, poll: PollRecord, content: ContentRecord): Promise<ChangeRecord> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const sourceId = source.id;
      const locked: { lastContentHash: string | null } | undefined = await trx('watchSources').where({ tenantId, id: sourceId }).forUpdate().first('lastContentHash');
      if (!locked) return { changed: false };
      const previousHash = locked.lastContentHash;
      await this.updateSelectors(trx, tenantId, sourceId, content.matchedSelectorIds, poll.at);
      await this.succeeded(trx, tenantId, sourceId, poll, { lastContentHash: content.contentHash });
      if (previousHash === content.contentHash) {
        await trx('watchSnapshots').where({ tenantId, sourceId, contentHash: content.contentHash }).update({ lastSeenAt: poll.at });
        await this.log(trx, tenantId, sourceId, poll, { outcome: 'unchanged', bytesReceived: content.bytes, bytesSaved: 0 });
        return { changed: false };
      }

      const previousRow: SnapshotRow | undefined = previousHash ? await trx('watchSnapshots').where({ tenantId, sourceId, contentHash: previousHash }).first() : undefined;
      let currentRow: SnapshotRow | undefined = await trx('watchSnapshots')
        .where({ tenantId, sourceId, contentHash: content.contentHash })
        .update({ lastSeenAt: poll.at })
        .returning('*')
        .then((rows: SnapshotRow[]) => rows[0]);
      if (!currentRow) {
        [currentRow] = await trx('watchSnapshots')
          .insert({
            tenantId,
            sourceId,
            contentHash: content.contentHash,
            extractedText: content.text,
            extractedFields: JSON.stringify(content.fields),
            bytes: content.bytes,
            contentType: content.contentType.slice(0, 255),
            httpStatus: poll.status,
            fetchedAt: poll.at,
            lastSeenAt: poll.at,
          })
          .returning('*');
      }
      await trx('watchSources').where({ tenantId, id: sourceId }).update({ lastChangedAt: poll.at });
      await this.log(trx, tenantId, sourceId, poll, { outcome: 'changed', bytesReceived: content.bytes, bytesSaved: 0 });

      const firstPoll = previousHash === null;
      const inserted = await this.insertEntries(trx, tenantId, sourceId, content.entries ?? [], poll.at);
      return {
        changed: true,
        previous: previousRow ? toSnapshot(previousRow) : null,
        current: toSnapshot(currentRow!),
        newEntries: firstPoll ? [] : inserted,
        firstPoll,
        previousHash,
        insertedFeedItemIds: inserted.map((e) => e.feedItemId),
      };
    });
  }

  /**
   * Change detection failed after the new state was committed: the source goes back to its previous state (hash,
   * no validators so the next poll downloads the body again) and the entries just inserted are removed, so the
   * next poll detects the same change again.
   */
  async undoChange(tenantId: string, sourceId: string, previousHash: string | null, feedItemIds: string[]): Promise<void> {
    await this.deps.database.forTenant(tenantId, async (trx) => {
      if (feedItemIds.length) await trx('watchFeedItems').where({ tenantId, sourceId }).whereIn('id', feedItemIds).delete();
      await trx('watchSources').where({ tenantId, id: sourceId }).update({ lastContentHash: previousHash, etag: null, lastModified: null });
    });
  }

  /** A failed poll: one more consecutive failure, health from the count, the next poll backed off. */
  recordFailure(tenantId: string, source: DueSource, failure: FailureRecord): Promise<{ health: SourceHealth; consecutiveFailures: number }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row: { consecutiveFailures: number; health: SourceHealth; intervalMinutes: number } | undefined = await trx('watchSources')
        .where({ tenantId, id: source.id })
        .forUpdate()
        .first('consecutiveFailures', 'health', 'intervalMinutes');
      if (!row) return { health: source.health, consecutiveFailures: source.consecutiveFailures };
      const failures = row.consecutiveFailures + 1;
      const health = healthAfter(failures, row.health);
      const message = JSON.stringify(failure.params);
      await trx('watchSources')
        .where({ tenantId, id: source.id })
        .update({
          consecutiveFailures: failures,
          health,
          lastErrorCode: failure.code.slice(0, 64),
          lastErrorMessage: message,
          lastErrorAt: failure.at,
          lastPolledAt: failure.at,
          lastHttpStatus: failure.status,
          nextPollAt: new Date(failure.at.getTime() + backoffDelayMs(row.intervalMinutes, failures)),
        });
      await trx('watchFetchLog').insert({
        tenantId,
        sourceId: source.id,
        fetchedAt: failure.at,
        outcome: 'error',
        httpStatus: failure.status,
        durationMs: Math.max(0, Math.round(failure.durationMs)),
        errorCode: failure.code.slice(0, 64),
        errorMessage: message,
      });
      return { health, consecutiveFailures: failures };
    });
  }

  private async succeeded(trx: Knex.Transaction, tenantId: string, sourceId: string, poll: PollRecord, extra: Record<string, unknown> = {}): Promise<void> {
    await trx('watchSources')
      .where({ tenantId, id: sourceId })
      .update({
        ...extra,
        resolvedUrl: poll.resolvedUrl.slice(0, 2048),
        etag: poll.etag?.slice(0, 512) ?? null,
        lastModified: poll.lastModified?.slice(0, 64) ?? null,
        lastPolledAt: poll.at,
        lastHttpStatus: poll.status,
        nextPollAt: poll.nextPollAt,
        consecutiveFailures: 0,
        health: 'healthy',
        lastErrorCode: null,
        lastErrorMessage: null,
      });
  }

  private async log(
    trx: Knex.Transaction,
    tenantId: string,
    sourceId: string,
    poll: PollRecord,
    figures: { outcome: 'changed' | 'unchanged' | 'not_modified'; bytesReceived: number; bytesSaved: number },
  ): Promise<void> {
    await trx('watchFetchLog').insert({
      tenantId,
      sourceId,
      fetchedAt: poll.at,
      outcome: figures.outcome,
      httpStatus: poll.status,
      bytesReceived: figures.bytesReceived,
      bytesSaved: figures.bytesSaved,
      durationMs: Math.max(0, Math.round(poll.durationMs)),
      // the fetcher reports the final URL, not the number of hops: 1 means "redirected"
      redirects: poll.redirected ? 1 : 0,
    });
  }

  private async updateSelectors(trx: Knex.Transaction, tenantId: string, sourceId: string, matched: string[] | undefined, at: Date): Promise<void> {
    if (!matched) return;
    if (matched.length) await trx('watchSelectors').where({ tenantId, sourceId }).whereIn('id', matched).update({ lastMatchedAt: at, missingSince: null });
    await trx('watchSelectors')
      .where({ tenantId, sourceId })
      .whereNotIn('id', matched)
      .whereNull('missingSince')
      .update({ missingSince: at });
  }

  private async insertEntries(trx: Knex.Transaction, tenantId: string, sourceId: string, entries: FeedEntry[], at: Date): Promise<NewFeedEntry[]> {
    if (entries.length === 0) return [];
    const rows = entries.slice(0, MAX_ENTRIES).map((e) => ({
      tenantId,
      sourceId,
      guid: e.guid,
      url: e.url,
      title: e.title,
      summary: e.summary,
      publishedAt: e.publishedAt,
      firstSeenAt: at,
    }));
    const inserted: { id: string; guid: string; url: string | null; title: string | null; summary: string | null; publishedAt: Date | null }[] = await trx('watchFeedItems')
      .insert(rows)
      .onConflict(['sourceId', 'guid'])
      .ignore()
      .returning(['id', 'guid', 'url', 'title', 'summary', 'publishedAt']);
    const order = new Map(rows.map((r, i) => [r.guid, i]));
    return inserted
      .sort((a, b) => order.get(a.guid)! - order.get(b.guid)!)
      .map((r) => ({ feedItemId: r.id, guid: r.guid, url: r.url, title: r.title, summary: r.summary, publishedAt: r.publishedAt }));
  }
}
