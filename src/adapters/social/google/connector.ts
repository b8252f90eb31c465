import { PublishError, type AccountCredentials, type DiscoveredAccount, type OAuthApp, type OAuthConnector } from '../../../modules/publishing/ports.js';
import { callApi, credentialsFromTokenResponse, tokenRequest } from '../http.js';
import { authorizeEndpoint, GBP_SCOPE, googleHost, tokenEndpoint } from './api.js';

const MAX_RESULT_PAGES = 20;

/**
 * Google Business Profile: OAuth 2 authorisation code flow with PKCE (S256), offline access so a refresh token is
 * issued (`prompt=consent` makes Google issue it again on a reconnection). Access tokens last one hour: the engine
 * calls `refresh` before each use once `expiresAt` is near. Each business location the user manages is an account.
 */
export const googleBusinessConnector: OAuthConnector = {
  channel: 'google_business',

  authorizationUrl(app, { state, redirectUri, codeChallenge }) {
    const url = new URL(authorizeEndpoint(app));
    url.search = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: GBP_SCOPE,
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  },

  async connect(app, { code, redirectUri, codeVerifier }) {
    const body = await tokenRequest('google_business', tokenEndpoint(app), {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: app.clientId,
      client_secret: app.clientSecret,
      code_verifier: codeVerifier,
    });
    const credentials = credentialsFromTokenResponse(body, new Date());
    const scopes = (credentials.extra?.scope ?? GBP_SCOPE).split(' ').filter(Boolean);
    if (!scopes.includes(GBP_SCOPE)) throw new PublishError('permanent', 'permissionDenied', 'google_business: the business.manage scope was not granted');
    const found: DiscoveredAccount[] = [];
    for (const account of await listAccounts(app, credentials)) {
      for (const location of await listLocations(app, credentials, account.name)) {
        const locationId = location.name.replace(/^.*locations\//, '');
        found.push({
          externalAccountId: `${account.name}/locations/${locationId}`,
          accountType: 'location',
          displayName: String(location.title ?? location.name).slice(0, 255),
          avatarUrl: null,
          credentials,
          scopes,
        });
      }
    }
    return found;
  },

  async refresh(app, credentials) {
    if (!credentials.refreshToken) throw new PublishError('permanent', 'tokenExpired', 'google_business: no refresh token, the user must reconnect');
    const body = await tokenRequest('google_business', tokenEndpoint(app), {
      grant_type: 'refresh_token',
      refresh_token: credentials.refreshToken,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    });
    return credentialsFromTokenResponse(body, new Date(), credentials);
  },

  /**
   * Google has no client-credentials grant for user APIs. The probe redeems a refresh token that cannot exist:
   * Google authenticates the client first, so `invalid_grant` proves the client id and secret are accepted, while
   * `invalid_client`/`unauthorized_client` means they are not.
   */
  async testApp(app) {
    try {
      await callApi('google_business', {
        url: tokenEndpoint(app),
        form: { grant_type: 'refresh_token', refresh_token: 'cadence-connection-test', client_id: app.clientId, client_secret: app.clientSecret },
      });
      return { ok: false, message: 'Google accepted a dummy refresh token: unexpected answer.' };
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      if (err.kind === 'temporary') return { ok: false, message: `Google did not answer: ${err.message}` };
      if (/invalid_grant/.test(err.message)) return { ok: true, message: 'Google accepted the client id and secret.' };
      return { ok: false, message: `Google refused the client id or secret: ${err.message}` };
    }
  },
};

async function listAccounts(app: OAuthApp, credentials: AccountCredentials): Promise<{ name: string }[]> {
  const accounts: { name: string }[] = [];
  await eachPage(app, credentials, `${googleHost(app, 'accounts')}/v1/accounts`, {}, (body) => {
    for (const a of body?.accounts ?? []) if (typeof a?.name === 'string') accounts.push({ name: a.name });
  });
  return accounts;
}

async function listLocations(app: OAuthApp, credentials: AccountCredentials, account: string): Promise<{ name: string; title?: string }[]> {
  const locations: { name: string; title?: string }[] = [];
  await eachPage(app, credentials, `${googleHost(app, 'information')}/v1/${account}/locations`, { readMask: 'name,title', pageSize: '100' }, (body) => {
    for (const l of body?.locations ?? []) if (typeof l?.name === 'string') locations.push({ name: l.name, title: l.title });
  });
  return locations;
}

async function eachPage(app: OAuthApp, credentials: AccountCredentials, base: string, query: Record<string, string>, take: (body: any) => void): Promise<void> {
  let pageToken: string | undefined;
  for (let round = 0; round < MAX_RESULT_PAGES; round++) {
    const url = new URL(base);
    for (const [k, v] of Object.entries({ ...query, ...(pageToken ? { pageToken } : {}) })) url.searchParams.set(k, v);
    const { json } = await callApi('google_business', { url: url.toString(), headers: { authorization: `Bearer ${credentials.accessToken}` } });
    take(json);
    pageToken = typeof json?.nextPageToken === 'string' && json.nextPageToken ? json.nextPageToken : undefined;
    if (!pageToken) return;
  }
}
