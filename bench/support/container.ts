import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AwilixContainer } from 'awilix';
import { loadConfig, type Config } from '../../src/config.js';
import { buildContainer, type Cradle } from '../../src/container.js';
import { prepareSchema } from '../../src/adapters/db/bootstrap.js';
import { createLogger } from '../../src/shared/logger.js';
import { createBenchDatabase, type BenchDatabase } from './database.js';

export interface BenchContainer {
  config: Config;
  database: BenchDatabase;
  container: AwilixContainer<Cradle>;
  stop(): Promise<void>;
}

/**
 * Cadence's container without the web app, for benchmarks of a service: a fresh database (see
 * `createBenchDatabase`), migrated and demo-seeded, production settings, silent logs, a temporary DATA_DIR.
 * `env` adds variables to the configuration (provider keys and base URLs…).
 */
export async function startContainer(env: Record<string, string> = {}): Promise<BenchContainer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadence-bench-'));
  const database = await createBenchDatabase();
  try {
    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
      ...(database.kind === 'postgres' ? { DATABASE_URL: database.url } : {}),
      ...env,
    });
    // Production refuses DEMO: the demo data is seeded explicitly.
    await prepareSchema(database.url, { ...config, demo: true }, createLogger('silent'));
    const container = buildContainer(config, database);
    return {
      config,
      database,
      container,
      async stop() {
        await container.dispose();
        await database.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
