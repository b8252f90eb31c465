import path from 'node:path';
import { z } from 'zod';
import type { MailAddress, SmtpConfig } from './adapters/mail/smtp-mailer.js';
import type { MediaStorageConfig } from './adapters/storage/index.js';

/** Thrown when the environment does not describe a runnable configuration; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  MONGODB_URL: z.url({ protocol: /^mongodb(\+srv)?$/, error: 'must be a mongodb:// URL' }).optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  MASTER_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal characters (32 bytes)')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO: booleanFlag.optional(),
  SECURE_COOKIES: booleanFlag.optional(),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  MISTRAL_API_KEY: z.string().min(1).optional(),
  MISTRAL_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  MEDIA_STORAGE: z.enum(['local', 's3']).default('local'),
  MEDIA_S3_BUCKET: z.string().min(1).optional(),
  MEDIA_S3_REGION: z.string().min(1).default('eu-west-3'),
  MEDIA_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  MEDIA_S3_FORCE_PATH_STYLE: booleanFlag.optional(),
  MEDIA_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  MEDIA_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  MEDIA_S3_KEY_PREFIX: z.string().optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  SMTP_REQUIRE_TLS: booleanFlag.optional(),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(3),
  SMTP_POOL_RATE: z.coerce.number().int().min(1).max(1000).default(10),
  MAIL_FROM: z.string().min(1).optional(),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_API_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  PIPELINE_RUNS_PER_WORKER: z.coerce.number().int().min(1).max(200).default(8),
  PIPELINE_AI_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(16),
  PIPELINE_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(60),
});

export type AiProviderEnv = Partial<Record<'anthropic' | 'openai' | 'mistral', { apiKey?: string; baseUrl?: string }>>;

export type Config = {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  publicUrl?: string;
  dataDir: string;
  database: { kind: 'embedded' } | { kind: 'postgres'; url: string };
  mongodbUrl?: string;
  sessionSecret?: string;
  masterKey?: string;
  logLevel: string;
  /** Demo accounts are seeded and shown on the login page. Never in production. */
  demo: boolean;
  secureCookies: boolean;
  loginRateLimit: number;
  dbPoolMax: number;
  /** Provider keys and base URLs from the environment; keys stored by the super admin take precedence. */
  aiProviders: AiProviderEnv;
  /** Where media files live: local disk under DATA_DIR/media (default) or an S3-compatible bucket. */
  mediaStorage: MediaStorageConfig;
  /** Outgoing e-mail: the sender, and the SMTP server when there is one (otherwise the sandbox records messages). */
  mail: { from: MailAddress; smtp?: SmtpConfig };
  /**
   * Monthly pipeline workers: runs driven at once by one worker, generation calls in flight at once per worker (the
   * provider concurrency the throughput is bounded by), and the lease after which a silent worker's step is taken over.
   */
  pipeline: { runsPerWorker: number; aiConcurrency: number; leaseMs: number };
  /** Card payments when the super admin has not stored a Stripe connector (the connector takes precedence). */
  stripe?: { secretKey: string; webhookSecret?: string; apiBaseUrl?: string };
};

const DEFAULT_MAIL_FROM = 'Cadence <no-reply@cadence.test>';

/** The one place that reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
    );
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && e.DEMO) {
    throw new ConfigError([{ variable: 'DEMO', message: 'demo accounts cannot be enabled in production' }]);
  }
  if (e.MEDIA_STORAGE === 's3' && !e.MEDIA_S3_BUCKET) {
    throw new ConfigError([{ variable: 'MEDIA_S3_BUCKET', message: 'is required when MEDIA_STORAGE=s3' }]);
  }
  if (Boolean(e.MEDIA_S3_ACCESS_KEY_ID) !== Boolean(e.MEDIA_S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError([{ variable: 'MEDIA_S3_SECRET_ACCESS_KEY', message: 'MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together' }]);
  }
  if (e.SMTP_URL && !e.MAIL_FROM) {
    throw new ConfigError([{ variable: 'MAIL_FROM', message: 'is required when SMTP_URL is set' }]);
  }
  const mailFrom = parseMailAddress(e.MAIL_FROM ?? DEFAULT_MAIL_FROM);
  if (!mailFrom) {
    throw new ConfigError([{ variable: 'MAIL_FROM', message: 'must be an address, optionally with a name: Cadence <no-reply@example.com>' }]);
  }
  if (e.NODE_ENV === 'production' && !e.SESSION_SECRET) {
    throw new ConfigError([{ variable: 'SESSION_SECRET', message: 'is required in production' }]);
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    dataDir: path.resolve(e.DATA_DIR),
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'embedded' },
    mongodbUrl: e.MONGODB_URL,
    sessionSecret: e.SESSION_SECRET,
    masterKey: e.MASTER_KEY,
    logLevel: e.LOG_LEVEL,
    demo: e.NODE_ENV !== 'production' && (e.DEMO ?? true),
    secureCookies: e.SECURE_COOKIES ?? e.NODE_ENV === 'production',
    loginRateLimit: e.LOGIN_RATE_LIMIT,
    dbPoolMax: e.DB_POOL_MAX,
    aiProviders: {
      anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL },
      openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL },
      mistral: { apiKey: e.MISTRAL_API_KEY, baseUrl: e.MISTRAL_BASE_URL },
    },
    mediaStorage:
      e.MEDIA_STORAGE === 's3'
        ? {
            kind: 's3',
            s3: {
              bucket: e.MEDIA_S3_BUCKET!,
              region: e.MEDIA_S3_REGION,
              endpoint: e.MEDIA_S3_ENDPOINT,
              forcePathStyle: e.MEDIA_S3_FORCE_PATH_STYLE ?? Boolean(e.MEDIA_S3_ENDPOINT),
              credentials: e.MEDIA_S3_ACCESS_KEY_ID ? { accessKeyId: e.MEDIA_S3_ACCESS_KEY_ID, secretAccessKey: e.MEDIA_S3_SECRET_ACCESS_KEY! } : undefined,
              keyPrefix: e.MEDIA_S3_KEY_PREFIX,
            },
          }
        : { kind: 'local' },
    stripe: e.STRIPE_SECRET_KEY ? { secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET, apiBaseUrl: e.STRIPE_API_BASE_URL } : undefined,
    pipeline: { runsPerWorker: e.PIPELINE_RUNS_PER_WORKER, aiConcurrency: e.PIPELINE_AI_CONCURRENCY, leaseMs: e.PIPELINE_LEASE_SECONDS * 1000 },
    mail: {
      from: mailFrom,
      smtp: e.SMTP_URL
        ? smtpConfig(e.SMTP_URL, {
            requireTls: e.SMTP_REQUIRE_TLS ?? e.NODE_ENV === 'production',
            maxConnections: e.SMTP_POOL_SIZE,
            rateLimit: e.SMTP_POOL_RATE,
            clientName: e.PUBLIC_URL ? new URL(e.PUBLIC_URL).hostname : undefined,
          })
        : undefined,
    },
  };
}

function smtpConfig(url: string, options: Omit<SmtpConfig, 'host' | 'port' | 'secure' | 'auth'>): SmtpConfig {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  const user = decodeURIComponent(parsed.username);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    auth: user ? { user, pass: decodeURIComponent(parsed.password) } : undefined,
    ...options,
  };
}

/** `no-reply@example.com`, `Cadence <no-reply@example.com>` or `"Cadence, Paris" <no-reply@example.com>`. */
function parseMailAddress(value: string): MailAddress | undefined {
  const match = /^\s*(?:([^<>]*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*$/.exec(value);
  if (!match) return undefined;
  const address = match[2] ?? match[3];
  if (!z.email().safeParse(address).success) return undefined;
  const name = match[1]?.replace(/^"(.*)"$/, '$1').trim();
  return name ? { name, address } : { address };
}
