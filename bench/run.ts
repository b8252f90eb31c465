/**
 * The benchmark runner: `npm run bench` runs every benchmark, `npm run bench -- <name>…` the named ones.
 * Each benchmark is a module of bench/ whose `run()` returns its figures; they are written, with the
 * machine and the database they were measured on, to bench/results/<name>.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseKind } from './support/database.js';

export interface Benchmark {
  run(): Promise<Record<string, unknown>>;
}

/** One line per benchmark, loaded only when it runs. */
const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  http: () => import('./http.js'),
  gateway: () => import('./gateway.js'),
  pipeline: () => import('./pipeline.js'),
  watch: () => import('./watch.js'),
  cockpit: () => import('./cockpit.js'),
};

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const name of names.length ? names : Object.keys(BENCHMARKS)) {
    console.log(`bench ${name}…`);
    const started = Date.now();
    try {
      const figures = await (await BENCHMARKS[name]()).run();
      const result = {
        benchmark: name,
        date: new Date().toISOString(),
        node: process.version,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cpus: os.cpus().length,
        database: databaseKind(),
        ...figures,
      };
      const file = path.join(resultsDir, `${name}.json`);
      fs.mkdirSync(resultsDir, { recursive: true });
      fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
      fs.renameSync(`${file}.tmp`, file);
      console.log(JSON.stringify(figures, null, 2));
      console.log(`bench ${name}: done in ${Math.round((Date.now() - started) / 1000)} s → ${path.relative(process.cwd(), file)}`);
    } catch (err) {
      failed++;
      console.error(`bench ${name}: FAILED`, err);
    }
  }
  return failed ? 1 : 0;
}

// Exit explicitly: a pool or socket left open by a failed benchmark must not hang the run.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
