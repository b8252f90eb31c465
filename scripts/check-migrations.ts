// Developer check: migrate up, down and up again on a throwaway in-memory PGlite, then run the seeds twice.
import { startEmbeddedPostgres } from '../src/adapters/db/embedded-postgres.js';
import { migrateLatest, rollbackAll, runSeeds, withOwnerKnex } from '../src/adapters/db/migrator.js';

const pg = await startEmbeddedPostgres('memory://');
try {
  await withOwnerKnex(pg.url, async (knex) => {
    console.log('up:', await migrateLatest(knex));
    await rollbackAll(knex);
    console.log('down: ok');
    await migrateLatest(knex);
    console.log('seeds:', await runSeeds(knex, { demo: true }));
    console.log('seeds again:', await runSeeds(knex, { demo: true }));
  });
} finally {
  await pg.stop();
}
