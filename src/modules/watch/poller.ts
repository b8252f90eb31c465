import crypto from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { Semaphore } from '../../shared/semaphore.js';
import type { FetchedResource, FetchOptions, UrlFetcher } from '../../shared/url-fetcher.js';
import { FetchRefusedError } from '../../shared/url-fetcher.js';
import type { DueSource, KnexWatchSourceRepository, PollRecord } from './db/knex-source-repository.js';
import type { ChangeSink, WatchSource } from './domain.js';
import type { FeedReader } from './feed-reader.js';
import { canonicalJson, contentHash, type PageExtractor } from './page-extractor.js';

export type PollOutcome = 'changed' | 'unchanged' | 'not_modified' | 'error' | 'deferred';

export interface SourcePoll {
  sourceId: string;
  outcome: PollOutcome;
  /** i18n key of the failure (`fetch.errors.forbiddenAddress`, `watch.errors.notAFeed`…). */
  errorCode?: string;
  /** Changes recorded by detection. */
  changeIds: string[];
}

export interface PollRun {
  claimed: number;
  outcomes: Record<PollOutcome, number>;
}

/** Sources claimed at a time; a run claims batch after batch while sources are due, within its budget. */
export const POLL_BATCH = 200;
/** Fetches in flight at once in one worker. */
export const POLL_CONCURRENCY = 32;
/** A claimed source comes back after this if its worker died. */
const CLAIM_LEASE_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 20_000;
/** A host lease outlives the longest fetch (a dead worker's lease expires on its own). */
const HOST_LEASE_MS = FETCH_TIMEOUT_MS + 30_000;
/** A run waits for a busy host only this long (real time); later sources of that host go back to the queue. */
const RUN_BUDGET_MS = 45_000;
/** "Check now" answers a person: it waits less. */
const CHECK_NOW_BUDGET_MS = 5_000;

const FEED_ACCEPT = ['text/', 'application/'];
const PAGE_ACCEPT = ['text/html', 'application/xhtml+xml'];

export interface WatchPollerDeps {
  watchSourceRepository: KnexWatchSourceRepository;
  urlFetcher: UrlFetcher;
  feedReader: FeedReader;
  pageExtractor: PageExtractor;
  /** Change detection (resolved when a change is found). */
  changeSink: ChangeSink;
  clock: Clock;
  logger: Logger;
}

/** The clock of one run: frozen (tests pass `now`) or real. A frozen run never waits for a busy host. */
interface RunClock {
  now(): Date;
  frozen: boolean;
  /** Real-time limit for waiting on busy hosts (`performance.now()` scale). */
  waitUntil: number;
}

/**
 * Polls due sources: claims them, fetches each with its ETag / Last-Modified under its host's lease (one fetch at a
 * time per host across workers, `crawl_delay_ms` between two), reads the feed or extracts the page, stores a
 * snapshot only when the content hash is new, and hands what is new to change detection. Failures count towards
 * the source's health and back its polls off. Sources of one host are polled one after the other; a run never holds
 * a transaction across a fetch.
 */
export class WatchPoller {
  private readonly worker = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  private readonly pool = new Semaphore(POLL_CONCURRENCY);

  constructor(private readonly deps: WatchPollerDeps) {}

  /**
   * The `watch:poll-sources` job: claims due sources batch after batch until none is due, `limit` is reached or the
   * run's budget (45 s, the job runs every minute) is spent.
   */
  async pollDue(options: { now?: Date; limit?: number } = {}): Promise<PollRun> {
    const clock = this.runClock(options.now, RUN_BUDGET_MS);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const run: PollRun = { claimed: 0, outcomes: { changed: 0, unchanged: 0, not_modified: 0, error: 0, deferred: 0 } };
    while (run.claimed < limit && performance.now() < clock.waitUntil) {
      const now = clock.now();
      const size = Math.min(POLL_BATCH, limit - run.claimed);
      const claimed = await this.deps.watchSourceRepository.claimDue(now, size, new Date(now.getTime() + CLAIM_LEASE_MS));
      run.claimed += claimed.length;
      await this.pollBatch(claimed, clock, run);
      if (claimed.length < size) break;
    }
    return run;
  }

  /** Sources of one host one after the other (a lane), hosts in parallel (fetches bounded by the pool). */
  private async pollBatch(claimed: DueSource[], clock: RunClock, run: PollRun): Promise<void> {
    const lanes = new Map<string, DueSource[]>();
    for (const source of claimed) lanes.set(source.host, [...(lanes.get(source.host) ?? []), source]);
    await Promise.all(
      [...lanes.values()].map(async (lane) => {
        for (const source of lane) {
          try {
            run.outcomes[(await this.poll(source, clock)).outcome] += 1;
          } catch (err) {
            // the database failed us (lease, record): the claim lease brings the source back in 10 minutes
            this.deps.logger.error({ err, tenantId: source.tenantId, sourceId: source.id }, 'watch: source not polled');
            run.outcomes.error += 1;
          }
        }
      }),
    );
  }

  /** "Check now" from the screens: the tenant's source, polled at once (still behind its host's lease). */
  async pollNow(tenantId: string, sourceId: string, options: { now?: Date } = {}): Promise<SourcePoll> {
    const clock = this.runClock(options.now, CHECK_NOW_BUDGET_MS);
    const now = clock.now();
    const source = await this.deps.watchSourceRepository.claimOne(tenantId, sourceId, new Date(now.getTime() + CLAIM_LEASE_MS));
    if (!source) throw new NotFoundError();
    return this.poll(source, clock);
  }

  private runClock(fixed: Date | undefined, budgetMs: number): RunClock {
    return { now: () => fixed ?? this.deps.clock.now(), frozen: fixed !== undefined, waitUntil: performance.now() + budgetMs };
  }

  /** One source: waits for its host (within the run's budget) or goes back to the queue. */
  private async poll(source: DueSource, clock: RunClock): Promise<SourcePoll> {
    for (;;) {
      const attempt = await this.pool.run(() => this.pollUnderLease(source, clock));
      if (!('busyUntil' in attempt)) return attempt;
      const wait = attempt.busyUntil.getTime() - clock.now().getTime();
      if (clock.frozen || performance.now() + wait > clock.waitUntil) {
        await this.deps.watchSourceRepository.defer(source.tenantId, source.id, attempt.busyUntil);
        return { sourceId: source.id, outcome: 'deferred', changeIds: [] };
      }
      await sleep(Math.max(wait, 1));
    }
  }

  private async pollUnderLease(source: DueSource, clock: RunClock): Promise<SourcePoll | { busyUntil: Date }> {
    const repo = this.deps.watchSourceRepository;
    const owner = `${this.worker}:${source.id}`;
    const startedAt = clock.now();
    const lease = await repo.acquireHost(source.host, owner, startedAt, HOST_LEASE_MS);
    if (!lease.acquired) return { busyUntil: lease.retryAt };

    const started = performance.now();
    let fetched: FetchedResource | undefined;
    let failure: unknown;
    let durationMs = 0;
    try {
      fetched = await this.deps.urlFetcher.fetch(source.url, this.fetchOptions(source));
    } catch (err) {
      failure = err;
    } finally {
      durationMs = performance.now() - started;
      const ok = !failure || !(failure instanceof FetchRefusedError && ['unreachable', 'timeout'].includes(failure.reason));
      await repo.releaseHost(source.host, owner, startedAt, clock.now(), ok).catch((err) => this.deps.logger.error({ err, host: source.host }, 'watch: host lease not released'));
    }
    try {
      if (!fetched) throw failure;
      return await this.record(source, fetched, durationMs, clock);
    } catch (err) {
      return this.fail(source, err, fetched?.status ?? null, durationMs, clock);
    }
  }

  private fetchOptions(source: DueSource): FetchOptions {
    const feed = source.kind === 'rss';
    return {
      accept: feed ? FEED_ACCEPT : PAGE_ACCEPT,
      timeoutMs: FETCH_TIMEOUT_MS,
      // feeds are made for machines and subscribed to by the user; pages follow robots.txt
      respectRobots: !feed,
      ...(source.etag ? { ifNoneMatch: source.etag } : {}),
      ...(source.lastModified ? { ifModifiedSince: source.lastModified } : {}),
    };
  }

  private async record(source: DueSource, fetched: FetchedResource, durationMs: number, clock: RunClock): Promise<SourcePoll> {
    const repo = this.deps.watchSourceRepository;
    const at = clock.now();
    const poll: PollRecord = {
      at,
      status: fetched.status,
      durationMs,
      resolvedUrl: fetched.url,
      redirected: fetched.url !== new URL(source.url).href,
      // a 304 may omit the validators: the ones sent stay valid
      etag: fetched.headers.etag ?? (fetched.notModified ? source.etag : null),
      lastModified: fetched.headers['last-modified'] ?? (fetched.notModified ? source.lastModified : null),
      nextPollAt: new Date(at.getTime() + source.intervalMinutes * 60_000),
    };
    if (fetched.notModified) {
      await repo.recordNotModified(source.tenantId, source.id, poll);
      return { sourceId: source.id, outcome: 'not_modified', changeIds: [] };
    }

    const content = await this.extract(source, fetched);
    const change = await repo.recordContent(source.tenantId, source, poll, content);
    if (!change.changed) return { sourceId: source.id, outcome: 'unchanged', changeIds: [] };
    try {
      const { changeIds } = await this.deps.changeSink.detect({
        tenantId: source.tenantId,
        source: watchSource(source),
        previous: source.kind === 'rss' ? null : change.previous,
        current: source.kind === 'rss' ? null : change.current,
        newEntries: change.newEntries,
        firstPoll: change.firstPoll,
        now: at,
      });
      return { sourceId: source.id, outcome: 'changed', changeIds };
    } catch (err) {
      // the new state is rolled back so that the next poll detects the same change again
      this.deps.logger.error({ err, tenantId: source.tenantId, sourceId: source.id }, 'watch: change detection failed');
      await repo.undoChange(source.tenantId, source.id, change.previousHash, change.insertedFeedItemIds);
      return { sourceId: source.id, outcome: 'error', errorCode: 'watch.errors.detectionFailed', changeIds: [] };
    }
  }

  private async extract(source: DueSource, fetched: FetchedResource) {
    const base = { bytes: fetched.body.length, contentType: fetched.contentType };
    if (source.kind === 'rss') {
      const feed = await this.deps.feedReader.read(fetched.body, { charset: fetched.charset, url: fetched.url });
      const entries = feed.entries.map((e) => ({ ...e, publishedAt: e.publishedAt?.toISOString() ?? null }));
      const text = feed.entries.map((e) => [e.title, e.url].filter(Boolean).join(' — ')).join('\n');
      return { ...base, contentHash: contentHash(canonicalJson(entries), {}), text, fields: {}, entries: feed.entries };
    }
    const selectors = source.extractMode === 'selectors' ? await this.deps.watchSourceRepository.selectors(source.tenantId, source.id) : [];
    const page = this.deps.pageExtractor.extract(fetched.body, { url: fetched.url, charset: fetched.charset, mode: source.extractMode, selectors });
    return {
      ...base,
      contentHash: page.contentHash,
      text: page.text,
      fields: page.fields,
      ...(source.extractMode === 'selectors' && selectors.length ? { matchedSelectorIds: page.matched } : {}),
    };
  }

  private async fail(source: DueSource, err: unknown, status: number | null, durationMs: number, clock: RunClock): Promise<SourcePoll> {
    const { code, params } = describeFailure(err);
    if (!(err instanceof AppError)) this.deps.logger.error({ err, tenantId: source.tenantId, sourceId: source.id }, 'watch: poll failed');
    const httpStatus = err instanceof FetchRefusedError && typeof err.params.status === 'number' ? err.params.status : status;
    try {
      await this.deps.watchSourceRepository.recordFailure(source.tenantId, source, { at: clock.now(), status: httpStatus, durationMs, code, params });
    } catch (recordErr) {
      this.deps.logger.error({ err: recordErr, tenantId: source.tenantId, sourceId: source.id }, 'watch: poll failure not recorded');
    }
    return { sourceId: source.id, outcome: 'error', errorCode: code, changeIds: [] };
  }
}

/** The i18n key and its parameters; anything unexpected is `watch.errors.pollFailed` (details in the log). */
function describeFailure(err: unknown): { code: string; params: Record<string, unknown> } {
  if (err instanceof AppError) return { code: err.code, params: err.params };
  return { code: 'watch.errors.pollFailed', params: {} };
}

function watchSource(source: DueSource): WatchSource {
  const { id, tenantId, competitorId, kind, url, host, extractMode, intervalMinutes, title, health, active } = source;
  return { id, tenantId, competitorId, kind, url, host, extractMode, intervalMinutes, title, health, active };
}
