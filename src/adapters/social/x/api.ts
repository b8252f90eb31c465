import type { OAuthApp } from '../../../modules/publishing/ports.js';
import { trimSlash } from '../http.js';

export const X_AUTH_BASE = 'https://twitter.com';
export const X_API_BASE = 'https://api.x.com';
/** media.write lets the v2 media upload attach images. */
export const X_SCOPES = ['tweet.read', 'tweet.write', 'users.read', 'offline.access', 'media.write'];

export function authBase(app: OAuthApp): string {
  return trimSlash(app.authBaseUrl || X_AUTH_BASE);
}

export function apiBase(app: OAuthApp): string {
  return trimSlash(app.apiBaseUrl || X_API_BASE);
}

/** A confidential client authenticates to the token endpoint with HTTP Basic (client id : secret). */
export function basicAuth(app: OAuthApp): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString('base64')}` };
}

/**
 * A post as X returns it differs from what was sent: links become t.co links and &, <, > come back as entities.
 * Both sides are compared with links blanked, entities decoded and spaces collapsed.
 */
export function comparableText(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/https?:\/\/\S+/g, '<link>')
    .replace(/\s+/g, ' ')
    .trim();
}
