import crypto from 'node:crypto';
import type { Cradle } from '../../../../../src/container.js';
import type { Clock } from '../../../../../src/shared/clock.js';
import type { SmsEmulator } from '../../../../support/sms-emulator/index.js';
import { BREVO_TEST_KEY, TWILIO_TEST_SID, TWILIO_TEST_TOKEN } from '../../../../support/sms-emulator/index.js';

/** A clock the test moves by hand. */
export class FrozenClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const BREVO_WEBHOOK_TOKEN = 'brevo-webhook-secret-token';

/** A French mobile number no other test uses. */
export function phone(): string {
  return `+336${crypto.randomInt(10_000_000, 99_999_999)}`;
}

/** Makes `vendor` the platform's only active SMS connector (or none: the sandbox). */
export async function useConnector(cradle: Cradle, vendor: 'brevo' | 'twilio' | 'sandbox', emulator?: SmsEmulator, settings: Record<string, unknown> = {}): Promise<void> {
  await cradle.database.asPlatform(async (trx) => {
    await trx('platformConnectors').whereIn('kind', ['sms_brevo', 'sms_twilio']).del();
    if (vendor === 'sandbox') return;
    const secrets = vendor === 'brevo' ? { apiKey: BREVO_TEST_KEY, webhookToken: BREVO_WEBHOOK_TOKEN } : { authToken: TWILIO_TEST_TOKEN };
    await trx('platformConnectors').insert({
      kind: vendor === 'brevo' ? 'sms_brevo' : 'sms_twilio',
      name: `${vendor} (tests)`,
      settings: JSON.stringify({ baseUrl: emulator!.baseUrl(vendor), ratePerSecond: 1000, ...(vendor === 'twilio' ? { accountSid: TWILIO_TEST_SID } : {}), ...settings }),
      secretsEncrypted: cradle.secretBox.seal(JSON.stringify(secrets)),
      active: true,
      isDefault: true,
    });
  });
}

export interface ContactSpec {
  phone: string | null;
  consent: boolean;
  optedOut?: boolean;
  email?: string;
}

export async function addContacts(cradle: Cradle, tenantId: string, specs: ContactSpec[]): Promise<string[]> {
  return cradle.database.forTenant(tenantId, async (trx) => {
    const ids: string[] = [];
    for (const spec of specs) {
      const [row] = await trx('contacts')
        .insert({
          tenantId,
          phoneE164: spec.phone,
          email: spec.email ?? (spec.phone ? null : `c-${crypto.randomBytes(4).toString('hex')}@example.test`),
          smsConsent: spec.consent,
          smsConsentSource: spec.consent ? 'form' : null,
          smsConsentAt: spec.consent ? new Date('2026-01-10T10:00:00Z') : null,
          smsConsentProof: spec.consent ? 'Formulaire boutique : « J’accepte de recevoir des SMS »' : null,
          smsOptedOutAt: spec.optedOut ? new Date('2026-02-01T10:00:00Z') : null,
        })
        .returning('id');
      ids.push(row.id);
    }
    return ids;
  });
}

/** An approved SMS content (status scheduled) with one version holding `body`. */
export async function addSmsContent(cradle: Cradle, tenantId: string, body: string, options: { status?: string; scheduledAt?: Date | null } = {}): Promise<string> {
  return cradle.database.forTenant(tenantId, async (trx) => {
    const [content] = await trx('contents')
      .insert({ tenantId, channel: 'sms', status: options.status ?? 'scheduled', title: 'Promo du samedi', scheduledAt: options.scheduledAt ?? null })
      .returning('id');
    const [version] = await trx('contentVersions').insert({ tenantId, contentId: content.id, number: 1, body, source: 'edit', charCount: body.length }).returning('id');
    await trx('contents').where({ id: content.id }).update({ currentVersionId: version.id });
    return content.id;
  });
}

export function messagesOf(cradle: Cradle, tenantId: string, campaignId: string) {
  return cradle.database.forTenant(tenantId, (trx) => trx('smsMessages').where({ smsCampaignId: campaignId }).orderBy('toPhone'));
}
