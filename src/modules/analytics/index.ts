import { asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { JobDefinition } from '../../shared/jobs.js';
import { brandSafetyRoutes } from './brand-safety-routes.js';
import { BrandSafetyService } from './brand-safety-service.js';
import { KnexBrandSafetyRepository } from './db/knex-brand-safety-repository.js';
import { KnexEvergreenRepository } from './db/knex-evergreen-repository.js';
import { KnexReviewRepository } from './db/knex-review-repository.js';
import { evergreenRoutes } from './evergreen-routes.js';
import { EvergreenService } from './evergreen-service.js';
import { ReviewReplyService } from './review-reply-service.js';
import { reviewRoutes } from './review-routes.js';
import { ReviewService } from './review-service.js';
import { ReviewSources } from './review-sources.js';
import { ReviewSync } from './review-sync.js';
import { cockpitRoutes, type CockpitRouteDeps } from './cockpit-routes.js';
import { CockpitService } from './cockpit-service.js';
import { KnexCockpitRepository } from './db/knex-cockpit-repository.js';
import { registerRevenue, revenueJobs, revenueRoutes, type RevenueCradle } from './revenue-module.js';
import { KnexEngagementRepository } from './db/knex-engagement-repository.js';
import { EngagementCollector } from './engagement-collector.js';
import { ConversionKeys } from './conversions-key.js';
import { conversionPageRoutes } from './conversions-routes.js';
import { ConversionService } from './conversions-service.js';
import { KnexConversionRepository } from './db/knex-conversion-repository.js';

/** The public conversion endpoint and pixel (`/c/<key>`): mounted by the app before the session middleware. */
export { conversionEndpointRoutes } from './conversions-routes.js';

/**
 * Analytics module: what the marketing brought — engagement collected from the networks, clicks and conversions,
 * reputation, brand safety, evergreen recycling, revenue correlation, the cockpit and the monthly report.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface AnalyticsCradle extends RevenueCradle {
  /** Reputation (`/app/reputation`): reviews, their sync from Google Business Profile, AI-drafted replies. */
  reviewRepository: KnexReviewRepository;
  reviewSources: ReviewSources;
  reviewService: ReviewService;
  reviewReplyService: ReviewReplyService;
  reviewSync: ReviewSync;
  /** Brand-safety flags and decisions (`/app/brand-safety`). */
  brandSafetyRepository: KnexBrandSafetyRepository;
  brandSafetyService: BrandSafetyService;
  /** Evergreen proposals, refreshed through the studio (`/app/evergreen`). */
  evergreenRepository: KnexEvergreenRepository;
  evergreenService: EvergreenService;
  /** The cockpit (`/app`): its read model and the service that puts its sections together. */
  cockpitRepository: KnexCockpitRepository;
  cockpitService: CockpitService;
  /** Engagement read from the networks every 6 hours (`engagement_metrics`, `channel_metrics`). */
  engagementRepository: KnexEngagementRepository;
  engagementCollector: EngagementCollector;
  /** Conversions reported by the client's site under its signed key (`/c/<key>`, `/app/conversions`). */
  conversionKeys: ConversionKeys;
  conversionRepository: KnexConversionRepository;
  conversionService: ConversionService;
}

export function registerAnalytics(container: AwilixContainer): void {
  container.register({
    reviewRepository: asClass(KnexReviewRepository).singleton(),
    reviewSources: asClass(ReviewSources).singleton(),
    reviewService: asClass(ReviewService).singleton(),
    reviewReplyService: asClass(ReviewReplyService).singleton(),
    reviewSync: asClass(ReviewSync).singleton(),
    brandSafetyRepository: asClass(KnexBrandSafetyRepository).singleton(),
    brandSafetyService: asClass(BrandSafetyService).singleton(),
    evergreenRepository: asClass(KnexEvergreenRepository).singleton(),
    evergreenService: asClass(EvergreenService).singleton(),
    cockpitRepository: asClass(KnexCockpitRepository).singleton(),
    cockpitService: asClass(CockpitService).singleton(),
    engagementRepository: asClass(KnexEngagementRepository).singleton(),
    engagementCollector: asClass(EngagementCollector).singleton(),
    conversionKeys: asClass(ConversionKeys).singleton(),
    conversionRepository: asClass(KnexConversionRepository).singleton(),
    conversionService: asClass(ConversionService).singleton(),
  });
  registerRevenue(container);
}

export function analyticsRoutes(_cradle: unknown): Router {
  const router = Router();
  router.use(reviewRoutes(_cradle as AnalyticsCradle));
  router.use(brandSafetyRoutes(_cradle as AnalyticsCradle));
  router.use(evergreenRoutes(_cradle as AnalyticsCradle));
  router.use(cockpitRoutes(_cradle as CockpitRouteDeps));
  router.use(revenueRoutes(_cradle));
  router.use(conversionPageRoutes(_cradle as Parameters<typeof conversionPageRoutes>[0]));
  return router;
}

export function analyticsJobs(_cradle: unknown): JobDefinition[] {
  return [
    { name: 'analytics:sync-reviews', every: '6 hours', run: () => (_cradle as AnalyticsCradle).reviewSync.run() },
    ...revenueJobs(_cradle),
    { name: 'analytics:collect-engagement', every: '6 hours', run: () => (_cradle as AnalyticsCradle).engagementCollector.collectAll() },
  ];
}
