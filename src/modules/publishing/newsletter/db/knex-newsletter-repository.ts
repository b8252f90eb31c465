import type { Knex } from 'knex';
import type { Database } from '../../../../adapters/db/database.js';
import type { VersionMeta } from '../../../studio/domain.js';
import { IN_FLIGHT, RECIPIENT_STATUSES, type Newsletter, type NewsletterRecipient, type RecipientCounts } from '../domain.js';
import { ofActiveTenant } from '../../../../adapters/db/tenant-members.js';

/** The newsletter content as the sender needs it: the current version's text and what tags its links. */
export interface NewsletterSource {
  id: string;
  channel: string;
  status: string;
  title: string;
  locale: string;
  scheduledAt: Date | null;
  utmCampaign: string | null;
  versionId: string | null;
  body: string;
  meta: VersionMeta;
}

export interface TenantProfile {
  name: string;
  locale: string;
  timezone: string;
}

/** Contents a newsletter may go out from: approved (and scheduled in the calendar) or already publishing. */
const SENDABLE_CONTENT = ['approved', 'scheduled', 'publishing', 'published'];

export class KnexNewsletterRepository {
  constructor(private readonly deps: { database: Database }) {}

  private get database(): Database {
    return this.deps.database;
  }

  source(tenantId: string, contentId: string): Promise<NewsletterSource | null> {
    return this.database.forTenant(tenantId, async (trx) => {
      const row = await trx('contents as c')
        .leftJoin('campaigns as k', 'k.id', 'c.campaignId')
        .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
        .where({ 'c.tenantId': tenantId, 'c.id': contentId })
        .first('c.id', 'c.channel', 'c.status', 'c.title', 'c.locale', 'c.scheduledAt', 'k.utmCampaign', 'v.id as versionId', 'v.body', 'v.meta');
      if (!row) return null;
      return { ...row, body: row.body ?? '', meta: (row.meta ?? {}) as VersionMeta } as NewsletterSource;
    });
  }

  tenantProfile(tenantId: string): Promise<TenantProfile> {
    return this.database.forTenant(tenantId, (trx) => trx('tenants').where({ id: tenantId }).first('name', 'locale', 'timezone'));
  }

  get(tenantId: string, id: string): Promise<Newsletter | null> {
    return this.database.forTenant(tenantId, async (trx) => (await trx('newsletters').where({ tenantId, id }).first()) ?? null);
  }

  /** The content's newsletter: the one being or already sent, else its draft. */
  latestForContent(tenantId: string, contentId: string): Promise<Newsletter | null> {
    return this.database.forTenant(tenantId, async (trx) =>
      (await trx('newsletters')
        .where({ tenantId, contentId })
        .whereNot('status', 'cancelled')
        .orderByRaw(`CASE WHEN status = 'draft' THEN 1 ELSE 0 END`)
        .orderBy('createdAt', 'desc')
        .first()) ?? null,
    );
  }

  /** Creates the content's draft, or refreshes the one it has (a content keeps a single draft). */
  saveDraft(tenantId: string, draft: Partial<Newsletter> & { contentId: string }, now: Date): Promise<Newsletter> {
    return this.database.forTenant(tenantId, async (trx) => {
      const existing = await trx('newsletters').where({ tenantId, contentId: draft.contentId, status: 'draft' }).forUpdate().first('id');
      if (existing) {
        const [row] = await trx('newsletters').where({ tenantId, id: existing.id }).update({ ...draft, updatedAt: now }).returning('*');
        return row;
      }
      const [row] = await trx('newsletters').insert({ ...draft, tenantId, status: 'draft', createdAt: now, updatedAt: now }).returning('*');
      return row;
    });
  }

  /**
   * draft → sending, with one recipient row per contact (the unique key keeps it one). False when the newsletter
   * was no longer a draft (sent twice, or by two people at once): nothing is queued again.
   */
  startSending(tenantId: string, id: string, recipients: { contactId: string; email: string }[], now: Date): Promise<boolean> {
    return this.database.forTenant(tenantId, async (trx) => {
      // One content goes out once: its row lock serialises concurrent launches, then no other newsletter of it may have started.
      const newsletter = await trx('newsletters').where({ tenantId, id }).first('contentId');
      if (!newsletter) return false;
      await trx('contents').where({ tenantId, id: newsletter.contentId }).forUpdate().first('id');
      const other = await trx('newsletters').where({ tenantId, contentId: newsletter.contentId }).whereNot('id', id).whereNot('status', 'draft').whereNot('status', 'cancelled').first('id');
      if (other) return false;
      const started = await trx('newsletters')
        .where({ tenantId, id, status: 'draft' })
        .update({ status: 'sending', startedAt: now, scheduledAt: now, recipientCount: recipients.length, updatedAt: now });
      if (started === 0) return false;
      for (let i = 0; i < recipients.length; i += 500) {
        const rows = recipients.slice(i, i + 500).map((r) => ({ tenantId, newsletterId: id, contactId: r.contactId, email: r.email, createdAt: now, updatedAt: now }));
        await trx('newsletterRecipients').insert(rows).onConflict(['newsletterId', 'contactId']).ignore();
      }
      return true;
    });
  }

  /** Newsletters of every tenant that still have recipients to serve (the job's work list). */
  sending(): Promise<{ id: string; tenantId: string }[]> {
    return this.database.asPlatform((trx) => trx('newsletters').where({ status: 'sending' }).whereExists(ofActiveTenant(trx, 'newsletters.tenant_id')).orderBy('startedAt').select('id', 'tenantId'));
  }

  /** Queued recipients no longer reachable (unsubscribed, consent withdrawn, bounced elsewhere) are skipped. */
  skipIneligible(tenantId: string, newsletterId: string, eligibleContactIds: string[], now: Date): Promise<number> {
    return this.database.forTenant(tenantId, async (trx) => {
      const q = trx('newsletterRecipients')
        .where({ tenantId, newsletterId, status: 'queued' })
        .where((w) => w.whereNull('errorCode').orWhereNot('errorCode', IN_FLIGHT));
      if (eligibleContactIds.length > 0) q.whereNotIn('contactId', eligibleContactIds);
      const skipped = await q.update({ status: 'unsubscribed', unsubscribedAt: now, updatedAt: now });
      if (skipped > 0) await bump(trx, tenantId, newsletterId, 'unsubscribed_count', skipped, now);
      return skipped;
    });
  }

  /**
   * Claims the next recipients to send, at most what the rate leaves in the last minute: the newsletter row is
   * locked so concurrent runs count each other's claims; each row is marked in flight with its attempt counted.
   * Rows that failed temporarily wait 1, 2, 4… minutes (capped at 32) after their last attempt.
   */
  claim(tenantId: string, newsletterId: string, now: Date): Promise<{ newsletter: Newsletter; recipients: NewsletterRecipient[] } | null> {
    return this.database.forTenant(tenantId, async (trx) => {
      const newsletter: Newsletter | undefined = await trx('newsletters').where({ tenantId, id: newsletterId }).forUpdate().first();
      if (!newsletter || newsletter.status !== 'sending') return null;
      const windowStart = new Date(now.getTime() - 60_000);
      const used = await trx('newsletterRecipients').where({ tenantId, newsletterId }).where('attempts', '>', 0).where('updatedAt', '>', windowStart).count<{ count: string }[]>({ count: '*' }).first();
      const budget = newsletter.ratePerMinute - Number(used?.count ?? 0);
      if (budget <= 0) return { newsletter, recipients: [] };
      const due: { id: string }[] = await trx('newsletterRecipients')
        .where({ tenantId, newsletterId, status: 'queued' })
        .where((w) => w.whereNull('errorCode').orWhereNot('errorCode', IN_FLIGHT))
        .where((w) => w.where('attempts', 0).orWhereRaw(`updated_at <= ?::timestamptz - interval '1 minute' * power(2, least(attempts, 6) - 1)`, [now]))
        .orderBy([{ column: 'attempts' }, { column: 'createdAt' }, { column: 'id' }])
        .limit(budget)
        .forUpdate()
        .skipLocked()
        .select('id');
      if (due.length === 0) return { newsletter, recipients: [] };
      // ids first, then the update: a LIMIT … SKIP LOCKED subquery inside the UPDATE may be evaluated more than once
      const recipients = await trx('newsletterRecipients')
        .whereIn(
          'id',
          due.map((r) => r.id),
        )
        .update({ errorCode: IN_FLIGHT, attempts: trx.raw('attempts + 1'), updatedAt: now })
        .returning('*');
      return { newsletter, recipients };
    });
  }

  private finish(
    tenantId: string,
    recipient: NewsletterRecipient,
    update: Record<string, unknown>,
    counter: Counter | null,
    now: Date,
  ): Promise<void> {
    return this.database.forTenant(tenantId, async (trx) => {
      const done = await trx('newsletterRecipients').where({ tenantId, id: recipient.id, status: 'queued', errorCode: IN_FLIGHT }).update({ ...update, updatedAt: now });
      if (done > 0 && counter) await bump(trx, tenantId, recipient.newsletterId, counter, 1, now);
    });
  }

  markSent(tenantId: string, recipient: NewsletterRecipient, messageId: string, now: Date): Promise<void> {
    return this.finish(tenantId, recipient, { status: 'sent', messageId: messageId.slice(0, 255), sentAt: now, errorCode: null, errorMessage: null }, 'sent_count', now);
  }

  markBounced(tenantId: string, recipient: NewsletterRecipient, error: { code: string; message: string }, now: Date): Promise<void> {
    return this.finish(tenantId, recipient, { status: 'bounced', bounceType: 'hard', bouncedAt: now, errorCode: error.code.slice(0, 100), errorMessage: error.message }, 'bounced_count', now);
  }

  markFailed(tenantId: string, recipient: NewsletterRecipient, error: { code: string; message: string }, now: Date): Promise<void> {
    return this.finish(tenantId, recipient, { status: 'failed', errorCode: error.code.slice(0, 100), errorMessage: error.message }, 'failed_count', now);
  }

  /** A temporary failure: queued again; the backoff counts from `updated_at`. */
  release(tenantId: string, recipient: NewsletterRecipient, error: { code: string; message: string; soft: boolean }, now: Date): Promise<void> {
    return this.finish(tenantId, recipient, { errorCode: error.code.slice(0, 100), errorMessage: error.message, bounceType: error.soft ? 'soft' : null }, null, now);
  }

  /**
   * Rows left in flight by a crash between the SMTP hand-off and its record: the message may or may not have
   * left, so they are never sent again — they become `failed` with the code `newsletter.errors.interrupted`.
   */
  failInterrupted(tenantId: string, newsletterId: string, before: Date, now: Date): Promise<number> {
    return this.database.forTenant(tenantId, async (trx) => {
      const failed = await trx('newsletterRecipients')
        .where({ tenantId, newsletterId, status: 'queued', errorCode: IN_FLIGHT })
        .where('updatedAt', '<', before)
        .update({ status: 'failed', errorCode: 'newsletter.errors.interrupted', errorMessage: null, updatedAt: now });
      if (failed > 0) await bump(trx, tenantId, newsletterId, 'failed_count', failed, now);
      return failed;
    });
  }

  /** sending → sent once no recipient is left queued; the content and its calendar slot become published. */
  completeIfDone(tenantId: string, newsletterId: string, now: Date): Promise<boolean> {
    return this.database.forTenant(tenantId, async (trx) => {
      const newsletter = await trx('newsletters').where({ tenantId, id: newsletterId, status: 'sending' }).forUpdate().first('contentId');
      if (!newsletter) return false;
      const left = await trx('newsletterRecipients').where({ tenantId, newsletterId, status: 'queued' }).first('id');
      if (left) return false;
      await trx('newsletters').where({ tenantId, id: newsletterId }).update({ status: 'sent', sentAt: now, updatedAt: now });
      await publishContent(trx, tenantId, newsletter.contentId, now);
      return true;
    });
  }

  counts(tenantId: string, newsletterId: string): Promise<RecipientCounts> {
    return this.database.forTenant(tenantId, async (trx) => {
      const rows: { status: string; inFlight: boolean; count: string }[] = await trx('newsletterRecipients')
        .where({ tenantId, newsletterId })
        .select('status', trx.raw('(error_code IS NOT DISTINCT FROM ?) as in_flight', [IN_FLIGHT]), trx.raw('count(*) as count'))
        .groupByRaw('1, 2');
      const counts = Object.fromEntries([...RECIPIENT_STATUSES, 'sending'].map((s) => [s, 0])) as RecipientCounts;
      for (const row of rows) counts[row.status === 'queued' && row.inFlight ? 'sending' : (row.status as keyof RecipientCounts)] += Number(row.count);
      return counts;
    });
  }

  recipients(tenantId: string, newsletterId: string, limit: number): Promise<NewsletterRecipient[]> {
    return this.database.forTenant(tenantId, (trx) =>
      trx('newsletterRecipients as r')
        .leftJoin('contacts as c', 'c.id', 'r.contactId')
        .where({ 'r.tenantId': tenantId, 'r.newsletterId': newsletterId })
        .orderBy([{ column: 'r.email' }, { column: 'r.id' }])
        .limit(limit)
        .select('r.*', 'c.firstName', 'c.lastName'),
    );
  }
}

type Counter = 'sent_count' | 'failed_count' | 'bounced_count' | 'unsubscribed_count';

async function bump(trx: Knex.Transaction, tenantId: string, id: string, counter: Counter, by: number, now: Date): Promise<void> {
  await trx('newsletters').where({ tenantId, id }).update({ [counter]: trx.raw('?? + ?', [counter, by]), updatedAt: now });
}

async function publishContent(trx: Knex.Transaction, tenantId: string, contentId: string, now: Date): Promise<void> {
  await trx('contents')
    .where({ tenantId, id: contentId })
    .whereIn('status', SENDABLE_CONTENT)
    .update({ status: 'published', publishedAt: trx.raw('coalesce(published_at, ?)', [now]), updatedAt: now });
  await trx('calendarSlots').where({ tenantId, contentId }).whereNot('status', 'published').update({ status: 'published', updatedAt: now });
}

export { SENDABLE_CONTENT };
