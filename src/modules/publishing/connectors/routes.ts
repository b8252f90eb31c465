import { Router, type Request, type Response } from 'express';
import { Formats, microsForInput } from '../../ai/admin-service.js';
import { AppError, NotFoundError, ValidationError } from '../../../shared/errors.js';
import { requireLogin, requirePlatformAdmin, requireTenantPermission, tenantIdOf } from '../../../shared/http/guards.js';
import { wantsFragment } from '../../../shared/http/html.js';
import { uuidParam } from '../../../shared/http/params.js';
import { flash, redirect, render } from '../../../shared/http/render.js';
import type { ConnectorService } from './connector-service.js';
import { CONNECTOR_KINDS, isConnectorKind, KIND_SPECS, PLAN_CODES, type ConnectorKind } from './kinds.js';

const admin = [requireLogin, requirePlatformAdmin];

/** What a form shows back after an error: what was typed, never a secret. */
function typedValues(kind: ConnectorKind, body: Record<string, unknown>): Record<string, unknown> {
  const secretNames = new Set(KIND_SPECS[kind].secrets.map((f) => f.name));
  return Object.fromEntries(Object.entries(body ?? {}).filter(([k]) => k !== '_csrf' && !secretNames.has(k) && !k.startsWith('clear_')));
}

/**
 * `/admin/connectors` (the super admin's platform connectors and the plans' connector lists) and
 * `/app/channels/plan` (the client's fragment: what its plan includes and whether it works on the platform).
 */
export function connectorRoutes(deps: { connectorService: ConnectorService }): Router {
  const router = Router();
  const service = () => deps.connectorService;
  const fmt = (req: Request) => new Formats(req.locale);

  const listPage = async (req: Request, res: Response, focus: { id?: string; extra?: object } = {}, status = 200) => {
    const [connectors, plans] = await Promise.all([service().list(), service().plans()]);
    const connector = focus.id ? connectors.find((c) => c.id === focus.id) : undefined;
    render(
      req,
      res,
      'publishing/connectors/index',
      { fmt: fmt(req), kinds: CONNECTOR_KINDS, connectors, connector, focusId: focus.id, plans, planCodes: Object.keys(PLAN_CODES), errors: {}, ...focus.extra },
      { status, fragment: connector ? 'publishing/connectors/_connector' : undefined },
    );
  };

  const formPage = (req: Request, res: Response, data: { kind: ConnectorKind; connector?: object; values?: object; errors?: object }, status = 200) =>
    render(req, res, 'publishing/connectors/form', { spec: KIND_SPECS[data.kind], microsForInput, values: {}, errors: {}, ...data }, { status });

  router.get('/admin/connectors', ...admin, (req, res) => listPage(req, res));

  router.get('/admin/connectors/new', ...admin, (req, res) => {
    const kind = req.query.kind;
    if (!isConnectorKind(kind)) throw new NotFoundError();
    formPage(req, res, { kind, values: { active: 'on' } });
  });

  router.post('/admin/connectors', ...admin, async (req, res) => {
    const kind = req.body?.kind;
    if (!isConnectorKind(kind)) throw new NotFoundError();
    try {
      const id = await service().create(kind, req.body, req.locale);
      flash(req, 'success', req.t('connectors.admin.created'));
      redirect(req, res, `/admin/connectors#connector-${id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      formPage(req, res, { kind, values: typedValues(kind, req.body), errors: err.fieldErrors }, 422);
    }
  });

  router.get('/admin/connectors/:id/edit', ...admin, async (req, res) => {
    const connector = await service().get(uuidParam(req.params.id));
    formPage(req, res, { kind: connector.kind, connector });
  });

  router.post('/admin/connectors/:id', ...admin, async (req, res) => {
    const id = uuidParam(req.params.id);
    const connector = await service().get(id);
    try {
      await service().update(id, req.body, req.locale);
      flash(req, 'success', req.t('connectors.admin.saved'));
      redirect(req, res, `/admin/connectors#connector-${id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      formPage(req, res, { kind: connector.kind, connector, values: typedValues(connector.kind, req.body), errors: err.fieldErrors }, 422);
    }
  });

  /** Switching and testing answer HTMX with the connector's card, a plain post with a redirect and a flash. */
  const cardAction =
    (work: (id: string, req: Request) => Promise<{ ok: boolean; message: string } | void>, notice: string) => async (req: Request, res: Response) => {
      const id = uuidParam(req.params.id);
      try {
        const outcome = await work(id, req);
        if (!wantsFragment(req)) {
          flash(req, outcome && !outcome.ok ? 'error' : 'success', outcome ? req.t(outcome.ok ? 'connectors.admin.testOk' : 'connectors.admin.testFailed') : req.t(notice));
          return redirect(req, res, `/admin/connectors#connector-${id}`);
        }
        await listPage(req, res, { id, extra: { notice: outcome ? undefined : notice, testOutcome: outcome } });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        await listPage(req, res, { id, extra: { errors: err.fieldErrors } }, 422);
      }
    };

  router.post('/admin/connectors/:id/active', ...admin, cardAction((id, req) => service().setActive(id, req.body), 'connectors.admin.saved'));
  router.post('/admin/connectors/:id/test', ...admin, cardAction((id) => service().test(id), 'connectors.admin.testOk'));

  router.post('/admin/connectors/:id/default', ...admin, async (req, res) => {
    const id = uuidParam(req.params.id);
    await service().makeDefault(id);
    flash(req, 'success', req.t('connectors.admin.madeDefault'));
    redirect(req, res, `/admin/connectors#connector-${id}`);
  });

  router.post('/admin/connectors/:id/delete', ...admin, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      await service().delete(id);
      flash(req, 'success', req.t('connectors.admin.deleted'));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'connectors.errors.inUse') throw err;
      flash(req, 'error', req.t(err.code, err.params));
    }
    redirect(req, res, '/admin/connectors');
  });

  router.post('/admin/connectors/plans/:planId', ...admin, async (req, res) => {
    const planId = uuidParam(req.params.planId);
    try {
      await service().setPlanConnectors(planId, req.body ?? {});
      flash(req, 'success', req.t('connectors.plans.saved'));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      flash(req, 'error', req.t(err.fieldErrors.codes ?? 'common.errors.invalidValue'));
    }
    redirect(req, res, `/admin/connectors#plan-${planId}`);
  });

  // The client's side

  router.get('/app/channels/plan', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const view = await service().planConnectors(tenantIdOf(req));
    render(req, res, 'publishing/connectors/plan', { view }, { fragment: 'publishing/connectors/_plan' });
  });

  return router;
}
