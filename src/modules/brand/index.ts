import { asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { AiGateway } from '../ai/gateway.js';
import type { Logger } from '../../shared/logger.js';
import { KnexBrandDnaRepository } from './db/knex-brand-dna-repository.js';
import { dnaRoutes } from './dna-routes.js';
import { DnaService } from './dna-service.js';
import type { JobDefinition } from '../../shared/jobs.js';
import { mediaPublicRoutes, mediaRoutes, registerMedia, type MediaCradle } from './media.js';
import { onboardingJobs, onboardingRoutes, registerOnboarding, type OnboardingCradle } from './onboarding.js';

export type { BrandContext, DnaExtractRequest, DnaInput, DnaEditResult } from './dna-service.js';
export type { BrandDna, DnaSnapshot, DnaSources, DnaVersionSummary } from './domain.js';
export type { DnaChange } from './dna-diff.js';
export { DnaService } from './dna-service.js';

/** Brand module: versioned brand DNA (onboarding wizard and media library register next to it). */
export interface BrandDnaCradle {
  brandDnaRepository: KnexBrandDnaRepository;
  dnaService: DnaService;
}

export type BrandCradle = BrandDnaCradle & MediaCradle & OnboardingCradle;

/** The brand DNA: repository and service (`dnaService`: snapshots, edit, restore, diff, extract, tenantContext). */
export function registerBrandDna(container: AwilixContainer): void {
  container.register({
    brandDnaRepository: asClass(KnexBrandDnaRepository).singleton(),
    dnaService: asClass(DnaService).singleton(),
  });
}

/** The whole brand module: DNA, media library (its storage serves onboarding uploads too), guided onboarding. */
export function registerBrand(container: AwilixContainer): void {
  registerBrandDna(container);
  registerMedia(container);
  registerOnboarding(container);
}

export function brandJobs(cradle: BrandCradle): JobDefinition[] {
  return onboardingJobs(cradle);
}

/** `/app/brand` (overview) and `/app/brand/dna/*`. Mount before the portal router. */
export function brandDnaRoutes(cradle: BrandDnaCradle): Router {
  return dnaRoutes(cradle);
}

export function brandRoutes(cradle: BrandCradle & { aiGateway: AiGateway; logger: Logger }): Router {
  const router = Router();
  router.use(onboardingRoutes(cradle));
  router.use(brandDnaRoutes(cradle));
  router.use(mediaRoutes(cradle));
  router.use(mediaPublicRoutes(cradle));
  return router;
}
