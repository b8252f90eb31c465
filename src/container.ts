import { aliasTo, asFunction, asValue, createContainer, InjectionMode, type AwilixContainer, type Resolver } from 'awilix';
import type { i18n } from 'i18next';
import type { Knex } from 'knex';
import type { Config } from './config.js';
import { Database, type DatabaseKind } from './adapters/db/database.js';
import { createKnex } from './adapters/db/knex.js';
import { loadOrCreateSecret } from './adapters/crypto/local-secrets.js';
import { SecretBox } from './adapters/crypto/secret-box.js';
import { SandboxMailer } from './adapters/mail/sandbox-mailer.js';
import { SmtpMailer } from './adapters/mail/smtp-mailer.js';
import { systemClock, type Clock } from './shared/clock.js';
import { createI18n } from './shared/i18n.js';
import type { JobDefinition } from './shared/jobs.js';
import { createLogger, type Logger } from './shared/logger.js';
import type { Mailer } from './shared/mailer.js';
import { aiJobs, registerAi, type AiCradle } from './modules/ai/index.js';
import { analyticsJobs, registerAnalytics, type AnalyticsCradle } from './modules/analytics/index.js';
import { billingJobs, registerBilling, type BillingCradle } from './modules/billing/index.js';
import { brandJobs, registerBrand, type BrandCradle } from './modules/brand/index.js';
import { calendarJobs, registerCalendar, type CalendarCradle } from './modules/calendar/index.js';
import { pipelineJobs, registerPipeline, type PipelineCradle } from './modules/pipeline/index.js';
import { publishingJobs, registerPublishing, type PublishingCradle } from './modules/publishing/index.js';
import { registerStudio, studioJobs, type StudioCradle } from './modules/studio/index.js';
import { registerTenancy, tenancyJobs, type TenancyCradle } from './modules/tenancy/index.js';
import { registerWatch, watchJobs, type WatchCradle } from './modules/watch/index.js';

export interface KernelCradle {
  config: Config;
  logger: Logger;
  clock: Clock;
  i18n: i18n;
  knex: Knex;
  database: Database;
  sessionSecret: string;
  /** Encrypts secrets at rest (AES-256-GCM) under MASTER_KEY, or a key generated once into DATA_DIR. */
  secretBox: SecretBox;
  /** Outgoing e-mail: SMTP when SMTP_URL is set, otherwise the sandbox (recorded in `sandbox_deliveries`). */
  mailer: Mailer;
}

export type Cradle = KernelCradle & TenancyCradle & AiCradle & BillingCradle & BrandCradle & StudioCradle & CalendarCradle & PublishingCradle & PipelineCradle & WatchCradle & AnalyticsCradle;

export interface DatabaseTarget {
  url: string;
  kind: DatabaseKind;
}

/** The composition root: the only place that picks concrete adapters. Tests pass overrides (a frozen clock…). */
export function buildContainer(
  config: Config,
  db: DatabaseTarget,
  overrides: Partial<Record<keyof Cradle, Resolver<unknown>>> = {},
): AwilixContainer<Cradle> {
  const container = createContainer<Cradle>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    config: asValue(config),
    logger: asValue(createLogger(config.logLevel)),
    clock: asValue(systemClock),
    i18n: asFunction(createI18n).singleton(),
    knex: asFunction(() => createKnex({ url: db.url, poolMax: config.dbPoolMax, asAppRole: true }))
      .singleton()
      .disposer((knex) => knex.destroy()),
    database: asFunction(({ knex }: { knex: Knex }) => new Database(knex, db.kind)).singleton(),
    sessionSecret: asFunction(() => config.sessionSecret ?? loadOrCreateSecret(config.dataDir, 'session-secret')).singleton(),
    secretBox: asFunction(() => new SecretBox(config.masterKey ?? loadOrCreateSecret(config.dataDir, 'master-key'))).singleton(),
    mailer: config.mail.smtp
      ? asFunction(({ logger }: { logger: Logger }) => new SmtpMailer({ smtp: config.mail.smtp!, from: config.mail.from, logger }))
          .singleton()
          .disposer((mailer) => mailer.close())
      : asFunction(({ database }: { database: Database }) => new SandboxMailer({ database })).singleton(),
  });
  registerTenancy(container);
  registerBilling(container);
  // Cross-module ports, wired here: the AI gateway pays with billing's credit ledger.
  container.register({ creditCharger: aliasTo('creditLedger') });
  registerAi(container);
  registerBrand(container);
  registerStudio(container);
  registerCalendar(container);
  registerPublishing(container);
  registerWatch(container);
  registerPipeline(container);
  registerAnalytics(container);
  container.register(overrides as Record<string, Resolver<unknown>>);
  return container;
}

export function allJobs(cradle: Cradle): JobDefinition[] {
  return [...tenancyJobs(cradle), ...aiJobs(cradle), ...billingJobs(cradle), ...brandJobs(cradle), ...studioJobs(cradle), ...calendarJobs(cradle), ...publishingJobs(cradle), ...pipelineJobs(cradle), ...watchJobs(cradle), ...analyticsJobs(cradle)];
}
