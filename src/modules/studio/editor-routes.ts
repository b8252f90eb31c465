import type { Eta } from 'eta';
import { Router, type Request, type Response } from 'express';
import { AppError, ValidationError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { wantsFragment } from '../../shared/http/html.js';
import { isUuid } from '../../shared/ids.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import type { DnaService } from '../brand/dna-service.js';
import type { MediaService } from '../brand/media-service.js';
import { CAMPAIGN_STATUSES, type CampaignService } from './campaign-service.js';
import { BRIEF_MAX, type ContentService } from './content-service.js';
import {
  CHANNELS,
  CONTENT_MODES,
  CONTENT_STATUSES,
  EDITABLE_STATUSES,
  isChannel,
  type Channel,
  type ContentFilter,
  type ContentStatus,
} from './domain.js';
import { channelFields, diffStats, formValuesFromBody, formValuesOf, studioViewHelpers, type VersionFormValues } from './editor-view.js';
import { streamGeneration, wantsEventStream, type StreamFailure } from './generation-stream.js';

/** What the studio's pages use. */
export interface EditorCradle {
  contentService: ContentService;
  campaignService: CampaignService;
  dnaService: DnaService;
  mediaService: MediaService;
}

const MEDIA_CHOICES = 24;

function one(value: unknown): string {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';
}

function many(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** The list's filters from the query string; unknown values are ignored rather than refused. */
function listFilter(query: Request['query']): { channel: string; status: string; campaignId: string; q: string } {
  const channel = one(query.channel);
  const status = one(query.status);
  const campaignId = one(query.campaign);
  return {
    channel: isChannel(channel) ? channel : '',
    status: (CONTENT_STATUSES as readonly string[]).includes(status) ? status : '',
    campaignId: isUuid(campaignId) ? campaignId : '',
    q: one(query.q).replace(/\s+/g, ' ').trim().slice(0, 100),
  };
}

/** What the new-content form shows back: everything typed, selections included. */
function newFormValues(body: Record<string, unknown>) {
  return {
    channel: one(body.channel),
    brief: one(body.brief),
    title: one(body.title),
    toneOverride: one(body.toneOverride),
    campaignId: one(body.campaignId),
    mode: one(body.mode),
    plannedDate: one(body.plannedDate),
    mediaIds: many(body.mediaIds),
  };
}
type NewFormValues = ReturnType<typeof newFormValues>;

/** Which field of the new-content form a refusal of the service belongs to. */
function fieldOfError(code: string): string {
  if (code === 'studio.errors.campaignNotFound') return 'campaignId';
  if (code === 'studio.errors.mediaNotFound' || code === 'studio.errors.tooManyMedia') return 'mediaIds';
  if (code.startsWith('calendar.')) return 'plannedDate';
  return '_form';
}

export function editorRoutes(deps: EditorCradle): Router {
  const router = Router();
  const view = requireTenantPermission('workspace.view');
  const write = requireTenantPermission('content.write');

  const helpers = async (req: Request) => {
    const defaults = await deps.contentService.tenantDefaults(tenantIdOf(req));
    return { defaults, h: studioViewHelpers(req.t, req.locale, defaults.timezone) };
  };

  const failureOf = (req: Request, err: unknown): StreamFailure => {
    if (err instanceof AppError) return { status: err.status, message: req.t(err.code, err.params) };
    req.log?.error({ err }, 'generation failed');
    return { status: 500, message: req.t('common.errors.internal') };
  };

  // ---- list ----

  const listData = async (req: Request) => {
    const tenantId = tenantIdOf(req);
    const filter = listFilter(req.query);
    const query: ContentFilter = { limit: 200 };
    if (filter.channel) query.channel = [filter.channel as Channel];
    if (filter.status) query.status = [filter.status as ContentStatus];
    if (filter.campaignId) query.campaignId = filter.campaignId;
    if (filter.q) query.search = filter.q;
    const filtered = Boolean(filter.channel || filter.status || filter.campaignId || filter.q);
    const [{ defaults, h }, contents, campaigns, any] = await Promise.all([
      helpers(req),
      deps.contentService.list(tenantId, query),
      deps.campaignService.list(tenantId),
      filtered ? deps.contentService.list(tenantId, { limit: 1 }) : Promise.resolve(null),
    ]);
    return {
      section: 'studio',
      contents,
      campaigns,
      filter,
      filtered,
      hasAny: filtered ? any!.length > 0 : contents.length > 0,
      channels: CHANNELS,
      statuses: CONTENT_STATUSES,
      modes: CONTENT_MODES,
      defaultMode: defaults.defaultContentMode,
      canWrite: hasTenantPermission(req, 'content.write'),
      h,
    };
  };

  router.get('/app/studio', requireLogin, view, async (req, res) => {
    render(req, res, 'studio/index', await listData(req), { fragment: 'studio/_list' });
  });

  router.post('/app/studio/settings/mode', requireLogin, write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const mode = one((req.body ?? {}).mode);
    await deps.contentService.setDefaultMode(tenantId, mode);
    const message = req.t('studio.settings.saved', { mode: req.t(`studio.modes.${mode}`) });
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return res.redirect(303, '/app/studio');
    }
    render(req, res, 'studio/_settings', { modes: CONTENT_MODES, defaultMode: mode, canWrite: true, h: (await helpers(req)).h, saved: message });
  });

  // ---- new content ----

  const newPage = async (req: Request, res: Response, values: NewFormValues, errors: Record<string, string> = {}, status = 200) => {
    const tenantId = tenantIdOf(req);
    const [{ defaults, h }, campaigns, media, dna] = await Promise.all([
      helpers(req),
      deps.campaignService.list(tenantId),
      deps.mediaService.list(tenantId, { kind: 'image', page: 1 }),
      deps.dnaService.current(tenantId),
    ]);
    render(
      req,
      res,
      'studio/new',
      {
        section: 'studio',
        values: { ...values, mode: values.mode || defaults.defaultContentMode },
        errors,
        channels: CHANNELS,
        modes: CONTENT_MODES,
        campaigns: campaigns.filter((c) => c.status !== 'archived' || c.id === values.campaignId),
        media: media.items.slice(0, MEDIA_CHOICES),
        moreMedia: media.total > MEDIA_CHOICES,
        tonePlaceholder: dna?.content.tone?.summary ?? '',
        briefMax: BRIEF_MAX,
        h,
      },
      { status, fragment: 'studio/_new-form' },
    );
  };

  router.get('/app/studio/new', requireLogin, write, async (req, res) => {
    const channel = one(req.query.channel);
    const campaignId = one(req.query.campaign);
    await newPage(req, res, newFormValues({ channel: isChannel(channel) ? channel : 'linkedin', campaignId, plannedDate: one(req.query.date) }));
  });

  router.post('/app/studio', requireLogin, write, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const values = newFormValues(body);
    try {
      const content = await deps.contentService.create(tenantIdOf(req), req.viewer!.userId, values);
      const generate = one(body.intent) === 'generate';
      if (!generate) flash(req, 'success', req.t('studio.new.created'));
      redirect(req, res, `/app/studio/${content.id}${generate ? '?generate=1' : ''}`);
    } catch (err) {
      if (err instanceof ValidationError) return newPage(req, res, values, err.fieldErrors, 422);
      if (err instanceof AppError && err.status === 422) return newPage(req, res, values, { [fieldOfError(err.code)]: err.code }, 422);
      throw err;
    }
  });

  // ---- campaigns ----

  const campaignsPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const [{ h }, campaigns] = await Promise.all([helpers(req), deps.campaignService.list(tenantIdOf(req))]);
    render(
      req,
      res,
      'studio/campaigns',
      { section: 'studio', campaigns, statuses: CAMPAIGN_STATUSES, values: { status: 'active' }, errors: {}, canWrite: hasTenantPermission(req, 'content.write'), h, ...extra },
      { status, fragment: 'studio/_campaigns' },
    );
  };

  router.get('/app/studio/campaigns', requireLogin, view, async (req, res) => {
    await campaignsPage(req, res);
  });

  router.post('/app/studio/campaigns', requireLogin, write, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(['name', 'objective', 'startsOn', 'endsOn', 'status', 'color'].map((k) => [k, one(body[k])]));
    try {
      const { locale } = await deps.contentService.tenantDefaults(tenantIdOf(req));
      const campaign = await deps.campaignService.create(tenantIdOf(req), req.viewer!.userId, values, locale);
      const message = req.t('studio.campaigns.created', { name: campaign.name, utm: campaign.utmCampaign });
      if (!wantsFragment(req)) {
        flash(req, 'success', message);
        return res.redirect(303, '/app/studio/campaigns');
      }
      await campaignsPage(req, res, { notice: message, createdId: campaign.id }, 201);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await campaignsPage(req, res, { values, errors: err.fieldErrors }, 422);
    }
  });

  // ---- the editor ----

  const editorData = async (req: Request, contentId: string, extra: { values?: VersionFormValues; errors?: Record<string, string> } & Record<string, unknown> = {}) => {
    const tenantId = tenantIdOf(req);
    const [detail, versions, regenerations, { h }, dnaVersions] = await Promise.all([
      deps.contentService.detail(tenantId, contentId),
      deps.contentService.versions(tenantId, contentId),
      deps.contentService.regenerationsLeft(tenantId, contentId),
      helpers(req),
      deps.dnaService.list(tenantId),
    ]);
    const { content } = detail;
    const generated = versions.some((v) => v.source === 'generation' || v.source === 'regeneration');
    const dnaSnapshot = content.dnaSnapshotId ? (dnaVersions.find((d) => d.id === content.dnaSnapshotId) ?? null) : null;
    const snapshot = (detail.promptLayersSnapshot ?? null) as { ref?: string; model?: string; provider?: string; offline?: boolean } | null;
    const canWrite = hasTenantPermission(req, 'content.write');
    const editable = EDITABLE_STATUSES.includes(content.status);
    return {
      section: 'studio',
      content,
      detail,
      current: detail.current,
      flags: detail.flags,
      versions,
      values: extra.values ?? formValuesOf(detail.current, content.title),
      errors: extra.errors ?? {},
      fields: channelFields(content.channel),
      regenerations,
      generated,
      dnaSnapshot,
      generation: snapshot,
      canWrite,
      editable,
      canGenerate: canWrite && editable && (!generated || regenerations.left > 0),
      canSubmit: canWrite && (content.status === 'draft' || content.status === 'rejected') && Boolean(detail.current?.body.trim()),
      modes: CONTENT_MODES,
      h,
      autostart: false,
      ...extra,
    };
  };

  const renderEditor = async (req: Request, res: Response, contentId: string, extra: Record<string, unknown> = {}, status = 200) => {
    render(req, res, 'studio/editor', await editorData(req, contentId, extra), { status, fragment: 'studio/_editor' });
  };

  /** The editor's fragment as a string, with the locals `render` gives a view (sent in the `done` event of a streamed generation). */
  const editorHtml = async (req: Request, res: Response, contentId: string, extra: Record<string, unknown> = {}) => {
    const eta = req.app.locals.eta as Eta;
    return eta.render('studio/_editor', { ...res.locals, ...(await editorData(req, contentId, extra)), t: req.t, locale: req.locale, viewer: req.viewer, csrfToken: req.csrfToken });
  };

  /**
   * A refusal the user can act on (422: nothing to submit or check) shows in the editor instead of replacing it
   * (htmx swaps 422 answers into the target); other refusals go to the error handler.
   */
  const refusedInEditor = async (req: Request, res: Response, contentId: string, err: unknown) => {
    if (!(err instanceof AppError) || err.status !== 422) throw err;
    await renderEditor(req, res, contentId, { actionError: req.t(err.code, err.params) }, 422);
  };

  /** After a write: the refreshed editor for HTMX, a redirect with a notice otherwise. */
  const afterWrite = async (req: Request, res: Response, contentId: string, message: string) => {
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return res.redirect(303, `/app/studio/${contentId}`);
    }
    await renderEditor(req, res, contentId, { notice: message });
  };

  router.get('/app/studio/:id', requireLogin, view, async (req, res) => {
    const id = uuidParam(req.params.id);
    const data = await editorData(req, id);
    // "Create and generate" lands here: studio.js starts the stream once (not again on a reload: the text exists by then)
    data.autostart = req.query.generate === '1' && data.canGenerate && !data.current && data.content.status === 'draft';
    render(req, res, 'studio/editor', data, { fragment: 'studio/_editor' });
  });

  router.post('/app/studio/:id/generate', requireLogin, write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const id = uuidParam(req.params.id);
    const userId = req.viewer!.userId;
    if (wantsEventStream(req)) {
      await streamGeneration(req, res, deps.contentService.generate(tenantId, id, userId), {
        onDone: async (event) => ({
          html: await editorHtml(req, res, id, { notice: req.t('studio.generation.done', { number: event.version.number }) }),
          version: event.version.number,
          regenerationsLeft: event.regenerationsLeft,
        }),
        failure: (err) => failureOf(req, err),
      });
      return;
    }
    try {
      const done = await deps.contentService.generateNow(tenantId, id, userId);
      await afterWrite(req, res, id, req.t('studio.generation.done', { number: done.version.number }));
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404) throw err;
      // the page stays usable: the editor, with what went wrong, under the refusal's status
      await renderEditor(req, res, id, { generationError: failureOf(req, err).message }, err.status);
    }
  });

  router.post('/app/studio/:id/versions', requireLogin, write, async (req, res) => {
    const id = uuidParam(req.params.id);
    const values = formValuesFromBody((req.body ?? {}) as Record<string, unknown>);
    try {
      const { version } = await deps.contentService.edit(tenantIdOf(req), id, req.viewer!.userId, values);
      await afterWrite(req, res, id, req.t('studio.editor.saved', { number: version.number }));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await renderEditor(req, res, id, { values, errors: err.fieldErrors }, 422);
    }
  });

  router.post('/app/studio/:id/versions/:versionId/restore', requireLogin, write, async (req, res) => {
    const id = uuidParam(req.params.id);
    const versionId = uuidParam(req.params.versionId);
    const tenantId = tenantIdOf(req);
    const source = await deps.contentService.version(tenantId, id, versionId);
    const { version } = await deps.contentService.restore(tenantId, id, versionId, req.viewer!.userId);
    await afterWrite(req, res, id, req.t('studio.editor.restored', { from: source.number, number: version.number }));
  });

  router.post('/app/studio/:id/submit', requireLogin, write, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      await deps.contentService.submitForApproval(tenantIdOf(req), id);
    } catch (err) {
      return refusedInEditor(req, res, id, err);
    }
    await afterWrite(req, res, id, req.t('studio.editor.submitted'));
  });

  router.post('/app/studio/:id/mode', requireLogin, write, async (req, res) => {
    const id = uuidParam(req.params.id);
    const mode = one((req.body ?? {}).mode);
    await deps.contentService.setMode(tenantIdOf(req), id, mode);
    const message = req.t('studio.editor.mode.saved', { mode: req.t(`studio.modes.${mode}`) });
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return res.redirect(303, `/app/studio/${id}`);
    }
    render(req, res, 'studio/_mode', { ...(await editorData(req, id)), modeSaved: message });
  });

  router.post('/app/studio/:id/recheck', requireLogin, write, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      await deps.contentService.recheck(tenantIdOf(req), id, req.viewer!.userId);
    } catch (err) {
      return refusedInEditor(req, res, id, err);
    }
    const message = req.t('studio.editor.safety.rechecked');
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return res.redirect(303, `/app/studio/${id}`);
    }
    render(req, res, 'studio/_safety', { ...(await editorData(req, id)), safetyNotice: message });
  });

  router.get('/app/studio/:id/compare', requireLogin, view, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const id = uuidParam(req.params.id);
    const versions = await deps.contentService.versions(tenantId, id);
    const [newest, previous] = versions;
    const a = req.query.a === undefined ? (previous ?? newest)?.id : uuidParam(req.query.a);
    const b = req.query.b === undefined ? newest?.id : uuidParam(req.query.b);
    const [detail, { h }] = await Promise.all([deps.contentService.detail(tenantId, id), helpers(req)]);
    const comparison = a && b ? await deps.contentService.compare(tenantId, id, a, b) : null;
    render(
      req,
      res,
      'studio/compare',
      {
        section: 'studio',
        content: detail.content,
        versions,
        comparison,
        stats: comparison ? diffStats([...comparison.title, ...comparison.body]) : null,
        canRestore: hasTenantPermission(req, 'content.write') && EDITABLE_STATUSES.includes(detail.content.status),
        h,
      },
      { fragment: 'studio/_diff' },
    );
  });

  return router;
}
