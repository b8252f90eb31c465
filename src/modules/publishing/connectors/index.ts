import { asClass, type AwilixContainer } from 'awilix';
import type { Router } from 'express';
import type { JobDefinition } from '../../../shared/jobs.js';
import { ConnectorService } from './connector-service.js';
import { KnexPlatformConnectorRepository } from './db/knex-platform-connector-repository.js';
import { connectorRoutes } from './routes.js';

export { ConnectorService, type ConnectorView, type PlanConnectorsView } from './connector-service.js';
export { testConnector, type TestResult } from './connection-testers.js';
export { CONNECTOR_KINDS, PLAN_CODES, type ConnectorKind } from './kinds.js';

/**
 * Platform connectors: the super admin's OAuth apps per network, SMS and SMTP accounts and Stripe keys
 * (`platform_connectors`, secrets sealed), their connection tests, the plans' connector lists, and the client's
 * view of what its plan includes. The SMS area and the OAuth flow read the rows this area writes.
 */
export interface ConnectorsCradle {
  platformConnectorRepository: KnexPlatformConnectorRepository;
  connectorService: ConnectorService;
}

export function registerConnectors(container: AwilixContainer): void {
  container.register({
    platformConnectorRepository: asClass(KnexPlatformConnectorRepository).singleton(),
    connectorService: asClass(ConnectorService).singleton(),
  });
}

/** `/admin/connectors/*` (super admin) and `/app/channels/plan` (client fragment). */
export function connectorsRoutes(cradle: Pick<ConnectorsCradle, 'connectorService'>): Router {
  return connectorRoutes(cradle);
}

export function connectorsJobs(_cradle: object): JobDefinition[] {
  return [];
}
