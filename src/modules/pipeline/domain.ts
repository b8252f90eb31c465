import { DateTime } from 'luxon';

/** The seven steps of a monthly run, in order (pipeline_steps.position = index + 1). */
export const STEPS = ['session', 'ingestion', 'dna_merge', 'planning', 'generation', 'publication', 'analytics'] as const;
export type StepName = (typeof STEPS)[number];

export const RUN_STATUSES = ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'budget_exhausted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** A live run blocks another one for the same tenant and month (partial unique index). */
export const LIVE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'paused'];
/** Finished runs the client may resume (after topping up credits, or once the cause of a failure is gone). */
export const RESUMABLE_RUN_STATUSES: readonly RunStatus[] = ['failed', 'budget_exhausted', 'paused'];

export const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'paused'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export type RunTrigger = 'schedule' | 'client' | 'admin';
export type ContentMode = 'manual' | 'semi' | 'auto';

export interface PipelineRun {
  id: string;
  tenantId: string;
  /** First day of the month, `YYYY-MM-DD`. */
  month: string;
  runNumber: number;
  rerunOfRunId: string | null;
  sessionId: string | null;
  status: RunStatus;
  triggeredBy: RunTrigger;
  triggeredByUserId: string | null;
  currentStep: StepName | null;
  contentMode: ContentMode;
  useNightlyBatch: boolean;
  deadlineAt: Date | null;
  estimatedCredits: number | null;
  budgetCredits: number | null;
  spentCredits: number;
  aiCostMicros: number;
  itemsPlanned: number;
  itemsGenerated: number;
  dnaSnapshotId: string | null;
  generationContext: GenerationContext | null;
  editorialPlanId: string | null;
  locale: string;
  failureCode: string | null;
  failureReason: string | null;
  startedAt: Date | null;
  pausedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
}

export interface PipelineStep {
  id: string;
  tenantId: string;
  runId: string;
  name: StepName;
  position: number;
  status: StepStatus;
  attempts: number;
  maxAttempts: number;
  nextRetryAt: Date | null;
  itemsTotal: number;
  itemsDone: number;
  itemsFailed: number;
  costCredits: number;
  aiCostMicros: number;
  outputRefType: string | null;
  outputRefId: string | null;
  output: Record<string, unknown> | null;
  errorCode: string | null;
  errorMessage: string | null;
  workerId: string | null;
  heartbeatAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
}

/**
 * Step 3's output, recorded on the run so the month can be reproduced: which DNA snapshot, which brief, which
 * priorities and which prompt layers every generation of the month was built from.
 */
export interface GenerationContext {
  v: 1;
  month: string;
  locale: string;
  dna: { snapshotId: string | null; version: number | null };
  brief: { id: string | null; body: string };
  priorities: { label: string; weight: number }[];
  /** Session items kept for the month (offers, events, news), as the plan should see them. */
  highlights: { kind: string; title: string; detail: string; startsOn: string | null; endsOn: string | null }[];
  /** Prompt cascade reference per channel (`snapshotRef` of the system prompt source). */
  promptRefs: Record<string, string>;
  mergedAt: string;
}

export interface RunWithSteps {
  run: PipelineRun;
  steps: PipelineStep[];
}

/** `YYYY-MM-01` of the month containing `instant` in the tenant's zone. */
export function monthOf(instant: Date, timezone: string): string {
  return DateTime.fromJSDate(instant, { zone: timezone }).startOf('month').toISODate()!;
}

/** `YYYY-MM-01` of the month after `month`. */
export function nextMonth(month: string): string {
  return DateTime.fromISO(month, { zone: 'utc' }).plus({ months: 1 }).toISODate()!;
}

export function isMonth(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-(0[1-9]|1[0-2])-01$/.test(value);
}

/** Midnight starting `month` + `months` in the tenant's zone (e.g. the end of the month = start of the next). */
export function monthStart(month: string, timezone: string, months = 0): Date {
  return DateTime.fromISO(month, { zone: timezone }).plus({ months }).toJSDate();
}
