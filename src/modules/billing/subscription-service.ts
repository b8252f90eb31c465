import type { i18n as I18n } from 'i18next';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import { parseInput } from '../../shared/validation.js';
import type { CreditBalance } from './domain.js';
import type { CreditService } from './credit-service.js';
import type { BillingProfile, KnexSubscriptionRepository, PlanView, SubscriptionView, UsageView } from './db/knex-subscription-repository.js';
import { periodDraft, prorationDraft } from './invoice-drafts.js';
import type { InvoiceService } from './invoice-service.js';
import { taxTreatment } from './invoice-rules.js';
import type { PaymentSettings } from './payment-settings.js';
import { changeDirection, type Proration } from './subscription-rules.js';

export const CANCELLATION_REASONS = ['too_expensive', 'missing_features', 'not_using', 'switching', 'closing', 'other'] as const;

export interface SubscriptionOverview {
  subscription: SubscriptionView | null;
  plan: PlanView | null;
  pendingPlan: PlanView | null;
  /** Plans the tenant may move to, each marked upgrade (now) or downgrade (at the period end). */
  options: (PlanView & { direction: 'upgrade' | 'downgrade' })[];
  usage: UsageView | null;
  credits: CreditBalance;
  profile: BillingProfile | null;
}

const text = (max: number) =>
  z.preprocess((v) => (v === undefined || v === null ? '' : Array.isArray(v) ? String(v.at(-1)) : String(v)), z.string()).transform((v) => v.trim()).pipe(z.string().max(max, 'subscription.errors.tooLong'));
const required = (max: number) => text(max).pipe(z.string().min(1, 'subscription.errors.required'));
const optional = (max: number) => text(max).transform((v) => v || null);

const profileSchema = z.object({
  legalName: required(200),
  registrationNumber: text(32)
    .transform((v) => v.replace(/\s+/g, ''))
    .pipe(z.union([z.literal(''), z.string().regex(/^[0-9A-Za-z-]{5,32}$/, 'subscription.errors.registrationInvalid')]))
    .transform((v) => v || null),
  vatNumber: text(32)
    .transform((v) => v.replace(/[\s.-]+/g, '').toUpperCase())
    .pipe(z.union([z.literal(''), z.string().regex(/^[A-Z]{2}[0-9A-Z]{2,13}$/, 'subscription.errors.vatInvalid')]))
    .transform((v) => v || null),
  billingEmail: text(320).pipe(z.email('subscription.errors.emailInvalid')),
  addressLine1: required(200),
  addressLine2: optional(200),
  postalCode: required(16),
  city: required(100),
  country: text(2)
    .transform((v) => v.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{2}$/, 'subscription.errors.countryInvalid')),
});

const planChoiceSchema = z.object({ planId: z.string().refine(isUuid, 'subscription.errors.planUnavailable') });

const cancellationSchema = z.object({
  reason: z.enum(CANCELLATION_REASONS, { error: 'subscription.errors.reasonRequired' }),
  comment: optional(500),
});

/**
 * "Mon abonnement": the plan and its limits, what the tenant uses of them, plan changes (upgrade now with a prorated
 * invoice, downgrade at the period end), cancellation at the period end (undone until then), the billing profile,
 * and the period-end job that renews, downgrades and cancels.
 */
export class SubscriptionService {
  constructor(
    private readonly deps: {
      subscriptionRepository: KnexSubscriptionRepository;
      invoiceService: InvoiceService;
      creditService: CreditService;
      paymentSettings: PaymentSettings;
      i18n: I18n;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async overview(tenantId: string): Promise<SubscriptionOverview> {
    const now = this.deps.clock.now();
    const subscription = await this.repo.current(tenantId);
    const ids = subscription ? [subscription.planId, ...(subscription.pendingPlanId ? [subscription.pendingPlanId] : [])] : [];
    const [plans, usage, credits, profile] = await Promise.all([
      this.repo.plans(tenantId, ids, now),
      subscription ? this.repo.usage(tenantId, { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd }) : Promise.resolve(null),
      this.deps.creditService.balance(tenantId),
      this.repo.billingProfile(tenantId),
    ]);
    const plan = plans.byId.find((p) => p.id === subscription?.planId) ?? null;
    const pendingPlan = plans.byId.find((p) => p.id === subscription?.pendingPlanId) ?? null;
    const current = plan && subscription ? { ...plan, priceCents: subscription.priceOverrideCents ?? plan.priceCents } : null;
    const options = current
      ? plans.offered
          .filter((p) => p.id !== current.id && p.currency === current.currency && p.billingInterval === current.billingInterval)
          .map((p) => ({ ...p, direction: changeDirection(current, p) }))
      : [];
    return { subscription, plan, pendingPlan, options, usage, credits, profile };
  }

  /** Upgrade now (prorated invoice, charged when paying by card) or downgrade at the period end, by price. */
  async changePlan(tenantId: string, input: unknown, userId: string): Promise<{ direction: 'upgrade'; proration: Proration } | { direction: 'downgrade'; effectiveAt: Date }> {
    const { planId } = parseInput(planChoiceSchema, input);
    const now = this.deps.clock.now();
    const overview = await this.overview(tenantId);
    const target = overview.options.find((p) => p.id === planId);
    if (!overview.subscription) throw new AppError('subscription.errors.noSubscription', 404);
    if (!target) throw new AppError('subscription.errors.planUnavailable', 404);
    if (target.direction === 'downgrade') {
      const { effectiveAt } = await this.repo.scheduleDowngrade(tenantId, { toPlanId: planId, at: now });
      this.deps.logger.info({ tenantId, planId, effectiveAt }, 'downgrade scheduled');
      return { direction: 'downgrade', effectiveAt };
    }
    const issuer = await this.deps.paymentSettings.issuer();
    const { invoiceIds, proration } = await this.repo.upgrade(
      tenantId,
      { toPlanId: planId, userId, at: now },
      {
        period: (ctx) => periodDraft(tenantId, ctx, issuer, this.deps.i18n.getFixedT(ctx.tenant.locale), now),
        proration: (ctx, change) => prorationDraft(tenantId, ctx, issuer, this.deps.i18n.getFixedT(ctx.tenant.locale), { ...change, at: now }),
      },
    );
    this.deps.logger.info({ tenantId, planId, invoices: invoiceIds, proration }, 'plan upgraded');
    for (const id of invoiceIds) await this.deps.invoiceService.collect(tenantId, id);
    return { direction: 'upgrade', proration };
  }

  async cancelPendingChange(tenantId: string): Promise<void> {
    if (!(await this.repo.cancelPendingChange(tenantId))) throw new AppError('subscription.errors.nothingPending', 409);
  }

  async cancel(tenantId: string, input: unknown): Promise<{ effectiveAt: Date }> {
    const { reason, comment } = parseInput(cancellationSchema, input);
    const outcome = await this.repo.scheduleCancellation(tenantId, comment ? `${reason}: ${comment}` : reason);
    this.deps.logger.info({ tenantId, reason }, 'cancellation scheduled');
    return outcome;
  }

  async reactivate(tenantId: string): Promise<void> {
    if (!(await this.repo.reactivate(tenantId))) throw new AppError('subscription.errors.notCancelling', 409);
  }

  /** Saves the invoicing identity; the reverse-charge flag follows from the country and the VAT number. */
  async saveProfile(tenantId: string, input: unknown): Promise<BillingProfile> {
    const parsed = parseInput(profileSchema, input);
    const profile: BillingProfile = { ...parsed, vatReverseCharge: taxTreatment(parsed).reverseCharge };
    await this.repo.saveBillingProfile(tenantId, profile);
    return profile;
  }

  /** Job `billing:apply-period-ends`: every subscription whose period ended is renewed, downgraded or cancelled. */
  async applyPeriodEnds(now: Date = this.deps.clock.now()): Promise<{ due: number; renewed: number; cancelled: number; failed: number }> {
    const tenants = await this.repo.tenantsAtPeriodEnd(now);
    const totals = { due: tenants.length, renewed: 0, cancelled: 0, failed: 0 };
    for (const tenantId of tenants) {
      try {
        const outcome = await this.repo.applyPeriodEnd(tenantId, now);
        if (outcome.renewed) totals.renewed++;
        if (outcome.cancelled) totals.cancelled++;
      } catch (err) {
        totals.failed++;
        this.deps.logger.error({ err, tenantId }, 'period end failed');
      }
    }
    return totals;
  }

  changes(tenantId: string) {
    return this.repo.changes(tenantId);
  }

  private get repo(): KnexSubscriptionRepository {
    return this.deps.subscriptionRepository;
  }
}
