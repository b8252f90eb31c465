import type { Database } from '../../../adapters/db/database.js';
import type { AiTask } from '../domain.js';

export interface AiCallRecord {
  task: AiTask;
  providerId: string;
  modelId: string;
  requestGroupId: string;
  attempt: number;
  fallbackUsed: boolean;
  status: 'ok' | 'error' | 'refused';
  errorCode?: string | null;
  errorMessage?: string | null;
  httpStatus?: number | null;
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  audioSeconds?: number;
  costMicros?: number;
  priceCurrency?: string;
  creditsCharged?: number;
  latencyMs?: number | null;
  timeToFirstTokenMs?: number | null;
  streamed?: boolean;
  isBatch?: boolean;
  batchId?: string | null;
  euHosted: boolean;
  providerRequestId?: string | null;
  promptLayerSnapshotRef?: string | null;
  dnaSnapshotId?: string | null;
  creditReservationId?: string | null;
  userId?: string | null;
  subjectType?: string | null;
  subjectId?: string | null;
}

/** The call log (`ai_calls`), one row per attempt, written in the tenant's context. */
export class KnexAiCallRepository {
  constructor(private readonly deps: { database: Database }) {}

  record(tenantId: string, call: AiCallRecord): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('ai_calls').insert({ tenantId, ...call }).returning('id');
      return row.id as string;
    });
  }

  /** Persists a model's circuit state for the super admin's view (platform data). */
  async recordHealth(modelId: string, health: { ok: boolean; failures: number; openUntil: Date | null; errorCode?: string; error?: string }, at: Date): Promise<void> {
    await this.deps.database.asPlatform(async (trx) => {
      const state = health.openUntil && health.openUntil > at ? 'open' : 'closed';
      const row = health.ok
        ? { modelId, state: 'closed', consecutiveFailures: 0, openUntil: null, lastSuccessAt: at, updatedAt: at }
        : { modelId, state, consecutiveFailures: health.failures, openUntil: health.openUntil, lastErrorCode: health.errorCode ?? null, lastError: health.error?.slice(0, 2000) ?? null, lastFailureAt: at, updatedAt: at };
      await trx('ai_model_health').insert(row).onConflict('modelId').merge();
    });
  }
}
