import { Router } from 'express';
import { asClass, type AwilixContainer } from 'awilix';
import type { JobDefinition } from '../../shared/jobs.js';
import { connectorsJobs, connectorsRoutes, registerConnectors, type ConnectorsCradle } from './connectors/index.js';
import { contactsJobs, contactsRoutes, registerContacts, type ContactsCradle } from './contacts/index.js';
import { engineJobs, engineRoutes, registerEngine, type EngineCradle } from './engine/index.js';
import { linksJobs, linksRoutes, registerLinks, type LinksCradle } from './links/index.js';
import { MessageLauncher } from './message-launcher.js';
import { newsletterJobs, newsletterRoutes, registerNewsletter, type NewsletterCradle } from './newsletter/index.js';
import { registerSms, smsJobs, smsRoutes, type SmsCradle } from './sms/index.js';

export { smsWebhookRoutes } from './sms/index.js';

/** Publishing module: channel accounts and exactly-once publication, platform connectors, contacts and consent, SMS, newsletters, UTM and short links. */
export type PublishingCradle = EngineCradle & ContactsCradle & SmsCradle & LinksCradle & ConnectorsCradle & NewsletterCradle & {
  /** Sends approved SMS and newsletter contents at their slot. */
  messageLauncher: MessageLauncher;
};

export function registerPublishing(container: AwilixContainer): void {
  registerLinks(container);
  registerContacts(container);
  registerSms(container);
  registerNewsletter(container);
  registerEngine(container);
  registerConnectors(container);
  container.register({ messageLauncher: asClass(MessageLauncher).singleton() });
}

type RoutesCradle = Parameters<typeof connectorsRoutes>[0] & Parameters<typeof linksRoutes>[0] & Parameters<typeof contactsRoutes>[0] & Parameters<typeof smsRoutes>[0] & Parameters<typeof newsletterRoutes>[0] & Parameters<typeof engineRoutes>[0];
type JobsCradle = Parameters<typeof connectorsJobs>[0] & Parameters<typeof linksJobs>[0] & Parameters<typeof contactsJobs>[0] & Parameters<typeof smsJobs>[0] & Parameters<typeof newsletterJobs>[0] & Parameters<typeof engineJobs>[0];

export function publishingRoutes(cradle: RoutesCradle): Router {
  const router = Router();
  router.use(linksRoutes(cradle));
  router.use(contactsRoutes(cradle));
  router.use(smsRoutes(cradle));
  router.use(newsletterRoutes(cradle));
  router.use(engineRoutes(cradle));
  router.use(connectorsRoutes(cradle));
  return router;
}

export function publishingJobs(cradle: JobsCradle & Pick<PublishingCradle, 'messageLauncher'>): JobDefinition[] {
  return [
    { name: 'publishing:launch-due-messages', every: '1 minute', run: () => cradle.messageLauncher.run() },
    ...linksJobs(cradle),
    ...contactsJobs(cradle),
    ...smsJobs(cradle),
    ...newsletterJobs(cradle),
    ...engineJobs(cradle),
    ...connectorsJobs(cradle),
  ];
}
