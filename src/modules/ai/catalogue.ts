import type { Database } from '../../adapters/db/database.js';

export interface CatalogueModel {
  id: string;
  providerCode: string;
  providerName: string;
  providerActive: boolean;
  modelId: string;
  displayName: string;
  tier: 'premium' | 'standard';
  capabilities: string[];
  euHosted: boolean;
  active: boolean;
}

/** The AI model catalogue (platform data). */
export class AiCatalogue {
  constructor(private readonly deps: { database: Database }) {}

  listModels(): Promise<CatalogueModel[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('ai_models as m')
        .join('ai_providers as p', 'p.id', 'm.providerId')
        .select(
          'm.id',
          'p.code as providerCode',
          'p.name as providerName',
          'p.active as providerActive',
          'm.modelId',
          'm.displayName',
          'm.tier',
          'm.capabilities',
          'm.euHosted',
          'm.active',
        )
        .orderBy([{ column: 'p.code' }, { column: 'm.tier' }, { column: 'm.modelId' }]),
    );
  }
}
