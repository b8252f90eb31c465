import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import { ValidationError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { wantsFragment } from '../../shared/http/html.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import { CHANNELS } from '../studio/domain.js';
import {
  COMMENT_MAX,
  formatDate,
  formatDateTime,
  formatSlot,
  LINK_DEFAULT_DAYS,
  LINK_MAX_DAYS,
  linkState,
  NOTE_MAX,
  parseQueueFilter,
  type QueueFilter,
} from './approval-domain.js';
import { userActor, type ApprovalService } from './approval-service.js';
import type { CreatedLink, ReviewerLinkService } from './reviewer-link-service.js';
import { requestBaseUrl } from '../../shared/http/public-url.js';

/** Which form of a card a submission came from, so a 422 re-opens that form with what was typed. */
type CardForm = 'approve' | 'reject' | 'comment' | 'regenerate' | 'edit';

interface CardState {
  form?: CardForm;
  errors?: Record<string, string>;
  values?: Record<string, string>;
  notice?: string;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The panel is embedded in the studio editor (`content-approvals`) or in a queue card (`content-approvals-<id>`). */
function panelPlace(value: unknown): 'editor' | 'queue' {
  return value === 'queue' ? 'queue' : 'editor';
}

export function approvalRoutes(deps: { approvalService: ApprovalService; reviewerLinkService: ReviewerLinkService; config: Config; clock: Clock }): Router {
  const { approvalService, reviewerLinkService, config, clock } = deps;
  const router = Router();

  const formats = (req: Request, timezone: string) => ({
    slot: (d: Date) => formatSlot(d, req.locale, timezone),
    when: (d: Date) => formatDateTime(d, req.locale, timezone),
    day: (d: Date) => formatDate(d, req.locale, timezone),
  });

  const permissions = (req: Request) => ({
    canApprove: hasTenantPermission(req, 'content.approve'),
    canWrite: hasTenantPermission(req, 'content.write'),
  });

  async function queueData(req: Request, filter: QueueFilter, extra: Record<string, unknown> = {}) {
    const tenantId = tenantIdOf(req);
    const page = await approvalService.queue(tenantId, filter);
    const links = hasTenantPermission(req, 'content.approve') ? await reviewerLinkService.list(tenantId) : [];
    return {
      ...page,
      ...permissions(req),
      fmt: formats(req, page.settings.timezone),
      filter,
      channels: CHANNELS,
      links,
      linkState: (l: Parameters<typeof linkState>[0]) => linkState(l, clock.now()),
      linkValues: { canApprove: 'on', expiresInDays: String(LINK_DEFAULT_DAYS), locale: req.locale, scope: 'contents' } as Record<string, unknown>,
      linkErrors: {},
      created: null as CreatedLink | null,
      cardStates: {} as Record<string, CardState>,
      limits: { comment: COMMENT_MAX, note: NOTE_MAX, linkDays: LINK_MAX_DAYS },
      ...extra,
    };
  }

  async function cardData(req: Request, contentId: string, state: CardState) {
    const { item, regenerationsLeft, timezone } = await approvalService.card(tenantIdOf(req), contentId);
    return { item, regenerationsLeft, ...permissions(req), fmt: formats(req, timezone), state, limits: { comment: COMMENT_MAX, note: NOTE_MAX } };
  }

  async function panelData(req: Request, contentId: string, place: 'editor' | 'queue', extra: Record<string, unknown> = {}) {
    const panel = await approvalService.panel(tenantIdOf(req), contentId);
    return { ...panel, ...permissions(req), fmt: formats(req, panel.timezone), place, noteValues: {}, noteErrors: {}, decisionState: {} as CardState, limits: { comment: COMMENT_MAX, note: NOTE_MAX }, ...extra };
  }

  /**
   * After an action on a content: HTMX gets only the card (or the panel) swapped; a plain form post is redirected
   * back with a message. A validation error re-renders the same place with status 422 and what was typed.
   */
  async function answer(req: Request, res: Response, contentId: string, state: CardState, status = 200) {
    const from = req.body?.from === 'panel' ? 'panel' : 'queue';
    if (from === 'panel') {
      const place = panelPlace(req.body?.place);
      if (!wantsFragment(req) && status === 200) {
        if (state.notice) flash(req, 'success', state.notice);
        return res.redirect(303, `/app/approvals/contents/${contentId}/panel`);
      }
      return render(req, res, 'approvals/panel', await panelData(req, contentId, place, { decisionState: state }), { status, fragment: 'approvals/_panel' });
    }
    if (wantsFragment(req)) return render(req, res, 'approvals/_card', await cardData(req, contentId, state), { status });
    if (status === 200) {
      if (state.notice) flash(req, 'success', state.notice);
      return res.redirect(303, '/app/approvals');
    }
    render(req, res, 'approvals/index', await queueData(req, {}, { cardStates: { [contentId]: state } }), { status });
  }

  /** Runs an action; a ValidationError re-renders its form with status 422. */
  async function act(req: Request, res: Response, form: CardForm, work: (contentId: string) => Promise<string>) {
    const contentId = uuidParam(req.params.id);
    try {
      const notice = await work(contentId);
      await answer(req, res, contentId, { notice });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const values = { comment: text(req.body?.comment), title: text(req.body?.title), body: text(req.body?.body) };
      await answer(req, res, contentId, { form, errors: err.fieldErrors, values }, 422);
    }
  }

  // The queue
  router.get('/app/approvals', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const filter = parseQueueFilter(req.query as Record<string, unknown>);
    render(req, res, 'approvals/index', await queueData(req, filter), { fragment: 'approvals/_queue' });
  });

  router.post('/app/approvals/contents/:id/approve', requireLogin, requireTenantPermission('content.approve'), (req, res) =>
    act(req, res, 'approve', async (id) => {
      const body = req.body ?? {};
      await approvalService.approve(tenantIdOf(req), userActor(req.viewer!), id, {
        versionId: body.versionId,
        comment: body.comment,
        overrideBrandSafety: body.overrideBrandSafety,
      });
      return req.t('approvals.notices.approved');
    }),
  );

  router.post('/app/approvals/contents/:id/reject', requireLogin, requireTenantPermission('content.approve'), (req, res) =>
    act(req, res, 'reject', async (id) => {
      await approvalService.reject(tenantIdOf(req), userActor(req.viewer!), id, { versionId: req.body?.versionId, comment: req.body?.comment });
      return req.t('approvals.notices.rejected');
    }),
  );

  router.post('/app/approvals/contents/:id/comment', requireLogin, requireTenantPermission('content.write'), (req, res) =>
    act(req, res, 'comment', async (id) => {
      await approvalService.comment(tenantIdOf(req), userActor(req.viewer!), id, { comment: req.body?.comment });
      return req.t('approvals.notices.commented');
    }),
  );

  router.post('/app/approvals/contents/:id/regenerate', requireLogin, requireTenantPermission('content.write'), (req, res) =>
    act(req, res, 'regenerate', async (id) => {
      await approvalService.requestRegeneration(tenantIdOf(req), userActor(req.viewer!), id, { versionId: req.body?.versionId, comment: req.body?.comment });
      return req.t('approvals.notices.regenerated');
    }),
  );

  router.post('/app/approvals/contents/:id/edit', requireLogin, requireTenantPermission('content.write'), (req, res) =>
    act(req, res, 'edit', async (id) => {
      await approvalService.quickEdit(tenantIdOf(req), userActor(req.viewer!), id, { versionId: req.body?.versionId, title: req.body?.title, body: req.body?.body });
      return req.t('approvals.notices.edited');
    }),
  );

  // A content's approval panel (loaded by the studio editor), and the team's private notes
  router.get('/app/approvals/contents/:id/panel', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const id = uuidParam(req.params.id);
    render(req, res, 'approvals/panel', await panelData(req, id, panelPlace(req.query.place)), { fragment: 'approvals/_panel' });
  });

  router.post('/app/approvals/contents/:id/notes', requireLogin, requireTenantPermission('content.write'), async (req, res) => {
    const id = uuidParam(req.params.id);
    const place = panelPlace(req.body?.place);
    try {
      await approvalService.addNote(tenantIdOf(req), userActor(req.viewer!), id, { body: req.body?.body });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const extra = { noteValues: { body: text(req.body?.body) }, noteErrors: err.fieldErrors };
      return render(req, res, 'approvals/panel', await panelData(req, id, place, extra), { status: 422, fragment: 'approvals/_panel' });
    }
    if (!wantsFragment(req)) return redirect(req, res, `/app/approvals/contents/${id}/panel`);
    render(req, res, 'approvals/_panel', await panelData(req, id, place, { noteNotice: req.t('approvals.notes.added') }));
  });

  router.post('/app/approvals/contents/:id/notes/:noteId/delete', requireLogin, requireTenantPermission('content.write'), async (req, res) => {
    const id = uuidParam(req.params.id);
    await approvalService.deleteNote(tenantIdOf(req), userActor(req.viewer!), id, uuidParam(req.params.noteId));
    if (!wantsFragment(req)) return redirect(req, res, `/app/approvals/contents/${id}/panel`);
    render(req, res, 'approvals/_panel', await panelData(req, id, panelPlace(req.body?.place), { noteNotice: req.t('approvals.notes.deleted') }));
  });

  // Reviewer links
  const linksSection = async (req: Request, res: Response, extra: Record<string, unknown>, status = 200) =>
    render(req, res, 'approvals/index', await queueData(req, {}, extra), { status, fragment: 'approvals/_links' });

  router.post('/app/approvals/links', requireLogin, requireTenantPermission('content.approve'), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const base = requestBaseUrl(req, config);
    try {
      const created = await reviewerLinkService.create(tenantIdOf(req), { userId: req.viewer!.userId, name: req.viewer!.name || req.viewer!.email }, {
        reviewerName: body.reviewerName,
        reviewerEmail: body.reviewerEmail,
        scope: body.scope,
        contentIds: body.contentIds,
        campaignId: body.campaignId,
        periodStart: body.periodStart,
        periodEnd: body.periodEnd,
        canApprove: body.canApprove,
        expiresInDays: body.expiresInDays,
        locale: body.locale,
      }, base);
      // The link is shown once, in this answer only (never stored in clear, never in a redirect).
      res.set('Cache-Control', 'no-store');
      await linksSection(req, res, { created }, 201);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const linkValues = { ...body, contentIds: Array.isArray(body.contentIds) ? body.contentIds : body.contentIds ? [body.contentIds] : [] };
      await linksSection(req, res, { linkValues, linkErrors: err.fieldErrors }, 422);
    }
  });

  router.post('/app/approvals/links/:id/revoke', requireLogin, requireTenantPermission('content.approve'), async (req, res) => {
    await reviewerLinkService.revoke(tenantIdOf(req), uuidParam(req.params.id));
    if (!wantsFragment(req)) {
      flash(req, 'success', req.t('approvals.links.revoked'));
      return res.redirect(303, '/app/approvals#reviewer-links');
    }
    await linksSection(req, res, { linksNotice: req.t('approvals.links.revoked') });
  });

  return router;
}
