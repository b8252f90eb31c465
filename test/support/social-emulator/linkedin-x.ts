import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local emulator of the LinkedIn and X endpoints the adapters call, on 127.0.0.1 (random port). The platform app
 * points at it with `authBaseUrl`/`apiBaseUrl` = `<url>/linkedin` or `<url>/x`.
 * - LinkedIn: GET /oauth/v2/authorization (redirects back with a code), POST /oauth/v2/accessToken (client secret in
 *   the form; authorization_code and refresh_token grants), GET /v2/userinfo, GET /rest/organizationAcls,
 *   GET /rest/organizations/:id, POST /rest/images?action=initializeUpload + PUT /upload/:id, POST /rest/posts
 *   (201, id in x-restli-id), GET /rest/posts?q=author&author=… . /rest/* requires LinkedIn-Version and
 *   X-Restli-Protocol-Version: 2.0.0.
 * - X: GET /i/oauth2/authorize (PKCE S256 required), POST /2/oauth2/token (Basic client auth, code_verifier checked,
 *   refresh tokens rotated), GET /2/users/me, POST /2/media/upload (multipart), POST /2/tweets (403 on a duplicate
 *   text), GET /2/users/:id/tweets (links come back as t.co links, & < > as entities — as X does).
 * - Engagement: LinkedIn GET /rest/organizationalEntityShareStatistics (shares=List(…)/ugcPosts=List(…), URNs
 *   encoded as Rest.li 2.0 wants), GET /rest/socialActions/:urn, GET /rest/networkSizes/:urn; X GET /2/tweets?ids=…
 *   (public_metrics, non_public_metrics for the author only) and public_metrics on /2/users/me. Every read of a post's
 *   figures advances it by one tick, so totals grow between calls (`emulatedEngagement(tick)`).
 * Access tokens expire after `accessTokenTtlSeconds`; `revokeTokens` makes a network refuse every issued token
 * (401 on calls, invalid_grant on refresh); `fail` answers the next N matching calls with an error.
 */

export type Network = 'linkedin' | 'x';

export interface EmulatedPost {
  network: Network;
  id: string;
  author: string;
  text: string;
  media: string[];
  accessToken: string;
  createdAt: Date;
}

export interface Fault {
  network: Network;
  /** Substring of the path (after the network prefix), e.g. `/rest/posts` or `/2/tweets`. */
  path: string;
  method?: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  times?: number;
}

interface Token {
  network: Network;
  kind: 'access' | 'refresh';
  subject: string;
  scope: string;
  expiresAt: number;
  revoked: boolean;
}

interface Grant {
  network: Network;
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge: string | null;
  used: boolean;
}

/** A post's totals after its `tick`-th read (every figure grows with each read). */
export function emulatedEngagement(tick: number) {
  return { impressions: 100 * tick, reach: 60 * tick, likes: 10 * tick, comments: 3 * tick, shares: 2 * tick, quotes: tick, bookmarks: tick, clicks: 5 * tick };
}

/** An account's followers after its `tick`-th read. */
export function emulatedFollowers(tick: number): number {
  return 1000 + 10 * tick;
}

export const EMULATED_LINKEDIN_MEMBER = { sub: 'li-member-7Hq2', name: 'Claire Martin', picture: 'https://media.licdn.example/claire.jpg' };
export const EMULATED_X_USER = { id: '1587000000000000001', name: 'Boulangerie Martin', username: 'boulangerie_m' };

export class SocialEmulator {
  readonly clients: Record<Network, { clientId: string; clientSecret: string }> = {
    linkedin: { clientId: '86li-client-id', clientSecret: 'li-client-secret-Ux9' },
    x: { clientId: 'x-client-id-Q2hY', clientSecret: 'x-client-secret-Zk4' },
  };
  readonly posts: EmulatedPost[] = [];
  readonly calls: { network: Network; method: string; path: string; status: number }[] = [];
  readonly uploads = new Map<string, { network: Network; bytes: number; contentType: string }>();
  /** Organisations the LinkedIn member administers (offered at connection when non-empty). */
  linkedinOrganizations: { id: string; name: string }[] = [];
  accessTokenTtlSeconds = 3600;
  /** The next authorisation is refused by the user (error=access_denied / user_cancelled_authorize). */
  denyNextAuthorization = false;
  private readonly tokens = new Map<string, Token>();
  private readonly grants = new Map<string, Grant>();
  /** How many times each post's (or account's) figures were read: its current tick. */
  readonly metricTicks = new Map<string, number>();
  private faults: (Fault & { left: number })[] = [];
  private server: http.Server | undefined;
  private counter = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(err) }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** What the super admin stores in platform_connectors for this network to use the emulator. */
  connector(network: Network): { settings: Record<string, string>; secrets: { clientSecret: string } } {
    const base = `${this.url}/${network}`;
    return { settings: { clientId: this.clients[network].clientId, apiBaseUrl: base, authBaseUrl: base }, secrets: { clientSecret: this.clients[network].clientSecret } };
  }

  fail(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** A post as if published earlier by the account (for metrics without going through the publisher). */
  seedPost(network: Network, author: string, text: string): EmulatedPost {
    const id = network === 'linkedin' ? `urn:li:share:${7_300_000_000_000_000_000n + BigInt((this.counter += 1))}` : String(1_860_000_000_000_000_000n + BigInt((this.counter += 1)));
    const post: EmulatedPost = { network, id, author, text, media: [], accessToken: '', createdAt: new Date() };
    this.posts.push(post);
    return post;
  }

  private tick(key: string): number {
    const next = (this.metricTicks.get(key) ?? 0) + 1;
    this.metricTicks.set(key, next);
    return next;
  }

  revokeTokens(network: Network): void {
    for (const token of this.tokens.values()) if (token.network === network) token.revoked = true;
  }

  postsOf(network: Network): EmulatedPost[] {
    return this.posts.filter((p) => p.network === network);
  }

  reset(): void {
    this.posts.length = 0;
    this.calls.length = 0;
    this.faults = [];
    this.metricTicks.clear();
    this.linkedinOrganizations = [];
    this.accessTokenTtlSeconds = 3600;
    this.denyNextAuthorization = false;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const [, network, ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const body = await readBody(req);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ network: network as Network, method: req.method ?? 'GET', path, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (network !== 'linkedin' && network !== 'x') return send(404, { message: 'unknown network' });
    const fault = this.faults.find((f) => f.network === network && path.includes(f.path) && (!f.method || f.method === req.method) && f.left > 0);
    if (fault) {
      fault.left -= 1;
      return send(fault.status, fault.body ?? { message: `emulated ${fault.status}` }, fault.headers);
    }
    const ctx: Ctx = { req, url, path, body, send, redirect: (location) => {
      this.calls.push({ network: network as Network, method: req.method ?? 'GET', path, status: 302 });
      res.writeHead(302, { location }).end();
    } };
    return network === 'linkedin' ? this.linkedin(ctx) : this.x(ctx);
  }

  // ---- LinkedIn ----

  private linkedin(c: Ctx): void {
    const { req, url, path, send } = c;
    if (req.method === 'GET' && path === '/oauth/v2/authorization') return this.authorize(c, 'linkedin');
    if (req.method === 'POST' && path === '/oauth/v2/accessToken') {
      const form = new URLSearchParams(c.body.toString('utf8'));
      if (form.get('client_id') !== this.clients.linkedin.clientId || form.get('client_secret') !== this.clients.linkedin.clientSecret) {
        return send(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
      }
      return this.tokenGrant(c, 'linkedin', form);
    }
    if (req.method === 'PUT' && path.startsWith('/upload/')) {
      const id = decodeURIComponent(path.slice('/upload/'.length));
      const upload = this.uploads.get(id);
      if (!upload || !this.bearer(c, 'linkedin')) return send(upload ? 401 : 404, { message: 'no such upload' });
      upload.bytes = c.body.length;
      upload.contentType = String(req.headers['content-type'] ?? '');
      return send(201, undefined);
    }
    const token = this.bearer(c, 'linkedin');
    if (!token) return;
    if (req.method === 'GET' && path === '/v2/userinfo') return send(200, { ...EMULATED_LINKEDIN_MEMBER, email_verified: true, locale: { country: 'FR', language: 'fr' } });
    if (!path.startsWith('/rest/')) return send(404, { message: 'not found' });
    if (!/^\d{6}$/.test(String(req.headers['linkedin-version'] ?? '')) || req.headers['x-restli-protocol-version'] !== '2.0.0') {
      return send(400, { status: 400, code: 'VERSION_MISSING', message: 'A version must be present; X-Restli-Protocol-Version 2.0.0 is required' });
    }
    const memberUrn = `urn:li:person:${token.subject}`;
    const mayAuthor = (urn: string) => urn === memberUrn || this.linkedinOrganizations.some((o) => `urn:li:organization:${o.id}` === urn);
    if (req.method === 'GET' && path === '/rest/organizationAcls') {
      return send(200, { elements: this.linkedinOrganizations.map((o) => ({ organization: `urn:li:organization:${o.id}`, role: 'ADMINISTRATOR', state: 'APPROVED', roleAssignee: memberUrn })) });
    }
    if (req.method === 'GET' && path.startsWith('/rest/organizations/')) {
      const org = this.linkedinOrganizations.find((o) => o.id === decodeURIComponent(path.split('/').pop()!));
      return org ? send(200, { id: Number(org.id), localizedName: org.name }) : send(404, { status: 404, message: 'Not found' });
    }
    if (req.method === 'POST' && path === '/rest/images' && url.searchParams.get('action') === 'initializeUpload') {
      const owner = json(c.body)?.initializeUploadRequest?.owner;
      if (typeof owner !== 'string' || !mayAuthor(owner)) return send(403, { status: 403, message: 'Not enough permissions to upload as this owner' });
      const image = `urn:li:image:C4E${(this.counter += 1)}`;
      this.uploads.set(image, { network: 'linkedin', bytes: 0, contentType: '' });
      return send(200, { value: { uploadUrlExpiresAt: Date.now() + 3600_000, uploadUrl: `${this.url}/linkedin/upload/${encodeURIComponent(image)}`, image } });
    }
    if (req.method === 'POST' && path === '/rest/posts') {
      const post = json(c.body);
      if (!post || typeof post.commentary !== 'string' || typeof post.author !== 'string' || post.lifecycleState !== 'PUBLISHED' || !post.distribution) {
        return send(422, { status: 422, message: 'Field Value validation failed in REQUEST_BODY' });
      }
      if (!mayAuthor(post.author)) return send(403, { status: 403, message: `Not enough permissions to post as ${post.author}` });
      const media: string[] = post.content?.media ? [post.content.media.id] : (post.content?.multiImage?.images ?? []).map((i: any) => i.id);
      if (media.some((id) => !this.uploads.get(id)?.bytes)) return send(400, { status: 400, message: 'Image not uploaded' });
      const id = `urn:li:share:${7_300_000_000_000_000_000n + BigInt((this.counter += 1))}`;
      this.posts.push({ network: 'linkedin', id, author: post.author, text: post.commentary, media, accessToken: c.accessToken!, createdAt: new Date() });
      return send(201, undefined, { 'x-restli-id': id });
    }
    if (req.method === 'GET' && path === '/rest/organizationalEntityShareStatistics' && url.searchParams.get('q') === 'organizationalEntity') {
      const organization = url.searchParams.get('organizationalEntity') ?? '';
      if (!organization.startsWith('urn:li:organization:') || !mayAuthor(organization)) return send(403, { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED', message: 'Not enough permissions to access: organizationalEntityShareStatistics' });
      if (/List\(urn:/.test(url.search)) return send(400, { status: 400, code: 'ILLEGAL_ARGUMENT', message: 'URNs in a List must be URL-encoded (Rest.li 2.0)' });
      const listed = ['shares', 'ugcPosts'].flatMap((k) => /^List\((.*)\)$/.exec(url.searchParams.get(k) ?? '')?.[1]?.split(',').filter(Boolean) ?? []);
      const elements = listed
        .map((urn) => this.posts.find((p) => p.network === 'linkedin' && p.id === urn))
        .filter((p): p is EmulatedPost => !!p && p.author === organization)
        .map((p) => {
          const e = emulatedEngagement(this.tick(p.id));
          return {
            organizationalEntity: organization,
            [p.id.startsWith('urn:li:share:') ? 'share' : 'ugcPost']: p.id,
            totalShareStatistics: { impressionCount: e.impressions, uniqueImpressionsCount: e.reach, likeCount: e.likes, commentCount: e.comments, shareCount: e.shares, clickCount: e.clicks, engagement: 0.05 },
          };
        });
      return send(200, { paging: { start: 0, count: 10, links: [] }, elements });
    }
    if (req.method === 'GET' && path.startsWith('/rest/socialActions/')) {
      const post = this.posts.find((p) => p.network === 'linkedin' && p.id === decodeURIComponent(path.slice('/rest/socialActions/'.length)));
      if (!post) return send(404, { status: 404, message: 'Not found' });
      if (!mayAuthor(post.author)) return send(403, { status: 403, message: 'Not enough permissions' });
      const e = emulatedEngagement(this.tick(post.id));
      return send(200, { target: post.id, likesSummary: { totalLikes: e.likes, aggregatedTotalLikes: e.likes, likedByCurrentUser: false }, commentsSummary: { totalFirstLevelComments: e.comments, aggregatedTotalComments: e.comments } });
    }
    if (req.method === 'GET' && path.startsWith('/rest/networkSizes/')) {
      const urn = decodeURIComponent(path.slice('/rest/networkSizes/'.length));
      if (url.searchParams.get('edgeType') !== 'COMPANY_FOLLOWED_BY_MEMBER') return send(400, { status: 400, message: 'edgeType is required' });
      if (!urn.startsWith('urn:li:organization:') || !mayAuthor(urn)) return send(403, { status: 403, message: 'Not enough permissions' });
      return send(200, { firstDegreeSize: emulatedFollowers(this.tick(urn)) });
    }
    if (req.method === 'GET' && path === '/rest/posts' && url.searchParams.get('q') === 'author') {
      const author = url.searchParams.get('author');
      if (!author || !mayAuthor(author)) return send(403, { status: 403, message: 'Not enough permissions' });
      const count = Number(url.searchParams.get('count') ?? 10);
      const elements = this.posts
        .filter((p) => p.network === 'linkedin' && p.author === author)
        .reverse()
        .slice(0, count)
        .map((p) => ({ id: p.id, author: p.author, commentary: p.text, createdAt: p.createdAt.getTime(), publishedAt: p.createdAt.getTime(), lifecycleState: 'PUBLISHED', visibility: 'PUBLIC' }));
      return send(200, { paging: { start: 0, count, links: [] }, elements });
    }
    return send(404, { status: 404, message: 'Not found' });
  }

  // ---- X ----

  private x(c: Ctx): void {
    const { req, url, path, send } = c;
    if (req.method === 'GET' && path === '/i/oauth2/authorize') return this.authorize(c, 'x');
    if (req.method === 'POST' && path === '/2/oauth2/token') {
      const expected = `Basic ${Buffer.from(`${this.clients.x.clientId}:${this.clients.x.clientSecret}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return send(401, { error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
      return this.tokenGrant(c, 'x', new URLSearchParams(c.body.toString('utf8')));
    }
    const token = this.bearer(c, 'x');
    if (!token) return;
    if (req.method === 'GET' && path === '/2/users/me') {
      const metrics = (url.searchParams.get('user.fields') ?? '').split(',').includes('public_metrics')
        ? { public_metrics: { followers_count: emulatedFollowers(this.tick(`x-user:${token.subject}`)), following_count: 42, tweet_count: this.postsOf('x').length, listed_count: 1 } }
        : {};
      return send(200, { data: { ...EMULATED_X_USER, profile_image_url: 'https://pbs.twimg.example/bm.jpg', ...metrics } });
    }
    if (req.method === 'GET' && path === '/2/tweets') {
      const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
      if (!ids.length || ids.length > 100) return send(400, { title: 'Invalid Request', detail: 'ids: between 1 and 100 ids' });
      const fields = (url.searchParams.get('tweet.fields') ?? '').split(',');
      const data: unknown[] = [];
      const errors: unknown[] = [];
      for (const id of ids) {
        const post = this.posts.find((p) => p.network === 'x' && p.id === id);
        if (!post) {
          errors.push({ value: id, detail: `Could not find tweet with ids: [${id}].`, title: 'Not Found Error', resource_type: 'tweet', parameter: 'ids', type: 'https://api.twitter.com/2/problems/resource-not-found' });
          continue;
        }
        if (fields.includes('non_public_metrics') && post.author !== token.subject) {
          return send(403, { title: 'Forbidden', detail: 'Sorry, you are not authorized to access non_public_metrics on this Tweet.', status: 403 });
        }
        const e = emulatedEngagement(this.tick(post.id));
        data.push({
          id: post.id,
          text: asXReturnsIt(post.text),
          edit_history_tweet_ids: [post.id],
          ...(fields.includes('public_metrics') ? { public_metrics: { retweet_count: e.shares, reply_count: e.comments, like_count: e.likes, quote_count: e.quotes, bookmark_count: e.bookmarks, impression_count: e.impressions } } : {}),
          ...(fields.includes('non_public_metrics') ? { non_public_metrics: { impression_count: e.impressions, url_link_clicks: e.clicks, user_profile_clicks: 1 } } : {}),
        });
      }
      return send(200, { ...(data.length ? { data } : {}), ...(errors.length ? { errors } : {}) });
    }
    if (req.method === 'POST' && path === '/2/media/upload') {
      const raw = c.body.toString('latin1');
      if (!String(req.headers['content-type']).startsWith('multipart/form-data') || !raw.includes('name="media"')) return send(400, { title: 'Invalid Request', detail: 'media is required' });
      const id = String(1_900_000_000_000_000_000n + BigInt((this.counter += 1)));
      this.uploads.set(id, { network: 'x', bytes: c.body.length, contentType: 'multipart' });
      return send(200, { data: { id, media_key: `3_${id}`, size: c.body.length, processing_info: null } });
    }
    if (req.method === 'POST' && path === '/2/tweets') {
      const tweet = json(c.body);
      if (!tweet || typeof tweet.text !== 'string' || !tweet.text.trim()) return send(400, { title: 'Invalid Request', detail: 'text is required' });
      const media: string[] = tweet.media?.media_ids ?? [];
      if (media.some((id) => !this.uploads.has(id))) return send(400, { title: 'Invalid Request', detail: 'Your media IDs are invalid.' });
      if (this.posts.some((p) => p.network === 'x' && p.author === token.subject && p.text === tweet.text)) {
        return send(403, { title: 'Forbidden', detail: 'You are not allowed to create a Tweet with duplicate content.', status: 403 });
      }
      const id = String(1_860_000_000_000_000_000n + BigInt((this.counter += 1)));
      this.posts.push({ network: 'x', id, author: token.subject, text: tweet.text, media, accessToken: c.accessToken!, createdAt: new Date() });
      return send(201, { data: { id, text: tweet.text, edit_history_tweet_ids: [id] } });
    }
    const timeline = /^\/2\/users\/([^/]+)\/tweets$/.exec(path);
    if (req.method === 'GET' && timeline) {
      const since = url.searchParams.get('start_time') ? Date.parse(url.searchParams.get('start_time')!) : 0;
      const data = this.posts
        .filter((p) => p.network === 'x' && p.author === decodeURIComponent(timeline[1]!) && p.createdAt.getTime() >= since)
        .reverse()
        .slice(0, Number(url.searchParams.get('max_results') ?? 10))
        .map((p) => ({ id: p.id, created_at: p.createdAt.toISOString(), text: asXReturnsIt(p.text) }));
      return send(200, data.length ? { data, meta: { result_count: data.length } } : { meta: { result_count: 0 } });
    }
    return send(404, { title: 'Not Found Error', detail: `no route ${path}` });
  }

  // ---- OAuth ----

  private authorize(c: Ctx, network: Network): void {
    const q = c.url.searchParams;
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== this.clients[network].clientId || !redirectUri || q.get('response_type') !== 'code' || !q.get('scope') || !q.get('state')) {
      return c.send(400, { error: 'invalid_request' });
    }
    if (network === 'x' && (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge'))) return c.send(400, { error: 'invalid_request', error_description: 'PKCE S256 required' });
    const back = new URL(redirectUri);
    back.searchParams.set('state', q.get('state')!);
    if (this.denyNextAuthorization) {
      this.denyNextAuthorization = false;
      back.searchParams.set('error', network === 'linkedin' ? 'user_cancelled_authorize' : 'access_denied');
      back.searchParams.set('error_description', 'The user cancelled the authorization');
      return c.redirect(back.toString());
    }
    const code = crypto.randomBytes(16).toString('base64url');
    this.grants.set(code, { network, clientId: q.get('client_id')!, redirectUri, scope: q.get('scope')!, challenge: q.get('code_challenge'), used: false });
    back.searchParams.set('code', code);
    c.redirect(back.toString());
  }

  private tokenGrant(c: Ctx, network: Network, form: URLSearchParams): void {
    if (form.get('grant_type') === 'authorization_code') {
      const grant = this.grants.get(form.get('code') ?? '');
      if (!grant || grant.used || grant.network !== network || grant.redirectUri !== form.get('redirect_uri')) return c.send(400, { error: 'invalid_grant', error_description: 'authorization code invalid' });
      if (network === 'x') {
        const verifier = form.get('code_verifier') ?? '';
        if (crypto.createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return c.send(400, { error: 'invalid_grant', error_description: 'code_verifier mismatch' });
      }
      grant.used = true;
      const scope = network === 'linkedin' ? grant.scope.split(' ').filter((s) => s !== 'r_organization_admin' || this.linkedinOrganizations.length).join(',') : grant.scope;
      return c.send(200, this.issue(network, network === 'linkedin' ? EMULATED_LINKEDIN_MEMBER.sub : EMULATED_X_USER.id, scope));
    }
    if (form.get('grant_type') === 'refresh_token') {
      const refresh = this.tokens.get(form.get('refresh_token') ?? '');
      if (!refresh || refresh.kind !== 'refresh' || refresh.network !== network || refresh.revoked || refresh.expiresAt < Date.now()) {
        return c.send(400, { error: 'invalid_grant', error_description: 'Value passed for the token was invalid.' });
      }
      if (network === 'x') refresh.revoked = true; // X rotates refresh tokens
      return c.send(200, this.issue(network, refresh.subject, refresh.scope));
    }
    c.send(400, { error: 'unsupported_grant_type' });
  }

  private issue(network: Network, subject: string, scope: string) {
    const access = `${network}-at-${crypto.randomBytes(12).toString('base64url')}`;
    const refresh = `${network}-rt-${crypto.randomBytes(12).toString('base64url')}`;
    const now = Date.now();
    this.tokens.set(access, { network, kind: 'access', subject, scope, expiresAt: now + this.accessTokenTtlSeconds * 1000, revoked: false });
    this.tokens.set(refresh, { network, kind: 'refresh', subject, scope, expiresAt: now + 365 * 86400_000, revoked: false });
    return network === 'linkedin'
      ? { access_token: access, expires_in: this.accessTokenTtlSeconds, refresh_token: refresh, refresh_token_expires_in: 365 * 86400, scope }
      : { token_type: 'bearer', access_token: access, expires_in: this.accessTokenTtlSeconds, refresh_token: refresh, scope };
  }

  /** The valid access token of the call, or answers 401 (as each network does) and returns null. */
  private bearer(c: Ctx, network: Network): Token | null {
    const raw = /^Bearer (.+)$/.exec(String(c.req.headers.authorization ?? ''))?.[1] ?? '';
    const token = this.tokens.get(raw);
    const problem = !token || token.kind !== 'access' || token.network !== network ? 'invalid' : token.revoked ? 'revoked' : token.expiresAt < Date.now() ? 'expired' : null;
    if (!problem) {
      c.accessToken = raw;
      return token!;
    }
    if (network === 'linkedin') {
      const message = problem === 'expired' ? 'The token used in the request has expired' : problem === 'revoked' ? 'The token used in the request has been revoked by the user' : 'Invalid access token';
      c.send(401, { status: 401, serviceErrorCode: problem === 'expired' ? 65601 : 65600, code: problem === 'expired' ? 'EXPIRED_ACCESS_TOKEN' : 'REVOKED_ACCESS_TOKEN', message });
    } else {
      c.send(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
    }
    return null;
  }
}

interface Ctx {
  req: http.IncomingMessage;
  url: URL;
  path: string;
  body: Buffer;
  accessToken?: string;
  send(status: number, payload: unknown, headers?: Record<string, string>): void;
  redirect(location: string): void;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(body: Buffer): any {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}

/** X shortens every link to t.co and HTML-escapes &, < and > in the text it returns. */
function asXReturnsIt(text: string): string {
  let n = 0;
  return text
    .replace(/https?:\/\/\S+/g, () => `https://t.co/Ab${(n += 1)}Xy`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export async function startSocialEmulator(): Promise<SocialEmulator> {
  return new SocialEmulator().start();
}
