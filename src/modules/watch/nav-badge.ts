import type { NextFunction, Request, Response } from 'express';
import { hasTenantPermission } from '../../shared/http/guards.js';
import { wantsFragment } from '../../shared/http/html.js';
import type { AlertService } from './alert-service.js';

/**
 * The unread watch alerts of the viewer, as `res.locals.watchUnread`, for the badge on the portal's navigation.
 * Only full portal pages (GET) show the navigation: fragments and other areas skip the query (one count on
 * `watch_alerts_unread_idx`).
 */
export function watchNavBadge(cradle: { alertService: Pick<AlertService, 'unreadCount'> }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const viewer = req.viewer;
    if (req.method !== 'GET' || !viewer?.tenant || !req.path.startsWith('/app') || wantsFragment(req) || !hasTenantPermission(req, 'workspace.view')) return next();
    try {
      res.locals.watchUnread = await cradle.alertService.unreadCount(viewer.tenant.id, viewer.userId);
    } catch (err) {
      // a badge is not worth a broken page
      req.log?.warn({ err }, 'watch: unread count failed');
    }
    next();
  };
}
