import { asClass, asFunction, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { Config } from '../../config.js';
import type { JobDefinition } from '../../shared/jobs.js';
import { Semaphore } from '../../shared/semaphore.js';
import type { Logger } from '../../shared/logger.js';
import { KnexPerformanceRepository } from './db/knex-performance-repository.js';
import { KnexPipelineRepository } from './db/knex-pipeline-repository.js';
import { KnexMonthlySessionRepository } from './db/knex-session-repository.js';
import { KnexPlanRepository } from './db/knex-plan-repository.js';
import type { StepHandler } from './ports.js';
import { pipelineAdminRoutes, pipelineRunRoutes, type PipelineRouteDeps } from './routes.js';
import { PipelineService } from './run-service.js';
import { PipelineSettingsService } from './settings-service.js';
import { SessionReminders } from './session-reminders.js';
import { sessionRoutes } from './session-routes.js';
import { MonthlySessionService } from './session-service.js';
import { PipelineRunner } from './runner.js';
import { AnalyticsStep } from './steps/analytics-step.js';
import { DnaMergeStep } from './steps/dna-merge-step.js';
import { GenerationStep } from './steps/generation-step.js';
import { IngestionStep } from './steps/ingestion-step.js';
import { PlanningStep } from './steps/planning-step.js';
import { PublicationStep } from './steps/publication-step.js';
import { SessionStep } from './steps/session-step.js';

export type * from './domain.js';
export { PipelineService } from './run-service.js';
export { PipelineRunner } from './runner.js';

/** Pipeline module: the monthly run (session → ingestion → DNA merge → planning → generation → publication → analytics). */
export interface PipelineCradle {
  pipelineRepository: KnexPipelineRepository;
  pipelineService: PipelineService;
  performanceRepository: KnexPerformanceRepository;
  planRepository: KnexPlanRepository;
  monthlySessionRepository: KnexMonthlySessionRepository;
  monthlySessionService: MonthlySessionService;
  sessionReminders: SessionReminders;
  pipelineSettingsService: PipelineSettingsService;
  pipelineRunner: PipelineRunner;
  /** AI calls in flight at once for this worker's runs (the provider concurrency the throughput is bounded by). */
  pipelineAiLimiter: Semaphore;
  sessionStep: SessionStep;
  ingestionStep: IngestionStep;
  dnaMergeStep: DnaMergeStep;
  planningStep: PlanningStep;
  generationStep: GenerationStep;
  publicationStep: PublicationStep;
  analyticsStep: AnalyticsStep;
  /** The seven steps, as the runner executes them. */
  pipelineSteps: StepHandler[];
}

export function registerPipeline(container: AwilixContainer): void {
  container.register({
    pipelineRepository: asClass(KnexPipelineRepository).singleton(),
    pipelineAiLimiter: asFunction(({ config }: { config: Config }) => new Semaphore(config.pipeline.aiConcurrency)).singleton(),
    pipelineService: asClass(PipelineService).singleton(),
    performanceRepository: asClass(KnexPerformanceRepository).singleton(),
    planRepository: asClass(KnexPlanRepository).singleton(),
    monthlySessionRepository: asClass(KnexMonthlySessionRepository).singleton(),
    monthlySessionService: asClass(MonthlySessionService).singleton(),
    sessionReminders: asClass(SessionReminders).singleton(),
    pipelineSettingsService: asClass(PipelineSettingsService).singleton(),
    pipelineRunner: asClass(PipelineRunner)
      .singleton()
      .disposer((runner) => runner.stop()),
    sessionStep: asClass(SessionStep).singleton(),
    ingestionStep: asClass(IngestionStep).singleton(),
    dnaMergeStep: asClass(DnaMergeStep).singleton(),
    planningStep: asClass(PlanningStep).singleton(),
    generationStep: asClass(GenerationStep).singleton(),
    publicationStep: asClass(PublicationStep).singleton(),
    analyticsStep: asClass(AnalyticsStep).singleton(),
    pipelineSteps: asFunction((c: PipelineCradle) => [
      c.sessionStep,
      c.ingestionStep,
      c.dnaMergeStep,
      c.planningStep,
      c.generationStep,
      c.publicationStep,
      c.analyticsStep,
    ]).singleton(),
  });
}

export function pipelineRoutes(cradle: PipelineRouteDeps & Parameters<typeof sessionRoutes>[0]): Router {
  const router = Router();
  router.use(sessionRoutes(cradle));
  router.use(pipelineRunRoutes(cradle));
  router.use(pipelineAdminRoutes(cradle));
  return router;
}

export function pipelineJobs(cradle: PipelineCradle & { logger: Logger }): JobDefinition[] {
  return [
    {
      name: 'pipeline:start-due-runs',
      every: '15 minutes',
      run: async () => {
        const summary = await cradle.pipelineService.startDueRuns();
        if (summary.started || summary.refused || summary.failed) cradle.logger.info(summary, 'pipeline: scheduled runs');
        return summary;
      },
    },
    {
      name: 'pipeline:advance-runs',
      every: '15 seconds',
      run: () => cradle.pipelineRunner.tick(),
    },
    {
      name: 'pipeline:remind-sessions',
      every: '1 hour',
      run: () => cradle.sessionReminders.run(),
    },
  ];
}
