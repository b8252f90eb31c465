import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AwilixContainer } from 'awilix';
import type { Express } from 'express';
import { loadConfig, type Config } from '../../src/config.js';
import { buildContainer, type Cradle } from '../../src/container.js';
import { createApp } from '../../src/app.js';
import { prepareSchema } from '../../src/adapters/db/bootstrap.js';
import { createLogger } from '../../src/shared/logger.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestEnv {
  config: Config;
  db: TestDatabase;
  container: AwilixContainer<Cradle>;
  app: Express;
}

let env: TestEnv | undefined;

/** The shared, migrated and demo-seeded environment of the suite. */
export function testEnv(): TestEnv {
  if (!env) throw new Error('test environment not started (root hooks)');
  return env;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadence-test-'));
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', DATA_DIR: dataDir, DEMO: 'true', LOGIN_RATE_LIMIT: '1000', ...overrides });
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    const config = testConfig();
    const db = await createTestDatabase();
    await prepareSchema(db.url, config, createLogger('silent'));
    const container = buildContainer(config, db);
    env = { config, db, container, app: createApp(container.cradle) };
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    if (!env) return;
    await env.container.dispose();
    await env.db.drop();
    fs.rmSync(env.config.dataDir, { recursive: true, force: true });
  },
};
