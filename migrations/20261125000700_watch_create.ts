import type { Knex } from 'knex';
import {
  checkIn,
  createTenantTable,
  dropTables,
  localeColumn,
  timestamps,
  uuidPrimaryKey,
} from '../src/adapters/db/schema-helpers.js';

const TABLES = [
  'watch_hosts',
  'competitors',
  'market_topics',
  'watch_sources',
  'watch_selectors',
  'watch_fetch_log',
  'watch_snapshots',
  'watch_feed_items',
  'watch_changes',
  'watch_alerts',
  'alert_preferences',
] as const;

const CHANGE_KINDS = [
  'new_post',
  'price_change',
  'product_added',
  'product_removed',
  'availability_change',
  'text_change',
] as const;
const SIGNIFICANCE = ['low', 'medium', 'high'] as const;

export async function up(knex: Knex): Promise<void> {
  // Per-host politeness shared by every tenant watching the same site: one fetch at a time per host, with a delay.
  // Deliberately NOT tenant-scoped: it holds no tenant data (host names and timing only), so no row-level security.
  await knex.schema.createTable('watch_hosts', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('host', 253).notNullable().unique(); // lower-cased host name (with :port when not default)
    t.integer('crawl_delay_ms').notNullable().defaultTo(2000);
    t.check('crawl_delay_ms >= 0', [], 'watch_hosts_crawl_delay_check');
    t.integer('max_concurrency').notNullable().defaultTo(1);
    t.check('max_concurrency >= 1', [], 'watch_hosts_max_concurrency_check');
    t.timestamp('last_fetch_at', { useTz: true });
    t.timestamp('next_fetch_at', { useTz: true }); // earliest moment the next request to this host may start
    // Lease held by the worker currently fetching from this host (concurrency 1 across worker processes).
    t.string('lease_owner', 128);
    t.timestamp('lease_expires_at', { useTz: true });
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('backoff_until', { useTz: true });
    t.timestamp('robots_checked_at', { useTz: true });
    timestamps(t, knex);
  });

  // A competitor a tenant keeps an eye on.
  await createTenantTable(knex, 'competitors', (t) => {
    t.string('name', 200).notNullable();
    t.string('website', 2048);
    t.text('notes').notNullable().defaultTo('');
    t.boolean('active').notNullable().defaultTo(true);
    t.unique(['tenant_id', 'name'], { indexName: 'competitors_tenant_name_unique' });
  });

  // V2: broader market watch (topics beyond direct competitors); its sources are watch_sources rows.
  await createTenantTable(knex, 'market_topics', (t) => {
    t.string('topic', 200).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.specificType('keywords', 'text[]').notNullable().defaultTo('{}');
    t.specificType('excluded_keywords', 'text[]').notNullable().defaultTo('{}');
    t.specificType('source_kinds', 'text[]').notNullable().defaultTo('{}'); // e.g. news, rss, social, search
    t.string('country', 2);
    localeColumn(t, knex);
    t.boolean('active').notNullable().defaultTo(true);
    t.unique(['tenant_id', 'topic'], { indexName: 'market_topics_tenant_topic_unique' });
  });

  // What is polled: an RSS/Atom feed or a web page, for a competitor (V1) or a market topic (V2).
  await createTenantTable(knex, 'watch_sources', (t) => {
    t.uuid('competitor_id').references('id').inTable('competitors').onDelete('CASCADE').index();
    t.uuid('market_topic_id').references('id').inTable('market_topics').onDelete('CASCADE').index();
    t.string('kind', 8).notNullable();
    checkIn(t, 'kind', ['rss', 'page']);
    t.string('url', 2048).notNullable();
    t.string('host', 253).notNullable().index(); // joins watch_hosts.host (politeness); not a FK on purpose
    t.string('discovered_from_url', 2048); // the page whose <link rel="alternate"> pointed at this feed
    t.string('resolved_url', 2048); // final URL after redirects, last poll
    t.string('title', 500);
    // Pages: the whole page text, or only the fields of watch_selectors. Ignored for feeds.
    t.string('extract_mode', 16).notNullable().defaultTo('full_text');
    checkIn(t, 'extract_mode', ['full_text', 'selectors']);
    t.integer('interval_minutes').notNullable().defaultTo(360);
    t.check('interval_minutes > 0', [], 'watch_sources_interval_check');
    // Conditional GET
    t.string('etag', 512);
    t.string('last_modified', 64); // raw Last-Modified header value, sent back as If-Modified-Since
    t.string('last_content_hash', 64); // sha256 hex of the extracted content
    t.timestamp('last_polled_at', { useTz: true });
    t.timestamp('last_changed_at', { useTz: true });
    t.timestamp('next_poll_at', { useTz: true });
    t.smallint('last_http_status');
    // Health
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.check('consecutive_failures >= 0', [], 'watch_sources_failures_check');
    t.string('health', 16).notNullable().defaultTo('healthy');
    checkIn(t, 'health', ['healthy', 'degraded', 'unhealthy']);
    t.string('last_error_code', 64); // e.g. watch.fetchTimeout, watch.selectorMissing, watch.ssrfBlocked
    t.text('last_error_message');
    t.timestamp('last_error_at', { useTz: true });
    t.boolean('active').notNullable().defaultTo(true);
    t.check(
      '(competitor_id IS NOT NULL AND market_topic_id IS NULL) OR (competitor_id IS NULL AND market_topic_id IS NOT NULL)',
      [],
      'watch_sources_owner_check',
    );
    t.unique(['tenant_id', 'kind', 'url'], { indexName: 'watch_sources_tenant_kind_url_unique' });
  });
  // The scheduler's query: active sources due for a poll.
  await knex.raw('CREATE INDEX watch_sources_due_idx ON watch_sources (next_poll_at) WHERE active');

  // CSS selectors of a page source (price, product name, availability, product list, text block).
  await createTenantTable(knex, 'watch_selectors', (t) => {
    t.uuid('source_id').notNullable().references('id').inTable('watch_sources').onDelete('CASCADE');
    t.string('field', 24).notNullable();
    checkIn(t, 'field', ['price', 'product_name', 'availability', 'product_list', 'text']);
    t.string('selector', 1000).notNullable();
    t.string('attribute', 100); // read an attribute (e.g. content, data-price) instead of the element's text
    t.boolean('multiple').notNullable().defaultTo(false); // product lists: every match, not the first one
    t.timestamp('last_matched_at', { useTz: true });
    t.timestamp('missing_since', { useTz: true }); // set when the selector stops matching (page redesign)
    t.unique(['source_id', 'field'], { indexName: 'watch_selectors_source_field_unique' });
  });

  // One row per poll: health history shown to the client and conditional-GET savings (bytes saved).
  await createTenantTable(knex, 'watch_fetch_log', (t) => {
    t.uuid('source_id').notNullable().references('id').inTable('watch_sources').onDelete('CASCADE');
    t.timestamp('fetched_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('outcome', 16).notNullable();
    checkIn(t, 'outcome', ['changed', 'unchanged', 'not_modified', 'error']);
    t.smallint('http_status');
    t.integer('bytes_received').notNullable().defaultTo(0);
    t.integer('bytes_saved').notNullable().defaultTo(0); // size of the last body not re-downloaded on a 304
    t.integer('duration_ms').notNullable().defaultTo(0);
    t.check('bytes_received >= 0 AND bytes_saved >= 0 AND duration_ms >= 0', [], 'watch_fetch_log_counters_check');
    t.smallint('redirects').notNullable().defaultTo(0);
    t.string('error_code', 64);
    t.text('error_message');
    t.index(['source_id', 'fetched_at'], 'watch_fetch_log_source_fetched_idx');
  });

  // A distinct state of a source's content, stored only when the hash changed.
  await createTenantTable(knex, 'watch_snapshots', (t) => {
    t.uuid('source_id').notNullable().references('id').inTable('watch_sources').onDelete('CASCADE');
    t.string('content_hash', 64).notNullable();
    t.text('extracted_text').notNullable().defaultTo('');
    // Open shape by nature: { price: { amount_cents, currency, raw }, products: [...], availability, ... }
    t.jsonb('extracted_fields').notNullable().defaultTo('{}');
    t.integer('bytes').notNullable().defaultTo(0);
    t.check('bytes >= 0', [], 'watch_snapshots_bytes_check');
    t.string('content_type', 255);
    t.smallint('http_status');
    t.timestamp('fetched_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()); // content reverted to this state
    t.unique(['source_id', 'content_hash'], { indexName: 'watch_snapshots_source_hash_unique' });
    t.index(['source_id', 'fetched_at'], 'watch_snapshots_source_fetched_idx');
  });

  // Entries seen in a feed (guid), so that only genuinely new posts become changes.
  await createTenantTable(knex, 'watch_feed_items', (t) => {
    t.uuid('source_id').notNullable().references('id').inTable('watch_sources').onDelete('CASCADE');
    t.string('guid', 1024).notNullable();
    t.string('url', 2048);
    t.string('title', 1000);
    t.text('summary');
    t.timestamp('published_at', { useTz: true });
    t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['source_id', 'guid'], { indexName: 'watch_feed_items_source_guid_unique' });
  });

  // A classified change between two snapshots (or a new feed entry).
  await createTenantTable(knex, 'watch_changes', (t) => {
    t.uuid('source_id').notNullable().references('id').inTable('watch_sources').onDelete('CASCADE').index();
    t.uuid('competitor_id').references('id').inTable('competitors').onDelete('CASCADE').index(); // denormalised
    t.uuid('previous_snapshot_id').references('id').inTable('watch_snapshots').onDelete('SET NULL');
    t.uuid('new_snapshot_id').references('id').inTable('watch_snapshots').onDelete('SET NULL');
    t.uuid('feed_item_id').references('id').inTable('watch_feed_items').onDelete('SET NULL');
    t.string('kind', 24).notNullable();
    checkIn(t, 'kind', CHANGE_KINDS);
    // Idempotency of detection: the same change is never recorded twice for a source (worker crash, re-poll).
    t.string('fingerprint', 64).notNullable();
    t.string('product_name', 500); // the product concerned (price, availability, added/removed)
    t.integer('old_price_cents');
    t.integer('new_price_cents');
    t.string('currency', 3);
    t.integer('price_change_bp'); // (new - old) / old in basis points, negative when the price drops
    t.string('old_value', 500); // e.g. availability before/after
    t.string('new_value', 500);
    t.string('title', 1000);
    t.string('url', 2048);
    t.text('diff_text'); // readable unified diff for text changes
    t.string('significance', 8).notNullable().defaultTo('medium');
    checkIn(t, 'significance', SIGNIFICANCE);
    // AI summary (scraped text is untrusted input; the summary is generated through the gateway)
    t.text('summary');
    t.string('summary_status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'summary_status', ['pending', 'ready', 'failed', 'skipped']);
    t.uuid('summary_ai_call_id').references('id').inTable('ai_calls').onDelete('SET NULL');
    localeColumn(t, knex);
    // "Respond": the studio content created to answer this change
    t.uuid('responded_content_id').references('id').inTable('contents').onDelete('SET NULL');
    t.uuid('responded_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('responded_at', { useTz: true });
    t.timestamp('dismissed_at', { useTz: true });
    t.timestamp('detected_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['source_id', 'fingerprint'], { indexName: 'watch_changes_source_fingerprint_unique' });
    t.index(['tenant_id', 'detected_at'], 'watch_changes_tenant_detected_idx');
    t.check(
      "kind <> 'price_change' OR (old_price_cents IS NOT NULL AND new_price_cents IS NOT NULL AND currency IS NOT NULL)",
      [],
      'watch_changes_price_fields_check',
    );
    t.check(
      '(old_price_cents IS NULL OR old_price_cents >= 0) AND (new_price_cents IS NULL OR new_price_cents >= 0)',
      [],
      'watch_changes_price_positive_check',
    );
    t.check("currency IS NULL OR currency ~ '^[A-Z]{3}$'", [], 'watch_changes_currency_check');
  });

  // A change notified to one user, in the portal or by email (immediately or in the daily digest).
  await createTenantTable(knex, 'watch_alerts', (t) => {
    t.uuid('change_id').notNullable().references('id').inTable('watch_changes').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('channel', 8).notNullable();
    checkIn(t, 'channel', ['portal', 'email']);
    t.timestamp('read_at', { useTz: true });
    t.timestamp('email_due_at', { useTz: true }); // when the (immediate or digest) email should go out
    t.timestamp('emailed_at', { useTz: true });
    t.unique(['change_id', 'user_id', 'channel'], { indexName: 'watch_alerts_change_user_channel_unique' });
  });
  // Unread count in the navigation, and the digest job's queue.
  await knex.raw(
    "CREATE INDEX watch_alerts_unread_idx ON watch_alerts (tenant_id, user_id) WHERE read_at IS NULL AND channel = 'portal'",
  );
  await knex.raw(
    "CREATE INDEX watch_alerts_email_due_idx ON watch_alerts (email_due_at) WHERE emailed_at IS NULL AND channel = 'email'",
  );

  // Per user and tenant, per change kind: how alerts are e-mailed. No row = defaults
  // (immediate for price changes, daily digest otherwise).
  await createTenantTable(knex, 'alert_preferences', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('change_kind', 24).notNullable();
    checkIn(t, 'change_kind', CHANGE_KINDS);
    t.string('email_frequency', 16).notNullable().defaultTo('daily');
    checkIn(t, 'email_frequency', ['immediate', 'daily', 'off']);
    t.boolean('portal_enabled').notNullable().defaultTo(true);
    t.string('min_significance', 8).notNullable().defaultTo('low');
    checkIn(t, 'min_significance', SIGNIFICANCE);
    t.unique(['tenant_id', 'user_id', 'change_kind'], { indexName: 'alert_preferences_tenant_user_kind_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, TABLES);
}
