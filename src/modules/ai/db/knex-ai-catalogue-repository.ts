import type { Database } from '../../../adapters/db/database.js';
import type { AiTask, CatalogueModel } from '../domain.js';
import type { ProviderCode } from '../ports.js';

export interface CatalogueProvider {
  id: string;
  code: ProviderCode;
  name: string;
  active: boolean;
  requiresApiKey: boolean;
  apiKeyEncrypted: string | null;
  apiKeyLast4: string | null;
  baseUrl: string | null;
  euHosted: boolean;
}

export interface TaskRoute {
  task: AiTask;
  active: boolean;
  timeoutMs: number;
  /** Primary first, then the fallbacks in order. */
  modelIds: string[];
}

/** Platform data the gateway routes with: read once, kept a few seconds. */
export interface RoutingCatalogue {
  providers: Map<string, CatalogueProvider>;
  models: Map<string, CatalogueModel & { active: boolean }>;
  routes: Map<AiTask, TaskRoute>;
}

/** What a tenant may use: its plan's models, and whether processing must stay in the EU. */
export interface TenantAiPolicy {
  planCode: string | null;
  allowedModelIds: Set<string>;
  requiresEu: boolean;
  locale: string;
}

export class KnexAiCatalogueRepository {
  constructor(private readonly deps: { database: Database }) {}

  loadCatalogue(): Promise<RoutingCatalogue> {
    return this.deps.database.asPlatform(async (trx) => {
      // one after the other: a transaction is one connection, which runs one query at a time
      const providers = await trx('ai_providers').select('id', 'code', 'name', 'active', 'requiresApiKey', 'apiKeyEncrypted', 'apiKeyLast4', 'baseUrl', 'euHosted');
      const models = await trx('ai_models').select(
          'id',
          'providerId',
          'modelId',
          'displayName',
          'tier',
          'capabilities',
          'euHosted',
          'active',
          'priceCurrency',
          'maxOutputTokens',
          'inputPriceMicrosPerMtok',
          'outputPriceMicrosPerMtok',
          'cachedInputPriceMicrosPerMtok',
          'cacheWritePriceMicrosPerMtok',
          'audioPriceMicrosPerMinute',
          'batchDiscountBp',
        );
      const routes = await trx('ai_task_routes').select('id', 'task', 'primaryModelId', 'timeoutMs', 'active');
      const fallbacks = await trx('ai_route_fallbacks').select('routeId', 'modelId', 'position').orderBy('position');
      const providerById = new Map(providers.map((p: CatalogueProvider) => [p.id, p]));
      const catalogue: RoutingCatalogue = { providers: new Map(), models: new Map(), routes: new Map() };
      for (const p of providers as CatalogueProvider[]) catalogue.providers.set(p.code, p);
      for (const m of models) {
        const provider = providerById.get(m.providerId)!;
        catalogue.models.set(m.id, { ...m, provider: { id: provider.id, code: provider.code, euHosted: provider.euHosted } });
      }
      for (const r of routes) {
        const chain = fallbacks.filter((f: { routeId: string }) => f.routeId === r.id).map((f: { modelId: string }) => f.modelId);
        catalogue.routes.set(r.task, { task: r.task, active: r.active, timeoutMs: r.timeoutMs, modelIds: [r.primaryModelId, ...chain].filter(Boolean) });
      }
      return catalogue;
    });
  }

  tenantPolicy(tenantId: string): Promise<TenantAiPolicy> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('tenants as t')
        .join('distributors as d', 'd.id', 't.distributorId')
        .leftJoin('subscriptions as s', (j) => j.on('s.tenantId', 't.id').andOnVal('s.status', '<>', 'cancelled'))
        .leftJoin('plans as p', 'p.id', 's.planId')
        .where('t.id', tenantId)
        .first(
          'p.code as planCode',
          't.locale',
          trx.raw('(t.requires_eu_processing OR d.requires_eu_processing) as requires_eu'),
          trx.raw('coalesce((select array_agg(pm.model_id) from plan_ai_models pm where pm.plan_id = p.id), array[]::uuid[]) as allowed'),
        );
      return {
        planCode: row?.planCode ?? null,
        allowedModelIds: new Set<string>(row?.allowed ?? []),
        requiresEu: Boolean(row?.requiresEu),
        locale: row?.locale ?? 'fr',
      };
    });
  }
}
