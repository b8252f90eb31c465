import { asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { JobDefinition } from '../../shared/jobs.js';
import type { Logger } from '../../shared/logger.js';
import { CampaignService } from './campaign-service.js';
import { ContentService } from './content-service.js';
import { KnexCampaignRepository } from './db/knex-campaign-repository.js';
import { KnexContentRepository } from './db/knex-content-repository.js';
import { editorRoutes } from './editor-routes.js';
import { registerSeo, seoRoutes, type SeoCradle } from './seo-feature.js';

export type * from './domain.js';
export { ContentService } from './content-service.js';

/** Studio module: contents, their versions and brand-safety verdicts, generation, SEO/GEO analysis. */
export interface StudioCradle extends SeoCradle {
  contentRepository: KnexContentRepository;
  contentService: ContentService;
  campaignRepository: KnexCampaignRepository;
  campaignService: CampaignService;
}

export function registerStudio(container: AwilixContainer): void {
  container.register({
    contentRepository: asClass(KnexContentRepository).singleton(),
    contentService: asClass(ContentService).singleton(),
    campaignRepository: asClass(KnexCampaignRepository).singleton(),
    campaignService: asClass(CampaignService).singleton(),
  });
  registerSeo(container);
}

export function studioRoutes(cradle: Parameters<typeof seoRoutes>[0] & Parameters<typeof editorRoutes>[0]): Router {
  const router = Router();
  router.use(seoRoutes(cradle));
  router.use(editorRoutes(cradle));
  return router;
}

export function studioJobs(cradle: StudioCradle & { logger: Logger }): JobDefinition[] {
  return [
    {
      name: 'studio:release-stalled-generations',
      every: '5 minutes',
      run: async () => {
        const released = await cradle.contentService.releaseStalledGenerations();
        if (released) cradle.logger.warn({ released }, 'contents left generating were released');
        return { released };
      },
    },
  ];
}
