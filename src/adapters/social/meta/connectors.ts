import { PublishError, type AccountCredentials, type DiscoveredAccount, type OAuthApp, type OAuthConnector, type SocialChannel } from '../../../modules/publishing/ports.js';
import { dialogUrl, graphCall } from './graph.js';

/**
 * Facebook Login for the two Meta channels. The user consents once; Cadence exchanges the code for a user token,
 * swaps it for a long-lived one (fb_exchange_token), then lists the Pages they manage (`/me/accounts`), each with
 * its own Page token. A Page token obtained from a long-lived user token has no expiry date: it stays valid until
 * the user revokes the app, changes password or loses their role on the Page (Graph error 190 → tokenRevoked,
 * the client reconnects). `refresh` therefore returns the credentials unchanged.
 * Instagram professional accounts are reached through the Page they are linked to, with that Page's token.
 * Facebook Login's code flow is authenticated by the app secret; PKCE is not sent (Meta documents it for its
 * OIDC/Limited Login flows only).
 */

export const FACEBOOK_SCOPES = ['pages_show_list', 'pages_read_engagement', 'pages_manage_posts', 'read_insights', 'business_management'];
export const INSTAGRAM_SCOPES = ['instagram_basic', 'instagram_content_publish', 'instagram_manage_insights', 'pages_show_list', 'pages_read_engagement', 'business_management'];

const PAGE_FIELDS = 'id,name,access_token,tasks,picture{url},instagram_business_account{id,username,name,profile_picture_url}';
const MAX_PAGES_OF_RESULTS = 10;

interface ManagedPage {
  id: string;
  name: string;
  accessToken: string;
  tasks: string[];
  pictureUrl: string | null;
  instagram: { id: string; username: string | null; name: string | null; profilePictureUrl: string | null } | null;
}

function metaConnector(channel: Extract<SocialChannel, 'facebook' | 'instagram'>, scopes: string[]): OAuthConnector {
  return {
    channel,

    authorizationUrl(app, { state, redirectUri }) {
      const url = new URL(dialogUrl(app));
      url.search = new URLSearchParams({ client_id: app.clientId, redirect_uri: redirectUri, state, response_type: 'code', scope: scopes.join(',') }).toString();
      return url.toString();
    },

    async connect(app, { code, redirectUri }) {
      const userToken = await exchangeCode(app, code, redirectUri);
      const granted = await grantedScopes(app, userToken);
      const pages = await managedPages(app, userToken);
      return channel === 'facebook' ? facebookAccounts(pages, granted) : instagramAccounts(pages, granted);
    },

    async refresh(_app, credentials) {
      return credentials;
    },

    async testApp(app) {
      try {
        await graphCall(app, { path: '/oauth/access_token', query: { client_id: app.clientId, client_secret: app.clientSecret, grant_type: 'client_credentials' } }, channel);
        return { ok: true, message: 'Meta accepted the app id and secret (app access token issued).' };
      } catch (err) {
        if (err instanceof PublishError && err.kind === 'temporary') return { ok: false, message: `Meta did not answer: ${err.message}` };
        return { ok: false, message: `Meta refused the app id or secret: ${(err as Error).message}` };
      }
    },
  };
}

export const facebookConnector = metaConnector('facebook', FACEBOOK_SCOPES);
export const instagramConnector = metaConnector('instagram', INSTAGRAM_SCOPES);

/** Code → short-lived user token → long-lived user token (about 60 days; the Page tokens derived from it do not expire). */
async function exchangeCode(app: OAuthApp, code: string, redirectUri: string): Promise<string> {
  const short = await tokenCall(app, { client_id: app.clientId, client_secret: app.clientSecret, redirect_uri: redirectUri, code });
  const long = await tokenCall(app, { grant_type: 'fb_exchange_token', client_id: app.clientId, client_secret: app.clientSecret, fb_exchange_token: short });
  return long;
}

async function tokenCall(app: OAuthApp, query: Record<string, string>): Promise<string> {
  try {
    const body = await graphCall(app, { path: '/oauth/access_token', query });
    if (typeof body?.access_token !== 'string') throw new PublishError('permanent', 'tokenRevoked', 'facebook: the token endpoint returned no access token');
    return body.access_token;
  } catch (err) {
    // A refused code or secret is not the content's fault: name it for the connect flow.
    if (err instanceof PublishError && err.kind === 'permanent' && !['tokenRevoked', 'tokenExpired', 'appRejected'].includes(err.code)) {
      throw new PublishError('permanent', 'tokenRevoked', err.message, err.options);
    }
    throw err;
  }
}

async function grantedScopes(app: OAuthApp, userToken: string): Promise<string[]> {
  const body = await graphCall(app, { path: '/me/permissions', accessToken: userToken });
  return (body?.data ?? []).filter((p: any) => p?.status === 'granted' && typeof p.permission === 'string').map((p: any) => p.permission as string);
}

async function managedPages(app: OAuthApp, userToken: string): Promise<ManagedPage[]> {
  const pages: ManagedPage[] = [];
  let after: string | undefined;
  for (let round = 0; round < MAX_PAGES_OF_RESULTS; round++) {
    const query: Record<string, string> = { fields: PAGE_FIELDS, limit: '100' };
    if (after) query.after = after;
    const body = await graphCall(app, { path: '/me/accounts', query, accessToken: userToken });
    for (const page of body?.data ?? []) {
      if (typeof page?.id !== 'string' || typeof page.access_token !== 'string') continue;
      const ig = page.instagram_business_account;
      pages.push({
        id: page.id,
        name: String(page.name ?? page.id),
        accessToken: page.access_token,
        tasks: Array.isArray(page.tasks) ? page.tasks : [],
        pictureUrl: typeof page.picture?.data?.url === 'string' ? page.picture.data.url : null,
        instagram:
          typeof ig?.id === 'string'
            ? { id: ig.id, username: ig.username ?? null, name: ig.name ?? null, profilePictureUrl: typeof ig.profile_picture_url === 'string' ? ig.profile_picture_url : null }
            : null,
      });
    }
    after = body?.paging?.next ? body?.paging?.cursors?.after : undefined;
    if (!after) break;
  }
  return pages;
}

function pageCredentials(page: ManagedPage): AccountCredentials {
  return { accessToken: page.accessToken, refreshToken: null, expiresAt: null, extra: { pageId: page.id } };
}

/** Pages the user may post on (the CREATE_CONTENT task; `tasks` is absent for some page roles, then kept). */
function facebookAccounts(pages: ManagedPage[], scopes: string[]): DiscoveredAccount[] {
  return pages
    .filter((page) => page.tasks.length === 0 || page.tasks.includes('CREATE_CONTENT'))
    .map((page) => ({ externalAccountId: page.id, accountType: 'page', displayName: page.name.slice(0, 255), avatarUrl: page.pictureUrl, credentials: pageCredentials(page), scopes }));
}

function instagramAccounts(pages: ManagedPage[], scopes: string[]): DiscoveredAccount[] {
  return pages
    .filter((page) => page.instagram)
    .map((page) => {
      const ig = page.instagram!;
      return {
        externalAccountId: ig.id,
        accountType: 'instagram_business',
        displayName: (ig.username ? `@${ig.username}` : (ig.name ?? page.name)).slice(0, 255),
        avatarUrl: ig.profilePictureUrl,
        credentials: pageCredentials(page),
        scopes,
      };
    });
}
