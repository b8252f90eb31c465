import type { OAuthApp } from '../../../modules/publishing/ports.js';
import { trimSlash } from '../http.js';

/**
 * Google Business Profile spans several hosts. With the platform app's `apiBaseUrl` override (the test emulator),
 * each host becomes a path prefix: `{apiBaseUrl}/{host}/…`.
 */
export const GOOGLE_AUTH_BASE = 'https://accounts.google.com';
export const GBP_SCOPE = 'https://www.googleapis.com/auth/business.manage';

const HOSTS = {
  token: 'oauth2.googleapis.com',
  accounts: 'mybusinessaccountmanagement.googleapis.com',
  information: 'mybusinessbusinessinformation.googleapis.com',
  posts: 'mybusiness.googleapis.com',
} as const;

export function googleHost(app: OAuthApp, host: keyof typeof HOSTS): string {
  return app.apiBaseUrl ? `${trimSlash(app.apiBaseUrl)}/${HOSTS[host]}` : `https://${HOSTS[host]}`;
}

export function authorizeEndpoint(app: OAuthApp): string {
  return `${trimSlash(app.authBaseUrl || GOOGLE_AUTH_BASE)}/o/oauth2/v2/auth`;
}

export function tokenEndpoint(app: OAuthApp): string {
  return `${googleHost(app, 'token')}/token`;
}
