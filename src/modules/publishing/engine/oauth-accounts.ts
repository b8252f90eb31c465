import type { SecretBox } from '../../../adapters/crypto/secret-box.js';
import type { Database } from '../../../adapters/db/database.js';
import type { AccountCredentials, DiscoveredAccount, SocialChannel } from '../ports.js';

/** Where an account stands after the network refused its token: still listed, asking the client to reconnect. */
export type TokenFailureStatus = 'expired' | 'error';

export interface StoredCredentials {
  id: string;
  tenantId: string;
  channel: SocialChannel;
  status: string;
  sealed: string;
  credentials: AccountCredentials;
}

/**
 * Channel accounts connected through OAuth: their encrypted credentials (AES-GCM, `secretBox`) and token upkeep.
 * Each method is one short unit of work; none is held across a call to the network.
 */
export class KnexOAuthAccountRepository {
  constructor(private readonly deps: { database: Database; secretBox: SecretBox }) {}

  /**
   * Saves an account the user authorised: a new one, or the same network account connected again (reconnection
   * after an expiry or a disconnection) which gets the new tokens and is `connected` again. Returns its id.
   */
  saveConnected(
    tenantId: string,
    input: { channel: SocialChannel; connectorId: string; account: DiscoveredAccount; userId: string; now: Date },
  ): Promise<string> {
    const { account, now } = input;
    const values = {
      platformConnectorId: input.connectorId,
      accountType: account.accountType.slice(0, 24),
      displayName: account.displayName.slice(0, 255),
      avatarUrl: account.avatarUrl && account.avatarUrl.length <= 2048 ? account.avatarUrl : null,
      credentialsEncrypted: this.deps.secretBox.seal(JSON.stringify(account.credentials)),
      tokenExpiresAt: dateOrNull(account.credentials.expiresAt),
      refreshTokenExpiresAt: dateOrNull(account.credentials.extra?.refreshExpiresAt),
      scopes: account.scopes,
      status: 'connected',
      sandbox: false,
      lastErrorCode: null,
      lastErrorMessage: null,
      connectedBy: input.userId,
      connectedAt: now,
      lastRefreshedAt: null,
      updatedAt: now,
    };
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('channelAccounts')
        .insert({ tenantId, channel: input.channel, externalAccountId: account.externalAccountId.slice(0, 255), ...values })
        .onConflict(['tenantId', 'channel', 'externalAccountId'])
        .merge(values)
        .returning('id');
      return row.id as string;
    });
  }

  async credentials(tenantId: string, accountId: string): Promise<StoredCredentials | null> {
    const row = await this.deps.database.forTenant(tenantId, (trx) =>
      trx('channelAccounts').where({ tenantId, id: accountId, sandbox: false }).first('id', 'tenantId', 'channel', 'status', 'credentialsEncrypted'),
    );
    if (!row?.credentialsEncrypted) return null;
    return { id: row.id, tenantId: row.tenantId, channel: row.channel, status: row.status, sealed: row.credentialsEncrypted, credentials: JSON.parse(this.deps.secretBox.open(row.credentialsEncrypted)) };
  }

  /** Stores refreshed tokens unless someone else replaced the ones refreshed meanwhile (then theirs stand). */
  replaceCredentials(tenantId: string, accountId: string, previousSealed: string, credentials: AccountCredentials, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const updated = await trx('channelAccounts')
        .where({ tenantId, id: accountId, credentialsEncrypted: previousSealed })
        .update({
          credentialsEncrypted: this.deps.secretBox.seal(JSON.stringify(credentials)),
          tokenExpiresAt: dateOrNull(credentials.expiresAt),
          refreshTokenExpiresAt: dateOrNull(credentials.extra?.refreshExpiresAt),
          lastRefreshedAt: now,
          updatedAt: now,
        });
      return updated > 0;
    });
  }

  markTokenFailure(tenantId: string, accountId: string, status: TokenFailureStatus, error: { code: string; message: string }, now: Date): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('channelAccounts')
        .where({ tenantId, id: accountId, status: 'connected' })
        .update({ status, lastErrorCode: error.code.slice(0, 100), lastErrorMessage: error.message.slice(0, 2000), updatedAt: now });
    });
  }

  /** Connected network accounts (every tenant, platform context) whose access token runs out before `until`. */
  expiringBefore(until: Date): Promise<{ id: string; tenantId: string }[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('channelAccounts as a')
        .join('tenants as t', 't.id', 'a.tenantId')
        .where({ 'a.sandbox': false, 'a.status': 'connected' })
        .whereNotNull('a.credentialsEncrypted')
        .where('a.tokenExpiresAt', '<', until)
        .orderBy('a.tokenExpiresAt')
        .select('a.id', 'a.tenantId'),
    );
  }
}

function dateOrNull(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
