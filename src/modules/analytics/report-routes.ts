import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { DateTime } from 'luxon';
import type { Clock } from '../../shared/clock.js';
import { ValidationError } from '../../shared/errors.js';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, render } from '../../shared/http/render.js';
import { contentDisposition } from '../brand/media-domain.js';
import { periodLabel } from './report-pdf.js';
import type { ReportService } from './report-service.js';

export interface ReportRouteDeps {
  reportService: ReportService;
  clock: Clock;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** `/app/reports`: the client's reports (monthly and on demand), "generate now", and the files, for their tenant only. */
export function reportRoutes(deps: ReportRouteDeps): Router {
  const { reportService } = deps;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];

  const page = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const reports = await reportService.list(tenantIdOf(req));
    const zone = req.viewer?.tenant?.timezone ?? 'Europe/Paris';
    const today = DateTime.fromJSDate(deps.clock.now(), { zone });
    const label = (r: { periodStart: string; periodEnd: string; locale: string }) => periodLabel(req.t, req.locale, r.periodStart, r.periodEnd);
    const when = (d: Date) => new Intl.DateTimeFormat(req.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(d);
    const values = { firstDay: today.startOf('month').toISODate(), lastDay: today.toISODate() };
    const busy = reports.some((r) => r.status === 'pending' || r.status === 'generating');
    render(req, res, 'analytics/reports', { reports, label, when, busy, values, errors: {}, ...extra }, { status, fragment: 'analytics/_report-list' });
  };

  router.get('/app/reports', ...read, (req, res) => page(req, res));

  router.post('/app/reports', ...read, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = { firstDay: text(body.firstDay), lastDay: text(body.lastDay) };
    try {
      const report = await reportService.requestNow(tenantIdOf(req), form, req.viewer!.userId);
      flash(req, report.status === 'ready' ? 'success' : 'error', req.t(report.status === 'ready' ? 'revenue.reports.generated' : 'revenue.reports.generationFailed'));
      res.redirect(303, '/app/reports');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await page(req, res, { values: form, errors: err.fieldErrors }, 422);
    }
  });

  const download = (format: 'pdf' | 'csv') => async (req: Request, res: Response) => {
    const file = await reportService.open(tenantIdOf(req), uuidParam(req.params.id), format);
    res.status(200).set({
      'Content-Type': file.contentType,
      'Content-Disposition': contentDisposition('attachment', file.fileName),
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (file.size !== null) res.set('Content-Length', String(file.size));
    try {
      await pipeline(file.stream, res);
    } catch (err) {
      if (!res.headersSent) throw err;
      req.log?.debug({ err }, 'report download ended early');
      res.destroy();
    }
  };
  router.get('/app/reports/:id/report.pdf', ...read, download('pdf'));
  router.get('/app/reports/:id/report.csv', ...read, download('csv'));

  return router;
}
