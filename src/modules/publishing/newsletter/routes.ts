import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../../shared/http/guards.js';
import { uuidParam } from '../../../shared/http/params.js';
import { flash, redirect, render } from '../../../shared/http/render.js';
import { parseInput } from '../../../shared/validation.js';
import type { ContactService } from '../contacts/contact-service.js';
import { DEFAULT_RATE_PER_MINUTE, MAX_RATE_PER_MINUTE, type NewsletterService } from './newsletter-service.js';

const prepareSchema = z.object({
  listId: z.string().uuid(),
  ratePerMinute: z.coerce.number().int().min(1).max(MAX_RATE_PER_MINUTE).default(DEFAULT_RATE_PER_MINUTE),
});

/**
 * The preview is served apart, with its own CSP: no script, no network, no form, sandboxed, and framable only by
 * Cadence's own pages (the app's CSP forbids framing everywhere else).
 */
const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox";

/** `/app/newsletters/contents/:contentId`: list, rate, preview and Send; then the progress per recipient. */
export function newsletterPageRoutes(deps: { newsletterService: NewsletterService; contactService: ContactService }): Router {
  const { newsletterService, contactService } = deps;
  const router = Router();

  router.get('/app/newsletters/contents/:contentId', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const contentId = uuidParam(req.params.contentId);
    const tenantId = tenantIdOf(req);
    const newsletter = await newsletterService.latestForContent(tenantId, contentId);
    const progress = newsletter && newsletter.status !== 'draft' ? await newsletterService.progress(tenantId, newsletter.id) : null;
    const lists = progress ? [] : (await contactService.lists(tenantId)).filter((l) => !l.archivedAt);
    const n = (value: number) => new Intl.NumberFormat(req.locale).format(value);
    render(req, res, 'publishing/newsletter/content', { contentId, newsletter, progress, lists, canSend: hasTenantPermission(req, 'publishing.manage'), n, defaultRate: DEFAULT_RATE_PER_MINUTE }, { fragment: 'publishing/newsletter/_panel' });
  });

  router.post('/app/newsletters/contents/:contentId/prepare', requireLogin, requireTenantPermission('publishing.manage'), async (req, res) => {
    const contentId = uuidParam(req.params.contentId);
    const input = parseInput(prepareSchema, req.body ?? {});
    await newsletterService.prepare(tenantIdOf(req), contentId, input.listId, { ratePerMinute: input.ratePerMinute, createdBy: req.viewer!.userId });
    redirect(req, res, `/app/newsletters/contents/${contentId}`);
  });

  router.post('/app/newsletters/:id/send', requireLogin, requireTenantPermission('publishing.manage'), async (req, res) => {
    const id = uuidParam(req.params.id);
    const newsletter = await newsletterService.send(tenantIdOf(req), id);
    flash(req, 'success', req.t('newsletter.send.queued', { count: newsletter.recipientCount }));
    redirect(req, res, `/app/newsletters/contents/${newsletter.contentId}`);
  });

  router.get('/app/newsletters/:id/preview', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const html = await newsletterService.previewHtml(tenantIdOf(req), uuidParam(req.params.id));
    if (!html) throw new AppError('common.errors.notFound', 404);
    res.set({ 'Content-Security-Policy': PREVIEW_CSP, 'X-Frame-Options': 'SAMEORIGIN', 'Cache-Control': 'no-store' }).type('html').send(html);
  });

  return router;
}
