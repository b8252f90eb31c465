import crypto from 'node:crypto';
import { z } from 'zod';
import type { ProviderRegistry } from '../../adapters/ai/provider-registry.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { AiCallRecord, KnexAiCallRepository } from './db/knex-ai-call-repository.js';
import type { KnexAiCatalogueRepository, RoutingCatalogue, TenantAiPolicy } from './db/knex-ai-catalogue-repository.js';
import { costMicros, estimateTokens, type AiTask, type CatalogueModel } from './domain.js';
import { eligibleModels } from './routing.js';
import {
  ProviderError,
  type ChatMessage,
  type CompletionRequest,
  type CompletionResult,
  type CreditCharger,
  type ModelProvider,
  type ModerationResult,
  type SystemPromptSource,
  type Usage,
} from './ports.js';

const CATALOGUE_TTL_MS = 5_000;
/** How often a model that keeps answering has its last success written (the super admin's view). */
const HEALTH_SUCCESS_REFRESH_MS = 30_000;
const DEFAULT_MAX_TOKENS = 1_024;
const NO_TOKENS: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };

export interface AiRequest<T = unknown> {
  tenantId: string;
  task: AiTask;
  /** The brief or question. */
  prompt: string | ChatMessage[];
  /** Call-specific instructions, after the cached prefix. */
  instructions?: string;
  /** Tenant context stable across calls (brand DNA…): appended to the cached prefix. */
  tenantContext?: string;
  channel?: string;
  /** Structured output, validated; one repair attempt, then `ai.errors.invalidStructuredOutput`. */
  schema?: z.ZodType<T>;
  maxTokens?: number;
  temperature?: number;
  userId?: string;
  subject?: { type: string; id: string };
  dnaSnapshotId?: string;
  /** Reserving twice with the same key reuses the first reservation. */
  idempotencyKey?: string;
}

export interface AiModelRef {
  id: string;
  modelId: string;
  displayName: string;
  provider: string;
  offline: boolean;
}

export interface AiResult<T = unknown> {
  text: string;
  data: T;
  callId: string;
  model: AiModelRef;
  fallbackUsed: boolean;
  credits: number;
  promptLayerSnapshotRef: string;
}

export type AiStreamEvent = { type: 'delta'; text: string } | { type: 'done'; result: AiResult<string> };

interface Attempt {
  model: CatalogueModel;
  client: ModelProvider;
}

interface Performed<T> {
  text: string;
  data: T;
  usage: Usage & { audioSeconds?: number };
  providerRequestId?: string;
}

/** What one call of any kind needs besides its provider method. */
interface CallPlan {
  candidates: Attempt[];
  /** Credits to hold for a candidate: its cost with the largest plausible usage. */
  worstUsage: Usage & { audioSeconds?: number };
  snapshotRef: string | null;
  timeoutMs: number;
}

/** The one door for every AI call: routing, fallback, cooldown, residency, credits, cost and the call log. */
export class AiGateway {
  private catalogue?: { value: Promise<RoutingCatalogue>; at: number };
  private readonly policies = new Map<string, { value: Promise<TenantAiPolicy>; at: number }>();
  /** What this process last wrote to `ai_model_health`, per model. */
  private readonly healthWritten = new Map<string, { ok: boolean; at: number }>();

  constructor(
    private readonly deps: {
      aiCatalogueRepository: KnexAiCatalogueRepository;
      aiCallRepository: KnexAiCallRepository;
      providerRegistry: ProviderRegistry;
      circuitBreaker: CircuitBreaker;
      creditCharger: CreditCharger;
      systemPromptSource: SystemPromptSource;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** The models that would serve a tenant's task now, in route order (cooldowns aside), without calling any. */
  async modelsFor(tenantId: string, task: AiTask): Promise<CatalogueModel[]> {
    const [catalogue, policy] = await Promise.all([this.loadCatalogue(), this.tenantPolicy(tenantId)]);
    return eligibleModels(catalogue, policy, task, (p) => this.deps.providerRegistry.isUsable(p)).models.map((m) => m.model);
  }

  /**
   * Credits a call of this usage would cost the tenant on the dearest model of its route (the gateway holds as much):
   * what the monthly pipeline shows as its estimate before starting. Calls nothing.
   */
  async estimateCredits(tenantId: string, task: AiTask, usage: { inputTokens: number; outputTokens: number }): Promise<number> {
    const { candidates } = await this.route(tenantId, task);
    const full: Usage = { ...NO_TOKENS, ...usage };
    const credits = await Promise.all(candidates.map((c) => this.deps.creditCharger.creditsForCost(costMicros(c.model, full), c.model.priceCurrency)));
    return Math.max(0, ...credits);
  }

  /**
   * Whether speech-to-text can serve this tenant now, as routing would choose. The offline provider cannot
   * transcribe, so a machine without a key says so before any upload.
   */
  async canTranscribe(tenantId: string): Promise<boolean> {
    try {
      return (await this.modelsFor(tenantId, 'transcription')).some((model) => model.provider.code !== 'offline');
    } catch (err) {
      this.deps.logger.warn({ err, tenantId }, 'could not tell whether transcription is available');
      return false;
    }
  }

  /** Forget the cached catalogue (after the super admin changes keys, models or routes). */
  invalidateCatalogue(): void {
    this.catalogue = undefined;
    this.policies.clear();
  }

  async generate<T = string>(request: AiRequest<T>): Promise<AiResult<T>> {
    const prepared = await this.prepare(request);
    return this.run(request, prepared.plan, async (attempt) => {
      const completion = prepared.completionFor(attempt);
      const first = await attempt.client.complete(completion);
      if (!request.schema) return performed(first, first.text as T);
      const parsed = parseStructured(first.text, request.schema);
      if (parsed.ok) return performed(first, parsed.data);
      // One repair attempt on the same model: show it its answer and what is wrong.
      const repair = await attempt.client.complete({
        ...completion,
        messages: [
          ...completion.messages,
          { role: 'assistant', content: first.text },
          { role: 'user', content: `Your answer does not match the required JSON schema: ${parsed.error}. Answer again with only the corrected JSON.` },
        ],
      });
      const usage = addUsage(first.usage, repair.usage);
      const repaired = parseStructured(repair.text, request.schema);
      if (!repaired.ok) throw new StructuredOutputError(parsed.error, usage);
      return performed({ ...repair, usage }, repaired.data);
    });
  }

  /** Streams text deltas. Fallback is possible until the first delta; after that a failure ends the stream. */
  async *stream(request: AiRequest<string>): AsyncIterable<AiStreamEvent> {
    if (request.schema) throw new Error('structured output cannot be streamed');
    const prepared = await this.prepare(request);
    const queue: AiStreamEvent[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const push = (event: AiStreamEvent) => {
      queue.push(event);
      wake?.();
    };
    void this.run(request, prepared.plan, async (attempt, started) => {
      let final: CompletionResult | undefined;
      for await (const event of attempt.client.stream(prepared.completionFor(attempt))) {
        if (event.type === 'delta') {
          started.firstTokenAt ??= Date.now();
          push(event);
        } else final = event.result;
      }
      if (!final) throw new ProviderError('malformed', 'stream ended without a final message');
      return performed(final, final.text);
    })
      .then((result) => push({ type: 'done', result }))
      .catch((err) => (failure = err))
      .finally(() => {
        finished = true;
        wake?.();
      });
    while (true) {
      if (queue.length) {
        yield queue.shift()!;
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    if (failure) throw failure;
  }

  /** Speech to text (onboarding interviews, monthly sessions). */
  async transcribe(
    meta: Omit<CallMeta, 'task'>,
    audio: { data: Buffer; filename: string; mimeType: string; language?: string },
  ): Promise<AiResult<string> & { durationSeconds: number }> {
    const { candidates, timeoutMs } = await this.route(meta.tenantId, 'transcription');
    // ~16 kB a second of compressed speech: the hold is sized on the file, the charge on the real duration
    const estimatedSeconds = Math.max(60, Math.ceil(audio.data.length / 16_000));
    let durationSeconds = 0;
    const result = await this.run(
      { ...meta, task: 'transcription' },
      { candidates, timeoutMs, snapshotRef: null, worstUsage: { ...NO_TOKENS, audioSeconds: estimatedSeconds } },
      async (attempt) => {
        if (!attempt.client.transcribe) throw new ProviderError('unsupported', `${attempt.model.modelId} cannot transcribe`);
        const out = await attempt.client.transcribe({ model: attempt.model.modelId, audio: audio.data, filename: audio.filename, mimeType: audio.mimeType, language: audio.language, timeoutMs });
        durationSeconds = out.durationSeconds;
        return { text: out.text, data: out.text, usage: { ...NO_TOKENS, audioSeconds: out.durationSeconds }, providerRequestId: out.providerRequestId };
      },
    );
    return { ...result, durationSeconds };
  }

  async embed(meta: Omit<CallMeta, 'task'>, inputs: string[]): Promise<AiResult<number[][]>> {
    const { candidates, timeoutMs } = await this.route(meta.tenantId, 'embeddings');
    const tokens = inputs.reduce((n, s) => n + estimateTokens(s), 0);
    return this.run({ ...meta, task: 'embeddings' }, { candidates, timeoutMs, snapshotRef: null, worstUsage: { ...NO_TOKENS, inputTokens: tokens } }, async (attempt) => {
      if (!attempt.client.embed) throw new ProviderError('unsupported', `${attempt.model.modelId} cannot embed`);
      const out = await attempt.client.embed({ model: attempt.model.modelId, inputs, timeoutMs });
      return { text: '', data: out.vectors, usage: out.usage };
    });
  }

  async moderate(meta: Omit<CallMeta, 'task'>, input: string): Promise<AiResult<ModerationResult>> {
    const { candidates, timeoutMs } = await this.route(meta.tenantId, 'moderation');
    return this.run(
      { ...meta, task: 'moderation' },
      { candidates, timeoutMs, snapshotRef: null, worstUsage: { ...NO_TOKENS, inputTokens: estimateTokens(input) } },
      async (attempt) => {
        if (!attempt.client.moderate) throw new ProviderError('unsupported', `${attempt.model.modelId} cannot moderate`);
        const out = await attempt.client.moderate({ model: attempt.model.modelId, input, timeoutMs });
        return { text: '', data: out, usage: { ...NO_TOKENS, inputTokens: estimateTokens(input) } };
      },
    );
  }

  /**
   * Nightly batch (AiBatchService): the tenant's `batch` route as routing sees it now — plan, EU residency, usable
   * provider, cooldown — keeping only providers whose adapter has a batch API. Primary first. Calls nothing.
   */
  async batchRoute(tenantId: string): Promise<{ candidates: { model: CatalogueModel; client: ModelProvider }[]; timeoutMs: number; locale: string }> {
    const route = await this.route(tenantId, 'batch');
    const candidates = route.candidates.filter((c) => typeof c.client.submitBatch === 'function' && typeof c.client.pollBatch === 'function');
    if (!candidates.length) throw new AppError('ai.errors.noModelAvailable', 503, { task: 'batch' });
    return { ...route, candidates };
  }

  /**
   * Nightly batch (AiBatchService): what `generate` would send for this request, built now — the cascade's stable
   * prefix + tenant context, the messages, the JSON schema — without the model, and the credits to hold for it at
   * the BATCH price of the dearest model of the tenant's `batch` route. Calls no provider and charges nothing.
   */
  async prepareBatchRequest(
    request: Omit<AiRequest, 'schema'> & { jsonSchema?: Record<string, unknown> },
  ): Promise<{ request: Omit<CompletionRequest, 'model' | 'timeoutMs' | 'signal'>; snapshotRef: string; holdCredits: number }> {
    const { candidates, locale } = await this.batchRoute(request.tenantId);
    const system = await this.deps.systemPromptSource.stablePrompt(request.tenantId, locale, { task: request.task, channel: request.channel });
    const stable = [system.stable, request.tenantContext].filter(Boolean).join('\n\n');
    const variable = [system.variable, request.instructions].filter(Boolean).join('\n\n') || undefined;
    const messages: ChatMessage[] = typeof request.prompt === 'string' ? [{ role: 'user', content: request.prompt }] : request.prompt;
    const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
    const promptTokens = estimateTokens(stable + (variable ?? '') + messages.map((m) => m.content).join('\n'));
    const worst: Usage = { inputTokens: promptTokens, outputTokens: maxTokens, cachedInputTokens: 0, cacheWriteTokens: 0 };
    const holds = await Promise.all(
      candidates.map((c) => this.deps.creditCharger.creditsForCost(costMicros(c.model, worst, { batch: true }), c.model.priceCurrency)),
    );
    return {
      request: {
        system: { stable, variable },
        messages,
        maxTokens,
        temperature: request.temperature,
        json: request.jsonSchema ? { name: 'answer', schema: request.jsonSchema } : undefined,
      },
      snapshotRef: system.snapshotRef,
      holdCredits: Math.max(0, ...holds),
    };
  }

  /** Text tasks: the cascade's stable prefix + tenant context, the messages, the candidates and the hold. */
  private async prepare(request: AiRequest<unknown>) {
    const { candidates, timeoutMs, locale } = await this.route(request.tenantId, request.task);
    const system = await this.deps.systemPromptSource.stablePrompt(request.tenantId, locale, { task: request.task, channel: request.channel });
    const stable = [system.stable, request.tenantContext].filter(Boolean).join('\n\n');
    const variable = [system.variable, request.instructions].filter(Boolean).join('\n\n') || undefined;
    const messages: ChatMessage[] = typeof request.prompt === 'string' ? [{ role: 'user', content: request.prompt }] : request.prompt;
    const jsonSchema = request.schema ? (z.toJSONSchema(request.schema, { target: 'draft-7' }) as Record<string, unknown>) : undefined;
    const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
    const promptTokens = estimateTokens(stable + (variable ?? '') + messages.map((m) => m.content).join('\n'));
    const plan: CallPlan = {
      candidates,
      timeoutMs,
      snapshotRef: system.snapshotRef,
      // a structured answer may need its one repair attempt: twice the tokens
      worstUsage: { inputTokens: promptTokens * (request.schema ? 2 : 1), outputTokens: maxTokens * (request.schema ? 2 : 1), cachedInputTokens: 0, cacheWriteTokens: 0 },
    };
    const completionFor = (attempt: Attempt): CompletionRequest => ({
      model: attempt.model.modelId,
      system: { stable, variable },
      messages,
      maxTokens,
      temperature: request.temperature,
      json: jsonSchema ? { name: 'answer', schema: jsonSchema } : undefined,
      timeoutMs,
      // the SDKs' own timeouts stop at the response headers: this one also bounds a stalled body or stream
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { plan, completionFor };
  }

  private async route(tenantId: string, task: AiTask) {
    const [catalogue, policy] = await Promise.all([this.loadCatalogue(), this.tenantPolicy(tenantId)]);
    const candidates = this.candidates(catalogue, policy, task);
    return { candidates, timeoutMs: catalogue.routes.get(task)?.timeoutMs ?? 60_000, locale: policy.locale };
  }

  /** The route's models, in order, that the tenant may use now. */
  private candidates(catalogue: RoutingCatalogue, policy: TenantAiPolicy, task: AiTask): Attempt[] {
    const choice = eligibleModels(catalogue, policy, task, (p) => this.deps.providerRegistry.isUsable(p));
    if (!choice.active) throw new AppError('ai.errors.taskUnavailable', 503, { task });
    if (!choice.models.length) {
      throw new AppError(choice.blockedByResidency ? 'ai.errors.noEuModel' : 'ai.errors.noModelAvailable', 503, { task });
    }
    const eligible = choice.models.map(({ model, provider }) => ({ model, client: this.deps.providerRegistry.client(provider) }));
    const available = eligible.filter((a) => this.deps.circuitBreaker.isAvailable(a.model.id));
    if (!available.length) throw new AppError('ai.errors.allModelsCoolingDown', 503, { task });
    return available;
  }

  /**
   * Reserve credits for the dearest candidate, try the models in order, log every attempt, settle the
   * real cost of the one that answered — or refund everything when none did.
   */
  private async run<T>(
    request: CallMeta,
    plan: CallPlan,
    perform: (attempt: Attempt, started: { firstTokenAt?: number }) => Promise<Performed<T>>,
  ): Promise<AiResult<T>> {
    const { candidates, snapshotRef } = plan;
    const estimate = Math.max(
      ...(await Promise.all(candidates.map((c) => this.deps.creditCharger.creditsForCost(costMicros(c.model, plan.worstUsage), c.model.priceCurrency)))),
    );
    const requestGroupId = crypto.randomUUID();
    const reservation =
      estimate > 0
        ? await this.deps.creditCharger.reserve(request.tenantId, {
            amount: estimate,
            task: request.task,
            idempotencyKey: request.idempotencyKey ?? `ai:${requestGroupId}`,
          })
        : null;

    let lastError: unknown;
    for (const [index, attempt] of candidates.entries()) {
      const base = this.callRecord(request, attempt, requestGroupId, index, snapshotRef, reservation?.reservationId);
      const started = { at: Date.now(), firstTokenAt: undefined as number | undefined };
      try {
        const result = await perform(attempt, started);
        const cost = costMicros(attempt.model, result.usage);
        const credits = await this.deps.creditCharger.creditsForCost(cost, attempt.model.priceCurrency);
        // The call log and the settlement are independent writes (the log row carries the reservation id):
        // both on the caller's path, side by side.
        const logged = this.deps.aiCallRepository.record(request.tenantId, {
          ...base,
          status: 'ok',
          ...usageColumns(result.usage),
          audioSeconds: Math.round(result.usage.audioSeconds ?? 0),
          costMicros: cost,
          creditsCharged: credits,
          latencyMs: Date.now() - started.at,
          timeToFirstTokenMs: started.firstTokenAt ? started.firstTokenAt - started.at : null,
          streamed: started.firstTokenAt !== undefined,
          providerRequestId: result.providerRequestId ?? null,
        });
        const settled = reservation ? this.deps.creditCharger.settle(request.tenantId, reservation.reservationId, credits) : undefined;
        const [callId] = await Promise.all([logged, settled]);
        this.deps.circuitBreaker.recordSuccess(attempt.model.id); // failures only count in a row
        this.recordHealth(attempt.model.id, true);
        return {
          text: result.text,
          data: result.data,
          callId,
          model: modelRef(attempt.model),
          fallbackUsed: index > 0,
          credits,
          promptLayerSnapshotRef: snapshotRef ?? '',
        };
      } catch (err) {
        lastError = err;
        const providerError = err instanceof ProviderError ? err : undefined;
        const usage = err instanceof StructuredOutputError ? err.usage : undefined;
        await this.deps.aiCallRepository.record(request.tenantId, {
          ...base,
          status: providerError?.kind === 'content_filter' ? 'refused' : 'error',
          errorCode: providerError?.kind ?? (err instanceof StructuredOutputError ? 'invalid_structured_output' : 'internal'),
          errorMessage: String((err as Error)?.message ?? err).slice(0, 2000),
          httpStatus: providerError?.options.status ?? null,
          ...(usage ? usageColumns(usage) : {}),
          latencyMs: Date.now() - started.at,
        });
        const streamedAlready = started.firstTokenAt !== undefined;
        if (providerError?.fallsBack && !streamedAlready) {
          const openUntil = this.deps.circuitBreaker.recordFailure(attempt.model.id, providerError.options.retryAfterMs);
          this.recordHealth(attempt.model.id, false, openUntil, providerError);
          this.deps.logger.warn({ tenantId: request.tenantId, task: request.task, model: attempt.model.modelId, kind: providerError.kind }, 'ai call failed, falling back');
          continue;
        }
        break;
      }
    }
    if (reservation) await this.deps.creditCharger.refund(request.tenantId, reservation.reservationId, 'ai call failed');
    if (lastError instanceof StructuredOutputError) throw new AppError('ai.errors.invalidStructuredOutput', 502);
    if (lastError instanceof ProviderError && !lastError.fallsBack) throw new AppError('ai.errors.requestRefused', 422, { kind: lastError.kind });
    if (lastError instanceof ProviderError) throw new AppError('ai.errors.allModelsFailed', 503);
    throw lastError;
  }

  private callRecord(request: CallMeta, attempt: Attempt, requestGroupId: string, index: number, snapshotRef: string | null, reservationId?: string) {
    return {
      task: request.task,
      providerId: attempt.model.provider.id,
      modelId: attempt.model.id,
      requestGroupId,
      attempt: index + 1,
      fallbackUsed: index > 0,
      euHosted: attempt.model.euHosted,
      priceCurrency: attempt.model.priceCurrency,
      promptLayerSnapshotRef: snapshotRef,
      dnaSnapshotId: request.dnaSnapshotId ?? null,
      creditReservationId: reservationId ?? null,
      userId: request.userId ?? null,
      subjectType: request.subject?.type ?? null,
      subjectId: request.subject?.id ?? null,
    } satisfies Partial<AiCallRecord>;
  }

  private recordHealth(modelId: string, ok: boolean, openUntil: Date | null = null, error?: ProviderError): void {
    const failures = this.deps.circuitBreaker.failures(modelId);
    // A failure is always written; a success only when the model was last written failing, or to refresh its
    // last success every HEALTH_SUCCESS_REFRESH_MS (one write per model, not one per call).
    const now = Date.now();
    const last = this.healthWritten.get(modelId);
    if (ok && last?.ok && now - last.at < HEALTH_SUCCESS_REFRESH_MS) return;
    this.healthWritten.set(modelId, { ok, at: now });
    // Health is for the super admin's view: written after the answer, never on the caller's path.
    setImmediate(() => {
      this.deps.aiCallRepository
        .recordHealth(modelId, { ok, failures, openUntil, errorCode: error?.kind, error: error?.message }, this.deps.clock.now())
        .catch((err) => {
          this.healthWritten.delete(modelId);
          this.deps.logger.warn({ err }, 'could not record model health');
        });
    });
  }

  /** A tenant's plan models and residency rule, kept as long as the catalogue: a plan change applies within seconds. */
  private tenantPolicy(tenantId: string): Promise<TenantAiPolicy> {
    const now = Date.now();
    const cached = this.policies.get(tenantId);
    if (cached && now - cached.at <= CATALOGUE_TTL_MS) return cached.value;
    const value = this.deps.aiCatalogueRepository.tenantPolicy(tenantId);
    value.catch(() => this.policies.delete(tenantId));
    if (this.policies.size > 10_000) this.policies.clear();
    this.policies.set(tenantId, { value, at: now });
    return value;
  }

  private loadCatalogue(): Promise<RoutingCatalogue> {
    const now = Date.now();
    if (!this.catalogue || now - this.catalogue.at > CATALOGUE_TTL_MS) {
      const value = this.deps.aiCatalogueRepository.loadCatalogue();
      value.catch(() => (this.catalogue = undefined));
      this.catalogue = { value, at: now };
    }
    return this.catalogue.value;
  }
}

class StructuredOutputError extends Error {
  constructor(
    readonly detail: string,
    readonly usage: Usage,
  ) {
    super(`structured output invalid after one repair: ${detail}`);
  }
}

function parseStructured<T>(text: string, schema: z.ZodType<T>): { ok: true; data: T } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(stripFences(text));
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, error: z.prettifyError(parsed.error).slice(0, 1000) };
}

function stripFences(text: string): string {
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/.exec(text.trim());
  return fenced ? fenced[1] : text;
}

/** What the call log and the credit hold need to know about any call, text or not. */
export type CallMeta = Pick<AiRequest, 'tenantId' | 'task' | 'userId' | 'subject' | 'dnaSnapshotId' | 'idempotencyKey'>;

function performed<T>(result: CompletionResult, data: T): Performed<T> {
  return { text: result.text, data, usage: result.usage, providerRequestId: result.providerRequestId };
}

function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

function usageColumns(usage: Usage) {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
  };
}

function modelRef(model: CatalogueModel): AiModelRef {
  return { id: model.id, modelId: model.modelId, displayName: model.displayName, provider: model.provider.code, offline: model.provider.code === 'offline' };
}
