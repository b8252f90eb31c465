import { aliasTo, asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { i18n } from 'i18next';
import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import type { JobDefinition } from '../../shared/jobs.js';
import type { Logger } from '../../shared/logger.js';
import { ApprovalReminders } from './approval-reminders.js';
import { approvalRoutes as teamRoutes } from './approval-routes.js';
import { ApprovalService } from './approval-service.js';
import { KnexApprovalRepository } from './db/knex-approval-repository.js';
import { KnexReviewerLinkRepository } from './db/knex-reviewer-link-repository.js';
import type { ApprovalGate } from './ports.js';
import { reviewRoutes } from './review-routes.js';
import { ReviewerLinkService } from './reviewer-link-service.js';

export { ApprovalService, userActor } from './approval-service.js';
export { ReviewerLinkService, hashLinkToken } from './reviewer-link-service.js';
export { ApprovalReminders } from './approval-reminders.js';
export type * from './approval-domain.js';

/** The approval queue: decisions, reviewer links, reminders, private notes. */
export interface ApprovalsCradle {
  approvalRepository: KnexApprovalRepository;
  reviewerLinkRepository: KnexReviewerLinkRepository;
  approvalService: ApprovalService;
  /** The studio's gate for auto mode: the approval service itself. */
  approvalGate: ApprovalGate;
  reviewerLinkService: ReviewerLinkService;
  approvalReminders: ApprovalReminders;
}

export function registerApprovals(container: AwilixContainer): void {
  container.register({
    approvalRepository: asClass(KnexApprovalRepository).singleton(),
    reviewerLinkRepository: asClass(KnexReviewerLinkRepository).singleton(),
    approvalService: asClass(ApprovalService).singleton(),
    approvalGate: aliasTo('approvalService'),
    reviewerLinkService: asClass(ReviewerLinkService).singleton(),
    approvalReminders: asClass(ApprovalReminders).singleton(),
  });
}

type RouteCradle = Pick<ApprovalsCradle, 'approvalService' | 'reviewerLinkService'> & { config: Config; clock: Clock; i18n: i18n };

/** `/app/approvals/*` (the team's queue, panel, notes, links) and `/review/<token>` (reviewers, no account). */
export function approvalRoutes(cradle: unknown): Router {
  const deps = cradle as RouteCradle;
  const router = Router();
  router.use(reviewRoutes(deps));
  router.use(teamRoutes(deps));
  return router;
}

export function approvalJobs(cradle: unknown): JobDefinition[] {
  const { approvalReminders, logger } = cradle as Pick<ApprovalsCradle, 'approvalReminders'> & { logger: Logger };
  return [
    {
      name: 'calendar:remind-pending-approvals',
      every: '15 minutes',
      run: async () => {
        const run = await approvalReminders.run();
        if (run.emails) logger.info(run, 'approval reminders sent');
        return run;
      },
    },
  ];
}
