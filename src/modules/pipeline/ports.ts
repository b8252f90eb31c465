import type { PipelineRun, PipelineStep, StepName } from './domain.js';

/** What a step reports about its items, counted on its `pipeline_steps` row (the portal's progress bar). */
export interface StepProgress {
  /** Sets the number of items the step will handle. */
  total?: number;
  /** Increments. */
  done?: number;
  failed?: number;
  costCredits?: number;
  aiCostMicros?: number;
}

export interface StepContext {
  tenantId: string;
  /** The run as it was when the step was claimed. */
  run: PipelineRun;
  step: PipelineStep;
  now(): Date;
  /** Records progress and renews the step's lease. */
  progress(update: StepProgress): Promise<void>;
  /** True once the run was paused or cancelled, or this worker lost the step: stop between two items. */
  shouldStop(): Promise<boolean>;
}

export type StepOutcome =
  /** Done: the step's summary for the client and the super admin, and the row it produced. */
  | { status: 'succeeded'; output?: Record<string, unknown>; outputRef?: { type: string; id: string } }
  /** Not finished and nothing to do before `until` (the nightly batch, the month's end): run it again then. */
  | { status: 'waiting'; until: Date; output?: Record<string, unknown> }
  /** Interrupted by a pause or a cancellation: what was done is kept, the step starts again on resume. */
  | { status: 'stopped' };

/**
 * One step of the monthly run. `execute` must be idempotent: it may run again after a crash (with the same run and
 * step rows) and must then continue, never duplicate. It throws to fail: an `AppError` with a 4xx status fails
 * the step for good (`billing.errors.insufficientCredits` ends the run as `budget_exhausted`); anything else is
 * retried with backoff up to the step's `max_attempts`.
 */
export interface StepHandler {
  readonly name: StepName;
  execute(context: StepContext): Promise<StepOutcome>;
}

/** Thrown by a step when the run's budget is spent: the run ends `budget_exhausted`, resumable after a top-up. */
export class BudgetExhaustedError extends Error {
  readonly code = 'pipeline.errors.budgetExhausted';
  constructor(readonly details: { spent: number; budget: number; done: number; total: number }) {
    super('pipeline: the run has spent its budget');
    this.name = 'BudgetExhaustedError';
  }
}
