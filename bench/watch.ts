import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { asValue } from 'awilix';
import { SafeFetcher } from '../src/adapters/fetch/safe-fetcher.js';
import type { ChangeSink, DetectionInput } from '../src/modules/watch/domain.js';
import type { PollRun } from '../src/modules/watch/poller.js';
import { createTenant } from '../test/support/tenants.js';
import { startContainer, type BenchContainer } from './support/container.js';
import { kindOf, sendsValidators, type SiteCommand, type SiteMessage } from './support/watch-site.js';

/**
 * `watch`: the polling engine on 1,000 sources of 20 tenants spread over 400 host names (all resolving to a local
 * server in a child process, 50–300 ms per response, ETag / Last-Modified on 95 % of the sources). Pass 1: every
 * source is new (baseline). Then steady passes: ~10 % of the sources changed since the previous pass, the others
 * answer 304 (or 200 with the same content for the 5 % that ignore conditional GET). Between passes, every source is
 * made due again and the hosts' crawl delays are considered elapsed (the real interval is hours). The poller is the
 * application's `WatchPoller` (pool of 32, host leases, 2 s crawl delay), the detection the application's change sink.
 */

const settings = {
  sources: Number(process.env.BENCH_WATCH_SOURCES ?? 1000),
  hosts: Number(process.env.BENCH_WATCH_HOSTS ?? 400),
  tenants: 20,
  steady_passes: Number(process.env.BENCH_WATCH_PASSES ?? 2),
  changed_fraction: 0.1,
};

const siteScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'watch-site.ts');

interface Site {
  port: number;
  send(command: SiteCommand): Promise<SiteMessage>;
  stop(): Promise<void>;
}

async function startSite(sources: number): Promise<Site> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', siteScript, JSON.stringify({ sources })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () =>
    new Promise<SiteMessage>((resolve, reject) => {
      child.once('message', (m) => resolve(m as SiteMessage));
      child.once('exit', (code) => reject(new Error(`watch site exited with code ${code}`)));
    });
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('watch site did not start');
  return {
    port: ready.port,
    send(command) {
      const reply = next();
      child.send(command);
      return reply;
    },
    async stop() {
      child.send({ type: 'stop' } satisfies SiteCommand);
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Counts what detection was handed, and passes it on to the application's detector. */
class CountingSink implements ChangeSink {
  calls = 0;
  newEntries = 0;
  changes = 0;
  constructor(private readonly inner: ChangeSink) {}
  async detect(input: DetectionInput): Promise<{ changeIds: string[] }> {
    this.calls++;
    this.newEntries += input.newEntries.length;
    const result = await this.inner.detect(input);
    this.changes += result.changeIds.length;
    return result;
  }
}

export async function run() {
  const site = await startSite(settings.sources);
  let bench: BenchContainer | undefined;
  try {
    bench = await startContainer();
    const { container } = bench;
    const inner = container.cradle.changeSink;
    const sink = new CountingSink(inner);
    // Every bench host name resolves to the local server, on its port only (the fetcher's test-only switch).
    container.register({
      urlFetcher: asValue(new SafeFetcher({ allowLoopbackPorts: [site.port], resolve: async () => ['127.0.0.1'] })),
      changeSink: asValue(sink),
    });
    return await measure(bench, site, sink);
  } finally {
    await bench?.stop();
    await site.stop();
  }
}

async function seed(bench: BenchContainer, port: number): Promise<void> {
  const { database } = bench.container.cradle;
  const tenants = [];
  for (let t = 0; t < settings.tenants; t++) tenants.push(await createTenant(database, { plan: 'growth' }));
  const perTenant = Math.ceil(settings.sources / settings.tenants);
  for (const [t, tenant] of tenants.entries()) {
    await database.forTenant(tenant.id, async (trx) => {
      const [competitor] = await trx('competitors').insert({ tenantId: tenant.id, name: 'Concurrent' }).returning('id');
      for (let i = t * perTenant; i < Math.min(settings.sources, (t + 1) * perTenant); i++) {
        const host = `shop-${i % settings.hosts}.watch-bench.test:${port}`;
        const kind = kindOf(i);
        const [source] = await trx('watchSources')
          .insert({
            tenantId: tenant.id,
            competitorId: competitor.id,
            kind: kind === 'feed' ? 'rss' : 'page',
            url: `http://${host}/s/${i}`,
            host,
            extractMode: kind === 'product' ? 'selectors' : 'full_text',
            intervalMinutes: 60,
          })
          .returning('id');
        if (kind === 'product') {
          await trx('watchSelectors').insert([
            { tenantId: tenant.id, sourceId: source.id, field: 'price', selector: '.productinfo [itemprop="lowPrice"]' },
            { tenantId: tenant.id, sourceId: source.id, field: 'product_name', selector: 'h1[itemprop="name"]' },
          ]);
        }
      }
    });
  }
}

/** Makes every source due again and the hosts free, as if the interval had elapsed. */
async function makeDue(bench: BenchContainer): Promise<void> {
  await bench.container.cradle.database.asPlatform(async (trx) => {
    await trx('watchSources').update({ nextPollAt: null });
    await trx('watchHosts').update({ nextFetchAt: null });
  });
}

interface PassFigures {
  pass: number;
  polled: number;
  seconds: number;
  sources_per_minute: number;
  cpu_ms_per_poll: number;
  outcomes: PollRun['outcomes'];
  /** Sources the site changed before this pass. */
  changed_on_site: number;
  detections: number;
  new_feed_entries: number;
  changes_recorded: number;
  bytes_received: number;
  bytes_saved: number;
  /** Over the sources whose content did not change (304, or 200 with the same hash for servers without validators). */
  unchanged_bytes_received: number;
  unchanged_bytes_saved: number;
  /** unchanged_bytes_saved / (unchanged_bytes_saved + unchanged_bytes_received) */
  bytes_saved_ratio: number;
  fetch_ms_p50: number;
  fetch_ms_p95: number;
}

async function pass(bench: BenchContainer, sink: CountingSink, index: number, changedOnSite: number): Promise<PassFigures> {
  const { watchPoller, database } = bench.container.cradle;
  const since = new Date();
  const detections = { calls: sink.calls, entries: sink.newEntries, changes: sink.changes };
  const outcomes: PollRun['outcomes'] = { changed: 0, unchanged: 0, not_modified: 0, error: 0, deferred: 0 };
  const cpu = process.cpuUsage();
  const started = performance.now();
  // The job's loop: runs until nothing is due (a run stops after 45 s; deferred sources come back 2 s later).
  for (;;) {
    const run = await watchPoller.pollDue();
    for (const [key, value] of Object.entries(run.outcomes)) outcomes[key as keyof PollRun['outcomes']] += value;
    if (run.claimed === 0) {
      const waiting = await database.asPlatform((trx) => trx('watchSources').where('nextPollAt', '>', new Date()).where('nextPollAt', '<', new Date(Date.now() + 60_000)).count({ n: '*' }).first());
      if (!Number(waiting?.n)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const polled = outcomes.changed + outcomes.unchanged + outcomes.not_modified + outcomes.error;
  const log = await database.asPlatform(async (trx) => {
    const totals = await trx('watchFetchLog')
      .where('fetchedAt', '>=', since)
      .select(
        trx.raw('coalesce(sum(bytes_received), 0)::bigint as received'),
        trx.raw('coalesce(sum(bytes_saved), 0)::bigint as saved'),
        trx.raw(`coalesce(sum(bytes_received) filter (where outcome in ('not_modified', 'unchanged')), 0)::bigint as unchanged_received`),
        trx.raw(`coalesce(sum(bytes_saved) filter (where outcome in ('not_modified', 'unchanged')), 0)::bigint as unchanged_saved`),
        trx.raw('percentile_cont(0.5) within group (order by duration_ms) as p50'),
        trx.raw('percentile_cont(0.95) within group (order by duration_ms) as p95'),
      )
      .first();
    return totals as { received: number; saved: number; unchangedReceived: number; unchangedSaved: number; p50: number; p95: number };
  });
  return {
    pass: index,
    polled,
    seconds: round(seconds, 2),
    sources_per_minute: Math.round((polled / seconds) * 60),
    cpu_ms_per_poll: round((used.user + used.system) / 1000 / Math.max(polled, 1), 2),
    outcomes,
    changed_on_site: changedOnSite,
    detections: sink.calls - detections.calls,
    new_feed_entries: sink.newEntries - detections.entries,
    changes_recorded: sink.changes - detections.changes,
    bytes_received: Number(log.received),
    bytes_saved: Number(log.saved),
    unchanged_bytes_received: Number(log.unchangedReceived),
    unchanged_bytes_saved: Number(log.unchangedSaved),
    bytes_saved_ratio: ratio(Number(log.unchangedSaved), Number(log.unchangedReceived)),
    fetch_ms_p50: Math.round(Number(log.p50)),
    fetch_ms_p95: Math.round(Number(log.p95)),
  };
}

async function measure(bench: BenchContainer, site: Site, sink: CountingSink) {
  await seed(bench, site.port);
  const passes: PassFigures[] = [await pass(bench, sink, 1, settings.sources)];
  for (let p = 2; p <= settings.steady_passes + 1; p++) {
    // a deterministic ~10 % of the sources change on the site
    const changed = Array.from({ length: settings.sources }, (_, i) => i).filter((i) => crypto.createHash('sha256').update(`${p}:${i}`).digest()[0] < 256 * settings.changed_fraction);
    await site.send({ type: 'mutate', sources: changed });
    await makeDue(bench);
    passes.push(await pass(bench, sink, p, changed.length));
  }
  const stats = await site.send({ type: 'stats' });
  if (stats.type !== 'stats') throw new Error('no stats from the watch site');
  if (stats.maxInFlightPerHost > 1) throw new Error(`politeness broken: ${stats.maxInFlightPerHost} requests in flight to one host`);
  const steady = passes.slice(1);
  const sum = (f: (p: PassFigures) => number) => steady.reduce((total, p) => total + f(p), 0);
  return {
    settings: { ...settings, sources_without_validators: Array.from({ length: settings.sources }, (_, i) => i).filter((i) => !sendsValidators(i)).length, pool: 32, crawl_delay_ms: 2000, response_delay_ms: [50, 300] },
    sources: settings.sources,
    sources_per_minute: Math.round((sum((p) => p.polled) / sum((p) => p.seconds)) * 60),
    cpu_ms_per_poll: round(sum((p) => p.cpu_ms_per_poll * p.polled) / sum((p) => p.polled), 2),
    bytes_saved_ratio: ratio(sum((p) => p.unchanged_bytes_saved), sum((p) => p.unchanged_bytes_received)),
    targets: { sources_per_minute: 1000, bytes_saved_ratio: 0.8 },
    site: { requests: stats.requests, statuses: stats.statuses, bytes_sent: stats.bytesSent, max_in_flight_per_host: stats.maxInFlightPerHost },
    passes,
  };
}

function ratio(saved: number, received: number): number {
  return saved + received > 0 ? round(saved / (saved + received), 4) : 0;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
