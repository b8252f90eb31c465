import { Router, type Request, type Response } from 'express';
import { AppError, ValidationError } from '../../shared/errors.js';
import { singleFileReceiver } from '../../shared/http/file-upload.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import { wantsFragment } from '../../shared/http/html.js';
import { postsThroughNetwork, REPLY_MAX, REVIEW_SOURCES, type Review, type ReviewFilter, type ReviewSourceKind } from './review-domain.js';
import type { ReviewReplyService } from './review-reply-service.js';
import { MAX_REVIEW_IMPORT_BYTES, type ReviewImportReport, type ReviewService } from './review-service.js';
import { ReputationFormats } from './review-view.js';

export interface ReviewRouteDeps {
  reviewService: ReviewService;
  reviewReplyService: ReviewReplyService;
}

const PAGE_SIZE = 50;
const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v.at(-1) === 'string' ? (v.at(-1) as string) : '');

const receiveFile = singleFileReceiver(MAX_REVIEW_IMPORT_BYTES, {
  tooLarge: () => new ValidationError({ file: 'reputation.errors.fileTooLarge' }),
  bad: () => new ValidationError({ file: 'reputation.errors.badUpload' }),
});

/** The list's filters from the query string (anything unknown is ignored). */
export function parseReviewFilter(query: Record<string, unknown>): ReviewFilter & { page: number } {
  const rating = /^[1-5]$/.test(text(query.rating)) ? Number(text(query.rating)) : undefined;
  const replied = text(query.replied) === 'yes' ? true : text(query.replied) === 'no' ? false : undefined;
  const source = (REVIEW_SOURCES as readonly string[]).includes(text(query.source)) ? (text(query.source) as ReviewSourceKind) : undefined;
  const page = /^\d{1,4}$/.test(text(query.page)) ? Math.max(1, Number(text(query.page))) : 1;
  return { rating, replied, source, page, limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE };
}

function listHref(filter: ReviewFilter & { page: number }, page = filter.page): string {
  const params = new URLSearchParams();
  if (filter.rating) params.set('rating', String(filter.rating));
  if (filter.replied !== undefined) params.set('replied', filter.replied ? 'yes' : 'no');
  if (filter.source) params.set('source', filter.source);
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `/app/reputation?${query}` : '/app/reputation';
}

/** `/app/reputation`: reviews, their rating trend, manual entry and CSV import, AI-drafted replies posted or marked. */
export function reviewRoutes(cradle: ReviewRouteDeps): Router {
  const { reviewService, reviewReplyService } = cradle;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];
  const write = [requireLogin, requireTenantPermission('content.write')];

  const common = (req: Request) => ({
    fmt: new ReputationFormats(req.locale, req.viewer!.tenant!.timezone, req.t),
    canWrite: hasTenantPermission(req, 'content.write'),
    sources: REVIEW_SOURCES,
    replyMax: REPLY_MAX,
    postsThroughNetwork,
  });

  async function page(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const tenantId = tenantIdOf(req);
    const filter = parseReviewFilter(req.query as Record<string, unknown>);
    const [rows, summary] = await Promise.all([reviewService.list(tenantId, filter), reviewService.summary(tenantId, req.viewer!.tenant!.timezone)]);
    const fmt = new ReputationFormats(req.locale, req.viewer!.tenant!.timezone, req.t);
    render(
      req,
      res,
      'analytics/reputation',
      {
        ...common(req),
        section: 'reputation',
        reviews: rows.slice(0, PAGE_SIZE),
        summary,
        chart: fmt.trendChart(summary),
        filter,
        filtered: Boolean(filter.rating || filter.source || filter.replied !== undefined),
        prevHref: filter.page > 1 ? listHref(filter, filter.page - 1) : null,
        nextHref: rows.length > PAGE_SIZE ? listHref(filter, filter.page + 1) : null,
        values: {},
        errors: {},
        report: null,
        ...extra,
      },
      { status, fragment: wantsFragment(req) && req.method === 'GET' ? 'analytics/_review-list' : undefined },
    );
  }

  router.get('/app/reputation', ...read, (req, res) => page(req, res));

  router.post('/app/reputation/reviews', ...write, async (req, res) => {
    const values = (req.body ?? {}) as Record<string, unknown>;
    try {
      await reviewService.add(tenantIdOf(req), { authorName: values.authorName, rating: values.rating, text: values.text, locale: values.locale, url: values.url, reviewedAt: values.reviewedAt });
      flash(req, 'success', req.t('reputation.entry.added'));
      redirect(req, res, '/app/reputation');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await page(req, res, { values, errors: err.fieldErrors, openEntry: true }, 422);
    }
  });

  router.post('/app/reputation/import', ...write, async (req, res) => {
    let report: ReviewImportReport;
    try {
      await receiveFile(req, res);
      if (!req.file) throw new ValidationError({ file: 'reputation.errors.fileRequired' });
      report = await reviewService.import(tenantIdOf(req), req.file.originalname, req.file.buffer);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return page(req, res, { importErrors: err.fieldErrors, openImport: true }, 422);
    }
    await page(req, res, { report, openImport: true }, report.errorCode ? 422 : 200);
  });

  // ---- Replies: each action answers an HTMX request with the review's card, others with a redirect ----

  async function item(req: Request, res: Response, review: Review) {
    if (!wantsFragment(req)) {
      if (review.replyStatus === 'failed' && review.replyError) flash(req, 'error', req.t('reputation.reply.failed', { reason: req.t(review.replyError) }));
      return redirect(req, res, `/app/reputation#review-${review.id}`);
    }
    render(req, res, 'analytics/_review-item', { ...common(req), review, replyValue: review.replyText ?? '', replyErrors: {} }, { fragment: 'analytics/_review-item' });
  }

  /** A reply action; a refusal (validation, conflict, the AI not answering) re-renders the card with its reason. */
  const replyAction = (work: (req: Request, tenantId: string, id: string) => Promise<Review>, message?: string) => async (req: Request, res: Response) => {
    const tenantId = tenantIdOf(req);
    const id = uuidParam(req.params.id);
    try {
      const review = await work(req, tenantId, id);
      if (message && !wantsFragment(req)) flash(req, 'success', req.t(message));
      await item(req, res, review);
    } catch (err) {
      const refused = err instanceof AppError && (err.status < 500 || err.code.startsWith('ai.errors.')) && err.status !== 404;
      if (!refused) throw err;
      const errors = err instanceof ValidationError ? err.fieldErrors : { reply: err.code };
      if (!wantsFragment(req)) {
        flash(req, 'error', req.t(Object.values(errors)[0] ?? err.code, err.params));
        return redirect(req, res, `/app/reputation#review-${id}`);
      }
      const review = await reviewService.get(tenantId, id);
      render(req, res, 'analytics/_review-item', { ...common(req), review, replyValue: text(req.body?.reply) || review.replyText || '', replyErrors: errors }, { status: err.status, fragment: 'analytics/_review-item' });
    }
  };

  router.post('/app/reputation/reviews/:id/draft', ...write, replyAction((req, tenantId, id) => reviewReplyService.draft(tenantId, req.viewer!.userId, id), 'reputation.reply.drafted'));
  router.post('/app/reputation/reviews/:id/reply', ...write, replyAction((req, tenantId, id) => reviewReplyService.save(tenantId, id, { reply: req.body?.reply }), 'reputation.reply.saved'));
  router.post('/app/reputation/reviews/:id/post', ...write, replyAction((req, tenantId, id) => reviewReplyService.post(tenantId, req.viewer!.userId, id, { reply: req.body?.reply })));

  return router;
}
