import { Router, type Request, type Response } from 'express';
import type { Clock } from '../../shared/clock.js';
import { ValidationError } from '../../shared/errors.js';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { render } from '../../shared/http/render.js';
import { PERIOD_PRESETS, periodForm, resolvePeriods } from './cockpit-period.js';
import type { CockpitService } from './cockpit-service.js';
import { CockpitFormats, cockpitView } from './cockpit-view.js';

export interface CockpitRouteDeps {
  cockpitService: CockpitService;
  clock: Clock;
}

/**
 * `/app`: the cockpit, every section rendered in one response (one request is faster than a page and nine lazy
 * fragments, each paying for the session and the viewer). The period form asks HTMX for `_cockpit-body` alone.
 */
export function cockpitRoutes(deps: CockpitRouteDeps): Router {
  const router = Router();

  router.get('/app', requireLogin, requireTenantPermission('workspace.view'), async (req: Request, res: Response) => {
    const tenant = req.viewer!.tenant!;
    const query = req.query as Record<string, unknown>;
    const form = periodForm(query);
    const page = { section: 'dashboard', form, presets: PERIOD_PRESETS, errors: {} as Record<string, string> };
    let periods;
    try {
      periods = resolvePeriods(query, deps.clock.now(), tenant.timezone);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return render(req, res, 'analytics/cockpit', { ...page, errors: err.fieldErrors, view: null }, { status: 422, fragment: 'analytics/_cockpit-body' });
    }
    // The navigation's badge already counted the viewer's unread alerts on a full page.
    const unread = typeof res.locals.watchUnread === 'number' ? (res.locals.watchUnread as number) : undefined;
    const data = await deps.cockpitService.cockpit(tenantIdOf(req), req.viewer!.userId, periods, { unread });
    const view = cockpitView(data, new CockpitFormats(req.locale, tenant.timezone, req.t), req.t);
    render(req, res, 'analytics/cockpit', { ...page, view }, { fragment: 'analytics/_cockpit-body' });
  });

  return router;
}
