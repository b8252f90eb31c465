import { asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { Clock } from '../../shared/clock.js';
import type { JobDefinition } from '../../shared/jobs.js';
import type { Logger } from '../../shared/logger.js';
import { BusinessMetricImportService } from './business-metric-import.js';
import { BusinessMetricService } from './business-metric-service.js';
import { KnexBusinessMetricRepository } from './db/knex-business-metric-repository.js';
import { KnexReportRepository } from './db/knex-report-repository.js';
import { ReportFiguresService } from './report-figures.js';
import { reportRoutes } from './report-routes.js';
import { ReportService } from './report-service.js';
import { revenueRoutes as revenuePages } from './revenue-routes.js';
import { RevenueService } from './revenue-service.js';

/** Business metrics and their correlation with the marketing (`/app/revenue`), and the client's reports (`/app/reports`). */
export interface RevenueCradle {
  businessMetricRepository: KnexBusinessMetricRepository;
  businessMetricService: BusinessMetricService;
  businessMetricImportService: BusinessMetricImportService;
  reportRepository: KnexReportRepository;
  /** The one aggregation of a period's marketing figures (report, revenue page, cockpit). */
  reportFigures: ReportFiguresService;
  revenueService: RevenueService;
  reportService: ReportService;
}

export function registerRevenue(container: AwilixContainer): void {
  container.register({
    businessMetricRepository: asClass(KnexBusinessMetricRepository).singleton(),
    businessMetricService: asClass(BusinessMetricService).singleton(),
    businessMetricImportService: asClass(BusinessMetricImportService).singleton(),
    reportRepository: asClass(KnexReportRepository).singleton(),
    reportFigures: asClass(ReportFiguresService).singleton(),
    revenueService: asClass(RevenueService).singleton(),
    reportService: asClass(ReportService).singleton(),
  });
}

export function revenueRoutes(cradle: unknown): Router {
  const deps = cradle as RevenueCradle & { clock: Clock };
  const router = Router();
  router.use(revenuePages(deps));
  router.use(reportRoutes(deps));
  return router;
}

export function revenueJobs(cradle: unknown): JobDefinition[] {
  const { reportService, logger } = cradle as RevenueCradle & { logger: Logger };
  return [
    {
      // daily: each tenant's month ends in its own zone; the report waits for the networks' figures (see ReportService)
      name: 'analytics:generate-monthly-reports',
      every: '0 6 * * *',
      timezone: 'Europe/Paris',
      run: async () => {
        const run = await reportService.runMonthly();
        if (run.created || run.generated || run.failed) logger.info(run, 'monthly reports');
        return run;
      },
    },
  ];
}
