import { Router } from 'express';
import type { AwilixContainer } from 'awilix';
import type { JobDefinition } from '../../../shared/jobs.js';

// STUB — filled by the platform connectors work. Keep these four exported names.
export interface ConnectorsCradle {}
export function registerConnectors(_container: AwilixContainer): void {}
export function connectorsRoutes(_cradle: unknown): Router {
  return Router();
}
export function connectorsJobs(_cradle: unknown): JobDefinition[] {
  return [];
}
