import type { Knex } from 'knex';
import {
  checkIn,
  createTenantTable,
  dropTables,
  isolateByTenant,
  localeColumn,
  timestamps,
  uuidPrimaryKey,
} from '../src/adapters/db/schema-helpers.js';

/**
 * Brand module: guided onboarding, versioned brand DNA, the prompt cascade (platform → distributor → tenant)
 * and the media library. `media_asset_usages` needs `contents`, so the studio migration creates it.
 */
const TABLES = [
  'onboarding_sessions',
  'onboarding_inputs',
  'brand_dna',
  'prompt_layers',
  'prompt_templates',
  'media_assets',
] as const;

/** Channels a content (and so a prompt template or a channel guidance) may target. */
const CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms'] as const;
const LEVELS = ['platform', 'distributor', 'tenant'] as const;

export async function up(knex: Knex): Promise<void> {
  // Shared guard: a BEFORE UPDATE trigger that refuses any change to the columns named as trigger arguments.
  // Used for immutable rows (brand DNA snapshots, content versions, consent history). FK actions that only
  // null a column (a deleted user) must not be listed, or deleting that user would fail.
  await knex.raw(`
    CREATE FUNCTION immutable_columns_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      col text;
    BEGIN
      FOREACH col IN ARRAY TG_ARGV LOOP
        IF to_jsonb(NEW) -> col IS DISTINCT FROM to_jsonb(OLD) -> col THEN
          RAISE EXCEPTION '%.% is immutable', TG_TABLE_NAME, col USING ERRCODE = 'check_violation';
        END IF;
      END LOOP;
      RETURN NEW;
    END $$`);

  // A run of the onboarding wizard (or a later "update my brand" session, or the monthly pipeline's ingestion).
  // Resumable: the wizard's answers so far live in step_data, keyed by step.
  await createTenantTable(knex, 'onboarding_sessions', (t) => {
    t.string('kind', 16).notNullable().defaultTo('initial');
    checkIn(t, 'kind', ['initial', 'update', 'pipeline']);
    t.string('status', 16).notNullable().defaultTo('in_progress');
    checkIn(t, 'status', ['in_progress', 'extracting', 'completed', 'failed', 'abandoned']);
    t.string('current_step', 64).notNullable().defaultTo('company');
    t.jsonb('step_data').notNullable().defaultTo('{}'); // { [step]: answers } — the wizard's open shape
    t.check(`jsonb_typeof(step_data) = 'object'`, [], 'onboarding_sessions_step_data_object');
    t.uuid('pipeline_run_id'); // pipeline tables come later: no FK
    t.uuid('started_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('completed_at', { useTz: true });
    t.timestamp('abandoned_at', { useTz: true });
    localeColumn(t, knex);
    t.check(`status <> 'completed' OR completed_at IS NOT NULL`, [], 'onboarding_sessions_completed_at_check');
  });
  // One open wizard per tenant: coming back resumes it.
  await knex.raw(
    `CREATE UNIQUE INDEX onboarding_sessions_one_open ON onboarding_sessions (tenant_id) WHERE kind <> 'pipeline' AND status IN ('in_progress', 'extracting')`,
  );

  // Every input given during onboarding, kept with its extracted text and status; a failed one says why.
  await createTenantTable(knex, 'onboarding_inputs', (t) => {
    t.uuid('session_id').notNullable().references('id').inTable('onboarding_sessions').onDelete('CASCADE').index();
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['audio', 'text', 'pdf', 'url', 'questionnaire']);
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'processing', 'done', 'failed']);
    t.string('question_key', 100); // questionnaire: which question; text: optional topic
    t.text('raw_text'); // what the user typed (text, questionnaire)
    t.string('original_filename', 255);
    t.string('mime_type', 127); // detected from the bytes, not the name
    t.bigInteger('size_bytes');
    t.check('size_bytes IS NULL OR size_bytes >= 0', [], 'onboarding_inputs_size_check');
    t.string('storage_key', 1024);
    t.string('sha256', 64);
    t.string('source_url', 2048);
    t.string('final_url', 2048); // after redirects
    t.integer('duration_ms'); // audio
    t.integer('page_count'); // pdf, or pages fetched for a site
    t.text('extracted_text');
    t.integer('extracted_chars');
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL'); // transcription call
    t.string('error_code', 100); // i18n key, e.g. brand.pdfWithoutText
    t.text('error_message');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('processed_at', { useTz: true });
    localeColumn(t, knex);
    t.check(`kind NOT IN ('audio', 'pdf') OR storage_key IS NOT NULL`, [], 'onboarding_inputs_file_check');
    t.check(`kind <> 'url' OR source_url IS NOT NULL`, [], 'onboarding_inputs_url_check');
    t.check(`kind NOT IN ('text', 'questionnaire') OR raw_text IS NOT NULL`, [], 'onboarding_inputs_text_check');
    t.check(`status <> 'failed' OR error_code IS NOT NULL`, [], 'onboarding_inputs_error_check');
  });

  // Brand DNA: one row per immutable, numbered snapshot; exactly one is current per tenant.
  await createTenantTable(knex, 'brand_dna', (t) => {
    t.integer('version').notNullable();
    t.check('version >= 1', [], 'brand_dna_version_check');
    t.boolean('is_current').notNullable().defaultTo(false);
    // Validated in code (zod): identity, mission, values, offers, audiences, tone, vocabulary, banned words,
    // visual hints, competitors, keywords, local SEO zone, channels, legal mentions.
    t.jsonb('content').notNullable();
    t.check(`jsonb_typeof(content) = 'object'`, [], 'brand_dna_content_object');
    t.integer('content_schema_version').notNullable().defaultTo(1);
    t.jsonb('sources').notNullable().defaultTo('{}'); // { "tone.do": [onboarding_input ids], … }
    t.check(`jsonb_typeof(sources) = 'object'`, [], 'brand_dna_sources_object');
    t.string('reason', 16).notNullable();
    checkIn(t, 'reason', ['onboarding', 'edit', 'restore', 'pipeline']);
    t.uuid('parent_id').references('id').inTable('brand_dna').onDelete('SET NULL');
    t.uuid('restored_from_id').references('id').inTable('brand_dna').onDelete('SET NULL');
    t.uuid('onboarding_session_id').references('id').inTable('onboarding_sessions').onDelete('SET NULL');
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL'); // extraction call
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    t.text('change_summary');
    localeColumn(t, knex);
    t.unique(['tenant_id', 'version'], { indexName: 'brand_dna_tenant_version_unique' });
  });
  await knex.raw('CREATE UNIQUE INDEX brand_dna_one_current ON brand_dna (tenant_id) WHERE is_current');
  // Snapshots are immutable: only is_current may change (and FK actions may null a reference to a deleted row).
  await knex.raw(`
    CREATE TRIGGER brand_dna_immutable BEFORE UPDATE ON brand_dna FOR EACH ROW
    EXECUTE FUNCTION immutable_columns_guard('tenant_id', 'version', 'content', 'content_schema_version', 'sources',
      'reason', 'locale', 'change_summary', 'created_at')`);

  // The prompt cascade: one row per key path and level, deep-merged platform → distributor → tenant
  // (each level overrides only the keys it defines). Merge engine in V2; platform rows seeded in V1.
  await knex.schema.createTable('prompt_layers', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('level', 16).notNullable();
    checkIn(t, 'level', LEVELS);
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE').index();
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    localeColumn(t, knex);
    t.string('key', 200).notNullable(); // dot path: system.role, safety.rules, channels.linkedin.guidance
    t.check(`key ~ '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$'`, [], 'prompt_layers_key_format');
    t.jsonb('value').notNullable(); // a string, a list or an object merged under the key
    t.text('description').notNullable().defaultTo('');
    t.integer('version').notNullable().defaultTo(1);
    t.check('version >= 1', [], 'prompt_layers_version_check');
    t.boolean('active').notNullable().defaultTo(true);
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    timestamps(t, knex);
    t.check(
      `(level = 'platform' AND distributor_id IS NULL AND tenant_id IS NULL)
       OR (level = 'distributor' AND distributor_id IS NOT NULL AND tenant_id IS NULL)
       OR (level = 'tenant' AND tenant_id IS NOT NULL AND distributor_id IS NULL)`,
      [],
      'prompt_layers_level_owner_check',
    );
  });
  await knex.raw(
    `CREATE UNIQUE INDEX prompt_layers_version_unique ON prompt_layers (level, distributor_id, tenant_id, locale, key, version) NULLS NOT DISTINCT`,
  );
  await knex.raw(
    `CREATE UNIQUE INDEX prompt_layers_one_active ON prompt_layers (level, distributor_id, tenant_id, locale, key) NULLS NOT DISTINCT WHERE active`,
  );
  await isolateCascade(knex, 'prompt_layers');

  // Prompt templates per task (and optionally channel), with {{placeholders}}; same 3-level ownership as layers.
  await knex.schema.createTable('prompt_templates', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('level', 16).notNullable().defaultTo('platform');
    checkIn(t, 'level', LEVELS);
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE').index();
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.string('code', 100).notNullable(); // studio.generate_content, brand.extract_dna, pipeline.plan_month
    t.string('task', 64).notNullable(); // the AI task it serves (generation, dna_extraction, planning…)
    t.check(`task ~ '^[a-z][a-z0-9_]*$'`, [], 'prompt_templates_task_format');
    t.string('channel', 24);
    t.check(`channel IS NULL OR channel IN (${CHANNELS.map((c) => `'${c}'`).join(', ')})`, [], 'prompt_templates_channel_check');
    localeColumn(t, knex);
    t.string('title', 200).notNullable().defaultTo('');
    t.text('system_prompt');
    t.text('body').notNullable();
    t.specificType('variables', 'text[]').notNullable().defaultTo('{}');
    t.string('output_format', 8).notNullable().defaultTo('text');
    checkIn(t, 'output_format', ['text', 'json', 'html', 'markdown']);
    t.jsonb('output_schema'); // JSON schema of a structured answer (DNA extraction, plan)
    t.integer('version').notNullable().defaultTo(1);
    t.check('version >= 1', [], 'prompt_templates_version_check');
    t.boolean('active').notNullable().defaultTo(true);
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    timestamps(t, knex);
    t.check(
      `(level = 'platform' AND distributor_id IS NULL AND tenant_id IS NULL)
       OR (level = 'distributor' AND distributor_id IS NOT NULL AND tenant_id IS NULL)
       OR (level = 'tenant' AND tenant_id IS NOT NULL AND distributor_id IS NULL)`,
      [],
      'prompt_templates_level_owner_check',
    );
  });
  await knex.raw(
    `CREATE UNIQUE INDEX prompt_templates_version_unique ON prompt_templates (level, distributor_id, tenant_id, code, locale, version) NULLS NOT DISTINCT`,
  );
  await knex.raw(
    `CREATE UNIQUE INDEX prompt_templates_one_active ON prompt_templates (level, distributor_id, tenant_id, code, locale) NULLS NOT DISTINCT WHERE active`,
  );
  await isolateCascade(knex, 'prompt_templates');

  // Media library: reusable assets, validated by content; files are tenant-scoped on disk too.
  await createTenantTable(knex, 'media_assets', (t) => {
    t.string('kind', 8).notNullable();
    checkIn(t, 'kind', ['image', 'pdf', 'video', 'audio']);
    t.string('status', 16).notNullable().defaultTo('ready');
    checkIn(t, 'status', ['processing', 'ready', 'failed', 'archived']);
    t.string('title', 255).notNullable().defaultTo('');
    t.string('original_filename', 255);
    t.string('mime_type', 127).notNullable(); // detected by magic bytes
    t.bigInteger('size_bytes').notNullable();
    t.check('size_bytes >= 0', [], 'media_assets_size_check');
    t.integer('width');
    t.integer('height');
    t.check('(width IS NULL OR width > 0) AND (height IS NULL OR height > 0)', [], 'media_assets_dimensions_check');
    t.integer('duration_ms');
    t.string('storage_key', 1024).notNullable().unique();
    t.string('thumbnail_key', 1024);
    t.string('sha256', 64).notNullable();
    t.check(`sha256 ~ '^[0-9a-f]{64}$'`, [], 'media_assets_sha256_format');
    t.text('alt_text');
    t.boolean('alt_text_suggested').notNullable().defaultTo(false); // true while the gateway's suggestion is unedited
    localeColumn(t, knex);
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.string('source', 16).notNullable().defaultTo('upload');
    checkIn(t, 'source', ['upload', 'generated', 'imported']);
    t.uuid('uploaded_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('archived_at', { useTz: true });
    t.index(['tenant_id', 'sha256'], 'media_assets_tenant_sha256_index');
    t.index(['tenant_id', 'kind', 'created_at'], 'media_assets_tenant_kind_index');
  });
  await knex.raw('CREATE INDEX media_assets_tags_index ON media_assets USING gin (tags)');
}

/**
 * Row-level security for cascade tables (nullable tenant_id): a tenant reads and writes its own rows, and
 * may also read the platform rows and its own distributor's rows, so that the cascade resolves inside the
 * tenant's context. Writing platform or distributor rows needs the platform role.
 */
async function isolateCascade(knex: Knex, table: string): Promise<void> {
  await isolateByTenant(knex, table);
  await knex.raw(
    `CREATE POLICY cascade_read ON ?? FOR SELECT USING (
       level = 'platform'
       OR (level = 'distributor' AND distributor_id = (SELECT t.distributor_id FROM tenants t WHERE t.id = app_current_tenant()))
     )`,
    [table],
  );
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, TABLES);
  await knex.raw('DROP FUNCTION IF EXISTS immutable_columns_guard()');
}
