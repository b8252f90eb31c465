import { asClass, type AwilixContainer } from 'awilix';
import type { Router } from 'express';
import type { JobDefinition } from '../../../shared/jobs.js';
import type { Logger } from '../../../shared/logger.js';
import type { PublisherRegistry } from '../ports.js';
import { ChannelAccountService } from './channel-account-service.js';
import { KnexChannelAccountRepository } from './db/knex-channel-account-repository.js';
import { KnexPublicationRepository } from './db/knex-publication-repository.js';
import { PublicationFailureAlert } from './failure-alert.js';
import { OutboxRelay } from './outbox-relay.js';
import { PublicationPlanner } from './publication-planner.js';
import { engineRoutes as buildEngineRoutes } from './routes.js';
import { EnginePublisherRegistry } from './sandbox-publisher.js';

export { OutboxRelay, type RelayRun } from './outbox-relay.js';
export { PublicationPlanner, type PlanRun } from './publication-planner.js';
export { SandboxPublisher, EnginePublisherRegistry } from './sandbox-publisher.js';
export { ChannelAccountService } from './channel-account-service.js';
export { publicationKey } from './domain.js';

/**
 * The publishing engine: channel accounts, the sandbox network, exactly-once publication of approved contents
 * (planner → transactional outbox → relay). The relay resolves `linkTagger` (links area) when it builds a post.
 */
export interface EngineCradle {
  channelAccountRepository: KnexChannelAccountRepository;
  publicationRepository: KnexPublicationRepository;
  /** Which network adapter an account publishes through (the sandbox for sandbox accounts). */
  publisherRegistry: PublisherRegistry;
  publicationFailureAlert: PublicationFailureAlert;
  publicationPlanner: PublicationPlanner;
  outboxRelay: OutboxRelay;
  channelAccountService: ChannelAccountService;
}

export function registerEngine(container: AwilixContainer): void {
  container.register({
    channelAccountRepository: asClass(KnexChannelAccountRepository).singleton(),
    publicationRepository: asClass(KnexPublicationRepository).singleton(),
    publisherRegistry: asClass(EnginePublisherRegistry).singleton(),
    publicationFailureAlert: asClass(PublicationFailureAlert).singleton(),
    publicationPlanner: asClass(PublicationPlanner).singleton(),
    outboxRelay: asClass(OutboxRelay).singleton(),
    channelAccountService: asClass(ChannelAccountService).singleton(),
  });
}

/** `/app/channels/*` (accounts, publications, retries) and `/app/publishing/contents/:id/panel` (studio editor). */
export function engineRoutes(cradle: Pick<EngineCradle, 'channelAccountService'>): Router {
  return buildEngineRoutes(cradle);
}

export function engineJobs(cradle: Pick<EngineCradle, 'publicationPlanner' | 'outboxRelay'> & { logger: Logger }): JobDefinition[] {
  return [
    { name: 'publishing:plan-publications', every: '1 minute', run: () => cradle.publicationPlanner.run() },
    { name: 'publishing:relay-outbox', every: '15 seconds', run: () => cradle.outboxRelay.runOnce() },
  ];
}
