import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { i18n } from 'i18next';
import type { Config } from '../../config.js';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { requestBaseUrl } from '../../shared/http/public-url.js';
import { render } from '../../shared/http/render.js';
import { CONVERSION_KINDS } from './conversions-input.js';
import type { ConversionService } from './conversions-service.js';

/** Per key: a site's backend reporting its orders and leads stays far below this; a loop or a flood does not. */
export const CONVERSION_RATE = { windowMs: 60_000, limit: 120 };

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const PUBLIC_HEADERS = { 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex, nofollow', 'Referrer-Policy': 'no-referrer' };

function gif(res: Response): void {
  // helmet's same-origin resource policy would stop other sites from showing the pixel
  res.set({ ...PUBLIC_HEADERS, 'Cross-Origin-Resource-Policy': 'cross-origin' }).status(200).type('image/gif').send(PIXEL);
}

/**
 * The public conversion endpoint, authenticated by the tenant's signed key in the path (no session, no CSRF):
 * `POST /c/<key>` (JSON or form, CORS open — it carries no cookie) answers JSON; `GET /c/<key>/pixel.gif?…` always
 * answers the GIF and records only valid input. Mount before the session and CSRF middlewares.
 */
export function conversionEndpointRoutes(deps: { conversionService: ConversionService; i18n: i18n }): Router {
  const { conversionService } = deps;
  const english = deps.i18n.getFixedT('en');
  const router = Router();

  const cors: RequestHandler = (_req, res, next) => {
    res.set({ ...PUBLIC_HEADERS, 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '86400' });
    next();
  };
  const limited = (handler: RequestHandler) =>
    rateLimit({ ...CONVERSION_RATE, standardHeaders: 'draft-8', legacyHeaders: false, keyGenerator: (req) => `conversion|${String(req.params.key)}`, handler });
  const refuse = (res: Response, status: number, error: string, code: string, field?: string) =>
    res.status(status).json({ error, code, ...(field ? { field } : {}), message: english(code, { field }) });

  router.options('/c/:key', cors, (_req, res) => void res.status(204).end());

  router.post(
    '/c/:key',
    cors,
    limited((_req, res) => void refuse(res, 429, 'rate_limited', 'conversions.errors.tooMany')),
    express.json({ limit: '16kb' }),
    express.urlencoded({ extended: false, limit: '16kb' }),
    async (req: Request, res: Response) => {
      const outcome = await conversionService.record(String(req.params.key), req.body, 'api');
      if (outcome.kind === 'unknownKey') return void refuse(res, 404, 'not_found', 'conversions.errors.unknownKey');
      if (outcome.kind === 'invalid') return void refuse(res, 400, 'invalid_input', outcome.code, outcome.field);
      res.status(outcome.created ? 201 : 200).json({ id: outcome.id, duplicate: !outcome.created });
    },
  );

  router.get(
    '/c/:key/pixel.gif',
    limited((_req, res) => gif(res)),
    async (req: Request, res: Response) => {
      try {
        const outcome = await conversionService.record(String(req.params.key), req.query, 'pixel');
        if (outcome.kind !== 'recorded') req.log?.info({ outcome: outcome.kind }, 'conversion pixel ignored');
      } catch (err) {
        req.log?.error({ err }, 'conversion pixel failed');
      }
      gif(res);
    },
  );

  // A body that is not JSON, or too large: the endpoint answers JSON, not the app's HTML error page.
  router.use('/c/:key', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const type = (err as { type?: string } | null)?.type;
    if (type === 'entity.parse.failed') return void refuse(res, 400, 'invalid_input', 'conversions.errors.malformedBody');
    if (type === 'entity.too.large') return void refuse(res, 413, 'too_large', 'conversions.errors.tooLarge');
    next(err);
  });

  return router;
}

/** `/app/conversions`: the key, the endpoint and pixel with ready-to-paste snippets, and the latest conversions. */
export function conversionPageRoutes(deps: { conversionService: ConversionService; config: Config }): Router {
  const router = Router();
  router.get('/app/conversions', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const settings = await deps.conversionService.settings(tenantIdOf(req), requestBaseUrl(req, deps.config));
    render(req, res, 'analytics/conversions', { ...settings, kinds: CONVERSION_KINDS, timezone: req.viewer?.tenant?.timezone ?? 'Europe/Paris', section: 'dashboard' }, { fragment: 'analytics/_conversions-latest' });
  });
  return router;
}
