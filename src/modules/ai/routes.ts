import { Router, type Request, type Response } from 'express';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { requireLogin, requirePlatformAdmin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import { AiAdminService, bpForInput, CAPABILITIES, Formats, isTask, microsForInput, TEST_ERROR_KINDS, TIERS, type TestOutcome, type UsagePeriod } from './admin-service.js';
import type { AiTask } from './domain.js';
import { wantsFragment } from '../../shared/http/html.js';

const admin = [requireLogin, requirePlatformAdmin];

/**
 * The super admin's AI pages (providers and keys, model catalogue, task routes, usage) and the client's
 * "Moteurs IA" page. Each super-admin page is one URL: a full page, or to HTMX the fragment of the item
 * that changed; a plain form post is answered with a redirect (or the page with its errors, 422).
 */
export function aiRoutes(deps: { aiAdminService: AiAdminService }): Router {
  const router = Router();
  const service = () => deps.aiAdminService;
  const common = (req: Request) => ({ fmt: new Formats(req.locale), errors: {}, values: {} });

  // Providers

  const providersPage = async (req: Request, res: Response, focus: { id?: string; extra?: object } = {}, status = 200) => {
    const providers = await service().providers();
    const provider = focus.id ? providers.find((p) => p.id === focus.id) : undefined;
    render(
      req,
      res,
      'admin/ai/providers',
      { ...common(req), providers, provider, focusId: focus.id, errorKinds: TEST_ERROR_KINDS, ...focus.extra },
      { status, fragment: provider ? 'admin/ai/_provider' : undefined },
    );
  };

  /** Runs a provider change; answers with its fragment (HTMX), a redirect, or the form again with its errors. */
  const providerAction =
    (work: (id: string, req: Request) => Promise<TestOutcome | void>, notice: string) => async (req: Request, res: Response) => {
      const id = uuidParam(req.params.id);
      try {
        const outcome = await work(id, req);
        if (!wantsFragment(req)) {
          flash(req, outcome && !outcome.ok ? 'error' : 'success', outcome ? testMessage(req, outcome) : req.t(notice));
          return redirect(req, res, `/admin/ai#provider-${id}`);
        }
        await providersPage(req, res, { id, extra: { notice: outcome ? undefined : notice, testOutcome: outcome } });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        // what was typed is kept, except the key itself: it is never sent back
        const values = { baseUrl: typeof req.body?.baseUrl === 'string' ? req.body.baseUrl : undefined };
        await providersPage(req, res, { id, extra: { errors: err.fieldErrors, values } }, 422);
      }
    };

  const testMessage = (req: Request, outcome: TestOutcome) =>
    outcome.ok ? req.t('ai.providers.testOk') : req.t('ai.providers.testFailed', { reason: req.t(`ai.errorKinds.${outcome.kind ?? 'network'}`) });

  router.get('/admin/ai', ...admin, (req, res) => providersPage(req, res));
  router.post('/admin/ai/providers/:id/key', ...admin, providerAction((id, req) => service().setApiKey(id, req.body), 'ai.providers.keySaved'));
  router.post('/admin/ai/providers/:id/key/remove', ...admin, providerAction((id) => service().removeApiKey(id), 'ai.providers.keyRemoved'));
  router.post('/admin/ai/providers/:id/active', ...admin, providerAction((id, req) => service().setActive(id, req.body), 'ai.providers.saved'));
  router.post('/admin/ai/providers/:id/base-url', ...admin, providerAction((id, req) => service().setBaseUrl(id, req.body), 'ai.providers.saved'));
  router.post('/admin/ai/providers/:id/test', ...admin, providerAction((id) => service().testConnection(id), 'ai.providers.testOk'));

  // Models

  const modelsPage = async (req: Request, res: Response, focus: { id?: string; extra?: object } = {}, status = 200) => {
    const models = await service().models();
    const model = focus.id ? models.find((m) => m.id === focus.id) : undefined;
    render(
      req,
      res,
      'admin/ai/models',
      { ...common(req), models, model, focusId: focus.id, tiers: TIERS, capabilities: CAPABILITIES, microsForInput, bpForInput, ...focus.extra },
      { status, fragment: model ? 'admin/ai/_model' : undefined },
    );
  };

  router.get('/admin/ai/models', ...admin, (req, res) => modelsPage(req, res));
  router.post('/admin/ai/models/:id', ...admin, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      await service().updateModel(id, req.body, req.locale);
      if (!wantsFragment(req)) {
        flash(req, 'success', req.t('ai.models.saved'));
        return redirect(req, res, `/admin/ai/models#model-${id}`);
      }
      await modelsPage(req, res, { id, extra: { notice: 'ai.models.saved' } });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await modelsPage(req, res, { id, extra: { errors: err.fieldErrors, values: modelValues(req.body) } }, 422);
    }
  });

  // Task routes

  const taskParam = (value: unknown): AiTask => {
    if (!isTask(value)) throw new NotFoundError();
    return value;
  };

  const routesPage = async (req: Request, res: Response, focus: { task?: AiTask; extra?: object } = {}, status = 200) => {
    const routes = await service().routes();
    const route = focus.task ? routes.find((r) => r.task === focus.task) : undefined;
    render(
      req,
      res,
      'admin/ai/routes',
      { ...common(req), routes, route, focusTask: focus.task, ...focus.extra },
      { status, fragment: route ? 'admin/ai/_route' : undefined },
    );
  };

  const routeAction = (work: (task: AiTask, req: Request) => Promise<void>) => async (req: Request, res: Response) => {
    const task = taskParam(req.params.task);
    try {
      await work(task, req);
      if (!wantsFragment(req)) {
        flash(req, 'success', req.t('ai.routes.saved'));
        return redirect(req, res, `/admin/ai/routes#route-${task}`);
      }
      await routesPage(req, res, { task, extra: { notice: 'ai.routes.saved' } });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await routesPage(req, res, { task, extra: { errors: err.fieldErrors, values: req.body ?? {} } }, 422);
    }
  };

  router.get('/admin/ai/routes', ...admin, (req, res) => routesPage(req, res));
  router.post('/admin/ai/routes/:task/models', ...admin, routeAction((task, req) => service().addRouteModel(task, req.body)));
  router.post('/admin/ai/routes/:task/models/:modelId/remove', ...admin, routeAction((task, req) => service().removeRouteModel(task, uuidParam(req.params.modelId))));
  router.post('/admin/ai/routes/:task/models/:modelId/up', ...admin, routeAction((task, req) => service().moveRouteModel(task, uuidParam(req.params.modelId), 'up')));
  router.post('/admin/ai/routes/:task/models/:modelId/down', ...admin, routeAction((task, req) => service().moveRouteModel(task, uuidParam(req.params.modelId), 'down')));
  router.post('/admin/ai/routes/:task/settings', ...admin, routeAction((task, req) => service().updateRouteSettings(task, req.body)));

  // Usage

  router.get('/admin/ai/usage', ...admin, async (req, res) => {
    let period: UsagePeriod;
    try {
      period = service().usagePeriod(req.query as Record<string, unknown>);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const values = { period: String(req.query.period ?? ''), from: String(req.query.from ?? ''), to: String(req.query.to ?? '') };
      return render(req, res, 'admin/ai/usage', { ...common(req), errors: err.fieldErrors, values, report: null }, { status: 422, fragment: 'admin/ai/_usage' });
    }
    const report = await service().usage(period);
    render(req, res, 'admin/ai/usage', { ...common(req), values: period.values, period, report }, { fragment: 'admin/ai/_usage' });
  });

  // The client's engines

  router.get('/app/ai', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const engines = await service().engines(tenantIdOf(req));
    render(req, res, 'ai/engines', { engines });
  });

  return router;
}

/** The model form as typed, for a 422 (strings, and the checked boxes). */
function modelValues(body: Record<string, unknown> | undefined): Record<string, unknown> {
  const b = body ?? {};
  const str = (v: unknown) => (Array.isArray(v) ? String(v.at(-1) ?? '') : v === undefined || v === null ? '' : String(v));
  const caps = b.capabilities === undefined ? [] : Array.isArray(b.capabilities) ? b.capabilities.map(String) : [String(b.capabilities)];
  return {
    tier: str(b.tier),
    capabilities: caps,
    inputPrice: str(b.inputPrice),
    outputPrice: str(b.outputPrice),
    cachedInputPrice: str(b.cachedInputPrice),
    cacheWritePrice: str(b.cacheWritePrice),
    audioPrice: str(b.audioPrice),
    batchDiscount: str(b.batchDiscount),
    euHosted: b.euHosted !== undefined && str(b.euHosted) !== 'false' && str(b.euHosted) !== '',
    active: b.active !== undefined && str(b.active) !== 'false' && str(b.active) !== '',
  };
}
