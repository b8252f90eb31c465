import type { Request } from 'express';

/** For the few HTML strings built outside Eta (error alerts answered to HTMX). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** An HTMX request that wants a fragment (a boosted one wants the whole page). */
export function wantsFragment(req: Request): boolean {
  return req.get('HX-Request') === 'true' && req.get('HX-Boosted') !== 'true';
}

// Paths whose segment is a bearer secret (reviewer links, invitations, calendar feeds, unsubscribe and opt-in links).
const SECRET_PATH = /^(\/(?:review|invitations|calendar\/feeds|u|c\/confirm|c))\/[^/?#]+/;

// Query parameters that carry a secret (provider webhooks authenticated by a token in their URL).
const SECRET_QUERY = /([?&]token=)[^&#]*/gi;

/** The URL as logs may keep it: secret path tokens and `token=` query values replaced. */
export function redactSecretPath(url: string): string {
  return url.replace(SECRET_PATH, '$1/[secret]').replace(SECRET_QUERY, '$1[secret]');
}
