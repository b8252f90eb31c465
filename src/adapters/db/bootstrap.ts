import path from 'node:path';
import type { Config } from '../../config.js';
import type { Logger } from '../../shared/logger.js';
import type { DatabaseKind } from './database.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { migrateLatest, runSeeds, withOwnerKnex } from './migrator.js';

export interface DatabaseHandle {
  url: string;
  kind: DatabaseKind;
  stop(): Promise<void>;
}

/** Starts the embedded database when no DATABASE_URL is given. */
export async function openDatabase(config: Config): Promise<DatabaseHandle> {
  if (config.database.kind === 'postgres') {
    return { url: config.database.url, kind: 'postgres', stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres(path.resolve(config.dataDir));
  return { url: embedded.url, kind: 'embedded', stop: embedded.stop };
}

/** Migrates to the latest schema and runs the seeds (demo seeds only in demo mode). Idempotent. */
export async function prepareSchema(url: string, config: Config, logger: Logger): Promise<void> {
  await withOwnerKnex(url, async (knex) => {
    const applied = await migrateLatest(knex);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const seeds = await runSeeds(knex, { demo: config.demo });
    logger.debug({ seeds }, 'seeds run');
  });
}
