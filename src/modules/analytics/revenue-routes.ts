import { Router, type Request, type Response } from 'express';
import { ValidationError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, render } from '../../shared/http/render.js';
import { singleFileReceiver } from '../../shared/http/file-upload.js';
import { lineChart, type ChartSeries } from '../../shared/svg-chart.js';
import { METRIC_KINDS, METRIC_UNITS, EDITABLE_SOURCES, type BusinessMetric, type MetricUnit } from './business-metric-domain.js';
import { MAX_METRIC_IMPORT_BYTES, type BusinessMetricImportService } from './business-metric-import.js';
import type { BusinessMetricService } from './business-metric-service.js';
import { FEW_MONTHS } from './correlation.js';
import { reportFormat } from './report-format.js';
import { ACTIVITIES, DEFAULT_WINDOW, WINDOWS, type MetricSeries, type RevenueService } from './revenue-service.js';

export interface RevenueRouteDeps {
  revenueService: RevenueService;
  businessMetricService: BusinessMetricService;
  businessMetricImportService: BusinessMetricImportService;
}

/** Reading the figures is for every member; entering business figures is the owner's (financial data). */
export const REVENUE_READ = 'workspace.view';
export const REVENUE_WRITE = 'billing.manage';

const receiveFile = singleFileReceiver(MAX_METRIC_IMPORT_BYTES, {
  tooLarge: () => new ValidationError({ file: 'revenue.import.errors.fileTooLarge' }),
  bad: () => new ValidationError({ file: 'revenue.import.errors.badUpload' }),
});

const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');

/** Display helpers shared by the revenue views (numbers and money in the viewer's language). */
function viewHelpers(req: Request) {
  const f = reportFormat(req.locale);
  const amount = (value: number, unit: MetricUnit, currency: string | null) =>
    unit === 'cents' ? f.money({ cents: value, currency: currency ?? 'EUR' }) : f.number(value);
  const metricLabel = (m: { kind: string; name: string }) => (m.kind === 'custom' ? m.name : req.t(`revenue.kinds.${m.kind}`));
  const channelLabel = (c: string | null) => (c === null ? req.t('revenue.utm.unattributed') : req.t(`studio.channels.${c}`, { defaultValue: c }));
  const when = (d: Date) => new Intl.DateTimeFormat(req.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: req.viewer?.tenant?.timezone ?? 'Europe/Paris' }).format(d);
  return { f, amount, metricLabel, channelLabel, when, canManage: hasTenantPermission(req, REVENUE_WRITE), editable: (m: BusinessMetric) => EDITABLE_SOURCES.includes(m.source) };
}

/** The overlay: marketing activity on the left axis, the chosen business metric on the right one. */
function overlayChart(req: Request, months: string[], activity: { clicks: number; conversions: number; publications: number }[], metric: MetricSeries | null): string {
  const f = reportFormat(req.locale);
  const labels = months.map((m) => new Intl.DateTimeFormat(req.locale, { month: 'short', year: '2-digit', timeZone: 'UTC' }).format(new Date(`${m}T12:00:00Z`)));
  const series: ChartSeries[] = ACTIVITIES.map((a, i) => ({ label: req.t(`revenue.activities.${a}`), values: activity.map((m) => m[a]), className: `series-${i + 1}` }));
  if (metric) {
    const scale = metric.unit === 'cents' ? 100 : 1;
    series.push({
      label: metric.kind === 'custom' ? metric.name : req.t(`revenue.kinds.${metric.kind}`),
      values: metric.values.map((v) => (v === null ? null : v / scale)),
      className: 'series-4',
      rightAxis: true,
    });
  }
  return lineChart({
    title: req.t('revenue.overview.chartTitle'),
    labels,
    series,
    format: (v) => f.number(v),
    formatRight: (v) => (metric?.unit === 'cents' ? f.money({ cents: Math.round(v * 100), currency: metric.currency ?? 'EUR' }) : f.number(v)),
  });
}

/** `/app/revenue/*`: business metrics (entry, CSV import) and their overlay on the marketing activity. */
export function revenueRoutes(deps: RevenueRouteDeps): Router {
  const { revenueService, businessMetricService, businessMetricImportService } = deps;
  const router = Router();
  const read = [requireLogin, requireTenantPermission(REVENUE_READ)];
  const write = [requireLogin, requireTenantPermission(REVENUE_WRITE)];
  const styles = ['/assets/cockpit.css'];

  router.get('/app/revenue', ...read, async (req, res) => {
    const window = Number.parseInt(text(req.query.window), 10);
    const overview = await revenueService.overview(tenantIdOf(req), {
      timezone: req.viewer?.tenant?.timezone ?? 'Europe/Paris',
      window: (WINDOWS as readonly number[]).includes(window) ? window : DEFAULT_WINDOW,
      metricId: text(req.query.metric) || null,
    });
    const chart = overlayChart(req, overview.months, overview.activity, overview.selected);
    render(req, res, 'analytics/revenue', { ...viewHelpers(req), overview, chart, windows: WINDOWS, activities: ACTIVITIES, fewMonths: FEW_MONTHS, styles }, { fragment: 'analytics/_revenue-overview' });
  });

  const metricsPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const metrics = await businessMetricService.list(tenantIdOf(req));
    render(req, res, 'analytics/revenue-metrics', { ...viewHelpers(req), metrics, kinds: METRIC_KINDS, units: METRIC_UNITS, values: { kind: 'revenue', unit: 'count', currency: 'EUR' }, errors: {}, ...extra }, { status });
  };

  const metricForm = (body: Record<string, unknown>) => ({
    month: text(body.month),
    kind: text(body.kind),
    name: text(body.name),
    unit: text(body.unit) || undefined,
    currency: text(body.currency) || undefined,
    value: text(body.value),
    notes: text(body.notes),
  });

  router.get('/app/revenue/metrics', ...read, (req, res) => metricsPage(req, res));

  router.post('/app/revenue/metrics', ...write, async (req, res) => {
    const form = metricForm((req.body ?? {}) as Record<string, unknown>);
    try {
      await businessMetricService.create(tenantIdOf(req), form as never, req.viewer!.userId);
      flash(req, 'success', req.t('revenue.metrics.created'));
      res.redirect(303, '/app/revenue/metrics');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await metricsPage(req, res, { values: form, errors: err.fieldErrors }, 422);
    }
  });

  const editPage = async (req: Request, res: Response, id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const metric = await businessMetricService.get(tenantIdOf(req), id);
    const f = reportFormat(req.locale);
    const value = metric.unit === 'cents' ? f.number(metric.value / 100, 2) : String(metric.value);
    render(req, res, 'analytics/revenue-metric-edit', { ...viewHelpers(req), metric, units: METRIC_UNITS, values: { value, unit: metric.unit, currency: metric.currency ?? 'EUR', notes: metric.notes ?? '' }, errors: {}, ...extra }, { status });
  };

  router.get('/app/revenue/metrics/:id/edit', ...write, (req, res) => editPage(req, res, uuidParam(req.params.id)));

  router.post('/app/revenue/metrics/:id', ...write, async (req, res) => {
    const id = uuidParam(req.params.id);
    const { unit, currency, value, notes } = metricForm((req.body ?? {}) as Record<string, unknown>);
    try {
      await businessMetricService.update(tenantIdOf(req), id, { unit: unit as never, currency, value, notes }, req.viewer!.userId);
      flash(req, 'success', req.t('revenue.metrics.saved'));
      res.redirect(303, '/app/revenue/metrics');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await editPage(req, res, id, { values: { unit, currency, value, notes }, errors: err.fieldErrors }, 422);
    }
  });

  router.post('/app/revenue/metrics/:id/delete', ...write, async (req, res) => {
    await businessMetricService.delete(tenantIdOf(req), uuidParam(req.params.id));
    flash(req, 'success', req.t('revenue.metrics.deleted'));
    res.redirect(303, '/app/revenue/metrics');
  });

  const importPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const recent = await businessMetricImportService.recent(tenantIdOf(req));
    render(req, res, 'analytics/revenue-import', { ...viewHelpers(req), recent, maxKb: MAX_METRIC_IMPORT_BYTES / 1024, errors: {}, ...extra }, { status });
  };

  router.get('/app/revenue/import', ...write, (req, res) => importPage(req, res));

  router.post('/app/revenue/import', ...write, async (req, res) => {
    try {
      await receiveFile(req, res);
      if (!req.file || req.file.size === 0) throw new ValidationError({ file: 'revenue.import.errors.noFile' });
      const result = await businessMetricImportService.import(tenantIdOf(req), { fileName: req.file.originalname, data: req.file.buffer, importedBy: req.viewer!.userId });
      res.redirect(303, `/app/revenue/imports/${result.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await importPage(req, res, { errors: err.fieldErrors }, 422);
    }
  });

  router.get('/app/revenue/imports/:id', ...read, async (req, res) => {
    const report = await businessMetricImportService.get(tenantIdOf(req), uuidParam(req.params.id));
    render(req, res, 'analytics/revenue-import-report', { ...viewHelpers(req), report });
  });

  return router;
}
