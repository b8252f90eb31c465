import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

// Posts that carry their own authority and come from outside any browser session: the RFC 8058 one-click
// unsubscribe (mail providers post `List-Unsubscribe=One-Click` without cookies; the signed token is the proof).
const EXEMPT = [/^\/u\/[A-Za-z0-9_-]+$/];

/**
 * Synchronizer token: one random token per session. Forms post it as `_csrf`; the layout sends it as the
 * `X-CSRF-Token` header on every HTMX request.
 */
export function csrfProtection(req: Request, _res: Response, next: NextFunction): void {
  if (!req.session.csrfToken) req.session.csrfToken = crypto.randomBytes(32).toString('base64url');
  req.csrfToken = req.session.csrfToken;
  if (SAFE.has(req.method) || EXEMPT.some((re) => re.test(req.path))) return next();
  // Multipart bodies are parsed later, by the upload route: their forms carry the token in the query string.
  const fromQuery = req.is('multipart/form-data') && typeof req.query._csrf === 'string' ? req.query._csrf : undefined;
  const sent = (req.body && typeof req.body._csrf === 'string' ? req.body._csrf : undefined) ?? req.get('X-CSRF-Token') ?? fromQuery;
  if (typeof sent === 'string' && timingSafeEqual(sent, req.session.csrfToken)) return next();
  next(new AppError('common.errors.csrf', 403));
}

function timingSafeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}
