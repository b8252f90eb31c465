import { asClass, type AwilixContainer } from 'awilix';
import type { Router } from 'express';
import type { JobDefinition } from '../../../shared/jobs.js';
import type { ContactService } from '../contacts/contact-service.js';
import { KnexNewsletterRepository } from './db/knex-newsletter-repository.js';
import { NewsletterSender } from './newsletter-sender.js';
import { NewsletterService } from './newsletter-service.js';
import { newsletterPageRoutes } from './routes.js';

export { renderNewsletter, personalise, UNSUBSCRIBE_MARKER } from './render.js';
export { NewsletterService } from './newsletter-service.js';
export { NewsletterSender, type SendDueReport } from './newsletter-sender.js';
export type { Newsletter, NewsletterRecipient, RecipientCounts } from './domain.js';

/** Newsletter: rendering of a studio content into an e-mail, paced sending over the mail port, progress. */
export interface NewsletterCradle {
  newsletterRepository: KnexNewsletterRepository;
  newsletterService: NewsletterService;
  newsletterSender: NewsletterSender;
}

/** Needs: database, clock, logger, i18n, mailer, contactService (contacts area), linkTagger (links area). */
export function registerNewsletter(container: AwilixContainer): void {
  container.register({
    newsletterRepository: asClass(KnexNewsletterRepository).singleton(),
    newsletterService: asClass(NewsletterService).singleton(),
    newsletterSender: asClass(NewsletterSender).singleton(),
  });
}

export function newsletterRoutes(cradle: NewsletterCradle & { contactService: ContactService }): Router {
  return newsletterPageRoutes(cradle);
}

export function newsletterJobs(cradle: NewsletterCradle): JobDefinition[] {
  return [{ name: 'newsletter:send-due', every: '1 minute', run: () => cradle.newsletterSender.sendDue() }];
}
