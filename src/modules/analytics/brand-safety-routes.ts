import { Router, type Request } from 'express';
import { AppError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import { FLAG_KINDS, FLAG_STATUSES, type FlagFilter, type FlagKind, type FlagStatus } from './brand-safety-domain.js';
import type { BrandSafetyService } from './brand-safety-service.js';
import { ReputationFormats } from './review-view.js';

const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v.at(-1) === 'string' ? (v.at(-1) as string) : '');

export function parseFlagFilter(query: Record<string, unknown>): FlagFilter {
  const status = text(query.status);
  const kind = text(query.kind);
  return {
    status: status === 'all' || (FLAG_STATUSES as readonly string[]).includes(status) ? (status as FlagStatus | 'all') : 'open',
    kind: (FLAG_KINDS as readonly string[]).includes(kind) ? (kind as FlagKind) : undefined,
  };
}

/** Where the action's button sends the browser back: the brand-safety page it came from, never elsewhere. */
function backTo(req: Request): string {
  const back = text(req.body?.back);
  return /^\/app\/brand-safety(?:\?[\w=&%-]*)?$/.test(back) ? back : '/app/brand-safety';
}

/** `/app/brand-safety`: the flags on generated contents (and mentions, reviews) and the team's decisions. */
export function brandSafetyRoutes(cradle: { brandSafetyService: BrandSafetyService }): Router {
  const { brandSafetyService: service } = cradle;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];
  const decide = [requireLogin, requireTenantPermission('content.approve')];

  router.get('/app/brand-safety', ...read, async (req, res) => {
    const filter = parseFlagFilter(req.query as Record<string, unknown>);
    const flags = await service.list(tenantIdOf(req), filter);
    const params = new URLSearchParams();
    if (filter.status !== 'open') params.set('status', filter.status!);
    if (filter.kind) params.set('kind', filter.kind);
    render(req, res, 'analytics/brand-safety', {
      section: 'brand-safety',
      fmt: new ReputationFormats(req.locale, req.viewer!.tenant!.timezone, req.t),
      canDecide: hasTenantPermission(req, 'content.approve'),
      flags,
      filter,
      statuses: FLAG_STATUSES,
      kinds: FLAG_KINDS,
      selfHref: `/app/brand-safety${params.toString() ? `?${params}` : ''}`,
    });
  });

  router.post('/app/brand-safety/flags/:id', ...decide, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      const flag = await service.decide(tenantIdOf(req), req.viewer!.userId, id, { action: req.body?.action, note: req.body?.note });
      flash(req, 'success', req.t(`reputation.flags.done.${flag.status}`));
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 404 || err.status >= 500) throw err;
      flash(req, 'error', req.t(err.code === 'common.errors.validation' ? 'reputation.errors.flagActionInvalid' : err.code));
    }
    redirect(req, res, backTo(req));
  });

  return router;
}
