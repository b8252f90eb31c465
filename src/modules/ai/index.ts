import { aliasTo, asClass, asFunction, type AwilixContainer } from 'awilix';
import type { Config } from '../../config.js';
import { ProviderRegistry } from '../../adapters/ai/provider-registry.js';
import type { Clock } from '../../shared/clock.js';
import type { JobDefinition } from '../../shared/jobs.js';
import { AiAdminService } from './admin-service.js';
import { AiBatchService } from './batch-service.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { KnexAiAdminRepository } from './db/knex-ai-admin-repository.js';
import { KnexAiBatchRepository } from './db/knex-ai-batch-repository.js';
import { KnexAiCallRepository } from './db/knex-ai-call-repository.js';
import { KnexAiCatalogueRepository } from './db/knex-ai-catalogue-repository.js';
import { AiGateway } from './gateway.js';
import { KnexPromptLayerRepository } from './db/knex-prompt-layer-repository.js';
import { PromptLayerService, type PromptCradle } from './prompt-layer-service.js';
import type { CreditCharger, SystemPromptSource } from './ports.js';

export type { AiRequest, AiResult, AiStreamEvent } from './gateway.js';
export type { AiTask } from './domain.js';
export type { AiBatchService, BatchEnqueueRequest, BatchItemView, BatchItemCompleted } from './batch-service.js';

export interface AiCradle extends PromptCradle {
  aiCatalogueRepository: KnexAiCatalogueRepository;
  aiCallRepository: KnexAiCallRepository;
  providerRegistry: ProviderRegistry;
  circuitBreaker: CircuitBreaker;
  aiGateway: AiGateway;
  aiAdminRepository: KnexAiAdminRepository;
  aiAdminService: AiAdminService;
  creditCharger: CreditCharger;
  systemPromptSource: SystemPromptSource;
  aiBatchRepository: KnexAiBatchRepository;
  aiBatchService: AiBatchService;
}

export function registerAi(container: AwilixContainer): void {
  container.register({
    aiCatalogueRepository: asClass(KnexAiCatalogueRepository).singleton(),
    aiCallRepository: asClass(KnexAiCallRepository).singleton(),
    providerRegistry: asClass(ProviderRegistry).singleton(),
    circuitBreaker: asFunction(({ clock }: { clock: Clock; config: Config }) => new CircuitBreaker(clock)).singleton(),
    aiGateway: asClass(AiGateway).singleton(),
    aiAdminRepository: asClass(KnexAiAdminRepository).singleton(),
    aiAdminService: asClass(AiAdminService).singleton(),
    aiBatchRepository: asClass(KnexAiBatchRepository).singleton(),
    aiBatchService: asClass(AiBatchService).singleton(),
    promptLayerRepository: asClass(KnexPromptLayerRepository).singleton(),
    promptLayerService: asClass(PromptLayerService).singleton(),
    systemPromptSource: aliasTo('promptLayerService'),
  });
}

/** Nightly batch (-50 %): submitted at 01:00 platform time (Europe/Paris), polled every 10 minutes. */
export function aiJobs(cradle: { aiBatchService: AiBatchService; clock: Clock }): JobDefinition[] {
  const { aiBatchService, clock } = cradle;
  const jobs: JobDefinition[] = [
    { name: 'ai:submit-batches', every: '0 1 * * *', timezone: 'Europe/Paris', run: () => aiBatchService.submitQueued(clock.now()) },
    { name: 'ai:poll-batches', every: '10 minutes', run: () => aiBatchService.pollOpenBatches(clock.now()) },
  ];
  return jobs;
}
