import type { OAuthApp } from '../../../modules/publishing/ports.js';
import { trimSlash } from '../http.js';

/** LinkedIn's hosts (overridable by the platform app for the emulator) and the versioned REST API's headers. */
export const LINKEDIN_AUTH_BASE = 'https://www.linkedin.com';
export const LINKEDIN_API_BASE = 'https://api.linkedin.com';
/** Monthly API version (YYYYMM); LinkedIn supports each for about a year, so this needs a bump once a year. */
export const LINKEDIN_VERSION = '202609';
export const LINKEDIN_SCOPES = ['openid', 'profile', 'w_member_social', 'w_organization_social', 'r_organization_admin'];

export function authBase(app: OAuthApp): string {
  return trimSlash(app.authBaseUrl || LINKEDIN_AUTH_BASE);
}

export function apiBase(app: OAuthApp): string {
  return trimSlash(app.apiBaseUrl || LINKEDIN_API_BASE);
}

export function restHeaders(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}`, 'LinkedIn-Version': LINKEDIN_VERSION, 'X-Restli-Protocol-Version': '2.0.0' };
}

/**
 * The Posts API reads `commentary` as "little text": these characters are markup and must be backslash-escaped or
 * the post is cut or refused. (Hashtags and mentions therefore go out as plain text.)
 */
export function littleText(text: string): string {
  return text.replace(/[\\|{}@[\]()<>#*_~]/g, (c) => `\\${c}`);
}
