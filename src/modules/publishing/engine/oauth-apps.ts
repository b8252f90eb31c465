import type { SecretBox } from '../../../adapters/crypto/secret-box.js';
import type { Database } from '../../../adapters/db/database.js';
import type { OAuthApp, SocialChannel } from '../ports.js';

/** A platform OAuth app with the connector row it comes from (recorded on the accounts connected through it). */
export interface PlatformOAuthApp extends OAuthApp {
  connectorId: string;
}

interface ConnectorRow {
  id: string;
  settings: Record<string, unknown> | null;
  secretsEncrypted: string | null;
}

/**
 * Reads the platform's OAuth app of a network from `platform_connectors` (written by the super admin's connectors
 * page): the active default connector of that kind, platform-wide (distributor_id null). Settings hold `clientId`,
 * `apiBaseUrl`, `authBaseUrl`; the sealed secrets hold `clientSecret`. Null when there is none or it is incomplete.
 */
export class OAuthApps {
  constructor(private readonly deps: { database: Database; secretBox: SecretBox }) {}

  async forChannel(channel: SocialChannel): Promise<PlatformOAuthApp | null> {
    const row = await this.deps.database.asPlatform((trx) =>
      trx('platformConnectors')
        .where({ kind: channel, active: true, isDefault: true })
        .whereNull('distributorId')
        .orderBy('updatedAt', 'desc')
        .first<ConnectorRow | undefined>('id', 'settings', 'secretsEncrypted'),
    );
    if (!row) return null;
    const settings = row.settings ?? {};
    const secrets = row.secretsEncrypted ? (JSON.parse(this.deps.secretBox.open(row.secretsEncrypted)) as Record<string, unknown>) : {};
    const clientId = typeof settings.clientId === 'string' ? settings.clientId.trim() : '';
    const clientSecret = typeof secrets.clientSecret === 'string' ? secrets.clientSecret : '';
    if (!clientId || !clientSecret) return null;
    return {
      connectorId: row.id,
      clientId,
      clientSecret,
      apiBaseUrl: typeof settings.apiBaseUrl === 'string' && settings.apiBaseUrl ? settings.apiBaseUrl : null,
      authBaseUrl: typeof settings.authBaseUrl === 'string' && settings.authBaseUrl ? settings.authBaseUrl : null,
    };
  }
}
