import type { Knex } from 'knex';
import { getCreateIndexesSQL, getCreateTableSQL, getCreateLogsTableSQL, getCreateLogsIndexesSQL } from '@agendajs/postgres-backend';
import { APP_ROLE, PLATFORM_ROLE } from '../src/adapters/db/roles.js';

/** Roles, the tenant-context function row-level security relies on, and the job tables (Agenda). */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
        CREATE ROLE ${APP_ROLE} NOLOGIN NOBYPASSRLS;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PLATFORM_ROLE}') THEN
        CREATE ROLE ${PLATFORM_ROLE} NOLOGIN BYPASSRLS;
      END IF;
    END $$`);
  await knex.raw(`
    CREATE FUNCTION app_current_tenant() RETURNS uuid LANGUAGE sql STABLE AS
    $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$`);
  await knex.raw(getCreateTableSQL('agenda_jobs'));
  for (const sql of getCreateIndexesSQL('agenda_jobs')) await knex.raw(sql);
  await knex.raw(getCreateLogsTableSQL('agenda_logs'));
  for (const sql of getCreateLogsIndexesSQL('agenda_logs')) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('agenda_logs');
  await knex.schema.dropTableIfExists('agenda_jobs');
  await knex.raw('DROP FUNCTION IF EXISTS app_current_tenant()');
  // The roles are cluster-wide and may serve other databases: they are kept.
}
