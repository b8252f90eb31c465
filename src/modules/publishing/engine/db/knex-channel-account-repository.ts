import crypto from 'node:crypto';
import type { Database } from '../../../../adapters/db/database.js';
import { SOCIAL_CHANNELS, type SocialChannel } from '../../ports.js';
import { MAX_LATENESS_MS, type ChannelAccount, type UnplannedContent } from '../domain.js';

const ACCOUNT_COLUMNS = [
  'a.id',
  'a.channel',
  'a.externalAccountId',
  'a.accountType',
  'a.displayName',
  'a.status',
  'a.sandbox',
  'a.lastErrorCode',
  'a.lastErrorMessage',
  'a.connectedAt',
];

/** A tenant's connected social accounts. Every method is one unit of work in the tenant's context. */
export class KnexChannelAccountRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** Accounts still usable or needing attention (a disconnected one is gone from the list), by network then name. */
  list(tenantId: string): Promise<ChannelAccount[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('channelAccounts as a')
        .leftJoin('users as u', 'u.id', 'a.connectedBy')
        .where('a.tenantId', tenantId)
        .whereNot('a.status', 'revoked')
        .orderBy([{ column: 'a.channel' }, { column: 'a.displayName' }, { column: 'a.connectedAt' }])
        .select(...ACCOUNT_COLUMNS, trx.raw(`coalesce(nullif(u.name, ''), u.email) as connected_by_name`)),
    );
  }

  /** A sandbox account: no credentials, an external id of its own so two accounts of one network stay distinct. */
  createSandbox(tenantId: string, input: { channel: SocialChannel; displayName: string; userId: string }): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('channelAccounts')
        .insert({
          tenantId,
          channel: input.channel,
          externalAccountId: `sandbox-${crypto.randomUUID()}`,
          accountType: 'sandbox',
          displayName: input.displayName,
          sandbox: true,
          status: 'connected',
          connectedBy: input.userId,
        })
        .returning('id');
      return row.id as string;
    });
  }

  /**
   * Disconnects an account (revoked, kept for the publications that went out on it; its tokens are erased). Its queued
   * publications are cancelled in the same transaction: their contents wait for another account instead of failing.
   */
  revoke(tenantId: string, accountId: string, at: Date): Promise<{ revoked: boolean; cancelled: number }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const revoked = await trx('channelAccounts').where({ tenantId, id: accountId }).whereNot('status', 'revoked')
        .update({ status: 'revoked', credentialsEncrypted: null, tokenExpiresAt: null, refreshTokenExpiresAt: null, updatedAt: at });
      if (!revoked) return { revoked: false, cancelled: 0 };
      const cancelled: { idempotencyKey: string }[] = await trx('publications')
        .where({ tenantId, channelAccountId: accountId, status: 'queued' })
        .update({ status: 'cancelled', nextAttemptAt: null, updatedAt: at })
        .returning('idempotencyKey');
      if (cancelled.length) {
        await trx('outboxMessages')
          .where({ tenantId })
          .whereIn('idempotencyKey', cancelled.map((c) => c.idempotencyKey))
          .whereIn('status', ['pending', 'processing'])
          .update({ status: 'done', processedAt: at, lockedUntil: null, lastError: 'account disconnected', updatedAt: at });
      }
      return { revoked: true, cancelled: cancelled.length };
    });
  }

  /** Scheduled social contents (not too late to go out) whose network has no connected account in the tenant. */
  unplanned(tenantId: string, now: Date): Promise<UnplannedContent[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('contents as c')
        .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
        .where('c.tenantId', tenantId)
        .where('c.status', 'scheduled')
        .whereIn('c.channel', SOCIAL_CHANNELS)
        .where('c.scheduledAt', '>=', new Date(now.getTime() - MAX_LATENESS_MS))
        .whereNotExists(
          trx('channelAccounts as a').whereRaw('a.tenant_id = c.tenant_id').whereRaw('a.channel = c.channel').where('a.status', 'connected'),
        )
        .orderBy('c.scheduledAt')
        .select('c.id as contentId', 'c.channel', 'c.scheduledAt', trx.raw(`coalesce(nullif(c.title, ''), v.title, '') as title`)),
    );
  }

  /** The tenant's time zone and language (dates on its pages and in its e-mails). */
  tenantSettings(tenantId: string): Promise<{ name: string; timezone: string; locale: string }> {
    return this.deps.database.forTenant(tenantId, (trx) => trx('tenants').where({ id: tenantId }).first('name', 'timezone', 'locale'));
  }
}
