import { Router } from 'express';
import { AppError } from '../../../shared/errors.js';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../../shared/http/guards.js';
import { render } from '../../../shared/http/render.js';
import { LIST_LIMIT, type ShortLinkService } from './short-link-service.js';
import { discardBlankSession } from '../../../shared/http/session.js';

export interface LinksRouteDeps {
  shortLinkService: ShortLinkService;
}

/** `GET /r/:code` (public redirect) and `GET /app/links` (the tenant's short links and their clicks). */
export function linksRoutes(deps: LinksRouteDeps): Router {
  const { shortLinkService } = deps;
  const router = Router();

  router.get('/r/:code', async (req, res) => {
    discardBlankSession(req);
    res.set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex, nofollow' });
    const resolution = await shortLinkService.resolve(req.params.code);
    if (resolution.status === 'missing') throw new AppError('links.errors.notFound', 404);
    if (resolution.status === 'inactive') throw new AppError('links.errors.inactive', 410);
    await shortLinkService.trackClick(resolution.link, {
      method: req.method,
      userAgent: req.get('user-agent'),
      referer: req.get('referer'),
      purpose: req.get('sec-purpose') ?? req.get('purpose'),
      cdnCountry: req.get('cf-ipcountry') ?? req.get('cloudfront-viewer-country'),
      ip: req.ip ?? '',
    });
    res.redirect(302, resolution.location);
  });

  router.get('/app/links', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const overview = await shortLinkService.overview(tenantIdOf(req));
    render(req, res, 'publishing/links/index', {
      ...overview,
      limit: LIST_LIMIT,
      shortUrl: (code: string) => shortLinkService.shortUrl(code),
      section: 'channels',
    });
  });

  return router;
}
