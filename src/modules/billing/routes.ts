import { Router } from 'express';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { render } from '../../shared/http/render.js';
import type { CreditService } from './credit-service.js';

const PAGE_SIZE = 50;

export function billingRoutes(deps: { creditService: CreditService }): Router {
  const { creditService } = deps;
  const router = Router();

  // Read-only for every member of the workspace: balance, period, grant and the consumption history.
  router.get('/app/credits', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const tenantId = tenantIdOf(req);
    const before = req.query.before === undefined ? undefined : uuidParam(req.query.before);
    const [balance, entries] = await Promise.all([
      creditService.balance(tenantId),
      creditService.history(tenantId, { limit: PAGE_SIZE, before }),
    ]);
    const nextBefore = entries.length === PAGE_SIZE ? entries[entries.length - 1].id : null;
    render(req, res, 'billing/credits', { section: 'credits', balance, entries, nextBefore, before }, { fragment: 'billing/_history' });
  });

  return router;
}
