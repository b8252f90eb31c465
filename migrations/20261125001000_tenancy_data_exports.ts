import type { Knex } from 'knex';
import { checkIn, createTenantTable, dropTables } from '../src/adapters/db/schema-helpers.js';

const TABLES = ['data_exports'] as const;

export async function up(knex: Knex): Promise<void> {
  // GDPR self-service: one row per export the client asks for. A job builds the archive (zip: data.json, one CSV per
  // table, the tenant's files) into object storage; the link works until expires_at, then the object is deleted.
  await createTenantTable(knex, 'data_exports', (t) => {
    t.uuid('requested_by').references('id').inTable('users').onDelete('SET NULL');
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'building', 'ready', 'failed', 'expired']);
    t.integer('attempts').notNullable().defaultTo(0);
    // Lease of the worker building it: a build whose worker died is taken over once this has passed.
    t.timestamp('locked_until', { useTz: true });
    t.string('storage_key', 1024);
    t.bigInteger('size_bytes');
    t.integer('table_count');
    t.integer('row_count');
    t.integer('file_count');
    t.timestamp('completed_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
    t.text('error_message');
    t.check("status <> 'ready' OR (storage_key IS NOT NULL AND completed_at IS NOT NULL AND expires_at IS NOT NULL)", [], 'data_exports_ready_check');
    t.index(['status', 'locked_until'], 'data_exports_status_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, TABLES);
}
