import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { AiTask } from '../domain.js';
import type { ProviderCode } from '../ports.js';
import type { CatalogueProvider } from './knex-ai-catalogue-repository.js';

/** A provider as the super admin sees it (the sealed key stays here: the service never renders it). */
export interface AdminProviderRow extends CatalogueProvider {
  apiKeyUpdatedAt: Date | null;
  lastTestedAt: Date | null;
  lastTestOk: boolean | null;
  lastTestError: string | null;
}

export interface AdminModelRow {
  id: string;
  providerId: string;
  providerCode: ProviderCode;
  providerName: string;
  modelId: string;
  displayName: string;
  description: string;
  tier: 'premium' | 'standard';
  capabilities: string[];
  inputPriceMicrosPerMtok: number;
  outputPriceMicrosPerMtok: number;
  cachedInputPriceMicrosPerMtok: number | null;
  cacheWritePriceMicrosPerMtok: number | null;
  audioPriceMicrosPerMinute: number;
  priceCurrency: string;
  batchDiscountBp: number;
  euHosted: boolean;
  active: boolean;
  sortOrder: number;
}

export interface ModelUpdate {
  tier: 'premium' | 'standard';
  capabilities: string[];
  inputPriceMicrosPerMtok: number;
  outputPriceMicrosPerMtok: number;
  cachedInputPriceMicrosPerMtok: number | null;
  cacheWritePriceMicrosPerMtok: number | null;
  audioPriceMicrosPerMinute: number;
  batchDiscountBp: number;
  euHosted: boolean;
  active: boolean;
}

export interface AdminRouteRow {
  id: string;
  task: AiTask;
  timeoutMs: number;
  active: boolean;
  /** Primary first, then the fallbacks in order. */
  modelIds: string[];
}

export interface ModelHealthRow {
  modelId: string;
  state: 'closed' | 'open' | 'half_open';
  consecutiveFailures: number;
  openUntil: Date | null;
  lastErrorCode: string | null;
  lastError: string | null;
  lastFailureAt: Date | null;
  lastSuccessAt: Date | null;
}

/** Costs are kept per currency: prices of different currencies are never added together. */
export type CostByCurrency = Record<string, number>;

export interface UsageFigures {
  calls: number;
  errors: number;
  requests: number;
  fallbackRequests: number;
  batchCalls: number;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  cost: CostByCurrency;
}

export interface UsageLine extends UsageFigures {
  key: string;
  label: string;
  /** Secondary label (the provider of a model). */
  detail?: string;
}

export interface UsageReport {
  totals: UsageFigures;
  byProvider: UsageLine[];
  byModel: UsageLine[];
  byTask: UsageLine[];
  byTenant: UsageLine[];
}

export interface TenantPlanModel {
  id: string;
  displayName: string;
  description: string;
  tier: 'premium' | 'standard';
  providerCode: ProviderCode;
  sortOrder: number;
}

export interface TenantEnginesRow {
  plan: { code: string; name: string } | null;
  models: TenantPlanModel[];
}

const PROVIDER_COLUMNS = [
  'id',
  'code',
  'name',
  'active',
  'requiresApiKey',
  'apiKeyEncrypted',
  'apiKeyLast4',
  'apiKeyUpdatedAt',
  'baseUrl',
  'euHosted',
  'lastTestedAt',
  'lastTestOk',
  'lastTestError',
] as const;

/**
 * The super admin's reads and writes on the AI catalogue (platform data, explicit platform context), the
 * global usage aggregates, and the one tenant-scoped read of the client's "Moteurs IA" page.
 */
export class KnexAiAdminRepository {
  constructor(private readonly deps: { database: Database }) {}

  // Providers

  listProviders(): Promise<AdminProviderRow[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('ai_providers')
        .select(...PROVIDER_COLUMNS)
        // the offline provider last: it is the fallback of the fallbacks
        .orderByRaw(`requires_api_key desc, name`),
    );
  }

  findProvider(id: string): Promise<AdminProviderRow | undefined> {
    return this.deps.database.asPlatform((trx) => trx('ai_providers').where({ id }).first(...PROVIDER_COLUMNS));
  }

  /** Returns whether a row was changed (false: no such provider). */
  updateProvider(
    id: string,
    patch: Partial<
      Pick<AdminProviderRow, 'active' | 'apiKeyEncrypted' | 'apiKeyLast4' | 'apiKeyUpdatedAt' | 'baseUrl' | 'lastTestedAt' | 'lastTestOk' | 'lastTestError'>
    >,
    at: Date,
  ): Promise<boolean> {
    return this.deps.database.asPlatform(async (trx) => (await trx('ai_providers').where({ id }).update({ ...patch, updatedAt: at })) > 0);
  }

  /**
   * The provider's model to test the connection with: a chat model, preferring active, not retiring and
   * standard (cheap) ones.
   */
  testModelOf(providerId: string): Promise<{ modelId: string } | undefined> {
    return this.deps.database.asPlatform((trx) =>
      trx('ai_models')
        .where({ providerId })
        .whereRaw(`'chat' = any(capabilities)`)
        .orderByRaw(`active desc, (retires_at is not null) asc, (tier = 'standard') desc, sort_order, model_id`)
        .first('modelId'),
    );
  }

  // Models

  listModels(): Promise<AdminModelRow[]> {
    return this.deps.database.asPlatform((trx) => modelQuery(trx).orderBy([{ column: 'm.sortOrder' }, { column: 'm.modelId' }]));
  }

  findModel(id: string): Promise<AdminModelRow | undefined> {
    return this.deps.database.asPlatform((trx) => modelQuery(trx).where('m.id', id).first());
  }

  updateModel(id: string, update: ModelUpdate, at: Date): Promise<boolean> {
    return this.deps.database.asPlatform(async (trx) => (await trx('ai_models').where({ id }).update({ ...update, updatedAt: at })) > 0);
  }

  // Routes

  listRoutes(): Promise<AdminRouteRow[]> {
    return this.deps.database.asPlatform(async (trx) => {
      // one connection per transaction: queries in sequence
      const routes = await trx('ai_task_routes').select('id', 'task', 'primaryModelId', 'timeoutMs', 'active');
      const fallbacks = await trx('ai_route_fallbacks').select('routeId', 'modelId').orderBy('position');
      return routes.map((r: { id: string; task: AiTask; primaryModelId: string | null; timeoutMs: number; active: boolean }) => ({
        id: r.id,
        task: r.task,
        timeoutMs: r.timeoutMs,
        active: r.active,
        modelIds: [
          ...(r.primaryModelId ? [r.primaryModelId] : []),
          ...fallbacks.filter((f: { routeId: string }) => f.routeId === r.id).map((f: { modelId: string }) => f.modelId),
        ],
      }));
    });
  }

  /**
   * Replaces a task's chain (primary first, then fallbacks) and settings in one transaction. Creates the
   * route when the task has none yet.
   */
  saveRoute(task: AiTask, route: { modelIds: string[]; timeoutMs: number; active: boolean }, at: Date): Promise<void> {
    return this.deps.database.asPlatform(async (trx) => {
      const [primary, ...fallbacks] = route.modelIds;
      const values = { primaryModelId: primary ?? null, timeoutMs: route.timeoutMs, active: route.active, updatedAt: at };
      const [row] = await trx('ai_task_routes')
        .insert({ task, ...values })
        .onConflict('task')
        .merge(['primaryModelId', 'timeoutMs', 'active', 'updatedAt'])
        .returning('id');
      await trx('ai_route_fallbacks').where({ routeId: row.id }).delete();
      if (fallbacks.length) {
        await trx('ai_route_fallbacks').insert(fallbacks.map((modelId, i) => ({ routeId: row.id, modelId, position: i + 1, createdAt: at, updatedAt: at })));
      }
    });
  }

  modelHealth(): Promise<ModelHealthRow[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('ai_model_health').select(
        'modelId',
        'state',
        'consecutiveFailures',
        'openUntil',
        'lastErrorCode',
        'lastError',
        'lastFailureAt',
        'lastSuccessAt',
      ),
    );
  }

  // Usage

  /**
   * Aggregates of the call log over [from, to): every figure is computed by PostgreSQL. `calls` are attempts
   * (one row each); `requests` are logical requests (attempts sharing a request group), of which
   * `fallbackRequests` needed a model after their first; latency percentiles are those of successful calls.
   */
  usage(from: Date, to: Date): Promise<UsageReport> {
    return this.deps.database.asPlatform(async (trx) => {
      const period = (q: Knex.QueryBuilder) => q.where('c.createdAt', '>=', from).andWhere('c.createdAt', '<', to);
      const figures = (q: Knex.QueryBuilder) =>
        q.select(
          trx.raw('count(*)::int as calls'),
          trx.raw(`count(*) filter (where c.status <> 'ok')::int as errors`),
          trx.raw('count(distinct c.request_group_id)::int as requests'),
          trx.raw('count(distinct c.request_group_id) filter (where c.fallback_used)::int as fallback_requests'),
          trx.raw('count(*) filter (where c.is_batch)::int as batch_calls'),
          trx.raw(`percentile_cont(0.5) within group (order by c.latency_ms) filter (where c.status = 'ok') as p50_latency_ms`),
          trx.raw(`percentile_cont(0.95) within group (order by c.latency_ms) filter (where c.status = 'ok') as p95_latency_ms`),
        );
      const costs = (q: Knex.QueryBuilder) => q.select('c.priceCurrency', trx.raw('sum(c.cost_micros)::bigint as cost'));

      const dimensions = {
        provider: { group: ['p.id', 'p.name'], key: 'p.id', label: 'p.name', detail: null, join: (q: Knex.QueryBuilder) => q.join('ai_providers as p', 'p.id', 'c.providerId') },
        model: {
          group: ['m.id', 'm.displayName', 'mp.name'],
          key: 'm.id',
          label: 'm.displayName',
          detail: 'mp.name',
          join: (q: Knex.QueryBuilder) => q.join('ai_models as m', 'm.id', 'c.modelId').join('ai_providers as mp', 'mp.id', 'm.providerId'),
        },
        task: { group: ['c.task'], key: 'c.task', label: 'c.task', detail: null, join: (q: Knex.QueryBuilder) => q },
        tenant: { group: ['t.id', 't.name'], key: 't.id', label: 't.name', detail: null, join: (q: Knex.QueryBuilder) => q.join('tenants as t', 't.id', 'c.tenantId') },
      } as const;

      const breakdown = async (d: (typeof dimensions)[keyof typeof dimensions]): Promise<UsageLine[]> => {
        const select = (q: Knex.QueryBuilder) =>
          q.select(trx.raw('??::text as key', [d.key]), trx.raw('?? as label', [d.label]), ...(d.detail ? [trx.raw('?? as detail', [d.detail])] : []));
        const rows = await figures(select(d.join(period(trx('ai_calls as c'))))).groupBy(...d.group);
        const costRows = await costs(d.join(period(trx('ai_calls as c'))).select(trx.raw('??::text as key', [d.key]))).groupBy(d.key, 'c.priceCurrency');
        const costByKey = new Map<string, CostByCurrency>();
        for (const c of costRows as { key: string; priceCurrency: string; cost: number }[]) {
          const entry = costByKey.get(c.key) ?? {};
          entry[c.priceCurrency] = Number(c.cost);
          costByKey.set(c.key, entry);
        }
        return (rows as RawFigures[]).map((r) => ({
          ...toFigures(r),
          key: String(r.key),
          label: String(r.label),
          ...(r.detail ? { detail: String(r.detail) } : {}),
          cost: costByKey.get(String(r.key)) ?? {},
        }));
      };

      // one connection per transaction: queries in sequence
      const totalRow = await figures(period(trx('ai_calls as c'))).first();
      const totalCosts = await costs(period(trx('ai_calls as c'))).groupBy('c.priceCurrency');
      const byProvider = await breakdown(dimensions.provider);
      const byModel = await breakdown(dimensions.model);
      const byTask = await breakdown(dimensions.task);
      const byTenant = await breakdown(dimensions.tenant);
      const cost: CostByCurrency = {};
      for (const c of totalCosts as { priceCurrency: string; cost: number }[]) cost[c.priceCurrency] = Number(c.cost);
      const byCalls = (a: UsageLine, b: UsageLine) => b.calls - a.calls || a.label.localeCompare(b.label);
      const bySpend = (a: UsageLine, b: UsageLine) => spendOf(b) - spendOf(a) || byCalls(a, b);
      return {
        totals: { ...toFigures(totalRow as RawFigures), cost },
        byProvider: byProvider.sort(byCalls),
        byModel: byModel.sort(byCalls),
        byTask: byTask.sort(byCalls),
        byTenant: byTenant.sort(bySpend),
      };
    });
  }

  // The client's page

  /** The tenant's plan and the models it allows, read in the tenant's own context. */
  tenantEngines(tenantId: string): Promise<TenantEnginesRow> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('tenants as t')
        .leftJoin('subscriptions as s', (j) => j.on('s.tenantId', 't.id').andOnVal('s.status', '<>', 'cancelled'))
        .leftJoin('plans as p', 'p.id', 's.planId')
        .where('t.id', tenantId)
        .orderBy('s.createdAt', 'desc')
        .first('p.id as planId', 'p.code as planCode', 'p.name as planName');
      const models: TenantPlanModel[] = row?.planId
        ? await trx('plan_ai_models as pm')
            .join('ai_models as m', 'm.id', 'pm.modelId')
            .join('ai_providers as pr', 'pr.id', 'm.providerId')
            .where('pm.planId', row.planId)
            .andWhere('m.active', true)
            .select('m.id', 'm.displayName', 'm.description', 'm.tier', 'pr.code as providerCode', 'm.sortOrder')
            .orderBy([{ column: 'm.sortOrder' }, { column: 'm.displayName' }])
        : [];
      return {
        plan: row?.planId ? { code: row.planCode, name: row.planName } : null,
        models,
      };
    });
  }
}

interface RawFigures {
  key?: unknown;
  label?: unknown;
  detail?: unknown;
  calls: number;
  errors: number;
  requests: number;
  fallbackRequests: number;
  batchCalls: number;
  p50LatencyMs: number | string | null;
  p95LatencyMs: number | string | null;
}

function toFigures(r: RawFigures | undefined): Omit<UsageFigures, 'cost'> {
  const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    calls: Number(r?.calls ?? 0),
    errors: Number(r?.errors ?? 0),
    requests: Number(r?.requests ?? 0),
    fallbackRequests: Number(r?.fallbackRequests ?? 0),
    batchCalls: Number(r?.batchCalls ?? 0),
    p50LatencyMs: num(r?.p50LatencyMs),
    p95LatencyMs: num(r?.p95LatencyMs),
  };
}

/** Sorting only: spend across currencies, as if they were one (the page shows each currency apart). */
function spendOf(line: UsageLine): number {
  return Object.values(line.cost).reduce((a, b) => a + b, 0);
}

function modelQuery(trx: Knex.Transaction) {
  return trx('ai_models as m')
    .join('ai_providers as p', 'p.id', 'm.providerId')
    .select(
      'm.id',
      'm.providerId',
      'p.code as providerCode',
      'p.name as providerName',
      'm.modelId',
      'm.displayName',
      'm.description',
      'm.tier',
      'm.capabilities',
      'm.inputPriceMicrosPerMtok',
      'm.outputPriceMicrosPerMtok',
      'm.cachedInputPriceMicrosPerMtok',
      'm.cacheWritePriceMicrosPerMtok',
      'm.audioPriceMicrosPerMinute',
      'm.priceCurrency',
      'm.batchDiscountBp',
      'm.euHosted',
      'm.active',
      'm.sortOrder',
    );
}
