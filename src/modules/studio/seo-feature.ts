import { asClass, type AwilixContainer } from 'awilix';
import type { Router } from 'express';
import { KnexSeoRepository } from './db/knex-seo-repository.js';
import { seoAnalysisRoutes } from './seo-routes.js';
import { SeoService } from './seo-service.js';

export type { DraftAnalysis, DraftInput, SeoAnalysisRecord, VersionToRecord } from './seo-service.js';
export { SeoService } from './seo-service.js';

/** SEO/GEO of the studio: the live analysis of a draft and the analysis recorded for each version. */
export interface SeoCradle {
  seoRepository: KnexSeoRepository;
  /** `analyzeDraft`, `recordForVersion`, `latestForContent` (needs `dnaService` from the brand module). */
  seoService: SeoService;
}

export function registerSeo(container: AwilixContainer): void {
  container.register({
    seoRepository: asClass(KnexSeoRepository).singleton(),
    seoService: asClass(SeoService).singleton(),
  });
}

/** `POST /app/studio/analysis` (content.write): the editor's live analysis fragment. */
export function seoRoutes(cradle: Pick<SeoCradle, 'seoService'>): Router {
  return seoAnalysisRoutes(cradle);
}
