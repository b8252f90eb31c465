/**
 * A pipeline worker in a process of its own, for the crash and two-worker tests and nothing else: builds the
 * container against the database named by PIPELINE_WORKER_DATABASE_URL (PIPELINE_WORKER_DATABASE_KIND,
 * PIPELINE_WORKER_DATA_DIR) with the PIPELINE_*, ANTHROPIC_*, OPENAI_* and MISTRAL_* variables it was given, prints
 * `{"workerId": …}` once, then calls `pipelineRunner.tick()` every PIPELINE_WORKER_TICK_MS (200 ms) — what the
 * `pipeline:advance-runs` job does, without Agenda: the step claim, not Agenda's lock, is what makes a step run once.
 * SIGTERM stops it cleanly (the runs' current steps finish first); the tests SIGKILL it to crash it.
 */
import type { DatabaseKind } from '../../src/adapters/db/database.js';
import { loadConfig } from '../../src/config.js';
import { buildContainer } from '../../src/container.js';

const url = process.env.PIPELINE_WORKER_DATABASE_URL;
const dataDir = process.env.PIPELINE_WORKER_DATA_DIR;
if (!url || !dataDir) throw new Error('PIPELINE_WORKER_DATABASE_URL and PIPELINE_WORKER_DATA_DIR are required');
const tickMs = Number(process.env.PIPELINE_WORKER_TICK_MS ?? 200);

const passed = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && /^(PIPELINE_|ANTHROPIC_|OPENAI_|MISTRAL_)/.test(k))) as Record<string, string>;
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', DATA_DIR: dataDir, DEMO: 'true', ...passed });
const container = buildContainer(config, { url, kind: (process.env.PIPELINE_WORKER_DATABASE_KIND ?? 'postgres') as DatabaseKind });
const runner = container.cradle.pipelineRunner;

let stopping = false;
let timer: NodeJS.Timeout | undefined;
const loop = async () => {
  if (stopping) return;
  try {
    await runner.tick();
  } catch (err) {
    process.stderr.write(`pipeline worker: tick failed: ${String((err as Error)?.stack ?? err)}\n`);
  }
  if (!stopping) timer = setTimeout(() => void loop(), tickMs);
};

process.on('SIGTERM', () => {
  stopping = true;
  clearTimeout(timer);
  void (async () => {
    await runner.stop();
    await container.dispose();
    process.exit(0);
  })();
});

process.stdout.write(`${JSON.stringify({ workerId: runner.workerId })}\n`);
await loop();
