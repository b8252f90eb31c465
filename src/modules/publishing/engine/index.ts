import { asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import type { Config } from '../../../config.js';
import type { JobDefinition } from '../../../shared/jobs.js';
import type { Logger } from '../../../shared/logger.js';
import type { PublisherRegistry } from '../ports.js';
import { ChannelAccountService } from './channel-account-service.js';
import { KnexChannelAccountRepository } from './db/knex-channel-account-repository.js';
import { KnexPublicationRepository } from './db/knex-publication-repository.js';
import { PublicationFailureAlert } from './failure-alert.js';
import { KnexOAuthAccountRepository } from './oauth-accounts.js';
import { OAuthApps } from './oauth-apps.js';
import { ChannelConnectService } from './oauth-connect.js';
import { OAuthCredentialKeeper } from './oauth-credentials.js';
import { NetworkPublishers } from './oauth-publishers.js';
import { oauthRoutes } from './oauth-routes.js';
import { OutboxRelay } from './outbox-relay.js';
import { PublicationPlanner } from './publication-planner.js';
import { engineRoutes as buildEngineRoutes } from './routes.js';
import { EnginePublisherRegistry } from './sandbox-publisher.js';

export { OutboxRelay, type RelayRun } from './outbox-relay.js';
export { PublicationPlanner, type PlanRun } from './publication-planner.js';
export { SandboxPublisher, EnginePublisherRegistry } from './sandbox-publisher.js';
export { ChannelAccountService } from './channel-account-service.js';
export { publicationKey } from './domain.js';
export { OAuthApps, type PlatformOAuthApp } from './oauth-apps.js';
export { OAuthCredentialKeeper, type RefreshRun } from './oauth-credentials.js';
export { NetworkPublishers } from './oauth-publishers.js';

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
  /** The platform's OAuth app of each network (platform_connectors, read only). */
  oauthApps: OAuthApps;
  oauthAccountRepository: KnexOAuthAccountRepository;
  oauthCredentialKeeper: OAuthCredentialKeeper;
  /** Real network adapters for non-sandbox accounts (used by publisherRegistry). */
  networkPublishers: NetworkPublishers;
  channelConnectService: ChannelConnectService;
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
    oauthApps: asClass(OAuthApps).singleton(),
    oauthAccountRepository: asClass(KnexOAuthAccountRepository).singleton(),
    oauthCredentialKeeper: asClass(OAuthCredentialKeeper).singleton(),
    networkPublishers: asClass(NetworkPublishers).singleton(),
    channelConnectService: asClass(ChannelConnectService).singleton(),
  });
}

/**
 * `/app/channels/*` (accounts, OAuth connection, publications, retries) and `/app/publishing/contents/:id/panel`
 * (studio editor).
 */
export function engineRoutes(cradle: Pick<EngineCradle, 'channelAccountService' | 'channelConnectService'> & { config: Config }): Router {
  const router = Router();
  // the channels page (and the fragments its actions return) shows "Connect with …" for the networks ready for it
  router.use('/app/channels', async (req, res, next) => {
    if (req.viewer?.tenant) res.locals.oauthChannels = await cradle.channelConnectService.connectable();
    next();
  });
  router.use(oauthRoutes(cradle));
  router.use(buildEngineRoutes(cradle));
  return router;
}

export function engineJobs(cradle: Pick<EngineCradle, 'publicationPlanner' | 'outboxRelay' | 'oauthCredentialKeeper'> & { logger: Logger }): JobDefinition[] {
  return [
    { name: 'publishing:refresh-tokens', every: '1 hour', run: () => cradle.oauthCredentialKeeper.refreshExpiring() },
    { name: 'publishing:plan-publications', every: '1 minute', run: () => cradle.publicationPlanner.run() },
    { name: 'publishing:relay-outbox', every: '15 seconds', run: () => cradle.outboxRelay.runOnce() },
  ];
}
