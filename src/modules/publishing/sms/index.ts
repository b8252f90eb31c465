import { asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { Database } from '../../../adapters/db/database.js';
import type { SecretBox } from '../../../adapters/crypto/secret-box.js';
import type { Config } from '../../../config.js';
import type { Clock } from '../../../shared/clock.js';
import type { JobDefinition } from '../../../shared/jobs.js';
import type { Logger } from '../../../shared/logger.js';
import { SmsConnectors } from './connectors.js';
import { KnexSmsRepository } from './db/knex-sms-repository.js';
import { SmsInboundService } from './inbound-service.js';
import { smsPageRoutes, smsWebhookRoutes } from './routes.js';
import { SmsSender } from './sms-sender.js';
import { SmsService } from './sms-service.js';

export { smsWebhookRoutes } from './routes.js';
export type { SmsProvider, OutgoingSms, SmsSendResult, InboundSmsEvent } from './provider.js';
export { SmsSendError } from './provider.js';
export { ensureCompliantText, nextAllowedSendTime, DEFAULT_STOP_MENTION } from './rules.js';

/** SMS: provider port (Brevo, Twilio, sandbox), campaigns with consent and French quiet hours, STOP webhooks. */
export interface SmsCradle {
  smsRepository: KnexSmsRepository;
  smsConnectors: SmsConnectors;
  smsService: SmsService;
  smsSender: SmsSender;
  smsInboundService: SmsInboundService;
}

interface SmsDeps {
  database: Database;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
  config: Config;
}

export function registerSms(container: AwilixContainer): void {
  container.register({
    smsRepository: asClass(KnexSmsRepository).singleton(),
    smsConnectors: asClass(SmsConnectors).singleton(),
    smsService: asClass(SmsService).singleton(),
    smsSender: asClass(SmsSender).singleton(),
    smsInboundService: asClass(SmsInboundService).singleton(),
  });
}

/** The pages. The webhook router (`smsWebhookRoutes`) is exported apart: it must be mounted before session and CSRF. */
export function smsRoutes(cradle: SmsCradle & SmsDeps): Router {
  return smsPageRoutes(cradle);
}

export function smsJobs(cradle: SmsCradle & SmsDeps): JobDefinition[] {
  return [{ name: 'sms:send-due', every: '1 minute', run: () => cradle.smsSender.sendDue() }];
}

