import type { Knex } from 'knex';
import type { Database } from '../../../../adapters/db/database.js';
import type { SmsProviderCode } from '../provider.js';
import { ofActiveTenant } from '../../../../adapters/db/tenant-members.js';

/** Statuses a message can be picked up from by the sender. */
const WAITING = ['queued', 'deferred_quiet_hours'] as const;

export interface SmsCampaignRow {
  id: string;
  tenantId: string;
  name: string;
  contentId: string | null;
  contentVersionId: string | null;
  platformConnectorId: string | null;
  senderId: string;
  body: string;
  encoding: 'gsm7' | 'ucs2';
  segmentsPerMessage: number;
  status: 'draft' | 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'failed';
  scheduledAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  recipientCount: number;
  costEstimateMicros: string | number;
  currency: string;
  createdAt: Date;
}

export interface SmsMessageRow {
  id: string;
  tenantId: string;
  smsCampaignId: string | null;
  contactId: string | null;
  toPhone: string;
  senderId: string | null;
  body: string;
  segments: number;
  status: string;
  scheduledFor: Date;
  idempotencyKey: string;
  provider: SmsProviderCode | null;
  providerMessageId: string | null;
  attempts: number;
  errorCode: string | null;
}

export interface SmsContentRow {
  id: string;
  title: string;
  status: string;
  scheduledAt: Date | null;
  currentVersionId: string | null;
  body: string | null;
}

export interface CampaignDraft {
  name: string;
  contentId: string;
  contentVersionId: string | null;
  platformConnectorId: string | null;
  senderId: string;
  body: string;
  encoding: 'gsm7' | 'ucs2';
  segmentsPerMessage: number;
  scheduledAt: Date;
  recipientCount: number;
  costEstimateMicros: number;
  currency: string;
  createdBy: string | null;
  locale: string;
}

export type ClaimOutcome =
  | { outcome: 'claimed'; message: SmsMessageRow }
  | { outcome: 'blocked' }
  | { outcome: 'deferred'; until: Date }
  | { outcome: 'gone' };

export type ProgressCounts = Record<'queued' | 'deferred' | 'sent' | 'delivered' | 'failed' | 'blocked', number>;

/** Contacts an SMS may go to: recorded SMS consent, not opted out (STOP), a valid phone number. */
function reachableBySms(query: Knex.QueryBuilder): Knex.QueryBuilder {
  return query.where({ smsConsent: true }).whereNull('smsOptedOutAt').whereNotNull('phoneE164');
}

export class KnexSmsRepository {
  constructor(private readonly deps: { database: Database }) {}

  private get database(): Database {
    return this.deps.database;
  }

  tenantProfile(tenantId: string): Promise<{ name: string; timezone: string; locale: string }> {
    return this.database.forTenant(tenantId, (trx) => trx('tenants').where({ id: tenantId }).first('name', 'timezone', 'locale'));
  }

  smsContent(tenantId: string, contentId: string): Promise<SmsContentRow | undefined> {
    return this.database.forTenant(tenantId, (trx) =>
      trx('contents as c')
        .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
        .where({ 'c.tenantId': tenantId, 'c.id': contentId, 'c.channel': 'sms' })
        .whereNull('c.archivedAt')
        .first('c.id', 'c.title', 'c.status', 'c.scheduledAt', 'c.currentVersionId', 'v.body'),
    );
  }

  async countRecipients(tenantId: string): Promise<number> {
    const row = await this.database.forTenant(tenantId, (trx) => reachableBySms(trx('contacts').where({ tenantId })).count<{ count: string }[]>({ count: '*' }).first());
    return Number(row?.count ?? 0);
  }

  /** The content's draft campaign, created or refreshed with the current preparation. */
  saveDraft(tenantId: string, draft: CampaignDraft): Promise<SmsCampaignRow> {
    return this.database.forTenant(tenantId, async (trx) => {
      const existing = await trx('smsCampaigns').where({ tenantId, contentId: draft.contentId, status: 'draft' }).forUpdate().first('id');
      if (existing) {
        const [row] = await trx('smsCampaigns').where({ id: existing.id }).update({ ...draft, updatedAt: trx.fn.now() }).returning('*');
        return row;
      }
      const [row] = await trx('smsCampaigns').insert({ tenantId, ...draft }).returning('*');
      return row;
    });
  }

  campaign(tenantId: string, campaignId: string): Promise<SmsCampaignRow | undefined> {
    return this.database.forTenant(tenantId, (trx) => trx('smsCampaigns').where({ tenantId, id: campaignId }).first());
  }

  /** The content's latest campaign that left the draft stage. */
  latestLaunched(tenantId: string, contentId: string): Promise<SmsCampaignRow | undefined> {
    return this.database.forTenant(tenantId, (trx) =>
      trx('smsCampaigns').where({ tenantId, contentId }).whereNot({ status: 'draft' }).orderBy('createdAt', 'desc').first(),
    );
  }

  /**
   * draft → scheduled (only one caller wins), then one queued message per reachable contact, keyed by
   * campaign + contact. Recipients are read in the same transaction, so the frozen list honours every STOP
   * committed before it.
   */
  launch(tenantId: string, campaignId: string, now: Date, scheduledFor: Date, costPerMessageMicros: number): Promise<SmsCampaignRow | null> {
    return this.database.forTenant(tenantId, async (trx) => {
      // One content goes out once: its row lock serialises concurrent launches, then no other campaign of it may have left the draft.
      const draft = await trx('smsCampaigns').where({ tenantId, id: campaignId }).first('contentId');
      if (draft?.contentId) {
        await trx('contents').where({ tenantId, id: draft.contentId }).forUpdate().first('id');
        const other = await trx('smsCampaigns').where({ tenantId, contentId: draft.contentId }).whereNot('id', campaignId).whereNotIn('status', ['draft', 'cancelled']).first('id');
        if (other) return null;
      }
      const [campaign] = await trx('smsCampaigns')
        .where({ tenantId, id: campaignId, status: 'draft' })
        .update({ status: 'scheduled', scheduledAt: scheduledFor, updatedAt: now })
        .returning<SmsCampaignRow[]>('*');
      if (!campaign) return null;
      const contacts = await reachableBySms(trx('contacts').where({ tenantId })).select('id', 'phoneE164', 'locale');
      const rows = contacts.map((c: { id: string; phoneE164: string; locale: string }) => ({
        tenantId,
        smsCampaignId: campaign.id,
        contactId: c.id,
        toPhone: c.phoneE164,
        senderId: campaign.senderId,
        body: campaign.body,
        segments: campaign.segmentsPerMessage,
        encoding: campaign.encoding,
        costEstimateMicros: costPerMessageMicros,
        status: 'queued',
        scheduledFor,
        idempotencyKey: `sms:${campaign.id}:${c.id}`,
        locale: c.locale,
      }));
      for (let i = 0; i < rows.length; i += 500) await trx('smsMessages').insert(rows.slice(i, i + 500)).onConflict('idempotencyKey').ignore();
      const [updated] = await trx('smsCampaigns')
        .where({ id: campaign.id })
        .update({ recipientCount: rows.length, costEstimateMicros: rows.length * costPerMessageMicros })
        .returning<SmsCampaignRow[]>('*');
      if (rows.length === 0) await refreshCampaign(trx, campaign.id, now);
      return updated;
    });
  }

  /** Due messages of every tenant (platform context), oldest first. */
  due(now: Date, limit: number): Promise<{ id: string; tenantId: string }[]> {
    return this.database.asPlatform((trx) =>
      trx('smsMessages').whereIn('status', WAITING).whereNull('provider').where('scheduledFor', '<=', now).whereExists(ofActiveTenant(trx, 'sms_messages.tenant_id')).orderBy('scheduledFor').limit(limit).select('id', 'tenantId'),
    );
  }

  /**
   * Messages claimed by a sender that never reported back (the process stopped mid-call): whether the vendor
   * got them is unknown, so they are failed rather than sent a second time.
   */
  async failAbandoned(now: Date): Promise<number> {
    const stale = await this.database.asPlatform((trx) =>
      trx('smsMessages').where({ status: 'queued' }).whereNotNull('provider').whereNull('providerMessageId').where('scheduledFor', '<=', now).select('id', 'tenantId'),
    );
    for (const { id, tenantId } of stale) {
      await this.database.forTenant(tenantId, async (trx) => {
        const [row] = await trx('smsMessages')
          .where({ id, status: 'queued' })
          .whereNotNull('provider')
          .whereNull('providerMessageId')
          .where('scheduledFor', '<=', now)
          .update({ status: 'failed', errorCode: 'sms.errors.outcomeUnknown', errorMessage: 'the sender stopped before the provider answered', updatedAt: now })
          .returning('smsCampaignId');
        if (row?.smsCampaignId) await refreshCampaign(trx, row.smsCampaignId, now);
      });
    }
    return stale.length;
  }

  /**
   * Claims one message for sending: the row is locked, consent is checked again (a STOP since preparation
   * blocks it), the quiet hours too (`allowedAt` later than now defers it), then the conditional update marks it
   * as in flight — `provider` set, no provider id yet, `scheduled_for` moved to the end of the lease — so no
   * other sender picks it up.
   */
  claim(tenantId: string, id: string, now: Date, allowedAt: Date, leaseUntil: Date, provider: SmsProviderCode): Promise<ClaimOutcome> {
    return this.database.forTenant(tenantId, async (trx): Promise<ClaimOutcome> => {
      const row: SmsMessageRow | undefined = await trx('smsMessages')
        .where({ id })
        .whereIn('status', WAITING)
        .whereNull('provider')
        .where('scheduledFor', '<=', now)
        .forUpdate()
        .first();
      if (!row) return { outcome: 'gone' };
      const contact = row.contactId
        ? await reachableBySms(trx('contacts').where({ id: row.contactId, phoneE164: row.toPhone })).forShare().first('id')
        : undefined;
      if (!contact) {
        await trx('smsMessages').where({ id }).update({ status: 'blocked_consent', errorCode: 'sms.errors.noConsent', updatedAt: now });
        if (row.smsCampaignId) await refreshCampaign(trx, row.smsCampaignId, now);
        return { outcome: 'blocked' };
      }
      if (allowedAt.getTime() > now.getTime()) {
        await trx('smsMessages').where({ id }).update({ status: 'deferred_quiet_hours', scheduledFor: allowedAt, updatedAt: now });
        if (row.smsCampaignId) await refreshCampaign(trx, row.smsCampaignId, now);
        return { outcome: 'deferred', until: allowedAt };
      }
      const [claimed] = await trx('smsMessages')
        .where({ id })
        .update({ status: 'queued', provider, attempts: row.attempts + 1, scheduledFor: leaseUntil, updatedAt: now })
        .returning('*');
      return { outcome: 'claimed', message: claimed };
    });
  }

  markSent(tenantId: string, id: string, now: Date, result: { externalId: string; segments?: number; costMicros?: number }): Promise<void> {
    return this.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('smsMessages')
        .where({ id, status: 'queued' })
        .whereNull('providerMessageId')
        .update({
          status: 'sent',
          providerMessageId: result.externalId,
          sentAt: now,
          errorCode: null,
          errorMessage: null,
          ...(result.segments ? { segments: result.segments } : {}),
          updatedAt: now,
        })
        .returning('smsCampaignId');
      if (row?.smsCampaignId) await refreshCampaign(trx, row.smsCampaignId, now);
    });
  }

  /** Back to the queue after a temporary failure (the claim is released), or failed when out of attempts. */
  release(tenantId: string, id: string, now: Date, retryAt: Date | null, error: { code: string; message: string }): Promise<void> {
    return this.database.forTenant(tenantId, async (trx) => {
      const update = retryAt
        ? { status: 'queued', provider: null, scheduledFor: retryAt, errorCode: error.code, errorMessage: error.message.slice(0, 2000), updatedAt: now }
        : { status: 'failed', errorCode: error.code, errorMessage: error.message.slice(0, 2000), updatedAt: now };
      const [row] = await trx('smsMessages').where({ id, status: 'queued' }).whereNull('providerMessageId').update(update).returning('smsCampaignId');
      if (row?.smsCampaignId) await refreshCampaign(trx, row.smsCampaignId, now);
    });
  }

  async progress(tenantId: string, campaignId: string): Promise<ProgressCounts> {
    const rows = await this.database.forTenant(tenantId, (trx) =>
      trx('smsMessages').where({ tenantId, smsCampaignId: campaignId }).groupBy('status').select('status').count({ count: '*' }),
    );
    return countsOf(rows as { status: string; count: string | number }[]);
  }

  // ---- inbound ----

  /** Tenants where a number is a contact (platform context: the webhook has no tenant). */
  tenantsWithPhone(phone: string): Promise<{ tenantId: string }[]> {
    return this.database.asPlatform((trx) => trx('contacts').where({ phoneE164: phone }).distinct('tenantId').orderBy('tenantId'));
  }

  async inboundSeen(provider: SmsProviderCode, providerMessageId: string): Promise<boolean> {
    const row = await this.database.asPlatform((trx) => trx('inboundSms').where({ provider, providerMessageId }).first('id'));
    return Boolean(row);
  }

  /**
   * A reply in one tenant: recorded in inbound_sms; a STOP opts the contact out at once (consent off, opt-out
   * time, a `withdrawn` consent event, its waiting messages blocked). Opting out twice changes nothing.
   */
  recordReply(
    tenantId: string,
    reply: { from: string; to: string | null; body: string; keyword: string | null; optOut: boolean; provider: SmsProviderCode; providerMessageId: string | null },
    now: Date,
  ): Promise<{ optedOut: boolean }> {
    return this.database.forTenant(tenantId, async (trx) => {
      const contact = await trx('contacts').where({ tenantId, phoneE164: reply.from }).forUpdate().first('id', 'smsOptedOutAt');
      let optedOut = false;
      if (contact && reply.optOut) {
        if (!contact.smsOptedOutAt) {
          await trx('contacts').where({ id: contact.id }).update({ smsOptedOutAt: now, smsConsent: false, updatedAt: now });
          await trx('contactConsentEvents').insert({
            tenantId,
            contactId: contact.id,
            medium: 'sms',
            action: 'withdrawn',
            source: 'stop_reply',
            proof: `SMS "${reply.body.slice(0, 200)}" via ${reply.provider}`,
            occurredAt: now,
          });
          optedOut = true;
        }
        const blocked = await trx('smsMessages')
          .where({ contactId: contact.id })
          .whereIn('status', WAITING)
          .whereNull('provider')
          .update({ status: 'blocked_consent', errorCode: 'sms.errors.noConsent', updatedAt: now })
          .returning('smsCampaignId');
        for (const campaignId of new Set(blocked.map((b: { smsCampaignId: string | null }) => b.smsCampaignId))) {
          if (campaignId) await refreshCampaign(trx, campaignId, now);
        }
      }
      const lastMessage = contact
        ? await trx('smsMessages').where({ contactId: contact.id }).whereNotNull('sentAt').orderBy('sentAt', 'desc').first('id')
        : undefined;
      await trx('inboundSms').insert({
        tenantId,
        fromPhone: reply.from,
        toNumber: reply.to?.slice(0, 32) ?? null,
        body: reply.body,
        keyword: reply.keyword,
        contactId: contact?.id ?? null,
        smsMessageId: lastMessage?.id ?? null,
        provider: reply.provider,
        providerMessageId: reply.providerMessageId,
        actionTaken: contact && reply.optOut ? 'opted_out' : 'none',
        receivedAt: now,
        processedAt: now,
      });
      return { optedOut };
    });
  }

  /** A delivery report: the message found by its provider id (platform context), updated in its tenant. */
  async recordStatus(provider: SmsProviderCode, providerMessageId: string, status: 'sent' | 'delivered' | 'failed', errorCode: string | null, now: Date): Promise<boolean> {
    const found = await this.database.asPlatform((trx) => trx('smsMessages').where({ provider, providerMessageId }).first('id', 'tenantId'));
    if (!found || status === 'sent') return Boolean(found);
    await this.database.forTenant(found.tenantId, async (trx) => {
      const update =
        status === 'delivered'
          ? { status: 'delivered', deliveredAt: now, updatedAt: now }
          : { status: 'failed', errorCode: 'sms.errors.undelivered', errorMessage: errorCode?.slice(0, 2000) ?? null, updatedAt: now };
      const [row] = await trx('smsMessages').where({ id: found.id, status: 'sent' }).update(update).returning('smsCampaignId');
      if (row?.smsCampaignId) await refreshCampaign(trx, row.smsCampaignId, now);
    });
    return true;
  }
}

function countsOf(rows: { status: string; count: string | number }[]): ProgressCounts {
  const counts: ProgressCounts = { queued: 0, deferred: 0, sent: 0, delivered: 0, failed: 0, blocked: 0 };
  for (const { status, count } of rows) {
    const n = Number(count);
    if (status === 'queued') counts.queued += n;
    else if (status === 'deferred_quiet_hours') counts.deferred += n;
    else if (status === 'sent') counts.sent += n;
    else if (status === 'delivered') counts.delivered += n;
    else if (status === 'failed') counts.failed += n;
    else if (status === 'blocked_consent') counts.blocked += n;
  }
  return counts;
}

/** Campaign counters from its messages; sent (or failed) once nothing waits any more. */
async function refreshCampaign(trx: Knex.Transaction, campaignId: string, now: Date): Promise<void> {
  const rows = await trx('smsMessages').where({ smsCampaignId: campaignId }).groupBy('status').select('status').count({ count: '*' });
  const c = countsOf(rows as { status: string; count: string | number }[]);
  const campaign = await trx('smsCampaigns').where({ id: campaignId }).first('status', 'startedAt');
  if (!campaign || campaign.status === 'draft' || campaign.status === 'cancelled') return;
  const waiting = c.queued + c.deferred;
  const went = c.sent + c.delivered;
  const status = waiting > 0 ? (went + c.failed > 0 ? 'sending' : 'scheduled') : went > 0 || c.failed === 0 ? 'sent' : 'failed';
  await trx('smsCampaigns')
    .where({ id: campaignId })
    .update({
      status,
      sentCount: went,
      deliveredCount: c.delivered,
      failedCount: c.failed,
      blockedCount: c.blocked,
      deferredCount: c.deferred,
      startedAt: campaign.startedAt ?? (went + c.failed > 0 ? now : null),
      completedAt: waiting === 0 ? now : null,
      updatedAt: now,
    });
  if (status !== 'sent') return;
  // The SMS content has gone out: it is published, like a social post once sent.
  const { contentId } = await trx('smsCampaigns').where({ id: campaignId }).first('contentId');
  if (!contentId) return;
  await trx('contents').where({ id: contentId }).whereIn('status', ['scheduled', 'publishing']).update({ status: 'published', publishedAt: now, updatedAt: now });
  await trx('calendarSlots').where({ contentId }).whereNot('status', 'published').update({ status: 'published', updatedAt: now });
}
