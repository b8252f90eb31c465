import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config.js';
import { ValidationError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requirePlatformAdmin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { wantsFragment } from '../../shared/http/html.js';
import { requestBaseUrl } from '../../shared/http/public-url.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import type { InvoiceService } from './invoice-service.js';
import { LEGAL_KINDS, legalPath } from './legal-kinds.js';
import type { LegalService } from './legal-service.js';
import type { PaymentService } from './payment-service.js';
import { CANCELLATION_REASONS, type SubscriptionService } from './subscription-service.js';

const COUNTRIES = ['FR', 'BE', 'LU', 'CH', 'MC', 'DE', 'ES', 'IT', 'NL', 'PT', 'IE', 'AT', 'GB', 'US', 'CA'];

interface Deps {
  subscriptionService: SubscriptionService;
  invoiceService: InvoiceService;
  paymentService: PaymentService;
  legalService: LegalService;
  config: Config;
}

/** `/app/subscription` (read: workspace.view; changes: billing.manage), its invoice PDFs, and the super admin's open invoices. */
export function subscriptionRoutes(deps: Deps): Router {
  const { subscriptionService, invoiceService, paymentService, legalService } = deps;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];
  const manage = [requireLogin, requireTenantPermission('billing.manage')];

  const formatters = (req: Request) => ({
    money: (cents: number, currency: string) => new Intl.NumberFormat(req.locale, { style: 'currency', currency }).format(cents / 100),
    n: (value: number) => new Intl.NumberFormat(req.locale).format(value),
    date: (d: Date | null) => (d ? new Intl.DateTimeFormat(req.locale, { dateStyle: 'long', timeZone: req.viewer?.tenant?.timezone ?? 'Europe/Paris' }).format(new Date(d)) : ''),
    // DATE columns are local midnight: formatted in the local zone they stay the same day.
    day: (d: Date | null) => (d ? new Intl.DateTimeFormat(req.locale, { dateStyle: 'medium' }).format(new Date(d)) : ''),
    gib: (bytes: number) => new Intl.NumberFormat(req.locale, { maximumFractionDigits: 1 }).format(bytes / 1024 ** 3),
  });

  async function page(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200, fragment?: string) {
    const tenantId = tenantIdOf(req);
    const [overview, invoices, legal, pendingLegal, paymentMethod, cardAvailable] = await Promise.all([
      subscriptionService.overview(tenantId),
      invoiceService.list(tenantId),
      legalService.documents(req.locale),
      legalService.pendingAcceptances(tenantId, req.locale),
      paymentService.defaultPaymentMethod(tenantId),
      paymentService.cardAvailable(),
    ]);
    render(
      req,
      res,
      'billing/subscription',
      {
        section: 'subscription',
        ...overview,
        invoices,
        legal: legal.map((d) => ({ ...d, href: legalPath(d.kind) })),
        legalKinds: LEGAL_KINDS,
        pendingLegal,
        paymentMethod,
        cardAvailable,
        canManage: hasTenantPermission(req, 'billing.manage'),
        reasons: CANCELLATION_REASONS,
        countries: COUNTRIES,
        values: null,
        errors: {},
        cancelValues: null,
        cancelErrors: {},
        ...formatters(req),
        ...extra,
      },
      { status, fragment },
    );
  }

  /** After a change: back to the page with a message (HTMX follows HX-Redirect). */
  const done = (req: Request, res: Response, key: string, params: Record<string, unknown> = {}) => {
    flash(req, 'success', req.t(key, params));
    redirect(req, res, '/app/subscription');
  };

  router.get('/app/subscription', ...read, (req, res) => page(req, res));

  router.post('/app/subscription/plan', ...manage, async (req, res) => {
    const outcome = await subscriptionService.changePlan(tenantIdOf(req), req.body ?? {}, req.viewer!.userId);
    if (outcome.direction === 'upgrade') done(req, res, 'subscription.flash.upgraded');
    else done(req, res, 'subscription.flash.downgradeScheduled', { date: formatters(req).date(outcome.effectiveAt) });
  });

  router.post('/app/subscription/plan/pending/cancel', ...manage, async (req, res) => {
    await subscriptionService.cancelPendingChange(tenantIdOf(req));
    done(req, res, 'subscription.flash.pendingCancelled');
  });

  router.post('/app/subscription/cancel', ...manage, async (req, res) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    try {
      const { effectiveAt } = await subscriptionService.cancel(tenantIdOf(req), form);
      done(req, res, 'subscription.flash.cancelScheduled', { date: formatters(req).date(effectiveAt) });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await page(req, res, { cancelValues: form, cancelErrors: err.fieldErrors }, 422, wantsFragment(req) ? 'billing/_subscription-cancel' : undefined);
    }
  });

  router.post('/app/subscription/reactivate', ...manage, async (req, res) => {
    await subscriptionService.reactivate(tenantIdOf(req));
    done(req, res, 'subscription.flash.reactivated');
  });

  router.post('/app/subscription/profile', ...manage, async (req, res) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    try {
      await subscriptionService.saveProfile(tenantIdOf(req), form);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return page(req, res, { values: form, errors: err.fieldErrors }, 422, wantsFragment(req) ? 'billing/_subscription-profile' : undefined);
    }
    if (!wantsFragment(req)) return done(req, res, 'subscription.flash.profileSaved');
    await page(req, res, { notice: req.t('subscription.flash.profileSaved') }, 200, 'billing/_subscription-profile');
  });

  router.post('/app/subscription/payment/card', ...manage, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const base = requestBaseUrl(req, deps.config);
    const overview = await subscriptionService.overview(tenantId);
    const url = await paymentService.startCardSetup(tenantId, {
      name: overview.profile?.legalName ?? req.viewer!.tenant!.name,
      email: overview.profile?.billingEmail ?? req.viewer!.email,
      successUrl: `${base}/app/subscription?card=saved`,
      cancelUrl: `${base}/app/subscription`,
    });
    if (req.get('HX-Request') === 'true') return void res.set('HX-Redirect', url).status(204).end();
    res.redirect(303, url);
  });

  router.post('/app/subscription/payment/transfer', ...manage, async (req, res) => {
    await paymentService.chooseBankTransfer(tenantIdOf(req));
    done(req, res, 'subscription.flash.transferChosen');
  });

  router.get('/app/subscription/invoices/:id.pdf', ...read, async (req, res) => {
    const { number, pdf } = await invoiceService.pdf(tenantIdOf(req), req.params.id);
    sendPdf(res, number, pdf);
  });

  router.post('/app/legal/:id/accept', ...manage, async (req, res) => {
    const doc = await legalService.accept(tenantIdOf(req), req.params.id, {
      userId: req.viewer!.userId,
      ip: req.ip ?? null,
      userAgent: req.get('user-agent') ?? null,
    });
    done(req, res, 'subscription.flash.accepted', { title: doc.title, version: doc.version });
  });

  // ── Super admin: invoices awaiting payment, bank transfers recorded by hand ──

  router.get('/admin/invoices', requireLogin, requirePlatformAdmin, async (req, res) => {
    render(req, res, 'billing/invoice-admin', { invoices: await invoiceService.unpaid(), errors: {}, failedId: null, ...formatters(req) });
  });

  router.post('/admin/invoices/:id/paid', requireLogin, requirePlatformAdmin, async (req, res) => {
    try {
      await invoiceService.recordBankTransfer(req.params.id, req.body ?? {}, req.viewer!.userId);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return render(req, res, 'billing/invoice-admin', { invoices: await invoiceService.unpaid(), errors: err.fieldErrors, failedId: req.params.id, ...formatters(req) }, { status: 422 });
    }
    flash(req, 'success', req.t('subscription.admin.recorded'));
    redirect(req, res, '/admin/invoices');
  });

  router.get('/admin/invoices/:id.pdf', requireLogin, requirePlatformAdmin, async (req, res) => {
    const { number, pdf } = await invoiceService.adminPdf(req.params.id);
    sendPdf(res, number, pdf);
  });

  return router;
}

function sendPdf(res: Response, number: string, pdf: Buffer): void {
  const filename = `${number.replace(/[^A-Za-z0-9_-]/g, '_')}.pdf`;
  res.status(200).type('application/pdf').set('Content-Disposition', `attachment; filename="${filename}"`).set('Cache-Control', 'private, no-store').send(pdf);
}

