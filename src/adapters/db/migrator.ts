import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { createKnex } from './knex.js';
import { APP_ROLE, PLATFORM_ROLE } from './roles.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const migrationConfig: Knex.MigratorConfig = {
  directory: path.join(root, 'migrations'),
  loadExtensions: ['.ts'],
  tableName: 'knex_migrations',
};
const seedConfig: Knex.SeederConfig = {
  directory: path.join(root, 'seeds'),
  loadExtensions: ['.ts'],
};

/** Runs schema work as the connecting (owner) role, never as the application role. */
export async function withOwnerKnex<T>(url: string, work: (knex: Knex) => Promise<T>): Promise<T> {
  const knex = createKnex({ url, poolMax: 1, asAppRole: false });
  try {
    // On the embedded database the session is shared: undo a role an application pool may have set.
    await knex.raw('RESET ROLE');
    return await work(knex);
  } finally {
    await knex.destroy();
  }
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
  await grantApplicationRoles(knex);
  return applied;
}

export async function rollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback(migrationConfig, true);
}

/** Platform seeds always; demo seeds (`seeds/demo/`) only when asked — never in production. */
export async function runSeeds(knex: Knex, options: { demo: boolean }): Promise<string[]> {
  const [platform] = (await knex.seed.run(seedConfig)) as [string[]];
  const [demo] = options.demo
    ? ((await knex.seed.run({ ...seedConfig, directory: path.join(seedConfig.directory as string, 'demo') })) as [string[]])
    : [[]];
  return [...platform, ...demo].map((f) => path.basename(f));
}

/** Idempotent: the application roles may read and write every table; row-level security does the rest. */
export async function grantApplicationRoles(knex: Knex): Promise<void> {
  await knex.raw(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}, ${PLATFORM_ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}, ${PLATFORM_ROLE}`);
  await knex.raw(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}, ${PLATFORM_ROLE}`);
  await knex.raw(`REVOKE ALL ON knex_migrations, knex_migrations_lock FROM ${APP_ROLE}, ${PLATFORM_ROLE}`);
}
