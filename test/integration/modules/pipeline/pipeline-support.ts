import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asValue, type AwilixContainer } from 'awilix';
import type { Database } from '../../../../src/adapters/db/database.js';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import { DEFAULT_SETTINGS } from '../../../../src/modules/pipeline/db/knex-pipeline-repository.js';
import type { PipelineRun, PipelineStep } from '../../../../src/modules/pipeline/domain.js';
import type { Channel } from '../../../../src/modules/studio/domain.js';
import { providerEnv, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';

/**
 * Shared fixtures of the pipeline's run-behaviour tests (crash, two workers, budget): a container on the suite's
 * database whose providers are the AI emulator, runs whose first four steps are recorded as done with a plan
 * written by hand, worker child processes, and the ledger figures the no-double-spend checks compare.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.resolve(HERE, '../../../support/pipeline-worker.ts');

/** A month long over (so the analytics step runs at once) and fixed (so no test depends on today's date). */
export const PAST_MONTH = '2025-09-01';

export class TestClock {
  constructor(public current = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
}

/** Cadence's container on the suite's database, every provider pointed at the emulator. */
export function pipelineContainer(emulator: AiEmulator, env: Record<string, string> = {}, clock?: TestClock): AwilixContainer<Cradle> {
  return buildContainer(testConfig({ ...providerEnv(emulator), ...env }), testEnv().db, clock ? { clock: asValue(clock) } : {});
}

export interface PlanSpec {
  channel: Channel;
  count: number;
}

export interface PreparedRun {
  run: PipelineRun;
  planId: string;
  planItemIds: string[];
}

/**
 * A run as steps 1–4 would leave it: created by `pipelineService.start` (estimate checked against the budget), the
 * nightly batch off (every item written at once), its session, ingestion, DNA merge and planning steps recorded as
 * succeeded, and an editorial plan of `items` (dates spread over the month, 09:00 UTC) linked to the run. The plan
 * is written straight into `editorial_plans` / `editorial_plan_items`, so the item count is the test's.
 */
export async function preparedRun(cradle: Cradle, tenantId: string, options: { month?: string; items: PlanSpec[]; contentMode?: 'manual' | 'semi' | 'auto' }): Promise<PreparedRun> {
  const month = options.month ?? PAST_MONTH;
  await useOnlyChannels(cradle, tenantId, options.items, { contentMode: options.contentMode ?? 'semi' });
  const run = await cradle.pipelineService.start(tenantId, { kind: 'schedule' }, { month });
  if (run.status !== 'running') throw new Error(`prepared run not started: ${run.status} (${run.failureReason})`);
  const total = options.items.reduce((n, i) => n + i.count, 0);
  const [year, monthNumber] = month.split('-').map(Number);
  const days = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  const plan = await cradle.database.forTenant(tenantId, async (trx) => {
    const now = new Date();
    await trx('pipelineSteps')
      .where({ tenantId, runId: run.id })
      .where('position', '<=', 4)
      .update({ status: 'succeeded', attempts: 1, workerId: 'fixture', heartbeatAt: now, startedAt: now, finishedAt: now, durationMs: 0 });
    const [plan] = await trx('editorialPlans')
      .insert({ tenantId, month, status: 'confirmed', pipelineRunId: run.id, summary: 'Plan de test', confirmedAt: now, locale: 'fr' })
      .returning('id');
    const rows = options.items
      .flatMap((spec) => Array.from({ length: spec.count }, () => spec.channel))
      .map((channel, position) => {
        const day = 1 + Math.floor((position * days) / total);
        const plannedDate = `${month.slice(0, 8)}${String(day).padStart(2, '0')}`;
        return {
          tenantId,
          planId: plan.id,
          position,
          channel,
          theme: `Thème ${position + 1} : la tarte aux pommes du dimanche`,
          angle: 'Montrer le geste du boulanger',
          plannedDate,
          plannedSlotAt: new Date(`${plannedDate}T09:00:00Z`),
          status: 'planned',
          locale: 'fr',
        };
      });
    const items: { id: string }[] = rows.length ? await trx('editorialPlanItems').insert(rows).returning('id') : [];
    await trx('pipelineRuns').where({ tenantId, id: run.id }).update({ editorialPlanId: plan.id, itemsPlanned: items.length, currentStep: 'generation' });
    return { planId: plan.id as string, planItemIds: items.map((i) => i.id) };
  });
  return { run: (await cradle.pipelineRepository.findRun(tenantId, run.id))!, ...plan };
}

/** The month's channel targets = exactly `items` (so the start estimate matches the plan), batch off, content mode. */
export async function useOnlyChannels(cradle: Cradle, tenantId: string, items: PlanSpec[], settings: { contentMode: 'manual' | 'semi' | 'auto'; maxCreditsPerRun?: number | null }): Promise<void> {
  const repo = cradle.pipelineRepository;
  await repo.saveSettings(tenantId, { ...DEFAULT_SETTINGS, useNightlyBatch: false, contentMode: settings.contentMode, maxCreditsPerRun: settings.maxCreditsPerRun ?? null });
  const wanted = new Map(items.map((i) => [i.channel as string, i.count]));
  const targets = await repo.channelTargets(tenantId);
  await repo.saveChannelTargets(
    tenantId,
    targets.map((t) => ({ channel: t.channel, itemsPerMonth: Math.min(wanted.get(t.channel) ?? 0, t.quota), active: wanted.has(t.channel) })),
  );
}

export async function runAndSteps(cradle: Cradle, tenantId: string, runId: string): Promise<{ run: PipelineRun; steps: Record<string, PipelineStep> }> {
  const run = await cradle.pipelineRepository.findRun(tenantId, runId);
  if (!run) throw new Error(`run ${runId} not found`);
  const steps = await cradle.pipelineRepository.steps(tenantId, runId);
  return { run, steps: Object.fromEntries(steps.map((s) => [s.name, s])) };
}

/** Run status and, per step, status / attempts / error: what a timeout message shows. */
export async function runSummary(cradle: Cradle, tenantId: string, runId: string): Promise<Record<string, unknown>> {
  const { run, steps } = await runAndSteps(cradle, tenantId, runId);
  return {
    status: run.status,
    failure: run.failureReason,
    steps: Object.values(steps).map((s) => `${s.name}:${s.status}/${s.attempts}${s.errorCode ? ` ${s.errorCode}: ${s.errorMessage?.slice(0, 200)}` : ''}`),
  };
}

export function tenantRows(database: Database, tenantId: string, table: string, where: Record<string, unknown> = {}): Promise<Record<string, any>[]> {
  return database.forTenant(tenantId, (trx) => trx(table).where({ tenantId, ...where }).orderBy('createdAt'));
}

export interface LedgerFigures {
  balance: number;
  reserved: number;
  /** Credits charged by settled holds (what the tenant paid). */
  settled: number;
  /** `ai_calls.credits_charged` of the calls that answered. */
  chargedByCalls: number;
  held: number;
  refunded: number;
  /** Lowest balance the ledger ever recorded. */
  lowestBalance: number;
  /** Sum of every ledger movement (must equal the balance). */
  ledgerSum: number;
}

export function ledgerFigures(database: Database, tenantId: string): Promise<LedgerFigures> {
  return database.forTenant(tenantId, async (trx) => {
    const account = await trx('creditAccounts').where({ tenantId }).first('balance', 'reserved');
    const reservations: { status: string; n: number; settled: number }[] = await trx('creditReservations')
      .where({ tenantId })
      .groupBy('status')
      .select('status', trx.raw('count(*)::int as n'), trx.raw('coalesce(sum(amount_settled), 0)::int as settled'));
    const by = Object.fromEntries(reservations.map((r) => [r.status, r]));
    const calls = await trx('aiCalls').where({ tenantId, status: 'ok' }).first(trx.raw('coalesce(sum(credits_charged), 0)::int as credits'));
    const ledger = await trx('creditLedger')
      .where({ tenantId })
      .first(trx.raw('coalesce(min(balance_after), 0)::int as lowest'), trx.raw('coalesce(sum(amount), 0)::int as total'));
    return {
      balance: account.balance,
      reserved: account.reserved,
      settled: by.settled?.settled ?? 0,
      chargedByCalls: calls.credits,
      held: by.held?.n ?? 0,
      refunded: by.refunded?.n ?? 0,
      lowestBalance: ledger.lowest,
      ledgerSum: ledger.total,
    };
  });
}

/** Credits bought (an `adjust` entry), as a top-up leaves the account and its ledger. */
export function topUp(database: Database, tenantId: string, amount: number): Promise<void> {
  return database.asPlatform(async (trx) => {
    const account = await trx('creditAccounts').where({ tenantId }).forUpdate().first('balance', 'reserved', 'periodStart');
    const balance = account.balance + amount;
    await trx('creditAccounts').where({ tenantId }).update({ balance, updatedAt: trx.fn.now() });
    await trx('creditLedger').insert({
      tenantId,
      kind: 'adjust',
      amount,
      balanceAfter: balance,
      reservedAfter: account.reserved,
      idempotencyKey: `test-top-up:${tenantId}:${Date.now()}`,
      periodStart: account.periodStart,
      memo: 'test top-up',
    });
  });
}

/** Polls `probe` until it answers; on timeout, the error carries what `explain` says about the state reached. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; explain?: () => Promise<unknown> } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      const state = options.explain ? await options.explain().catch((err) => String(err)) : undefined;
      throw new Error(`timed out waiting for ${what}${state === undefined ? '' : `; state: ${JSON.stringify(state)}`}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the runner's worker id once the worker is ticking. */
  ready: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** SIGTERM: the worker finishes its runs' current steps, then exits. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A pipeline worker in a process of its own (test/support/pipeline-worker.ts) on the suite's database. */
export function startWorker(emulator: AiEmulator, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env,
      ...providerEnv(emulator),
      PIPELINE_WORKER_DATABASE_URL: testEnv().db.url,
      PIPELINE_WORKER_DATABASE_KIND: testEnv().db.kind,
      PIPELINE_WORKER_DATA_DIR: testEnv().config.dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('{"workerId"'));
      if (line) resolve((JSON.parse(line) as { workerId: string }).workerId);
    });
    void exited.then(({ code, signal }) => reject(new Error(`pipeline worker exited before it was ready (${code ?? signal}): ${stderr.slice(-2000)}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    ready,
    exited,
    stderr: () => stderr,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
