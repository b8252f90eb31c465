import type { Knex } from 'knex';
import { checkIn, createTenantTable, dropTables, localeColumn } from '../src/adapters/db/schema-helpers.js';

/**
 * Studio (contents, versions, SEO/GEO, keywords, media, V3 generated media and landing pages) and
 * calendar (editorial plans, slots, approvals, reviewer links, notes, iCalendar feeds).
 * Brand safety is folded into content_versions (verdict per version; findings in analytics' brand_safety_flags).
 */
const TABLES = [
  'campaigns',
  'contents',
  'content_versions',
  'content_media',
  'seo_analyses',
  'keywords',
  'content_keywords',
  'editorial_plans',
  'editorial_plan_items',
  'calendar_slots',
  'channel_slot_preferences',
  'approval_links',
  'approval_link_contents',
  'approvals',
  'content_notes',
  'calendar_feeds',
  'generated_media',
  'landing_pages',
  'landing_page_variants',
  'landing_page_events',
  'media_asset_usages',
] as const;

const CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms'] as const;
const CONTENT_STATUSES = [
  'draft',
  'generating',
  'pending_approval',
  'approved',
  'scheduled',
  'publishing',
  'published',
  'failed',
  'rejected',
  'archived',
] as const;

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'campaigns', (t) => {
    t.string('name', 200).notNullable();
    t.text('objective').notNullable().defaultTo('');
    t.text('description').notNullable().defaultTo('');
    t.date('starts_on');
    t.date('ends_on');
    t.check('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', [], 'campaigns_dates_check');
    t.string('status', 16).notNullable().defaultTo('draft');
    checkIn(t, 'status', ['draft', 'active', 'paused', 'completed', 'archived']);
    t.string('utm_campaign', 100).notNullable(); // slug used as utm_campaign on every link of the campaign
    t.check(`utm_campaign ~ '^[a-z0-9][a-z0-9_-]*$'`, [], 'campaigns_utm_campaign_format');
    t.bigInteger('budget_cents');
    t.check('budget_cents IS NULL OR budget_cents >= 0', [], 'campaigns_budget_check');
    t.string('color', 7);
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    localeColumn(t, knex);
    t.unique(['tenant_id', 'utm_campaign'], { indexName: 'campaigns_tenant_utm_unique' });
  });

  await createTenantTable(knex, 'contents', (t) => {
    t.string('channel', 24).notNullable();
    checkIn(t, 'channel', CHANNELS);
    t.string('mode', 8).notNullable().defaultTo('semi');
    checkIn(t, 'mode', ['manual', 'semi', 'auto']);
    t.string('status', 24).notNullable().defaultTo('draft');
    checkIn(t, 'status', CONTENT_STATUSES);
    t.string('title', 300).notNullable().defaultTo('');
    t.text('brief').notNullable().defaultTo('');
    t.text('tone_override');
    t.uuid('campaign_id').references('id').inTable('campaigns').onDelete('SET NULL').index();
    // current_version_id → content_versions is added below (circular reference).
    t.uuid('dna_snapshot_id').references('id').inTable('brand_dna'); // the snapshot generation used
    t.jsonb('prompt_layers_snapshot'); // the resolved cascade at generation time (open: layers evolve)
    t.integer('regeneration_count').notNullable().defaultTo(0);
    t.check('regeneration_count >= 0', [], 'contents_regeneration_count_check');
    t.boolean('is_evergreen').notNullable().defaultTo(false);
    t.boolean('is_time_bound').notNullable().defaultTo(false);
    t.timestamp('valid_until', { useTz: true }); // time-bound content: never recycled or published after
    t.timestamp('scheduled_at', { useTz: true });
    t.timestamp('published_at', { useTz: true });
    t.string('origin', 16).notNullable().defaultTo('manual');
    checkIn(t, 'origin', ['manual', 'pipeline', 'watch_change', 'evergreen']);
    t.uuid('origin_ref_id'); // pipeline run or watch change (their tables come later: no FK)
    t.uuid('source_content_id').references('id').inTable('contents').onDelete('SET NULL'); // evergreen recycling
    t.string('slug', 200); // blog
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('archived_at', { useTz: true });
    localeColumn(t, knex);
    t.check(`NOT (is_time_bound AND is_evergreen)`, [], 'contents_evergreen_time_bound_check');
    t.index(['tenant_id', 'status'], 'contents_tenant_status_index');
    t.index(['tenant_id', 'channel', 'scheduled_at'], 'contents_tenant_channel_scheduled_index');
  });

  // Every generation, edit, regeneration or restore makes a version; a version's text never changes.
  await createTenantTable(knex, 'content_versions', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE');
    t.integer('number').notNullable();
    t.check('number >= 1', [], 'content_versions_number_check');
    t.string('title', 300).notNullable().defaultTo('');
    t.text('body').notNullable();
    t.jsonb('meta').notNullable().defaultTo('{}'); // hashtags, links, seo title/description/slug, cta
    t.check(`jsonb_typeof(meta) = 'object'`, [], 'content_versions_meta_object');
    t.integer('char_count').notNullable().defaultTo(0);
    t.string('source', 16).notNullable();
    checkIn(t, 'source', ['generation', 'edit', 'restore', 'regeneration']);
    t.uuid('restored_from_id').references('id').inTable('content_versions').onDelete('SET NULL');
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.string('model_id', 200); // provider model identifier, kept even if the catalogue changes
    t.uuid('prompt_template_id').references('id').inTable('prompt_templates').onDelete('SET NULL');
    t.uuid('dna_snapshot_id').references('id').inTable('brand_dna');
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    // Brand safety, folded in: the verdict of the one check per version (moderation task + DNA banned words
    // and claims) gates approval; each finding is a brand_safety_flags row (analytics migration).
    t.string('brand_safety_status', 16).notNullable().defaultTo('unchecked');
    checkIn(t, 'brand_safety_status', ['unchecked', 'ok', 'flagged']);
    t.uuid('brand_safety_ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.timestamp('brand_safety_checked_at', { useTz: true });
    t.uuid('brand_safety_overridden_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('brand_safety_overridden_at', { useTz: true });
    localeColumn(t, knex);
    t.unique(['content_id', 'number'], { indexName: 'content_versions_content_number_unique' });
  });
  await knex.raw(`
    CREATE TRIGGER content_versions_immutable BEFORE UPDATE ON content_versions FOR EACH ROW
    EXECUTE FUNCTION immutable_columns_guard('tenant_id', 'content_id', 'number', 'title', 'body', 'source',
      'locale', 'created_at')`);
  await knex.schema.alterTable('contents', (t) => {
    t.uuid('current_version_id');
    t.foreign('current_version_id', 'contents_current_version_fk').references('id').inTable('content_versions').onDelete('SET NULL');
  });

  // Media attached to a content (ordered); what the publisher uploads.
  await createTenantTable(knex, 'content_media', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE');
    t.uuid('media_asset_id').notNullable().references('id').inTable('media_assets').index(); // in use: cannot be deleted
    t.integer('position').notNullable().defaultTo(0);
    t.string('role', 16).notNullable().defaultTo('attachment');
    checkIn(t, 'role', ['primary', 'gallery', 'cover', 'attachment']);
    t.unique(['content_id', 'media_asset_id'], { indexName: 'content_media_unique' });
  });

  // SEO/GEO score of a version, computed deterministically in code (scorer_version says which rules).
  await createTenantTable(knex, 'seo_analyses', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE').index();
    t.uuid('content_version_id').notNullable().references('id').inTable('content_versions').onDelete('CASCADE').index();
    t.integer('score').notNullable();
    t.check('score BETWEEN 0 AND 100', [], 'seo_analyses_score_check');
    t.integer('geo_score');
    t.check('geo_score IS NULL OR geo_score BETWEEN 0 AND 100', [], 'seo_analyses_geo_score_check');
    t.jsonb('breakdown').notNullable().defaultTo('[]'); // [{ check, points, max, fix }]
    t.string('target_keyword', 200);
    t.specificType('related_keywords', 'text[]').notNullable().defaultTo('{}');
    t.decimal('readability_score', 6, 2);
    t.string('readability_formula', 16);
    t.check(`readability_formula IS NULL OR readability_formula IN ('kandel_moles', 'flesch')`, [], 'seo_analyses_readability_formula_check');
    t.string('suggested_title', 300);
    t.string('suggested_meta_description', 400);
    t.string('suggested_slug', 200);
    t.jsonb('json_ld'); // schema.org Article / FAQPage / LocalBusiness
    t.string('scorer_version', 32).notNullable().defaultTo('1');
    localeColumn(t, knex);
  });

  // The tenant's keyword list (from the DNA, typed by hand, or suggested); V2 learns from performance.
  await createTenantTable(knex, 'keywords', (t) => {
    t.string('keyword', 200).notNullable();
    t.string('source', 16).notNullable().defaultTo('manual');
    checkIn(t, 'source', ['dna', 'manual', 'suggested', 'learned']);
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'archived']);
    t.boolean('is_local').notNullable().defaultTo(false);
    t.string('local_zone', 200);
    t.uuid('dna_snapshot_id').references('id').inTable('brand_dna').onDelete('SET NULL');
    t.integer('search_volume'); // V2
    t.decimal('performance_score', 8, 3); // V2 auto-learning
    t.timestamp('last_evaluated_at', { useTz: true });
    localeColumn(t, knex);
  });
  await knex.raw('CREATE UNIQUE INDEX keywords_tenant_keyword_unique ON keywords (tenant_id, locale, lower(keyword))');

  await createTenantTable(knex, 'content_keywords', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE');
    t.uuid('keyword_id').notNullable().references('id').inTable('keywords').onDelete('CASCADE').index();
    t.string('role', 16).notNullable().defaultTo('secondary');
    checkIn(t, 'role', ['primary', 'secondary']);
    t.unique(['content_id', 'keyword_id'], { indexName: 'content_keywords_unique' });
  });
  await knex.raw(`CREATE UNIQUE INDEX content_keywords_one_primary ON content_keywords (content_id) WHERE role = 'primary'`);

  // ---- Calendar ----

  await createTenantTable(knex, 'editorial_plans', (t) => {
    t.date('month').notNullable();
    t.check(`extract(day from month) = 1`, [], 'editorial_plans_month_check');
    t.string('status', 16).notNullable().defaultTo('draft');
    checkIn(t, 'status', ['draft', 'confirmed', 'archived']);
    t.uuid('pipeline_run_id'); // pipeline tables come later: no FK
    t.uuid('dna_snapshot_id').references('id').inTable('brand_dna');
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.text('summary').notNullable().defaultTo('');
    t.uuid('confirmed_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('confirmed_at', { useTz: true });
    localeColumn(t, knex);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX editorial_plans_one_per_month ON editorial_plans (tenant_id, month) WHERE status <> 'archived'`,
  );

  await createTenantTable(knex, 'editorial_plan_items', (t) => {
    t.uuid('plan_id').notNullable().references('id').inTable('editorial_plans').onDelete('CASCADE').index();
    t.string('channel', 24).notNullable();
    checkIn(t, 'channel', CHANNELS);
    t.string('theme', 300).notNullable();
    t.text('angle').notNullable().defaultTo('');
    t.string('target_keyword', 200);
    t.uuid('campaign_id').references('id').inTable('campaigns').onDelete('SET NULL');
    t.date('planned_date').notNullable();
    t.timestamp('planned_slot_at', { useTz: true });
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL').unique();
    t.uuid('evergreen_source_content_id').references('id').inTable('contents').onDelete('SET NULL');
    t.string('status', 16).notNullable().defaultTo('planned');
    checkIn(t, 'status', ['planned', 'generating', 'generated', 'skipped', 'failed']);
    t.integer('position').notNullable().defaultTo(0);
    localeColumn(t, knex);
  });

  // Where a content sits on the calendar: one slot per content.
  await createTenantTable(knex, 'calendar_slots', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE').unique();
    t.string('channel', 24).notNullable();
    checkIn(t, 'channel', CHANNELS);
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.string('status', 16).notNullable().defaultTo('proposed');
    checkIn(t, 'status', ['proposed', 'confirmed', 'published', 'missed', 'cancelled']);
    t.string('source', 16).notNullable().defaultTo('optimal');
    checkIn(t, 'source', ['optimal', 'manual', 'plan']);
    t.timestamp('reminder_sent_at', { useTz: true }); // reminder for items still pending approval
    t.index(['tenant_id', 'starts_at'], 'calendar_slots_tenant_starts_index');
  });

  // Optimal posting times per channel, in the tenant's local time (defaults, later learned from engagement).
  await createTenantTable(knex, 'channel_slot_preferences', (t) => {
    t.string('channel', 24).notNullable();
    checkIn(t, 'channel', CHANNELS);
    t.smallint('weekday').notNullable(); // ISO: 1 = Monday … 7 = Sunday
    t.check('weekday BETWEEN 1 AND 7', [], 'channel_slot_preferences_weekday_check');
    t.time('local_time').notNullable();
    t.string('source', 16).notNullable().defaultTo('default');
    checkIn(t, 'source', ['default', 'learned', 'manual']);
    t.decimal('weight', 6, 3).notNullable().defaultTo(1);
    t.check('weight >= 0', [], 'channel_slot_preferences_weight_check');
    t.integer('sample_size').notNullable().defaultTo(0);
    t.unique(['tenant_id', 'channel', 'weekday', 'local_time'], { indexName: 'channel_slot_preferences_unique' });
  });

  // Signed links for reviewers without an account: they see the scoped items and can approve/reject/comment.
  await createTenantTable(knex, 'approval_links', (t) => {
    t.string('token_hash', 64).notNullable().unique();
    t.string('reviewer_name', 200).notNullable();
    t.string('reviewer_email', 320);
    t.string('scope', 16).notNullable().defaultTo('contents');
    checkIn(t, 'scope', ['contents', 'campaign', 'period']);
    t.uuid('campaign_id').references('id').inTable('campaigns').onDelete('CASCADE');
    t.date('period_start');
    t.date('period_end');
    t.boolean('can_approve').notNullable().defaultTo(true);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    localeColumn(t, knex); // language of the reviewer's pages and emails
    t.check(`scope <> 'campaign' OR campaign_id IS NOT NULL`, [], 'approval_links_campaign_check');
    t.check(
      `scope <> 'period' OR (period_start IS NOT NULL AND period_end IS NOT NULL AND period_end >= period_start)`,
      [],
      'approval_links_period_check',
    );
  });

  // Items of a link whose scope is 'contents'.
  await createTenantTable(knex, 'approval_link_contents', (t) => {
    t.uuid('approval_link_id').notNullable().references('id').inTable('approval_links').onDelete('CASCADE');
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE').index();
    t.unique(['approval_link_id', 'content_id'], { indexName: 'approval_link_contents_unique' });
  });

  // Every decision on a content, kept: who (user, reviewer link or system in auto mode), when, on which version.
  await createTenantTable(knex, 'approvals', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE').index();
    t.uuid('content_version_id').references('id').inTable('content_versions').onDelete('CASCADE');
    t.string('decision', 24).notNullable();
    checkIn(t, 'decision', ['approved', 'rejected', 'changes_requested', 'regeneration_requested', 'commented']);
    t.text('comment');
    t.string('actor_kind', 16).notNullable();
    checkIn(t, 'actor_kind', ['user', 'reviewer', 'system']);
    t.uuid('decided_by').references('id').inTable('users').onDelete('SET NULL');
    t.uuid('approval_link_id').references('id').inTable('approval_links').onDelete('SET NULL');
    t.string('actor_name', 200).notNullable().defaultTo(''); // as shown at the time (survives user deletion)
    t.boolean('overrode_brand_safety').notNullable().defaultTo(false);
    t.timestamp('decided_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    localeColumn(t, knex);
    t.check(`decision = 'commented' OR content_version_id IS NOT NULL`, [], 'approvals_version_check');
  });

  // Private team notes on a content (never shown to reviewers).
  await createTenantTable(knex, 'content_notes', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE').index();
    t.uuid('content_version_id').references('id').inTable('content_versions').onDelete('SET NULL');
    t.uuid('author_id').references('id').inTable('users').onDelete('SET NULL');
    t.text('body').notNullable();
    localeColumn(t, knex);
  });

  // iCalendar feed behind a secret URL.
  await createTenantTable(knex, 'calendar_feeds', (t) => {
    t.string('token_hash', 64).notNullable().unique();
    t.string('name', 200).notNullable().defaultTo('');
    t.specificType('channels', 'text[]').notNullable().defaultTo('{}'); // empty = all channels
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('last_accessed_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    localeColumn(t, knex); // language of event titles
  });

  // ---- V3: image/video generation and landing pages ----

  await createTenantTable(knex, 'generated_media', (t) => {
    t.string('kind', 8).notNullable();
    checkIn(t, 'kind', ['image', 'video']);
    t.string('status', 16).notNullable().defaultTo('queued');
    checkIn(t, 'status', ['queued', 'running', 'succeeded', 'failed', 'cancelled']);
    t.text('prompt').notNullable();
    t.text('negative_prompt');
    t.jsonb('params').notNullable().defaultTo('{}'); // size, aspect ratio, duration, style: model-specific
    t.uuid('ai_model_id').references('id').inTable('ai_models').onDelete('SET NULL');
    t.string('model_id', 200);
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.string('external_job_id', 200);
    t.bigInteger('cost_micros'); // provider cost in millionths of the currency unit
    t.integer('credits_charged');
    t.uuid('media_asset_id').references('id').inTable('media_assets').onDelete('SET NULL');
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL').index();
    t.uuid('requested_by').references('id').inTable('users').onDelete('SET NULL');
    t.string('error_code', 100);
    t.text('error_message');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true });
    localeColumn(t, knex);
    t.check('(cost_micros IS NULL OR cost_micros >= 0) AND (credits_charged IS NULL OR credits_charged >= 0)', [], 'generated_media_cost_check');
  });

  await createTenantTable(knex, 'landing_pages', (t) => {
    t.string('title', 300).notNullable();
    t.string('slug', 200).notNullable();
    t.check(`slug ~ '^[a-z0-9][a-z0-9-]*$'`, [], 'landing_pages_slug_format');
    t.string('status', 16).notNullable().defaultTo('draft');
    checkIn(t, 'status', ['draft', 'published', 'archived']);
    t.string('goal', 16).notNullable().defaultTo('form');
    checkIn(t, 'goal', ['form', 'click', 'call', 'purchase']);
    t.uuid('campaign_id').references('id').inTable('campaigns').onDelete('SET NULL');
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL');
    t.uuid('custom_domain_id').references('id').inTable('custom_domains').onDelete('SET NULL');
    t.string('meta_title', 300);
    t.string('meta_description', 400);
    // A/B test and winner declaration (winner_variant_id added below: circular reference)
    t.string('ab_test_status', 16).notNullable().defaultTo('none');
    checkIn(t, 'ab_test_status', ['none', 'running', 'concluded']);
    t.integer('min_sample_size').notNullable().defaultTo(100);
    t.decimal('confidence_threshold', 5, 4).notNullable().defaultTo(0.95);
    t.timestamp('test_started_at', { useTz: true });
    t.timestamp('winner_declared_at', { useTz: true });
    t.string('winner_declared_by', 8);
    t.check(`winner_declared_by IS NULL OR winner_declared_by IN ('auto', 'user')`, [], 'landing_pages_winner_by_check');
    t.decimal('winner_confidence', 5, 4);
    t.timestamp('published_at', { useTz: true });
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    localeColumn(t, knex);
    t.unique(['tenant_id', 'slug'], { indexName: 'landing_pages_tenant_slug_unique' });
  });

  await createTenantTable(knex, 'landing_page_variants', (t) => {
    t.uuid('landing_page_id').notNullable().references('id').inTable('landing_pages').onDelete('CASCADE');
    t.string('key', 8).notNullable(); // A, B, C…
    t.string('name', 200).notNullable().defaultTo('');
    t.boolean('is_control').notNullable().defaultTo(false);
    t.string('headline', 300).notNullable().defaultTo('');
    t.text('body').notNullable().defaultTo('');
    t.string('cta_label', 100).notNullable().defaultTo('');
    t.jsonb('blocks').notNullable().defaultTo('[]'); // page builder blocks: open shape
    t.integer('traffic_weight').notNullable().defaultTo(50);
    t.check('traffic_weight BETWEEN 0 AND 100', [], 'landing_page_variants_weight_check');
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'paused']);
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.integer('views_count').notNullable().defaultTo(0);
    t.integer('conversions_count').notNullable().defaultTo(0);
    localeColumn(t, knex);
    t.unique(['landing_page_id', 'key'], { indexName: 'landing_page_variants_key_unique' });
  });
  await knex.schema.alterTable('landing_pages', (t) => {
    t.uuid('winner_variant_id');
    t.foreign('winner_variant_id', 'landing_pages_winner_variant_fk').references('id').inTable('landing_page_variants').onDelete('SET NULL');
  });

  // One row per view or conversion of a variant; no raw IP (visitor_hash: daily-salted, not reversible).
  await createTenantTable(knex, 'landing_page_events', (t) => {
    t.uuid('landing_page_id').notNullable().references('id').inTable('landing_pages').onDelete('CASCADE');
    t.uuid('variant_id').notNullable().references('id').inTable('landing_page_variants').onDelete('CASCADE');
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['view', 'conversion']);
    t.string('visitor_hash', 64);
    t.boolean('is_bot').notNullable().defaultTo(false);
    t.string('referrer_host', 253);
    t.string('utm_source', 100);
    t.string('utm_medium', 100);
    t.string('utm_campaign', 100);
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['variant_id', 'kind'], 'landing_page_events_variant_kind_index');
    t.index(['landing_page_id', 'occurred_at'], 'landing_page_events_page_time_index');
  });

  // Brand module's media library: where an asset went out (with which version, or on which landing page).
  // Created here because it references contents and landing pages.
  await createTenantTable(knex, 'media_asset_usages', (t) => {
    t.uuid('media_asset_id').notNullable().references('id').inTable('media_assets').onDelete('CASCADE').index();
    t.uuid('content_id').references('id').inTable('contents').onDelete('CASCADE').index();
    t.uuid('content_version_id').references('id').inTable('content_versions').onDelete('SET NULL');
    t.uuid('landing_page_id').references('id').inTable('landing_pages').onDelete('CASCADE');
    t.string('usage', 16).notNullable().defaultTo('content');
    checkIn(t, 'usage', ['content', 'landing_page', 'brand']);
    t.timestamp('used_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check(
      `(usage = 'content' AND content_id IS NOT NULL) OR (usage = 'landing_page' AND landing_page_id IS NOT NULL) OR usage = 'brand'`,
      [],
      'media_asset_usages_target_check',
    );
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE IF EXISTS landing_pages DROP CONSTRAINT IF EXISTS landing_pages_winner_variant_fk');
  await knex.raw('ALTER TABLE IF EXISTS contents DROP CONSTRAINT IF EXISTS contents_current_version_fk');
  await dropTables(knex, TABLES);
}
