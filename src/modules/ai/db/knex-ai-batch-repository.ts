import type { Database } from '../../../adapters/db/database.js';
import type { AiTask } from '../domain.js';
import type { BatchStatus, ChatMessage, CompletionRequest } from '../ports.js';
import type { AiCallRecord } from './knex-ai-call-repository.js';
import { ofActiveTenant } from '../../../adapters/db/tenant-members.js';

export type BatchItemStatus = 'queued' | 'submitted' | 'succeeded' | 'failed' | 'retried_singly';

/** What `ai_batch_items.request_payload` holds: the request as built at enqueue time, and what a single retry needs. */
export interface BatchItemPayload {
  v: 1;
  /** The provider request without the model (chosen at submission): cascade prefix resolved at enqueue time. */
  request: Omit<CompletionRequest, 'model' | 'timeoutMs' | 'signal'>;
  /** The caller's request, for a retry through `AiGateway.generate`. */
  source: {
    prompt: string | ChatMessage[];
    instructions?: string;
    tenantContext?: string;
    channel?: string;
    jsonSchema?: Record<string, unknown>;
    maxTokens?: number;
    temperature?: number;
    userId?: string;
    dnaSnapshotId?: string;
  };
  snapshotRef: string | null;
}

/** What a consumer gets back: the answer (`data` is the parsed JSON of a structured request, else the text). */
export interface BatchItemResult {
  text: string;
  data?: unknown;
}

export interface BatchItemRow {
  id: string;
  tenantId: string;
  batchId: string | null;
  task: AiTask;
  modelId: string | null;
  customId: string;
  requestPayload: BatchItemPayload;
  status: BatchItemStatus;
  result: BatchItemResult | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  aiCallId: string | null;
  creditReservationId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  completedAt: Date | null;
  createdAt: Date;
}

export interface NewBatchItem {
  task: AiTask;
  customId: string;
  requestPayload: BatchItemPayload;
  creditReservationId: string | null;
  subjectType: string | null;
  subjectId: string | null;
}

export interface OpenBatchRow {
  id: string;
  providerId: string;
  modelId: string | null;
  externalBatchId: string;
  status: 'submitted' | 'in_progress';
  requestCount: number;
}

/** The state of a submitted item once its batch outcome has been written (`recordOutcome`). */
export type RecordedOutcome =
  | { state: 'closed' } // no longer submitted in this batch: processed already
  | { state: 'recorded'; callId: string; callStatus: 'ok' | 'error' | 'refused'; creditsCharged: number };

const ITEM_COLUMNS = [
  'id',
  'tenantId',
  'batchId',
  'task',
  'modelId',
  'customId',
  'requestPayload',
  'status',
  'result',
  'errorCode',
  'errorMessage',
  'attempts',
  'aiCallId',
  'creditReservationId',
  'subjectType',
  'subjectId',
  'completedAt',
  'createdAt',
] as const;

/**
 * The nightly batch: `ai_batch_items` (tenant-scoped, RLS) and `ai_batches` (platform). Every method is one short unit
 * of work; tenant rows are written in the tenant's context, the platform context is used only by the jobs to find work
 * across tenants and to keep the provider batches.
 */
export class KnexAiBatchRepository {
  constructor(private readonly deps: { database: Database }) {}

  // ---- tenant context -------------------------------------------------------------------------------------

  findByCustomId(tenantId: string, customId: string): Promise<BatchItemRow | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('aiBatchItems').where({ customId }).first(ITEM_COLUMNS)) ?? null);
  }

  find(tenantId: string, itemId: string): Promise<BatchItemRow | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('aiBatchItems').where({ id: itemId }).first(ITEM_COLUMNS)) ?? null);
  }

  /** Inserts the item unless its custom id exists (idempotent enqueue); returns the stored row and whether it is new. */
  insertItem(tenantId: string, item: NewBatchItem): Promise<{ row: BatchItemRow; created: boolean }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const inserted = await trx('aiBatchItems')
        .insert({ tenantId, ...item, requestPayload: JSON.stringify(item.requestPayload), status: 'queued' })
        .onConflict('customId')
        .ignore()
        .returning('id');
      const row = await trx('aiBatchItems').where({ customId: item.customId }).first(ITEM_COLUMNS);
      return { row, created: inserted.length > 0 };
    });
  }

  /**
   * Writes the batch outcome of a submitted item once: locks the item, logs its call (`ai_calls`, same transaction)
   * and links it, with the result or the error. A second run finds the call already linked and returns it, so the
   * caller can resume (settle, retry) without logging twice.
   */
  recordOutcome(
    tenantId: string,
    itemId: string,
    batchId: string,
    call: AiCallRecord,
    outcome: { result?: BatchItemResult; error?: { code: string; message: string } },
    at: Date,
  ): Promise<RecordedOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const item = await trx('aiBatchItems').where({ id: itemId }).forUpdate().first('status', 'batchId', 'aiCallId');
      if (!item || item.status !== 'submitted' || item.batchId !== batchId) return { state: 'closed' };
      if (item.aiCallId) {
        const logged = await trx('aiCalls').where({ id: item.aiCallId }).first('status', 'creditsCharged');
        return { state: 'recorded', callId: item.aiCallId, callStatus: logged.status, creditsCharged: logged.creditsCharged };
      }
      const [{ id: callId }] = await trx('aiCalls').insert({ tenantId, ...call }).returning('id');
      await trx('aiBatchItems')
        .where({ id: itemId })
        .update({
          aiCallId: callId,
          result: outcome.result ? JSON.stringify(outcome.result) : null,
          errorCode: outcome.error?.code.slice(0, 64) ?? null,
          errorMessage: outcome.error?.message.slice(0, 2000) ?? null,
          updatedAt: at,
        });
      return { state: 'recorded', callId, callStatus: call.status, creditsCharged: call.creditsCharged ?? 0 };
    });
  }

  /** Moves an item from `from` to its final state; false when it was not in `from` any more (already done). */
  finish(
    tenantId: string,
    itemId: string,
    from: BatchItemStatus,
    patch: { status: BatchItemStatus; aiCallId?: string; result?: BatchItemResult; error?: { code: string; message: string }; attempted?: boolean },
    at: Date,
  ): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const changed = await trx('aiBatchItems')
        .where({ id: itemId, status: from })
        .update({
          status: patch.status,
          ...(patch.aiCallId && { aiCallId: patch.aiCallId }),
          ...(patch.result && { result: JSON.stringify(patch.result) }),
          ...(patch.error && { errorCode: patch.error.code.slice(0, 64), errorMessage: patch.error.message.slice(0, 2000) }),
          ...(patch.attempted && { attempts: trx.raw('attempts + 1') }),
          completedAt: at,
          updatedAt: at,
        });
      return changed > 0;
    });
  }

  // ---- platform context (jobs) ----------------------------------------------------------------------------

  /** Queued items of every tenant, oldest first. */
  queuedItems(limit: number): Promise<BatchItemRow[]> {
    return this.deps.database.asPlatform((trx) => trx('aiBatchItems').where({ status: 'queued' }).whereExists(ofActiveTenant(trx, 'ai_batch_items.tenant_id')).orderBy([{ column: 'createdAt' }, { column: 'id' }]).limit(limit).select(ITEM_COLUMNS));
  }

  /** A provider batch about to be submitted (`queued`: no external id yet). */
  createBatch(input: { providerId: string; modelId: string; requestCount: number }): Promise<string> {
    return this.deps.database.asPlatform(async (trx) => {
      const [row] = await trx('aiBatches').insert({ ...input, status: 'queued' }).returning('id');
      return row.id as string;
    });
  }

  /** The provider accepted the batch: record its id and attach the items (those still queued). */
  markSubmitted(batchId: string, input: { externalBatchId: string; modelId: string; itemIds: string[]; expiresAt: Date }, at: Date): Promise<number> {
    return this.deps.database.asPlatform(async (trx) => {
      const attached = await trx('aiBatchItems')
        .whereIn('id', input.itemIds)
        .where({ status: 'queued' })
        .update({ status: 'submitted', batchId, modelId: input.modelId, attempts: trx.raw('attempts + 1'), updatedAt: at });
      await trx('aiBatches')
        .where({ id: batchId })
        .update({ status: 'submitted', externalBatchId: input.externalBatchId, requestCount: attached, submittedAt: at, expiresAt: input.expiresAt, updatedAt: at });
      return attached;
    });
  }

  /** Submission refused by the provider: the batch row keeps the error, the items stay queued. */
  markSubmissionFailed(batchId: string, error: string, at: Date): Promise<void> {
    return this.deps.database.asPlatform(async (trx) => {
      await trx('aiBatches').where({ id: batchId }).update({ status: 'failed', error: error.slice(0, 2000), completedAt: at, updatedAt: at });
    });
  }

  openBatches(): Promise<OpenBatchRow[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('aiBatches')
        .whereIn('status', ['submitted', 'in_progress'])
        .orderBy('submittedAt')
        .select('id', 'providerId', 'modelId', 'externalBatchId', 'status', 'requestCount'),
    );
  }

  markPolled(batchId: string, status: BatchStatus, at: Date): Promise<void> {
    return this.deps.database.asPlatform(async (trx) => {
      await trx('aiBatches').where({ id: batchId }).whereIn('status', ['submitted', 'in_progress']).update({ status, lastPolledAt: at, updatedAt: at });
    });
  }

  /** The items of one batch, every tenant (platform context). */
  batchItems(batchId: string): Promise<BatchItemRow[]> {
    return this.deps.database.asPlatform((trx) => trx('aiBatchItems').where({ batchId }).orderBy('createdAt').select(ITEM_COLUMNS));
  }

  /** Every item processed: the batch takes its ended status and the counts of its items. */
  closeBatch(batchId: string, status: BatchStatus, at: Date): Promise<void> {
    return this.deps.database.asPlatform(async (trx) => {
      const counts = await trx('aiBatchItems')
        .where({ batchId })
        .first(
          trx.raw(`count(*) filter (where status = 'succeeded')::int as succeeded`),
          trx.raw(`count(*) filter (where status in ('failed', 'retried_singly'))::int as failed`),
          trx.raw(`count(*)::int as total`),
        );
      const batch = await trx('aiBatches').where({ id: batchId }).forUpdate().first('requestCount');
      await trx('aiBatches')
        .where({ id: batchId })
        .update({
          status,
          succeededCount: counts.succeeded,
          failedCount: counts.failed,
          requestCount: Math.max(batch.requestCount, counts.total),
          completedAt: at,
          lastPolledAt: at,
          updatedAt: at,
        });
    });
  }

  /** For the jobs' summary and the admin: batches by status. */
  batch(batchId: string): Promise<Record<string, unknown> | null> {
    return this.deps.database.asPlatform(async (trx) => (await trx('aiBatches').where({ id: batchId }).first()) ?? null);
  }
}
