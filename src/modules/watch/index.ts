import { type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { JobDefinition } from '../../shared/jobs.js';

export type * from './domain.js';

/** Watch module: competitors' feeds and pages polled politely, changes classified, alerts, and answers in the studio. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface WatchCradle {}

export function registerWatch(container: AwilixContainer): void {
  container.register({});
}

export function watchRoutes(_cradle: unknown): Router {
  const router = Router();
  return router;
}

export function watchJobs(_cradle: unknown): JobDefinition[] {
  return [];
}
