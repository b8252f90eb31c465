import type { Knex } from 'knex';
import type { Database } from '../../../../adapters/db/database.js';
import type { SecretBox } from '../../../../adapters/crypto/secret-box.js';
import { SOCIAL_CHANNELS, type AccountCredentials, type ConnectedAccount, type PublishResult, type SocialChannel } from '../../ports.js';
import { PUBLISH_MESSAGE_KIND, publicationKey, type AccountStatus, type PublicationStatus, type PublicationView, type SandboxPayload } from '../domain.js';
import { membersWithPermission, ofActiveTenant } from '../../../../adapters/db/tenant-members.js';

/** An outbox message a relay now owns until `lockedUntil`. */
export interface ClaimedMessage {
  id: string;
  tenantId: string;
  publicationId: string;
  idempotencyKey: string;
}

/** Everything the relay needs to publish one publication, read in one unit of work. */
export interface PublishContext {
  publication: {
    id: string;
    status: PublicationStatus;
    idempotencyKey: string;
    contentVersionId: string;
    attempts: number;
    maxAttempts: number;
    scheduledFor: Date;
    nextAttemptAt: Date | null;
    updatedAt: Date;
  };
  content: {
    id: string;
    status: string;
    channel: SocialChannel;
    title: string;
    scheduledAt: Date | null;
    currentVersionId: string | null;
    utmCampaign: string | null;
  };
  account: ConnectedAccount & { status: AccountStatus };
  timezone: string;
}

export interface VersionText {
  title: string;
  body: string;
}

export interface MediaRow {
  /** The media asset's id. */
  id: string;
  storageKey: string;
  mimeType: string;
  altText: string | null;
  filename: string;
}

export interface FailureAlertData {
  tenant: { name: string; locale: string; timezone: string };
  recipients: { email: string; name: string | null }[];
}

/** Where a content may still go out from: published/failed cover its other accounts' publications. */
const SENDABLE_CONTENT = ['scheduled', 'publishing', 'published', 'failed'];

/**
 * Publications and their outbox. A publication and the outbox message that triggers it are written in one
 * transaction; every status change is a conditional update, so two relays (or a relay and a retry) cannot both win.
 */
export class KnexPublicationRepository {
  constructor(private readonly deps: { database: Database; secretBox: SecretBox }) {}

  // ---- planning ----

  /** Tenants (platform context) with a scheduled social content due in [from, until] and an account for it. */
  tenantsWithDueContents(from: Date, until: Date): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const rows: { tenantId: string }[] = await trx('contents as c')
        .join('tenants as t', 't.id', 'c.tenantId')
        .where('t.status', 'active')
        .where('c.status', 'scheduled')
        .whereIn('c.channel', SOCIAL_CHANNELS)
        .whereBetween('c.scheduledAt', [from, until])
        .whereExists(trx('channelAccounts as a').whereRaw('a.tenant_id = c.tenant_id and a.channel = c.channel').where('a.status', 'connected'))
        .distinct('c.tenantId');
      return rows.map((r) => r.tenantId);
    });
  }

  /**
   * One publication per (due content, connected account of its network) with its outbox message, in one
   * transaction. The key is deterministic, so a second run creates nothing; a publication cancelled earlier (the
   * account was disconnected, the text was edited) is queued again; a queued one follows its slot if it moved.
   */
  plan(tenantId: string, from: Date, until: Date, now: Date): Promise<{ created: number; requeued: number; moved: number }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const due: { contentId: string; scheduledAt: Date; versionId: string; slotId: string | null; accountId: string; sandbox: boolean }[] = await trx('contents as c')
        .join('channelAccounts as a', function () {
          this.on('a.tenantId', 'c.tenantId').andOn('a.channel', 'c.channel');
        })
        .leftJoin('calendarSlots as s', 's.contentId', 'c.id')
        .where('c.tenantId', tenantId)
        .where('c.status', 'scheduled')
        .where('a.status', 'connected')
        .whereIn('c.channel', SOCIAL_CHANNELS)
        .whereNotNull('c.currentVersionId')
        .whereBetween('c.scheduledAt', [from, until])
        .select('c.id as contentId', 'c.scheduledAt', 'c.currentVersionId as versionId', 's.id as slotId', 'a.id as accountId', 'a.sandbox');
      let created = 0;
      let requeued = 0;
      for (const d of due) {
        const key = publicationKey(d.contentId, d.accountId);
        const inserted: { id: string }[] = await trx('publications')
          .insert({
            tenantId,
            contentId: d.contentId,
            contentVersionId: d.versionId,
            channelAccountId: d.accountId,
            calendarSlotId: d.slotId,
            idempotencyKey: key,
            status: 'queued',
            sandbox: d.sandbox,
            scheduledFor: d.scheduledAt,
            nextAttemptAt: d.scheduledAt,
          })
          .onConflict()
          .ignore()
          .returning('id');
        if (inserted.length) {
          created += 1;
          await trx('outboxMessages')
            .insert({
              tenantId,
              kind: PUBLISH_MESSAGE_KIND,
              aggregateType: 'publication',
              aggregateId: inserted[0].id,
              payload: JSON.stringify({ publicationId: inserted[0].id }),
              idempotencyKey: key,
              availableAt: d.scheduledAt,
            })
            .onConflict('idempotencyKey')
            .ignore();
          continue;
        }
        const again = await trx('publications')
          .where({ tenantId, idempotencyKey: key, status: 'cancelled' })
          .update({
            status: 'queued',
            contentVersionId: d.versionId,
            scheduledFor: d.scheduledAt,
            nextAttemptAt: d.scheduledAt,
            attempts: 0,
            errorKind: null,
            errorCode: null,
            errorMessage: null,
            updatedAt: now,
          });
        if (again) {
          requeued += 1;
          await this.reopenMessage(trx, tenantId, key, d.scheduledAt, now);
        }
      }
      // queued publications follow their content's slot when it moved (still within the horizon)
      const moved: { idempotencyKey: string; scheduledAt: Date }[] = await trx('publications as p')
        .join('contents as c', 'c.id', 'p.contentId')
        .where('p.tenantId', tenantId)
        .where('p.status', 'queued')
        .where('c.status', 'scheduled')
        .whereNotNull('c.scheduledAt')
        .whereRaw('c.scheduled_at <> p.scheduled_for')
        .select('p.idempotencyKey', 'c.scheduledAt');
      for (const m of moved) {
        await trx('publications').where({ tenantId, idempotencyKey: m.idempotencyKey, status: 'queued' }).update({ scheduledFor: m.scheduledAt, nextAttemptAt: m.scheduledAt, updatedAt: now });
        await trx('outboxMessages').where({ tenantId, idempotencyKey: m.idempotencyKey, status: 'pending' }).update({ availableAt: m.scheduledAt, updatedAt: now });
      }
      return { created, requeued, moved: moved.length };
    });
  }

  private async reopenMessage(trx: Knex.Transaction, tenantId: string, key: string, availableAt: Date, now: Date): Promise<void> {
    await trx('outboxMessages')
      .where({ tenantId, idempotencyKey: key })
      .update({ status: 'pending', availableAt, attempts: 0, lockedUntil: null, lockedBy: null, lastError: null, processedAt: null, updatedAt: now });
  }

  // ---- relay ----

  /**
   * Claims due publish messages (platform context: the relay serves every tenant). `SKIP LOCKED` keeps concurrent
   * relays off each other's rows; the lease (`locked_until`) hands a message back if its worker died.
   */
  claim(now: Date, worker: string, leaseMs: number, limit: number): Promise<ClaimedMessage[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const rows: { id: string }[] = await trx('outboxMessages')
        .where('kind', PUBLISH_MESSAGE_KIND)
        .whereIn('status', ['pending', 'processing'])
        .where('availableAt', '<=', now)
        .where((q) => q.whereNull('lockedUntil').orWhere('lockedUntil', '<', now))
        .whereExists(ofActiveTenant(trx, 'outbox_messages.tenant_id'))
        .orderBy('availableAt')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .select('id');
      if (rows.length === 0) return [];
      const claimed: { id: string; tenantId: string; aggregateId: string; idempotencyKey: string }[] = await trx('outboxMessages')
        .whereIn('id', rows.map((r) => r.id))
        .update({ status: 'processing', lockedUntil: new Date(now.getTime() + leaseMs), lockedBy: worker, attempts: trx.raw('attempts + 1'), updatedAt: now })
        .returning(['id', 'tenantId', 'aggregateId', 'idempotencyKey']);
      return claimed.map((c) => ({ id: c.id, tenantId: c.tenantId, publicationId: c.aggregateId, idempotencyKey: c.idempotencyKey }));
    });
  }

  context(tenantId: string, publicationId: string): Promise<PublishContext | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const p = await trx('publications').where({ tenantId, id: publicationId }).first();
      if (!p) return null;
      const content = await trx('contents as c')
        .leftJoin('campaigns as k', 'k.id', 'c.campaignId')
        .where({ 'c.tenantId': tenantId, 'c.id': p.contentId })
        .first('c.id', 'c.status', 'c.channel', 'c.title', 'c.scheduledAt', 'c.currentVersionId', 'k.utmCampaign');
      const a = await trx('channelAccounts').where({ tenantId, id: p.channelAccountId }).first();
      const tenant = await trx('tenants').where({ id: tenantId }).first('timezone');
      const credentials: AccountCredentials | null = a.credentialsEncrypted ? JSON.parse(this.deps.secretBox.open(a.credentialsEncrypted)) : null;
      return {
        publication: {
          id: p.id,
          status: p.status,
          idempotencyKey: p.idempotencyKey,
          contentVersionId: p.contentVersionId,
          attempts: p.attempts,
          maxAttempts: p.maxAttempts,
          scheduledFor: p.scheduledFor,
          nextAttemptAt: p.nextAttemptAt,
          updatedAt: p.updatedAt,
        },
        content,
        account: {
          id: a.id,
          tenantId,
          channel: a.channel,
          externalAccountId: a.externalAccountId,
          accountType: a.accountType,
          displayName: a.displayName,
          sandbox: a.sandbox,
          credentials,
          status: a.status,
        },
        timezone: tenant?.timezone ?? 'Europe/Paris',
      };
    });
  }

  versionText(tenantId: string, versionId: string): Promise<VersionText | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('contentVersions').where({ tenantId, id: versionId }).first('title', 'body')) ?? null);
  }

  /** The content's media in order: what the adapter uploads. */
  media(tenantId: string, contentId: string): Promise<MediaRow[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('contentMedia as cm')
        .join('mediaAssets as m', 'm.id', 'cm.mediaAssetId')
        .where({ 'cm.tenantId': tenantId, 'cm.contentId': contentId })
        .whereNot('m.status', 'archived') // archived from the library after it was attached: not published
        .orderBy([{ column: 'cm.position' }, { column: 'cm.createdAt' }])
        .select('m.id', 'm.storageKey', 'm.mimeType', 'm.altText', trx.raw(`coalesce(nullif(m.original_filename, ''), nullif(m.title, ''), m.id::text) as filename`)),
    );
  }

  /** The message is finished with nothing (more) to do. */
  finishMessage(tenantId: string, messageId: string, now: Date, note: string | null = null): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('outboxMessages').where({ tenantId, id: messageId }).update({ status: 'done', processedAt: now, lockedUntil: null, lastError: note, updatedAt: now });
    });
  }

  /** Hands the message back to be claimed at `availableAt`. */
  deferMessage(tenantId: string, messageId: string, availableAt: Date, now: Date, note: string | null = null): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('outboxMessages').where({ tenantId, id: messageId }).update({ status: 'pending', availableAt, lockedUntil: null, lockedBy: null, lastError: note, updatedAt: now });
    });
  }

  /** A queued publication whose content is no longer approved: cancelled (the planner queues it again once it is). */
  cancel(tenantId: string, publicationId: string, messageId: string, now: Date): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('publications').where({ tenantId, id: publicationId, status: 'queued' }).update({ status: 'cancelled', nextAttemptAt: null, updatedAt: now });
      await trx('outboxMessages').where({ tenantId, id: messageId }).update({ status: 'done', processedAt: now, lockedUntil: null, lastError: 'content no longer scheduled', updatedAt: now });
    });
  }

  /** A queued publication whose slot moved later: it waits for the new time. */
  reschedule(tenantId: string, publicationId: string, messageId: string, at: Date, now: Date): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('publications').where({ tenantId, id: publicationId, status: 'queued' }).update({ scheduledFor: at, nextAttemptAt: at, updatedAt: now });
      await trx('outboxMessages').where({ tenantId, id: messageId }).update({ status: 'pending', availableAt: at, lockedUntil: null, lockedBy: null, updatedAt: now });
    });
  }

  /**
   * queued → sending (attempts + 1, the version that goes out recorded), committed before the network is called:
   * from here on a crash leaves `sending`, and the next attempt asks the network before sending again.
   */
  beginSending(tenantId: string, publicationId: string, contentId: string, versionId: string, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const moved = await trx('publications')
        .where({ tenantId, id: publicationId, status: 'queued' })
        .update({ status: 'sending', attempts: trx.raw('attempts + 1'), contentVersionId: versionId, nextAttemptAt: null, updatedAt: now });
      if (!moved) return false;
      await trx('contents').where({ tenantId, id: contentId, status: 'scheduled' }).update({ status: 'publishing', updatedAt: now });
      return true;
    });
  }

  /** A crashed attempt is being resumed: it counts as an attempt too. */
  countAttempt(tenantId: string, publicationId: string, now: Date): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('publications').where({ tenantId, id: publicationId, status: 'sending' }).update({ attempts: trx.raw('attempts + 1'), updatedAt: now });
    });
  }

  /** Sent: the publication, its content, its slot and the message, in one transaction. */
  recordSent(tenantId: string, ids: { publicationId: string; contentId: string; messageId: string }, result: PublishResult, now: Date): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('publications')
        .where({ tenantId, id: ids.publicationId })
        .whereIn('status', ['sending', 'queued'])
        .update({
          status: 'sent',
          externalPostId: result.externalPostId,
          externalUrl: result.url,
          sentAt: now,
          errorKind: null,
          errorCode: null,
          errorMessage: null,
          nextAttemptAt: null,
          updatedAt: now,
        });
      await trx('contents')
        .where({ tenantId, id: ids.contentId })
        .whereIn('status', SENDABLE_CONTENT)
        .update({ status: 'published', publishedAt: trx.raw('coalesce(published_at, ?)', [now]), updatedAt: now });
      await trx('calendarSlots').where({ tenantId, contentId: ids.contentId }).whereNot('status', 'published').update({ status: 'published', updatedAt: now });
      await trx('outboxMessages').where({ tenantId, id: ids.messageId }).update({ status: 'done', processedAt: now, lockedUntil: null, lastError: null, updatedAt: now });
    });
  }

  /** A temporary failure: queued again for `retryAt`, the error kept for the portal. */
  recordRetry(
    tenantId: string,
    ids: { publicationId: string; contentId: string; messageId: string },
    error: { code: string; message: string },
    retryAt: Date,
    now: Date,
  ): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('publications')
        .where({ tenantId, id: ids.publicationId, status: 'sending' })
        .update({ status: 'queued', nextAttemptAt: retryAt, errorKind: 'temporary', errorCode: error.code, errorMessage: error.message, updatedAt: now });
      await this.settleContentAfterSending(trx, tenantId, ids.contentId, now);
      await trx('outboxMessages')
        .where({ tenantId, id: ids.messageId })
        .update({ status: 'pending', availableAt: retryAt, lockedUntil: null, lockedBy: null, lastError: `${error.code}: ${error.message}`.slice(0, 2000), updatedAt: now });
    });
  }

  /** A permanent failure (or too many attempts): failed with its reason; the content fails unless it went out elsewhere. */
  recordFailed(
    tenantId: string,
    ids: { publicationId: string; contentId: string; messageId: string },
    error: { code: string; message: string },
    now: Date,
  ): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const failed = await trx('publications')
        .where({ tenantId, id: ids.publicationId })
        .whereIn('status', ['sending', 'queued'])
        .update({ status: 'failed', nextAttemptAt: null, errorKind: 'permanent', errorCode: error.code, errorMessage: error.message, updatedAt: now });
      const sentElsewhere = await trx('publications').where({ tenantId, contentId: ids.contentId, status: 'sent' }).first('id');
      if (!sentElsewhere) {
        await trx('contents').where({ tenantId, id: ids.contentId }).whereIn('status', ['scheduled', 'publishing']).update({ status: 'failed', updatedAt: now });
      }
      await trx('outboxMessages')
        .where({ tenantId, id: ids.messageId })
        .update({ status: 'failed', processedAt: now, lockedUntil: null, lastError: `${error.code}: ${error.message}`.slice(0, 2000), updatedAt: now });
      return failed > 0;
    });
  }

  /** publishing → scheduled when nothing of the content is being sent any more (a retry is pending). */
  private async settleContentAfterSending(trx: Knex.Transaction, tenantId: string, contentId: string, now: Date): Promise<void> {
    const stillSending = await trx('publications').where({ tenantId, contentId, status: 'sending' }).first('id');
    if (!stillSending) await trx('contents').where({ tenantId, id: contentId, status: 'publishing' }).update({ status: 'scheduled', updatedAt: now });
  }

  /** Who hears of a failure: the tenant's members allowed to manage publishing. */
  alertData(tenantId: string): Promise<FailureAlertData> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('name', 'locale', 'timezone');
      const recipients = await membersWithPermission(trx, tenantId, 'publishing.manage')
        .orderBy('u.email')
        .select('u.email', 'u.name');
      return { tenant, recipients };
    });
  }

  // ---- portal ----

  /** The latest publications of the tenant, failures first among equals, with what the sandbox recorded. */
  recent(tenantId: string, limit: number): Promise<PublicationView[]> {
    return this.deps.database.forTenant(tenantId, (trx) => this.views(trx, tenantId).orderBy([{ column: 'p.scheduledFor', order: 'desc' }, { column: 'p.createdAt', order: 'desc' }]).limit(limit)).then(mapViews);
  }

  forContent(tenantId: string, contentId: string): Promise<PublicationView[]> {
    return this.deps.database.forTenant(tenantId, (trx) => this.views(trx, tenantId).where('p.contentId', contentId).orderBy('p.createdAt')).then(mapViews);
  }

  /** The content as the panel needs it (null when it is not the tenant's). */
  contentSummary(tenantId: string, contentId: string): Promise<{ id: string; channel: string; status: string; scheduledAt: Date | null } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('contents').where({ tenantId, id: contentId }).first('id', 'channel', 'status', 'scheduledAt')) ?? null);
  }

  connectedAccountCount(tenantId: string, channel: string): Promise<number> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('channelAccounts').where({ tenantId, channel, status: 'connected' }).count<{ count: number }[]>('id as count').first();
      return Number(row?.count ?? 0);
    });
  }

  /**
   * A failed publication queued again by the client: only while its content may still go out (an edited text goes
   * back through approval first) and its account is connected. The content waits on its slot again.
   */
  requeue(tenantId: string, publicationId: string, now: Date): Promise<'requeued' | 'notFound' | 'notFailed' | 'contentNotApproved' | 'accountDisconnected'> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const p = await trx('publications as p')
        .join('contents as c', 'c.id', 'p.contentId')
        .join('channelAccounts as a', 'a.id', 'p.channelAccountId')
        .where({ 'p.tenantId': tenantId, 'p.id': publicationId })
        .first('p.id', 'p.status', 'p.idempotencyKey', 'p.contentId', 'c.status as contentStatus', 'a.status as accountStatus');
      if (!p) return 'notFound';
      if (p.status !== 'failed') return 'notFailed';
      if (!['failed', 'published', 'scheduled'].includes(p.contentStatus)) return 'contentNotApproved';
      if (p.accountStatus !== 'connected') return 'accountDisconnected';
      const updated = await trx('publications')
        .where({ tenantId, id: publicationId, status: 'failed' })
        .update({ status: 'queued', attempts: 0, nextAttemptAt: now, errorKind: null, errorCode: null, errorMessage: null, updatedAt: now });
      if (!updated) return 'notFailed';
      await trx('contents').where({ tenantId, id: p.contentId, status: 'failed' }).update({ status: 'scheduled', updatedAt: now });
      await this.reopenMessage(trx, tenantId, p.idempotencyKey, now, now);
      return 'requeued';
    });
  }

  private views(trx: Knex.Transaction, tenantId: string) {
    return trx('publications as p')
      .join('contents as c', 'c.id', 'p.contentId')
      .join('channelAccounts as a', 'a.id', 'p.channelAccountId')
      .leftJoin('contentVersions as v', 'v.id', 'p.contentVersionId')
      .where('p.tenantId', tenantId)
      .select(
        'p.id',
        'p.contentId',
        trx.raw(`coalesce(nullif(c.title, ''), v.title, '') as content_title`),
        'c.status as contentStatus',
        'a.channel',
        'a.id as accountId',
        'a.displayName as accountName',
        'a.status as accountStatus',
        'p.sandbox',
        'p.status',
        'p.scheduledFor',
        'p.attempts',
        'p.maxAttempts',
        'p.nextAttemptAt',
        'p.externalPostId',
        'p.externalUrl',
        'p.errorKind',
        'p.errorCode',
        'p.errorMessage',
        'p.sentAt',
        trx.raw(
          `(select d.payload from sandbox_deliveries d where d.publication_id = p.id and d.fake_external_id is not distinct from p.external_post_id order by d.created_at limit 1) as sandbox_payload`,
        ),
      );
  }
}

function mapViews(rows: Record<string, unknown>[]): PublicationView[] {
  return rows.map((r) => ({ ...(r as unknown as PublicationView), sandboxPayload: (r.sandboxPayload as SandboxPayload | null) ?? null }));
}
