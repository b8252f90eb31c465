import type { Database } from '../../../adapters/db/database.js';
import type { SecretBox } from '../../../adapters/crypto/secret-box.js';
import { BrevoSmsProvider } from './brevo-provider.js';
import type { SmsConnectorSettings, SmsProvider } from './provider.js';
import { SandboxSmsProvider } from './sandbox-provider.js';
import { TwilioSmsProvider } from './twilio-provider.js';

export const SMS_CONNECTOR_KINDS = { brevo: 'sms_brevo', twilio: 'sms_twilio' } as const;

export interface ResolvedSmsProvider {
  connectorId: string | null;
  provider: SmsProvider;
  settings: SmsConnectorSettings;
}

interface ConnectorRow {
  id: string;
  kind: string;
  settings: SmsConnectorSettings | null;
  secretsEncrypted: string | null;
}

/**
 * Picks the SMS provider from `platform_connectors` (platform-level, read in the platform context): the active
 * default connector of kind sms_brevo or sms_twilio, secrets (`{ apiKey, webhookToken }` for Brevo,
 * `{ authToken }` for Twilio) decrypted with the secret box; the sandbox when there is none.
 */
export class SmsConnectors {
  private readonly sandbox: SandboxSmsProvider;

  constructor(private readonly deps: { database: Database; secretBox: SecretBox }) {
    this.sandbox = new SandboxSmsProvider(deps.database);
  }

  async active(): Promise<ResolvedSmsProvider> {
    const row = await this.deps.database.asPlatform((trx) =>
      trx('platformConnectors')
        .whereIn('kind', Object.values(SMS_CONNECTOR_KINDS))
        .where({ active: true, isDefault: true })
        .whereNull('distributorId')
        .orderBy('updatedAt', 'desc')
        .first<ConnectorRow | undefined>('id', 'kind', 'settings', 'secretsEncrypted'),
    );
    return row ? this.build(row) : { connectorId: null, provider: this.sandbox, settings: {} };
  }

  /** The connector a vendor's webhook belongs to (its active one, the default first); null when none. */
  async forWebhook(code: 'brevo' | 'twilio'): Promise<ResolvedSmsProvider | null> {
    const row = await this.deps.database.asPlatform((trx) =>
      trx('platformConnectors')
        .where({ kind: SMS_CONNECTOR_KINDS[code], active: true })
        .whereNull('distributorId')
        .orderBy([{ column: 'isDefault', order: 'desc' }, { column: 'updatedAt', order: 'desc' }])
        .first<ConnectorRow | undefined>('id', 'kind', 'settings', 'secretsEncrypted'),
    );
    return row ? this.build(row) : null;
  }

  private build(row: ConnectorRow): ResolvedSmsProvider {
    const settings = (row.settings ?? {}) as SmsConnectorSettings;
    const secrets = row.secretsEncrypted ? (JSON.parse(this.deps.secretBox.open(row.secretsEncrypted)) as Record<string, string>) : {};
    const provider =
      row.kind === SMS_CONNECTOR_KINDS.twilio
        ? new TwilioSmsProvider({ accountSid: settings.accountSid ?? '', authToken: secrets.authToken ?? '', baseUrl: settings.baseUrl, statusCallbackUrl: settings.statusCallbackUrl })
        : new BrevoSmsProvider({ apiKey: secrets.apiKey ?? '', webhookToken: secrets.webhookToken, baseUrl: settings.baseUrl });
    return { connectorId: row.id, provider, settings };
  }
}
