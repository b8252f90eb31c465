import { DateTime } from 'luxon';
import type { Database } from '../../adapters/db/database.js';
import type { Translate } from '../../shared/i18n.js';
import { LIVE_RUN_STATUSES, monthOf, nextMonth, RESUMABLE_RUN_STATUSES, type PipelineRun, type PipelineStep, type RunStatus } from './domain.js';

/**
 * What the run pages show, shaped from the run and its steps: progress per step, why a step waits, the summary of
 * its output, the actions the run's state allows. Pure, except `runPlanItems` (one read in the tenant's context).
 */

export function isLive(status: RunStatus): boolean {
  return LIVE_RUN_STATUSES.includes(status);
}

/** The actions a run's state allows (the service refuses the others with a 409 anyway). */
export function controlsFor(status: RunStatus): { pause: boolean; resume: boolean; cancel: boolean; rerun: boolean } {
  return {
    pause: status === 'running' || status === 'pending',
    resume: RESUMABLE_RUN_STATUSES.includes(status),
    cancel: isLive(status) || status === 'failed' || status === 'budget_exhausted',
    rerun: !isLive(status),
  };
}

/** The months a client may start: the current one (what is left of it) and the next one (the default). */
export function startableMonths(now: Date, timezone: string): { current: string; next: string } {
  const current = monthOf(now, timezone);
  return { current, next: nextMonth(current) };
}

export interface StepSummaryLine {
  /** i18n key under `pipeline.output`, with `count` or `list`. */
  key: string;
  count?: number;
  perChannel?: { channel: string; count: number }[];
}

/** Output keys the steps report, shown as counts; anything else a step records is left out. */
const COUNT_KEYS = [
  'sources',
  'highlights',
  'priorities',
  'watchChanges',
  'items',
  'themes',
  'campaigns',
  'evergreen',
  'generated',
  'viaBatch',
  'flagged',
  'failed',
  'queuedForApproval',
  'scheduled',
  'drafts',
  'metrics',
] as const;
const PER_CHANNEL_KEYS = ['perChannel', 'itemsPerChannel'] as const;

function countOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.floor(value);
  if (Array.isArray(value)) return value.length;
  return undefined;
}

/** The known parts of a step's output, in a stable order. */
export function outputSummary(output: Record<string, unknown> | null): StepSummaryLine[] {
  if (!output || typeof output !== 'object') return [];
  const lines: StepSummaryLine[] = [];
  for (const key of COUNT_KEYS) {
    const count = countOf(output[key]);
    if (count !== undefined) lines.push({ key, count });
  }
  for (const key of PER_CHANNEL_KEYS) {
    const value = output[key];
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const perChannel = Object.entries(value as Record<string, unknown>)
      .map(([channel, n]) => ({ channel, count: countOf(n) }))
      .filter((c): c is { channel: string; count: number } => c.count !== undefined && /^[a-z_]{1,32}$/.test(c.channel));
    if (perChannel.length) lines.push({ key: 'perChannel', perChannel });
    break;
  }
  return lines;
}

export interface StepView {
  step: PipelineStep;
  /** Null when the step counts no items: its state alone is shown. */
  progress: { done: number; failed: number; total: number; percent: number } | null;
  /** A pending step with a date to run again: waiting for something (the nightly batch, the month's end) or retrying. */
  waiting: { reason: 'waitingFor' | 'retry'; waitingFor: string | null; until: Date } | null;
  summary: StepSummaryLine[];
}

export function stepView(step: PipelineStep): StepView {
  const progress =
    step.itemsTotal > 0
      ? {
          done: step.itemsDone,
          failed: step.itemsFailed,
          total: step.itemsTotal,
          percent: Math.min(100, Math.round(((step.itemsDone + step.itemsFailed) / step.itemsTotal) * 100)),
        }
      : null;
  const waitingFor = typeof step.output?.waitingFor === 'string' && /^[A-Za-z_]{1,40}$/.test(step.output.waitingFor) ? step.output.waitingFor : null;
  const waiting =
    step.status === 'pending' && step.nextRetryAt
      ? { reason: step.errorCode && !waitingFor ? ('retry' as const) : ('waitingFor' as const), waitingFor, until: step.nextRetryAt }
      : null;
  return { step, progress, waiting, summary: outputSummary(step.output) };
}

/** Labels and formats in the reader's language and the tenant's time zone. */
export class RunFormats {
  private readonly integer: Intl.NumberFormat;
  private readonly euros: Intl.NumberFormat;

  constructor(
    private readonly locale: string,
    private readonly timezone: string,
    private readonly t: Translate,
  ) {
    this.integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    this.euros = new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR', minimumFractionDigits: 2, maximumFractionDigits: 4 });
  }

  /** `2026-12-01` → "décembre 2026". */
  month(month: string): string {
    return DateTime.fromISO(month, { zone: 'utc' }).setLocale(this.locale).toFormat('LLLL yyyy');
  }

  dateTime(d: Date | string | null | undefined): string {
    return d ? DateTime.fromJSDate(new Date(d), { zone: this.timezone }).setLocale(this.locale).toLocaleString(DateTime.DATETIME_MED) : '—';
  }

  /** A calendar date `YYYY-MM-DD`, as written. */
  day(isoDate: string): string {
    return DateTime.fromISO(isoDate, { zone: 'utc' }).setLocale(this.locale).toLocaleString(DateTime.DATE_MED);
  }

  number(n: number | null | undefined): string {
    return n === null || n === undefined ? '—' : this.integer.format(n);
  }

  /** Provider cost recorded in micro-euros. */
  euro(micros: number): string {
    return this.euros.format(micros / 1_000_000);
  }

  duration(ms: number | null | undefined): string {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return this.t('pipeline.duration.ms', { n: this.integer.format(ms) });
    const seconds = Math.round(ms / 1000);
    if (seconds < 60) return this.t('pipeline.duration.s', { n: seconds });
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return this.t('pipeline.duration.min', { m: minutes, s: seconds % 60 });
    return this.t('pipeline.duration.h', { h: Math.floor(minutes / 60), m: minutes % 60 });
  }
}

