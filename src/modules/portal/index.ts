import { Router } from 'express';
import { requireLogin, requireTenantPermission } from '../../shared/http/guards.js';
import { render } from '../../shared/http/render.js';

/** The client portal's navigation: one entry per module, in the order a client works. */
export const PORTAL_NAV = [
  { key: 'dashboard', href: '/app' },
  { key: 'brand', href: '/app/brand' },
  { key: 'studio', href: '/app/studio' },
  { key: 'pipeline', href: '/app/pipeline' },
  { key: 'calendar', href: '/app/calendar' },
  { key: 'approvals', href: '/app/approvals' },
  { key: 'media', href: '/app/media' },
  { key: 'contacts', href: '/app/contacts' },
  { key: 'channels', href: '/app/channels' },
  { key: 'watch', href: '/app/watch' },
  { key: 'ai', href: '/app/ai' },
  { key: 'team', href: '/app/team' },
  { key: 'credits', href: '/app/credits' },
  { key: 'subscription', href: '/app/subscription' },
] as const;

/** Modules whose screens are not built yet: their page says so plainly (and which issue brings it). */
const COMING = ['subscription'] as const;

export function portalRouter(): Router {
  const router = Router();
  router.get('/app', requireLogin, requireTenantPermission('workspace.view'), (req, res) => {
    render(req, res, 'portal/dashboard', { section: 'dashboard' });
  });
  for (const section of COMING) {
    router.get(`/app/${section}`, requireLogin, requireTenantPermission('workspace.view'), (req, res) => {
      render(req, res, 'portal/coming', { section });
    });
  }
  return router;
}
