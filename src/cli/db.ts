// npm run db:migrate | db:seed | db:rollback — schema work as the owner role, on DATABASE_URL or the embedded database.
import { loadConfig } from '../config.js';
import { openDatabase } from '../adapters/db/bootstrap.js';
import { migrateLatest, rollbackAll, runSeeds, withOwnerKnex } from '../adapters/db/migrator.js';

const command = process.argv[2];
if (!['migrate', 'seed', 'rollback'].includes(command ?? '')) {
  console.error('usage: tsx src/cli/db.ts migrate|seed|rollback');
  process.exit(2);
}
const config = loadConfig();
const db = await openDatabase(config);
try {
  await withOwnerKnex(db.url, async (knex) => {
    if (command === 'migrate') {
      const applied = await migrateLatest(knex);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
    } else if (command === 'seed') {
      console.log(`seeded: ${(await runSeeds(knex, { demo: config.demo })).join(', ')}`);
    } else {
      await rollbackAll(knex);
      console.log('rolled back every migration');
    }
  });
} finally {
  await db.stop();
}
