import type { Knex } from 'knex';
import { Database } from '../src/adapters/db/database.js';
import { createKnex } from '../src/adapters/db/knex.js';
import { STEPS } from '../src/modules/pipeline/domain.js';
import { DEFAULT_SETTINGS } from '../src/modules/pipeline/db/knex-pipeline-repository.js';
import { createTenant } from '../test/support/tenants.js';
import { startContainer, type BenchContainer } from './support/container.js';
import { emulatorEnv, startEmulatorProcess, type EmulatorProcess } from './support/pipeline-provider.js';

/**
 * `pipeline`: the monthly run at scale. N tenants (each with a brand DNA and a month of 30 items on four channels,
 * nightly batch off so everything is written at once) get their next month's run from `pipelineService.start`;
 * the runner is then ticked as the worker's job does, until every run waits at the analytics step (the month it
 * prepares is not over). The AI providers are the emulator in a process of its own, answering after a random
 * 1–3 s. Measured in the app process only: CPU, round trips on the app's knex (by query shape), peak RSS.
 */

const settings = {
  tenants: Number(process.env.BENCH_PIPELINE_TENANTS ?? 50),
  ai_concurrency: Number(process.env.PIPELINE_AI_CONCURRENCY ?? 64),
  latency_ms: [Number(process.env.BENCH_PIPELINE_LATENCY_MIN_MS ?? 1000), Number(process.env.BENCH_PIPELINE_LATENCY_MAX_MS ?? 3000)] as [number, number],
  tick_ms: Number(process.env.BENCH_PIPELINE_TICK_MS ?? 1000),
  channels: { linkedin: 8, facebook: 8, instagram: 8, x: 6 } as Record<string, number>,
};
const ITEMS_PER_TENANT = Object.values(settings.channels).reduce((a, b) => a + b, 0);
const TIMEOUT_MS = Number(process.env.BENCH_PIPELINE_TIMEOUT_S ?? 1800) * 1000;

export async function run() {
  const emulator = await startEmulatorProcess(settings.latency_ms);
  try {
    const bench = await startContainer({
      ...emulatorEnv(emulator.url),
      PIPELINE_AI_CONCURRENCY: String(settings.ai_concurrency),
      // one worker drives every run at once: the AI concurrency, not the run count, is the limit
      PIPELINE_RUNS_PER_WORKER: String(Math.min(200, settings.tenants)),
      ...(process.env.DB_POOL_MAX ? { DB_POOL_MAX: process.env.DB_POOL_MAX } : {}),
    });
    try {
      return await measure(bench, emulator);
    } finally {
      await bench.stop();
    }
  } finally {
    await emulator.stop();
  }
}

async function measure(bench: BenchContainer, emulator: EmulatorProcess) {
  const cradle = bench.container.cradle;
  const setupStarted = Date.now();
  const tenants: string[] = [];
  for (let i = 0; i < settings.tenants; i++) {
    const tenant = await createTenant(cradle.database, { plan: 'growth', credits: 1_000_000, name: `Bench ${i + 1}` });
    await cradle.dnaService.createSnapshot(tenant.id, {
      content: { identity: { name: `Boulangerie ${i + 1}` }, tone: { summary: 'Chaleureux, artisanal, précis' } },
      reason: 'edit',
    });
    await cradle.pipelineRepository.saveSettings(tenant.id, { ...DEFAULT_SETTINGS, useNightlyBatch: false, contentMode: 'semi' });
    const targets = await cradle.pipelineRepository.channelTargets(tenant.id);
    await cradle.pipelineRepository.saveChannelTargets(
      tenant.id,
      targets.map((t) => ({ channel: t.channel, itemsPerMonth: settings.channels[t.channel] ?? 0, active: t.channel in settings.channels })),
    );
    tenants.push(tenant.id);
  }
  const setupS = (Date.now() - setupStarted) / 1000;
  const requestsBefore = (await emulator.stats()).requests;

  // A knex of its own watches the runs (platform context): its queries are not the orchestrator's.
  const watcherKnex = createKnex({ url: bench.database.url, poolMax: 1, asAppRole: true });
  const watcher = new Database(watcherKnex, bench.database.kind);
  const queries = new QueryShapes(cradle.knex);
  let peakRss = process.memoryUsage().rss;
  const rssProbe = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  queries.start();
  try {
    for (const tenantId of tenants) {
      const run = await cradle.pipelineService.start(tenantId, { kind: 'schedule' });
      if (run.status !== 'running') throw new Error(`run of ${tenantId} not started: ${run.status} ${run.failureReason}`);
    }
    for (;;) {
      await cradle.pipelineRunner.tick();
      const state = await progress(watcher);
      if (state.live === 0) break;
      if (Date.now() - started > TIMEOUT_MS) throw new Error(`runs not done after ${TIMEOUT_MS / 1000} s: ${JSON.stringify(state)}`);
      await new Promise((r) => setTimeout(r, settings.tick_ms));
    }
  } finally {
    queries.stop();
    clearInterval(rssProbe);
  }
  const wallS = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const providerRequests = (await emulator.stats()).requests - requestsBefore;

  const outcome = await results(watcher);
  await watcherKnex.destroy();
  const expected = settings.tenants * ITEMS_PER_TENANT;
  if (outcome.waitingAtAnalytics + outcome.completed !== settings.tenants || outcome.items !== expected) {
    throw new Error(`not every run went through: ${JSON.stringify(outcome)}, expected ${expected} items`);
  }

  const items = outcome.items;
  const meanLatencyS = (settings.latency_ms[0] + settings.latency_ms[1]) / 2000;
  // Each item holds one of the PIPELINE_AI_CONCURRENCY slots for its generation and its moderation call.
  const callsPerItemInSlot = 2;
  const providerBound = (settings.ai_concurrency / (meanLatencyS * callsPerItemInSlot)) * 60;
  const itemsPerMinute = items / (wallS / 60);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const qpi = queries.total / items;
  return {
    tenants: settings.tenants,
    items,
    wall_s: round(wallS, 1),
    items_per_minute: round(itemsPerMinute, 1),
    cpu_ms_per_item: round(cpuMs / items),
    queries_per_item: round(qpi),
    peak_rss_mb: round(peakRss / 1024 / 1024, 1),
    ai_concurrency: settings.ai_concurrency,
    provider_bound_items_per_minute: round(providerBound, 1),
    share_of_provider_bound: round(itemsPerMinute / providerBound, 3),
    limited_by: itemsPerMinute >= 0.8 * providerBound ? 'provider' : 'orchestrator',
    targets: { cpu_ms_per_item: 5, queries_per_item: 15, cpu_met: cpuMs / items < 5, queries_met: qpi < 15 },
    cpu: { user_ms: round(cpu.user / 1000), system_ms: round(cpu.system / 1000) },
    provider_requests: providerRequests,
    provider_requests_per_item: round(providerRequests / items),
    db_transactions_per_item: round((queries.shapes.get('begin') ?? 0) / items),
    db_time_ms_per_item: round(queries.totalMs / items),
    top_query_shapes: queries.top(25).map(([shape, n]) => ({ shape, per_item: round(n / items, 3), count: n })),
    step_mean_ms: outcome.stepMeanMs,
    runs: { waiting_at_analytics: outcome.waitingAtAnalytics, completed: outcome.completed },
    setup_s: round(setupS, 1),
    settings: {
      ...settings,
      items_per_tenant: ITEMS_PER_TENANT,
      emulator: 'separate process (bench/support/pipeline-emulator.ts)',
      latency: `uniform random ${settings.latency_ms[0]}–${settings.latency_ms[1]} ms per provider answer`,
      runs_per_worker: Math.min(200, settings.tenants),
      db_pool_max: cradle.config.dbPoolMax,
      nightly_batch: false,
      content_mode: 'semi',
      cpu_note: 'process.cpuUsage() of the app process over the drive phase; with the embedded database (PGlite) the database engine runs in this process and is included',
    },
  };
}

/** Runs still to finish: running and not yet parked at the analytics step. */
async function progress(watcher: Database): Promise<{ live: number; generated: number }> {
  const { rows } = await watcher.asPlatform((trx) =>
    trx.raw(
      `select count(*) filter (where r.status = 'running' and not (s.name = 'analytics' and s.status = 'pending' and s.attempts > 0))::int as live,
              coalesce(sum(r.items_generated), 0)::int as generated
         from pipeline_runs r
         left join lateral (select name, status, attempts from pipeline_steps s where s.run_id = r.id and s.status not in ('succeeded', 'skipped') order by position limit 1) s on true`,
    ),
  );
  return rows[0];
}

async function results(watcher: Database) {
  return watcher.asPlatform(async (trx) => {
    const runs = await trx.raw(
      `select count(*) filter (where status = 'completed')::int as completed,
              count(*) filter (where status = 'running')::int as running,
              count(*) filter (where status not in ('completed', 'running'))::int as other,
              coalesce(sum(items_generated), 0)::int as items
         from pipeline_runs`,
    );
    const waiting = await trx.raw(
      `select count(*)::int as n from pipeline_runs r join pipeline_steps s on s.run_id = r.id
        where r.status = 'running' and s.name = 'analytics' and s.status = 'pending' and s.attempts = 1
          and not exists (select 1 from pipeline_steps e where e.run_id = r.id and e.position < s.position and e.status <> 'succeeded')`,
    );
    const steps = await trx.raw(`select name, round(avg(duration_ms))::int as ms from pipeline_steps where duration_ms is not null group by name`);
    const byName = Object.fromEntries((steps.rows as { name: string; ms: number }[]).map((r) => [r.name, r.ms]));
    return {
      completed: runs.rows[0].completed as number,
      waitingAtAnalytics: waiting.rows[0].n as number,
      other: runs.rows[0].other as number,
      items: runs.rows[0].items as number,
      stepMeanMs: Object.fromEntries(STEPS.filter((s) => s in byName).map((s) => [s, byName[s]])),
    };
  });
}

/** Counts the app's round trips by shape: literals and parameters out, so one statement is one shape. */
class QueryShapes {
  total = 0;
  totalMs = 0;
  readonly shapes = new Map<string, number>();
  private readonly started = new Map<string, number>();

  constructor(private readonly knex: Knex) {}

  private readonly onQuery = (q: { sql: string; __knexQueryUid?: string }) => {
    this.total++;
    const shape = shapeOf(q.sql);
    this.shapes.set(shape, (this.shapes.get(shape) ?? 0) + 1);
    if (q.__knexQueryUid) this.started.set(q.__knexQueryUid, performance.now());
  };

  private readonly onDone = (_response: unknown, q: { __knexQueryUid?: string }) => {
    const at = q.__knexQueryUid ? this.started.get(q.__knexQueryUid) : undefined;
    if (at === undefined) return;
    this.totalMs += performance.now() - at;
    this.started.delete(q.__knexQueryUid!);
  };

  start(): void {
    this.knex.on('query', this.onQuery).on('query-response', this.onDone).on('query-error', this.onDone);
  }

  stop(): void {
    this.knex.off('query', this.onQuery).off('query-response', this.onDone).off('query-error', this.onDone);
  }

  top(n: number): [string, number][] {
    return [...this.shapes.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  }
}

function shapeOf(sql: string): string {
  const s = sql
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/\$\d+|\?/g, '?')
    .replace(/\b\d+\b/g, 'N')
    .replace(/\((?:\?, )+\?\)/g, '(?…)')
    .replace(/(?:\(\?…\), )+\(\?…\)/g, '(?…)…');
  if (s === 'begin;' || s === 'begin') return 'begin';
  if (s.startsWith('commit')) return 'commit';
  if (s.startsWith('rollback')) return 'rollback';
  return s.length > 220 ? `${s.slice(0, 220)}…` : s;
}

function round(n: number, digits = 2): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}
