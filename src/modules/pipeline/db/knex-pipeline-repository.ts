import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { STEPS, type ContentMode, type GenerationContext, type PipelineRun, type PipelineStep, type RunStatus, type RunTrigger, type StepName, type StepStatus } from '../domain.js';
import type { StepProgress } from '../ports.js';
import { dateColumn } from '../../../adapters/db/date-column.js';

const RUN_COLUMNS = [
  'id', 'tenantId', 'month', 'runNumber', 'rerunOfRunId', 'sessionId', 'status', 'triggeredBy', 'triggeredByUserId', 'currentStep',
  'contentMode', 'useNightlyBatch', 'deadlineAt', 'estimatedCredits', 'budgetCredits', 'spentCredits', 'aiCostMicros', 'itemsPlanned',
  'itemsGenerated', 'dnaSnapshotId', 'generationContext', 'editorialPlanId', 'locale', 'failureCode', 'failureReason', 'startedAt',
  'pausedAt', 'finishedAt', 'createdAt',
];

const STEP_COLUMNS = [
  'id', 'tenantId', 'runId', 'name', 'position', 'status', 'attempts', 'maxAttempts', 'nextRetryAt', 'itemsTotal', 'itemsDone',
  'itemsFailed', 'costCredits', 'aiCostMicros', 'outputRefType', 'outputRefId', 'output', 'errorCode', 'errorMessage', 'workerId',
  'heartbeatAt', 'startedAt', 'finishedAt', 'durationMs',
];

export interface PipelineSettings {
  enabled: boolean;
  runDay: number;
  runHour: number;
  reminderDaysBefore: number;
  useNightlyBatch: boolean;
  /** null = the workspace's default content mode. */
  contentMode: ContentMode | null;
  maxCreditsPerRun: number | null;
}

export const DEFAULT_SETTINGS: PipelineSettings = {
  enabled: true,
  runDay: 1,
  runHour: 2,
  reminderDaysBefore: 5,
  useNightlyBatch: true,
  contentMode: null,
  maxCreditsPerRun: null,
};

/** A channel of the month: the plan's quota, the client's choice (null = none made) and what the run plans. */
export interface ChannelTarget {
  channel: string;
  quota: number;
  chosen: number | null;
  active: boolean;
  items: number;
}

export interface NewRun {
  month: string;
  triggeredBy: RunTrigger;
  triggeredByUserId: string | null;
  rerunOfRunId: string | null;
  contentMode: ContentMode;
  useNightlyBatch: boolean;
  deadlineAt: Date | null;
  estimatedCredits: number;
  budgetCredits: number;
  locale: string;
  /** `running`, or `budget_exhausted` when the estimate is already beyond the budget (with the reason). */
  status: 'running' | 'budget_exhausted';
  failureCode?: string;
  failureReason?: string;
  now: Date;
}

export type RunPatch = Partial<
  Pick<
    PipelineRun,
    | 'sessionId'
    | 'currentStep'
    | 'deadlineAt'
    | 'dnaSnapshotId'
    | 'editorialPlanId'
    | 'itemsPlanned'
    | 'estimatedCredits'
    | 'budgetCredits'
    | 'failureCode'
    | 'failureReason'
  >
> & { generationContext?: GenerationContext };

export interface ClaimableStep {
  tenantId: string;
  runId: string;
  stepId: string;
}

export interface StepItemRow {
  id: string;
  runId: string;
  stepId: string;
  planItemId: string | null;
  contentId: string | null;
  contentVersionId: string | null;
  publicationId: string | null;
  aiCallId: string | null;
  idempotencyKey: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  viaBatch: boolean;
  attempts: number;
  costCredits: number;
  errorCode: string | null;
  errorMessage: string | null;
}

export type StepItemPatch = Partial<Pick<StepItemRow, 'contentId' | 'contentVersionId' | 'publicationId' | 'aiCallId' | 'status' | 'viaBatch' | 'costCredits' | 'errorCode' | 'errorMessage'>> & {
  startedAt?: Date;
  finishedAt?: Date;
  addAttempt?: boolean;
};

export interface PlanItemRow {
  id: string;
  channel: string;
  theme: string;
  angle: string;
  targetKeyword: string | null;
  campaignId: string | null;
  plannedDate: string;
  plannedSlotAt: Date | null;
  evergreenSourceContentId: string | null;
  contentId: string | null;
  status: 'planned' | 'generating' | 'generated' | 'skipped' | 'failed';
  locale: string;
  /** The item's content as it is now (null before it is created). */
  contentTitle: string | null;
  contentStatus: string | null;
  contentMode: string | null;
  contentVersionId: string | null;
}

export interface RunOverviewRow {
  id: string;
  tenantId: string;
  tenantName: string;
  month: string;
  runNumber: number;
  status: RunStatus;
  currentStep: StepName | null;
  triggeredBy: RunTrigger;
  estimatedCredits: number | null;
  spentCredits: number;
  aiCostMicros: number;
  itemsPlanned: number;
  itemsGenerated: number;
  failureCode: string | null;
  failureReason: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
}

export interface DueTenant {
  tenantId: string;
  timezone: string;
  month: string;
}

function toRun(row: Record<string, unknown>): PipelineRun {
  return {
    ...(row as unknown as PipelineRun),
    month: dateColumn(row.month as Date | string),
    aiCostMicros: Number(row.aiCostMicros),
    generationContext: (row.generationContext as GenerationContext | null) ?? null,
  };
}

function toStep(row: Record<string, unknown>): PipelineStep {
  return { ...(row as unknown as PipelineStep), aiCostMicros: Number(row.aiCostMicros) };
}


/**
 * Runs, their seven steps and the per-item idempotency rows. Every write that changes who owns a step is a
 * conditional update (`WHERE status = … AND worker_id = …`): two workers can never both run a step, and a worker
 * that lost its lease cannot overwrite the new owner's result.
 */
export class KnexPipelineRepository {
  constructor(private readonly deps: { database: Database }) {}

  // ---- settings and channel targets ----

  settings(tenantId: string): Promise<PipelineSettings> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('pipelineSettings')
        .where({ tenantId })
        .first('enabled', 'runDay', 'runHour', 'reminderDaysBefore', 'useNightlyBatch', 'contentMode', 'maxCreditsPerRun');
      return row ? (row as PipelineSettings) : { ...DEFAULT_SETTINGS };
    });
  }

  saveSettings(tenantId: string, settings: PipelineSettings): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('pipelineSettings')
        .insert({ tenantId, ...settings })
        .onConflict('tenantId')
        .merge({ ...settings, updatedAt: trx.fn.now() });
    });
  }

  /**
   * The channels of the tenant's plan with their monthly quota, and the client's choice. Without a choice the plan's
   * quota applies, except for SMS (each message costs money: the client opts in).
   */
  channelTargets(tenantId: string): Promise<ChannelTarget[]> {
    return this.deps.database.forTenant(tenantId, (trx) => channelTargetsIn(trx, tenantId));
  }

  saveChannelTargets(tenantId: string, targets: { channel: string; itemsPerMonth: number; active: boolean }[]): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      for (const target of targets) {
        await trx('pipelineChannelTargets')
          .insert({ tenantId, channel: target.channel, itemsPerMonth: target.itemsPerMonth, active: target.active })
          .onConflict(['tenantId', 'channel'])
          .merge({ itemsPerMonth: target.itemsPerMonth, active: target.active, updatedAt: trx.fn.now() });
      }
    });
  }

  /** What a run needs to know about the workspace: zone, language, default mode. */
  tenantProfile(tenantId: string): Promise<{ timezone: string; locale: string; defaultContentMode: ContentMode; name: string }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('tenants').where({ id: tenantId }).first('timezone', 'locale', 'defaultContentMode', 'name');
      if (!row) throw new Error(`pipeline: tenant ${tenantId} not found`);
      return row;
    });
  }

  // ---- runs ----

  /**
   * A new run with its seven pending steps, numbered after the month's previous runs, in one transaction. Returns
   * `{ run: null, live }` when the month already has a live run (double click, schedule and client together).
   */
  createRun(tenantId: string, input: NewRun): Promise<{ run: PipelineRun | null; live: PipelineRun | null }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      // Serialise run creation per tenant and month: the partial unique index is the last line, this keeps numbering clean.
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`pipeline_run:${tenantId}:${input.month}`]);
      const live = await trx('pipelineRuns').where({ tenantId, month: input.month }).whereIn('status', ['pending', 'running', 'paused']).first(RUN_COLUMNS);
      if (live) return { run: null, live: toRun(live) };
      const last = await trx('pipelineRuns').where({ tenantId, month: input.month }).max('runNumber as n').first();
      const finished = input.status !== 'running';
      const [row] = await trx('pipelineRuns')
        .insert({
          tenantId,
          month: input.month,
          runNumber: Number(last?.n ?? 0) + 1,
          rerunOfRunId: input.rerunOfRunId,
          status: input.status,
          triggeredBy: input.triggeredBy,
          triggeredByUserId: input.triggeredByUserId,
          currentStep: 'session',
          contentMode: input.contentMode,
          useNightlyBatch: input.useNightlyBatch,
          deadlineAt: input.deadlineAt,
          estimatedCredits: input.estimatedCredits,
          budgetCredits: input.budgetCredits,
          locale: input.locale,
          failureCode: input.failureCode ?? null,
          failureReason: input.failureReason ?? null,
          startedAt: input.now,
          heartbeatAt: input.now,
          finishedAt: finished ? input.now : null,
        })
        .returning(RUN_COLUMNS);
      await trx('pipelineSteps').insert(STEPS.map((name, i) => ({ tenantId, runId: row.id, name, position: i + 1 })));
      return { run: toRun(row), live: null };
    });
  }

  findRun(tenantId: string, runId: string): Promise<PipelineRun | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('pipelineRuns').where({ tenantId, id: runId }).first(RUN_COLUMNS);
      return row ? toRun(row) : null;
    });
  }

  steps(tenantId: string, runId: string): Promise<PipelineStep[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('pipelineSteps').where({ tenantId, runId }).orderBy('position').select(STEP_COLUMNS);
      return rows.map(toStep);
    });
  }

  /** The tenant's runs, newest first. */
  runs(tenantId: string, options: { month?: string; limit?: number } = {}): Promise<PipelineRun[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const q = trx('pipelineRuns').where({ tenantId }).orderBy([{ column: 'month', order: 'desc' }, { column: 'runNumber', order: 'desc' }]).limit(options.limit ?? 24);
      if (options.month) q.andWhere({ month: options.month });
      return (await q.select(RUN_COLUMNS)).map(toRun);
    });
  }

  updateRun(tenantId: string, runId: string, patch: RunPatch): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { generationContext, ...rest } = patch;
      await trx('pipelineRuns')
        .where({ tenantId, id: runId })
        .update({ ...rest, ...(generationContext ? { generationContext: JSON.stringify(generationContext) } : {}), updatedAt: trx.fn.now() });
    });
  }

  /** Conditional status change of a run; false when it was not in one of `from`. */
  transitionRun(
    tenantId: string,
    runId: string,
    from: readonly RunStatus[],
    to: RunStatus,
    fields: { failureCode?: string | null; failureReason?: string | null; pausedBy?: string | null; now: Date },
  ): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const finished = ['completed', 'failed', 'cancelled', 'budget_exhausted'].includes(to);
      const count = await trx('pipelineRuns')
        .where({ tenantId, id: runId })
        .whereIn('status', from)
        .update({
          status: to,
          finishedAt: finished ? fields.now : null,
          pausedAt: to === 'paused' ? fields.now : null,
          pausedBy: to === 'paused' ? (fields.pausedBy ?? null) : null,
          ...(fields.failureCode !== undefined ? { failureCode: fields.failureCode } : {}),
          ...(fields.failureReason !== undefined ? { failureReason: fields.failureReason } : {}),
          updatedAt: trx.fn.now(),
        });
      return count === 1;
    });
  }

  /** Adds the cost and the items of a finished unit of work to the run (atomic increments: workers run items in parallel). */
  addRunTotals(tenantId: string, runId: string, totals: { spentCredits?: number; aiCostMicros?: number; itemsGenerated?: number }): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('pipelineRuns')
        .where({ tenantId, id: runId })
        .update({
          spentCredits: trx.raw('spent_credits + ?', [totals.spentCredits ?? 0]),
          aiCostMicros: trx.raw('ai_cost_micros + ?', [totals.aiCostMicros ?? 0]),
          itemsGenerated: trx.raw('items_generated + ?', [totals.itemsGenerated ?? 0]),
          heartbeatAt: trx.fn.now(),
        });
    });
  }

  /** Resets the failed, paused or waiting step of a run to pending (resume, retry), keeping what earlier attempts did. */
  resetStep(tenantId: string, runId: string, name: StepName, options: { resetAttempts: boolean }): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const count = await trx('pipelineSteps')
        .where({ tenantId, runId, name })
        .whereIn('status', ['failed', 'paused', 'pending', 'running'])
        .update({
          status: 'pending',
          nextRetryAt: null,
          workerId: null,
          errorCode: null,
          errorMessage: null,
          finishedAt: null,
          ...(options.resetAttempts ? { attempts: 0 } : {}),
        });
      return count === 1;
    });
  }

  // ---- steps: claim, lease, finish ----

  /**
   * Steps that can run now, across tenants (platform context: the runner serves everyone): the first unfinished step
   * of each running run, pending and due, or running with an expired lease (its worker died).
   */
  claimableSteps(now: Date, leaseMs: number, limit: number, excludeRunIds: readonly string[] = []): Promise<ClaimableStep[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const stale = new Date(now.getTime() - leaseMs);
      const { rows } = await trx.raw(
        `select s.tenant_id, s.run_id, s.id as step_id
           from pipeline_runs r
           join tenants t on t.id = r.tenant_id and t.status = 'active'
           join lateral (
             select * from pipeline_steps s
              where s.run_id = r.id and s.status not in ('succeeded', 'skipped')
              order by s.position limit 1
           ) s on true
          where r.status = 'running'
            and ((s.status = 'pending' and (s.next_retry_at is null or s.next_retry_at <= ?))
              or (s.status = 'running' and (s.heartbeat_at is null or s.heartbeat_at < ?)))
            ${excludeRunIds.length ? `and r.id <> all(?::uuid[])` : ''}
          order by coalesce(s.next_retry_at, r.started_at) nulls first
          limit ?`,
        [now, stale, ...(excludeRunIds.length ? [[...excludeRunIds]] : []), limit],
      );
      return (rows as { tenant_id: string; run_id: string; step_id: string }[]).map((r) => ({ tenantId: r.tenant_id, runId: r.run_id, stepId: r.step_id }));
    });
  }

  /**
   * Takes a step for `workerId` if it is still claimable (pending and due, or running with an expired lease): one
   * conditional update, so of two workers racing for it exactly one gets it. The run must still be running and the
   * earlier steps finished.
   */
  claimStep(tenantId: string, stepId: string, workerId: string, now: Date, leaseMs: number): Promise<PipelineStep | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const stale = new Date(now.getTime() - leaseMs);
      const [row] = await trx('pipelineSteps as s')
        .where({ 's.tenantId': tenantId, 's.id': stepId })
        .andWhere((q) =>
          q
            .where((p) => p.where('s.status', 'pending').andWhere((d) => d.whereNull('s.nextRetryAt').orWhere('s.nextRetryAt', '<=', now)))
            .orWhere((p) => p.where('s.status', 'running').andWhere((h) => h.whereNull('s.heartbeatAt').orWhere('s.heartbeatAt', '<', stale))),
        )
        .whereExists((q) => q.select(trx.raw('1')).from('pipelineRuns as r').whereRaw('r.id = s.run_id').andWhere('r.status', 'running'))
        .whereNotExists((q) =>
          q
            .select(trx.raw('1'))
            .from('pipelineSteps as e')
            .whereRaw('e.run_id = s.run_id and e.position < s.position')
            .whereNotIn('e.status', ['succeeded', 'skipped']),
        )
        .update({
          status: 'running',
          attempts: trx.raw('s.attempts + 1'),
          workerId,
          heartbeatAt: now,
          nextRetryAt: null,
          startedAt: trx.raw('coalesce(s.started_at, ?)', [now]),
          finishedAt: null,
        })
        .returning(STEP_COLUMNS.map((c) => `s.${c}`));
      if (!row) return null;
      await trx('pipelineRuns').where({ tenantId, id: row.runId }).update({ currentStep: row.name, heartbeatAt: now });
      return toStep(row);
    });
  }

  /** Progress and lease renewal; false when the step is no longer this worker's (lease lost, run reset). */
  progress(tenantId: string, stepId: string, workerId: string, update: StepProgress, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const count = await trx('pipelineSteps')
        .where({ tenantId, id: stepId, workerId, status: 'running' })
        .update({
          ...(update.total !== undefined ? { itemsTotal: update.total } : {}),
          ...(update.done ? { itemsDone: trx.raw('items_done + ?', [update.done]) } : {}),
          ...(update.failed ? { itemsFailed: trx.raw('items_failed + ?', [update.failed]) } : {}),
          ...(update.costCredits ? { costCredits: trx.raw('cost_credits + ?', [update.costCredits]) } : {}),
          ...(update.aiCostMicros ? { aiCostMicros: trx.raw('ai_cost_micros + ?', [update.aiCostMicros]) } : {}),
          heartbeatAt: now,
        });
      return count === 1;
    });
  }

  /** The run's status, read by a working step between two items (pause, cancel). */
  runStatus(tenantId: string, runId: string): Promise<RunStatus | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('pipelineRuns').where({ tenantId, id: runId }).first('status');
      return (row?.status as RunStatus | undefined) ?? null;
    });
  }

  /**
   * Ends this worker's turn on a step: `succeeded` (with output), `pending` again (waiting, or retry after backoff),
   * `failed`, or `paused`. Conditional on the worker still owning it.
   */
  finishStep(
    tenantId: string,
    stepId: string,
    workerId: string,
    result: {
      status: Extract<StepStatus, 'succeeded' | 'pending' | 'failed' | 'paused'>;
      now: Date;
      nextRetryAt?: Date | null;
      output?: Record<string, unknown>;
      outputRef?: { type: string; id: string };
      error?: { code: string; message: string } | null;
    },
  ): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const ended = result.status === 'succeeded' || result.status === 'failed';
      const count = await trx('pipelineSteps')
        .where({ tenantId, id: stepId, workerId, status: 'running' })
        .update({
          status: result.status,
          nextRetryAt: result.nextRetryAt ?? null,
          ...(result.output ? { output: JSON.stringify(result.output) } : {}),
          ...(result.outputRef ? { outputRefType: result.outputRef.type, outputRefId: result.outputRef.id } : {}),
          errorCode: result.error?.code ?? null,
          errorMessage: result.error?.message ?? null,
          heartbeatAt: result.now,
          finishedAt: ended ? result.now : null,
          durationMs: ended ? trx.raw('greatest(0, (extract(epoch from ?::timestamptz - started_at) * 1000)::int)', [result.now]) : null,
          ...(result.status === 'pending' ? { workerId: null } : {}),
        });
      return count === 1;
    });
  }

  // ---- per-item idempotency ----

  /** Creates the missing item rows of a step (`idempotency_key` unique), then returns them all in plan order. */
  ensureStepItems(tenantId: string, runId: string, stepId: string, items: { planItemId: string; idempotencyKey: string }[]): Promise<StepItemRow[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      if (items.length) {
        await trx('pipelineStepItems')
          .insert(items.map((i) => ({ tenantId, runId, stepId, planItemId: i.planItemId, idempotencyKey: i.idempotencyKey })))
          .onConflict('idempotencyKey')
          .ignore();
      }
      return trx('pipelineStepItems as i')
        .leftJoin('editorialPlanItems as p', 'p.id', 'i.planItemId')
        .where({ 'i.tenantId': tenantId, 'i.stepId': stepId })
        .orderBy([{ column: 'p.position' }, { column: 'i.idempotencyKey' }])
        .select(
          'i.id', 'i.runId', 'i.stepId', 'i.planItemId', 'i.contentId', 'i.contentVersionId', 'i.publicationId', 'i.aiCallId', 'i.idempotencyKey',
          'i.status', 'i.viaBatch', 'i.attempts', 'i.costCredits', 'i.errorCode', 'i.errorMessage',
        );
    });
  }

  updateStepItem(tenantId: string, itemId: string, patch: StepItemPatch): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { addAttempt, ...fields } = patch;
      await trx('pipelineStepItems')
        .where({ tenantId, id: itemId })
        .update({ ...fields, ...(addAttempt ? { attempts: trx.raw('attempts + 1') } : {}), updatedAt: trx.fn.now() });
    });
  }

  // ---- the plan's items and their contents (generation, publication) ----

  planItems(tenantId: string, planId: string): Promise<PlanItemRow[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('editorialPlanItems as p')
        .leftJoin('contents as c', 'c.id', 'p.contentId')
        .where({ 'p.tenantId': tenantId, 'p.planId': planId })
        .orderBy('p.position')
        .select(
          'p.id', 'p.channel', 'p.theme', 'p.angle', 'p.targetKeyword', 'p.campaignId', 'p.plannedDate', 'p.plannedSlotAt', 'p.evergreenSourceContentId',
          'p.contentId', 'p.status', 'p.locale', 'c.title as contentTitle', 'c.status as contentStatus', 'c.mode as contentMode',
          'c.currentVersionId as contentVersionId',
        );
      return rows.map((r) => ({ ...r, plannedDate: dateColumn(r.plannedDate) }));
    });
  }

  /** Records the item's content and state (the content id is set once: a resumed run finds the same content). */
  updatePlanItem(tenantId: string, planItemId: string, patch: { contentId?: string; status: PlanItemRow['status'] }): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('editorialPlanItems')
        .where({ tenantId, id: planItemId })
        .update({
          status: patch.status,
          ...(patch.contentId ? { contentId: trx.raw('coalesce(content_id, ?)', [patch.contentId]) } : {}),
          updatedAt: trx.fn.now(),
        });
    });
  }

  /** What the AI calls made for a content cost (generation, batch answer, moderation of its versions). */
  contentAiCost(tenantId: string, contentId: string): Promise<{ credits: number; costMicros: number }> {
    return this.deps.database.forTenant(tenantId, (trx) => contentAiCostIn(trx, tenantId, contentId));
  }

  /** An item's start in one unit of work: its step item running (one more attempt) and its plan item generating, both on its content. */
  startItem(tenantId: string, item: { stepItemId: string; planItemId: string; contentId: string; now: Date }): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('pipelineStepItems')
        .where({ tenantId, id: item.stepItemId })
        .update({ contentId: item.contentId, status: 'running', startedAt: item.now, attempts: trx.raw('attempts + 1'), updatedAt: trx.fn.now() });
      await trx('editorialPlanItems')
        .where({ tenantId, id: item.planItemId })
        .update({ status: 'generating', contentId: trx.raw('coalesce(content_id, ?)', [item.contentId]), updatedAt: trx.fn.now() });
    });
  }

  /**
   * An item's end in one unit of work: what its content's AI calls cost (`costOf`), its step item, its plan item
   * (`planStatus`), the step's progress and lease (only while `workerId` owns the step) and the run's totals.
   * Returns the cost and whether the step is still this worker's.
   */
  finishItem(
    tenantId: string,
    item: {
      runId: string;
      stepId: string;
      workerId: string;
      stepItemId: string;
      status: 'succeeded' | 'skipped';
      contentId?: string;
      costOf?: string;
      planItemId?: string | null;
      planStatus?: PlanItemRow['status'];
      itemsGenerated?: number;
      now: Date;
    },
  ): Promise<{ cost: { credits: number; costMicros: number }; owned: boolean }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const cost = item.costOf ? await contentAiCostIn(trx, tenantId, item.costOf) : { credits: 0, costMicros: 0 };
      await trx('pipelineStepItems')
        .where({ tenantId, id: item.stepItemId })
        .update({
          status: item.status,
          costCredits: cost.credits,
          finishedAt: item.now,
          errorCode: null,
          errorMessage: null,
          ...(item.contentId ? { contentId: item.contentId } : {}),
          updatedAt: trx.fn.now(),
        });
      if (item.planItemId && item.planStatus) {
        await trx('editorialPlanItems').where({ tenantId, id: item.planItemId }).update({ status: item.planStatus, updatedAt: trx.fn.now() });
      }
      const owned = await trx('pipelineSteps')
        .where({ tenantId, id: item.stepId, workerId: item.workerId, status: 'running' })
        .update({
          itemsDone: trx.raw('items_done + 1'),
          ...(cost.credits ? { costCredits: trx.raw('cost_credits + ?', [cost.credits]) } : {}),
          ...(cost.costMicros ? { aiCostMicros: trx.raw('ai_cost_micros + ?', [cost.costMicros]) } : {}),
          heartbeatAt: item.now,
        });
      if (cost.credits || cost.costMicros || item.itemsGenerated) {
        await trx('pipelineRuns')
          .where({ tenantId, id: item.runId })
          .update({
            spentCredits: trx.raw('spent_credits + ?', [cost.credits]),
            aiCostMicros: trx.raw('ai_cost_micros + ?', [cost.costMicros]),
            itemsGenerated: trx.raw('items_generated + ?', [item.itemsGenerated ?? 0]),
            heartbeatAt: trx.fn.now(),
          });
      }
      return { cost, owned: owned === 1 };
    });
  }

  /** Who started a run, as shown on its page (users are readable in the tenant's context, like other screens' authors). */
  memberName(tenantId: string, userId: string | null): Promise<string | null> {
    if (!userId) return Promise.resolve(null);
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('users').where({ id: userId }).first('name', 'email');
      return row ? ((row.name as string) || (row.email as string)) : null;
    });
  }

  // ---- schedule ----

  /**
   * Tenants whose run for next month is due (platform context): active, with a current brand DNA, the pipeline
   * enabled, this month's run day and hour passed in their own time zone, and no run yet for next month. A run
   * prepares the month ahead, so the client has time to approve and the nightly batch (-50 %) can do the writing.
   */
  tenantsDueForRun(now: Date): Promise<DueTenant[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const { rows } = await trx.raw(
        `select t.id as tenant_id, t.timezone, to_char(d.this_month + interval '1 month', 'YYYY-MM-DD') as month
           from tenants t
           left join pipeline_settings s on s.tenant_id = t.id
           cross join lateral (select date_trunc('month', ?::timestamptz at time zone t.timezone) as this_month,
                                      ?::timestamptz at time zone t.timezone as local_now) d
          where t.status = 'active'
            and coalesce(s.enabled, true)
            and exists (select 1 from brand_dna b where b.tenant_id = t.id and b.is_current)
            and d.local_now >= d.this_month + make_interval(days => coalesce(s.run_day, 1) - 1, hours => coalesce(s.run_hour, 2))
            and not exists (
              select 1 from pipeline_runs r where r.tenant_id = t.id and r.month = (d.this_month + interval '1 month')::date)`,
        [now, now],
      );
      return (rows as { tenant_id: string; timezone: string; month: string }[]).map((r) => ({ tenantId: r.tenant_id, timezone: r.timezone, month: r.month }));
    });
  }

  // ---- super admin ----

  /** Runs per status across tenants (platform context). */
  statusCounts(): Promise<Record<string, number>> {
    return this.deps.database.asPlatform(async (trx) => {
      const rows = await trx('pipelineRuns').groupBy('status').select('status').count<{ status: string; count: string }[]>('* as count');
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
    });
  }

  /** The latest runs across tenants, optionally of one status (platform context). */
  overview(options: { status?: RunStatus; limit?: number } = {}): Promise<RunOverviewRow[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const q = trx('pipelineRuns as r')
        .join('tenants as t', 't.id', 'r.tenantId')
        .orderBy('r.createdAt', 'desc')
        .limit(options.limit ?? 100)
        .select(
          'r.id', 'r.tenantId', 't.name as tenantName', 'r.month', 'r.runNumber', 'r.status', 'r.currentStep', 'r.triggeredBy', 'r.estimatedCredits',
          'r.spentCredits', 'r.aiCostMicros', 'r.itemsPlanned', 'r.itemsGenerated', 'r.failureCode', 'r.failureReason', 'r.startedAt', 'r.finishedAt',
          'r.createdAt',
        );
      if (options.status) q.where('r.status', options.status);
      const rows = await q;
      return rows.map((r) => ({ ...r, month: dateColumn(r.month), aiCostMicros: Number(r.aiCostMicros) }));
    });
  }
}

async function channelTargetsIn(trx: Knex.Transaction, tenantId: string): Promise<ChannelTarget[]> {
  const quotas: { channel: string; itemsPerMonth: number }[] = await trx('subscriptions as s')
    .join('planChannelQuotas as q', 'q.planId', 's.planId')
    .where('s.tenantId', tenantId)
    .whereNot('s.status', 'cancelled')
    .select('q.channel', 'q.itemsPerMonth');
  const chosen: { channel: string; itemsPerMonth: number; active: boolean }[] = await trx('pipelineChannelTargets')
    .where({ tenantId })
    .select('channel', 'itemsPerMonth', 'active');
  const byChannel = new Map(chosen.map((c) => [c.channel, c]));
  return quotas
    .map((q) => {
      const choice = byChannel.get(q.channel);
      const active = choice ? choice.active : q.channel !== 'sms';
      const wanted = choice ? choice.itemsPerMonth : q.itemsPerMonth;
      return { channel: q.channel, quota: q.itemsPerMonth, chosen: choice ? choice.itemsPerMonth : null, active, items: active ? Math.min(wanted, q.itemsPerMonth) : 0 };
    })
    .sort((a, b) => a.channel.localeCompare(b.channel));
}

async function contentAiCostIn(trx: Knex.Transaction, tenantId: string, contentId: string): Promise<{ credits: number; costMicros: number }> {
  const row = await trx('aiCalls')
    .where({ tenantId })
    .andWhere((q) =>
      q
        .where({ subjectType: 'content', subjectId: contentId })
        .orWhere((v) => v.where('subjectType', 'content_version').whereIn('subjectId', trx('contentVersions').where({ tenantId, contentId }).select('id'))),
    )
    .first(trx.raw('coalesce(sum(credits_charged), 0)::int as credits'), trx.raw('coalesce(sum(cost_micros), 0)::bigint as cost_micros'));
  return { credits: Number(row?.credits ?? 0), costMicros: Number(row?.costMicros ?? 0) };
}
