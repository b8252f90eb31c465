import crypto from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import type { ObjectStorage } from '../../brand/media-ports.js';
import type { MediaPublicLinks } from '../../brand/media-public-links.js';
import { PublishError, type LinkTagger, type PublisherRegistry, type PublishResult, type SocialPublisher } from '../ports.js';
import type { ClaimedMessage, KnexPublicationRepository, PublishContext } from './db/knex-publication-repository.js';
import { backoffMs, CLAIM_LEASE_MS, RELAY_BATCH } from './domain.js';
import type { PublicationFailureAlert } from './failure-alert.js';
import { buildOutgoingPost } from './outgoing-post.js';

export type RelayOutcome = 'sent' | 'recovered' | 'retry' | 'failed' | 'deferred' | 'cancelled' | 'skipped';

export interface RelayRun {
  claimed: number;
  outcomes: Record<RelayOutcome, number>;
}

/** Content statuses from which a queued publication may still go out (published/failed: its other accounts). */
const SENDABLE_CONTENT = ['scheduled', 'publishing', 'published', 'failed'];
/** How far back the network is searched for a post of a resumed attempt, before its slot or its last change. */
const LOOKBACK_MS = 60 * 60 * 1000;

export interface OutboxRelayDeps {
  publicationRepository: KnexPublicationRepository;
  publisherRegistry: PublisherRegistry;
  /** Resolved when a post is built (another area registers it). */
  linkTagger: LinkTagger;
  mediaStorage: ObjectStorage;
  mediaPublicLinks: MediaPublicLinks;
  publicationFailureAlert: PublicationFailureAlert;
  clock: Clock;
  logger: Logger;
}

/**
 * Relays `publishing:publish` outbox messages to the networks, exactly once per publication:
 * 1. claim (SKIP LOCKED + lease), 2. queued → sending committed before any network call, 3. publish with the
 * idempotency key, 4. record sent + content published + slot published + message done in one transaction.
 * A publication found `sending` was interrupted between 2 and 4: the network is asked first (`findPublished`) and a
 * post found there is recorded instead of being sent again. Never holds a transaction across a network call.
 */
export class OutboxRelay {
  private readonly worker = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;

  constructor(private readonly deps: OutboxRelayDeps) {}

  async runOnce(): Promise<RelayRun> {
    const { publicationRepository, clock, logger } = this.deps;
    const claimed = await publicationRepository.claim(clock.now(), this.worker, CLAIM_LEASE_MS, RELAY_BATCH);
    const run: RelayRun = { claimed: claimed.length, outcomes: { sent: 0, recovered: 0, retry: 0, failed: 0, deferred: 0, cancelled: 0, skipped: 0 } };
    for (const message of claimed) {
      try {
        run.outcomes[await this.relay(message)] += 1;
      } catch (err) {
        // a bug or the database: the message comes back later; a publication left `sending` is resolved by lookup
        logger.error({ err, tenantId: message.tenantId, publicationId: message.publicationId }, 'publication relay failed');
        const now = clock.now();
        await publicationRepository.deferMessage(message.tenantId, message.id, new Date(now.getTime() + backoffMs(1)), now, errorText(err)).catch(() => undefined);
        run.outcomes.deferred += 1;
      }
    }
    return run;
  }

  private async relay(message: ClaimedMessage): Promise<RelayOutcome> {
    const { publicationRepository: repo, clock } = this.deps;
    const now = clock.now();
    const context = await repo.context(message.tenantId, message.publicationId);
    if (!context) {
      await repo.finishMessage(message.tenantId, message.id, now, 'publication not found');
      return 'skipped';
    }
    const { publication, content, account } = context;
    const ids = { publicationId: publication.id, contentId: content.id, messageId: message.id };
    if (publication.status !== 'queued' && publication.status !== 'sending') {
      await repo.finishMessage(message.tenantId, message.id, now);
      return 'skipped';
    }

    let versionId = publication.contentVersionId;
    if (publication.status === 'queued') {
      if (!SENDABLE_CONTENT.includes(content.status) || !content.currentVersionId) {
        await repo.cancel(message.tenantId, publication.id, message.id, now);
        return 'cancelled';
      }
      if (content.scheduledAt && content.scheduledAt.getTime() > now.getTime()) {
        await repo.reschedule(message.tenantId, publication.id, message.id, content.scheduledAt, now);
        return 'deferred';
      }
      if (publication.nextAttemptAt && publication.nextAttemptAt.getTime() > now.getTime()) {
        await repo.deferMessage(message.tenantId, message.id, publication.nextAttemptAt, now);
        return 'deferred';
      }
      if (account.status !== 'connected') {
        return this.fail(context, ids, new PublishError('permanent', 'accountNotConnected', `account is ${account.status}`), now);
      }
      versionId = content.currentVersionId;
    }

    let publisher: SocialPublisher;
    try {
      publisher = this.deps.publisherRegistry.publisherFor(account);
    } catch (err) {
      if (err instanceof PublishError) return this.fail(context, ids, err, now);
      throw err;
    }
    const post = await buildOutgoingPost(this.deps, context, versionId);

    let attempts = publication.attempts + 1;
    if (publication.status === 'queued') {
      if (!(await repo.beginSending(message.tenantId, publication.id, content.id, versionId, now))) {
        // someone else moved it since we read it: look again on the next run
        await repo.deferMessage(message.tenantId, message.id, now, now);
        return 'deferred';
      }
    } else {
      await repo.countAttempt(message.tenantId, publication.id, now);
      const since = new Date(Math.min(publication.scheduledFor.getTime(), publication.updatedAt.getTime()) - LOOKBACK_MS);
      let found: PublishResult | null;
      try {
        found = await publisher.findPublished(account, post, publication.idempotencyKey, since);
      } catch (err) {
        return this.outcomeUnknown(context, ids, err, attempts);
      }
      if (found) {
        await repo.recordSent(message.tenantId, ids, found, clock.now());
        return 'recovered';
      }
    }

    let result: PublishResult;
    try {
      result = await publisher.publish(account, post, publication.idempotencyKey);
    } catch (err) {
      if (!(err instanceof PublishError)) return this.outcomeUnknown(context, ids, err, attempts);
      if (err.kind === 'permanent' || attempts >= publication.maxAttempts) return this.fail(context, ids, err, clock.now());
      const at = clock.now();
      const wait = Math.max(backoffMs(attempts), err.options.retryAfterMs ?? 0);
      await repo.recordRetry(message.tenantId, ids, { code: err.code, message: err.message }, new Date(at.getTime() + wait), at);
      return 'retry';
    }
    await repo.recordSent(message.tenantId, ids, result, clock.now());
    return 'sent';
  }

  /**
   * The network did not say whether the post exists (an unexpected error, or the lookup failed): the publication
   * stays `sending`, so the next attempt looks it up before sending. After the last attempt it fails.
   */
  private async outcomeUnknown(context: PublishContext, ids: { publicationId: string; contentId: string; messageId: string }, err: unknown, attempts: number): Promise<RelayOutcome> {
    const now = this.deps.clock.now();
    this.deps.logger.warn({ err, tenantId: context.account.tenantId, publicationId: ids.publicationId }, 'publication outcome unknown: will look it up');
    if (attempts >= context.publication.maxAttempts) {
      const code = err instanceof PublishError ? err.code : 'unexpected';
      return this.fail(context, ids, new PublishError('permanent', code, errorText(err)), now);
    }
    const retryAfter = err instanceof PublishError ? (err.options.retryAfterMs ?? 0) : 0;
    await this.deps.publicationRepository.deferMessage(context.account.tenantId, ids.messageId, new Date(now.getTime() + Math.max(backoffMs(attempts), retryAfter)), now, errorText(err));
    return 'retry';
  }

  private async fail(context: PublishContext, ids: { publicationId: string; contentId: string; messageId: string }, err: PublishError, now: Date): Promise<RelayOutcome> {
    const failed = await this.deps.publicationRepository.recordFailed(context.account.tenantId, ids, { code: err.code, message: err.message.slice(0, 2000) }, now);
    if (failed) await this.deps.publicationFailureAlert.send(context, err.code);
    return 'failed';
  }
}

function errorText(err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 2000);
}
