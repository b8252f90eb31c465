import crypto from 'node:crypto';
import pg from 'pg';
import type { DatabaseKind } from '../../src/adapters/db/database.js';
import { startEmbeddedPostgres } from '../../src/adapters/db/embedded-postgres.js';

export interface BenchDatabase {
  url: string;
  kind: DatabaseKind;
  /** Stops the embedded database, or drops the database created on the server. */
  drop(): Promise<void>;
}

/** The kind of database the benchmarks run on: the server named by DATABASE_URL, else embedded PGlite. */
export function databaseKind(): DatabaseKind {
  return process.env.DATABASE_URL ? 'postgres' : 'embedded';
}

/**
 * A fresh, empty database: in-memory PGlite by default, or a new database on the server named by
 * DATABASE_URL (dropped afterwards), so a benchmark never sees another run's rows.
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres('memory://');
    return { url: embedded.url, kind: 'embedded', drop: embedded.stop };
  }
  const name = `cadence_bench_${crypto.randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'postgres',
    drop: () => onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
