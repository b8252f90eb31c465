import type { Knex } from 'knex';
import { checkIn, createTenantTable, dropTables, localeColumn } from '../src/adapters/db/schema-helpers.js';

const TABLES = [
  'engagement_metrics',
  'channel_metrics',
  'evergreen_candidates',
  'reviews',
  'mentions',
  'brand_safety_flags',
  'revenue_integrations',
  'revenue_integration_syncs',
  'business_metric_imports',
  'business_metrics',
  'reports',
] as const;

/** The first day of a month, so that a month is one `date` value. */
function firstOfMonth(t: Knex.CreateTableBuilder, table: string, column: string): void {
  t.check(`date_trunc('month', "${column}")::date = "${column}"`, [], `${table}_${column}_first_day_check`);
}

export async function up(knex: Knex): Promise<void> {
  // Engagement time series: one row per publication and day, the totals the network reports as of that day.
  await createTenantTable(knex, 'engagement_metrics', (t) => {
    t.uuid('publication_id').notNullable().references('id').inTable('publications').onDelete('CASCADE');
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL').index();
    t.uuid('channel_account_id').references('id').inTable('channel_accounts').onDelete('SET NULL');
    t.string('channel', 32).notNullable(); // denormalised channel kind (facebook, instagram, newsletter…) for aggregation
    t.date('metric_date').notNullable();
    t.timestamp('captured_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('impressions').notNullable().defaultTo(0);
    t.integer('reach').notNullable().defaultTo(0);
    t.integer('reactions').notNullable().defaultTo(0);
    t.integer('comments').notNullable().defaultTo(0);
    t.integer('shares').notNullable().defaultTo(0);
    t.integer('clicks').notNullable().defaultTo(0);
    t.integer('saves').notNullable().defaultTo(0);
    t.integer('video_views').notNullable().defaultTo(0);
    // Network-specific extras (e.g. profile visits, story exits): open by nature, never needed for the cockpit totals.
    t.jsonb('extra').notNullable().defaultTo('{}');
    t.check(
      'impressions >= 0 AND reach >= 0 AND reactions >= 0 AND comments >= 0 AND shares >= 0 AND clicks >= 0 AND saves >= 0 AND video_views >= 0',
      [],
      'engagement_metrics_non_negative_check',
    );
    t.unique(['publication_id', 'metric_date'], { indexName: 'engagement_metrics_publication_date_unique' });
    t.index(['tenant_id', 'metric_date'], 'engagement_metrics_tenant_date_idx');
    t.index(['tenant_id', 'channel', 'metric_date'], 'engagement_metrics_tenant_channel_date_idx');
  });

  // Audience of a channel account per day (followers, reach), for the per-channel view of the cockpit.
  await createTenantTable(knex, 'channel_metrics', (t) => {
    t.uuid('channel_account_id').notNullable().references('id').inTable('channel_accounts').onDelete('CASCADE');
    t.string('channel', 32).notNullable();
    t.date('metric_date').notNullable();
    t.timestamp('captured_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('followers');
    t.integer('impressions').notNullable().defaultTo(0);
    t.integer('reach').notNullable().defaultTo(0);
    t.integer('profile_views').notNullable().defaultTo(0);
    t.check(
      '(followers IS NULL OR followers >= 0) AND impressions >= 0 AND reach >= 0 AND profile_views >= 0',
      [],
      'channel_metrics_non_negative_check',
    );
    t.unique(['channel_account_id', 'metric_date'], { indexName: 'channel_metrics_account_date_unique' });
    t.index(['tenant_id', 'metric_date'], 'channel_metrics_tenant_date_idx');
  });

  // Evergreen recycling: contents above the tenant's median and not time-bound, proposed for re-publication.
  await createTenantTable(knex, 'evergreen_candidates', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE');
    t.uuid('source_publication_id').references('id').inTable('publications').onDelete('SET NULL');
    t.integer('engagement_score').notNullable(); // weighted engagement of the content
    t.integer('tenant_median_score').notNullable(); // the tenant's median over the same window
    t.date('window_start').notNullable();
    t.date('window_end').notNullable();
    t.check('window_end >= window_start', [], 'evergreen_candidates_window_check');
    t.string('status', 16).notNullable().defaultTo('proposed');
    checkIn(t, 'status', ['proposed', 'accepted', 'dismissed', 'republished']);
    t.uuid('refreshed_version_id').references('id').inTable('content_versions').onDelete('SET NULL');
    t.uuid('republished_publication_id').references('id').inTable('publications').onDelete('SET NULL');
    t.timestamp('proposed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.uuid('decided_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('decided_at', { useTz: true });
  });
  // At most one open proposal per content.
  await knex.raw(
    "CREATE UNIQUE INDEX evergreen_candidates_open_unique ON evergreen_candidates (tenant_id, content_id) WHERE status IN ('proposed', 'accepted')",
  );

  // Reputation: reviews from Google Business Profile (adapter), entered by hand or imported, with the reply.
  await createTenantTable(knex, 'reviews', (t) => {
    t.string('source', 24).notNullable();
    checkIn(t, 'source', ['google_business', 'manual', 'import']);
    t.uuid('channel_account_id').references('id').inTable('channel_accounts').onDelete('SET NULL');
    t.string('external_id', 255);
    t.string('author_name', 200).notNullable().defaultTo('');
    t.smallint('rating').notNullable();
    t.check('rating BETWEEN 1 AND 5', [], 'reviews_rating_check');
    t.text('text').notNullable().defaultTo('');
    localeColumn(t, knex); // language of the review; the reply is written in the same language
    t.string('url', 2048);
    t.timestamp('reviewed_at', { useTz: true }).notNullable();
    t.text('reply_text');
    t.string('reply_status', 16).notNullable().defaultTo('none');
    checkIn(t, 'reply_status', ['none', 'draft', 'posting', 'posted', 'failed']);
    t.uuid('reply_ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL'); // AI-drafted reply
    t.uuid('replied_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('replied_at', { useTz: true });
    t.text('reply_error');
    t.timestamp('removed_at', { useTz: true }); // deleted at the source
    t.index(['tenant_id', 'reviewed_at'], 'reviews_tenant_reviewed_idx');
    t.check("reply_status <> 'posted' OR (reply_text IS NOT NULL AND replied_at IS NOT NULL)", [], 'reviews_reply_posted_check');
  });
  await knex.raw(
    'CREATE UNIQUE INDEX reviews_external_unique ON reviews (tenant_id, source, external_id) WHERE external_id IS NOT NULL',
  );

  // Brand mentions found on the web or social networks (reputation, brand safety).
  await createTenantTable(knex, 'mentions', (t) => {
    t.string('source_kind', 16).notNullable();
    checkIn(t, 'source_kind', ['web', 'news', 'social', 'forum', 'review_site', 'other']);
    t.string('platform', 64); // e.g. instagram, linkedin, a news site's host
    t.uuid('watch_source_id').references('id').inTable('watch_sources').onDelete('SET NULL'); // found by the watch
    t.string('external_id', 255);
    t.string('url', 2048).notNullable();
    t.string('title', 1000);
    t.text('excerpt').notNullable().defaultTo('');
    t.string('author_name', 200);
    localeColumn(t, knex);
    t.timestamp('published_at', { useTz: true });
    t.timestamp('found_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('sentiment', 16).notNullable().defaultTo('unknown');
    checkIn(t, 'sentiment', ['positive', 'neutral', 'negative', 'unknown']);
    t.uuid('sentiment_ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    t.string('status', 16).notNullable().defaultTo('new');
    checkIn(t, 'status', ['new', 'reviewed', 'dismissed']);
    t.unique(['tenant_id', 'url'], { indexName: 'mentions_tenant_url_unique' });
    t.index(['tenant_id', 'found_at'], 'mentions_tenant_found_idx');
  });

  // Brand-safety flags on generated content (a version), a mention or a review.
  await createTenantTable(knex, 'brand_safety_flags', (t) => {
    t.string('subject_type', 16).notNullable();
    checkIn(t, 'subject_type', ['content_version', 'mention', 'review']);
    t.uuid('content_version_id').references('id').inTable('content_versions').onDelete('CASCADE');
    t.uuid('content_id').references('id').inTable('contents').onDelete('CASCADE').index(); // denormalised
    t.uuid('mention_id').references('id').inTable('mentions').onDelete('CASCADE');
    t.uuid('review_id').references('id').inTable('reviews').onDelete('CASCADE');
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['banned_word', 'claim', 'moderation', 'mention']);
    t.string('severity', 16).notNullable().defaultTo('medium');
    checkIn(t, 'severity', ['low', 'medium', 'high', 'critical']);
    t.text('detail').notNullable().defaultTo('');
    t.string('matched_text', 1000);
    localeColumn(t, knex);
    t.uuid('ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL'); // moderation / claim check
    t.string('status', 16).notNullable().defaultTo('open');
    checkIn(t, 'status', ['open', 'resolved', 'dismissed']);
    t.uuid('resolved_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('resolved_at', { useTz: true });
    t.text('resolution_note');
    t.check(
      `(subject_type = 'content_version' AND content_version_id IS NOT NULL AND mention_id IS NULL AND review_id IS NULL)
       OR (subject_type = 'mention' AND mention_id IS NOT NULL AND content_version_id IS NULL AND review_id IS NULL)
       OR (subject_type = 'review' AND review_id IS NOT NULL AND content_version_id IS NULL AND mention_id IS NULL)`,
      [],
      'brand_safety_flags_subject_check',
    );
    t.check("(status = 'open') = (resolved_at IS NULL)", [], 'brand_safety_flags_resolution_check');
    t.index(['content_version_id'], 'brand_safety_flags_version_idx');
    t.index(['mention_id'], 'brand_safety_flags_mention_idx');
    t.index(['review_id'], 'brand_safety_flags_review_idx');
  });
  await knex.raw("CREATE INDEX brand_safety_flags_open_idx ON brand_safety_flags (tenant_id) WHERE status = 'open'");

  // V2: automated business-metric sources (POS, CRM, e-commerce). Credentials are encrypted by the app.
  await createTenantTable(knex, 'revenue_integrations', (t) => {
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['pos', 'crm', 'ecommerce']);
    t.string('provider', 64).notNullable(); // e.g. shopify, woocommerce, hubspot, sumup, square
    t.string('display_name', 200).notNullable().defaultTo('');
    t.string('external_account_id', 255);
    t.text('credentials_encrypted');
    // Provider-specific settings (store id, pipeline ids, field mapping): open shape by nature.
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'connected', 'error', 'disconnected']);
    t.string('currency', 3);
    t.check("currency IS NULL OR currency ~ '^[A-Z]{3}$'", [], 'revenue_integrations_currency_check');
    t.string('sync_cursor', 1000);
    t.timestamp('last_sync_at', { useTz: true });
    t.string('last_sync_status', 16);
    checkIn(t, 'last_sync_status', ['succeeded', 'partial', 'failed']);
    t.text('last_error');
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('next_sync_at', { useTz: true });
    t.uuid('connected_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('connected_at', { useTz: true });
    t.timestamp('disconnected_at', { useTz: true });
  });
  await knex.raw(
    'CREATE UNIQUE INDEX revenue_integrations_account_unique ON revenue_integrations (tenant_id, provider, external_account_id) WHERE external_account_id IS NOT NULL',
  );

  // V2: one synchronisation of an integration (history shown to the client and the super admin).
  await createTenantTable(knex, 'revenue_integration_syncs', (t) => {
    t.uuid('integration_id').notNullable().references('id').inTable('revenue_integrations').onDelete('CASCADE');
    t.string('triggered_by', 16).notNullable().defaultTo('schedule');
    checkIn(t, 'triggered_by', ['schedule', 'client', 'admin']);
    t.string('status', 16).notNullable().defaultTo('running');
    checkIn(t, 'status', ['running', 'succeeded', 'partial', 'failed']);
    t.integer('rows_imported').notNullable().defaultTo(0);
    t.integer('rows_rejected').notNullable().defaultTo(0);
    t.text('error_message');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.index(['integration_id', 'started_at'], 'revenue_integration_syncs_integration_started_idx');
  });

  // A CSV import of monthly business metrics (V2 feature delivered early).
  await createTenantTable(knex, 'business_metric_imports', (t) => {
    t.string('file_name', 255).notNullable();
    t.string('storage_key', 1024);
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'processing', 'completed', 'failed']);
    t.integer('rows_total').notNullable().defaultTo(0);
    t.integer('rows_imported').notNullable().defaultTo(0);
    t.integer('rows_rejected').notNullable().defaultTo(0);
    t.jsonb('row_errors').notNullable().defaultTo('[]'); // [{ line, column, code }]
    t.uuid('imported_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('completed_at', { useTz: true });
  });

  // Monthly business metrics (revenue, orders, leads, store visits, custom), entered, imported or synchronised.
  await createTenantTable(knex, 'business_metrics', (t) => {
    t.date('month').notNullable();
    firstOfMonth(t, 'business_metrics', 'month');
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['revenue', 'orders', 'leads', 'store_visits', 'custom']);
    t.string('name', 100).notNullable().defaultTo(''); // label of a custom metric; '' for the standard kinds
    t.bigInteger('value').notNullable(); // cents when unit = 'cents'
    t.string('unit', 8).notNullable().defaultTo('count');
    checkIn(t, 'unit', ['cents', 'count', 'other']);
    t.string('currency', 3);
    t.string('source', 16).notNullable().defaultTo('manual');
    checkIn(t, 'source', ['manual', 'csv', 'pos', 'crm', 'ecommerce']);
    t.uuid('integration_id').references('id').inTable('revenue_integrations').onDelete('SET NULL').index();
    t.uuid('import_id').references('id').inTable('business_metric_imports').onDelete('SET NULL');
    t.uuid('entered_by').references('id').inTable('users').onDelete('SET NULL');
    t.text('notes');
    t.unique(['tenant_id', 'month', 'kind', 'name', 'source'], { indexName: 'business_metrics_unique' });
    t.check("(kind = 'custom') = (name <> '')", [], 'business_metrics_custom_name_check');
    t.check("kind <> 'revenue' OR unit = 'cents'", [], 'business_metrics_revenue_unit_check');
    t.check("(unit = 'cents') = (currency IS NOT NULL)", [], 'business_metrics_currency_check');
    t.check("currency IS NULL OR currency ~ '^[A-Z]{3}$'", [], 'business_metrics_currency_format_check');
  });

  // The client's report (monthly at month end, or on demand): PDF + CSV in storage, in the tenant's language.
  await createTenantTable(knex, 'reports', (t) => {
    t.string('kind', 16).notNullable().defaultTo('monthly');
    checkIn(t, 'kind', ['monthly', 'on_demand']);
    t.date('period_start').notNullable();
    t.date('period_end').notNullable();
    t.check('period_end >= period_start', [], 'reports_period_check');
    localeColumn(t, knex);
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'generating', 'ready', 'failed']);
    t.string('pdf_storage_key', 1024);
    t.string('csv_storage_key', 1024);
    t.integer('pdf_bytes');
    t.integer('csv_bytes');
    t.uuid('requested_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('generated_at', { useTz: true });
    t.text('error_message');
    t.check(
      "status <> 'ready' OR (pdf_storage_key IS NOT NULL AND csv_storage_key IS NOT NULL AND generated_at IS NOT NULL)",
      [],
      'reports_ready_check',
    );
    t.index(['tenant_id', 'period_start'], 'reports_tenant_period_idx');
  });
  // One monthly report per month and language (regenerating it updates the row).
  await knex.raw(
    "CREATE UNIQUE INDEX reports_monthly_unique ON reports (tenant_id, period_start, locale) WHERE kind = 'monthly'",
  );
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, TABLES);
}
