import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { AppError, NotFoundError } from '../../shared/errors.js';
import { discardBlankSession } from '../../shared/http/session.js';
import { contentDisposition, downloadName } from './media-domain.js';
import type { MediaPublicLinks } from './media-public-links.js';
import type { MediaService } from './media-service.js';

/** Kinds a network may fetch by public link; documents (PDF) stay behind the login. */
const PUBLIC_KINDS = new Set(['image', 'video']);

export interface MediaPublicRouteDeps {
  mediaService: MediaService;
  mediaPublicLinks: MediaPublicLinks;
}

/**
 * `GET /m/:token`: the original of a media file for whoever holds a signed, unexpired link (a network's
 * downloader), without session or cookie. 404 for an invalid token or an asset gone, 410 once expired.
 */
export function mediaPublicRoutes(deps: MediaPublicRouteDeps): Router {
  const { mediaService, mediaPublicLinks } = deps;
  const router = Router();

  router.get('/m/:token', async (req, res) => {
    discardBlankSession(req);
    res.set({ 'X-Robots-Tag': 'noindex, nofollow', 'X-Content-Type-Options': 'nosniff' });
    const check = mediaPublicLinks.verify(req.params.token);
    if (check.status === 'invalid') throw new NotFoundError();
    if (check.status === 'expired') throw new AppError('media.publicLink.expired', 410);
    const { tenantId, assetId, variant } = check.link;
    const asset = await mediaService.get(tenantId, assetId);
    if (!PUBLIC_KINDS.has(asset.kind)) throw new NotFoundError();
    const file = await mediaService.openStored(asset, variant);
    res.status(200);
    res.set({
      'Content-Type': file.contentType,
      'Cache-Control': 'private, max-age=3600',
      'Content-Disposition': contentDisposition('inline', downloadName(asset)),
    });
    if (file.size !== undefined) res.set('Content-Length', String(file.size));
    try {
      await pipeline(file.stream, res);
    } catch (err) {
      if (!res.headersSent) throw err;
      req.log?.debug({ err }, 'public media response ended early');
      res.destroy();
    }
  });

  return router;
}
