import { pipeline } from 'node:stream/promises';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { contentDisposition, formatBytes } from '../brand/media-domain.js';
import { ValidationError } from '../../shared/errors.js';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { wantsFragment } from '../../shared/http/html.js';
import { uuidParam } from '../../shared/http/params.js';
import { render } from '../../shared/http/render.js';
import { parseInput } from '../../shared/validation.js';
import type { GdprDeletionService } from './gdpr-deletion-service.js';
import { DELETION_GRACE_DAYS, EXPORT_LINK_DAYS } from './gdpr-domain.js';
import type { GdprExportService } from './gdpr-export-service.js';

// Exporting everything and deleting the workspace are the owner's: `team.manage` is the permission only the owner
// role carries (the whole team's data, contacts included, leaves with an export).
const OWNER_PERMISSION = 'team.manage';

/** A date and time as the tenant reads it: its language, its time zone. */
function formats(locale: string, timeZone: string) {
  const tag = locale === 'en' ? 'en-GB' : 'fr-FR';
  const day = new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeZone });
  const moment = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short', timeZone });
  return {
    day: (d: Date) => day.format(d),
    dateTime: (d: Date) => moment.format(d),
    bytes: (n: number) => formatBytes(n, locale),
  };
}

function deletionNotice(req: Request, deletion: { requestedAt: Date; scheduledFor: Date }, canCancel: boolean) {
  return { ...deletion, day: formats(req.locale, req.viewer!.tenant!.timezone).day(deletion.scheduledFor), canCancel };
}

const deletionSchema = z.object({ confirmName: z.string().trim().min(1, 'gdpr.errors.nameRequired').max(200) });

/**
 * `/app/account/data`: the tenant's exports (request, progress, download for `EXPORT_LINK_DAYS`) and "delete my
 * workspace" (request with the name re-typed, cancel during the grace period). Also sets `res.locals.tenantDeletion`
 * on full portal pages, for the deletion banner.
 */
export function gdprRoutes(deps: { gdprExportService: GdprExportService; gdprDeletionService: GdprDeletionService }): Router {
  const { gdprExportService, gdprDeletionService } = deps;
  const router = Router();

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const tenant = req.viewer?.tenant;
    if (req.method !== 'GET' || !tenant || !req.path.startsWith('/app') || wantsFragment(req)) return next();
    try {
      const { deletion } = await gdprDeletionService.state(tenant.id);
      if (deletion) res.locals.tenantDeletion = deletionNotice(req, deletion, tenant.permissions.includes(OWNER_PERMISSION));
    } catch (err) {
      // a banner is not worth a broken page
      req.log?.warn({ err }, 'gdpr: deletion state unavailable');
    }
    next();
  });

  const page = async (req: Request, res: Response, extra: object = {}, status = 200) => {
    const tenantId = tenantIdOf(req);
    const [exports, state] = await Promise.all([gdprExportService.list(tenantId), gdprDeletionService.state(tenantId)]);
    res.locals.tenantDeletion = state.deletion ? deletionNotice(req, state.deletion, true) : undefined;
    render(
      req,
      res,
      'tenancy/account-data',
      {
        exports,
        building: exports.some((e) => e.status === 'pending' || e.status === 'building'),
        workspaceName: state.name,
        deletion: state.deletion,
        graceDays: DELETION_GRACE_DAYS,
        linkDays: EXPORT_LINK_DAYS,
        fmt: formats(req.locale, req.viewer!.tenant!.timezone),
        values: {},
        errors: {},
        ...extra,
      },
      { status, fragment: 'tenancy/account-data-panel' },
    );
  };

  const owner = [requireLogin, requireTenantPermission(OWNER_PERMISSION)];

  router.get('/app/account/data', ...owner, (req, res) => page(req, res));

  router.post('/app/account/data/exports', ...owner, async (req, res) => {
    await gdprExportService.request(tenantIdOf(req), req.viewer!.userId);
    await page(req, res, { requested: true });
  });

  router.get('/app/account/data/exports/:id/download', ...owner, async (req, res) => {
    const file = await gdprExportService.download(tenantIdOf(req), uuidParam(req.params.id));
    res.status(200);
    res.set('Content-Type', 'application/zip');
    res.set('Content-Disposition', contentDisposition('attachment', file.filename));
    res.set('Cache-Control', 'private, no-store');
    if (file.sizeBytes !== null) res.set('Content-Length', String(file.sizeBytes));
    try {
      await pipeline(file.stream, res);
    } catch (err) {
      if (!res.headersSent) throw err;
      req.log?.debug({ err }, 'export download ended early');
      res.destroy();
    }
  });

  router.post('/app/account/deletion', ...owner, async (req, res) => {
    try {
      const { confirmName } = parseInput(deletionSchema, req.body);
      await gdprDeletionService.request(tenantIdOf(req), req.viewer!.userId, confirmName);
      await page(req, res);
    } catch (err) {
      if (err instanceof ValidationError) return page(req, res, { values: { confirmName: String(req.body?.confirmName ?? '') }, errors: err.fieldErrors }, 422);
      throw err;
    }
  });

  router.post('/app/account/deletion/cancel', ...owner, async (req, res) => {
    await gdprDeletionService.cancel(tenantIdOf(req), req.viewer!.userId);
    await page(req, res, { cancelled: true });
  });

  return router;
}
