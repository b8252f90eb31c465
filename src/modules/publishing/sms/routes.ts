import express, { Router, type Request, type Response } from 'express';
import type { Config } from '../../../config.js';
import { AppError } from '../../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../../shared/http/guards.js';
import { uuidParam } from '../../../shared/http/params.js';
import { flash, redirect, render } from '../../../shared/http/render.js';
import type { SmsInboundService } from './inbound-service.js';
import { InboundRejectedError } from './provider.js';
import type { SmsCampaignProgress, SmsPreparation, SmsService } from './sms-service.js';
import { requestBaseUrl } from '../../../shared/http/public-url.js';

/** `/app/sms/contents/:contentId`: the preparation (or the campaign's progress once sent) and the Send action. */
export function smsPageRoutes(deps: { smsService: SmsService }): Router {
  const { smsService } = deps;
  const router = Router();

  const formatters = (req: Request, timezone: string) => ({
    n: (value: number) => new Intl.NumberFormat(req.locale).format(value),
    money: (micros: number, currency: string) => new Intl.NumberFormat(req.locale, { style: 'currency', currency, maximumFractionDigits: 4 }).format(micros / 1_000_000),
    when: (date: Date | null) =>
      date ? new Intl.DateTimeFormat(req.locale, { dateStyle: 'full', timeStyle: 'short', timeZone: timezone }).format(date) : '',
  });

  async function pageData(req: Request, contentId: string): Promise<{ preparation: SmsPreparation | null; launched: SmsCampaignProgress | null; timezone: string }> {
    const tenantId = tenantIdOf(req);
    const launched = await smsService.launchedFor(tenantId, contentId);
    // Preparing records a draft: only those who may send need one; the others see the same figures through it too.
    const preparation = launched ? null : await smsService.prepareCampaign(tenantId, contentId, req.viewer!.userId);
    return { preparation, launched, timezone: preparation?.timezone ?? 'Europe/Paris' };
  }

  router.get('/app/sms/contents/:contentId', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const contentId = uuidParam(req.params.contentId);
    const data = await pageData(req, contentId);
    render(req, res, 'publishing/sms/content', { ...data, contentId, canSend: hasTenantPermission(req, 'publishing.manage'), ...formatters(req, data.timezone) }, { fragment: 'publishing/sms/_panel' });
  });

  router.post('/app/sms/contents/:contentId/send', requireLogin, requireTenantPermission('publishing.manage'), async (req: Request, res: Response) => {
    const contentId = uuidParam(req.params.contentId);
    const campaignId = uuidParam(req.body?.campaignId);
    const tenantId = tenantIdOf(req);
    const progress = await smsService.progress(tenantId, campaignId);
    if (progress.campaign.contentId !== contentId) throw new AppError('common.errors.notFound', 404);
    const campaign = await smsService.sendCampaign(tenantId, campaignId);
    flash(req, 'success', req.t('sms.send.queued', { count: campaign.recipientCount }));
    redirect(req, res, `/app/sms/contents/${contentId}`);
  });

  return router;
}

/**
 * `POST /webhooks/sms/:provider` (brevo | twilio): vendor callbacks, authenticated by the vendor's signature or
 * secret token, with no session and no CSRF token — mount before the session and CSRF middlewares.
 */
export function smsWebhookRoutes(deps: { smsInboundService: SmsInboundService; config: Config }): Router {
  const router = Router();
  router.post(
    '/webhooks/sms/:provider',
    express.urlencoded({ extended: false, limit: '64kb' }),
    express.json({ limit: '256kb' }),
    async (req: Request, res: Response) => {
      const base = requestBaseUrl(req, deps.config);
      try {
        const report = await deps.smsInboundService.handle(String(req.params.provider), {
          url: new URL(req.originalUrl, base).toString(),
          headers: req.headers,
          body: req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {},
          query: req.query as Record<string, unknown>,
        });
        // Twilio expects TwiML (an empty response sends no reply); Brevo only looks at the status.
        if (req.params.provider === 'twilio') res.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
        else res.json({ ok: true, ...report });
      } catch (err) {
        if (err instanceof InboundRejectedError) return void res.status(403).json({ error: 'forbidden' });
        if (err instanceof AppError && err.status === 404) return void res.status(404).json({ error: 'not_found' });
        throw err;
      }
    },
  );
  return router;
}
