import crypto from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/adapters/db/embedded-postgres.js';
import type { DatabaseKind } from '../../src/adapters/db/database.js';

export interface TestDatabase {
  url: string;
  kind: DatabaseKind;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database: in-memory PGlite by default, or a new database on the server named by
 * DATABASE_URL (dropped afterwards), so runs never see each other's rows.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres('memory://');
    return { url: embedded.url, kind: 'embedded', drop: embedded.stop };
  }
  const name = `cadence_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'postgres',
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
