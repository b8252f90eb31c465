import type { Knex } from 'knex';
import {
  checkIn,
  createTenantTable,
  dropTables,
  localeColumn,
  timestamps,
  uuidPrimaryKey,
} from '../src/adapters/db/schema-helpers.js';

/**
 * AI platform: provider and model catalogue, task routing with ordered fallbacks, per-plan availability, the
 * per-model circuit breaker, the call log and the nightly batches.
 *
 * Prices are integer micro-units of `price_currency` (1 USD = 1,000,000 micros) per million tokens, per audio
 * minute or per image. Costs in ai_calls are integer micros too; credits are integers (see billing.credit_rates).
 */

const TABLES = [
  'ai_providers',
  'ai_models',
  'ai_task_routes',
  'ai_route_fallbacks',
  'plan_ai_models',
  'ai_model_health',
  'ai_batches',
  'ai_calls',
  'ai_batch_items',
] as const;

const TASKS = [
  'planning',
  'generation',
  'transcription',
  'embeddings',
  'moderation',
  'seo_analysis',
  'image',
  'batch',
  'summarization',
] as const;
const CAPABILITIES = ['chat', 'streaming', 'structured', 'batch', 'transcription', 'embeddings', 'moderation', 'image'] as const;

function checkSubset(t: Knex.CreateTableBuilder, table: string, column: string, values: readonly string[]): void {
  const list = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
  t.check(`?? <@ ARRAY[${list}]::text[] AND cardinality(??) > 0`, [column, column], `${table}_${column}_check`);
}

function nonNegative(t: Knex.CreateTableBuilder, table: string, columns: readonly string[], name: string): void {
  t.check(columns.map(() => '?? >= 0').join(' AND '), [...columns], `${table}_${name}_check`);
}

export async function up(knex: Knex): Promise<void> {
  // Keys are stored encrypted (AES-256-GCM, self-describing text) and never shown back: only the last 4 characters.
  await knex.schema.createTable('ai_providers', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('code', 32).notNullable().unique();
    t.check(`code ~ '^[a-z][a-z0-9_]*$'`, [], 'ai_providers_code_format');
    t.string('name', 100).notNullable();
    t.boolean('requires_api_key').notNullable().defaultTo(true);
    t.text('api_key_encrypted');
    t.string('api_key_last4', 4);
    t.timestamp('api_key_updated_at', { useTz: true });
    t.check('api_key_last4 IS NULL OR api_key_encrypted IS NOT NULL', [], 'ai_providers_key_hint_check');
    t.string('base_url', 2048); // override of the SDK's default (proxy, regional endpoint, test emulator)
    t.boolean('active').notNullable().defaultTo(false);
    t.boolean('eu_hosted').notNullable().defaultTo(false); // default for its models
    t.timestamp('last_tested_at', { useTz: true });
    t.boolean('last_test_ok');
    t.text('last_test_error');
    timestamps(t, knex);
  });

  await knex.schema.createTable('ai_models', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('provider_id').notNullable().references('id').inTable('ai_providers').onDelete('RESTRICT');
    t.string('model_id', 128).notNullable(); // the provider's identifier, e.g. claude-haiku-4-5
    t.string('display_name', 120).notNullable();
    t.text('description').notNullable().defaultTo(''); // shown to clients on the "Moteurs IA" page
    localeColumn(t, knex);
    t.string('tier', 16).notNullable();
    checkIn(t, 'tier', ['premium', 'standard']);
    t.specificType('capabilities', 'text[]').notNullable();
    checkSubset(t, 'ai_models', 'capabilities', CAPABILITIES);
    t.integer('context_window'); // tokens; null where not applicable (audio)
    t.integer('max_output_tokens');
    t.check('(context_window IS NULL OR context_window > 0) AND (max_output_tokens IS NULL OR max_output_tokens > 0)', [], 'ai_models_limits_check');
    t.integer('input_price_micros_per_mtok').notNullable().defaultTo(0);
    t.integer('output_price_micros_per_mtok').notNullable().defaultTo(0);
    // Null: the provider has no cache pricing for this model (cached tokens are billed as input).
    t.integer('cached_input_price_micros_per_mtok');
    t.integer('cache_write_price_micros_per_mtok');
    t.integer('audio_price_micros_per_minute').notNullable().defaultTo(0);
    t.integer('image_price_micros').notNullable().defaultTo(0); // V3: per generated image
    nonNegative(
      t,
      'ai_models',
      ['input_price_micros_per_mtok', 'output_price_micros_per_mtok', 'audio_price_micros_per_minute', 'image_price_micros'],
      'prices',
    );
    t.check(
      '(cached_input_price_micros_per_mtok IS NULL OR cached_input_price_micros_per_mtok >= 0) AND (cache_write_price_micros_per_mtok IS NULL OR cache_write_price_micros_per_mtok >= 0)',
      [],
      'ai_models_cache_prices_check',
    );
    t.specificType('price_currency', 'char(3)').notNullable().defaultTo('USD');
    t.check(`price_currency ~ '^[A-Z]{3}$'`, [], 'ai_models_price_currency_format');
    t.integer('batch_discount_bp').notNullable().defaultTo(0);
    t.check('batch_discount_bp BETWEEN 0 AND 10000', [], 'ai_models_batch_discount_check');
    t.boolean('eu_hosted').notNullable().defaultTo(false);
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamp('retires_at', { useTz: true }); // announced retirement by the provider
    t.integer('sort_order').notNullable().defaultTo(0);
    timestamps(t, knex);
    t.unique(['provider_id', 'model_id']);
  });

  // One route per task: the primary model, then ai_route_fallbacks in order. Routing filters every candidate by
  // the tenant's plan (plan_ai_models), provider key/active, EU residency and ai_model_health.
  await knex.schema.createTable('ai_task_routes', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('task', 32).notNullable().unique();
    checkIn(t, 'task', TASKS);
    t.uuid('primary_model_id').references('id').inTable('ai_models').onDelete('RESTRICT');
    t.integer('timeout_ms').notNullable().defaultTo(60000);
    t.check('timeout_ms > 0', [], 'ai_task_routes_timeout_check');
    t.boolean('active').notNullable().defaultTo(true);
    t.check('NOT active OR primary_model_id IS NOT NULL', [], 'ai_task_routes_active_model_check');
    timestamps(t, knex);
  });

  await knex.schema.createTable('ai_route_fallbacks', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('route_id').notNullable().references('id').inTable('ai_task_routes').onDelete('CASCADE');
    t.uuid('model_id').notNullable().references('id').inTable('ai_models').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.check('position > 0', [], 'ai_route_fallbacks_position_check');
    timestamps(t, knex);
    t.unique(['route_id', 'position']);
    t.unique(['route_id', 'model_id']);
  });

  // Which models each plan may use (the client's "Moteurs IA" page and the routing filter).
  await knex.schema.createTable('plan_ai_models', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('plan_id').notNullable().references('id').inTable('plans').onDelete('CASCADE');
    t.uuid('model_id').notNullable().references('id').inTable('ai_models').onDelete('CASCADE').index();
    timestamps(t, knex);
    t.unique(['plan_id', 'model_id']);
  });

  // Circuit breaker per model, shared by every process: open until `open_until` after repeated failures.
  await knex.schema.createTable('ai_model_health', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('model_id').notNullable().unique().references('id').inTable('ai_models').onDelete('CASCADE');
    t.string('state', 16).notNullable().defaultTo('closed');
    checkIn(t, 'state', ['closed', 'open', 'half_open']);
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.check('consecutive_failures >= 0', [], 'ai_model_health_failures_check');
    t.timestamp('open_until', { useTz: true });
    t.check(`state <> 'open' OR open_until IS NOT NULL`, [], 'ai_model_health_open_until_check');
    t.string('last_error_code', 64);
    t.text('last_error');
    t.timestamp('last_failure_at', { useTz: true });
    t.timestamp('last_success_at', { useTz: true });
    timestamps(t, knex);
  });

  // A provider batch job (-50%). Platform-level: it carries items of several tenants, each item a separate request.
  await knex.schema.createTable('ai_batches', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('provider_id').notNullable().references('id').inTable('ai_providers').onDelete('RESTRICT');
    t.uuid('model_id').references('id').inTable('ai_models').onDelete('RESTRICT');
    t.string('external_batch_id', 255); // null until submitted
    t.string('status', 16).notNullable().defaultTo('queued');
    checkIn(t, 'status', ['queued', 'submitted', 'in_progress', 'completed', 'failed', 'expired', 'cancelled']);
    t.check(`status = 'queued' OR external_batch_id IS NOT NULL OR status IN ('failed', 'cancelled')`, [], 'ai_batches_external_id_check');
    t.integer('request_count').notNullable().defaultTo(0);
    t.integer('succeeded_count').notNullable().defaultTo(0);
    t.integer('failed_count').notNullable().defaultTo(0);
    nonNegative(t, 'ai_batches', ['request_count', 'succeeded_count', 'failed_count'], 'counts');
    t.check('succeeded_count + failed_count <= request_count', [], 'ai_batches_counts_total_check');
    t.string('input_file_ref', 255);
    t.string('output_file_ref', 255);
    t.string('error_file_ref', 255);
    t.text('error');
    t.timestamp('submitted_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('last_polled_at', { useTz: true });
    timestamps(t, knex);
    t.unique(['provider_id', 'external_batch_id']);
  });
  await knex.raw(`CREATE INDEX ai_batches_open_idx ON ai_batches (status) WHERE status IN ('queued', 'submitted', 'in_progress')`);

  // One row per attempt; the attempts of one logical request share request_group_id (attempt 1, 2, … with
  // fallback_used from the second model on).
  await createTenantTable(knex, 'ai_calls', (t) => {
    t.string('task', 32).notNullable();
    checkIn(t, 'task', TASKS);
    t.uuid('provider_id').notNullable().references('id').inTable('ai_providers').onDelete('RESTRICT');
    t.uuid('model_id').notNullable().references('id').inTable('ai_models').onDelete('RESTRICT');
    t.uuid('request_group_id').notNullable().defaultTo(knex.raw('gen_random_uuid()')).index();
    t.smallint('attempt').notNullable().defaultTo(1);
    t.check('attempt > 0', [], 'ai_calls_attempt_check');
    t.boolean('fallback_used').notNullable().defaultTo(false);
    t.string('status', 16).notNullable();
    checkIn(t, 'status', ['ok', 'error', 'refused']);
    t.string('error_code', 64);
    t.text('error_message');
    t.smallint('http_status');
    t.integer('input_tokens').notNullable().defaultTo(0);
    t.integer('output_tokens').notNullable().defaultTo(0);
    t.integer('cached_input_tokens').notNullable().defaultTo(0);
    t.integer('cache_write_tokens').notNullable().defaultTo(0);
    t.integer('audio_seconds').notNullable().defaultTo(0);
    t.integer('images').notNullable().defaultTo(0);
    t.integer('cost_micros').notNullable().defaultTo(0); // catalogue prices, cache and batch discounts applied
    t.specificType('price_currency', 'char(3)').notNullable().defaultTo('USD');
    t.integer('credits_charged').notNullable().defaultTo(0);
    t.integer('latency_ms');
    t.integer('time_to_first_token_ms'); // streaming
    nonNegative(
      t,
      'ai_calls',
      ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'audio_seconds', 'images', 'cost_micros', 'credits_charged'],
      'usage',
    );
    t.check('(latency_ms IS NULL OR latency_ms >= 0) AND (time_to_first_token_ms IS NULL OR time_to_first_token_ms >= 0)', [], 'ai_calls_latency_check');
    t.boolean('streamed').notNullable().defaultTo(false);
    t.boolean('is_batch').notNullable().defaultTo(false);
    t.uuid('batch_id').references('id').inTable('ai_batches').onDelete('SET NULL');
    t.check('batch_id IS NULL OR is_batch', [], 'ai_calls_batch_check');
    t.boolean('eu_hosted').notNullable().defaultTo(false); // where it was processed (residency proof)
    t.string('provider_request_id', 255);
    // Context the call was built from: the resolved prompt cascade and the brand DNA snapshot (brand module;
    // no FK, the brand tables come later).
    t.string('prompt_layer_snapshot_ref', 128);
    t.uuid('dna_snapshot_id');
    t.uuid('credit_reservation_id').references('id').inTable('credit_reservations').onDelete('SET NULL').index();
    t.uuid('user_id').references('id').inTable('users').onDelete('SET NULL'); // null for jobs
    // What the call served (e.g. 'content', 'watch_change'), for the consumption history.
    t.string('subject_type', 64);
    t.uuid('subject_id');
  });
  await knex.raw(`CREATE INDEX ai_calls_tenant_created_idx ON ai_calls (tenant_id, created_at)`);
  await knex.raw(`CREATE INDEX ai_calls_created_idx ON ai_calls (created_at)`);
  await knex.raw(`CREATE INDEX ai_calls_model_created_idx ON ai_calls (model_id, created_at)`);
  await knex.raw(`CREATE INDEX ai_calls_batch_idx ON ai_calls (batch_id) WHERE batch_id IS NOT NULL`);

  // Work marked for the nightly batch. Queued before any batch exists; results written back to the subject.
  await createTenantTable(knex, 'ai_batch_items', (t) => {
    t.uuid('batch_id').references('id').inTable('ai_batches').onDelete('SET NULL').index();
    t.string('task', 32).notNullable();
    checkIn(t, 'task', TASKS);
    t.uuid('model_id').references('id').inTable('ai_models').onDelete('RESTRICT'); // chosen at submission
    t.string('custom_id', 128).notNullable().unique();
    t.jsonb('request_payload').notNullable();
    t.string('status', 16).notNullable().defaultTo('queued');
    checkIn(t, 'status', ['queued', 'submitted', 'succeeded', 'failed', 'retried_singly']);
    t.check(`status = 'queued' OR batch_id IS NOT NULL OR status IN ('failed', 'retried_singly')`, [], 'ai_batch_items_batch_check');
    t.jsonb('result');
    t.string('error_code', 64);
    t.text('error_message');
    t.integer('attempts').notNullable().defaultTo(0);
    t.check('attempts >= 0', [], 'ai_batch_items_attempts_check');
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.uuid('credit_reservation_id').references('id').inTable('credit_reservations').onDelete('SET NULL');
    t.string('subject_type', 64);
    t.uuid('subject_id');
    t.timestamp('completed_at', { useTz: true });
  });
  await knex.raw(`CREATE INDEX ai_batch_items_queued_idx ON ai_batch_items (task, created_at) WHERE status = 'queued'`);

  // The credit ledger (billing) points at the call it paid for.
  await knex.schema.alterTable('credit_ledger', (t) => {
    t.foreign('ai_call_id', 'credit_ledger_ai_call_id_foreign').references('id').inTable('ai_calls').onDelete('SET NULL');
  });
}

export async function down(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable('credit_ledger')) {
    await knex.raw('ALTER TABLE credit_ledger DROP CONSTRAINT IF EXISTS credit_ledger_ai_call_id_foreign');
  }
  await dropTables(knex, TABLES);
}
