import crypto from 'node:crypto';
import { DateTime } from 'luxon';
import type { Config } from '../../../config.js';
import type { Clock } from '../../../shared/clock.js';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { Semaphore } from '../../../shared/semaphore.js';
import type { AiBatchService } from '../../ai/batch-service.js';
import type { AiGateway } from '../../ai/gateway.js';
import type { Channel } from '../../studio/domain.js';
import type { ContentService } from '../../studio/content-service.js';
import { maxTokensFor } from '../../studio/generation-prompt.js';
import type { KnexPipelineRepository, PlanItemRow, StepItemRow } from '../db/knex-pipeline-repository.js';
import { BudgetExhaustedError, type StepContext, type StepHandler, type StepOutcome } from '../ports.js';

/** The nightly batch is submitted at 01:00 (Paris) and the providers answer within 24 h. */
const BATCH_SUBMIT_HOUR = 1;
const BATCH_ZONE = 'Europe/Paris';
const BATCH_TURNAROUND_HOURS = 24;
/** Time the client keeps to approve an item before its slot. */
const APPROVAL_MARGIN_MS = 48 * 3600_000;
/** How often a step waiting for batch answers looks again. */
const BATCH_RECHECK_MS = 15 * 60_000;
const GENERATION_INPUT_TOKENS = 2_500;

type ItemResult = 'generated' | 'queued' | 'skipped' | 'retry';

/** A content id derived from the item's idempotency key: a resumed run finds the content it created, never a second one. */
export function plannedContentId(idempotencyKey: string): string {
  const hex = crypto.createHash('sha256').update(`content:${idempotencyKey}`).digest('hex');
  // RFC 9562 version 8 (custom), variant 10
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** When an answer queued now in the nightly batch is expected at the latest. */
export function batchReadyBy(now: Date): Date {
  let submit = DateTime.fromJSDate(now, { zone: BATCH_ZONE }).set({ hour: BATCH_SUBMIT_HOUR, minute: 0, second: 0, millisecond: 0 });
  if (submit.toMillis() <= now.getTime()) submit = submit.plus({ days: 1 });
  return submit.plus({ hours: BATCH_TURNAROUND_HOURS }).toJSDate();
}

/**
 * Step 5: every planned item written. Each item has a `pipeline_step_items` row (unique idempotency key) and a content
 * whose id derives from that key, so a resumed run continues where it stopped: generated items are skipped, a content
 * left `generating` by a dead worker is released and written again (the dead call's credit hold expires and is
 * refunded, so nothing is paid twice). Items whose deadline leaves time for the nightly batch (-50 %) are queued
 * there and the step waits for their answers; the others are written at once, at most `PIPELINE_AI_CONCURRENCY` calls
 * in flight per worker. Before each item the run's budget is checked: when it would be exceeded the step stops and
 * the run ends `budget_exhausted`, with every written item left as a draft.
 */
export class GenerationStep implements StepHandler {
  readonly name = 'generation' as const;

  constructor(
    private readonly deps: {
      pipelineRepository: KnexPipelineRepository;
      contentService: ContentService;
      aiGateway: AiGateway;
      aiBatchService: AiBatchService;
      pipelineAiLimiter: Semaphore;
      config: Config;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async execute(context: StepContext): Promise<StepOutcome> {
    const { run, step, tenantId } = context;
    const repo = this.deps.pipelineRepository;
    if (!run.editorialPlanId) throw new AppError('pipeline.errors.noPlan', 422);
    const planItems = await repo.planItems(tenantId, run.editorialPlanId);
    const byId = new Map(planItems.map((p) => [p.id, p]));
    const items = await repo.ensureStepItems(
      tenantId,
      run.id,
      step.id,
      planItems.map((p) => ({ planItemId: p.id, idempotencyKey: `pipeline:${run.id}:generation:${p.id}` })),
    );
    await context.progress({ total: items.length });

    const fresh = (await repo.findRun(tenantId, run.id)) ?? run;
    const budget = { limit: fresh.budgetCredits ?? Number.MAX_SAFE_INTEGER, committed: fresh.spentCredits };
    const estimates = new Map<string, number>();
    const batchAvailable = run.useNightlyBatch && (await this.hasBatchRoute(tenantId));
    const counts = { generated: 0, queued: 0, skipped: 0, retry: 0 };
    let stop = false;
    let exhausted = false;

    const todo = items.filter((i) => i.status !== 'succeeded' && i.status !== 'skipped');
    const done = items.length - todo.length;
    const worker = async (item: StepItemRow) => {
      if (stop || exhausted) return;
      if (await context.shouldStop()) {
        stop = true;
        return;
      }
      const planItem = byId.get(item.planItemId ?? '');
      if (!planItem) {
        if (!(await this.finishItem(context, item, 'skipped')).owned) stop = true;
        counts.skipped++;
        return;
      }
      const estimate = await this.estimate(tenantId, planItem.channel as Channel, estimates);
      if (budget.committed + estimate > budget.limit) {
        exhausted = true;
        return;
      }
      budget.committed += estimate;
      try {
        const outcome = await this.generateItem(context, item, planItem, batchAvailable);
        counts[outcome]++;
        if (outcome !== 'generated') budget.committed -= estimate;
        else {
          const { cost, owned } = await this.finishItem(context, item, 'succeeded');
          budget.committed += cost.credits - estimate;
          if (!owned) stop = true;
        }
      } catch (err) {
        budget.committed -= estimate;
        if (err instanceof AppError && err.code === 'billing.errors.insufficientCredits') {
          exhausted = true;
          return;
        }
        if (err instanceof AppError && err.status < 500 && err.status !== 429) {
          // The client took the content over (edited, archived, deleted it): it is theirs now.
          this.deps.logger.info({ tenantId, runId: run.id, planItemId: planItem.id, code: err.code }, 'pipeline: item left to the client');
          if (!(await this.finishItem(context, item, 'skipped')).owned) stop = true;
          counts.skipped++;
          return;
        }
        this.deps.logger.warn({ err, tenantId, runId: run.id, planItemId: planItem.id }, 'pipeline: item generation failed, will retry');
        await repo.updateStepItem(tenantId, item.id, { status: 'pending', ...errorFields(err) });
        counts.retry++;
      }
    };
    await inParallel(todo, this.deps.config.pipeline.aiConcurrency, worker);

    // Counted once every lane has finished: items still being written when the budget ran out are done by now.
    if (exhausted) throw new BudgetExhaustedError({ spent: budget.committed, budget: budget.limit, done: done + counts.generated, total: items.length });
    if (stop) return { status: 'stopped' };
    if (counts.retry) throw new Error(`pipeline: ${counts.retry} item(s) could not be generated yet`);
    const queued = counts.queued;
    const output = { items: items.length, generated: done + counts.generated, viaBatch: queued, skipped: counts.skipped };
    if (queued) {
      return { status: 'waiting', until: new Date(this.deps.clock.now().getTime() + BATCH_RECHECK_MS), output: { ...output, waitingFor: 'nightlyBatch' } };
    }
    return { status: 'succeeded', output };
  }

  /** Writes one item (or queues it in the batch, or applies the batch's answer). */
  private async generateItem(context: StepContext, item: StepItemRow, planItem: PlanItemRow, batchAvailable: boolean): Promise<ItemResult> {
    const { tenantId, run } = context;
    const repo = this.deps.pipelineRepository;
    const contents = this.deps.contentService;
    const contentId = plannedContentId(item.idempotencyKey);
    const content = await contents.createPlanned(tenantId, {
      id: contentId,
      channel: planItem.channel as Channel,
      title: planItem.theme,
      brief: briefOf(planItem),
      campaignId: planItem.campaignId,
      startsAt: planItem.plannedSlotAt ?? DateTime.fromISO(planItem.plannedDate, { zone: 'utc' }).set({ hour: 9 }).toJSDate(),
      locale: planItem.locale,
      runId: run.id,
    });
    if (!item.contentId || planItem.contentId !== contentId) {
      await repo.startItem(tenantId, { stepItemId: item.id, planItemId: planItem.id, contentId, now: this.deps.clock.now() });
    }
    if (content.currentVersionId && content.status !== 'generating') {
      await contents.checkIfUnchecked(tenantId, contentId); // written before a crash, maybe not checked yet
      return 'generated';
    }
    if (content.status === 'generating') await contents.releaseGeneration(tenantId, contentId); // its worker died
    if (content.status !== 'draft' && content.status !== 'generating') {
      throw new AppError('studio.errors.notEditable', 409, { status: content.status });
    }

    const key = item.idempotencyKey;
    if (item.viaBatch || (batchAvailable && this.batchFits(run.deadlineAt, planItem))) {
      const queued = await this.deps.aiBatchService.findByKey(tenantId, key);
      if (!queued) {
        const request = await contents.generationRequest(tenantId, contentId);
        await this.deps.aiBatchService.enqueue({ ...request, idempotencyKey: key });
        await repo.updateStepItem(tenantId, item.id, { viaBatch: true, status: 'running' });
        return 'queued';
      }
      if (queued.status === 'succeeded' || queued.status === 'retried_singly') {
        await contents.applyGeneratedText(tenantId, contentId, { text: queued.result?.text ?? '', callId: queued.callId });
        return 'generated';
      }
      if (queued.status !== 'failed') return 'queued';
      // the batch gave up on it (even singly): write it now
    }
    await this.deps.pipelineAiLimiter.run(() => contents.generateNow(tenantId, contentId, null));
    return 'generated';
  }

  /**
   * The item's bookkeeping in one unit of work (its cost, rows, the step's progress and lease, the run's totals).
   * `owned` false: this worker lost the step, it stops between items.
   */
  private finishItem(context: StepContext, item: StepItemRow, status: 'succeeded' | 'skipped') {
    const { tenantId, run, step } = context;
    return this.deps.pipelineRepository.finishItem(tenantId, {
      runId: run.id,
      stepId: step.id,
      workerId: step.workerId ?? '',
      stepItemId: item.id,
      status,
      costOf: status === 'succeeded' ? plannedContentId(item.idempotencyKey) : undefined,
      planItemId: item.planItemId,
      planStatus: status === 'succeeded' ? 'generated' : 'skipped',
      itemsGenerated: status === 'succeeded' ? 1 : 0,
      now: this.deps.clock.now(),
    });
  }

  /** The batch is worth it when its answer comes before the item's deadline: the run's, and its slot minus the time to approve. */
  private batchFits(runDeadline: Date | null, planItem: PlanItemRow): boolean {
    const slot = planItem.plannedSlotAt ?? DateTime.fromISO(planItem.plannedDate, { zone: 'utc' }).toJSDate();
    const deadline = Math.min(runDeadline?.getTime() ?? Number.POSITIVE_INFINITY, slot.getTime() - APPROVAL_MARGIN_MS);
    return batchReadyBy(this.deps.clock.now()).getTime() <= deadline;
  }

  private async hasBatchRoute(tenantId: string): Promise<boolean> {
    try {
      await this.deps.aiGateway.batchRoute(tenantId);
      return true;
    } catch {
      return false;
    }
  }

  private async estimate(tenantId: string, channel: Channel, cache: Map<string, number>): Promise<number> {
    let credits = cache.get(channel);
    if (credits === undefined) {
      credits = await this.deps.aiGateway.estimateCredits(tenantId, 'generation', { inputTokens: GENERATION_INPUT_TOKENS, outputTokens: Math.ceil(maxTokensFor(channel) / 2) });
      cache.set(channel, credits);
    }
    return credits;
  }
}

/** The brief a planned item is written from: its theme, angle and target keyword. */
function briefOf(item: PlanItemRow): string {
  const keyword = item.targetKeyword ? `${item.locale === 'en' ? 'Target keyword' : 'Mot-clé cible'} : ${item.targetKeyword}` : '';
  return [item.theme, item.angle, keyword].filter(Boolean).join('\n\n');
}

function errorFields(err: unknown): { errorCode: string; errorMessage: string } {
  if (err instanceof AppError) return { errorCode: err.code.slice(0, 64), errorMessage: err.message.slice(0, 2000) };
  return { errorCode: 'pipeline.errors.unexpected', errorMessage: (err instanceof Error ? err.message : String(err)).slice(0, 2000) };
}

/** Runs `work` over `items` with at most `concurrency` at once. */
async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}
