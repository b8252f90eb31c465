import { Router } from 'express';
import type { AwilixContainer } from 'awilix';
import type { JobDefinition } from '../../shared/jobs.js';
import { approvalJobs, approvalRoutes, registerApprovals, type ApprovalsCradle } from './approvals.js';
import { calendarViewJobs, calendarViewRoutes, registerCalendarViews, type CalendarViewsCradle } from './calendar.js';

/** Calendar module: where contents sit in time (slots, views, iCalendar feeds) and who approved them. */
export type CalendarCradle = CalendarViewsCradle & ApprovalsCradle;

export function registerCalendar(container: AwilixContainer): void {
  registerCalendarViews(container);
  registerApprovals(container);
}

export function calendarRoutes(cradle: Parameters<typeof calendarViewRoutes>[0] & Parameters<typeof approvalRoutes>[0]): Router {
  const router = Router();
  router.use(calendarViewRoutes(cradle));
  router.use(approvalRoutes(cradle));
  return router;
}

export function calendarJobs(cradle: Parameters<typeof calendarViewJobs>[0] & Parameters<typeof approvalJobs>[0]): JobDefinition[] {
  return [...calendarViewJobs(cradle), ...approvalJobs(cradle)];
}
