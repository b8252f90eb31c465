import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { AppError } from '../../../shared/errors.js';
import type { InvoiceDraft, PeriodContext } from '../invoice-drafts.js';
import { changeDirection, monthlyCents, nextPeriod, prorate, type BillingInterval, type Proration } from '../subscription-rules.js';
import { issueInvoice, lockPeriodContext, periodInvoiced } from './knex-invoice-repository.js';
import { oneByOne } from '../../../adapters/db/one-by-one.js';

export interface PlanView {
  id: string;
  code: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  billingInterval: BillingInterval;
  monthlyCredits: number;
  regenerationCap: number;
  allowedChannels: string[];
  allowedModelTiers: string[];
  mediaStorageLimitBytes: number;
  watchSourcesLimit: number;
  watchMinPollIntervalMinutes: number;
  seats: number;
  quotas: { channel: string; itemsPerMonth: number }[];
  connectors: { connectorCode: string; inclusion: 'included' | 'addon'; addonPriceCents: number }[];
  models: { displayName: string; tier: string }[];
}

export interface SubscriptionView {
  id: string;
  status: 'trial' | 'active' | 'past_due' | 'cancelled';
  trialEndsAt: Date | null;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  pendingPlanId: string | null;
  pendingChangeAt: Date | null;
  cancelAtPeriodEnd: boolean;
  cancellationReason: string | null;
  priceOverrideCents: number | null;
  paymentMode: 'stripe' | 'manual';
  externalCustomerId: string | null;
  planId: string;
}

export interface UsageView {
  contentsByChannel: Record<string, number>;
  watchSources: number;
  seats: number;
  channelAccounts: { channel: string; displayName: string; status: string; sandbox: boolean }[];
  subscriptionConnectors: { connectorCode: string; source: 'plan' | 'addon'; quantity: number; priceCents: number; status: string }[];
}

export interface BillingProfile {
  legalName: string;
  registrationNumber: string | null;
  vatNumber: string | null;
  vatReverseCharge: boolean;
  billingEmail: string;
  addressLine1: string;
  addressLine2: string | null;
  postalCode: string;
  city: string;
  country: string;
}

export interface PeriodEndOutcome {
  renewed: number;
  downgraded: boolean;
  cancelled: boolean;
}

/** Builders of the invoices an upgrade issues, given the locked context (pure: no I/O). */
export interface UpgradeInvoices {
  period: (ctx: PeriodContext) => InvoiceDraft | null;
  proration: (ctx: PeriodContext, change: { fromPlan: string; toPlan: { id: string; name: string }; proration: Proration }) => InvoiceDraft | null;
}

const SUBSCRIPTION_COLUMNS = [
  'id', 'planId', 'status', 'trialEndsAt', 'currentPeriodStart', 'currentPeriodEnd', 'pendingPlanId', 'pendingChangeAt', 'cancelAtPeriodEnd',
  'cancellationReason', 'priceOverrideCents', 'paymentMode', 'externalCustomerId',
];

const PLAN_COLUMNS = [
  'id', 'code', 'name', 'description', 'priceCents', 'currency', 'billingInterval', 'monthlyCredits', 'regenerationCap', 'allowedChannels',
  'allowedModelTiers', 'mediaStorageLimitBytes', 'watchSourcesLimit', 'watchMinPollIntervalMinutes', 'seats',
];

type PlanRow = Omit<PlanView, 'quotas' | 'connectors' | 'models'>;

/** Plans the tenant may be on: public active plans, and private ones offered to it (not expired). */
function offeredPlans(trx: Knex.Transaction, tenantId: string, now: Date): Knex.QueryBuilder {
  return trx('plans as p')
    .where('p.active', true)
    .where((q) =>
      q.where('p.visibility', 'public').orWhereExists(
        trx('planTenantOffers as o')
          .whereRaw('o.plan_id = p.id')
          .where('o.tenantId', tenantId)
          .where((e) => e.whereNull('o.expiresAt').orWhere('o.expiresAt', '>', now)),
      ),
    );
}

async function withDetails(trx: Knex.Transaction, plans: PlanRow[]): Promise<PlanView[]> {
  if (!plans.length) return [];
  const ids = plans.map((p) => p.id);
  const [quotas, connectors, models] = await oneByOne([
    trx('planChannelQuotas').whereIn('planId', ids).select('planId', 'channel', 'itemsPerMonth'),
    trx('planConnectors').whereIn('planId', ids).orderBy('connectorCode').select('planId', 'connectorCode', 'inclusion', 'addonPriceCents'),
    trx('planAiModels as pm').join('aiModels as m', 'm.id', 'pm.modelId').whereIn('pm.planId', ids).where('m.active', true).orderBy(['m.tier', 'm.displayName']).select('pm.planId', 'm.displayName', 'm.tier'),
  ]);
  return plans.map((p) => ({
    ...p,
    priceCents: Number(p.priceCents),
    mediaStorageLimitBytes: Number(p.mediaStorageLimitBytes),
    quotas: quotas.filter((q) => q.planId === p.id).map(({ channel, itemsPerMonth }) => ({ channel, itemsPerMonth })),
    connectors: connectors.filter((c) => c.planId === p.id).map(({ connectorCode, inclusion, addonPriceCents }) => ({ connectorCode, inclusion, addonPriceCents })),
    models: models.filter((m) => m.planId === p.id).map(({ displayName, tier }) => ({ displayName, tier })),
  }));
}

/** The connectors the plan includes become the subscription's `plan` connectors; add-ons bought stay. */
async function syncPlanConnectors(trx: Knex.Transaction, tenantId: string, subscriptionId: string, planId: string, at: Date): Promise<void> {
  const included: string[] = (await trx('planConnectors').where({ planId, inclusion: 'included' }).select('connectorCode')).map((r: { connectorCode: string }) => r.connectorCode);
  await trx('subscriptionConnectors')
    .where({ tenantId, subscriptionId, source: 'plan', status: 'active' })
    .whereNotIn('connectorCode', included)
    .update({ status: 'cancelled', endedAt: at, updatedAt: trx.fn.now() });
  for (const connectorCode of included) {
    await trx('subscriptionConnectors')
      .insert({ tenantId, subscriptionId, connectorCode, source: 'plan', quantity: 1, priceCents: 0, status: 'active', startedAt: at })
      .onConflict(['subscriptionId', 'connectorCode'])
      .merge({ status: 'active', endedAt: null, updatedAt: trx.fn.now() });
  }
}

async function lockCurrent(trx: Knex.Transaction, tenantId: string): Promise<SubscriptionView | undefined> {
  return trx('subscriptions').where({ tenantId }).whereNot('status', 'cancelled').forUpdate().first(SUBSCRIPTION_COLUMNS);
}

/** A subscription's price and MRR: the negotiated price when there is one, else its plan's. */
function priceOf(sub: Pick<SubscriptionView, 'priceOverrideCents'>, plan: { priceCents: number; billingInterval: BillingInterval; currency: string }) {
  return { priceCents: sub.priceOverrideCents ?? plan.priceCents, billingInterval: plan.billingInterval, currency: plan.currency };
}

/**
 * Subscriptions: the current one and its plan, what the tenant uses, its billing profile, and every change —
 * each a unit of work that locks the subscription row first (`FOR UPDATE`), so changes, the period-end job and
 * invoice issuance never interleave on one subscription.
 */
export class KnexSubscriptionRepository {
  constructor(private readonly deps: { database: Database }) {}

  current(tenantId: string): Promise<SubscriptionView | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('subscriptions').where({ tenantId }).whereNot('status', 'cancelled').first(SUBSCRIPTION_COLUMNS)) ?? null);
  }

  /** Plans by id (the current and pending ones) and the plans the tenant may move to, with quotas, connectors and AI models. */
  plans(tenantId: string, ids: string[], now: Date): Promise<{ byId: PlanView[]; offered: PlanView[] }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const byId = ids.length ? await withDetails(trx, await trx('plans').whereIn('id', ids).select(PLAN_COLUMNS)) : [];
      const offered = await withDetails(trx, await offeredPlans(trx, tenantId, now).orderBy([{ column: 'p.sortOrder' }, { column: 'p.name' }]).select(PLAN_COLUMNS.map((c) => `p.${c}`)));
      return { byId, offered };
    });
  }

  usage(tenantId: string, period: { start: Date; end: Date }): Promise<UsageView> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [contents, watch, seats, accounts, connectors] = await oneByOne([
        trx('contents')
          .where({ tenantId })
          .whereNull('archivedAt')
          .whereRaw('coalesce(scheduled_at, created_at) >= ? and coalesce(scheduled_at, created_at) < ?', [period.start, period.end])
          .groupBy('channel')
          .select('channel')
          .count<{ channel: string; count: string | number }[]>('* as count'),
        trx('watchSources').where({ tenantId }).count<{ count: string | number }[]>('* as count').first(),
        trx('memberships').where({ tenantId, scope: 'tenant' }).count<{ count: string | number }[]>('* as count').first(),
        trx('channelAccounts').where({ tenantId }).orderBy(['channel', 'displayName']).select('channel', 'displayName', 'status', 'sandbox'),
        trx('subscriptionConnectors as c')
          .join('subscriptions as s', 's.id', 'c.subscriptionId')
          .where('c.tenantId', tenantId)
          .whereNot('s.status', 'cancelled')
          .where('c.status', 'active')
          .orderBy('c.connectorCode')
          .select('c.connectorCode', 'c.source', 'c.quantity', 'c.priceCents', 'c.status'),
      ]);
      return {
        contentsByChannel: Object.fromEntries(contents.map((r) => [r.channel, Number(r.count)])),
        watchSources: Number(watch?.count ?? 0),
        seats: Number(seats?.count ?? 0),
        channelAccounts: accounts,
        subscriptionConnectors: connectors,
      };
    });
  }

  billingProfile(tenantId: string): Promise<BillingProfile | null> {
    return this.deps.database.forTenant(
      tenantId,
      async (trx) =>
        (await trx('billingProfiles')
          .where({ tenantId })
          .first('legalName', 'registrationNumber', 'vatNumber', 'vatReverseCharge', 'billingEmail', 'addressLine1', 'addressLine2', 'postalCode', 'city', 'country')) ?? null,
    );
  }

  saveBillingProfile(tenantId: string, profile: BillingProfile): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('billingProfiles')
        .insert({ tenantId, ...profile })
        .onConflict('tenantId')
        .merge({ ...profile, updatedAt: trx.fn.now() });
    });
  }

  /**
   * Upgrade now: the current period's invoice is issued first if it is still missing (at the old price), then the
   * plan switches, the change is recorded with its MRR delta, and the prorated difference is invoiced — one
   * transaction, so a failure leaves neither the new plan nor its invoice.
   */
  upgrade(
    tenantId: string,
    input: { toPlanId: string; userId: string | null; at: Date },
    invoices: UpgradeInvoices,
  ): Promise<{ invoiceIds: string[]; proration: Proration }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { sub, from, to } = await this.changeTarget(trx, tenantId, input.toPlanId, input.at);
      if (changeDirection(priceOf(sub, from), to) !== 'upgrade') throw new AppError('subscription.errors.notAnUpgrade', 409);
      const invoiceIds: string[] = [];
      const ctx = (await lockPeriodContext(trx, tenantId))!;
      if (sub.status !== 'trial' && ctx.subscription.currentPeriodStart <= input.at && !(await periodInvoiced(trx, ctx))) {
        const draft = invoices.period(ctx);
        if (draft) invoiceIds.push((await issueInvoice(trx, draft)).id);
      }
      const proration = sub.status === 'trial'
        ? { amountCents: 0, daysLeft: 0, daysInPeriod: 0 }
        : prorate(priceOf(sub, from).priceCents, to.priceCents, { start: sub.currentPeriodStart, end: sub.currentPeriodEnd }, input.at);
      await trx('subscriptions')
        .where({ id: sub.id })
        .update({ planId: to.id, pendingPlanId: null, pendingChangeAt: null, priceOverrideCents: null, updatedAt: trx.fn.now() });
      await trx('subscriptionChanges').insert({
        tenantId,
        subscriptionId: sub.id,
        kind: 'upgrade',
        fromPlanId: from.id,
        toPlanId: to.id,
        effectiveAt: input.at,
        mrrDeltaCents: monthlyCents(to) - monthlyCents(priceOf(sub, from)),
        currency: to.currency,
        requestedByUserId: input.userId,
      });
      await syncPlanConnectors(trx, tenantId, sub.id, to.id, input.at);
      const prorationInvoice = invoices.proration({ ...ctx, subscription: { ...ctx.subscription, planId: to.id } }, { fromPlan: from.name, toPlan: { id: to.id, name: to.name }, proration });
      if (prorationInvoice) invoiceIds.push((await issueInvoice(trx, prorationInvoice)).id);
      return { invoiceIds, proration };
    });
  }

  /** Downgrade at the period end: recorded as pending; `applyPeriodEnd` switches the plan and writes the change. */
  scheduleDowngrade(tenantId: string, input: { toPlanId: string; at: Date }): Promise<{ effectiveAt: Date }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { sub, from, to } = await this.changeTarget(trx, tenantId, input.toPlanId, input.at);
      if (changeDirection(priceOf(sub, from), to) !== 'downgrade') throw new AppError('subscription.errors.notADowngrade', 409);
      await trx('subscriptions').where({ id: sub.id }).update({ pendingPlanId: to.id, pendingChangeAt: sub.currentPeriodEnd, updatedAt: trx.fn.now() });
      return { effectiveAt: sub.currentPeriodEnd };
    });
  }

  /** Forgets a scheduled downgrade. False when there was none. */
  cancelPendingChange(tenantId: string): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const sub = await lockCurrent(trx, tenantId);
      if (!sub?.pendingPlanId) return false;
      await trx('subscriptions').where({ id: sub.id }).update({ pendingPlanId: null, pendingChangeAt: null, updatedAt: trx.fn.now() });
      return true;
    });
  }

  /** Cancellation at the period end (the service stays until then); undone by `reactivate`. */
  scheduleCancellation(tenantId: string, reason: string): Promise<{ effectiveAt: Date }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const sub = await lockCurrent(trx, tenantId);
      if (!sub) throw new AppError('subscription.errors.noSubscription', 404);
      if (sub.cancelAtPeriodEnd) throw new AppError('subscription.errors.alreadyCancelling', 409);
      await trx('subscriptions').where({ id: sub.id }).update({ cancelAtPeriodEnd: true, cancellationReason: reason, updatedAt: trx.fn.now() });
      return { effectiveAt: sub.currentPeriodEnd };
    });
  }

  reactivate(tenantId: string): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const sub = await lockCurrent(trx, tenantId);
      if (!sub?.cancelAtPeriodEnd) return false;
      await trx('subscriptions').where({ id: sub.id }).update({ cancelAtPeriodEnd: false, cancellationReason: null, updatedAt: trx.fn.now() });
      return true;
    });
  }

  setPaymentMode(tenantId: string, mode: 'stripe' | 'manual', externalCustomerId?: string): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('subscriptions')
        .where({ tenantId })
        .whereNot('status', 'cancelled')
        .update({ paymentMode: mode, ...(externalCustomerId ? { externalCustomerId } : {}), updatedAt: trx.fn.now() });
    });
  }

  /** Platform context: tenants whose current subscription's period has ended. */
  tenantsAtPeriodEnd(now: Date): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const rows = await trx('subscriptions').whereNot('status', 'cancelled').where('currentPeriodEnd', '<=', now).orderBy('tenantId').select('tenantId');
      return rows.map((r: { tenantId: string }) => r.tenantId);
    });
  }

  /**
   * Closes every period of the subscription that ended by `now`: a scheduled cancellation ends it; otherwise a
   * scheduled downgrade switches the plan, a trial converts, and the next period opens (one `renewal` per period).
   * Each effect writes its `subscription_changes` row. Re-running it changes nothing (the periods moved on).
   */
  applyPeriodEnd(tenantId: string, now: Date): Promise<PeriodEndOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const outcome: PeriodEndOutcome = { renewed: 0, downgraded: false, cancelled: false };
      const sub = await lockCurrent(trx, tenantId);
      if (!sub) return outcome;
      let plan = await trx('plans').where({ id: sub.planId }).first('id', 'priceCents', 'billingInterval', 'currency');
      let { status, currentPeriodStart: start, currentPeriodEnd: end, priceOverrideCents } = sub;
      let pendingPlanId = sub.pendingPlanId;
      const change = (kind: string, at: Date, fields: Record<string, unknown>) =>
        trx('subscriptionChanges').insert({ tenantId, subscriptionId: sub.id, kind, effectiveAt: at, currency: plan.currency, ...fields });
      while (end <= now) {
        if (sub.cancelAtPeriodEnd) {
          await trx('subscriptions').where({ id: sub.id }).update({ status: 'cancelled', cancelledAt: end, pendingPlanId: null, pendingChangeAt: null, updatedAt: trx.fn.now() });
          await trx('subscriptionConnectors').where({ tenantId, subscriptionId: sub.id, status: 'active' }).update({ status: 'cancelled', endedAt: end, updatedAt: trx.fn.now() });
          await change('cancellation', end, { fromPlanId: plan.id, mrrDeltaCents: status === 'trial' ? 0 : -monthlyCents(priceOf({ priceOverrideCents }, plan)) });
          outcome.cancelled = true;
          return outcome;
        }
        if (pendingPlanId) {
          const to = await trx('plans').where({ id: pendingPlanId }).first('id', 'priceCents', 'billingInterval', 'currency');
          await change('downgrade', end, {
            fromPlanId: plan.id,
            toPlanId: to.id,
            mrrDeltaCents: status === 'trial' ? 0 : monthlyCents(to) - monthlyCents(priceOf({ priceOverrideCents }, plan)),
          });
          await syncPlanConnectors(trx, tenantId, sub.id, to.id, end);
          plan = to;
          pendingPlanId = null;
          priceOverrideCents = null;
          outcome.downgraded = true;
        }
        if (status === 'trial') {
          status = 'active';
          await change('trial_conversion', end, { fromPlanId: plan.id, toPlanId: plan.id, mrrDeltaCents: monthlyCents(plan) });
        }
        const next = nextPeriod(end, plan.billingInterval);
        await change('renewal', end, { fromPlanId: plan.id, toPlanId: plan.id, mrrDeltaCents: 0 });
        start = next.start;
        end = next.end;
        outcome.renewed++;
      }
      if (outcome.renewed) {
        await trx('subscriptions').where({ id: sub.id }).update({
          planId: plan.id,
          status,
          currentPeriodStart: start,
          currentPeriodEnd: end,
          pendingPlanId: null,
          pendingChangeAt: null,
          priceOverrideCents,
          updatedAt: trx.fn.now(),
        });
      }
      return outcome;
    });
  }

  changes(tenantId: string, limit = 20): Promise<{ kind: string; effectiveAt: Date; mrrDeltaCents: number; currency: string; fromPlan: string | null; toPlan: string | null }[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('subscriptionChanges as c')
        .leftJoin('plans as f', 'f.id', 'c.fromPlanId')
        .leftJoin('plans as t', 't.id', 'c.toPlanId')
        .where('c.tenantId', tenantId)
        .orderBy([{ column: 'c.effectiveAt', order: 'desc' }, { column: 'c.createdAt', order: 'desc' }])
        .limit(limit)
        .select('c.kind', 'c.effectiveAt', 'c.mrrDeltaCents', 'c.currency', 'f.name as fromPlan', 't.name as toPlan'),
    );
  }

  /** The locked current subscription, its plan and the target plan, checked for a change. */
  private async changeTarget(trx: Knex.Transaction, tenantId: string, toPlanId: string, at: Date) {
    const sub = await lockCurrent(trx, tenantId);
    if (!sub) throw new AppError('subscription.errors.noSubscription', 404);
    if (sub.cancelAtPeriodEnd) throw new AppError('subscription.errors.cancellationPending', 409);
    if (sub.planId === toPlanId) throw new AppError('subscription.errors.samePlan', 409);
    const from = await trx('plans').where({ id: sub.planId }).first('id', 'name', 'priceCents', 'billingInterval', 'currency');
    const to = await offeredPlans(trx, tenantId, at).where('p.id', toPlanId).first('p.id', 'p.name', 'p.priceCents', 'p.billingInterval', 'p.currency');
    if (!to) throw new AppError('subscription.errors.planUnavailable', 404);
    if (to.currency !== from.currency || to.billingInterval !== from.billingInterval) throw new AppError('subscription.errors.incompatiblePlan', 409);
    return { sub, from, to };
  }
}
