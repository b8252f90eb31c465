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
 * Publishing: platform connectors, channel accounts, exactly-once publications (idempotency key + outbox),
 * sandbox deliveries, contacts and consent, lists, newsletter, SMS, V2 email sequences, forms and CRM,
 * and UTM tracking (short links, clicks, conversions).
 */
const TABLES = [
  'platform_connectors',
  'channel_accounts',
  'publications',
  'outbox_messages',
  'sandbox_deliveries',
  'contact_lists',
  'contact_imports',
  'contacts',
  'contact_consent_events',
  'contact_list_members',
  'segments',
  'newsletters',
  'newsletter_recipients',
  'sms_campaigns',
  'sms_messages',
  'inbound_sms',
  'forms',
  'form_submissions',
  'email_sequences',
  'email_sequence_steps',
  'email_sequence_enrolments',
  'email_sequence_deliveries',
  'short_links',
  'short_link_clicks',
  'conversions',
  'crm_connections',
  'crm_sync_log',
] as const;

const SOCIAL_CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business'] as const;
const CHANNELS = [...SOCIAL_CHANNELS, 'blog', 'newsletter', 'sms'] as const;
const CONSENT_SOURCES = ['form', 'import', 'manual', 'double_opt_in', 'api', 'crm', 'sms_keyword'] as const;
const E164 = `'^\\+[1-9][0-9]{6,14}$'`;

function inList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

/** Consent columns for one medium (email or sms): given or not, and the proof of it. */
function consentColumns(t: Knex.CreateTableBuilder, medium: 'email' | 'sms'): void {
  t.boolean(`${medium}_consent`).notNullable().defaultTo(false);
  t.string(`${medium}_consent_source`, 16);
  t.check(
    `${medium}_consent_source IS NULL OR ${medium}_consent_source IN (${inList(CONSENT_SOURCES)})`,
    [],
    `contacts_${medium}_consent_source_check`,
  );
  t.timestamp(`${medium}_consent_at`, { useTz: true });
  t.specificType(`${medium}_consent_ip`, 'inet');
  t.text(`${medium}_consent_proof`); // wording shown, form/page, import file reference…
  t.check(
    `NOT ${medium}_consent OR (${medium}_consent_at IS NOT NULL AND ${medium}_consent_source IS NOT NULL)`,
    [],
    `contacts_${medium}_consent_proof_check`,
  );
}

export async function up(knex: Knex): Promise<void> {
  // Platform-level provider settings (OAuth apps, SMS and SMTP accounts, payment). Not tenant-scoped:
  // read and written in the platform context only. A distributor may bring its own (V2, white label).
  await knex.schema.createTable('platform_connectors', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('kind', 24).notNullable();
    checkIn(t, 'kind', [...SOCIAL_CHANNELS, 'sms_brevo', 'sms_twilio', 'smtp', 'stripe']);
    t.string('name', 200).notNullable();
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE').index();
    t.jsonb('settings').notNullable().defaultTo('{}'); // non-secret: client id, host, port, sender, rate…
    t.check(`jsonb_typeof(settings) = 'object'`, [], 'platform_connectors_settings_object');
    t.text('secrets_encrypted'); // AES-GCM envelope of the secret fields
    t.boolean('active').notNullable().defaultTo(false);
    t.boolean('is_default').notNullable().defaultTo(false);
    t.timestamp('last_tested_at', { useTz: true });
    t.string('last_test_result', 8);
    t.check(`last_test_result IS NULL OR last_test_result IN ('ok', 'failed')`, [], 'platform_connectors_test_result_check');
    t.text('last_test_message');
    timestamps(t, knex);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX platform_connectors_name_unique ON platform_connectors (distributor_id, kind, name) NULLS NOT DISTINCT`,
  );
  await knex.raw(
    `CREATE UNIQUE INDEX platform_connectors_one_default ON platform_connectors (distributor_id, kind) NULLS NOT DISTINCT WHERE is_default`,
  );

  // A tenant's connected social account.
  await createTenantTable(knex, 'channel_accounts', (t) => {
    t.string('channel', 24).notNullable();
    checkIn(t, 'channel', SOCIAL_CHANNELS);
    t.uuid('platform_connector_id').references('id').inTable('platform_connectors').onDelete('SET NULL');
    t.string('external_account_id', 255).notNullable();
    t.string('account_type', 24); // page, organization, profile, business_location…
    t.string('display_name', 255).notNullable();
    t.string('avatar_url', 2048);
    t.text('credentials_encrypted'); // access + refresh tokens, encrypted
    t.timestamp('token_expires_at', { useTz: true });
    t.timestamp('refresh_token_expires_at', { useTz: true });
    t.specificType('scopes', 'text[]').notNullable().defaultTo('{}');
    t.string('status', 16).notNullable().defaultTo('connected');
    checkIn(t, 'status', ['connected', 'expired', 'revoked', 'error']);
    t.boolean('sandbox').notNullable().defaultTo(false);
    t.string('last_error_code', 100);
    t.text('last_error_message');
    t.uuid('connected_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('connected_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_refreshed_at', { useTz: true });
    t.unique(['tenant_id', 'channel', 'external_account_id'], { indexName: 'channel_accounts_external_unique' });
  });

  // One publication of a content on one account. Exactly once: the idempotency key goes to the provider
  // (or is checked against it) and the outbox message that triggers the send is written in the same transaction.
  await createTenantTable(knex, 'publications', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE');
    t.uuid('content_version_id').notNullable().references('id').inTable('content_versions');
    t.uuid('channel_account_id').notNullable().references('id').inTable('channel_accounts').index();
    t.uuid('calendar_slot_id').references('id').inTable('calendar_slots').onDelete('SET NULL');
    t.string('idempotency_key', 128).notNullable().unique();
    t.string('status', 16).notNullable().defaultTo('queued');
    checkIn(t, 'status', ['queued', 'sending', 'sent', 'failed', 'cancelled']);
    t.boolean('sandbox').notNullable().defaultTo(false);
    t.timestamp('scheduled_for', { useTz: true }).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable().defaultTo(5);
    t.timestamp('next_attempt_at', { useTz: true });
    t.string('external_post_id', 255);
    t.string('external_url', 2048);
    t.string('error_kind', 16);
    t.check(`error_kind IS NULL OR error_kind IN ('temporary', 'permanent')`, [], 'publications_error_kind_check');
    t.string('error_code', 100);
    t.text('error_message');
    t.timestamp('sent_at', { useTz: true });
    t.check(`status <> 'sent' OR sent_at IS NOT NULL`, [], 'publications_sent_at_check');
    t.check('attempts >= 0', [], 'publications_attempts_check');
    t.unique(['content_id', 'channel_account_id'], { indexName: 'publications_content_account_unique' });
  });
  await knex.raw(
    `CREATE INDEX publications_due_index ON publications (next_attempt_at) WHERE status IN ('queued', 'sending')`,
  );

  // Transactional outbox: written with the business change, relayed by the worker, at most once per key.
  await createTenantTable(knex, 'outbox_messages', (t) => {
    t.string('kind', 100).notNullable(); // publishing:publish, newsletter:send-batch, sms:send…
    t.string('aggregate_type', 64);
    t.uuid('aggregate_id');
    t.jsonb('payload').notNullable().defaultTo('{}');
    t.string('idempotency_key', 128).notNullable().unique();
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'processing', 'done', 'failed', 'dead']);
    t.timestamp('available_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('locked_until', { useTz: true });
    t.string('locked_by', 128);
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable().defaultTo(8);
    t.text('last_error');
    t.timestamp('processed_at', { useTz: true });
  });
  await knex.raw(
    `CREATE INDEX outbox_messages_pending_index ON outbox_messages (available_at) WHERE status IN ('pending', 'processing')`,
  );

  // What a sandbox adapter would have sent (shown in the UI; used by the tests).
  await createTenantTable(knex, 'sandbox_deliveries', (t) => {
    t.string('channel', 24).notNullable();
    checkIn(t, 'channel', [...CHANNELS, 'email']);
    t.uuid('channel_account_id').references('id').inTable('channel_accounts').onDelete('SET NULL');
    t.uuid('publication_id').references('id').inTable('publications').onDelete('SET NULL');
    t.string('recipient', 320); // account, phone or email
    t.jsonb('payload').notNullable(); // the request the real adapter would have made
    t.string('fake_external_id', 128).notNullable();
    t.index(['tenant_id', 'created_at'], 'sandbox_deliveries_tenant_created_index');
  });

  // ---- Contacts and consent ----

  await createTenantTable(knex, 'contact_lists', (t) => {
    t.string('name', 200).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.boolean('double_opt_in').notNullable().defaultTo(true);
    t.boolean('is_default').notNullable().defaultTo(false);
    t.timestamp('archived_at', { useTz: true });
    localeColumn(t, knex);
  });
  await knex.raw('CREATE UNIQUE INDEX contact_lists_tenant_name_unique ON contact_lists (tenant_id, lower(name))');

  await createTenantTable(knex, 'contact_imports', (t) => {
    t.string('original_filename', 255).notNullable();
    t.string('storage_key', 1024);
    t.bigInteger('size_bytes').notNullable().defaultTo(0);
    t.uuid('list_id').references('id').inTable('contact_lists').onDelete('SET NULL');
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'validating', 'importing', 'completed', 'failed']);
    t.jsonb('column_mapping').notNullable().defaultTo('{}');
    t.string('consent_basis', 16); // what the uploader declares about the file's consent
    t.check(`consent_basis IS NULL OR consent_basis IN ('email', 'sms', 'both', 'none')`, [], 'contact_imports_consent_basis_check');
    t.text('consent_proof');
    t.integer('total_rows').notNullable().defaultTo(0);
    t.integer('imported_count').notNullable().defaultTo(0);
    t.integer('updated_count').notNullable().defaultTo(0);
    t.integer('rejected_count').notNullable().defaultTo(0);
    t.jsonb('rejected_rows').notNullable().defaultTo('[]'); // [{ line, reason, values }]
    t.string('error_code', 100);
    t.text('error_message');
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('completed_at', { useTz: true });
  });

  await createTenantTable(knex, 'contacts', (t) => {
    t.string('email', 320);
    t.check(`email IS NULL OR position('@' in email) > 1`, [], 'contacts_email_format');
    t.string('phone_e164', 16);
    t.check(`phone_e164 IS NULL OR phone_e164 ~ ${E164}`, [], 'contacts_phone_format');
    t.check('email IS NOT NULL OR phone_e164 IS NOT NULL', [], 'contacts_reachable_check');
    t.string('first_name', 100);
    t.string('last_name', 100);
    t.string('company', 200);
    localeColumn(t, knex);
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'unsubscribed', 'bounced', 'complained']);
    consentColumns(t, 'email');
    consentColumns(t, 'sms');
    t.string('double_opt_in_token_hash', 64).unique();
    t.timestamp('double_opt_in_sent_at', { useTz: true });
    t.timestamp('double_opt_in_confirmed_at', { useTz: true });
    t.timestamp('unsubscribed_at', { useTz: true });
    t.timestamp('sms_opted_out_at', { useTz: true }); // STOP
    t.timestamp('hard_bounced_at', { useTz: true });
    t.timestamp('complained_at', { useTz: true });
    t.string('source', 16).notNullable().defaultTo('manual');
    checkIn(t, 'source', ['manual', 'import', 'form', 'api', 'crm']);
    t.uuid('import_id').references('id').inTable('contact_imports').onDelete('SET NULL');
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('attributes').notNullable().defaultTo('{}'); // custom fields: open shape
  });
  await knex.raw('CREATE UNIQUE INDEX contacts_tenant_email_unique ON contacts (tenant_id, lower(email)) WHERE email IS NOT NULL');
  await knex.raw('CREATE UNIQUE INDEX contacts_tenant_phone_unique ON contacts (tenant_id, phone_e164) WHERE phone_e164 IS NOT NULL');

  // Append-only consent history: every grant, confirmation, withdrawal, bounce or complaint.
  await createTenantTable(knex, 'contact_consent_events', (t) => {
    t.uuid('contact_id').notNullable().references('id').inTable('contacts').onDelete('CASCADE').index();
    t.string('medium', 8).notNullable();
    checkIn(t, 'medium', ['email', 'sms']);
    t.string('action', 16).notNullable();
    checkIn(t, 'action', ['granted', 'confirmed', 'withdrawn', 'bounced', 'complained']);
    t.string('source', 24).notNullable(); // form, import, double_opt_in, unsubscribe_link, stop_reply, admin…
    t.specificType('ip', 'inet');
    t.string('user_agent', 512);
    t.text('proof');
    t.uuid('actor_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`
    CREATE TRIGGER contact_consent_events_append_only BEFORE UPDATE ON contact_consent_events FOR EACH ROW
    EXECUTE FUNCTION immutable_columns_guard('tenant_id', 'contact_id', 'medium', 'action', 'source', 'ip',
      'user_agent', 'proof', 'occurred_at', 'created_at')`);

  await createTenantTable(knex, 'contact_list_members', (t) => {
    t.uuid('list_id').notNullable().references('id').inTable('contact_lists').onDelete('CASCADE');
    t.uuid('contact_id').notNullable().references('id').inTable('contacts').onDelete('CASCADE').index();
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'subscribed', 'unsubscribed']);
    t.timestamp('subscribed_at', { useTz: true });
    t.timestamp('unsubscribed_at', { useTz: true });
    t.unique(['list_id', 'contact_id'], { indexName: 'contact_list_members_unique' });
  });

  // V2: dynamic segments (rules evaluated over contacts and their activity).
  await createTenantTable(knex, 'segments', (t) => {
    t.string('name', 200).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.jsonb('rules').notNullable().defaultTo('{}');
    t.integer('member_count');
    t.timestamp('last_computed_at', { useTz: true });
    localeColumn(t, knex);
  });

  // ---- Newsletter ----

  await createTenantTable(knex, 'newsletters', (t) => {
    t.uuid('content_id').notNullable().references('id').inTable('contents').onDelete('CASCADE').index(); // channel = newsletter
    t.uuid('content_version_id').references('id').inTable('content_versions');
    t.uuid('list_id').references('id').inTable('contact_lists').onDelete('SET NULL');
    t.uuid('segment_id').references('id').inTable('segments').onDelete('SET NULL');
    t.uuid('platform_connector_id').references('id').inTable('platform_connectors').onDelete('SET NULL');
    t.string('subject', 300).notNullable();
    t.string('preheader', 300).notNullable().defaultTo('');
    t.string('from_name', 200);
    t.string('from_email', 320);
    t.string('reply_to', 320);
    t.text('rendered_html'); // frozen when sending starts
    t.text('rendered_text');
    t.string('status', 16).notNullable().defaultTo('draft');
    checkIn(t, 'status', ['draft', 'scheduled', 'sending', 'sent', 'cancelled', 'failed']);
    t.timestamp('scheduled_at', { useTz: true });
    t.timestamp('started_at', { useTz: true });
    t.timestamp('sent_at', { useTz: true });
    t.integer('rate_per_minute').notNullable().defaultTo(60);
    t.check('rate_per_minute > 0', [], 'newsletters_rate_check');
    t.integer('recipient_count').notNullable().defaultTo(0);
    t.integer('sent_count').notNullable().defaultTo(0);
    t.integer('failed_count').notNullable().defaultTo(0);
    t.integer('bounced_count').notNullable().defaultTo(0);
    t.integer('opened_count').notNullable().defaultTo(0);
    t.integer('clicked_count').notNullable().defaultTo(0);
    t.integer('unsubscribed_count').notNullable().defaultTo(0);
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    localeColumn(t, knex);
  });

  await createTenantTable(knex, 'newsletter_recipients', (t) => {
    t.uuid('newsletter_id').notNullable().references('id').inTable('newsletters').onDelete('CASCADE');
    t.uuid('contact_id').notNullable().references('id').inTable('contacts').onDelete('CASCADE').index();
    t.string('email', 320).notNullable(); // address used for this send
    t.string('status', 16).notNullable().defaultTo('queued');
    checkIn(t, 'status', ['queued', 'sent', 'failed', 'bounced', 'opened', 'clicked', 'unsubscribed']);
    t.string('message_id', 255); // SMTP Message-ID
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('bounce_type', 8);
    t.check(`bounce_type IS NULL OR bounce_type IN ('hard', 'soft')`, [], 'newsletter_recipients_bounce_type_check');
    t.string('error_code', 100);
    t.text('error_message');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('opened_at', { useTz: true });
    t.timestamp('clicked_at', { useTz: true });
    t.timestamp('bounced_at', { useTz: true });
    t.timestamp('unsubscribed_at', { useTz: true });
    t.unique(['newsletter_id', 'contact_id'], { indexName: 'newsletter_recipients_unique' });
  });
  await knex.raw(`CREATE INDEX newsletter_recipients_queued_index ON newsletter_recipients (newsletter_id) WHERE status = 'queued'`);

  // ---- SMS ----

  await createTenantTable(knex, 'sms_campaigns', (t) => {
    t.string('name', 200).notNullable();
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL').index(); // channel = sms
    t.uuid('content_version_id').references('id').inTable('content_versions').onDelete('SET NULL');
    t.uuid('list_id').references('id').inTable('contact_lists').onDelete('SET NULL');
    t.uuid('segment_id').references('id').inTable('segments').onDelete('SET NULL');
    t.uuid('platform_connector_id').references('id').inTable('platform_connectors').onDelete('SET NULL');
    t.string('sender_id', 11).notNullable(); // alphanumeric sender shown to recipients (operators' rule: name the sender)
    t.text('body').notNullable(); // frozen text, including the free STOP mention
    t.string('encoding', 8).notNullable().defaultTo('gsm7');
    checkIn(t, 'encoding', ['gsm7', 'ucs2']);
    t.integer('segments_per_message').notNullable().defaultTo(1);
    t.check('segments_per_message >= 1', [], 'sms_campaigns_segments_check');
    t.string('status', 16).notNullable().defaultTo('draft');
    checkIn(t, 'status', ['draft', 'scheduled', 'sending', 'sent', 'cancelled', 'failed']);
    t.timestamp('scheduled_at', { useTz: true });
    t.timestamp('started_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true });
    t.integer('recipient_count').notNullable().defaultTo(0);
    t.integer('sent_count').notNullable().defaultTo(0);
    t.integer('delivered_count').notNullable().defaultTo(0);
    t.integer('failed_count').notNullable().defaultTo(0);
    t.integer('blocked_count').notNullable().defaultTo(0);
    t.integer('deferred_count').notNullable().defaultTo(0);
    t.bigInteger('cost_estimate_micros').notNullable().defaultTo(0);
    t.string('currency', 3).notNullable().defaultTo('EUR');
    t.check(`currency ~ '^[A-Z]{3}$'`, [], 'sms_campaigns_currency_format');
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    localeColumn(t, knex);
  });

  await createTenantTable(knex, 'sms_messages', (t) => {
    t.uuid('sms_campaign_id').references('id').inTable('sms_campaigns').onDelete('CASCADE');
    t.uuid('contact_id').references('id').inTable('contacts').onDelete('CASCADE').index();
    t.string('to_phone', 16).notNullable();
    t.check(`to_phone ~ ${E164}`, [], 'sms_messages_to_phone_format');
    t.string('sender_id', 11);
    t.text('body').notNullable();
    t.integer('segments').notNullable().defaultTo(1);
    t.check('segments >= 1', [], 'sms_messages_segments_check');
    t.string('encoding', 8).notNullable().defaultTo('gsm7');
    checkIn(t, 'encoding', ['gsm7', 'ucs2']);
    t.bigInteger('cost_estimate_micros').notNullable().defaultTo(0);
    t.string('status', 24).notNullable().defaultTo('queued');
    checkIn(t, 'status', ['queued', 'sent', 'delivered', 'failed', 'blocked_consent', 'deferred_quiet_hours']);
    t.timestamp('scheduled_for', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('idempotency_key', 128).notNullable().unique();
    t.string('provider', 16);
    t.check(`provider IS NULL OR provider IN ('brevo', 'twilio', 'sandbox')`, [], 'sms_messages_provider_check');
    t.string('provider_message_id', 128);
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('error_code', 100);
    t.text('error_message');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('delivered_at', { useTz: true });
    localeColumn(t, knex);
    t.unique(['sms_campaign_id', 'contact_id'], { indexName: 'sms_messages_campaign_contact_unique' });
  });
  await knex.raw(
    `CREATE INDEX sms_messages_due_index ON sms_messages (scheduled_for) WHERE status IN ('queued', 'deferred_quiet_hours')`,
  );
  await knex.raw(
    `CREATE UNIQUE INDEX sms_messages_provider_id_unique ON sms_messages (provider, provider_message_id) WHERE provider_message_id IS NOT NULL`,
  );

  // Replies received (STOP and others), honoured at once.
  await createTenantTable(knex, 'inbound_sms', (t) => {
    t.string('from_phone', 16).notNullable();
    t.string('to_number', 32); // short code, long number or sender
    t.text('body').notNullable();
    t.string('keyword', 16); // normalised first word: STOP, ARRET, UNSUBSCRIBE…
    t.uuid('contact_id').references('id').inTable('contacts').onDelete('SET NULL');
    t.uuid('sms_message_id').references('id').inTable('sms_messages').onDelete('SET NULL');
    t.string('provider', 16).notNullable();
    checkIn(t, 'provider', ['brevo', 'twilio', 'sandbox']);
    t.string('provider_message_id', 128);
    t.string('action_taken', 16).notNullable().defaultTo('none');
    checkIn(t, 'action_taken', ['none', 'opted_out', 'opted_in']);
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('processed_at', { useTz: true });
  });
  await knex.raw(
    `CREATE UNIQUE INDEX inbound_sms_provider_id_unique ON inbound_sms (provider, provider_message_id) WHERE provider_message_id IS NOT NULL`,
  );

  // ---- V2: forms, email sequences ----

  await createTenantTable(knex, 'forms', (t) => {
    t.string('name', 200).notNullable();
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['draft', 'active', 'archived']);
    t.jsonb('fields').notNullable().defaultTo('[]'); // field definitions: open shape
    t.uuid('list_id').references('id').inTable('contact_lists').onDelete('SET NULL');
    t.uuid('landing_page_id').references('id').inTable('landing_pages').onDelete('SET NULL');
    t.boolean('double_opt_in').notNullable().defaultTo(true);
    t.text('consent_text').notNullable().defaultTo('');
    t.text('success_message').notNullable().defaultTo('');
    localeColumn(t, knex);
  });

  await createTenantTable(knex, 'form_submissions', (t) => {
    t.uuid('form_id').notNullable().references('id').inTable('forms').onDelete('CASCADE').index();
    t.uuid('contact_id').references('id').inTable('contacts').onDelete('SET NULL');
    t.uuid('landing_page_id').references('id').inTable('landing_pages').onDelete('SET NULL');
    t.uuid('landing_page_variant_id').references('id').inTable('landing_page_variants').onDelete('SET NULL');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.boolean('consent_given').notNullable().defaultTo(false);
    t.specificType('ip', 'inet'); // consent proof
    t.string('user_agent', 512);
    t.string('utm_source', 100);
    t.string('utm_medium', 100);
    t.string('utm_campaign', 100);
    t.string('utm_content', 100);
    t.string('utm_term', 100);
    t.boolean('is_spam').notNullable().defaultTo(false);
    t.timestamp('submitted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('crm_synced_at', { useTz: true });
  });

  await createTenantTable(knex, 'email_sequences', (t) => {
    t.string('name', 200).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.string('status', 16).notNullable().defaultTo('draft');
    checkIn(t, 'status', ['draft', 'active', 'paused', 'archived']);
    t.string('trigger_kind', 24).notNullable().defaultTo('manual');
    checkIn(t, 'trigger_kind', ['manual', 'list_joined', 'form_submitted', 'segment_entered', 'tag_added']);
    t.uuid('trigger_list_id').references('id').inTable('contact_lists').onDelete('SET NULL');
    t.uuid('trigger_form_id').references('id').inTable('forms').onDelete('SET NULL');
    t.uuid('trigger_segment_id').references('id').inTable('segments').onDelete('SET NULL');
    t.string('trigger_tag', 100);
    t.uuid('platform_connector_id').references('id').inTable('platform_connectors').onDelete('SET NULL');
    t.uuid('created_by').references('id').inTable('users').onDelete('SET NULL');
    localeColumn(t, knex);
  });

  await createTenantTable(knex, 'email_sequence_steps', (t) => {
    t.uuid('sequence_id').notNullable().references('id').inTable('email_sequences').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.check('position >= 1', [], 'email_sequence_steps_position_check');
    t.integer('delay_minutes').notNullable().defaultTo(0); // after the previous step (or enrolment)
    t.check('delay_minutes >= 0', [], 'email_sequence_steps_delay_check');
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL');
    t.string('subject', 300).notNullable();
    t.string('preheader', 300).notNullable().defaultTo('');
    t.boolean('active').notNullable().defaultTo(true);
    localeColumn(t, knex);
    t.unique(['sequence_id', 'position'], { indexName: 'email_sequence_steps_position_unique' });
  });

  await createTenantTable(knex, 'email_sequence_enrolments', (t) => {
    t.uuid('sequence_id').notNullable().references('id').inTable('email_sequences').onDelete('CASCADE');
    t.uuid('contact_id').notNullable().references('id').inTable('contacts').onDelete('CASCADE').index();
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'completed', 'exited', 'unsubscribed', 'failed']);
    t.integer('next_step_position');
    t.timestamp('next_send_at', { useTz: true });
    t.timestamp('enrolled_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true });
    t.timestamp('exited_at', { useTz: true });
    t.string('exit_reason', 100);
    t.unique(['sequence_id', 'contact_id'], { indexName: 'email_sequence_enrolments_unique' });
  });
  await knex.raw(
    `CREATE INDEX email_sequence_enrolments_due_index ON email_sequence_enrolments (next_send_at) WHERE status = 'active'`,
  );

  // One email of one step to one enrolled contact: exactly once per (enrolment, step).
  await createTenantTable(knex, 'email_sequence_deliveries', (t) => {
    t.uuid('enrolment_id').notNullable().references('id').inTable('email_sequence_enrolments').onDelete('CASCADE');
    t.uuid('step_id').notNullable().references('id').inTable('email_sequence_steps').onDelete('CASCADE');
    t.string('status', 16).notNullable().defaultTo('queued');
    checkIn(t, 'status', ['queued', 'sent', 'failed', 'bounced', 'opened', 'clicked', 'unsubscribed']);
    t.string('message_id', 255);
    t.string('error_code', 100);
    t.text('error_message');
    t.timestamp('sent_at', { useTz: true });
    t.unique(['enrolment_id', 'step_id'], { indexName: 'email_sequence_deliveries_unique' });
  });

  // ---- UTM tracking (V1) ----

  // A tenant short link /r/<code>: the code is unique across the platform (resolved in the platform context).
  await createTenantTable(knex, 'short_links', (t) => {
    t.string('code', 32).notNullable().unique();
    t.check(`code ~ '^[A-Za-z0-9_-]{4,32}$'`, [], 'short_links_code_format');
    t.text('original_url').notNullable();
    t.text('target_url').notNullable(); // original URL with UTM parameters (query and fragment kept)
    t.check(`target_url ~ '^https{0,1}://'`, [], 'short_links_target_url_scheme');
    t.string('utm_source', 100);
    t.string('utm_medium', 100);
    t.string('utm_campaign', 100);
    t.string('utm_content', 100);
    t.string('utm_term', 100);
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL').index();
    t.uuid('publication_id').references('id').inTable('publications').onDelete('SET NULL');
    t.string('channel', 24);
    t.check(`channel IS NULL OR channel IN (${inList(CHANNELS)})`, [], 'short_links_channel_check');
    t.uuid('campaign_id').references('id').inTable('campaigns').onDelete('SET NULL').index();
    t.bigInteger('click_count').notNullable().defaultTo(0); // human clicks (bots excluded)
    t.timestamp('last_clicked_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('disabled_at', { useTz: true });
  });
  // Idempotent tagging: the same link in the same content for the same channel is wrapped once.
  await knex.raw(
    `CREATE UNIQUE INDEX short_links_content_url_unique ON short_links (tenant_id, content_id, channel, md5(original_url)) NULLS NOT DISTINCT WHERE content_id IS NOT NULL`,
  );

  // One click; no raw IP, no full user agent. visitor_hash is daily-salted and not reversible.
  await createTenantTable(knex, 'short_link_clicks', (t) => {
    t.uuid('short_link_id').notNullable().references('id').inTable('short_links').onDelete('CASCADE');
    t.timestamp('clicked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.boolean('is_bot').notNullable().defaultTo(false);
    t.string('referrer_host', 253);
    t.string('country', 2);
    t.string('device_class', 8);
    t.check(`device_class IS NULL OR device_class IN ('desktop', 'mobile', 'tablet', 'other')`, [], 'short_link_clicks_device_check');
    t.string('visitor_hash', 64);
    t.index(['short_link_id', 'clicked_at'], 'short_link_clicks_link_time_index');
    t.index(['tenant_id', 'clicked_at'], 'short_link_clicks_tenant_time_index');
  });

  // A business outcome attributed to a link, content or campaign (entered by hand, posted, or synced in V2).
  await createTenantTable(knex, 'conversions', (t) => {
    t.string('kind', 24).notNullable();
    checkIn(t, 'kind', ['purchase', 'lead', 'signup', 'booking', 'call', 'form_submission', 'custom']);
    t.string('source', 16).notNullable().defaultTo('manual');
    checkIn(t, 'source', ['manual', 'pixel', 'api', 'form', 'crm', 'ecommerce', 'pos']);
    t.bigInteger('value_cents');
    t.check('value_cents IS NULL OR value_cents >= 0', [], 'conversions_value_check');
    t.string('currency', 3).notNullable().defaultTo('EUR');
    t.check(`currency ~ '^[A-Z]{3}$'`, [], 'conversions_currency_format');
    t.string('utm_source', 100);
    t.string('utm_medium', 100);
    t.string('utm_campaign', 100);
    t.string('utm_content', 100);
    t.string('utm_term', 100);
    t.uuid('short_link_id').references('id').inTable('short_links').onDelete('SET NULL').index();
    t.uuid('content_id').references('id').inTable('contents').onDelete('SET NULL').index();
    t.uuid('campaign_id').references('id').inTable('campaigns').onDelete('SET NULL');
    t.uuid('landing_page_id').references('id').inTable('landing_pages').onDelete('SET NULL');
    t.uuid('landing_page_variant_id').references('id').inTable('landing_page_variants').onDelete('SET NULL');
    t.uuid('form_submission_id').references('id').inTable('form_submissions').onDelete('SET NULL');
    t.uuid('contact_id').references('id').inTable('contacts').onDelete('SET NULL');
    t.string('external_ref', 255); // order or lead id in the source system: idempotency
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.index(['tenant_id', 'occurred_at'], 'conversions_tenant_time_index');
  });
  await knex.raw(
    `CREATE UNIQUE INDEX conversions_external_ref_unique ON conversions (tenant_id, source, external_ref) WHERE external_ref IS NOT NULL`,
  );

  // ---- V2: CRM ----

  await createTenantTable(knex, 'crm_connections', (t) => {
    t.string('provider', 16).notNullable();
    checkIn(t, 'provider', ['hubspot', 'salesforce', 'pipedrive']);
    t.string('external_account_id', 255);
    t.string('display_name', 255);
    t.text('credentials_encrypted');
    t.timestamp('token_expires_at', { useTz: true });
    t.jsonb('settings').notNullable().defaultTo('{}'); // field mappings, pipeline, owner: open shape
    t.string('status', 16).notNullable().defaultTo('connected');
    checkIn(t, 'status', ['connected', 'expired', 'revoked', 'error']);
    t.timestamp('last_synced_at', { useTz: true });
    t.string('last_error_code', 100);
    t.text('last_error_message');
    t.uuid('connected_by').references('id').inTable('users').onDelete('SET NULL');
    t.unique(['tenant_id', 'provider'], { indexName: 'crm_connections_tenant_provider_unique' });
  });

  await createTenantTable(knex, 'crm_sync_log', (t) => {
    t.uuid('crm_connection_id').notNullable().references('id').inTable('crm_connections').onDelete('CASCADE');
    t.string('direction', 8).notNullable();
    checkIn(t, 'direction', ['push', 'pull']);
    t.string('object_type', 24).notNullable();
    checkIn(t, 'object_type', ['contact', 'form_submission', 'conversion', 'deal']);
    t.uuid('local_id');
    t.string('external_id', 255);
    t.string('status', 16).notNullable();
    checkIn(t, 'status', ['success', 'failed', 'skipped']);
    t.string('error_code', 100);
    t.text('error_message');
    t.timestamp('attempted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['crm_connection_id', 'attempted_at'], 'crm_sync_log_connection_time_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, TABLES);
}
