import type { i18n } from 'i18next';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import type { AiGateway } from '../ai/gateway.js';
import type { CreditLedger } from '../billing/ports.js';
import { maxTokensFor } from '../studio/generation-prompt.js';
import type { Channel } from '../studio/domain.js';
import type { KnexPipelineRepository, RunOverviewRow } from './db/knex-pipeline-repository.js';
import { isMonth, LIVE_RUN_STATUSES, monthOf, nextMonth, RESUMABLE_RUN_STATUSES, type PipelineRun, type RunStatus, type RunTrigger, type RunWithSteps, type StepName } from './domain.js';

const E = 'pipeline.errors';

/** Expected size of a generation call (the DNA, the brief and the cascade in; about half the channel's cap out). */
const GENERATION_INPUT_TOKENS = 2_500;
/** The month brief (step 2) and the plan (step 4): one call each, larger. */
const BRIEF_USAGE = { inputTokens: 6_000, outputTokens: 1_500 };
const PLAN_USAGE = { inputTokens: 8_000, outputTokens: 6_000 };

export interface RunEstimate {
  items: number;
  perChannel: { channel: string; items: number; credits: number }[];
  credits: number;
  /** What the run may spend: the credits available now, within the client's own cap per run. */
  budget: number;
  available: number;
  cap: number | null;
  fits: boolean;
  /** No AI provider is configured: the offline composer writes the month (free, placeholder texts). */
  offline: boolean;
}

export interface Actor {
  kind: Exclude<RunTrigger, 'schedule'>;
  userId: string;
}

/**
 * The monthly run's use cases: start (client, super admin or schedule) with a cost estimate checked against the
 * budget, pause, resume, retry a failed step, cancel, re-run a month; and what the portal and the super admin see.
 * The steps themselves are executed by the PipelineRunner in the worker.
 */
export class PipelineService {
  constructor(
    private readonly deps: {
      pipelineRepository: KnexPipelineRepository;
      aiGateway: AiGateway;
      creditLedger: CreditLedger;
      clock: Clock;
      i18n: i18n;
      logger: Logger;
    },
  ) {}

  /** The credits the month would cost, per channel, against what the tenant may spend. */
  async estimate(tenantId: string): Promise<RunEstimate> {
    const repo = this.deps.pipelineRepository;
    const [targets, settings, balance] = await Promise.all([repo.channelTargets(tenantId), repo.settings(tenantId), this.deps.creditLedger.balance(tenantId)]);
    const gateway = this.deps.aiGateway;
    const perChannel = await Promise.all(
      targets
        .filter((t) => t.items > 0)
        .map(async (t) => {
          const perItem = await gateway.estimateCredits(tenantId, 'generation', {
            inputTokens: GENERATION_INPUT_TOKENS,
            outputTokens: Math.ceil(maxTokensFor(t.channel as Channel) / 2),
          });
          return { channel: t.channel, items: t.items, credits: perItem * t.items };
        }),
    );
    const [brief, plan, writers] = await Promise.all([
      gateway.estimateCredits(tenantId, 'summarization', BRIEF_USAGE),
      gateway.estimateCredits(tenantId, 'planning', PLAN_USAGE),
      gateway.modelsFor(tenantId, 'generation'),
    ]);
    const credits = brief + plan + perChannel.reduce((n, c) => n + c.credits, 0);
    const cap = settings.maxCreditsPerRun;
    const budget = Math.max(0, Math.min(balance.available, cap ?? Number.MAX_SAFE_INTEGER));
    const offline = writers.every((model) => model.provider.code === 'offline');
    return { items: perChannel.reduce((n, c) => n + c.items, 0), perChannel, credits, budget, available: balance.available, cap, fits: credits <= budget, offline };
  }

  /**
   * Starts a month's run (next month in the tenant's zone unless given: a run prepares the month ahead). When the estimate is beyond the
   * budget the run is recorded as `budget_exhausted` with the reason and nothing else happens. A month that already
   * has a live run gets `pipeline.errors.alreadyRunning` (409).
   */
  async start(tenantId: string, trigger: Actor | { kind: 'schedule' }, options: { month?: string; rerunOf?: string } = {}): Promise<PipelineRun> {
    const repo = this.deps.pipelineRepository;
    const now = this.deps.clock.now();
    const [profile, settings, estimate] = await Promise.all([repo.tenantProfile(tenantId), repo.settings(tenantId), this.estimate(tenantId)]);
    const month = options.month ?? nextMonth(monthOf(now, profile.timezone));
    if (!isMonth(month)) throw new AppError(`${E}.invalidMonth`, 422);
    const fits = estimate.fits;
    const { run, live } = await repo.createRun(tenantId, {
      month,
      triggeredBy: trigger.kind,
      triggeredByUserId: trigger.kind === 'schedule' ? null : trigger.userId,
      rerunOfRunId: options.rerunOf ?? null,
      contentMode: settings.contentMode ?? profile.defaultContentMode,
      useNightlyBatch: settings.useNightlyBatch,
      deadlineAt: null,
      estimatedCredits: estimate.credits,
      budgetCredits: estimate.budget,
      locale: profile.locale,
      status: fits ? 'running' : 'budget_exhausted',
      ...(fits
        ? {}
        : {
            failureCode: `${E}.estimateBeyondBudget`,
            failureReason: this.deps.i18n.t(`${E}.estimateBeyondBudget`, { lng: profile.locale, estimate: estimate.credits, budget: estimate.budget }),
          }),
      now,
    });
    if (!run) throw new AppError(`${E}.alreadyRunning`, 409, { runId: live?.id });
    this.deps.logger.info({ tenantId, runId: run.id, month, trigger: trigger.kind, estimate: estimate.credits, budget: estimate.budget, status: run.status }, 'pipeline run created');
    return run;
  }

  /** Job `pipeline:start-due-runs`: every tenant whose run day and hour have come in its zone gets its month's run. */
  async startDueRuns(): Promise<{ started: number; refused: number; failed: number }> {
    const summary = { started: 0, refused: 0, failed: 0 };
    for (const due of await this.deps.pipelineRepository.tenantsDueForRun(this.deps.clock.now())) {
      try {
        const run = await this.start(due.tenantId, { kind: 'schedule' }, { month: due.month });
        if (run.status === 'running') summary.started++;
        else summary.refused++;
      } catch (err) {
        if (err instanceof AppError && err.code === `${E}.alreadyRunning`) continue;
        summary.failed++;
        this.deps.logger.error({ err, tenantId: due.tenantId }, 'pipeline: scheduled run not created');
      }
    }
    return summary;
  }

  /** Pause: the working step stops between two items; nothing done is lost. */
  async pause(tenantId: string, runId: string, userId: string): Promise<PipelineRun> {
    const run = await this.requireRun(tenantId, runId);
    if (!(await this.deps.pipelineRepository.transitionRun(tenantId, run.id, ['running', 'pending'], 'paused', { pausedBy: userId, now: this.deps.clock.now() }))) {
      throw new AppError(`${E}.cannotPause`, 409, { status: run.status });
    }
    return this.requireRun(tenantId, runId);
  }

  /**
   * Resume a paused run, or one stopped by its budget or a failure (after a top-up, or once the cause is gone): its
   * stopped step starts again where it was, with fresh attempts. The estimate of what is left is not re-checked
   * here: the generation step checks the budget before each item.
   */
  async resume(tenantId: string, runId: string): Promise<PipelineRun> {
    const run = await this.requireRun(tenantId, runId);
    if (!RESUMABLE_RUN_STATUSES.includes(run.status)) throw new AppError(`${E}.cannotResume`, 409, { status: run.status });
    const repo = this.deps.pipelineRepository;
    if (run.status !== 'paused') {
      const [balance, settings] = await Promise.all([this.deps.creditLedger.balance(tenantId), repo.settings(tenantId)]);
      const budget = run.spentCredits + Math.min(balance.available, settings.maxCreditsPerRun === null ? Number.MAX_SAFE_INTEGER : Math.max(0, settings.maxCreditsPerRun - run.spentCredits));
      await repo.updateRun(tenantId, run.id, { budgetCredits: budget });
    }
    const stopped = (await repo.steps(tenantId, run.id)).find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
    if (stopped) await repo.resetStep(tenantId, run.id, stopped.name, { resetAttempts: run.status !== 'paused' });
    if (!(await repo.transitionRun(tenantId, run.id, RESUMABLE_RUN_STATUSES, 'running', { failureCode: null, failureReason: null, now: this.deps.clock.now() }))) {
      throw new AppError(`${E}.cannotResume`, 409, { status: run.status });
    }
    return this.requireRun(tenantId, runId);
  }

  /** Cancel a live run: what was generated stays in the studio as drafts; nothing more is planned, written or queued. */
  async cancel(tenantId: string, runId: string): Promise<PipelineRun> {
    const run = await this.requireRun(tenantId, runId);
    const now = this.deps.clock.now();
    const reason = this.deps.i18n.t(`${E}.cancelled`, { lng: run.locale });
    if (!(await this.deps.pipelineRepository.transitionRun(tenantId, run.id, [...LIVE_RUN_STATUSES, 'failed', 'budget_exhausted'], 'cancelled', { failureCode: null, failureReason: reason, now }))) {
      throw new AppError(`${E}.cannotCancel`, 409, { status: run.status });
    }
    return this.requireRun(tenantId, runId);
  }

  /** A new run of a finished month (run_number + 1): the session is read again, a new brief, plan and contents. */
  async rerun(tenantId: string, runId: string, actor: Actor): Promise<PipelineRun> {
    const run = await this.requireRun(tenantId, runId);
    if (LIVE_RUN_STATUSES.includes(run.status)) throw new AppError(`${E}.alreadyRunning`, 409, { runId: run.id });
    return this.start(tenantId, actor, { month: run.month, rerunOf: run.id });
  }

  async detail(tenantId: string, runId: string): Promise<RunWithSteps> {
    const run = await this.requireRun(tenantId, runId);
    return { run, steps: await this.deps.pipelineRepository.steps(tenantId, run.id) };
  }

  /** The tenant's latest run (of `month` if given) with its steps, or null. */
  async latest(tenantId: string, month?: string): Promise<RunWithSteps | null> {
    const [run] = await this.deps.pipelineRepository.runs(tenantId, { month, limit: 1 });
    return run ? { run, steps: await this.deps.pipelineRepository.steps(tenantId, run.id) } : null;
  }

  history(tenantId: string, limit = 12): Promise<PipelineRun[]> {
    return this.deps.pipelineRepository.runs(tenantId, { limit });
  }

  /** Super admin: runs per state, the latest runs (failures first when asked), their cost. */
  async adminOverview(options: { status?: string } = {}): Promise<{ counts: Record<string, number>; runs: RunOverviewRow[] }> {
    const status = options.status && (STATUS_FILTER as readonly string[]).includes(options.status) ? (options.status as RunStatus) : undefined;
    const [counts, runs] = await Promise.all([this.deps.pipelineRepository.statusCounts(), this.deps.pipelineRepository.overview({ status })]);
    return { counts, runs };
  }

  private async requireRun(tenantId: string, runId: string): Promise<PipelineRun> {
    if (!isUuid(runId)) throw new NotFoundError();
    const run = await this.deps.pipelineRepository.findRun(tenantId, runId);
    if (!run) throw new NotFoundError();
    return run;
  }
}

const STATUS_FILTER = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'budget_exhausted'] as const;

/** Which step a run is at, for display: the first one not finished (null once all are). */
export function currentStepOf(steps: { name: StepName; status: string }[]): StepName | null {
  return steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped')?.name ?? null;
}

