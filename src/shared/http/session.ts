import type { Request } from 'express';

/**
 * For public endpoints fetched without cookies (short links, public media, calendar feeds): the CSRF middleware
 * has already put a token in the blank session of such a request, which would store a session (and set a cookie)
 * on every hit. A request that came with a session cookie keeps its session untouched.
 */
export function discardBlankSession(req: Request): void {
  if (!/(?:^|;\s*)cadence\.sid=/.test(req.get('cookie') ?? '')) delete req.session.csrfToken;
}
