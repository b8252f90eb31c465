import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError } from '../errors.js';

/** Sends anonymous visitors to the login page (HTMX gets HX-Redirect). */
export function requireLogin(req: Request, res: Response, next: NextFunction): void {
  if (req.viewer) return next();
  const target = `/login?next=${encodeURIComponent(req.originalUrl)}`;
  if (req.get('HX-Request') === 'true') {
    res.set('HX-Redirect', target).status(401).end();
    return;
  }
  res.redirect(303, target);
}

/** The viewer's role in their current tenant grants `permission` (what a page shows or hides). */
export function hasTenantPermission(req: Request, permission: string): boolean {
  return Boolean(req.viewer?.tenant?.permissions.includes(permission));
}

/** The viewer works in a tenant and their role there grants `permission`. */
export function requireTenantPermission(permission: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.viewer?.tenant) return next(new ForbiddenError('tenancy.errors.noTenant'));
    if (!hasTenantPermission(req, permission)) return next(new ForbiddenError());
    next();
  };
}

export function requirePlatformAdmin(req: Request, _res: Response, next: NextFunction): void {
  if (req.viewer?.isPlatformAdmin) return next();
  next(new ForbiddenError());
}

/** The tenant of the request; routes behind requireTenantPermission always have one. */
export function tenantIdOf(req: Request): string {
  const id = req.viewer?.tenant?.id;
  if (!id) throw new ForbiddenError('tenancy.errors.noTenant');
  return id;
}
