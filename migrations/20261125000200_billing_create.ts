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
 * Billing: plans (rows, never code), subscriptions and their connectors, the credit ledger, invoices with gapless
 * numbering per issuer, payments, distributor commissions (V2) and legal documents.
 *
 * Money is integer cents with a `currency` (ISO 4217). Prices are excluding VAT. Credits are integers.
 */

const TABLES = [
  'plans',
  'plan_channel_quotas',
  'plan_connectors',
  'plan_tenant_offers',
  'billing_profiles',
  'subscriptions',
  'subscription_connectors',
  'subscription_changes',
  'invoice_sequences',
  'invoices',
  'invoice_lines',
  'payment_methods',
  'payments',
  'payment_provider_events',
  'credit_rates',
  'credit_packs',
  'credit_accounts',
  'credit_reservations',
  'credit_ledger',
  'regeneration_counters',
  'commission_tiers',
  'commissions',
  'legal_documents',
  'legal_acceptances',
] as const;

const CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms'] as const;
const MODEL_TIERS = ['premium', 'standard'] as const;

const ZERO_UUID = `'00000000-0000-0000-0000-000000000000'::uuid`;

/** A CHECK that keeps every element of a text[] column inside a closed set. */
function checkSubset(t: Knex.CreateTableBuilder, table: string, column: string, values: readonly string[]): void {
  const list = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
  t.check(`?? <@ ARRAY[${list}]::text[]`, [column], `${table}_${column}_check`);
}

function currencyColumn(t: Knex.CreateTableBuilder, table: string, column = 'currency', nullable = false): void {
  const c = t.specificType(column, 'char(3)');
  if (nullable) c.nullable();
  else c.notNullable().defaultTo('EUR');
  t.check(`?? ~ '^[A-Z]{3}$'`, [column], `${table}_${column}_format`);
}

export async function up(knex: Knex): Promise<void> {
  // ── Plans ────────────────────────────────────────────────────────────────────────────────────────────────────
  // Visibility (V2 interface): public = anyone can subscribe; distributor = offered only through distributor_id's
  // network (through every distributor when null); client = only to the tenants listed in plan_tenant_offers.
  await knex.schema.createTable('plans', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('code', 64).notNullable().unique();
    t.check(`code ~ '^[a-z0-9][a-z0-9_-]*$'`, [], 'plans_code_format');
    t.string('name', 120).notNullable();
    t.text('description').notNullable().defaultTo('');
    localeColumn(t, knex);
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('RESTRICT').index();
    t.string('visibility', 16).notNullable().defaultTo('public');
    checkIn(t, 'visibility', ['public', 'distributor', 'client']);
    t.integer('price_cents').notNullable();
    t.check('price_cents >= 0', [], 'plans_price_cents_check');
    currencyColumn(t, 'plans');
    t.string('billing_interval', 8).notNullable().defaultTo('month');
    checkIn(t, 'billing_interval', ['month', 'year']);
    t.integer('trial_days').notNullable().defaultTo(0);
    t.check('trial_days >= 0', [], 'plans_trial_days_check');
    // Credits granted at each period start; regenerations allowed per content.
    t.integer('monthly_credits').notNullable();
    t.check('monthly_credits >= 0', [], 'plans_monthly_credits_check');
    t.integer('regeneration_cap').notNullable();
    t.check('regeneration_cap >= 0', [], 'plans_regeneration_cap_check');
    t.specificType('allowed_channels', 'text[]').notNullable().defaultTo('{}');
    checkSubset(t, 'plans', 'allowed_channels', CHANNELS);
    t.specificType('allowed_model_tiers', 'text[]').notNullable().defaultTo('{standard}');
    checkSubset(t, 'plans', 'allowed_model_tiers', MODEL_TIERS);
    t.bigInteger('media_storage_limit_bytes').notNullable();
    t.check('media_storage_limit_bytes >= 0', [], 'plans_media_storage_limit_check');
    t.integer('watch_sources_limit').notNullable().defaultTo(0);
    t.check('watch_sources_limit >= 0', [], 'plans_watch_sources_limit_check');
    t.integer('watch_min_poll_interval_minutes').notNullable().defaultTo(1440);
    t.check('watch_min_poll_interval_minutes > 0', [], 'plans_watch_min_poll_interval_check');
    t.integer('seats').notNullable().defaultTo(1);
    t.check('seats > 0', [], 'plans_seats_check');
    t.string('external_price_id', 255); // e.g. the Stripe price of this plan
    t.boolean('active').notNullable().defaultTo(true);
    t.integer('sort_order').notNullable().defaultTo(0);
    timestamps(t, knex);
  });

  // Items per month per channel. A channel without a row has no quota (it must also be in plans.allowed_channels).
  await knex.schema.createTable('plan_channel_quotas', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('plan_id').notNullable().references('id').inTable('plans').onDelete('CASCADE');
    t.string('channel', 32).notNullable();
    checkIn(t, 'channel', CHANNELS);
    t.integer('items_per_month').notNullable();
    t.check('items_per_month >= 0', [], 'plan_channel_quotas_items_check');
    timestamps(t, knex);
    t.unique(['plan_id', 'channel']);
  });

  // Connectors a plan includes, or offers as a paid add-on. `connector_code` is the connector registry key of the
  // publishing/analytics modules (no FK: that catalogue lives in code and platform settings).
  await knex.schema.createTable('plan_connectors', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('plan_id').notNullable().references('id').inTable('plans').onDelete('CASCADE');
    t.string('connector_code', 64).notNullable();
    t.string('inclusion', 16).notNullable().defaultTo('included');
    checkIn(t, 'inclusion', ['included', 'addon']);
    t.integer('addon_price_cents').notNullable().defaultTo(0);
    t.check(`addon_price_cents >= 0 AND (inclusion = 'addon' OR addon_price_cents = 0)`, [], 'plan_connectors_addon_price_check');
    currencyColumn(t, 'plan_connectors');
    timestamps(t, knex);
    t.unique(['plan_id', 'connector_code']);
  });

  // V2: a plan with visibility 'client' offered to one tenant.
  await createTenantTable(knex, 'plan_tenant_offers', (t) => {
    t.uuid('plan_id').notNullable().references('id').inTable('plans').onDelete('CASCADE');
    t.uuid('offered_by_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('expires_at', { useTz: true });
    t.unique(['plan_id', 'tenant_id']);
  });

  // The tenant's invoicing identity (what its invoices must show).
  await createTenantTable(knex, 'billing_profiles', (t) => {
    t.string('legal_name', 200).notNullable();
    t.string('registration_number', 32); // SIREN/SIRET or foreign equivalent
    t.string('vat_number', 32);
    t.boolean('vat_reverse_charge').notNullable().defaultTo(false); // intra-EU B2B outside France
    t.string('billing_email', 320).notNullable();
    t.string('address_line1', 200).notNullable().defaultTo('');
    t.string('address_line2', 200);
    t.string('postal_code', 16).notNullable().defaultTo('');
    t.string('city', 100).notNullable().defaultTo('');
    t.string('country', 2).notNullable().defaultTo('FR');
    t.unique(['tenant_id']);
  });

  // ── Subscriptions ────────────────────────────────────────────────────────────────────────────────────────────
  await createTenantTable(knex, 'subscriptions', (t) => {
    t.uuid('plan_id').notNullable().references('id').inTable('plans').onDelete('RESTRICT').index();
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['trial', 'active', 'past_due', 'cancelled']);
    t.timestamp('trial_ends_at', { useTz: true });
    t.check(`status <> 'trial' OR trial_ends_at IS NOT NULL`, [], 'subscriptions_trial_ends_at_check');
    t.timestamp('current_period_start', { useTz: true }).notNullable();
    t.timestamp('current_period_end', { useTz: true }).notNullable();
    t.check('current_period_end > current_period_start', [], 'subscriptions_period_check');
    // A downgrade waits for the period end; an upgrade applies at once and leaves these null.
    t.uuid('pending_plan_id').references('id').inTable('plans').onDelete('RESTRICT');
    t.timestamp('pending_change_at', { useTz: true });
    t.check('(pending_plan_id IS NULL) = (pending_change_at IS NULL)', [], 'subscriptions_pending_change_check');
    t.boolean('cancel_at_period_end').notNullable().defaultTo(false);
    t.timestamp('cancelled_at', { useTz: true });
    t.text('cancellation_reason');
    t.check(`status <> 'cancelled' OR cancelled_at IS NOT NULL`, [], 'subscriptions_cancelled_at_check');
    // Negotiated or grandfathered price; null means the plan's price.
    t.integer('price_override_cents');
    t.check('price_override_cents IS NULL OR price_override_cents >= 0', [], 'subscriptions_price_override_check');
    t.string('payment_mode', 8).notNullable().defaultTo('manual');
    checkIn(t, 'payment_mode', ['stripe', 'manual']);
    t.string('external_customer_id', 255);
    t.string('external_subscription_id', 255).unique();
  });
  await knex.raw(
    `CREATE UNIQUE INDEX subscriptions_one_current_per_tenant ON subscriptions (tenant_id) WHERE status <> 'cancelled'`,
  );

  // Connectors attached to the subscription: those the plan includes and paid add-ons.
  await createTenantTable(knex, 'subscription_connectors', (t) => {
    t.uuid('subscription_id').notNullable().references('id').inTable('subscriptions').onDelete('CASCADE');
    t.string('connector_code', 64).notNullable();
    t.string('source', 8).notNullable().defaultTo('plan');
    checkIn(t, 'source', ['plan', 'addon']);
    t.integer('quantity').notNullable().defaultTo(1);
    t.check('quantity > 0', [], 'subscription_connectors_quantity_check');
    t.integer('price_cents').notNullable().defaultTo(0);
    t.check('price_cents >= 0', [], 'subscription_connectors_price_check');
    currencyColumn(t, 'subscription_connectors');
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'cancelled']);
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('ended_at', { useTz: true });
    t.unique(['subscription_id', 'connector_code']);
  });

  // History of the subscription (MRR movements for the distributor dashboard in V2).
  await createTenantTable(knex, 'subscription_changes', (t) => {
    t.uuid('subscription_id').notNullable().references('id').inTable('subscriptions').onDelete('CASCADE').index();
    t.string('kind', 24).notNullable();
    checkIn(t, 'kind', ['created', 'upgrade', 'downgrade', 'renewal', 'cancellation', 'reactivation', 'trial_conversion']);
    t.uuid('from_plan_id').references('id').inTable('plans').onDelete('RESTRICT');
    t.uuid('to_plan_id').references('id').inTable('plans').onDelete('RESTRICT');
    t.timestamp('effective_at', { useTz: true }).notNullable();
    t.integer('mrr_delta_cents').notNullable().defaultTo(0);
    currencyColumn(t, 'subscription_changes');
    t.uuid('requested_by_user_id').references('id').inTable('users').onDelete('SET NULL');
  });

  // ── Invoices ─────────────────────────────────────────────────────────────────────────────────────────────────
  // Gapless numbering: one row per issuer and series, locked (UPDATE … RETURNING) in the transaction that issues
  // the invoice, so a number is consumed only when an invoice is issued.
  await knex.schema.createTable('invoice_sequences', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('issuer_kind', 16).notNullable();
    checkIn(t, 'issuer_kind', ['platform', 'distributor']);
    t.uuid('issuer_distributor_id').references('id').inTable('distributors').onDelete('RESTRICT');
    t.check(
      `(issuer_kind = 'platform' AND issuer_distributor_id IS NULL) OR (issuer_kind = 'distributor' AND issuer_distributor_id IS NOT NULL)`,
      [],
      'invoice_sequences_issuer_check',
    );
    t.string('series', 32).notNullable().defaultTo('default'); // e.g. '2026' when numbering restarts each year
    t.string('prefix', 32).notNullable().defaultTo('');
    t.integer('next_number').notNullable().defaultTo(1);
    t.check('next_number > 0', [], 'invoice_sequences_next_number_check');
    t.integer('padding').notNullable().defaultTo(6);
    timestamps(t, knex);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX invoice_sequences_issuer_series_unique ON invoice_sequences (issuer_kind, coalesce(issuer_distributor_id, ${ZERO_UUID}), series)`,
  );

  // Issued invoices are accounting records kept for 10 years (French commercial code): deleting a tenant sets
  // tenant_id to null and keeps the invoice, whose recipient identity is snapshotted below.
  await knex.schema.createTable('invoices', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('kind', 16).notNullable().defaultTo('invoice');
    checkIn(t, 'kind', ['invoice', 'credit_note']);
    t.uuid('corrects_invoice_id').references('id').inTable('invoices').onDelete('RESTRICT');
    t.check(`kind = 'invoice' OR corrects_invoice_id IS NOT NULL`, [], 'invoices_credit_note_target_check');
    t.string('issuer_kind', 16).notNullable();
    checkIn(t, 'issuer_kind', ['platform', 'distributor']);
    t.uuid('issuer_distributor_id').references('id').inTable('distributors').onDelete('RESTRICT').index();
    t.check(
      `(issuer_kind = 'platform' AND issuer_distributor_id IS NULL) OR (issuer_kind = 'distributor' AND issuer_distributor_id IS NOT NULL)`,
      [],
      'invoices_issuer_check',
    );
    t.string('recipient_kind', 16).notNullable();
    checkIn(t, 'recipient_kind', ['distributor', 'tenant']);
    t.uuid('recipient_distributor_id').references('id').inTable('distributors').onDelete('RESTRICT').index();
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('SET NULL').index();
    t.check(
      `(recipient_kind = 'distributor' AND recipient_distributor_id IS NOT NULL AND tenant_id IS NULL)
       OR (recipient_kind = 'tenant' AND recipient_distributor_id IS NULL)`,
      [],
      'invoices_recipient_check',
    );
    t.uuid('subscription_id').references('id').inTable('subscriptions').onDelete('SET NULL');
    t.uuid('sequence_id').references('id').inTable('invoice_sequences').onDelete('RESTRICT');
    t.integer('sequence_number');
    t.string('number', 64);
    t.string('status', 16).notNullable().defaultTo('draft');
    checkIn(t, 'status', ['draft', 'issued', 'paid', 'void']);
    t.check(
      `status = 'draft' OR (number IS NOT NULL AND sequence_id IS NOT NULL AND sequence_number IS NOT NULL AND issued_at IS NOT NULL)`,
      [],
      'invoices_issued_number_check',
    );
    currencyColumn(t, 'invoices');
    t.integer('subtotal_cents').notNullable().defaultTo(0);
    t.integer('tax_cents').notNullable().defaultTo(0);
    t.integer('total_cents').notNullable().defaultTo(0);
    t.check('subtotal_cents >= 0 AND tax_cents >= 0 AND total_cents = subtotal_cents + tax_cents', [], 'invoices_totals_check');
    t.integer('tax_rate_bp').notNullable().defaultTo(2000);
    t.check('tax_rate_bp BETWEEN 0 AND 10000', [], 'invoices_tax_rate_check');
    t.boolean('vat_reverse_charge').notNullable().defaultTo(false);
    t.integer('amount_paid_cents').notNullable().defaultTo(0);
    t.check('amount_paid_cents >= 0', [], 'invoices_amount_paid_check');
    t.date('period_start');
    t.date('period_end');
    t.check('period_end IS NULL OR period_start IS NULL OR period_end >= period_start', [], 'invoices_period_check');
    t.timestamp('issued_at', { useTz: true });
    t.timestamp('due_at', { useTz: true });
    t.timestamp('paid_at', { useTz: true });
    t.timestamp('voided_at', { useTz: true });
    // Identities as printed on the document, frozen at issue.
    t.string('issuer_legal_name', 200);
    t.text('issuer_address');
    t.string('issuer_registration_number', 32);
    t.string('issuer_vat_number', 32);
    t.string('recipient_legal_name', 200);
    t.text('recipient_address');
    t.string('recipient_vat_number', 32);
    t.string('recipient_country', 2);
    localeColumn(t, knex); // language the document is issued in
    t.string('pdf_storage_key', 512);
    t.string('external_invoice_id', 255);
    timestamps(t, knex);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX invoices_issuer_number_unique ON invoices (issuer_kind, coalesce(issuer_distributor_id, ${ZERO_UUID}), number) WHERE number IS NOT NULL`,
  );
  await knex.raw(`CREATE UNIQUE INDEX invoices_sequence_number_unique ON invoices (sequence_id, sequence_number) WHERE sequence_id IS NOT NULL`);
  await knex.raw(`CREATE INDEX invoices_tenant_issued_idx ON invoices (tenant_id, issued_at)`);
  await isolateByTenant(knex, 'invoices');

  await knex.schema.createTable('invoice_lines', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('invoice_id').notNullable().references('id').inTable('invoices').onDelete('CASCADE');
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('SET NULL').index(); // = invoices.tenant_id
    t.integer('position').notNullable();
    t.check('position > 0', [], 'invoice_lines_position_check');
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['subscription', 'connector', 'credits', 'proration', 'discount', 'commission', 'adjustment']);
    t.text('description').notNullable();
    t.integer('quantity').notNullable().defaultTo(1);
    t.check('quantity > 0', [], 'invoice_lines_quantity_check');
    t.integer('unit_price_cents').notNullable(); // negative for discounts
    t.integer('amount_cents').notNullable();
    t.check('amount_cents = quantity * unit_price_cents', [], 'invoice_lines_amount_check');
    t.integer('tax_rate_bp').notNullable().defaultTo(2000);
    t.check('tax_rate_bp BETWEEN 0 AND 10000', [], 'invoice_lines_tax_rate_check');
    t.uuid('plan_id').references('id').inTable('plans').onDelete('SET NULL');
    t.uuid('subscription_id').references('id').inTable('subscriptions').onDelete('SET NULL');
    t.date('period_start');
    t.date('period_end');
    timestamps(t, knex);
    t.unique(['invoice_id', 'position']);
  });
  await isolateByTenant(knex, 'invoice_lines');

  // ── Payments ─────────────────────────────────────────────────────────────────────────────────────────────────
  await knex.schema.createTable('payment_methods', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE').index();
    t.check('(tenant_id IS NULL) <> (distributor_id IS NULL)', [], 'payment_methods_owner_check');
    t.string('provider', 16).notNullable();
    checkIn(t, 'provider', ['stripe', 'manual']);
    t.string('method', 16).notNullable();
    checkIn(t, 'method', ['card', 'sepa_debit', 'bank_transfer']);
    t.string('external_customer_id', 255);
    t.string('external_payment_method_id', 255).unique();
    t.string('brand', 32);
    t.string('last4', 4);
    t.smallint('exp_month');
    t.smallint('exp_year');
    t.check('exp_month IS NULL OR exp_month BETWEEN 1 AND 12', [], 'payment_methods_exp_month_check');
    t.string('mandate_reference', 64); // SEPA mandate
    t.boolean('is_default').notNullable().defaultTo(false);
    t.string('status', 16).notNullable().defaultTo('active');
    checkIn(t, 'status', ['active', 'expired', 'detached']);
    timestamps(t, knex);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (coalesce(tenant_id, distributor_id)) WHERE is_default AND status = 'active'`,
  );
  await isolateByTenant(knex, 'payment_methods');

  // Money received (or attempted) against an invoice. Kept with the invoice when a tenant is deleted.
  await knex.schema.createTable('payments', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('invoice_id').notNullable().references('id').inTable('invoices').onDelete('RESTRICT').index();
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('SET NULL').index();
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('RESTRICT');
    t.uuid('payment_method_id').references('id').inTable('payment_methods').onDelete('SET NULL');
    t.string('provider', 16).notNullable();
    checkIn(t, 'provider', ['stripe', 'manual']);
    t.string('method', 16).notNullable();
    checkIn(t, 'method', ['card', 'sepa_debit', 'bank_transfer', 'other']);
    t.integer('amount_cents').notNullable();
    t.check('amount_cents > 0', [], 'payments_amount_check');
    currencyColumn(t, 'payments');
    t.string('status', 24).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'succeeded', 'failed', 'cancelled', 'refunded', 'partially_refunded']);
    t.integer('refunded_amount_cents').notNullable().defaultTo(0);
    t.check('refunded_amount_cents BETWEEN 0 AND amount_cents', [], 'payments_refunded_amount_check');
    t.string('idempotency_key', 128).unique();
    t.string('external_payment_id', 255).unique(); // e.g. Stripe PaymentIntent
    t.string('external_charge_id', 255);
    t.string('bank_reference', 140); // manual bank transfer reference
    t.string('failure_code', 64);
    t.text('failure_message');
    t.timestamp('paid_at', { useTz: true });
    t.uuid('recorded_by_user_id').references('id').inTable('users').onDelete('SET NULL');
    timestamps(t, knex);
  });
  await isolateByTenant(knex, 'payments');

  // Incoming provider webhooks, stored once (idempotent processing) with their raw body.
  await knex.schema.createTable('payment_provider_events', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('provider', 16).notNullable();
    checkIn(t, 'provider', ['stripe']);
    t.string('external_event_id', 255).notNullable();
    t.string('type', 100).notNullable();
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('CASCADE').index();
    t.jsonb('payload').notNullable(); // the provider's event body, as received
    t.string('status', 16).notNullable().defaultTo('received');
    checkIn(t, 'status', ['received', 'processed', 'ignored', 'failed']);
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.timestamp('processed_at', { useTz: true });
    timestamps(t, knex);
    t.unique(['provider', 'external_event_id']);
  });
  await isolateByTenant(knex, 'payment_provider_events');

  // ── Credits ──────────────────────────────────────────────────────────────────────────────────────────────────
  // How AI cost becomes credits: one credit is worth `micros_per_credit` of the catalogue price currency.
  await knex.schema.createTable('credit_rates', (t) => {
    uuidPrimaryKey(t, knex);
    currencyColumn(t, 'credit_rates');
    t.integer('micros_per_credit').notNullable();
    t.check('micros_per_credit > 0', [], 'credit_rates_micros_per_credit_check');
    t.timestamp('effective_from', { useTz: true }).notNullable();
    timestamps(t, knex);
    t.unique(['currency', 'effective_from']);
  });

  // V2: one-off credit top-ups.
  await knex.schema.createTable('credit_packs', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('code', 64).notNullable().unique();
    t.string('name', 120).notNullable();
    t.text('description').notNullable().defaultTo('');
    localeColumn(t, knex);
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('RESTRICT');
    t.integer('credits').notNullable();
    t.check('credits > 0', [], 'credit_packs_credits_check');
    t.integer('price_cents').notNullable();
    t.check('price_cents >= 0', [], 'credit_packs_price_check');
    currencyColumn(t, 'credit_packs');
    t.boolean('active').notNullable().defaultTo(true);
    t.integer('sort_order').notNullable().defaultTo(0);
    timestamps(t, knex);
  });

  // One account per tenant. `balance` = credits free to spend; `reserved` = credits held by open reservations.
  // A reservation moves credits from balance to reserved; settling releases the hold and charges the real cost.
  await createTenantTable(knex, 'credit_accounts', (t) => {
    t.integer('balance').notNullable().defaultTo(0);
    t.check('balance >= 0', [], 'credit_accounts_balance_check');
    t.integer('reserved').notNullable().defaultTo(0);
    t.check('reserved >= 0', [], 'credit_accounts_reserved_check');
    t.timestamp('period_start', { useTz: true });
    t.timestamp('period_end', { useTz: true });
    t.check('period_end IS NULL OR period_start IS NULL OR period_end > period_start', [], 'credit_accounts_period_check');
    t.timestamp('last_granted_at', { useTz: true });
    t.unique(['tenant_id']);
  });

  await createTenantTable(knex, 'credit_reservations', (t) => {
    t.integer('amount_held').notNullable();
    t.check('amount_held > 0', [], 'credit_reservations_amount_held_check');
    // May exceed amount_held when the real cost beat the estimate (charged from the balance, never below zero).
    t.integer('amount_settled').notNullable().defaultTo(0);
    t.check('amount_settled >= 0', [], 'credit_reservations_amount_settled_check');
    t.string('status', 16).notNullable().defaultTo('held');
    checkIn(t, 'status', ['held', 'settled', 'refunded']);
    t.string('task', 32); // the AI task it pays for
    t.string('idempotency_key', 128).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable(); // a hold still open then is refunded by a job
    t.timestamp('settled_at', { useTz: true });
    t.timestamp('refunded_at', { useTz: true });
    t.check(
      `(status = 'held' AND settled_at IS NULL AND refunded_at IS NULL AND amount_settled = 0)
       OR (status = 'settled' AND settled_at IS NOT NULL AND refunded_at IS NULL)
       OR (status = 'refunded' AND refunded_at IS NOT NULL AND settled_at IS NULL AND amount_settled = 0)`,
      [],
      'credit_reservations_state_check',
    );
    t.unique(['tenant_id', 'idempotency_key']);
  });
  await knex.raw(`CREATE INDEX credit_reservations_open_idx ON credit_reservations (expires_at) WHERE status = 'held'`);

  // Append-only. `amount` = change of the balance (signed), `reserved_delta` = change of the held credits;
  // balance_after/reserved_after are the account's values right after the entry.
  // grant +n | reserve -n/+n | settle (held - cost)/-held | refund +held/-held | expire -n | adjust ±n.
  await createTenantTable(knex, 'credit_ledger', (t) => {
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['grant', 'reserve', 'settle', 'refund', 'expire', 'adjust']);
    t.integer('amount').notNullable();
    t.integer('reserved_delta').notNullable().defaultTo(0);
    t.integer('balance_after').notNullable();
    t.check('balance_after >= 0', [], 'credit_ledger_balance_after_check');
    t.integer('reserved_after').notNullable().defaultTo(0);
    t.check('reserved_after >= 0', [], 'credit_ledger_reserved_after_check');
    t.check(
      `(kind <> 'grant' OR (amount > 0 AND reserved_delta = 0))
       AND (kind <> 'expire' OR (amount <= 0 AND reserved_delta = 0))
       AND (kind <> 'reserve' OR (amount < 0 AND reserved_delta = -amount))
       AND (kind NOT IN ('settle', 'refund') OR (reserved_delta < 0 AND reservation_id IS NOT NULL))`,
      [],
      'credit_ledger_kind_amount_check',
    );
    t.uuid('reservation_id').references('id').inTable('credit_reservations').index();
    t.uuid('ai_call_id').index(); // FK to ai_calls added by the ai migration
    t.uuid('invoice_id').references('id').inTable('invoices').onDelete('SET NULL'); // purchased top-up
    t.string('idempotency_key', 128).notNullable();
    t.date('period_start'); // the credit period the entry belongs to
    t.uuid('actor_user_id').references('id').inTable('users').onDelete('SET NULL');
    t.text('memo');
    t.unique(['tenant_id', 'idempotency_key']);
  });
  await knex.raw(`CREATE INDEX credit_ledger_tenant_created_idx ON credit_ledger (tenant_id, created_at)`);

  // Regenerations used per content, against plans.regeneration_cap. content_id has no FK: contents belong to the
  // studio module.
  await createTenantTable(knex, 'regeneration_counters', (t) => {
    t.uuid('content_id').notNullable();
    t.integer('regenerations').notNullable().defaultTo(0);
    t.check('regenerations >= 0', [], 'regeneration_counters_regenerations_check');
    t.timestamp('last_regenerated_at', { useTz: true });
    t.unique(['tenant_id', 'content_id']);
  });

  // ── Distributor commissions (V2) ─────────────────────────────────────────────────────────────────────────────
  // Volume tiers: from `min_active_clients` active clients the rate is `rate_bp`. A null distributor is the
  // platform's default grid.
  await knex.schema.createTable('commission_tiers', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE');
    t.integer('min_active_clients').notNullable();
    t.check('min_active_clients >= 0', [], 'commission_tiers_min_active_clients_check');
    t.integer('rate_bp').notNullable();
    t.check('rate_bp BETWEEN 0 AND 10000', [], 'commission_tiers_rate_check');
    timestamps(t, knex);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX commission_tiers_distributor_min_unique ON commission_tiers (coalesce(distributor_id, ${ZERO_UUID}), min_active_clients)`,
  );

  await knex.schema.createTable('commissions', (t) => {
    uuidPrimaryKey(t, knex);
    t.uuid('distributor_id').notNullable().references('id').inTable('distributors').onDelete('RESTRICT').index();
    t.uuid('tenant_id').references('id').inTable('tenants').onDelete('SET NULL').index();
    t.uuid('invoice_id').notNullable().references('id').inTable('invoices').onDelete('RESTRICT');
    t.uuid('tier_id').references('id').inTable('commission_tiers').onDelete('SET NULL');
    t.integer('active_clients_count').notNullable().defaultTo(0);
    t.integer('base_amount_cents').notNullable();
    t.integer('rate_bp').notNullable();
    t.check('rate_bp BETWEEN 0 AND 10000', [], 'commissions_rate_check');
    t.integer('amount_cents').notNullable();
    t.check('amount_cents >= 0 AND base_amount_cents >= 0', [], 'commissions_amount_check');
    currencyColumn(t, 'commissions');
    t.date('period_start');
    t.date('period_end');
    t.string('status', 16).notNullable().defaultTo('pending');
    checkIn(t, 'status', ['pending', 'approved', 'paid', 'cancelled']);
    t.timestamp('paid_at', { useTz: true });
    t.string('payout_reference', 140);
    timestamps(t, knex);
    t.unique(['distributor_id', 'invoice_id']);
  });
  await isolateByTenant(knex, 'commissions');

  // ── Legal ────────────────────────────────────────────────────────────────────────────────────────────────────
  // Versioned per kind and locale; a distributor may publish its own (white label). Unpublished = draft.
  await knex.schema.createTable('legal_documents', (t) => {
    uuidPrimaryKey(t, knex);
    t.string('kind', 16).notNullable();
    checkIn(t, 'kind', ['terms', 'dpa', 'privacy', 'legal_notice']);
    t.uuid('distributor_id').references('id').inTable('distributors').onDelete('CASCADE');
    localeColumn(t, knex);
    t.string('version', 32).notNullable();
    t.string('title', 200).notNullable();
    t.text('body').notNullable();
    t.boolean('requires_acceptance').notNullable().defaultTo(false);
    t.timestamp('published_at', { useTz: true });
    timestamps(t, knex);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX legal_documents_version_unique ON legal_documents (kind, coalesce(distributor_id, ${ZERO_UUID}), locale, version)`,
  );

  // Proof that a tenant accepted a document version (terms, DPA).
  await createTenantTable(knex, 'legal_acceptances', (t) => {
    t.uuid('document_id').notNullable().references('id').inTable('legal_documents').onDelete('RESTRICT');
    t.uuid('user_id').references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('accepted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.specificType('ip', 'inet');
    t.string('user_agent', 512);
    t.unique(['tenant_id', 'document_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropTables(knex, TABLES);
}
