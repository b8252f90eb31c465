import type { Knex } from 'knex';

/** Helpers for migrations: one shape for keys, timestamps, tenant scoping and row-level security. */

export function uuidPrimaryKey(t: Knex.CreateTableBuilder, knex: Knex): void {
  t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
}

export function timestamps(t: Knex.CreateTableBuilder, knex: Knex): void {
  t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
}

/** `tenant_id NOT NULL`, cascading with the tenant (GDPR deletion), indexed. */
export function tenantColumn(t: Knex.CreateTableBuilder): void {
  t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE').index();
}

/** A `locale` column for tables holding translatable text (BCP 47, e.g. `fr`, `en`, `fr-BE`). */
export function localeColumn(t: Knex.CreateTableBuilder, knex: Knex, defaultLocale = 'fr'): void {
  t.string('locale', 10).notNullable().defaultTo(defaultLocale);
  t.check(`locale ~ '^[a-z]{2}(-[A-Z]{2}){0,1}$'`, [], `${tableNameOf(t)}_locale_format`);
}

/** A CHECK constraint that keeps a text column inside a closed set of states. */
export function checkIn(t: Knex.CreateTableBuilder, column: string, values: readonly string[]): void {
  const list = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
  t.check(`?? IN (${list})`, [column], `${tableNameOf(t)}_${column}_check`);
}

/**
 * Row-level security on a tenant-scoped table: enabled and forced; a row is visible and writable only
 * when its `tenant_id` (or `column`) equals the transaction's `app.tenant_id`.
 */
export async function isolateByTenant(knex: Knex, table: string, column = 'tenant_id'): Promise<void> {
  await knex.raw(`ALTER TABLE ?? ENABLE ROW LEVEL SECURITY`, [table]);
  await knex.raw(`ALTER TABLE ?? FORCE ROW LEVEL SECURITY`, [table]);
  await knex.raw(
    `CREATE POLICY tenant_isolation ON ?? USING (?? = app_current_tenant()) WITH CHECK (?? = app_current_tenant())`,
    [table, column, column],
  );
}

/** Creates a tenant-scoped table (id, tenant_id, timestamps) with row-level security. */
export async function createTenantTable(
  knex: Knex,
  table: string,
  columns: (t: Knex.CreateTableBuilder) => void,
): Promise<void> {
  await knex.schema.createTable(table, (t) => {
    uuidPrimaryKey(t, knex);
    tenantColumn(t);
    columns(t);
    timestamps(t, knex);
  });
  await isolateByTenant(knex, table);
}

export async function dropTables(knex: Knex, tables: readonly string[]): Promise<void> {
  for (const table of [...tables].reverse()) await knex.schema.dropTableIfExists(table);
}

function tableNameOf(t: Knex.CreateTableBuilder): string {
  return (t as unknown as { _tableName: string })._tableName;
}
