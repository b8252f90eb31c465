import { PublishError, type OAuthConnector } from '../../../modules/publishing/ports.js';
import { callApi, credentialsFromTokenResponse, tokenRequest } from '../http.js';
import { probeTokenEndpoint } from '../linkedin/connector.js';
import { apiBase, authBase, basicAuth, X_SCOPES } from './api.js';

/** X's OAuth 2 authorisation code flow with PKCE (S256), as a confidential client; the account is the user itself. */
export const xConnector: OAuthConnector = {
  channel: 'x',

  authorizationUrl(app, { state, redirectUri, codeChallenge }) {
    const url = new URL(`${authBase(app)}/i/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: redirectUri,
      scope: X_SCOPES.join(' '),
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  },

  async connect(app, { code, redirectUri, codeVerifier }) {
    const body = await tokenRequest(
      'x',
      `${apiBase(app)}/2/oauth2/token`,
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier, client_id: app.clientId },
      basicAuth(app),
    );
    const credentials = credentialsFromTokenResponse(body, new Date());
    const me = (await callApi('x', { url: `${apiBase(app)}/2/users/me?user.fields=profile_image_url`, headers: { authorization: `Bearer ${credentials.accessToken}` } })).json?.data;
    if (!me || typeof me.id !== 'string') throw new PublishError('permanent', 'unexpected', 'x users/me returned no user');
    credentials.extra = { ...credentials.extra, username: String(me.username ?? '') };
    return [
      {
        externalAccountId: me.id,
        accountType: 'profile',
        displayName: (me.username ? `${me.name ?? me.username} (@${me.username})` : String(me.name ?? me.id)).slice(0, 255),
        avatarUrl: typeof me.profile_image_url === 'string' ? me.profile_image_url : null,
        credentials,
        scopes: (credentials.extra?.scope ?? '').split(/\s+/).filter(Boolean),
      },
    ];
  },

  async refresh(app, credentials) {
    if (!credentials.refreshToken) throw new PublishError('permanent', 'tokenExpired', 'x gave no refresh token (offline.access): the user must reconnect');
    // X rotates refresh tokens: the new one replaces the old, which stops working.
    const body = await tokenRequest('x', `${apiBase(app)}/2/oauth2/token`, { grant_type: 'refresh_token', refresh_token: credentials.refreshToken, client_id: app.clientId }, basicAuth(app));
    return credentialsFromTokenResponse(body, new Date(), credentials);
  },

  async testApp(app) {
    return probeTokenEndpoint(
      `${apiBase(app)}/2/oauth2/token`,
      { grant_type: 'authorization_code', code: 'cadence-connection-test', redirect_uri: 'https://invalid.example/cadence-test', code_verifier: 'cadence-connection-test-verifier-0000000000000', client_id: app.clientId },
      basicAuth(app),
    );
  },
};
