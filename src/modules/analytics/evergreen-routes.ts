import { Router } from 'express';
import { AppError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import type { EvergreenService } from './evergreen-service.js';
import { ReputationFormats } from './review-view.js';

/** `/app/evergreen`: contents worth publishing again, refreshed through the studio or dismissed. */
export function evergreenRoutes(cradle: { evergreenService: EvergreenService }): Router {
  const { evergreenService: service } = cradle;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];
  const write = [requireLogin, requireTenantPermission('content.write')];

  router.get('/app/evergreen', ...read, async (req, res) => {
    const candidates = await service.list(tenantIdOf(req));
    render(req, res, 'analytics/evergreen', {
      section: 'evergreen',
      fmt: new ReputationFormats(req.locale, req.viewer!.tenant!.timezone, req.t),
      canWrite: hasTenantPermission(req, 'content.write'),
      candidates,
    });
  });

  router.post('/app/evergreen/:id/refresh', ...write, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      const result = await service.refresh(tenantIdOf(req), req.viewer!.userId, id);
      if (!result.created) flash(req, 'info', req.t('reputation.evergreen.existing'));
      else if (result.generationError) flash(req, 'error', req.t('reputation.evergreen.draftFailed', { reason: req.t(result.generationError) }));
      else flash(req, 'success', req.t('reputation.evergreen.refreshed'));
      redirect(req, res, `/app/studio/${result.contentId}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      flash(req, 'error', req.t(err.code));
      redirect(req, res, '/app/evergreen');
    }
  });

  router.post('/app/evergreen/:id/dismiss', ...write, async (req, res) => {
    try {
      await service.dismiss(tenantIdOf(req), req.viewer!.userId, uuidParam(req.params.id));
      flash(req, 'success', req.t('reputation.evergreen.dismissed'));
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      flash(req, 'error', req.t(err.code));
    }
    redirect(req, res, '/app/evergreen');
  });

  return router;
}
