import { Router, type NextFunction, type Request, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { i18n } from 'i18next';
import { AppError, ValidationError } from '../../shared/errors.js';
import { escapeHtml, wantsFragment } from '../../shared/http/html.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, render } from '../../shared/http/render.js';
import { isLocale } from '../../shared/i18n.js';
import { COMMENT_MAX, formatDate, formatDateTime, formatSlot, REVIEW_RATE } from './approval-domain.js';
import { ReviewLinkGoneError, type OpenLink, type ReviewAction, type ReviewerLinkService } from './reviewer-link-service.js';

const ACTIONS: readonly ReviewAction[] = ['approve', 'reject', 'comment'];

/**
 * The reviewer's pages, reached without an account through a signed link: `GET /review/<token>` and one POST per
 * decision on an item. Everything is shown in the link's language; pages are not indexed, send no referrer (the URL
 * is the credential) and are not cached. POSTs pass the app-wide CSRF check like every form: the anonymous visitor's
 * session carries the synchronizer token, set when the page was read.
 */
export function reviewRoutes(deps: { reviewerLinkService: ReviewerLinkService; i18n: i18n }): Router {
  const { reviewerLinkService, i18n } = deps;
  const router = Router();

  const speak = (req: Request, locale: string) => {
    req.locale = isLocale(locale) ? locale : req.locale;
    req.t = i18n.getFixedT(req.locale);
  };

  const refuse = (req: Request, res: Response, status: number, code: string) => {
    if (wantsFragment(req)) {
      res.status(status).type('html').send(`<div class="alert alert-error" role="alert">${escapeHtml(req.t(code))}</div>`);
      return;
    }
    render(req, res, 'review/message', { status, message: req.t(code) }, { status });
  };

  router.use('/review', (_req: Request, res: Response, next: NextFunction) => {
    res.set({ 'X-Robots-Tag': 'noindex, nofollow, noarchive', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' });
    next();
  });
  // Modest limits per address: every request, and those that fail (unknown tokens, refusals) much sooner.
  router.use(
    '/review',
    rateLimit({
      windowMs: REVIEW_RATE.windowMs,
      limit: REVIEW_RATE.limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
      handler: (req, res) => refuse(req, res, 429, 'approvals.review.tooMany'),
    }),
    rateLimit({
      windowMs: REVIEW_RATE.windowMs,
      limit: REVIEW_RATE.failedLimit,
      skipSuccessfulRequests: true,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => `failed|${ipKeyGenerator(req.ip ?? '')}`,
      handler: (req, res) => refuse(req, res, 429, 'approvals.review.tooMany'),
    }),
  );

  async function open(req: Request): Promise<OpenLink> {
    const link = await reviewerLinkService.open(String(req.params.token));
    speak(req, link.link.locale);
    return link;
  }

  const view = (req: Request, link: OpenLink) => ({
    token: String(req.params.token),
    link: link.link,
    tenantName: link.tenantName,
    fmt: {
      slot: (d: Date) => formatSlot(d, req.locale, link.timezone),
      when: (d: Date) => formatDateTime(d, req.locale, link.timezone),
      day: (d: Date) => formatDate(d, req.locale, link.timezone),
    },
    commentMax: COMMENT_MAX,
    states: {} as Record<string, { errors?: Record<string, string>; values?: Record<string, string>; form?: string; notice?: string }>,
  });

  router.get('/review/:token', async (req, res) => {
    const link = await open(req);
    const items = await reviewerLinkService.items(link);
    render(req, res, 'review/index', { ...view(req, link), items });
  });

  router.post('/review/:token/contents/:id/:action', async (req, res) => {
    const link = await open(req);
    const contentId = uuidParam(req.params.id);
    const action = req.params.action as ReviewAction;
    if (!ACTIONS.includes(action)) throw new AppError('common.errors.notFound', 404);
    const body = (req.body ?? {}) as Record<string, unknown>;
    let state: { errors?: Record<string, string>; values?: Record<string, string>; form?: string; notice?: string };
    let status = 200;
    try {
      await reviewerLinkService.decide(link, contentId, action, body);
      state = { notice: req.t(`approvals.review.done.${action}`) };
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      state = { form: action, errors: err.fieldErrors, values: { comment: typeof body.comment === 'string' ? body.comment : '' } };
      status = 422;
    }
    if (wantsFragment(req)) {
      const item = await reviewerLinkService.item(link, contentId);
      return render(req, res, 'review/_item', { ...view(req, link), item, state }, { status });
    }
    if (status === 200) {
      flash(req, 'success', state.notice!);
      return res.redirect(303, `/review/${encodeURIComponent(String(req.params.token))}#review-item-${contentId}`);
    }
    const items = await reviewerLinkService.items(link);
    render(req, res, 'review/index', { ...view(req, link), items, states: { [contentId]: state } }, { status });
  });

  // A link that can no longer be used: a clear page in its language.
  router.use('/review', (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof ReviewLinkGoneError)) return next(err);
    speak(req, err.locale);
    refuse(req, res, 410, err.code);
  });

  return router;
}
