import type { Knex } from 'knex';
import { checkIn, createTenantTable, dropTables, localeColumn } from '../src/adapters/db/schema-helpers.js';

const TABLES = [
  'pipeline_settings',
  'pipeline_channel_targets',
  'monthly_sessions',
  'monthly_session_items',
  'pipeline_runs',
  'monthly_briefs',
  'monthly_brief_sources',
  'pipeline_steps',
  'pipeline_step_items',
] as const;

/** The seven steps, in order (position 1–7). */
const STEPS = ['session', 'ingestion', 'dna_merge', 'planning', 'generation', 'publication', 'analytics'] as const;
const CONTENT_MODES = ['manual', 'semi', 'auto'] as const;

function firstOfMonth(t: Knex.CreateTableBuilder, table: string, column: string): void {
  t.check(`date_trunc('month', "${column}")::date = "${column}"`, [], `${table}_${column}_first_day_check`);
}

export async function up(knex: Knex): Promise<void> {
  // When and how a tenant's monthly run happens (in the tenant's time zone, tenants.timezone).
  await createTenantTable(knex, 'pipeline_settings', (t) => {
    t.boolean('enabled').notNullable().defaultTo(true);
    t.smallint('run_day').notNullable().defaultTo(1); // day of the month the run starts
    t.check('run_day BETWEEN 1 AND 28', [], 'pipeline_settings_run_day_check');
    t.smallint('run_hour').notNullable().defaultTo(2);
    t.check('run_hour BETWEEN 0 AND 23', [], 'pipeline_settings_run_hour_check');
    t.smallint('reminder_days_before').notNullable().defaultTo(5);
    t.check('reminder_days_before BETWEEN 0 AND 27', [], 'pipeline_settings_reminder_check');
    t.boolean('use_nightly_batch').notNullable().defaultTo(true);
    t.string('content_mode', 8); // null = tenants.default_content_mode
    checkIn(t, 'content_mode', CONTENT_MODES);
    t.integer('max_credits_per_run'); // client's own cap, within the plan's budget
    t.check('max_credits_per_run IS NULL OR max_credits_per_run >= 0', [], 'pipeline_settings_max_credits_check');
    t.unique(['tenant_id'], { indexName: 'pipeline_settings_tenant_unique' });
  });

  // The client's choice of items per month and channel (bounded by the plan's quotas at planning time).
  await createTenantTable(knex, 'pipeline_channel_targets', (t) => {
    t.string('channel', 32).notNullable();
    t.uuid('channel_account_id').references('id').inTable('channel_accounts').onDelete('SET NULL');
    t.integer('items_per_month').notNullable();
    t.check('items_per_month >= 0', [], 'pipeline_channel_targets_items_check');
    t.boolean('active').notNullable().defaultTo(true);
    t.unique(['tenant_id', 'channel'], { indexName: 'pipeline_channel_targets_tenant_channel_unique' });
  });

  // Step 1: the client's monthly input (text or audio), plus what the watch flagged.
  await createTenantTable(knex, 'monthly_sessions', (t) => {
    t.date('month').notNullable();
    firstOfMonth(t, 'monthly_sessions', 'month');
    t.string('status', 16).notNullable().defaultTo('open');
    checkIn(t, 'status', ['open', 'submitted', 'closed']);
    t.text('text_input').notNullable().defaultTo('');
    t.uuid('audio_input_id').references('id').inTable('onboarding_inputs').onDelete('SET NULL');
    t.uuid('audio_media_asset_id').references('id').inTable('media_assets').onDelete('SET NULL');
    t.text('audio_transcript');
    t.uuid('transcript_ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    // Ordered priorities of the month as the client ranked them: [{ label, weight }]
    t.jsonb('priorities').notNullable().defaultTo('[]');
    localeColumn(t, knex);
    t.timestamp('deadline_at', { useTz: true }); // when the client needs the month ready (batch vs immediate)
    t.timestamp('reminder_sent_at', { useTz: true });
    t.uuid('submitted_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('submitted_at', { useTz: true });
    t.timestamp('closed_at', { useTz: true });
    t.unique(['tenant_id', 'month'], { indexName: 'monthly_sessions_tenant_month_unique' });
    t.check("status <> 'submitted' OR submitted_at IS NOT NULL", [], 'monthly_sessions_submitted_check');
  });

  // News, offers, events and priorities of the month, from the client or suggested by the watch / analytics.
  await createTenantTable(knex, 'monthly_session_items', (t) => {
    t.uuid('session_id').notNullable().references('id').inTable('monthly_sessions').onDelete('CASCADE').index();
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['news', 'offer', 'event', 'priority']);
    t.string('title', 500).notNullable();
    t.text('detail').notNullable().defaultTo('');
    t.date('starts_on');
    t.date('ends_on');
    t.check('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', [], 'monthly_session_items_dates_check');
    t.string('url', 2048);
    t.uuid('media_asset_id').references('id').inTable('media_assets').onDelete('SET NULL');
    localeColumn(t, knex);
    t.string('source', 16).notNullable().defaultTo('client');
    checkIn(t, 'source', ['client', 'watch_change', 'analytics']);
    t.uuid('watch_change_id').references('id').inTable('watch_changes').onDelete('SET NULL');
    t.boolean('included').notNullable().defaultTo(true); // the client may leave a suggestion out
    t.integer('position').notNullable().defaultTo(0);
  });
  await knex.raw(
    'CREATE UNIQUE INDEX monthly_session_items_change_unique ON monthly_session_items (session_id, watch_change_id) WHERE watch_change_id IS NOT NULL',
  );

  // One run of the seven steps for a tenant and month; a re-run gets the next run_number.
  await createTenantTable(knex, 'pipeline_runs', (t) => {
    t.date('month').notNullable();
    firstOfMonth(t, 'pipeline_runs', 'month');
    t.integer('run_number').notNullable().defaultTo(1);
    t.check('run_number >= 1', [], 'pipeline_runs_run_number_check');
    t.uuid('rerun_of_run_id').references('id').inTable('pipeline_runs').onDelete('SET NULL');
    t.uuid('session_id').references('id').inTable('monthly_sessions').onDelete('SET NULL');
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'running', 'paused', 'completed', 'failed', 'cancelled', 'budget_exhausted']);
    t.string('triggered_by', 16).notNullable().defaultTo('schedule');
    checkIn(t, 'triggered_by', ['schedule', 'client', 'admin']);
    t.uuid('triggered_by_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.string('current_step', 16);
    checkIn(t, 'current_step', STEPS);
    t.string('content_mode', 8).notNullable().defaultTo('semi');
    checkIn(t, 'content_mode', CONTENT_MODES);
    t.boolean('use_nightly_batch').notNullable().defaultTo(true);
    t.timestamp('deadline_at', { useTz: true });
    // Credits: estimated before starting, budget available at start, spent so far; provider cost in micro-units.
    t.integer('estimated_credits');
    t.integer('budget_credits');
    t.integer('spent_credits').notNullable().defaultTo(0);
    t.bigInteger('ai_cost_micros').notNullable().defaultTo(0);
    t.check(
      '(estimated_credits IS NULL OR estimated_credits >= 0) AND (budget_credits IS NULL OR budget_credits >= 0) AND spent_credits >= 0 AND ai_cost_micros >= 0',
      [],
      'pipeline_runs_credits_check',
    );
    t.integer('items_planned').notNullable().defaultTo(0);
    t.integer('items_generated').notNullable().defaultTo(0);
    // Reproducibility: the DNA snapshot and the merged generation context used for the month.
    t.uuid('dna_snapshot_id').references('id').inTable('brand_dna').onDelete('SET NULL');
    t.jsonb('generation_context');
    t.uuid('editorial_plan_id').references('id').inTable('editorial_plans').onDelete('SET NULL');
    localeColumn(t, knex);
    t.string('failure_code', 64); // e.g. billing.insufficientCredits, pipeline.stepFailed
    t.text('failure_reason');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('paused_at', { useTz: true });
    t.uuid('paused_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('heartbeat_at', { useTz: true }); // last sign of life of the worker driving the run
    t.timestamp('finished_at', { useTz: true });
    t.unique(['tenant_id', 'month', 'run_number'], { indexName: 'pipeline_runs_tenant_month_run_unique' });
    t.check(
      "status NOT IN ('completed', 'failed', 'cancelled', 'budget_exhausted') OR finished_at IS NOT NULL",
      [],
      'pipeline_runs_finished_check',
    );
    t.check("status NOT IN ('failed', 'budget_exhausted') OR failure_reason IS NOT NULL", [], 'pipeline_runs_failure_check');
    t.index(['status'], 'pipeline_runs_status_idx'); // super admin's global view
  });
  // At most one live run per tenant and month (two workers, a double click, the schedule and the client together).
  await knex.raw(
    "CREATE UNIQUE INDEX pipeline_runs_live_unique ON pipeline_runs (tenant_id, month) WHERE status IN ('pending', 'running', 'paused')",
  );

  // Step 2's output: the short, sourced brief of the month.
  await createTenantTable(knex, 'monthly_briefs', (t) => {
    t.uuid('run_id').notNullable().references('id').inTable('pipeline_runs').onDelete('CASCADE');
    t.uuid('session_id').references('id').inTable('monthly_sessions').onDelete('SET NULL');
    t.text('body').notNullable();
    localeColumn(t, knex);
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.unique(['run_id'], { indexName: 'monthly_briefs_run_unique' });
  });

  // What the brief was built from (its citations).
  await createTenantTable(knex, 'monthly_brief_sources', (t) => {
    t.uuid('brief_id').notNullable().references('id').inTable('monthly_briefs').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.string('source_type', 24).notNullable();
    checkIn(t, 'source_type', ['session_text', 'session_audio', 'session_item', 'document', 'watch_change', 'performance']);
    t.uuid('source_id'); // polymorphic: the row of the source's table, when there is one
    t.string('label', 500).notNullable().defaultTo('');
    t.unique(['brief_id', 'position'], { indexName: 'monthly_brief_sources_brief_position_unique' });
  });

  // One row per step of a run: status, attempts, timings, cost, output.
  await createTenantTable(knex, 'pipeline_steps', (t) => {
    t.uuid('run_id').notNullable().references('id').inTable('pipeline_runs').onDelete('CASCADE');
    t.string('name', 16).notNullable();
    checkIn(t, 'name', STEPS);
    t.smallint('position').notNullable();
    t.check(
      `(name, position) IN (${STEPS.map((s, i) => `('${s}', ${i + 1})`).join(', ')})`,
      [],
      'pipeline_steps_name_position_check',
    );
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'running', 'succeeded', 'failed', 'skipped', 'paused']);
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable().defaultTo(3);
    t.check('attempts >= 0 AND max_attempts >= 1', [], 'pipeline_steps_attempts_check');
    t.timestamp('next_retry_at', { useTz: true });
    // Progress (a bar per step in the portal)
    t.integer('items_total').notNullable().defaultTo(0);
    t.integer('items_done').notNullable().defaultTo(0);
    t.integer('items_failed').notNullable().defaultTo(0);
    t.integer('cost_credits').notNullable().defaultTo(0);
    t.bigInteger('ai_cost_micros').notNullable().defaultTo(0);
    t.check(
      'items_total >= 0 AND items_done >= 0 AND items_failed >= 0 AND cost_credits >= 0 AND ai_cost_micros >= 0',
      [],
      'pipeline_steps_counters_check',
    );
    // Output: a reference to the row produced (monthly_briefs, editorial_plans…) and a short summary.
    t.string('output_ref_type', 32);
    t.uuid('output_ref_id');
    t.jsonb('output'); // step-specific summary shown to the client and the super admin
    t.string('error_code', 64);
    t.text('error_message');
    t.string('worker_id', 128); // the worker executing the step (two workers never run the same step)
    t.timestamp('heartbeat_at', { useTz: true });
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.integer('duration_ms');
    t.check('duration_ms IS NULL OR duration_ms >= 0', [], 'pipeline_steps_duration_check');
    t.unique(['run_id', 'name'], { indexName: 'pipeline_steps_run_name_unique' });
    t.unique(['run_id', 'position'], { indexName: 'pipeline_steps_run_position_unique' });
  });

  // Per-item idempotency inside a step (generation, publication): what prevents duplicates and double spend
  // after a crash. The idempotency key is derived from run, step and plan item, and reused as the
  // credit-ledger and publication idempotency key.
  await createTenantTable(knex, 'pipeline_step_items', (t) => {
    t.uuid('run_id').notNullable().references('id').inTable('pipeline_runs').onDelete('CASCADE').index();
    t.uuid('step_id').notNullable().references('id').inTable('pipeline_steps').onDelete('CASCADE');
    t.uuid('plan_item_id').references('id').inTable('editorial_plan_items').onDelete('SET NULL');
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL');
    t.uuid('content_version_id').references('id').inTable('content_versions').onDelete('SET NULL');
    t.uuid('publication_id').references('id').inTable('publications').onDelete('SET NULL');
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.string('idempotency_key', 200).notNullable().unique();
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'running', 'succeeded', 'failed', 'skipped']);
    t.boolean('via_batch').notNullable().defaultTo(false); // generated through the nightly batch (-50%)
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('cost_credits').notNullable().defaultTo(0);
    t.check('attempts >= 0 AND cost_credits >= 0', [], 'pipeline_step_items_counters_check');
    t.string('error_code', 64);
    t.text('error_message');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('finished_at', { useTz: true });
    t.index(['step_id', 'status'], 'pipeline_step_items_step_status_idx');
  });
  await knex.raw(
    'CREATE UNIQUE INDEX pipeline_step_items_step_plan_item_unique ON pipeline_step_items (step_id, plan_item_id) WHERE plan_item_id IS NOT NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, TABLES);
}
