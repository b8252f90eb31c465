import { type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { JobDefinition } from '../../shared/jobs.js';

/**
 * Analytics module: what the marketing brought — engagement collected from the networks, clicks and conversions,
 * reputation, brand safety, evergreen recycling, revenue correlation, the cockpit and the monthly report.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface AnalyticsCradle {}

export function registerAnalytics(container: AwilixContainer): void {
  container.register({});
}

export function analyticsRoutes(_cradle: unknown): Router {
  const router = Router();
  return router;
}

export function analyticsJobs(_cradle: unknown): JobDefinition[] {
  return [];
}
