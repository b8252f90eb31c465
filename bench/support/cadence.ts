import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AwilixContainer } from 'awilix';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { buildContainer, type Cradle } from '../../src/container.js';
import { prepareSchema } from '../../src/adapters/db/bootstrap.js';
import { createLogger } from '../../src/shared/logger.js';
import { createBenchDatabase, type BenchDatabase } from './database.js';

export const DEMO_OWNER = { email: 'demo@cadence.test', password: 'cadence-demo' };

export interface CadenceServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  config: Config;
  database: BenchDatabase;
  container: AwilixContainer<Cradle>;
  /** Logs in through the login form and returns the `Cookie` header of the session. */
  login(email: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Cadence in this process, as deployed: production settings (templates cached), except plain-HTTP
 * cookies (loopback). A fresh database, migrated and demo-seeded; a temporary DATA_DIR; silent logs.
 */
export async function startCadence(): Promise<CadenceServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadence-bench-'));
  const database = await createBenchDatabase();
  try {
    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
      SECURE_COOKIES: 'false',
      ...(database.kind === 'postgres' ? { DATABASE_URL: database.url } : {}),
    });
    // Production refuses DEMO: the demo accounts are seeded explicitly.
    await prepareSchema(database.url, { ...config, demo: true }, createLogger('silent'));
    const container = buildContainer(config, database);
    const app = createApp(container.cradle);
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${portOf(server)}`;
    return {
      url,
      config,
      database,
      container,
      login: (email, password) => login(url, email, password),
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
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

export function portOf(server: Server): number {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server is not listening on a TCP port');
  return address.port;
}

async function login(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1];
  const anonymous = sessionCookie(page.headers);
  if (!csrf || !anonymous) throw new Error(`no csrf token or session cookie on /login (status ${page.status})`);
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: anonymous, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password, _csrf: csrf }),
  });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`login failed for ${email}: ${res.status}`);
  return sessionCookie(res.headers) ?? anonymous;
}

function sessionCookie(headers: Headers): string | undefined {
  return headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('cadence.sid='));
}
