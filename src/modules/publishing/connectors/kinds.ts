import { z } from 'zod';
import { parseDecimal } from '../../ai/admin-service.js';

export const SOCIAL_KINDS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business'] as const;
export const CONNECTOR_KINDS = [...SOCIAL_KINDS, 'sms_brevo', 'sms_twilio', 'smtp', 'stripe'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/**
 * The codes of `plan_connectors` this page manages, and the platform connector kinds that make each one work.
 * Other codes (wordpress, hubspot…) belong to other areas and are left untouched.
 */
export const PLAN_CODES: Record<string, readonly ConnectorKind[]> = {
  linkedin: ['linkedin'],
  facebook: ['facebook'],
  instagram: ['instagram'],
  x: ['x'],
  google_business: ['google_business'],
  sms: ['sms_brevo', 'sms_twilio'],
};

export function isConnectorKind(value: unknown): value is ConnectorKind {
  return typeof value === 'string' && (CONNECTOR_KINDS as readonly string[]).includes(value);
}

/** One form field of a kind: a setting (jsonb `settings`) or a secret (inside `secrets_encrypted`). */
export interface FieldSpec {
  name: string;
  type: 'text' | 'url' | 'number' | 'decimal' | 'checkbox' | 'secret';
  required?: boolean;
}

export interface KindSpec {
  settings: FieldSpec[];
  secrets: FieldSpec[];
  /** Settings as stored, from the typed form values (numbers, booleans, no empty strings). */
  settingsSchema: (locale: string) => z.ZodType<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Field parsers (form values are strings; an array when a field is posted twice, the last one wins)

const raw = (max: number) =>
  z.preprocess((v) => (v === undefined || v === null ? '' : Array.isArray(v) ? String(v.at(-1)) : String(v)), z.string().max(max, 'connectors.errors.tooLong')).transform((v) => v.trim());

const optionalText = (max: number) => raw(max).transform((v) => v || undefined);
const requiredText = (max: number, pattern?: RegExp) =>
  raw(max).pipe(z.string().min(1, 'connectors.errors.required').regex(pattern ?? /[\s\S]*/, 'connectors.errors.invalid'));

/** An http(s) URL the operator typed (an emulator, a regional endpoint); anything else is refused. */
const optionalUrl = raw(2048)
  .pipe(z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'connectors.errors.urlInvalid' })], { error: 'connectors.errors.urlInvalid' }))
  .transform((v) => (v ? v.replace(/\/+$/, '') : undefined));

const optionalInt = (min: number, max: number) =>
  raw(16).transform((v, ctx) => {
    if (!v) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      ctx.addIssue({ code: 'custom', message: 'connectors.errors.numberInvalid' });
      return z.NEVER;
    }
    return Number(v);
  });

const checkbox = z.preprocess((v) => (Array.isArray(v) ? v.at(-1) : v), z.any()).transform((v) => v === 'on' || v === 'true' || v === '1');

const optionalMicros = (locale: string) =>
  raw(32).transform((v, ctx) => {
    if (!v) return undefined;
    const parsed = parseDecimal(v, locale, 6);
    if (!parsed.ok || parsed.value > 2_147_483_647) {
      ctx.addIssue({ code: 'custom', message: 'connectors.errors.priceInvalid' });
      return z.NEVER;
    }
    return parsed.value;
  });

const currency = raw(3).pipe(z.union([z.literal(''), z.string().regex(/^[A-Za-z]{3}$/, 'connectors.errors.currencyInvalid')])).transform((v) => (v ? v.toUpperCase() : undefined));

/** Drops the settings left empty, so the readers see absent keys rather than empty strings. */
const compact = (value: Record<string, unknown>) => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));

const smsCommon = (locale: string) => ({
  baseUrl: optionalUrl,
  sender: optionalText(16),
  pricePerSegment: optionalMicros(locale),
  currency,
  ratePerSecond: optionalInt(1, 1000),
  stopMention: optionalText(64),
});

/** `pricePerSegment` is typed in currency units and stored as `pricePerSegmentMicros` (what the SMS area reads). */
const smsSettings = ({ pricePerSegment, ...rest }: Record<string, unknown>) => compact({ ...rest, pricePerSegmentMicros: pricePerSegment });

const SMS_FIELDS: FieldSpec[] = [
  { name: 'baseUrl', type: 'url' },
  { name: 'sender', type: 'text' },
  { name: 'pricePerSegment', type: 'decimal' },
  { name: 'currency', type: 'text' },
  { name: 'ratePerSecond', type: 'number' },
  { name: 'stopMention', type: 'text' },
];

const social: KindSpec = {
  settings: [
    { name: 'clientId', type: 'text', required: true },
    { name: 'apiBaseUrl', type: 'url' },
    { name: 'authBaseUrl', type: 'url' },
  ],
  secrets: [{ name: 'clientSecret', type: 'secret', required: true }],
  settingsSchema: () => z.object({ clientId: requiredText(512), apiBaseUrl: optionalUrl, authBaseUrl: optionalUrl }).transform(compact),
};

export const KIND_SPECS: Record<ConnectorKind, KindSpec> = {
  linkedin: social,
  facebook: social,
  instagram: social,
  x: social,
  google_business: social,
  sms_brevo: {
    settings: SMS_FIELDS,
    secrets: [
      { name: 'apiKey', type: 'secret', required: true },
      { name: 'webhookToken', type: 'secret' },
    ],
    settingsSchema: (locale) => z.object(smsCommon(locale)).transform(smsSettings),
  },
  sms_twilio: {
    settings: [{ name: 'accountSid', type: 'text', required: true }, ...SMS_FIELDS, { name: 'statusCallbackUrl', type: 'url' }],
    secrets: [{ name: 'authToken', type: 'secret', required: true }],
    settingsSchema: (locale) =>
      z.object({ accountSid: requiredText(64, /^AC[0-9a-fA-F]{32}$/), ...smsCommon(locale), statusCallbackUrl: optionalUrl }).transform(smsSettings),
  },
  smtp: {
    settings: [
      { name: 'host', type: 'text', required: true },
      { name: 'port', type: 'number', required: true },
      { name: 'secure', type: 'checkbox' },
      { name: 'user', type: 'text' },
      { name: 'fromAddress', type: 'text' },
    ],
    secrets: [{ name: 'password', type: 'secret' }],
    settingsSchema: () =>
      z
        .object({
          host: requiredText(253, /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:]+\]$/),
          port: optionalInt(1, 65535).refine((v) => v !== undefined, 'connectors.errors.required'),
          secure: checkbox,
          user: optionalText(255),
          fromAddress: raw(320).pipe(z.union([z.literal(''), z.email('connectors.errors.emailInvalid')])).transform((v) => v || undefined),
        })
        .transform(compact),
  },
  // Payments: the Stripe account, and what invoices print (the issuer's address and registration, the bank details
  // of transfers, the payment term).
  stripe: {
    settings: [
      { name: 'publishableKey', type: 'text' },
      { name: 'apiBaseUrl', type: 'url' },
      { name: 'issuerAddress', type: 'text' },
      { name: 'issuerRegistrationNumber', type: 'text' },
      { name: 'iban', type: 'text' },
      { name: 'bic', type: 'text' },
      { name: 'accountHolder', type: 'text' },
      { name: 'paymentTermDays', type: 'number' },
    ],
    secrets: [
      { name: 'secretKey', type: 'secret', required: true },
      { name: 'webhookSecret', type: 'secret' },
    ],
    settingsSchema: () =>
      z
        .object({
          publishableKey: optionalText(255),
          apiBaseUrl: optionalUrl,
          issuerAddress: optionalText(500),
          issuerRegistrationNumber: optionalText(32),
          iban: optionalText(34),
          bic: optionalText(11),
          accountHolder: optionalText(200),
          paymentTermDays: optionalInt(0, 60),
        })
        .transform(compact),
  },
};

/** A secret as typed: blank means "keep the stored one"; no control characters (a pasted line break). */
export const secretInput = raw(4096).pipe(z.union([z.literal(''), z.string().regex(/^[^\x00-\x1f\x7f]+$/, 'connectors.errors.secretInvalid')]));
