import { asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { Config } from '../../../config.js';
import type { JobDefinition } from '../../../shared/jobs.js';
import { ContactService } from './contact-service.js';
import { KnexContactRepository } from './db/knex-contact-repository.js';
import { ContactImportService } from './import-service.js';
import { contactPublicRoutes } from './public-routes.js';
import { contactRoutes } from './routes.js';
import { UnsubscribeTokens } from './unsubscribe-token.js';

export { ContactService } from './contact-service.js';
export { ContactImportService } from './import-service.js';
export { normalizePhone } from './phone.js';
export { normalizeEmail } from './email.js';
export type { Recipient, Contact, ContactList, ConsentMedium } from './domain.js';

/** Contacts, consent, lists, CSV import/export, double opt-in and one-click unsubscribe. */
export interface ContactsCradle {
  contactRepository: KnexContactRepository;
  contactService: ContactService;
  contactImportService: ContactImportService;
  unsubscribeTokens: UnsubscribeTokens;
}

/** Needs from the kernel: database, clock, mailer, i18n, config, sessionSecret (the unsubscribe-link key derives from it). */
export function registerContacts(container: AwilixContainer): void {
  container.register({
    contactRepository: asClass(KnexContactRepository).singleton(),
    unsubscribeTokens: asClass(UnsubscribeTokens).singleton(),
    contactService: asClass(ContactService).singleton(),
    contactImportService: asClass(ContactImportService).singleton(),
  });
}

export function contactsRoutes(cradle: ContactsCradle & { config: Config }): Router {
  const router = Router();
  router.use(contactPublicRoutes(cradle));
  router.use(contactRoutes(cradle));
  return router;
}

export function contactsJobs(_cradle: ContactsCradle): JobDefinition[] {
  return [];
}
