import { pipeline } from 'node:stream/promises';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, render } from '../../shared/http/render.js';
import {
  ACCEPT_ATTRIBUTE,
  ACCEPTED_TYPES,
  contentDisposition,
  downloadName,
  formatBytes,
  isMediaKind,
  MAX_FILE_BYTES,
  MAX_TAG_LENGTH,
  MAX_UPLOAD_BYTES,
  MEDIA_KINDS,
  normalizeTag,
  parseTags,
  type MediaAsset,
  type MediaFilter,
} from './media-domain.js';
import { MediaUploadError, type MediaService } from './media-service.js';
import { escapeHtml, wantsFragment } from '../../shared/http/html.js';
import { singleFileReceiver } from '../../shared/http/file-upload.js';

// the hard byte limit: the largest per-kind cap; finer caps and the plan's limit are checked on the bytes
const receiveFile = singleFileReceiver(MAX_UPLOAD_BYTES, {
  tooLarge: () => new MediaUploadError('media.errors.uploadTooLarge', 413, { max: MAX_UPLOAD_BYTES }),
  bad: () => new MediaUploadError('media.errors.badUpload', 422),
});

function parseFilter(query: Request['query']): MediaFilter {
  const one = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
  const kind = one(query.kind);
  const tag = normalizeTag(one(query.tag)).slice(0, MAX_TAG_LENGTH);
  const q = one(query.q).replace(/\s+/g, ' ').trim().slice(0, 100);
  const page = Number.parseInt(one(query.page), 10);
  return {
    kind: isMediaKind(kind) ? kind : undefined,
    tag: tag || undefined,
    q: q || undefined,
    page: Number.isFinite(page) && page >= 1 ? Math.min(page, 10_000) : 1,
  };
}

/** `/app/media?…` for a filter with some parts changed (page 1 unless given). */
function hrefFor(base: string, filter: MediaFilter, change: Partial<MediaFilter> & { contentId?: string } = {}): string {
  const f = { ...filter, page: 1, ...change };
  const params = new URLSearchParams();
  if (change.contentId) params.set('contentId', change.contentId);
  if (f.q) params.set('q', f.q);
  if (f.kind) params.set('kind', f.kind);
  if (f.tag) params.set('tag', f.tag);
  if (f.page > 1) params.set('page', String(f.page));
  const qs = params.toString();
  return qs ? `${base}?${qs}` : base;
}

/** Byte counts of an error's params, in the reader's language. */
function messageOf(req: Request, err: MediaUploadError): string {
  const params = Object.fromEntries(Object.entries(err.params).map(([k, v]) => [k, typeof v === 'number' ? formatBytes(v, req.locale) : v]));
  return req.t(err.code, params);
}

export function mediaRoutes(deps: { mediaService: MediaService }): Router {
  const { mediaService } = deps;
  const router = Router();

  const view = (req: Request) => ({
    bytes: (n: number) => formatBytes(n, req.locale),
    kinds: MEDIA_KINDS,
    accept: ACCEPT_ATTRIBUTE,
    formats: [...new Set(Object.values(ACCEPTED_TYPES).map((t) => t.label))].join(', '),
    maxImage: formatBytes(MAX_FILE_BYTES.image, req.locale),
    maxVideo: formatBytes(MAX_FILE_BYTES.video, req.locale),
    canManage: hasTenantPermission(req, 'media.manage'),
    canAttach: hasTenantPermission(req, 'content.write'),
  });

  async function libraryData(req: Request, filter: MediaFilter, extra: Record<string, unknown> = {}) {
    const tenantId = tenantIdOf(req);
    const [page, tags, usage] = await Promise.all([mediaService.list(tenantId, filter), mediaService.tags(tenantId), mediaService.storageUsage(tenantId)]);
    return {
      ...view(req),
      page,
      filter,
      tags,
      usage,
      href: (change: Partial<MediaFilter> = {}) => hrefFor('/app/media', filter, change),
      detail: null,
      values: {},
      errors: {},
      ...extra,
    };
  }

  function detailData(req: Request, asset: MediaAsset & { usageCount: number }, extra: Record<string, unknown> = {}) {
    return { ...view(req), asset, values: {}, errors: {}, ...extra };
  }

  // Library
  router.get('/app/media', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const filter = parseFilter(req.query);
    render(req, res, 'media/index', await libraryData(req, filter), { fragment: 'media/_results' });
  });

  router.post('/app/media', requireLogin, requireTenantPermission('media.manage'), async (req, res) => {
    try {
      await receiveFile(req, res);
      if (!req.file) throw new MediaUploadError('media.errors.noFile', 422);
      const { asset, duplicate } = await mediaService.upload(tenantIdOf(req), {
        data: req.file.buffer,
        filename: req.file.originalname,
        uploadedBy: req.viewer!.userId,
      });
      const name = asset.originalFilename ?? asset.title;
      const notice = req.t(duplicate ? 'media.upload.duplicate' : 'media.upload.uploaded', { name });
      res.set('HX-Trigger', JSON.stringify({ 'media-uploaded': { id: asset.id, duplicate } }));
      if (!wantsFragment(req)) {
        flash(req, duplicate ? 'info' : 'success', notice);
        return res.redirect(303, `/app/media/${asset.id}`);
      }
      const detail = await mediaService.get(tenantIdOf(req), asset.id);
      render(req, res, 'media/index', await libraryData(req, { page: 1 }, { notice: { kind: duplicate ? 'info' : 'success', message: notice }, detail }), {
        status: duplicate ? 200 : 201,
        fragment: 'media/_library',
      });
    } catch (err) {
      if (!(err instanceof MediaUploadError)) throw err;
      const message = messageOf(req, err);
      if (wantsFragment(req) && err.status !== 422) {
        // htmx swaps 422 only: other refusals are shown in the live region (public/app.js)
        res.status(err.status).type('html').send(`<div class="alert alert-error" role="alert">${escapeHtml(message)}</div>`);
        return;
      }
      render(req, res, 'media/index', await libraryData(req, { page: 1 }, { uploadError: message }), { status: err.status, fragment: 'media/_library' });
    }
  });

  // Picker (used by the studio to reuse an asset in a content)
  router.get('/app/media/picker', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const filter = parseFilter(req.query);
    const contentId = typeof req.query.contentId === 'string' && /^[0-9a-f-]{36}$/i.test(req.query.contentId) ? req.query.contentId : undefined;
    const tenantId = tenantIdOf(req);
    const [page, tags] = await Promise.all([mediaService.list(tenantId, filter), mediaService.tags(tenantId)]);
    render(
      req,
      res,
      'media/picker',
      { ...view(req), page, tags, filter, contentId, href: (change: Partial<MediaFilter> = {}) => hrefFor('/app/media/picker', filter, { ...change, contentId }) },
      { fragment: 'media/_picker' },
    );
  });

  // One asset
  router.get('/app/media/:id', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const asset = await mediaService.get(tenantIdOf(req), uuidParam(req.params.id));
    render(req, res, 'media/show', detailData(req, asset), { fragment: 'media/_detail' });
  });

  router.post('/app/media/:id', requireLogin, requireTenantPermission('media.manage'), async (req, res) => {
    const tenantId = tenantIdOf(req);
    const id = uuidParam(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    try {
      const asset = await mediaService.update(tenantId, id, {
        title: typeof body.title === 'string' ? body.title : undefined,
        altText: text(body.altText),
        tags: parseTags(text(body.tags)),
        suggestion: text(body.suggestion),
      });
      if (!wantsFragment(req)) {
        flash(req, 'success', req.t('media.detail.saved'));
        return res.redirect(303, `/app/media/${id}`);
      }
      render(req, res, 'media/show', detailData(req, asset, { saved: true, oobCard: true }), { fragment: 'media/_detail' });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const asset = await mediaService.get(tenantId, id);
      const values = { title: text(body.title), altText: text(body.altText), tags: text(body.tags), suggestion: text(body.suggestion) };
      render(req, res, 'media/show', detailData(req, asset, { values, errors: err.fieldErrors }), { status: 422, fragment: 'media/_detail' });
    }
  });

  router.post('/app/media/:id/alt-text/suggest', requireLogin, requireTenantPermission('media.manage'), async (req, res) => {
    const tenantId = tenantIdOf(req);
    const asset = await mediaService.get(tenantId, uuidParam(req.params.id));
    const suggestion = await mediaService.suggestAltText(tenantId, asset.id, req.viewer!.userId);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    // nothing saved: the form now holds the suggestion (and what else was typed) until the user saves
    const values = { title: text(body.title), tags: text(body.tags), altText: suggestion, suggestion };
    render(req, res, 'media/show', detailData(req, asset, { values, suggested: true }), { fragment: 'media/_alt-text' });
  });

  router.post('/app/media/:id/delete', requireLogin, requireTenantPermission('media.manage'), async (req, res) => {
    const asset = await mediaService.delete(tenantIdOf(req), uuidParam(req.params.id));
    const message = req.t('media.detail.deleted', { name: asset.originalFilename ?? asset.title });
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return res.redirect(303, '/app/media');
    }
    res.set('HX-Trigger', JSON.stringify({ 'media-deleted': { id: asset.id } }));
    render(req, res, 'media/_detail', { ...view(req), deletedId: asset.id, message });
  });

  router.post('/app/media/:id/attach', requireLogin, requireTenantPermission('content.write'), async (req, res) => {
    const tenantId = tenantIdOf(req);
    const assetId = uuidParam(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const contentId = uuidParam(body.contentId);
    const contentVersionId = body.contentVersionId ? uuidParam(body.contentVersionId) : undefined;
    const usage = await mediaService.attachToContent(tenantId, assetId, contentId, { contentVersionId });
    const asset = await mediaService.get(tenantId, assetId);
    res.set('HX-Trigger', JSON.stringify({ 'media-attached': { assetId, contentId, usageId: usage.id } }));
    if (!wantsFragment(req)) {
      flash(req, 'success', req.t('media.picker.attached', { name: asset.originalFilename ?? asset.title }));
      return res.redirect(303, `/app/media/picker?contentId=${contentId}`);
    }
    render(req, res, 'media/_attached', { ...view(req), asset, usage });
  });

  // Files: looked up in the viewer's tenant (another tenant's id is not found), never by a storage key from the URL
  const serve = (variant: 'original' | 'thumbnail') => async (req: Request, res: Response, next: NextFunction) => {
    const asset = await mediaService.get(tenantIdOf(req), uuidParam(req.params.id));
    if (variant === 'thumbnail' && !asset.thumbnailKey) return next(new NotFoundError());
    const etag = `"${asset.sha256}${variant === 'thumbnail' ? '-t' : ''}"`;
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, max-age=3600',
      ETag: etag,
      Vary: 'Cookie',
    });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    const file = await mediaService.openStored(asset, variant);
    const name = variant === 'original' ? downloadName(asset) : `${downloadName(asset).replace(/\.[^.]+$/, '')}-thumbnail.webp`;
    res.status(200);
    res.set('Content-Type', file.contentType);
    res.set('Content-Disposition', contentDisposition(variant === 'original' && req.query.download === '1' ? 'attachment' : 'inline', name));
    if (file.size !== undefined) res.set('Content-Length', String(file.size));
    try {
      await pipeline(file.stream, res);
    } catch (err) {
      if (!res.headersSent) throw err;
      req.log?.debug({ err }, 'media response ended early');
      res.destroy();
    }
  };
  router.get('/app/media/:id/file', requireLogin, requireTenantPermission('workspace.view'), serve('original'));
  router.get('/app/media/:id/thumbnail', requireLogin, requireTenantPermission('workspace.view'), serve('thumbnail'));

  return router;
}
