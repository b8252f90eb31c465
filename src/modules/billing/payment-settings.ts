import type { Database } from '../../adapters/db/database.js';
import type { SecretBox } from '../../adapters/crypto/secret-box.js';
import { ManualPaymentProvider } from '../../adapters/payments/manual/manual-payment-provider.js';
import { StripePaymentProvider, type StripeCredentials } from '../../adapters/payments/stripe/stripe-payment-provider.js';
import type { Config } from '../../config.js';
import type { ConnectorService } from '../publishing/connectors/index.js';
import { DEFAULT_PAYMENT_TERM_DAYS } from './invoice-rules.js';
import type { PaymentProvider, PaymentProviderName } from './payment-ports.js';

/** Who issues the platform's invoices, as printed on them (French legal mentions), and where transfers go. */
export interface IssuerIdentity {
  legalName: string;
  address: string;
  registrationNumber: string | null;
  vatNumber: string | null;
  country: string;
  email: string | null;
  paymentTermDays: number;
  bank: { iban: string; bic: string | null; accountHolder: string | null } | null;
}

/**
 * The platform's payment settings, read at each use:
 * - Stripe keys: the super admin's default active `stripe` connector (secrets `secretKey`, `webhookSecret`, setting
 *   `apiBaseUrl`), else the environment (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`, `STRIPE_API_BASE_URL`);
 * - the issuer's identity: the "direct" distributor (legal name, VAT number, e-mail) completed by the same
 *   connector's settings (`issuerAddress`, `issuerRegistrationNumber`, `paymentTermDays`) and the bank details shown
 *   on invoices paid by transfer (`iban`, `bic`, `accountHolder`).
 */
export class PaymentSettings {
  constructor(private readonly deps: { connectorService: ConnectorService; database: Database; secretBox: SecretBox; config: Config }) {}

  async stripeCredentials(): Promise<StripeCredentials | null> {
    const connector = await this.connector();
    if (connector) {
      const secrets = await this.secretsOf(connector.id);
      if (secrets?.secretKey) {
        const apiBaseUrl = typeof connector.settings.apiBaseUrl === 'string' ? connector.settings.apiBaseUrl : undefined;
        return { secretKey: secrets.secretKey, webhookSecret: secrets.webhookSecret, apiBaseUrl };
      }
    }
    return this.deps.config.stripe ?? null;
  }

  /** The provider of a payment mode: Stripe when keys are configured (null otherwise), or bank transfer. */
  async provider(mode: PaymentProviderName): Promise<PaymentProvider | null> {
    if (mode === 'manual') return new ManualPaymentProvider();
    const credentials = await this.stripeCredentials();
    return credentials ? new StripePaymentProvider(credentials) : null;
  }

  async issuer(): Promise<IssuerIdentity> {
    const [connector, direct] = await Promise.all([
      this.connector(),
      this.deps.database.asPlatform((trx) => trx('distributors').where({ code: 'direct' }).first('name', 'legalName', 'vatNumber', 'supportEmail')),
    ]);
    return issuerFrom(direct ?? null, connector?.settings ?? {});
  }

  private async connector() {
    const all = await this.deps.connectorService.list();
    return all.find((c) => c.kind === 'stripe' && c.isDefault && c.active) ?? null;
  }

  /** ConnectorService never hands secrets out, so they are opened here, from the row it pointed at. */
  private async secretsOf(connectorId: string): Promise<Record<string, string> | null> {
    const row = await this.deps.database.asPlatform((trx) => trx('platformConnectors').where({ id: connectorId }).first('secretsEncrypted'));
    if (!row?.secretsEncrypted) return null;
    try {
      return JSON.parse(this.deps.secretBox.open(row.secretsEncrypted)) as Record<string, string>;
    } catch {
      return null;
    }
  }
}

/** The issuer's identity from the "direct" distributor row and the payment connector's settings (see PaymentSettings). */
export function issuerFrom(
  direct: { name: string; legalName: string | null; vatNumber: string | null; supportEmail: string | null } | null,
  settings: Record<string, unknown>,
): IssuerIdentity {
  const text = (key: string): string | null => (typeof settings[key] === 'string' && (settings[key] as string).trim() ? (settings[key] as string).trim() : null);
  const term = Number(settings.paymentTermDays);
  const iban = text('iban');
  return {
    legalName: direct?.legalName ?? direct?.name ?? 'Cadence',
    address: text('issuerAddress') ?? '',
    registrationNumber: text('issuerRegistrationNumber'),
    vatNumber: direct?.vatNumber ?? text('issuerVatNumber'),
    country: 'FR',
    email: direct?.supportEmail ?? null,
    paymentTermDays: Number.isInteger(term) && term >= 0 && term <= 60 ? term : DEFAULT_PAYMENT_TERM_DAYS,
    bank: iban ? { iban, bic: text('bic'), accountHolder: text('accountHolder') } : null,
  };
}
