import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local emulator of the Meta Graph API (Facebook Pages, Instagram professional accounts) and Google Business
 * Profile endpoints the adapters call, on 127.0.0.1 (random port):
 * - `/facebook/v23.0/dialog/oauth` and `/google-accounts/o/oauth2/v2/auth`: consent granted at once, 302 back to
 *   redirect_uri with code and state (the code remembers Google's PKCE challenge).
 * - `/graph/v23.0/…`: oauth/access_token (code, fb_exchange_token, client_credentials), me/permissions, me/accounts,
 *   {page}/feed, {page}/photos (multipart), {page}/posts, {ig}/media (containers and listing), {ig}/media_publish,
 *   {container}?fields=status_code, {media}?fields=permalink. Errors in Graph's `{ error: { code, … } }` shape
 *   (190 for a bad token); appsecret_proof is checked when sent.
 * - `/google/{host}/…`: oauth2.googleapis.com/token (authorization_code with code_verifier, refresh_token),
 *   account management v1 accounts, business information v1 locations, v4 localPosts (create, list), v4 reviews
 *   (list, paginated by `pageSize` ≤ 50 and `pageToken`; `PUT …/reviews/{id}/reply`).
 * - Engagement: Graph {post}?fields=shares,comments.summary,reactions.summary,insights.metric(…), {page}?fields=
 *   followers_count, {media}?fields=like_count,comments_count, {media}/insights, {ig}?fields=followers_count,
 *   {ig}/insights; Google v4 localPosts:reportInsights. Every read of a post's figures advances it by one tick, so
 *   totals grow between calls (`metaEngagement(tick)`).
 * Records every post; injects faults for the next N matching calls; expires Google access tokens on demand.
 */

export const META_APP_ID = '900000000000001';
export const META_APP_SECRET = 'meta-test-app-secret';
export const GOOGLE_CLIENT_ID = 'cadence-test.apps.googleusercontent.com';
export const GOOGLE_CLIENT_SECRET = 'google-test-client-secret';

export const PAGES = [
  { id: '1001', name: 'Boulangerie Martin', instagram: { id: '17841400000000001', username: 'boulangerie.martin' } },
  { id: '1002', name: 'Vélo Atelier Nantes', instagram: null },
] as const;
export const GBP_ACCOUNT = 'accounts/555';
export const GBP_LOCATIONS = [
  { name: 'locations/9001', title: 'Boulangerie Martin — Centre' },
  { name: 'locations/9002', title: 'Boulangerie Martin — Gare' },
];

export type EmulatedApi = 'graph' | 'google';

/** A post's totals after its `tick`-th read. */
export function metaEngagement(tick: number) {
  return { views: 200 * tick, reach: 120 * tick, reactions: 20 * tick, comments: 4 * tick, shares: 3 * tick, clicks: 7 * tick, saved: 2 * tick };
}

export function metaFollowers(tick: number): number {
  return 500 + 5 * tick;
}

export interface EmulatorFault {
  api: EmulatedApi;
  status: 400 | 401 | 429 | 500;
  /** Graph error code in the body (default: 190 for 401, 4 for 429, 100 for 400, 2 for 500). */
  graphCode?: number;
  /** Only calls whose path contains this. */
  path?: string;
  times?: number;
}

export interface FacebookPost {
  id: string;
  pageId: string;
  message: string;
  link: string | null;
  photos: { id: string; bytes: number; mimeType: string; filename: string }[];
  createdTime: Date;
}

export interface InstagramMedia {
  id: string;
  igUserId: string;
  caption: string;
  imageUrls: string[];
  timestamp: Date;
}

/** A review of a location, as `accounts.locations.reviews` returns it (seeded by the test). */
export interface EmulatedReview {
  reviewId: string;
  location: string;
  reviewer: { displayName: string; isAnonymous?: boolean };
  starRating: 'ONE' | 'TWO' | 'THREE' | 'FOUR' | 'FIVE';
  comment?: string;
  createTime: string;
  updateTime: string;
  reviewReply?: { comment: string; updateTime: string };
}

export interface LocalPost {
  name: string;
  location: string;
  summary: string;
  body: any;
  createTime: Date;
}

interface Token {
  api: EmulatedApi;
  kind: 'user' | 'page' | 'google';
  pageId?: string;
  expiresAt: number | null;
  revoked: boolean;
}

export class MetaGoogleEmulator {
  readonly facebookPosts: FacebookPost[] = [];
  readonly instagramMedia: InstagramMedia[] = [];
  readonly localPosts: LocalPost[] = [];
  readonly reviews: EmulatedReview[] = [];
  readonly calls: { api: EmulatedApi; method: string; path: string; status: number }[] = [];
  /** How many times each post's (or account's) figures were read: its current tick. */
  readonly metricTicks = new Map<string, number>();
  private tokens = new Map<string, Token>();
  private codes = new Map<string, { api: EmulatedApi; redirectUri: string; codeChallenge?: string }>();
  private refreshTokens = new Set<string>();
  private containers = new Map<string, { igUserId: string; caption: string; imageUrls: string[]; children?: string[]; published: boolean }>();
  private photos = new Map<string, FacebookPost['photos'][number] & { pageId: string; published: boolean }>();
  private faults: (EmulatorFault & { left: number })[] = [];
  private server: http.Server | undefined;
  private counter = 1000;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => json(res, 500, { error: { message: String(err), code: 2 } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get baseUrl(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** `OAuthApp` values for each network. */
  metaApp(overrides: { clientSecret?: string; clientId?: string } = {}) {
    return { clientId: META_APP_ID, clientSecret: META_APP_SECRET, apiBaseUrl: `${this.baseUrl}/graph`, authBaseUrl: `${this.baseUrl}/facebook`, ...overrides };
  }

  googleApp(overrides: { clientSecret?: string; clientId?: string } = {}) {
    return { clientId: GOOGLE_CLIENT_ID, clientSecret: GOOGLE_CLIENT_SECRET, apiBaseUrl: `${this.baseUrl}/google`, authBaseUrl: `${this.baseUrl}/google-accounts`, ...overrides };
  }

  reset(): void {
    this.facebookPosts.length = 0;
    this.instagramMedia.length = 0;
    this.localPosts.length = 0;
    this.reviews.length = 0;
    this.calls.length = 0;
    this.faults = [];
    this.metricTicks.clear();
  }

  /** Media published earlier on the Instagram account, as if by hand. */
  seedInstagramMedia(igUserId: string, caption: string): InstagramMedia {
    const media = { id: this.next(), igUserId, caption, imageUrls: [], timestamp: new Date() };
    this.instagramMedia.push(media);
    return media;
  }

  /** A local post published earlier on a location (`accounts/…/locations/…`). */
  seedLocalPost(location: string, summary: string): LocalPost {
    const post = { name: `${location}/localPosts/${this.next()}`, location, summary, body: { summary, topicType: 'STANDARD' }, createTime: new Date() };
    this.localPosts.push(post);
    return post;
  }

  private tick(key: string): number {
    const next = (this.metricTicks.get(key) ?? 0) + 1;
    this.metricTicks.set(key, next);
    return next;
  }

  fail(fault: EmulatorFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Every Google access token issued so far is now past its expiry (as after an hour). */
  expireGoogleAccessTokens(): void {
    for (const token of this.tokens.values()) if (token.api === 'google') token.expiresAt = Date.now() - 1000;
  }

  /** The user removed the app: every token (and Google refresh token) stops working. */
  revokeAll(api: EmulatedApi): void {
    for (const token of this.tokens.values()) if (token.api === api) token.revoked = true;
    if (api === 'google') this.refreshTokens.clear();
  }

  /** A post made earlier on a Page, as if by hand (for findPublished). */
  seedFacebookPost(pageId: string, message: string, createdTime = new Date()): FacebookPost {
    const post = { id: `${pageId}_${this.next()}`, pageId, message, link: null, photos: [], createdTime };
    this.facebookPosts.push(post);
    return post;
  }

  /** A review left on a location (`accounts/555/locations/9001`), newest first in listings. */
  seedReview(location: string, review: Omit<EmulatedReview, 'location' | 'reviewId' | 'updateTime' | 'createTime'> & { reviewId?: string; createTime?: Date }): EmulatedReview {
    const created = (review.createTime ?? new Date()).toISOString();
    const seeded: EmulatedReview = { ...review, reviewId: review.reviewId ?? `rev-${this.next()}`, location, createTime: created, updateTime: created };
    this.reviews.push(seeded);
    return seeded;
  }

  private next(): string {
    return String(++this.counter);
  }

  private issue(api: EmulatedApi, kind: Token['kind'], ttlSeconds: number | null, pageId?: string): string {
    const value = `${api}-${kind}-${crypto.randomBytes(12).toString('hex')}`;
    this.tokens.set(value, { api, kind, pageId, expiresAt: ttlSeconds === null ? null : Date.now() + ttlSeconds * 1000, revoked: false });
    return value;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const api: EmulatedApi = url.pathname.startsWith('/google') ? 'google' : 'graph';
    const body = await readBody(req);
    const originalEnd = res.end.bind(res);
    res.end = ((...args: any[]) => {
      this.calls.push({ api, method: req.method ?? 'GET', path: url.pathname, status: res.statusCode });
      return originalEnd(...args);
    }) as typeof res.end;

    if (url.pathname.startsWith('/facebook/v23.0/dialog/oauth') || url.pathname === '/google-accounts/o/oauth2/v2/auth') {
      return this.authorize(url, url.pathname.startsWith('/google') ? 'google' : 'graph', res);
    }
    const fault = this.faults.find((f) => f.api === api && f.left > 0 && (!f.path || url.pathname.includes(f.path)));
    if (fault) {
      fault.left--;
      return api === 'graph' ? graphFault(res, fault) : googleFault(res, fault.status);
    }
    if (url.pathname.startsWith('/graph/v23.0/')) return this.graph(req.method ?? 'GET', url, body, req.headers, res);
    if (url.pathname.startsWith('/google/')) return this.google(req.method ?? 'GET', url, body, req.headers, res);
    json(res, 404, { error: { message: 'unknown path', code: 803 } });
  }

  private authorize(url: URL, api: EmulatedApi, res: http.ServerResponse): void {
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    const expectedClient = api === 'graph' ? META_APP_ID : GOOGLE_CLIENT_ID;
    if (url.searchParams.get('client_id') !== expectedClient || !redirectUri) return json(res, 400, { error: 'invalid_request' });
    const code = `code-${crypto.randomBytes(8).toString('hex')}`;
    this.codes.set(code, { api, redirectUri, codeChallenge: url.searchParams.get('code_challenge') ?? undefined });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    target.searchParams.set('state', url.searchParams.get('state') ?? '');
    res.writeHead(302, { location: target.toString() }).end();
  }

  // ---- Graph ------------------------------------------------------------------------------------------------

  private graph(method: string, url: URL, raw: RawBody, headers: http.IncomingHttpHeaders, res: http.ServerResponse): void {
    const path = url.pathname.slice('/graph/v23.0'.length);
    const q = url.searchParams;
    if (path === '/oauth/access_token') return this.graphToken(q, res);
    const tokenValue = /^Bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1] ?? q.get('access_token') ?? '';
    const token = this.tokens.get(tokenValue);
    if (!token || token.api !== 'graph' || token.revoked || (token.expiresAt !== null && token.expiresAt < Date.now())) {
      return json(res, 400, { error: { message: 'Error validating access token: The session has been invalidated.', type: 'OAuthException', code: 190, error_subcode: 460 } });
    }
    const proof = q.get('appsecret_proof');
    if (proof !== null && proof !== crypto.createHmac('sha256', META_APP_SECRET).update(tokenValue).digest('hex')) {
      return json(res, 400, { error: { message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 } });
    }
    const form = raw.form;
    if (method === 'GET' && path === '/me/permissions') {
      return json(res, 200, { data: ['pages_show_list', 'pages_read_engagement', 'pages_manage_posts', 'business_management', 'instagram_basic', 'instagram_content_publish'].map((permission) => ({ permission, status: 'granted' })) });
    }
    if (method === 'GET' && path === '/me/accounts') {
      if (token.kind !== 'user') return graphError(res, 400, 100, 'Requires a user access token');
      return json(res, 200, {
        data: PAGES.map((page) => ({
          id: page.id,
          name: page.name,
          access_token: this.issue('graph', 'page', null, page.id),
          tasks: ['ANALYZE', 'ADVERTISE', 'MODERATE', 'CREATE_CONTENT', 'MANAGE'],
          picture: { data: { url: `https://scontent.example/${page.id}.jpg` } },
          ...(page.instagram ? { instagram_business_account: { ...page.instagram, profile_picture_url: `https://scontent.example/ig-${page.instagram.id}.jpg` } } : {}),
        })),
        paging: { cursors: { before: 'b', after: 'a' } },
      });
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/(\d+)\/(feed|photos|posts)$/.exec(path))) {
      const [, pageId, edge] = m;
      if (token.kind !== 'page' || token.pageId !== pageId) return graphError(res, 403, 200, 'Requires pages_manage_posts permission on this page');
      if (method === 'POST' && edge === 'feed') {
        const message = form.message ?? '';
        if (!message && !form.link && !form['attached_media[0]']) return graphError(res, 400, 100, 'Missing message or attachment');
        const photos = Object.keys(form)
          .filter((k) => k.startsWith('attached_media['))
          .map((k) => this.photos.get(JSON.parse(form[k]!).media_fbid))
          .filter((p): p is NonNullable<typeof p> => !!p);
        const post: FacebookPost = { id: `${pageId}_${this.next()}`, pageId: pageId!, message, link: form.link ?? null, photos, createdTime: new Date() };
        this.facebookPosts.push(post);
        return json(res, 200, { id: post.id });
      }
      if (method === 'POST' && edge === 'photos') {
        const file = raw.files.source;
        if (!file || file.bytes === 0) return graphError(res, 400, 324, 'Requires upload file');
        if (!/^image\//.test(file.mimeType)) return graphError(res, 400, 352, 'Sorry, the video file you selected is in a format that we don\'t support.');
        const photo = { id: this.next(), bytes: file.bytes, mimeType: file.mimeType, filename: file.filename, pageId: pageId!, published: form.published !== 'false' };
        this.photos.set(photo.id, photo);
        if (!photo.published) return json(res, 200, { id: photo.id });
        const post: FacebookPost = { id: `${pageId}_${this.next()}`, pageId: pageId!, message: form.message ?? '', link: null, photos: [photo], createdTime: new Date() };
        this.facebookPosts.push(post);
        return json(res, 200, { id: photo.id, post_id: post.id });
      }
      if (method === 'GET' && edge === 'posts') {
        const since = Number(q.get('since') ?? 0) * 1000;
        const data = this.facebookPosts
          .filter((p) => p.pageId === pageId && p.createdTime.getTime() >= since)
          .reverse()
          .map((p) => ({ id: p.id, message: p.message, created_time: p.createdTime.toISOString(), permalink_url: `https://www.facebook.com/${p.id}` }));
        return json(res, 200, { data });
      }
    }
    if ((m = /^\/(\d+)\/(media|media_publish)$/.exec(path))) {
      const [, igUserId, edge] = m;
      const page = PAGES.find((p) => p.instagram?.id === igUserId);
      if (!page || token.pageId !== page.id) return graphError(res, 400, 100, 'Unsupported request: object does not exist or missing permissions');
      if (method === 'POST' && edge === 'media') {
        const id = this.next();
        if (form.media_type === 'CAROUSEL') {
          const children = (form.children ?? '').split(',').filter(Boolean);
          const urls = children.flatMap((c) => this.containers.get(c)?.imageUrls ?? []);
          this.containers.set(id, { igUserId: igUserId!, caption: form.caption ?? '', imageUrls: urls, children, published: false });
        } else {
          if (!form.image_url || !/^https?:\/\//.test(form.image_url)) return graphError(res, 400, 9004, 'Media download has failed. The media URI doesn\'t meet our requirements.');
          this.containers.set(id, { igUserId: igUserId!, caption: form.caption ?? '', imageUrls: [form.image_url], published: false });
        }
        return json(res, 200, { id });
      }
      if (method === 'POST' && edge === 'media_publish') {
        const container = this.containers.get(form.creation_id ?? '');
        if (!container || container.igUserId !== igUserId) return graphError(res, 400, 100, 'Invalid creation_id');
        if (container.published) return graphError(res, 400, 9007, 'Media already published');
        container.published = true;
        const media: InstagramMedia = { id: this.next(), igUserId: igUserId!, caption: container.caption, imageUrls: container.imageUrls, timestamp: new Date() };
        this.instagramMedia.push(media);
        return json(res, 200, { id: media.id });
      }
      if (method === 'GET' && edge === 'media') {
        const data = this.instagramMedia
          .filter((x) => x.igUserId === igUserId)
          .reverse()
          .map((x) => ({ id: x.id, caption: x.caption, permalink: `https://www.instagram.com/p/${x.id}/`, timestamp: x.timestamp.toISOString() }));
        return json(res, 200, { data });
      }
    }
    if (method === 'GET' && (m = /^\/(\d+_\d+)$/.exec(path))) {
      const post = this.facebookPosts.find((p) => p.id === m![1]);
      if (!post) return graphError(res, 400, 100, `Unsupported get request. Object with ID '${m[1]}' does not exist`);
      if (token.kind !== 'page' || token.pageId !== post.pageId) return graphError(res, 403, 200, 'Requires pages_read_engagement on this page');
      const fields = q.get('fields') ?? '';
      const e = metaEngagement(this.tick(post.id));
      const insights = /insights\.metric\(([^)]*)\)/.exec(fields)?.[1]?.split(',') ?? [];
      const values: Record<string, number> = { post_media_view: e.views, post_total_media_view_unique: e.reach, post_clicks: e.clicks };
      const unknown = insights.find((name) => !(name in values));
      if (unknown) return graphError(res, 400, 100, `(#100) The value must be a valid insights metric: ${unknown}`);
      return json(res, 200, {
        id: post.id,
        ...(fields.includes('shares') ? { shares: { count: e.shares } } : {}),
        ...(fields.includes('comments.summary') ? { comments: { data: [], summary: { order: 'ranked', total_count: e.comments, can_comment: true } } } : {}),
        ...(fields.includes('reactions.summary') ? { reactions: { data: [], summary: { total_count: e.reactions, viewer_reaction: 'NONE' } } } : {}),
        ...(insights.length ? { insights: { data: insights.map((name) => ({ name, period: 'lifetime', values: [{ value: values[name] }], id: `${post.id}/insights/${name}/lifetime` })) } } : {}),
      });
    }
    if (method === 'GET' && (m = /^\/(\d+)\/insights$/.exec(path))) {
      const media = this.instagramMedia.find((x) => x.id === m![1]);
      const igUser = PAGES.find((p) => p.instagram?.id === m![1]);
      if (media) {
        if (token.pageId !== PAGES.find((p) => p.instagram?.id === media.igUserId)?.id) return graphError(res, 400, 10, 'Application does not have permission for this action');
        const e = metaEngagement(this.metricTicks.get(media.id) ?? 0);
        const values: Record<string, number> = { views: e.views, reach: e.reach, shares: e.shares, saved: e.saved };
        const names = (q.get('metric') ?? '').split(',').filter(Boolean);
        const unknown = names.find((name) => !(name in values));
        if (unknown) return graphError(res, 400, 100, `(#100) metric[0] must be one of the following values: views, reach, shares, saved… (${unknown})`);
        return json(res, 200, { data: names.map((name) => ({ name, period: 'lifetime', values: [{ value: values[name] }], id: `${media.id}/insights/${name}/lifetime` })) });
      }
      if (igUser && token.pageId === igUser.id) {
        const tick = this.metricTicks.get(`ig-user:${igUser.instagram!.id}`) ?? 0;
        if (q.get('metric_type') !== 'total_value' || q.get('period') !== 'day') return graphError(res, 400, 100, 'metric_type=total_value and period=day are required');
        const values: Record<string, number> = { reach: 30 * tick, profile_views: 6 * tick };
        return json(res, 200, { data: (q.get('metric') ?? '').split(',').map((name) => ({ name, period: 'day', total_value: { value: values[name] ?? 0 }, id: `${igUser.instagram!.id}/insights/${name}/day` })) });
      }
    }
    if (method === 'GET' && (m = /^\/(\d+)$/.exec(path)) && (q.get('fields') ?? '').includes('followers_count')) {
      const page = PAGES.find((p) => p.id === m![1] || p.instagram?.id === m![1]);
      if (!page || token.pageId !== page.id) return graphError(res, 400, 100, 'Unsupported get request');
      const key = page.id === m[1] ? `page:${page.id}` : `ig-user:${m[1]}`;
      return json(res, 200, { id: m[1], followers_count: metaFollowers(this.tick(key)) });
    }
    if (method === 'GET' && (m = /^\/(\d+)$/.exec(path)) && (q.get('fields') ?? '').includes('like_count')) {
      const media = this.instagramMedia.find((x) => x.id === m![1]);
      if (!media) return graphError(res, 400, 100, `Unsupported get request. Object with ID '${m[1]}' does not exist`);
      const e = metaEngagement(this.tick(media.id));
      return json(res, 200, { id: media.id, like_count: e.reactions, comments_count: e.comments });
    }
    if (method === 'GET' && (m = /^\/(\d+)$/.exec(path))) {
      const container = this.containers.get(m[1]!);
      if (container) return json(res, 200, { id: m[1], status_code: container.published ? 'PUBLISHED' : 'FINISHED' });
      const media = this.instagramMedia.find((x) => x.id === m![1]);
      if (media) return json(res, 200, { id: media.id, permalink: `https://www.instagram.com/p/${media.id}/` });
    }
    graphError(res, 400, 100, `Unsupported ${method} request to ${path}`);
  }

  private graphToken(q: URLSearchParams, res: http.ServerResponse): void {
    if (q.get('client_id') !== META_APP_ID) return graphError(res, 400, 101, 'Error validating application. Invalid application ID.');
    if (q.get('client_secret') !== META_APP_SECRET) return graphError(res, 400, 1, 'Error validating client secret.');
    if (q.get('grant_type') === 'client_credentials') return json(res, 200, { access_token: `${META_APP_ID}|app-token`, token_type: 'bearer' });
    if (q.get('grant_type') === 'fb_exchange_token') {
      const short = this.tokens.get(q.get('fb_exchange_token') ?? '');
      if (!short || short.kind !== 'user' || short.revoked) return json(res, 400, { error: { message: 'Error validating access token', type: 'OAuthException', code: 190 } });
      return json(res, 200, { access_token: this.issue('graph', 'user', 60 * 24 * 3600), token_type: 'bearer', expires_in: 5183944 });
    }
    const code = this.codes.get(q.get('code') ?? '');
    if (!code || code.api !== 'graph') return graphError(res, 400, 100, 'Invalid verification code format.');
    if (code.redirectUri !== q.get('redirect_uri')) return graphError(res, 400, 100, 'Error validating verification code. Please make sure your redirect_uri is identical.');
    this.codes.delete(q.get('code')!);
    json(res, 200, { access_token: this.issue('graph', 'user', 3600), token_type: 'bearer', expires_in: 3600 });
  }

  // ---- Google -----------------------------------------------------------------------------------------------

  private google(method: string, url: URL, raw: RawBody, headers: http.IncomingHttpHeaders, res: http.ServerResponse): void {
    const path = url.pathname.slice('/google'.length);
    if (path === '/oauth2.googleapis.com/token' && method === 'POST') return this.googleToken(raw.form, res);
    const token = this.tokens.get(/^Bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1] ?? '');
    if (!token || token.api !== 'google' || token.revoked || (token.expiresAt !== null && token.expiresAt < Date.now())) {
      return json(res, 401, { error: { code: 401, message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', status: 'UNAUTHENTICATED' } });
    }
    if (method === 'GET' && path === '/mybusinessaccountmanagement.googleapis.com/v1/accounts') {
      return json(res, 200, { accounts: [{ name: GBP_ACCOUNT, accountName: 'Boulangerie Martin', type: 'PERSONAL' }] });
    }
    if (method === 'GET' && path === `/mybusinessbusinessinformation.googleapis.com/v1/${GBP_ACCOUNT}/locations`) {
      if (!url.searchParams.get('readMask')) return json(res, 400, { error: { code: 400, message: 'Request contains an invalid argument: read_mask', status: 'INVALID_ARGUMENT' } });
      return json(res, 200, { locations: GBP_LOCATIONS });
    }
    const r = /^\/mybusiness\.googleapis\.com\/v4\/(accounts\/[^/]+\/locations\/[^/]+)\/reviews(?:\/([^/]+)\/reply)?$/.exec(path);
    if (r) return this.googleReviews(method, url, r[1]!, r[2], raw, res);
    const insights = /^\/mybusiness\.googleapis\.com\/v4\/(accounts\/[^/]+\/locations\/[^/]+)\/localPosts:reportInsights$/.exec(path);
    if (insights && method === 'POST') {
      const request = raw.json ?? {};
      const names: string[] = Array.isArray(request.localPostNames) ? request.localPostNames : [];
      const metrics: string[] = (request.basicRequest?.metricRequests ?? []).map((r: any) => r?.metric);
      if (!names.length || !metrics.length || !request.basicRequest?.timeRange?.startTime) return json(res, 400, { error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' } });
      if (names.some((name) => !name.startsWith(`${insights[1]}/localPosts/`))) return json(res, 400, { error: { code: 400, message: 'All posts must belong to the location.', status: 'INVALID_ARGUMENT' } });
      const localPostMetrics = names
        .map((name) => this.localPosts.find((p) => p.name === name))
        .filter((p): p is LocalPost => !!p)
        .map((p) => {
          const e = metaEngagement(this.tick(p.name));
          const values: Record<string, number> = { LOCAL_POST_VIEWS_SEARCH: e.views, LOCAL_POST_ACTIONS_CALL_TO_ACTION: e.clicks };
          return { localPostName: p.name, metricValues: metrics.map((metric) => ({ metric, totalValue: { metricOption: 'AGGREGATED_TOTAL', timeDimension: { timeRange: request.basicRequest.timeRange }, value: String(values[metric] ?? 0) } })) };
        });
      return json(res, 200, { name: insights[1], localPostMetrics, timeZone: 'Europe/Paris' });
    }
    const m = /^\/mybusiness\.googleapis\.com\/v4\/(accounts\/[^/]+\/locations\/[^/]+)\/localPosts$/.exec(path);
    if (m) {
      const location = m[1]!;
      if (!GBP_LOCATIONS.some((l) => `${GBP_ACCOUNT}/${l.name}` === location)) return json(res, 404, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
      if (method === 'POST') {
        const post = raw.json ?? {};
        if (typeof post.summary !== 'string' || !post.topicType) return json(res, 400, { error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT' } });
        const name = `${location}/localPosts/${this.next()}`;
        const created: LocalPost = { name, location, summary: post.summary, body: post, createTime: new Date() };
        this.localPosts.push(created);
        return json(res, 200, { name, summary: post.summary, topicType: post.topicType, state: 'LIVE', createTime: created.createTime.toISOString(), searchUrl: `https://local.google.com/place?id=${encodeURIComponent(name)}` });
      }
      const localPosts = this.localPosts
        .filter((p) => p.location === location)
        .reverse()
        .map((p) => ({ name: p.name, summary: p.summary, createTime: p.createTime.toISOString(), searchUrl: `https://local.google.com/place?id=${encodeURIComponent(p.name)}` }));
      return json(res, 200, { localPosts });
    }
    json(res, 404, { error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } });
  }

  private googleReviews(method: string, url: URL, location: string, reviewId: string | undefined, raw: RawBody, res: http.ServerResponse): void {
    if (!GBP_LOCATIONS.some((l) => `${GBP_ACCOUNT}/${l.name}` === location)) return json(res, 404, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
    const invalid = (message: string) => json(res, 400, { error: { code: 400, message, status: 'INVALID_ARGUMENT' } });
    const resource = (v: EmulatedReview) => {
      const { location: _l, ...rest } = v;
      return { name: `${location}/reviews/${v.reviewId}`, ...rest };
    };
    if (reviewId !== undefined) {
      if (method !== 'PUT') return json(res, 404, { error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } });
      const review = this.reviews.find((v) => v.location === location && v.reviewId === reviewId);
      if (!review) return json(res, 404, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
      const comment = raw.json?.comment;
      if (typeof comment !== 'string' || !comment.trim()) return invalid('Request contains an invalid argument: comment');
      if (Buffer.byteLength(comment, 'utf8') > 4096) return invalid('Request contains an invalid argument: comment is too long');
      review.reviewReply = { comment, updateTime: new Date().toISOString() };
      return json(res, 200, review.reviewReply);
    }
    if (method !== 'GET') return json(res, 404, { error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } });
    const pageSize = Number(url.searchParams.get('pageSize') ?? 50);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 50) return invalid('Request contains an invalid argument: page_size');
    const all = this.reviews.filter((v) => v.location === location).sort((a, b) => b.updateTime.localeCompare(a.updateTime));
    const start = Number(url.searchParams.get('pageToken') ?? 0) || 0;
    const page = all.slice(start, start + pageSize);
    const average = all.length ? all.reduce((sum, v) => sum + ['ONE', 'TWO', 'THREE', 'FOUR', 'FIVE'].indexOf(v.starRating) + 1, 0) / all.length : 0;
    json(res, 200, {
      reviews: page.map(resource),
      averageRating: average,
      totalReviewCount: all.length,
      ...(start + pageSize < all.length ? { nextPageToken: String(start + pageSize) } : {}),
    });
  }

  private googleToken(form: Record<string, string>, res: http.ServerResponse): void {
    if (form.client_id !== GOOGLE_CLIENT_ID) return json(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    if (form.client_secret !== GOOGLE_CLIENT_SECRET) return json(res, 401, { error: 'invalid_client', error_description: 'Unauthorized' });
    if (form.grant_type === 'refresh_token') {
      if (!this.refreshTokens.has(form.refresh_token ?? '')) return json(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      return json(res, 200, { access_token: this.issue('google', 'google', 3599), expires_in: 3599, scope: 'https://www.googleapis.com/auth/business.manage', token_type: 'Bearer' });
    }
    if (form.grant_type !== 'authorization_code') return json(res, 400, { error: 'unsupported_grant_type' });
    const code = this.codes.get(form.code ?? '');
    if (!code || code.api !== 'google' || code.redirectUri !== form.redirect_uri) return json(res, 400, { error: 'invalid_grant', error_description: 'Bad Request' });
    const challenge = crypto.createHash('sha256').update(form.code_verifier ?? '').digest('base64url');
    if (code.codeChallenge && challenge !== code.codeChallenge) return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
    this.codes.delete(form.code!);
    const refreshToken = `google-refresh-${crypto.randomBytes(12).toString('hex')}`;
    this.refreshTokens.add(refreshToken);
    json(res, 200, { access_token: this.issue('google', 'google', 3599), expires_in: 3599, refresh_token: refreshToken, scope: 'https://www.googleapis.com/auth/business.manage', token_type: 'Bearer' });
  }
}

interface RawBody {
  form: Record<string, string>;
  json: any;
  files: Record<string, { bytes: number; mimeType: string; filename: string }>;
}

async function readBody(req: http.IncomingMessage): Promise<RawBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const buffer = Buffer.concat(chunks);
  const type = String(req.headers['content-type'] ?? '');
  const result: RawBody = { form: {}, json: null, files: {} };
  if (type.startsWith('application/x-www-form-urlencoded')) result.form = Object.fromEntries(new URLSearchParams(buffer.toString('utf8')));
  else if (type.startsWith('application/json')) result.json = buffer.length ? JSON.parse(buffer.toString('utf8')) : null;
  else if (type.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(buffer), { headers: { 'content-type': type } }).formData();
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') result.form[key] = value;
      else result.files[key] = { bytes: value.size, mimeType: value.type, filename: (value as File).name };
    }
  }
  return result;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function graphError(res: http.ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { error: { message, type: code === 190 ? 'OAuthException' : 'GraphMethodException', code, fbtrace_id: 'AemulatorTrace' } });
}

function graphFault(res: http.ServerResponse, fault: EmulatorFault): void {
  const code = fault.graphCode ?? { 400: 100, 401: 190, 429: 4, 500: 2 }[fault.status];
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (fault.status === 429 || code === 4 || code === 32) headers['x-business-use-case-usage'] = JSON.stringify({ '1001': [{ type: 'pages', call_count: 100, estimated_time_to_regain_access: 7 }] });
  res.writeHead(fault.status, headers).end(JSON.stringify({ error: { message: `Injected fault ${fault.status}`, type: code === 190 ? 'OAuthException' : 'GraphMethodException', code, is_transient: fault.status === 500, fbtrace_id: 'AemulatorTrace' } }));
}

function googleFault(res: http.ServerResponse, status: number): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (status === 429) headers['retry-after'] = '30';
  const statusText = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL' }[status];
  res.writeHead(status, headers).end(JSON.stringify({ error: { code: status, message: `Injected fault ${status}`, status: statusText } }));
}
