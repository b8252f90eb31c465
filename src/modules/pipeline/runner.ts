import crypto from 'node:crypto';
import os from 'node:os';
import type { i18n } from 'i18next';
import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { KnexPipelineRepository } from './db/knex-pipeline-repository.js';
import { STEPS, type PipelineRun, type PipelineStep, type StepName } from './domain.js';
import { BudgetExhaustedError, type StepContext, type StepHandler, type StepOutcome } from './ports.js';

/** Backoff before the next attempt of a step that failed for a passing reason: 30 s, 2 min, 8 min… */
const RETRY_BASE_MS = 30_000;
/** How long a step's reading of its run's status (pause, cancel) is trusted between two items. */
const STATUS_RECHECK_MS = 2_000;
const INSUFFICIENT_CREDITS = 'billing.errors.insufficientCredits';

export interface DriveResult {
  steps: { name: StepName; outcome: 'succeeded' | 'waiting' | 'stopped' | 'retry' | 'failed' | 'budget_exhausted' }[];
}

/**
 * Executes the runs' steps, in order, in any number of worker processes. A step is claimed by one conditional update
 * (pending and due, or running with an expired lease), renewed by a heartbeat while it works, and finished only by
 * the worker that still owns it: two workers never execute the same step, and a worker that died mid-step is taken
 * over once its lease expires. Steps are idempotent, so a takeover continues rather than repeats.
 */
export class PipelineRunner {
  readonly workerId = `${os.hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  private readonly handlers: Map<StepName, StepHandler>;
  private readonly active = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly deps: {
      pipelineRepository: KnexPipelineRepository;
      pipelineSteps: StepHandler[];
      config: Config;
      clock: Clock;
      i18n: i18n;
      logger: Logger;
    },
  ) {
    this.handlers = new Map(deps.pipelineSteps.map((h) => [h.name, h]));
    const missing = STEPS.filter((s) => !this.handlers.has(s));
    if (missing.length) throw new Error(`pipeline: no handler for step(s) ${missing.join(', ')}`);
  }

  /**
   * Job `pipeline:advance-runs`: claims due steps up to this worker's capacity and drives their runs in the
   * background (a run keeps going step after step until it waits, stops or ends). Returns at once.
   */
  async tick(): Promise<{ started: number; active: number }> {
    if (this.stopping) return { started: 0, active: this.active.size };
    const capacity = this.deps.config.pipeline.runsPerWorker - this.active.size;
    let started = 0;
    if (capacity > 0) {
      const due = await this.deps.pipelineRepository.claimableSteps(this.deps.clock.now(), this.deps.config.pipeline.leaseMs, capacity, [...this.active.keys()]);
      for (const { tenantId, runId } of due) {
        if (this.active.has(runId)) continue;
        const drive = this.drive(tenantId, runId)
          .then(() => undefined)
          .catch((err) => this.deps.logger.error({ err, tenantId, runId }, 'pipeline: drive failed'))
          .finally(() => this.active.delete(runId));
        this.active.set(runId, drive);
        started++;
      }
    }
    return { started, active: this.active.size };
  }

  /** Waits for the runs this worker is driving (shutdown, tests). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.active.values());
  }

  /** Drives one run: its due steps in order, until one waits, stops, fails, or the run is complete. */
  async drive(tenantId: string, runId: string): Promise<DriveResult> {
    const result: DriveResult = { steps: [] };
    const repo = this.deps.pipelineRepository;
    while (!this.stopping) {
      const steps = await repo.steps(tenantId, runId);
      const next = steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
      if (!next) {
        await this.complete(tenantId, runId);
        break;
      }
      const claimed = await repo.claimStep(tenantId, next.id, this.workerId, this.deps.clock.now(), this.deps.config.pipeline.leaseMs);
      if (!claimed) break; // not due, owned by another worker, or the run is not running
      const run = await repo.findRun(tenantId, runId);
      if (!run) break;
      const outcome = await this.execute(run, claimed);
      result.steps.push({ name: claimed.name, outcome });
      if (outcome !== 'succeeded') break;
    }
    return result;
  }

  private async execute(run: PipelineRun, step: PipelineStep): Promise<DriveResult['steps'][number]['outcome']> {
    const repo = this.deps.pipelineRepository;
    const { tenantId } = run;
    const handler = this.handlers.get(step.name)!;
    const leaseMs = this.deps.config.pipeline.leaseMs;
    let lost = false;
    const renew = async () => {
      if (!(await repo.progress(tenantId, step.id, this.workerId, {}, this.deps.clock.now()).catch(() => true))) lost = true;
    };
    const heartbeat = setInterval(() => void renew(), Math.max(500, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    let status: { stopped: Promise<boolean>; at: number } | undefined;
    const context: StepContext = {
      tenantId,
      run,
      step,
      now: () => this.deps.clock.now(),
      progress: async (update) => {
        if (!(await repo.progress(tenantId, step.id, this.workerId, update, this.deps.clock.now()))) lost = true;
      },
      shouldStop: async () => {
        if (lost || this.stopping) return true;
        // Read at most every STATUS_RECHECK_MS, one read shared by the step's parallel lanes: a pause still stops within seconds.
        const at = Date.now();
        if (!status || at - status.at >= STATUS_RECHECK_MS) {
          const stopped = repo.runStatus(tenantId, run.id).then((s) => s !== 'running');
          stopped.catch(() => (status = undefined));
          status = { stopped, at };
        }
        return status.stopped;
      },
    };
    const log = this.deps.logger.child({ tenantId, runId: run.id, step: step.name, attempt: step.attempts });
    let outcome: StepOutcome | undefined;
    let failure: unknown;
    const started = Date.now();
    try {
      outcome = await handler.execute(context);
    } catch (err) {
      failure = err;
    } finally {
      clearInterval(heartbeat);
    }
    const now = this.deps.clock.now();
    if (outcome) {
      log.info({ ms: Date.now() - started, status: outcome.status }, 'pipeline step');
      if (outcome.status === 'succeeded') {
        await repo.finishStep(tenantId, step.id, this.workerId, { status: 'succeeded', now, output: outcome.output, outputRef: outcome.outputRef });
        return 'succeeded';
      }
      if (outcome.status === 'waiting') {
        await repo.finishStep(tenantId, step.id, this.workerId, { status: 'pending', now, nextRetryAt: outcome.until, output: outcome.output });
        return 'waiting';
      }
      await repo.finishStep(tenantId, step.id, this.workerId, { status: 'pending', now });
      return 'stopped';
    }

    const budget = failure instanceof BudgetExhaustedError || (failure instanceof AppError && failure.code === INSUFFICIENT_CREDITS);
    const permanent = budget || (failure instanceof AppError && failure.status < 500 && failure.status !== 429);
    if (!permanent && step.attempts < step.maxAttempts) {
      const delay = RETRY_BASE_MS * 4 ** (step.attempts - 1);
      log.warn({ err: failure, retryInMs: delay }, 'pipeline step failed, will retry');
      await repo.finishStep(tenantId, step.id, this.workerId, { status: 'pending', now, nextRetryAt: new Date(now.getTime() + delay), error: errorOf(failure) });
      return 'retry';
    }
    log.error({ err: failure }, 'pipeline step failed');
    const error = errorOf(failure);
    if (!(await repo.finishStep(tenantId, step.id, this.workerId, { status: 'failed', now, error }))) return 'failed';
    const t = (key: string, params: Record<string, unknown> = {}) => this.deps.i18n.t(key, { lng: run.locale, ...params });
    const stepLabel = t(`pipeline.steps.${step.name}`);
    if (budget) {
      const details = failure instanceof BudgetExhaustedError ? failure.details : null;
      const reason = details
        ? t('pipeline.errors.budgetExhausted', { ...details, step: stepLabel })
        : t('pipeline.errors.budgetExhaustedAt', { step: stepLabel });
      await repo.transitionRun(tenantId, run.id, ['running'], 'budget_exhausted', { failureCode: 'pipeline.errors.budgetExhausted', failureReason: reason, now });
      return 'budget_exhausted';
    }
    const cause = failure instanceof AppError ? t(failure.code, failure.params) : t('pipeline.errors.unexpected');
    await repo.transitionRun(tenantId, run.id, ['running'], 'failed', {
      failureCode: error.code,
      failureReason: t('pipeline.errors.stepFailed', { step: stepLabel, cause }),
      now,
    });
    return 'failed';
  }

  private async complete(tenantId: string, runId: string): Promise<void> {
    if (await this.deps.pipelineRepository.transitionRun(tenantId, runId, ['running'], 'completed', { now: this.deps.clock.now() })) {
      this.deps.logger.info({ tenantId, runId }, 'pipeline run completed');
    }
  }
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof BudgetExhaustedError) return { code: err.code, message: err.message };
  if (err instanceof AppError) return { code: err.code, message: err.message.slice(0, 2000) };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'pipeline.errors.unexpected', message: message.slice(0, 2000) };
}
