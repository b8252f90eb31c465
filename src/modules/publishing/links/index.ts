import { asClass, type AwilixContainer } from 'awilix';
import type { Router } from 'express';
import type { JobDefinition } from '../../../shared/jobs.js';
import type { LinkTagger } from '../ports.js';
import { KnexShortLinkRepository } from './db/knex-short-link-repository.js';
import type { ShortLinkRepository } from './link-ports.js';
import { ShortLinkTagger } from './link-tagger.js';
import { linksRoutes as buildLinksRoutes, type LinksRouteDeps } from './links-routes.js';
import { ShortLinkService } from './short-link-service.js';
import { VisitorHasher } from './visitor-hasher.js';

export { findLinks, tagUrl, utmMediumOf, type UtmParams } from './utm.js';
export { ShortLinkService } from './short-link-service.js';

/** UTM tagging and tenant short links `/r/<code>` with click counting (issue 6, §4.4). */
export interface LinksCradle {
  shortLinkRepository: ShortLinkRepository;
  visitorHasher: VisitorHasher;
  shortLinkService: ShortLinkService;
  /** The `LinkTagger` port (ports.ts): tags and shortens every link of a text before it leaves. */
  linkTagger: LinkTagger;
}

export function registerLinks(container: AwilixContainer): void {
  container.register({
    shortLinkRepository: asClass(KnexShortLinkRepository).singleton(),
    visitorHasher: asClass(VisitorHasher).singleton(),
    shortLinkService: asClass(ShortLinkService)
      .singleton()
      .disposer((service) => service.settled()),
    linkTagger: asClass(ShortLinkTagger).singleton(),
  });
}

export function linksRoutes(cradle: LinksRouteDeps): Router {
  return buildLinksRoutes(cradle);
}

/** No job: links are tagged when the engine publishes, clicks are recorded by the redirect. */
export function linksJobs(_cradle: LinksCradle): JobDefinition[] {
  return [];
}
