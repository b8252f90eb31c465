import { Router, type Request, type Response } from 'express';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import { isUuid } from '../../shared/ids.js';
import { CHANNELS } from '../studio/domain.js';
import { EMAIL_FREQUENCIES, type AlertService } from './alert-service.js';
import type { CompetitorService, WatchForm } from './competitor-service.js';
import type { ChangeFilter, SourceView } from './db/knex-competitor-repository.js';
import { CHANGE_KINDS, SELECTOR_FIELDS, SIGNIFICANCE } from './domain.js';
import type { FeedCandidate } from './feed-discovery.js';
import type { SourcePoll } from './poller.js';
import type { RespondService } from './respond-service.js';
import { diffLines, WatchFormats } from './view.js';

export interface WatchRouteDeps {
  competitorService: CompetitorService;
  respondService: RespondService;
  alertService: Pick<AlertService, 'list' | 'markRead' | 'markChangeRead' | 'markAllRead' | 'preferences' | 'savePreferences'>;
}

const PAGE_SIZE = 50;
const ALERTS_SHOWN = 200;
const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v.at(-1) === 'string' ? (v.at(-1) as string) : '');
const oneOf = <T extends string>(values: readonly T[], v: unknown): T | undefined => ((values as readonly string[]).includes(text(v)) ? (text(v) as T) : undefined);

/** The overview's filters, from the query string (anything unknown is ignored). */
export function parseChangeFilter(query: Record<string, unknown>): ChangeFilter & { page: number } {
  const page = /^\d{1,4}$/.test(text(query.page)) ? Math.max(1, Number(text(query.page))) : 1;
  return {
    competitorId: isUuid(text(query.competitor)) ? text(query.competitor) : undefined,
    kind: oneOf(CHANGE_KINDS, query.kind),
    significance: oneOf(SIGNIFICANCE, query.significance),
    unreadOnly: text(query.unread) === '1',
    includeDismissed: text(query.dismissed) === '1',
    limit: PAGE_SIZE + 1,
    offset: (page - 1) * PAGE_SIZE,
    page,
  };
}

function overviewHref(filter: ChangeFilter & { page: number }, page = filter.page): string {
  const params = new URLSearchParams();
  if (filter.competitorId) params.set('competitor', filter.competitorId);
  if (filter.kind) params.set('kind', filter.kind);
  if (filter.significance) params.set('significance', filter.significance);
  if (filter.unreadOnly) params.set('unread', '1');
  if (filter.includeDismissed) params.set('dismissed', '1');
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `/app/watch?${query}` : '/app/watch';
}

/** Where a button sends the browser back: a watch page it came from, never elsewhere. */
function backTo(req: Request, fallback: string): string {
  const back = text(req.body?.back);
  return /^\/app\/watch(?:[/?][^\s\\]*)?$/.test(back) && !back.startsWith('//') ? back : fallback;
}

/** What "check now" found, as a flash message. */
function checkedMessage(req: Request, fmt: WatchFormats, poll: SourcePoll, host: string): { kind: 'success' | 'error' | 'info'; message: string } {
  switch (poll.outcome) {
    case 'changed':
      return { kind: 'success', message: req.t('watch.ui.sources.checkedChanged', { count: poll.changeIds.length }) };
    case 'unchanged':
    case 'not_modified':
      return { kind: 'success', message: req.t('watch.ui.sources.checkedUnchanged') };
    case 'deferred':
      return { kind: 'info', message: req.t('watch.ui.sources.checkDeferred') };
    case 'error':
      return { kind: 'error', message: req.t('watch.ui.sources.checkFailed', { reason: fmt.sourceError({ lastErrorCode: poll.errorCode ?? null, lastErrorMessage: null, host, lastHttpStatus: null }) }) };
  }
}

/**
 * The competitive watch in the client portal: the changes (overview and detail, dismiss, respond), competitors
 * and their sources, the reader's alerts and alert preferences.
 */
export function watchPortalRoutes(cradle: WatchRouteDeps): Router {
  const { competitorService: service, respondService, alertService } = cradle;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];
  const manage = [requireLogin, requireTenantPermission('watch.manage')];
  const write = [requireLogin, requireTenantPermission('content.write')];

  const common = (req: Request) => ({
    fmt: new WatchFormats(req.locale, req.viewer!.tenant!.timezone, req.t),
    canManage: hasTenantPermission(req, 'watch.manage'),
    canRespond: hasTenantPermission(req, 'content.write'),
    kinds: CHANGE_KINDS,
    significances: SIGNIFICANCE,
    channels: CHANNELS,
    selectorFields: SELECTOR_FIELDS,
  });

  /** An error's message in the reader's language, with the plan's numbers it may name. */
  const messageOf = (req: Request, err: AppError) => req.t(err.code, err.params);

  // ---- Overview and change detail ----

  router.get('/app/watch', ...read, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const filter = parseChangeFilter(req.query as Record<string, unknown>);
    const [rows, competitors] = await Promise.all([service.changes(tenantId, req.viewer!.userId, filter), service.competitors(tenantId)]);
    const filtered = Boolean(filter.competitorId || filter.kind || filter.significance || filter.unreadOnly || filter.includeDismissed);
    render(
      req,
      res,
      'watch/index',
      {
        ...common(req),
        section: 'watch',
        changes: rows.slice(0, PAGE_SIZE),
        competitors,
        filter,
        filtered,
        selfHref: overviewHref(filter),
        prevHref: filter.page > 1 ? overviewHref(filter, filter.page - 1) : null,
        nextHref: rows.length > PAGE_SIZE ? overviewHref(filter, filter.page + 1) : null,
      },
      { fragment: 'watch/_changes' },
    );
  });

  router.get('/app/watch/changes/:id', ...read, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const userId = req.viewer!.userId;
    const change = await service.change(tenantId, userId, uuidParam(req.params.id));
    // opening the change is reading its alert
    if (change.unread) await alertService.markChangeRead(tenantId, userId, change.id);
    render(req, res, 'watch/change', { ...common(req), change, diff: diffLines(change.diffText), wasUnread: change.unread });
  });

  router.post('/app/watch/changes/:id/dismiss', ...manage, async (req, res) => {
    const id = uuidParam(req.params.id);
    const undo = text(req.body?.undo) === '1';
    await service.dismiss(tenantIdOf(req), id, !undo);
    flash(req, 'success', req.t(undo ? 'watch.ui.change.restored' : 'watch.ui.change.dismissed'));
    redirect(req, res, backTo(req, `/app/watch/changes/${id}`));
  });

  router.post('/app/watch/changes/:id/respond', ...write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const id = uuidParam(req.params.id);
    try {
      const result = await respondService.respond(tenantId, req.viewer!.userId, id, {
        channel: text(req.body?.channel) || 'linkedin',
        generate: text(req.body?.generate) === 'on' || text(req.body?.generate) === '1',
      });
      if (!result.created) flash(req, 'info', req.t('watch.ui.respond.existing'));
      else if (result.generationError) flash(req, 'error', req.t('watch.ui.respond.draftFailed', { reason: req.t(result.generationError) }));
      else flash(req, 'success', req.t('watch.ui.respond.created'));
      redirect(req, res, `/app/studio/${result.contentId}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      flash(req, 'error', messageOf(req, err));
      redirect(req, res, `/app/watch/changes/${id}`);
    }
  });

  // ---- Competitors ----

  async function competitorsPage(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const tenantId = tenantIdOf(req);
    const [competitors, limits] = await Promise.all([service.competitors(tenantId), service.limits(tenantId)]);
    const used = competitors.reduce((sum, c) => sum + (c.active ? c.sourceCount : 0), 0);
    render(
      req,
      res,
      'watch/competitors',
      { ...common(req), section: 'watch', competitors, limits, used, values: {}, errors: {}, ...extra },
      { status, fragment: 'watch/_competitor-create' },
    );
  }

  router.get('/app/watch/competitors', ...read, (req, res) => competitorsPage(req, res));

  router.post('/app/watch/competitors', ...manage, async (req, res) => {
    const form = (req.body ?? {}) as WatchForm;
    try {
      const { id } = await service.createCompetitor(tenantIdOf(req), form);
      flash(req, 'success', req.t('watch.ui.competitors.created'));
      redirect(req, res, `/app/watch/competitors/${id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await competitorsPage(req, res, { values: form, errors: err.fieldErrors }, 422);
    }
  });

  /** The competitor's page: its details, its sources, and the forms to add a feed or a page. */
  async function competitorPage(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200, fragment?: string) {
    const tenantId = tenantIdOf(req);
    const competitor = await service.competitor(tenantId, uuidParam(req.params.id));
    const [sources, limits, competitors] = await Promise.all([service.sources(tenantId, competitor.id), service.limits(tenantId), service.competitors(tenantId)]);
    const used = competitors.reduce((sum, c) => sum + (c.active ? c.sourceCount : 0), 0);
    render(
      req,
      res,
      'watch/competitor',
      {
        ...common(req),
        section: 'watch',
        competitor,
        sources,
        limits,
        used,
        defaultInterval: service.defaultInterval(limits),
        values: {},
        errors: {},
        feedForm: { values: {}, errors: {} },
        pageForm: { values: {}, errors: {} },
        discovery: null,
        ...extra,
      },
      { status, fragment },
    );
  }

  router.get('/app/watch/competitors/:id', ...read, (req, res) => competitorPage(req, res));

  router.post('/app/watch/competitors/:id', ...manage, async (req, res) => {
    const id = uuidParam(req.params.id);
    const form = (req.body ?? {}) as WatchForm;
    try {
      await service.updateCompetitor(tenantIdOf(req), id, form);
      flash(req, 'success', req.t('watch.ui.competitors.saved'));
      redirect(req, res, `/app/watch/competitors/${id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await competitorPage(req, res, { values: form, errors: err.fieldErrors }, 422, 'watch/_competitor-form');
    }
  });

  for (const [action, active] of [['deactivate', false], ['activate', true]] as const) {
    router.post(`/app/watch/competitors/:id/${action}`, ...manage, async (req, res) => {
      const id = uuidParam(req.params.id);
      try {
        await service.setActive(tenantIdOf(req), id, active);
        flash(req, 'success', req.t(active ? 'watch.ui.competitors.activated' : 'watch.ui.competitors.deactivated'));
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 422) throw err;
        flash(req, 'error', messageOf(req, err));
      }
      redirect(req, res, `/app/watch/competitors/${id}`);
    });
  }

  router.post('/app/watch/competitors/:id/sources', ...manage, async (req, res) => {
    const id = uuidParam(req.params.id);
    const form = (req.body ?? {}) as WatchForm;
    try {
      const source = await service.addSource(tenantIdOf(req), id, form);
      flash(req, 'success', req.t('watch.ui.sources.added'));
      redirect(req, res, `/app/watch/sources/${source.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const which = text(form.kind) === 'page' ? 'pageForm' : 'feedForm';
      await competitorPage(req, res, { [which]: { values: form, errors: err.fieldErrors } }, 422, which === 'pageForm' ? 'watch/_page-form' : 'watch/_feed-form');
    }
  });

  router.post('/app/watch/competitors/:id/discover', ...manage, async (req, res) => {
    const form = (req.body ?? {}) as WatchForm;
    let discovery: { pageUrl: string; candidates: FeedCandidate[]; error?: string };
    let status = 200;
    try {
      const found = await service.discoverFeeds(tenantIdOf(req), uuidParam(req.params.id), form);
      discovery = { pageUrl: found.siteUrl, candidates: found.feeds };
    } catch (err) {
      // the fetcher's refusals and the feed reader's errors are the user's to read; anything else is ours
      if (!(err instanceof AppError) || err instanceof NotFoundError || err.status >= 500) throw err;
      status = 422;
      const fieldError = err instanceof ValidationError ? Object.values(err.fieldErrors)[0] : undefined;
      discovery = { pageUrl: text(form.pageUrl), candidates: [], error: fieldError ? req.t(fieldError) : messageOf(req, err) };
    }
    await competitorPage(req, res, { discovery, feedForm: { values: { pageUrl: discovery.pageUrl }, errors: {} } }, status, 'watch/_feed-form');
  });

  // ---- Sources ----

  async function sourcePage(req: Request, res: Response, source: SourceView, extra: Record<string, unknown> = {}, status = 200) {
    const tenantId = tenantIdOf(req);
    const [competitor, fetches, limits] = await Promise.all([service.competitor(tenantId, source.competitorId), service.fetches(tenantId, source.id), service.limits(tenantId)]);
    render(
      req,
      res,
      'watch/source',
      { ...common(req), section: 'watch', source, competitor, fetches, limits, values: null, errors: {}, ...extra },
      { status, fragment: 'watch/_source-form' },
    );
  }

  router.get('/app/watch/sources/:id', ...read, async (req, res) => {
    const source = await service.source(tenantIdOf(req), uuidParam(req.params.id));
    await sourcePage(req, res, source);
  });

  router.post('/app/watch/sources/:id', ...manage, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const id = uuidParam(req.params.id);
    const form = (req.body ?? {}) as WatchForm;
    try {
      await service.updateSource(tenantId, id, form);
      flash(req, 'success', req.t('watch.ui.sources.saved'));
      redirect(req, res, `/app/watch/sources/${id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await sourcePage(req, res, await service.source(tenantId, id), { values: form, errors: err.fieldErrors }, 422);
    }
  });

  router.post('/app/watch/sources/:id/check', ...manage, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const source = await service.source(tenantId, uuidParam(req.params.id));
    const checked = checkedMessage(req, common(req).fmt, await service.checkNow(tenantId, source.id), source.host);
    flash(req, checked.kind, checked.message);
    redirect(req, res, `/app/watch/sources/${source.id}`);
  });

  router.post('/app/watch/sources/:id/delete', ...manage, async (req, res) => {
    const source = await service.removeSource(tenantIdOf(req), uuidParam(req.params.id));
    flash(req, 'success', req.t('watch.ui.sources.removed'));
    redirect(req, res, `/app/watch/competitors/${source.competitorId}`);
  });

  // ---- Alerts and preferences ----

  router.get('/app/watch/alerts', ...read, async (req, res) => {
    const unreadOnly = text(req.query.unread) === '1';
    const alerts = await alertService.list(tenantIdOf(req), req.viewer!.userId, { unreadOnly, limit: ALERTS_SHOWN });
    render(req, res, 'watch/alerts', { ...common(req), section: 'watch', alerts, unreadOnly }, { fragment: 'watch/_alerts' });
  });

  router.post('/app/watch/alerts/read-all', ...read, async (req, res) => {
    await alertService.markAllRead(tenantIdOf(req), req.viewer!.userId);
    flash(req, 'success', req.t('watch.ui.alerts.allRead'));
    redirect(req, res, backTo(req, '/app/watch/alerts'));
  });

  router.post('/app/watch/alerts/:id/read', ...read, async (req, res) => {
    await alertService.markRead(tenantIdOf(req), req.viewer!.userId, uuidParam(req.params.id));
    redirect(req, res, backTo(req, '/app/watch/alerts'));
  });

  async function preferencesPage(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const preferences = await alertService.preferences(tenantIdOf(req), req.viewer!.userId);
    render(
      req,
      res,
      'watch/preferences',
      { ...common(req), section: 'watch', preferences, frequencies: EMAIL_FREQUENCIES, values: null, errors: {}, ...extra },
      { status, fragment: 'watch/_preferences' },
    );
  }

  router.get('/app/watch/preferences', ...read, (req, res) => preferencesPage(req, res));

  router.post('/app/watch/preferences', ...read, async (req, res) => {
    const form = (req.body ?? {}) as WatchForm;
    try {
      await alertService.savePreferences(tenantIdOf(req), req.viewer!.userId, form);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return preferencesPage(req, res, { values: form, errors: err.fieldErrors }, 422);
    }
    flash(req, 'success', req.t('watch.ui.preferences.saved'));
    redirect(req, res, '/app/watch/preferences');
  });

  return router;
}
