import { verifySmtp } from '../../../adapters/mail/smtp-verify.js';
import { socialAdapters } from '../../../adapters/social/index.js';
import type { OAuthConnector, SocialChannel } from '../ports.js';
import type { ConnectorKind } from './kinds.js';

export interface TestResult {
  ok: boolean;
  /** Technical detail for the super admin (HTTP status, server answer); never a secret. */
  message: string;
}

/** What a tester gets: the stored settings and the decrypted secrets of one connector. */
export interface ConnectorCredentials {
  kind: ConnectorKind;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

const TIMEOUT_MS = 10_000;

/**
 * Proves a connector's credentials against its vendor, per kind. The URLs are the platform operator's (the vendor's
 * public API, or an override the super admin typed), so a plain fetch with a timeout is used, http(s) only.
 */
export async function testConnector(connector: ConnectorCredentials): Promise<TestResult> {
  const { kind, settings, secrets } = connector;
  switch (kind) {
    case 'sms_brevo':
      return httpCheck(`${base(settings.baseUrl, 'https://api.brevo.com')}/v3/account`, { 'api-key': secrets.apiKey ?? '', accept: 'application/json' });
    case 'sms_twilio': {
      const sid = String(settings.accountSid ?? '');
      const basic = Buffer.from(`${sid}:${secrets.authToken ?? ''}`).toString('base64');
      return httpCheck(`${base(settings.baseUrl, 'https://api.twilio.com')}/2010-04-01/Accounts/${encodeURIComponent(sid)}.json`, {
        authorization: `Basic ${basic}`,
        accept: 'application/json',
      });
    }
    case 'smtp':
      return verifySmtp({
        host: String(settings.host ?? ''),
        port: Number(settings.port ?? 587),
        secure: settings.secure === true,
        user: typeof settings.user === 'string' ? settings.user : undefined,
        pass: secrets.password,
        timeoutMs: TIMEOUT_MS,
      });
    case 'stripe':
      return { ok: false, message: 'not available yet: Stripe credentials are stored only' };
    default:
      return testOAuthApp(kind, settings, secrets);
  }
}

async function testOAuthApp(channel: ConnectorKind, settings: Record<string, unknown>, secrets: Record<string, string>): Promise<TestResult> {
  const adapter = socialAdapter(channel);
  if (!adapter) return { ok: false, message: 'no adapter for this network yet' };
  try {
    const result = await withTimeout(
      adapter.testApp({
        clientId: String(settings.clientId ?? ''),
        clientSecret: secrets.clientSecret ?? '',
        apiBaseUrl: typeof settings.apiBaseUrl === 'string' ? settings.apiBaseUrl : null,
        authBaseUrl: typeof settings.authBaseUrl === 'string' ? settings.authBaseUrl : null,
      }),
    );
    return { ok: result.ok === true, message: String(result.message ?? '').slice(0, 500) };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

/** The network's OAuth connector, looked up at call time in the social adapters map; none means no adapter yet. */
function socialAdapter(channel: ConnectorKind): OAuthConnector | null {
  return socialAdapters[channel as SocialChannel]?.connector ?? null;
}

async function httpCheck(url: string, headers: Record<string, string>): Promise<TestResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, message: 'invalid URL' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { ok: false, message: 'only http(s) URLs are allowed' };
  try {
    const res = await fetch(parsed, { headers, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = (await res.text()).slice(0, 2000);
    if (res.status === 200) return { ok: true, message: `HTTP 200 from ${parsed.host}` };
    return { ok: false, message: `HTTP ${res.status} from ${parsed.host}${vendorMessage(body)}` };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

/** The vendor's own error text when the body is JSON with one (`message`), for the super admin. */
function vendorMessage(body: string): string {
  try {
    const json = JSON.parse(body) as { message?: unknown };
    return typeof json.message === 'string' ? `: ${json.message.slice(0, 300)}` : '';
  } catch {
    return '';
  }
}

function base(value: unknown, fallback: string): string {
  return (typeof value === 'string' && value ? value : fallback).replace(/\/+$/, '');
}

function errorMessage(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${String(e?.message ?? err)}${cause ? ` (${cause})` : ''}`.slice(0, 500);
}

async function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), TIMEOUT_MS + 1_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
