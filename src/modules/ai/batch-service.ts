import crypto from 'node:crypto';
import { z } from 'zod';
import type { ProviderRegistry } from '../../adapters/ai/provider-registry.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { AiCallRecord } from './db/knex-ai-call-repository.js';
import type { KnexAiCatalogueRepository, RoutingCatalogue } from './db/knex-ai-catalogue-repository.js';
import type {
  BatchItemPayload,
  BatchItemResult,
  BatchItemRow,
  BatchItemStatus,
  KnexAiBatchRepository,
  OpenBatchRow,
} from './db/knex-ai-batch-repository.js';
import { costMicros, TASK_CAPABILITY, type AiTask, type CatalogueModel } from './domain.js';
import type { AiGateway } from './gateway.js';
import type { BatchItemOutcome, ChatMessage, CreditCharger, ModelProvider, Usage } from './ports.js';
import { isUuid } from '../../shared/ids.js';

/** A queued item holds its credits until the night's batch has ended: billing's longest hold (48 h). */
const HOLD_TTL_MS = 48 * 3600 * 1000;
/** Provider batches end within 24 h. */
const BATCH_WINDOW_MS = 24 * 3600 * 1000;
/** Items per provider batch (well under the providers' limits: 100k requests / 50k lines, 256 MB / 200 MB). */
const MAX_ITEMS_PER_BATCH = 5_000;
/** Items one nightly run submits; the rest waits for the next night. */
const MAX_ITEMS_PER_RUN = 50_000;
const NO_TOKENS: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };

/** Same shape as `AiGateway.generate`'s request, with the structured-output schema as JSON Schema (it is stored). */
export interface BatchEnqueueRequest {
  tenantId: string;
  /** A text task (`generation`, `planning`, `seo_analysis`, `summarization`). */
  task: AiTask;
  prompt: string | ChatMessage[];
  instructions?: string;
  tenantContext?: string;
  channel?: string;
  /** Structured output: a JSON Schema (a zod schema is converted). The answer is validated; invalid → retried singly. */
  schema?: Record<string, unknown> | z.ZodType;
  maxTokens?: number;
  temperature?: number;
  userId?: string;
  /** What the work is for; `subject.id` is a uuid. Enqueueing the same subject again returns the same item. */
  subject?: { type: string; id: string };
  dnaSnapshotId?: string;
  /** Enqueueing twice with the same key returns the first item (takes precedence over the subject). */
  idempotencyKey?: string;
}

export interface BatchItemView {
  id: string;
  status: BatchItemStatus;
  task: AiTask;
  subject: { type: string; id: string } | null;
  /** Once `succeeded` or `retried_singly`: the text, and `data` (parsed JSON of a structured request, else the text). */
  result: { text: string; data: unknown } | null;
  /** Once `failed`. */
  error: { code: string; message: string } | null;
  /** The `ai_calls` row that produced the result (the batch call, or the single retry's call). */
  callId: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** What a consumer is told when an item of its subject type is done (once; `result()` stays the source of truth). */
export interface BatchItemCompleted {
  tenantId: string;
  itemId: string;
  status: 'succeeded' | 'retried_singly' | 'failed';
  task: AiTask;
  subject: { type: string; id: string } | null;
  result: { text: string; data: unknown } | null;
  error: { code: string; message: string } | null;
  callId: string | null;
}

export type BatchItemHandler = (event: BatchItemCompleted) => Promise<void> | void;

export interface SubmitSummary {
  queued: number;
  submitted: number;
  batches: number;
  failedBatches: number;
  /** Items whose tenant has no batch model any more: run singly through their own route. */
  runSingly: number;
  /** Items left queued for the next night (routing briefly unavailable). */
  deferred: number;
}

export interface PollSummary {
  polled: number;
  ended: number;
  succeeded: number;
  retriedSingly: number;
  failed: number;
  errors: number;
}

/**
 * The nightly batch (-50 %): work is queued with its request built and its credits held at the batch price, submitted
 * at night per model through the providers' batch APIs, polled until ended; each answer is logged as a batch call
 * (`ai_calls.is_batch`, discounted cost) and charged in its tenant's context; failed items are retried singly through
 * the gateway. Every step is idempotent: items move one by one, each checked and written in its own transaction.
 */
export class AiBatchService {
  private readonly handlers = new Map<string, Set<BatchItemHandler>>();

  constructor(
    private readonly deps: {
      aiBatchRepository: KnexAiBatchRepository;
      aiCatalogueRepository: KnexAiCatalogueRepository;
      aiGateway: AiGateway;
      providerRegistry: ProviderRegistry;
      creditCharger: CreditCharger;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /**
   * Queues a request for tonight's batch: builds it now (prompt cascade resolved, so the batch reproduces it) and holds
   * its credits at the batch price, so a tenant cannot queue beyond its budget (`billing.errors.insufficientCredits`).
   * Throws the gateway's routing errors (`ai.errors.noModelAvailable`, `ai.errors.noEuModel`…) when the tenant has no
   * batch model: call `AiGateway.generate` instead.
   */
  async enqueue(request: BatchEnqueueRequest): Promise<BatchItemView & { created: boolean }> {
    const { tenantId, task } = request;
    if (TASK_CAPABILITY[task] !== 'chat') throw new Error(`ai batch: task ${task} cannot be batched`);
    if (request.subject && (!isUuid(request.subject.id) || !request.subject.type || request.subject.type.length > 64)) {
      throw new Error('ai batch: subject must be { type (≤ 64 characters), id (uuid) }');
    }
    const key = request.idempotencyKey ?? (request.subject ? `subject:${request.subject.type}:${request.subject.id}` : undefined);
    const customId = key ? customIdFor(tenantId, key) : `cb_${crypto.randomUUID().replace(/-/g, '')}`;
    if (key) {
      const existing = await this.deps.aiBatchRepository.findByCustomId(tenantId, customId);
      if (existing) return { ...view(existing), created: false };
    }

    const jsonSchema = request.schema === undefined ? undefined : toJsonSchema(request.schema);
    if (jsonSchema) z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]); // refuse now what a retry could not use
    const { schema: _schema, idempotencyKey: _key, ...rest } = request;
    const prepared = await this.deps.aiGateway.prepareBatchRequest({ ...rest, jsonSchema });
    const reservation =
      prepared.holdCredits > 0
        ? await this.deps.creditCharger.reserve(tenantId, { amount: prepared.holdCredits, task, idempotencyKey: `batch:${customId}`, ttlMs: HOLD_TTL_MS })
        : null;
    const payload: BatchItemPayload = {
      v: 1,
      request: prepared.request,
      source: {
        prompt: request.prompt,
        instructions: request.instructions,
        tenantContext: request.tenantContext,
        channel: request.channel,
        jsonSchema,
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        userId: request.userId,
        dnaSnapshotId: request.dnaSnapshotId,
      },
      snapshotRef: prepared.snapshotRef,
    };
    try {
      const { row, created } = await this.deps.aiBatchRepository.insertItem(tenantId, {
        task,
        customId,
        requestPayload: payload,
        creditReservationId: reservation?.reservationId ?? null,
        subjectType: request.subject?.type ?? null,
        subjectId: request.subject?.id ?? null,
      });
      return { ...view(row), created };
    } catch (err) {
      if (reservation) await this.deps.creditCharger.refund(tenantId, reservation.reservationId, 'batch item not queued').catch(() => undefined);
      throw err;
    }
  }

  /** The item queued with this idempotency key, if any (what `enqueue` with the same key would return). */
  async findByKey(tenantId: string, idempotencyKey: string): Promise<BatchItemView | null> {
    const row = await this.deps.aiBatchRepository.findByCustomId(tenantId, customIdFor(tenantId, idempotencyKey));
    return row ? view(row) : null;
  }

  /** A tenant's item (another tenant's id, or a malformed one, is not found). */
  async result(tenantId: string, itemId: string): Promise<BatchItemView> {
    if (!isUuid(itemId)) throw new NotFoundError();
    const row = await this.deps.aiBatchRepository.find(tenantId, itemId);
    if (!row) throw new NotFoundError();
    return view(row);
  }

  /**
   * Reacts to finished items of a subject type (`succeeded`, `retried_singly` or `failed`), after the item is final.
   * Called once, in the polling job; a handler's error is logged, not retried. Returns the unsubscribe function.
   */
  onItemCompleted(subjectType: string, handler: BatchItemHandler): () => void {
    let set = this.handlers.get(subjectType);
    if (!set) this.handlers.set(subjectType, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /**
   * Job `ai:submit-batches` (nightly): every queued item (platform context) goes to the first model of its tenant's
   * `batch` route; one provider batch per model. A provider error leaves the items queued for the next night.
   */
  async submitQueued(now: Date = this.deps.clock.now()): Promise<SubmitSummary> {
    const items = await this.deps.aiBatchRepository.queuedItems(MAX_ITEMS_PER_RUN);
    const summary: SubmitSummary = { queued: items.length, submitted: 0, batches: 0, failedBatches: 0, runSingly: 0, deferred: 0 };
    type Target = { model: CatalogueModel; client: ModelProvider; timeoutMs: number };
    const routes = new Map<string, { target: Target } | { error: unknown }>();
    const groups = new Map<string, Target & { items: BatchItemRow[] }>();
    for (const item of items) {
      let route = routes.get(item.tenantId);
      if (!route) {
        try {
          const { candidates, timeoutMs } = await this.deps.aiGateway.batchRoute(item.tenantId);
          route = { target: { model: candidates[0].model, client: candidates[0].client, timeoutMs } };
        } catch (error) {
          route = { error };
          this.deps.logger.warn({ err: error, tenantId: item.tenantId }, 'ai batch: no batch route for tenant');
        }
        routes.set(item.tenantId, route);
      }
      if ('target' in route) {
        let group = groups.get(route.target.model.id);
        if (!group) groups.set(route.target.model.id, (group = { ...route.target, items: [] }));
        group.items.push(item);
      } else if (route.error instanceof AppError && route.error.code !== 'ai.errors.allModelsCoolingDown') {
        // No batch model for this tenant any more (plan, residency, catalogue): the work is done singly tonight.
        try {
          await this.retrySingly(item, 'queued', now);
          summary.runSingly++;
        } catch (err) {
          summary.deferred++;
          this.deps.logger.error({ err, tenantId: item.tenantId, itemId: item.id }, 'ai batch: single run of a queued item failed');
        }
      } else {
        summary.deferred++;
      }
    }

    for (const group of groups.values()) {
      for (let at = 0; at < group.items.length; at += MAX_ITEMS_PER_BATCH) {
        const chunk = group.items.slice(at, at + MAX_ITEMS_PER_BATCH);
        const batchId = await this.deps.aiBatchRepository.createBatch({ providerId: group.model.provider.id, modelId: group.model.id, requestCount: chunk.length });
        let externalId: string;
        try {
          ({ externalId } = await group.client.submitBatch!(
            group.model.modelId,
            chunk.map((item) => ({ customId: item.customId, request: { ...item.requestPayload.request, model: group.model.modelId, timeoutMs: group.timeoutMs } })),
          ));
        } catch (err) {
          summary.failedBatches++;
          this.deps.logger.error({ err, batchId, model: group.model.modelId, items: chunk.length }, 'ai batch: submission failed, items stay queued');
          await this.deps.aiBatchRepository.markSubmissionFailed(batchId, String((err as Error)?.message ?? err), now);
          continue;
        }
        const attached = await this.deps.aiBatchRepository.markSubmitted(
          batchId,
          { externalBatchId: externalId, modelId: group.model.id, itemIds: chunk.map((i) => i.id), expiresAt: new Date(now.getTime() + BATCH_WINDOW_MS) },
          now,
        );
        summary.batches++;
        summary.submitted += attached;
        this.deps.logger.info({ batchId, externalId, model: group.model.modelId, items: attached }, 'ai batch submitted');
      }
    }
    return summary;
  }

  /**
   * Job `ai:poll-batches` (every 10 minutes): polls each open batch; once ended, each item is settled (success) or
   * retried singly (failure) in its tenant's context, then the batch takes its final status and counts. A batch with
   * an item that could not be processed stays open and resumes on the next poll.
   */
  async pollOpenBatches(now: Date = this.deps.clock.now()): Promise<PollSummary> {
    const summary: PollSummary = { polled: 0, ended: 0, succeeded: 0, retriedSingly: 0, failed: 0, errors: 0 };
    const batches = await this.deps.aiBatchRepository.openBatches();
    if (!batches.length) return summary;
    const catalogue = await this.deps.aiCatalogueRepository.loadCatalogue();
    for (const batch of batches) {
      summary.polled++;
      try {
        await this.pollBatch(batch, catalogue, now, summary);
      } catch (err) {
        summary.errors++;
        this.deps.logger.error({ err, batchId: batch.id, externalId: batch.externalBatchId }, 'ai batch: poll failed');
      }
    }
    return summary;
  }

  private async pollBatch(batch: OpenBatchRow, catalogue: RoutingCatalogue, now: Date, summary: PollSummary): Promise<void> {
    const provider = [...catalogue.providers.values()].find((p) => p.id === batch.providerId);
    const model = batch.modelId ? catalogue.models.get(batch.modelId) : undefined;
    if (!provider || !model) throw new Error(`ai batch ${batch.id}: provider or model no longer in the catalogue`);
    const client = this.deps.providerRegistry.client(provider);
    if (!client.pollBatch) throw new Error(`ai batch ${batch.id}: provider ${provider.code} has no batch API`);
    const poll = await client.pollBatch(batch.externalBatchId);
    if (poll.status === 'submitted' || poll.status === 'in_progress') {
      await this.deps.aiBatchRepository.markPolled(batch.id, poll.status, now);
      return;
    }
    const outcomes = new Map((poll.outcomes ?? []).map((o) => [o.customId, o]));
    let unfinished = 0;
    for (const item of await this.deps.aiBatchRepository.batchItems(batch.id)) {
      if (item.status !== 'submitted') continue;
      try {
        const status = await this.processOutcome(batch.id, model, item, outcomes.get(item.customId), now);
        if (status === 'succeeded') summary.succeeded++;
        else if (status === 'retried_singly') summary.retriedSingly++;
        else if (status === 'failed') summary.failed++;
      } catch (err) {
        unfinished++;
        summary.errors++;
        this.deps.logger.error({ err, batchId: batch.id, tenantId: item.tenantId, itemId: item.id }, 'ai batch: item not processed, resumes on the next poll');
      }
    }
    if (unfinished) {
      await this.deps.aiBatchRepository.markPolled(batch.id, 'in_progress', now);
      return;
    }
    await this.deps.aiBatchRepository.closeBatch(batch.id, poll.status, now);
    summary.ended++;
    this.deps.logger.info({ batchId: batch.id, status: poll.status }, 'ai batch processed');
  }

  /** One item of an ended batch: log its batch call once, then charge it or retry it singly. */
  private async processOutcome(batchId: string, model: CatalogueModel, item: BatchItemRow, outcome: BatchItemOutcome | undefined, now: Date): Promise<BatchItemStatus | null> {
    const payload = item.requestPayload;
    const answer = outcome?.result;
    let result: BatchItemResult | undefined;
    let error = outcome?.error ?? (answer ? undefined : { code: 'missing_result', message: 'the provider returned no result for this item' });
    if (answer && !error) {
      if (answer.finishReason === 'content_filter') error = { code: 'content_filter', message: 'refused by the provider' };
      else {
        const parsed = parseAnswer(answer.text, payload.source.jsonSchema);
        if (parsed.ok) result = parsed.result;
        else error = { code: 'invalid_structured_output', message: parsed.error };
      }
    }
    const usage = answer?.usage ?? NO_TOKENS;
    const cost = result ? costMicros(model, usage, { batch: true }) : 0;
    const credits = result ? await this.deps.creditCharger.creditsForCost(cost, model.priceCurrency) : 0;
    const call: AiCallRecord = {
      task: item.task,
      providerId: model.provider.id,
      modelId: model.id,
      requestGroupId: crypto.randomUUID(),
      attempt: 1,
      fallbackUsed: false,
      status: result ? 'ok' : error?.code === 'content_filter' ? 'refused' : 'error',
      errorCode: result ? null : (error?.code.slice(0, 64) ?? null),
      errorMessage: result ? null : (error?.message.slice(0, 2000) ?? null),
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cachedInputTokens: usage.cachedInputTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      costMicros: cost,
      priceCurrency: model.priceCurrency,
      creditsCharged: credits,
      latencyMs: null,
      isBatch: true,
      batchId,
      euHosted: model.euHosted,
      providerRequestId: answer?.providerRequestId ?? null,
      promptLayerSnapshotRef: payload.snapshotRef,
      dnaSnapshotId: payload.source.dnaSnapshotId ?? null,
      creditReservationId: item.creditReservationId,
      userId: payload.source.userId ?? null,
      subjectType: item.subjectType,
      subjectId: item.subjectId,
    };
    const recorded = await this.deps.aiBatchRepository.recordOutcome(item.tenantId, item.id, batchId, call, result ? { result } : { error }, now);
    if (recorded.state === 'closed') return null;
    if (recorded.callStatus !== 'ok') return this.retrySingly(item, 'submitted', now);

    await this.charge(item, recorded.creditsCharged, recorded.callId);
    const final = item.result ?? result ?? null;
    if (await this.deps.aiBatchRepository.finish(item.tenantId, item.id, 'submitted', { status: 'succeeded' }, now)) {
      await this.notify(item, 'succeeded', { result: final, callId: recorded.callId });
    }
    return 'succeeded';
  }

  /** Settles the item's hold on the real (discounted) cost; a hold that expired meanwhile is replaced by a late one. */
  private async charge(item: BatchItemRow, credits: number, callId: string): Promise<void> {
    const { tenantId } = item;
    if (item.creditReservationId) {
      const receipt = await this.deps.creditCharger.settle(tenantId, item.creditReservationId, credits, { aiCallId: callId });
      if ((receipt as { status?: string } | undefined)?.status !== 'refunded' || credits === 0) return;
    } else if (credits === 0) return;
    try {
      const late = await this.deps.creditCharger.reserve(tenantId, { amount: credits, task: item.task, idempotencyKey: `batch-late:${item.id}` });
      await this.deps.creditCharger.settle(tenantId, late.reservationId, credits, { aiCallId: callId });
    } catch (err) {
      // Only when the hold expired and the balance no longer covers the call: the platform absorbs it.
      this.deps.logger.warn({ err, tenantId, itemId: item.id, credits }, 'ai batch: hold expired and the late charge was refused');
    }
  }

  /**
   * The item through its own task route, now: its batch hold is given back first (the single call holds and charges
   * its own), then `generate`; success → `retried_singly` linked to that call, failure → `failed` (nothing charged).
   */
  private async retrySingly(item: BatchItemRow, from: 'queued' | 'submitted', now: Date): Promise<BatchItemStatus> {
    const { tenantId } = item;
    if (item.creditReservationId) await this.deps.creditCharger.refund(tenantId, item.creditReservationId, 'batch item retried singly');
    const source = item.requestPayload.source;
    const subject = item.subjectType && item.subjectId ? { type: item.subjectType, id: item.subjectId } : undefined;
    try {
      const answer = await this.deps.aiGateway.generate<unknown>({
        tenantId,
        task: item.task,
        prompt: source.prompt,
        instructions: source.instructions,
        tenantContext: source.tenantContext,
        channel: source.channel,
        schema: source.jsonSchema ? z.fromJSONSchema(source.jsonSchema as Parameters<typeof z.fromJSONSchema>[0]) : undefined,
        maxTokens: source.maxTokens,
        temperature: source.temperature,
        userId: source.userId,
        dnaSnapshotId: source.dnaSnapshotId,
        subject,
        idempotencyKey: `batch-retry:${item.id}`,
      });
      const result: BatchItemResult = source.jsonSchema ? { text: answer.text, data: answer.data } : { text: answer.text };
      if (await this.deps.aiBatchRepository.finish(tenantId, item.id, from, { status: 'retried_singly', aiCallId: answer.callId, result, attempted: true }, now)) {
        await this.notify(item, 'retried_singly', { result, callId: answer.callId });
      }
      return 'retried_singly';
    } catch (err) {
      if (!(err instanceof AppError)) throw err; // not an answer from the AI side: resume on the next run
      const failure = { code: err.code, message: `single retry failed: ${err.code}` };
      if (await this.deps.aiBatchRepository.finish(tenantId, item.id, from, { status: 'failed', error: failure, attempted: true }, now)) {
        await this.notify(item, 'failed', { error: failure });
      }
      return 'failed';
    }
  }

  private async notify(
    item: BatchItemRow,
    status: BatchItemCompleted['status'],
    outcome: { result?: BatchItemResult | null; error?: { code: string; message: string }; callId?: string },
  ): Promise<void> {
    const handlers = item.subjectType ? this.handlers.get(item.subjectType) : undefined;
    if (!handlers?.size) return;
    const event: BatchItemCompleted = {
      tenantId: item.tenantId,
      itemId: item.id,
      status,
      task: item.task,
      subject: item.subjectType && item.subjectId ? { type: item.subjectType, id: item.subjectId } : null,
      result: outcome.result ? publicResult(outcome.result) : null,
      error: outcome.error ?? null,
      callId: outcome.callId ?? null,
    };
    for (const handler of handlers) {
      try {
        await handler(event);
      } catch (err) {
        this.deps.logger.error({ err, tenantId: item.tenantId, itemId: item.id, subjectType: item.subjectType }, 'ai batch: completion handler failed');
      }
    }
  }
}

function view(row: BatchItemRow): BatchItemView {
  const done = row.status === 'succeeded' || row.status === 'retried_singly';
  return {
    id: row.id,
    status: row.status,
    task: row.task,
    subject: row.subjectType && row.subjectId ? { type: row.subjectType, id: row.subjectId } : null,
    result: done && row.result ? publicResult(row.result) : null,
    error: row.status === 'failed' ? { code: row.errorCode ?? 'unknown', message: row.errorMessage ?? '' } : null,
    callId: row.aiCallId,
    createdAt: row.createdAt,
    completedAt: row.completedAt,
  };
}

function publicResult(result: BatchItemResult): { text: string; data: unknown } {
  return { text: result.text, data: 'data' in result ? result.data : result.text };
}

function toJsonSchema(schema: Record<string, unknown> | z.ZodType): Record<string, unknown> {
  if (schema instanceof z.ZodType) return z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw new Error('ai batch: schema must be a JSON Schema object');
  return schema;
}

/** A batch answer: text, or JSON validated against the stored schema. */
function parseAnswer(text: string, jsonSchema: Record<string, unknown> | undefined): { ok: true; result: BatchItemResult } | { ok: false; error: string } {
  if (!jsonSchema) return { ok: true, result: { text } };
  let json: unknown;
  try {
    json = JSON.parse(stripFences(text));
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  const parsed = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(json);
  return parsed.success ? { ok: true, result: { text, data: parsed.data } } : { ok: false, error: z.prettifyError(parsed.error).slice(0, 1000) };
}

function stripFences(text: string): string {
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/.exec(text.trim());
  return fenced ? fenced[1] : text;
}

/** The provider-facing id of an item queued with an idempotency key (stable, reveals nothing). */
function customIdFor(tenantId: string, key: string): string {
  return `cb_${sha256(`${tenantId}\n${key}`).slice(0, 40)}`;
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
