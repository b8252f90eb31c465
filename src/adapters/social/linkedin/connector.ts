import { PublishError, type AccountCredentials, type DiscoveredAccount, type OAuthApp, type OAuthConnector } from '../../../modules/publishing/ports.js';
import { callApi, credentialsFromTokenResponse, tokenRequest } from '../http.js';
import { apiBase, authBase, LINKEDIN_SCOPES, restHeaders } from './api.js';

/**
 * LinkedIn's OAuth 2 authorisation code flow (3-legged; LinkedIn's classic flow takes no PKCE, the client secret
 * authenticates the exchange). Discovers the member's profile (OpenID userinfo) and the organisations they
 * administer (organizationAcls), each an account to publish as.
 */
export const linkedinConnector: OAuthConnector = {
  channel: 'linkedin',

  authorizationUrl(app, { state, redirectUri }) {
    const url = new URL(`${authBase(app)}/oauth/v2/authorization`);
    url.search = new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: redirectUri, state, scope: LINKEDIN_SCOPES.join(' ') }).toString();
    return url.toString();
  },

  async connect(app, { code, redirectUri }) {
    const body = await tokenRequest('linkedin', `${authBase(app)}/oauth/v2/accessToken`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    });
    const credentials = credentialsFromTokenResponse(body, new Date());
    const scopes = (credentials.extra?.scope ?? '').split(/[ ,]+/).filter(Boolean);
    const headers = { authorization: `Bearer ${credentials.accessToken}` };
    const me = (await callApi('linkedin', { url: `${apiBase(app)}/v2/userinfo`, headers })).json ?? {};
    if (typeof me.sub !== 'string') throw new PublishError('permanent', 'unexpected', 'linkedin userinfo returned no member id');
    const accounts: DiscoveredAccount[] = [
      {
        externalAccountId: `urn:li:person:${me.sub}`,
        accountType: 'profile',
        displayName: String(me.name ?? [me.given_name, me.family_name].filter(Boolean).join(' ') ?? me.sub).slice(0, 255) || me.sub,
        avatarUrl: typeof me.picture === 'string' ? me.picture : null,
        credentials,
        scopes,
      },
    ];
    if (scopes.some((s) => s === 'r_organization_admin' || s === 'rw_organization_admin')) {
      accounts.push(...(await organizations(app, credentials, scopes)));
    }
    return accounts;
  },

  async refresh(app, credentials) {
    // Programmatic refresh tokens are granted to some apps only; without one the member must reconnect (60-day token).
    if (!credentials.refreshToken) throw new PublishError('permanent', 'tokenExpired', 'linkedin gave no refresh token: the member must reconnect');
    const body = await tokenRequest('linkedin', `${authBase(app)}/oauth/v2/accessToken`, {
      grant_type: 'refresh_token',
      refresh_token: credentials.refreshToken,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    });
    return credentialsFromTokenResponse(body, new Date(), credentials);
  },

  async testApp(app) {
    return probeTokenEndpoint(`${authBase(app)}/oauth/v2/accessToken`, {
      grant_type: 'authorization_code',
      code: 'cadence-connection-test',
      redirect_uri: 'https://invalid.example/cadence-test',
      client_id: app.clientId,
      client_secret: app.clientSecret,
    });
  },
};

async function organizations(app: OAuthApp, credentials: AccountCredentials, scopes: string[]): Promise<DiscoveredAccount[]> {
  const headers = restHeaders(credentials.accessToken);
  const acls = await callApi('linkedin', { url: `${apiBase(app)}/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED`, headers });
  const urns: string[] = (acls.json?.elements ?? []).map((e: any) => e.organization ?? e.organizationTarget).filter((u: unknown) => typeof u === 'string');
  const found: DiscoveredAccount[] = [];
  for (const urn of [...new Set(urns)]) {
    const id = urn.split(':').pop()!;
    const org = (await callApi('linkedin', { url: `${apiBase(app)}/rest/organizations/${encodeURIComponent(id)}`, headers })).json ?? {};
    found.push({ externalAccountId: urn, accountType: 'organization', displayName: String(org.localizedName ?? urn).slice(0, 255), avatarUrl: null, credentials, scopes });
  }
  return found;
}

/**
 * Proves the client id and secret without a user: a made-up code is refused as a bad grant when the client is
 * accepted, and as `invalid_client` (or 401) when it is not.
 */
export async function probeTokenEndpoint(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ ok: boolean; message: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    const body: any = await response.json().catch(() => ({}));
    const error = typeof body?.error === 'string' ? body.error : '';
    if (response.status === 401 || error === 'invalid_client' || error === 'unauthorized_client') {
      return { ok: false, message: `client rejected (${response.status} ${error})`.trim() };
    }
    if (response.status >= 500) return { ok: false, message: `token endpoint unavailable (${response.status})` };
    return { ok: true, message: `client accepted (${response.status} ${error || 'ok'})` };
  } catch (err) {
    return { ok: false, message: `token endpoint unreachable: ${(err as Error).message}` };
  }
}
