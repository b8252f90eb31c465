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

export function calendarRoutes(cradle: unknown): Router {
  const router = Router();
  router.use(calendarViewRoutes(cradle));
  router.use(approvalRoutes(cradle));
  return router;
}

export function calendarJobs(cradle: unknown): JobDefinition[] {
  return [...calendarViewJobs(cradle), ...approvalJobs(cradle)];
}
