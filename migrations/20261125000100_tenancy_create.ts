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

const TABLES = [
  'distributors',
  'tenants',
  'users',
  'roles',
  'memberships',
  'invitations',
  'sessions',
  'audit_log',
  'webhooks',
  'webhook_deliveries',
  'custom_domains',
  'gdpr_audits',
  'feature_flags',
  'feature_flag_overrides',
] as const;

export async function up(knex: Knex): Promise<void> {
  // Resellers (white label). A sub-distributor points at its parent. The "direct" distributor sells Cadence itself.
  await knex.schema.createTable('distributors', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('parent_id').references('id').inTable('distributors').onDelete('RESTRICT');
    t.string('code', 64).notNullable().unique();
    t.string('name', 200).notNullable();
    t.string('kind', 16).notNullable().defaultTo('reseller');
    checkIn(t, 'kind', ['direct', 'reseller']);
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'suspended', 'closed']);
    // White label (V2 interface, V1 columns)
    t.string('brand_name', 200);
    t.string('logo_url', 2048);
    t.string('primary_color', 7);
    t.string('secondary_color', 7);
    t.string('custom_domain', 253).unique();
    t.string('support_email', 320);
    t.string('legal_name', 200);
    t.string('vat_number', 32);
    // Commission settings (V2): base rate in basis points; volume tiers live in commission_tiers (billing)
    t.integer('commission_rate_bp').notNullable().defaultTo(0);
    t.check('commission_rate_bp BETWEEN 0 AND 10000', [], 'distributors_commission_rate_check');
    t.boolean('requires_eu_processing').notNullable().defaultTo(false);
    localeColumn(t, knex);
    timestamps(t, knex);
  });

  await knex.schema.createTable('tenants', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('distributor_id').notNullable().references('id').inTable('distributors').onDelete('RESTRICT').index();
    t.string('name', 200).notNullable();
    t.string('slug', 80).notNullable().unique();
    t.string('status', 24).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'suspended', 'pending_deletion']);
    localeColumn(t, knex);
    t.string('timezone', 64).notNullable().defaultTo('Europe/Paris');
    t.string('country', 2).notNullable().defaultTo('FR');
    t.string('default_content_mode', 8).notNullable().defaultTo('semi');
    checkIn(t, 'default_content_mode', ['manual', 'semi', 'auto']);
    t.boolean('requires_eu_processing').notNullable().defaultTo(false);
    t.timestamp('deletion_requested_at', { useTz: true });
    t.timestamp('deletion_scheduled_for', { useTz: true });
    timestamps(t, knex);
  });
  // The tenant row itself is visible only inside its own tenant context.
  await isolateByTenant(knex, 'tenants', 'id');

  // Users are platform-wide identities; what they may see comes from their memberships.
  await knex.schema.createTable('users', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('email', 320).notNullable();
    t.string('password_hash', 255);
    t.string('name', 200).notNullable().defaultTo('');
    localeColumn(t, knex);
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'disabled']);
    t.timestamp('last_login_at', { useTz: true });
    timestamps(t, knex);
  });
  await knex.raw('CREATE UNIQUE INDEX users_email_unique ON users (lower(email))');

  // Roles are rows; their permissions are a closed vocabulary checked in code (tenancy/domain.ts).
  await knex.schema.createTable('roles', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('code', 64).notNullable().unique();
    t.string('scope', 16).notNullable();
    checkIn(t, 'scope', ['platform', 'distributor', 'tenant']);
    t.specificType('permissions', 'text[]').notNullable().defaultTo('{}');
    t.integer('rank').notNullable().defaultTo(0);
    t.boolean('is_system').notNullable().defaultTo(true);
    timestamps(t, knex);
  });

  // A user's role in one scope: the platform, a distributor or a tenant.
  await knex.schema.createTable('memberships', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.string('scope', 16).notNullable();
    checkIn(t, 'scope', ['platform', 'distributor', 'tenant']);
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE');
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.uuid('role_id').notNullable().references('id').inTable('roles').onDelete('RESTRICT');
    timestamps(t, knex);
    t.check(
      `(scope = 'platform' AND distributor_id IS NULL AND tenant_id IS NULL)
       OR (scope = 'distributor' AND distributor_id IS NOT NULL AND tenant_id IS NULL)
       OR (scope = 'tenant' AND tenant_id IS NOT NULL AND distributor_id IS NULL)`,
      [],
      'memberships_scope_target_check',
    );
  });
  await knex.raw(
    `CREATE UNIQUE INDEX memberships_unique ON memberships (user_id, scope, coalesce(distributor_id, tenant_id, '00000000-0000-0000-0000-000000000000'::uuid))`,
  );
  await isolateByTenant(knex, 'memberships');

  await createTenantTable(knex, 'invitations', (t) => {
    t.string('email', 320).notNullable();
    t.uuid('role_id').notNullable().references('id').inTable('roles');
    t.string('token_hash', 64).notNullable().unique();
    t.uuid('invited_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
  });

  await knex.schema.createTable('sessions', (t) => {
    t.string('sid', 128).primary();
    t.jsonb('sess').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable().index();
    t.uuid('user_id').references('id').inTable('users').onDelete('CASCADE').index();
    timestamps(t, knex);
  });

  // Who did what. tenant_id is null for platform and distributor events.
  await knex.schema.createTable('audit_log', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE');
    t.uuid('actor_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.string('action', 100).notNullable();
    t.string('subject_type', 64);
    t.uuid('subject_id');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.specificType('ip', 'inet');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).index();
  });
  await isolateByTenant(knex, 'audit_log');

  // V2: outgoing events to third-party systems.
  await knex.schema.createTable('webhooks', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE');
    t.string('url', 2048).notNullable();
    t.specificType('events', 'text[]').notNullable().defaultTo('{}');
    t.text('secret_encrypted').notNullable();
    t.boolean('active').notNullable().defaultTo(true);
    timestamps(t, knex);
    t.check('tenant_id IS NOT NULL OR distributor_id IS NOT NULL', [], 'webhooks_owner_check');
  });
  await isolateByTenant(knex, 'webhooks');

  await knex.schema.createTable('webhook_deliveries', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('webhook_id').notNullable().references('id').inTable('webhooks').onDelete('CASCADE').index();
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.string('event', 100).notNullable();
    t.jsonb('payload').notNullable();
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'delivered', 'failed']);
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('response_status');
    t.text('last_error');
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('delivered_at', { useTz: true });
    timestamps(t, knex);
  });
  await isolateByTenant(knex, 'webhook_deliveries');

  // V2: custom domains and their certificates, for white-label distributors (or a tenant's landing pages).
  await knex.schema.createTable('custom_domains', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE');
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.string('hostname', 253).notNullable().unique();
    t.string('verification_token', 64).notNullable();
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'verified', 'failed', 'disabled']);
    t.string('certificate_status', 16).notNullable().defaultTo('none');
    checkIn(t, 'certificate_status', ['none', 'pending', 'issued', 'expiring', 'expired', 'failed']);
    t.timestamp('certificate_expires_at', { useTz: true });
    t.timestamp('verified_at', { useTz: true });
    timestamps(t, knex);
    t.check('tenant_id IS NOT NULL OR distributor_id IS NOT NULL', [], 'custom_domains_owner_check');
  });
  await isolateByTenant(knex, 'custom_domains');

  // V2: monthly GDPR compliance audit of the platform (or of one tenant).
  await knex.schema.createTable('gdpr_audits', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.date('period_month').notNullable();
    t.string('status', 16).notNullable().defaultTo('scheduled');
    checkIn(t, 'status', ['scheduled', 'running', 'passed', 'failed']);
    t.jsonb('findings').notNullable().defaultTo('[]');
    t.timestamp('completed_at', { useTz: true });
    timestamps(t, knex);
  });
  await isolateByTenant(knex, 'gdpr_audits');

  // V3: feature flags (video generation is switched on per plan/distributor/tenant when profitable).
  await knex.schema.createTable('feature_flags', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('key', 100).notNullable().unique();
    t.text('description').notNullable().defaultTo('');
    t.boolean('enabled_by_default').notNullable().defaultTo(false);
    timestamps(t, knex);
  });
  await knex.schema.createTable('feature_flag_overrides', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('flag_id').notNullable().references('id').inTable('feature_flags').onDelete('CASCADE');
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE');
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.boolean('enabled').notNullable();
    timestamps(t, knex);
    t.check('tenant_id IS NOT NULL OR distributor_id IS NOT NULL', [], 'feature_flag_overrides_target_check');
  });
  await isolateByTenant(knex, 'feature_flag_overrides');
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, TABLES);
}
