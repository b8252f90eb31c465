import {
  PublishError,
  type AccountMetrics,
  type ConnectedAccount,
  type OAuthApp,
  type OutgoingPost,
  type PostMetrics,
  type PublishedPostRef,
  type PublishResult,
  type SocialPublisher,
} from '../../../modules/publishing/ports.js';
import { callApi, type RefusalClassifier } from '../http.js';
import { chunks, count, postMetrics } from '../metrics.js';
import { apiBase, comparableText } from './api.js';

const classify: RefusalClassifier = (status, body, text) => {
  if (status === 403 && /duplicate/i.test(text)) return 'duplicateContent';
  if ((status === 400 || status === 403) && /media/i.test(String(body?.detail ?? body?.title ?? ''))) return 'mediaRejected';
  return undefined;
};

const MAX_IMAGES = 4;
/** GET /2/tweets takes up to 100 ids. */
const LOOKUP_BATCH = 100;
/**
 * X serves non-public metrics (link clicks) only for posts created within the last 30 days, and refuses them for
 * older ones: posts past this age are asked for public metrics only (a margin keeps a post from ageing mid-run).
 */
const NON_PUBLIC_MAX_AGE_MS = 29 * 24 * 3600_000;

/**
 * Publishes on X through the v2 API (POST /2/tweets) as the connected user. Images go through the v2 media upload
 * (POST /2/media/upload, one multipart request, media_category tweet_image); videos and GIFs, which need the
 * chunked upload, are refused for now.
 */
export class XPublisher implements SocialPublisher {
  readonly channel = 'x' as const;

  constructor(private readonly app: OAuthApp) {}

  async publish(account: ConnectedAccount, post: OutgoingPost, _idempotencyKey: string): Promise<PublishResult> {
    const token = accessToken(account);
    const images = post.media.filter((m) => m.mimeType.startsWith('image/') && m.mimeType !== 'image/gif');
    if (images.length !== post.media.length || images.length > MAX_IMAGES) {
      throw new PublishError('permanent', 'mediaRejected', `x: up to ${MAX_IMAGES} still images are supported`);
    }
    const mediaIds: string[] = [];
    for (const media of images) {
      const form = new FormData();
      form.append('media', new Blob([new Uint8Array(await media.read())], { type: media.mimeType }), media.filename);
      form.append('media_category', 'tweet_image');
      const uploaded = await callApi('x', { url: `${apiBase(this.app)}/2/media/upload`, headers: bearer(token), body: form }, (status) =>
        status === 400 || status === 413 || status === 422 ? 'mediaRejected' : undefined,
      );
      const id = uploaded.json?.data?.id ?? uploaded.json?.media_id_string;
      if (typeof id !== 'string') throw new PublishError('temporary', 'unexpected', 'x media upload returned no media id');
      mediaIds.push(id);
    }
    const body: Record<string, unknown> = { text: post.text };
    if (mediaIds.length) body.media = { media_ids: mediaIds };
    const response = await callApi('x', { url: `${apiBase(this.app)}/2/tweets`, headers: bearer(token), json: body }, classify);
    const id = response.json?.data?.id;
    if (typeof id !== 'string') throw new PublishError('temporary', 'unexpected', 'x accepted the post without returning its id');
    return { externalPostId: id, url: postUrl(account, id) };
  }

  async findPublished(account: ConnectedAccount, post: OutgoingPost, _idempotencyKey: string, since: Date): Promise<PublishResult | null> {
    const token = accessToken(account);
    const query = new URLSearchParams({ max_results: '100', start_time: since.toISOString(), 'tweet.fields': 'created_at' });
    const response = await callApi('x', { url: `${apiBase(this.app)}/2/users/${encodeURIComponent(account.externalAccountId)}/tweets?${query}`, headers: bearer(token) }, classify);
    const wanted = comparableText(post.text);
    const found = (response.json?.data ?? []).find((t: any) => typeof t.id === 'string' && typeof t.text === 'string' && comparableText(t.text) === wanted);
    return found ? { externalPostId: found.id, url: postUrl(account, found.id) } : null;
  }

  /**
   * `GET /2/tweets?ids=…` with `public_metrics` (impressions, likes, replies, reposts, quotes, bookmarks) and, for
   * recent posts, `non_public_metrics` (url_link_clicks; needs the user's token, which we have). X reports no reach.
   * A deleted post comes back in `errors`, not `data`, and is left out.
   */
  async fetchMetrics(account: ConnectedAccount, posts: PublishedPostRef[], now = new Date()): Promise<PostMetrics[]> {
    const token = accessToken(account);
    const recent = posts.filter((p) => now.getTime() - p.publishedAt.getTime() < NON_PUBLIC_MAX_AGE_MS);
    const older = posts.filter((p) => !recent.includes(p));
    const found: PostMetrics[] = [];
    for (const [group, fields] of [[recent, 'public_metrics,non_public_metrics'], [older, 'public_metrics']] as const) {
      for (const batch of chunks(group, LOOKUP_BATCH)) {
        const byId = new Map(batch.map((p) => [p.externalId, p.publicationId]));
        const query = new URLSearchParams({ ids: batch.map((p) => p.externalId).join(','), 'tweet.fields': fields });
        const body = (await callApi('x', { url: `${apiBase(this.app)}/2/tweets?${query}`, headers: bearer(token) }, classify)).json;
        for (const tweet of body?.data ?? []) {
          const publicationId = byId.get(tweet?.id);
          if (!publicationId) continue;
          const pub = tweet.public_metrics ?? {};
          found.push(
            postMetrics(publicationId, {
              impressions: pub.impression_count,
              reactions: pub.like_count,
              comments: pub.reply_count,
              shares: count(pub.retweet_count) + count(pub.quote_count),
              saves: pub.bookmark_count,
              clicks: tweet.non_public_metrics?.url_link_clicks,
            }),
          );
        }
      }
    }
    return found;
  }

  /** Followers from `GET /2/users/me?user.fields=public_metrics`; X gives no account-level impressions or reach. */
  async fetchAccountMetrics(account: ConnectedAccount): Promise<AccountMetrics | null> {
    const body = (await callApi('x', { url: `${apiBase(this.app)}/2/users/me?user.fields=public_metrics`, headers: bearer(accessToken(account)) }, classify)).json;
    const metrics = body?.data?.public_metrics;
    return metrics ? { followers: count(metrics.followers_count), impressions: 0, reach: 0, profileViews: 0 } : null;
  }
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function accessToken(account: ConnectedAccount): string {
  const token = account.credentials?.accessToken;
  if (!token) throw new PublishError('permanent', 'tokenRevoked', 'the account has no access token: reconnect it');
  return token;
}

function postUrl(account: ConnectedAccount, id: string): string {
  const username = account.credentials?.extra?.username;
  return username ? `https://x.com/${encodeURIComponent(username)}/status/${id}` : `https://x.com/i/web/status/${id}`;
}
