import { expect } from 'chai';
import type { Knex } from 'knex';
import { migrateLatest, rollbackAll, runSeeds, withOwnerKnex } from '../../../../src/adapters/db/migrator.js';
import { createTestDatabase } from '../../../support/test-database.js';

async function publicTables(knex: Knex): Promise<string[]> {
  const rows = await knex('pg_tables').where('schemaname', 'public').select('tablename');
  return rows.map((r: { tablename: string }) => r.tablename).sort();
}

async function rowCounts(knex: Knex): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await publicTables(knex)) {
    if (table.startsWith('knex_')) continue;
    const [{ n }] = await knex(table).count('* as n');
    counts[table] = Number(n);
  }
  return counts;
}

describe('Migrations and seeds (on a clean database)', function () {
  this.timeout(180_000);

  it('migrate up, down to nothing, and up again', async () => {
    const db = await createTestDatabase();
    try {
      await withOwnerKnex(db.url, async (knex) => {
        const applied = await migrateLatest(knex);
        expect(applied.length).to.be.greaterThan(5);
        const tables = await publicTables(knex);
        for (const required of ['distributors', 'tenants', 'plans', 'roles', 'prompt_layers', 'brand_dna', 'users', 'memberships', 'sessions']) {
          expect(tables, required).to.include(required);
        }
        await rollbackAll(knex);
        expect((await publicTables(knex)).filter((t) => !t.startsWith('knex_'))).to.deep.equal([]);
        await migrateLatest(knex);
        expect(await publicTables(knex)).to.deep.equal(tables);
      });
    } finally {
      await db.drop();
    }
  });

  it('seeds are idempotent: running them twice gives the same rows', async () => {
    const db = await createTestDatabase();
    try {
      await withOwnerKnex(db.url, async (knex) => {
        await migrateLatest(knex);
        await runSeeds(knex, { demo: true });
        const first = await rowCounts(knex);
        await runSeeds(knex, { demo: true });
        expect(await rowCounts(knex)).to.deep.equal(first);
        expect(first.plans).to.be.at.least(3);
        expect(first.roles).to.equal(6);
        expect(first.distributors).to.be.at.least(1);
        expect(first.tenants).to.equal(2);
      });
    } finally {
      await db.drop();
    }
  });

  it('never seeds demo accounts outside demo mode', async () => {
    const db = await createTestDatabase();
    try {
      await withOwnerKnex(db.url, async (knex) => {
        await migrateLatest(knex);
        await runSeeds(knex, { demo: false });
        expect(Number((await knex('users').count('* as n'))[0].n)).to.equal(0);
        expect(Number((await knex('tenants').count('* as n'))[0].n)).to.equal(0);
        expect(Number((await knex('plans').count('* as n'))[0].n)).to.be.at.least(3);
      });
    } finally {
      await db.drop();
    }
  });
});
