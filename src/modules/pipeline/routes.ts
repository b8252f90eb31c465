import { Router, type Request, type Response } from 'express';
import type { Clock } from '../../shared/clock.js';
import { AppError, ValidationError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requirePlatformAdmin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { wantsFragment } from '../../shared/http/html.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import type { KnexPipelineRepository } from './db/knex-pipeline-repository.js';
import { RUN_STATUSES, type PipelineRun, type RunWithSteps } from './domain.js';
import type { PipelineService } from './run-service.js';
import { controlsFor, isLive, RunFormats, startableMonths, stepView } from './run-view.js';
import type { PipelineSettingsService } from './settings-service.js';

export interface PipelineRouteDeps {
  pipelineService: PipelineService;
  pipelineRepository: KnexPipelineRepository;
  pipelineSettingsService: PipelineSettingsService;
  clock: Clock;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** A 409's message in the reader's language, the run's status named in it. */
function conflictMessage(req: Request, err: AppError): string {
  const params: Record<string, unknown> = { ...err.params };
  if (typeof params.status === 'string') params.status = req.t(`pipeline.runStatus.${params.status}`).toLocaleLowerCase(req.locale);
  return req.t(err.code, params);
}

const isConflict = (err: unknown): err is AppError => err instanceof AppError && err.status === 409;

/**
 * `/app/pipeline`: the client's month — the current run with its live progress, its controls (start, pause, resume,
 * cancel, re-run), the settings of the monthly run and the previous runs.
 */
export function pipelineRunRoutes(deps: PipelineRouteDeps): Router {
  const { pipelineService: service, pipelineRepository: repository, pipelineSettingsService: settingsService, clock } = deps;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];
  const write = [requireLogin, requireTenantPermission('content.write')];
  const timezoneOf = (req: Request) => req.viewer!.tenant!.timezone;
  const fmtOf = (req: Request) => new RunFormats(req.locale, timezoneOf(req), req.t);

  /** `from`: the page showing the run ('index' or 'run'), where its controls send the browser back. */
  async function runData(req: Request, detail: RunWithSteps, from: 'index' | 'run' = 'run') {
    const tenantId = tenantIdOf(req);
    const { run, steps } = detail;
    const [planItems, starter] = await Promise.all([
      run.editorialPlanId ? repository.planItems(tenantId, run.editorialPlanId) : Promise.resolve([]),
      repository.memberName(tenantId, run.triggeredByUserId),
    ]);
    return {
      run,
      steps: steps.map(stepView),
      live: isLive(run.status),
      controls: controlsFor(run.status),
      canWrite: hasTenantPermission(req, 'content.write'),
      planItems,
      starter,
      fmt: fmtOf(req),
      from,
    };
  }

  async function indexPage(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const tenantId = tenantIdOf(req);
    const [latest, history] = await Promise.all([service.latest(tenantId), service.history(tenantId)]);
    const canWrite = hasTenantPermission(req, 'content.write');
    const months = startableMonths(clock.now(), timezoneOf(req));
    const estimate = canWrite ? await service.estimate(tenantId) : null;
    render(
      req,
      res,
      'pipeline/index',
      {
        ...(latest ? await runData(req, latest, 'index') : { run: null, fmt: fmtOf(req), canWrite }),
        history,
        months,
        estimate,
        values: { month: months.next },
        errors: {},
        ...extra,
      },
      { status },
    );
  }

  router.get('/app/pipeline', ...read, (req, res) => indexPage(req, res));

  router.get('/app/pipeline/runs/:id', ...read, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const detail = await service.detail(tenantId, uuidParam(req.params.id));
    render(req, res, 'pipeline/run', { ...(await runData(req, detail)), history: await service.history(tenantId) }, { fragment: 'pipeline/_run-progress' });
  });

  // Polled by the page while the run is live: the fragment alone, without its trigger once the run has stopped.
  router.get('/app/pipeline/runs/:id/progress', ...read, async (req, res) => {
    const detail = await service.detail(tenantIdOf(req), uuidParam(req.params.id));
    render(req, res, 'pipeline/_run-progress', await runData(req, detail, req.query.from === 'index' ? 'index' : 'run'));
  });

  // ---- Controls ----

  router.post('/app/pipeline/runs', ...write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const month = text(req.body?.month);
    const months = startableMonths(clock.now(), timezoneOf(req));
    if (month !== months.current && month !== months.next) {
      return indexPage(req, res, { values: { month }, errors: { month: 'pipeline.errors.invalidMonth' } }, 422);
    }
    try {
      const run = await service.start(tenantId, { kind: 'client', userId: req.viewer!.userId }, { month });
      if (run.status === 'budget_exhausted') flash(req, 'error', run.failureReason ?? req.t('pipeline.runStatus.budget_exhausted'));
      else flash(req, 'success', req.t('pipeline.flash.started', { month: fmtOf(req).month(run.month) }));
    } catch (err) {
      if (!isConflict(err)) throw err;
      flash(req, 'error', conflictMessage(req, err));
    }
    redirect(req, res, '/app/pipeline');
  });

  /** Where a control sends the browser back: the page it was used on. */
  const backTo = (req: Request, runId: string) => (req.body?.from === 'index' ? '/app/pipeline' : `/app/pipeline/runs/${runId}`);

  const control =
    (act: (tenantId: string, runId: string, req: Request) => Promise<PipelineRun>, notice: string) => async (req: Request, res: Response) => {
      const tenantId = tenantIdOf(req);
      const runId = uuidParam(req.params.id);
      let run: PipelineRun;
      try {
        run = await act(tenantId, runId, req);
      } catch (err) {
        if (!isConflict(err)) throw err;
        flash(req, 'error', conflictMessage(req, err));
        return redirect(req, res, backTo(req, runId));
      }
      const message = req.t(notice);
      if (!wantsFragment(req)) {
        flash(req, 'success', message);
        return redirect(req, res, backTo(req, run.id));
      }
      const from = req.body?.from === 'index' ? 'index' : 'run';
      render(req, res, 'pipeline/_run-progress', { ...(await runData(req, await service.detail(tenantId, run.id), from)), notice: message });
    };

  router.post('/app/pipeline/runs/:id/pause', ...write, control((tenantId, runId, req) => service.pause(tenantId, runId, req.viewer!.userId), 'pipeline.flash.paused'));
  router.post('/app/pipeline/runs/:id/resume', ...write, control((tenantId, runId) => service.resume(tenantId, runId), 'pipeline.flash.resumed'));

  const cancel = control((tenantId, runId) => service.cancel(tenantId, runId), 'pipeline.flash.cancelled');
  router.post('/app/pipeline/runs/:id/cancel', ...write, async (req, res) => {
    // Without JavaScript there was no confirmation dialog: ask on a page of its own (HTMX sends `confirmed`).
    if (req.body?.confirmed !== '1') {
      const detail = await service.detail(tenantIdOf(req), uuidParam(req.params.id));
      return render(req, res, 'pipeline/cancel', { run: detail.run, fmt: fmtOf(req), from: text(req.body?.from) });
    }
    await cancel(req, res);
  });

  router.post('/app/pipeline/runs/:id/rerun', ...write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const runId = uuidParam(req.params.id);
    try {
      const run = await service.rerun(tenantId, runId, { kind: 'client', userId: req.viewer!.userId });
      if (run.status === 'budget_exhausted') flash(req, 'error', run.failureReason ?? req.t('pipeline.runStatus.budget_exhausted'));
      else flash(req, 'success', req.t('pipeline.flash.rerun', { month: fmtOf(req).month(run.month) }));
      redirect(req, res, `/app/pipeline/runs/${run.id}`);
    } catch (err) {
      if (!isConflict(err)) throw err;
      flash(req, 'error', conflictMessage(req, err));
      redirect(req, res, backTo(req, runId));
    }
  });

  // ---- Settings ----

  async function settingsPage(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const view = await settingsService.view(tenantIdOf(req));
    render(
      req,
      res,
      'pipeline/settings',
      {
        ...view,
        values: null,
        errors: {},
        canWrite: hasTenantPermission(req, 'content.write'),
        canManageBilling: hasTenantPermission(req, 'billing.manage'),
        ...extra,
      },
      { status, fragment: 'pipeline/_settings-form' },
    );
  }

  router.get('/app/pipeline/settings', ...read, (req, res) => settingsPage(req, res));

  router.post('/app/pipeline/settings', ...write, async (req, res) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    try {
      await settingsService.update(tenantIdOf(req), form, { canManageBilling: hasTenantPermission(req, 'billing.manage') });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return settingsPage(req, res, { values: form, errors: err.fieldErrors }, 422);
    }
    const message = req.t('pipeline.flash.settingsSaved');
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return redirect(req, res, '/app/pipeline/settings');
    }
    await settingsPage(req, res, { notice: message });
  });

  return router;
}

/**
 * `/admin/pipeline`: the super admin's view of every tenant's runs — counts per state, the latest runs (filtered by
 * state), their cost, and pause / resume (retry) / cancel on a tenant's run.
 */
export function pipelineAdminRoutes(deps: Pick<PipelineRouteDeps, 'pipelineService'>): Router {
  const service = deps.pipelineService;
  const router = Router();
  const admin = [requireLogin, requirePlatformAdmin];
  const statusFilter = (v: unknown) => ((RUN_STATUSES as readonly string[]).includes(text(v)) ? text(v) : '');

  router.get('/admin/pipeline', ...admin, async (req, res) => {
    const status = statusFilter(req.query.status);
    const { counts, runs } = await service.adminOverview({ status: status || undefined });
    render(req, res, 'admin/pipeline', {
      statuses: RUN_STATUSES,
      counts: Object.fromEntries(RUN_STATUSES.map((s) => [s, counts[s] ?? 0])),
      runs: runs.map((r) => ({ ...r, controls: controlsFor(r.status) })),
      status,
      fmt: new RunFormats(req.locale, 'UTC', req.t),
    });
  });

  const adminControl =
    (act: (tenantId: string, runId: string, req: Request) => Promise<PipelineRun>, notice: string) => async (req: Request, res: Response) => {
      // The run's tenant comes from the row the admin acted on; the service looks the run up in that tenant only.
      const tenantId = uuidParam(req.body?.tenantId);
      const runId = uuidParam(req.params.id);
      try {
        await act(tenantId, runId, req);
        flash(req, 'success', req.t(notice));
      } catch (err) {
        if (!isConflict(err)) throw err;
        flash(req, 'error', conflictMessage(req, err));
      }
      const status = statusFilter(req.body?.status);
      redirect(req, res, `/admin/pipeline${status ? `?status=${status}` : ''}#run-${runId}`);
    };

  router.post('/admin/pipeline/runs/:id/pause', ...admin, adminControl((tenantId, runId, req) => service.pause(tenantId, runId, req.viewer!.userId), 'pipeline.flash.paused'));
  router.post('/admin/pipeline/runs/:id/resume', ...admin, adminControl((tenantId, runId) => service.resume(tenantId, runId), 'pipeline.flash.resumed'));
  router.post('/admin/pipeline/runs/:id/cancel', ...admin, adminControl((tenantId, runId) => service.cancel(tenantId, runId), 'pipeline.flash.cancelled'));

  return router;
}
