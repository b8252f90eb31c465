import {
  PublishError,
  type ConnectedAccount,
  type OAuthApp,
  type OutgoingPost,
  type PostMetrics,
  type PublishedPostRef,
  type PublishResult,
  type SocialPublisher,
} from '../../../modules/publishing/ports.js';
import { callApi, type RefusalClassifier } from '../http.js';
import { chunks, postMetrics } from '../metrics.js';
import { firstLink, isImage, publicUrlOf } from '../meta/outgoing.js';
import { googleHost } from './api.js';

const MAX_SUMMARY = 1500;
const MAX_RESULT_PAGES = 5;
/** Posts per reportInsights request (Google documents no maximum; kept small). */
const INSIGHTS_BATCH = 10;

/**
 * Publishes a "What's new" local post (topicType STANDARD) on a Business Profile location, with a "Learn more"
 * button on the text's first link. Text-only posts are allowed; a photo is downloaded by Google from a public URL,
 * so a media without one is refused (mediaNeedsPublicUrl — see ../meta/outgoing.ts). One photo per post.
 */
export class GoogleBusinessPublisher implements SocialPublisher {
  readonly channel = 'google_business' as const;

  constructor(private readonly app: OAuthApp) {}

  async publish(account: ConnectedAccount, post: OutgoingPost, _idempotencyKey: string): Promise<PublishResult> {
    const token = accessToken(account);
    if ([...post.text].length > MAX_SUMMARY) throw new PublishError('permanent', 'contentRejected', `google_business: the text exceeds ${MAX_SUMMARY} characters`);
    if (post.media.length > 1) throw new PublishError('permanent', 'tooManyMedia', 'google_business: a post takes one photo');
    const localPost: Record<string, unknown> = { summary: post.text, topicType: 'STANDARD' };
    const link = firstLink(post.text);
    if (link) localPost.callToAction = { actionType: 'LEARN_MORE', url: link };
    const media = post.media[0];
    if (media) {
      if (!isImage(media)) throw new PublishError('permanent', 'mediaUnsupported', 'google_business: only photos are published by this adapter');
      const sourceUrl = await publicUrlOf(media);
      if (!sourceUrl) throw new PublishError('permanent', 'mediaNeedsPublicUrl', `google_business: no public URL for ${media.filename}`);
      localPost.media = [{ mediaFormat: 'PHOTO', sourceUrl }];
    }
    const { json } = await callApi('google_business', { url: this.postsUrl(account), json: localPost, headers: { authorization: `Bearer ${token}` } }, classify(account));
    if (typeof json?.name !== 'string') throw new PublishError('permanent', 'unexpected', 'google_business returned no post name');
    return { externalPostId: json.name, url: typeof json.searchUrl === 'string' ? json.searchUrl : null };
  }

  async findPublished(account: ConnectedAccount, post: OutgoingPost, _key: string, since: Date): Promise<PublishResult | null> {
    const token = accessToken(account);
    let pageToken: string | undefined;
    for (let round = 0; round < MAX_RESULT_PAGES; round++) {
      const url = new URL(this.postsUrl(account));
      url.searchParams.set('pageSize', '100');
      if (pageToken) url.searchParams.set('pageToken', pageToken);
      const { json } = await callApi('google_business', { url: url.toString(), headers: { authorization: `Bearer ${token}` } }, classify(account));
      const found = (json?.localPosts ?? []).find((p: any) => p?.summary === post.text && Date.parse(p.createTime) >= since.getTime() - 1000);
      if (found) return { externalPostId: String(found.name), url: typeof found.searchUrl === 'string' ? found.searchUrl : null };
      pageToken = typeof json?.nextPageToken === 'string' && json.nextPageToken ? json.nextPageToken : undefined;
      if (!pageToken) return null;
    }
    return null;
  }

  /**
   * `POST …/localPosts:reportInsights` (v4): per post, LOCAL_POST_VIEWS_SEARCH (views on Google Search) and
   * LOCAL_POST_ACTIONS_CALL_TO_ACTION (button clicks) totalled since the oldest post was published. Google is moving
   * the v4 insights methods to the Business Profile Performance API, which has no per-post metrics: this keeps
   * working only as long as Google serves it. No account-level method: the Performance API's daily series are
   * location metrics, not an audience.
   */
  async fetchMetrics(account: ConnectedAccount, posts: PublishedPostRef[], now = new Date()): Promise<PostMetrics[]> {
    const token = accessToken(account);
    const found: PostMetrics[] = [];
    for (const batch of chunks(posts, INSIGHTS_BATCH)) {
      const byName = new Map(batch.map((p) => [p.externalId, p.publicationId]));
      const since = new Date(Math.min(...batch.map((p) => p.publishedAt.getTime())));
      const body = {
        localPostNames: batch.map((p) => p.externalId),
        basicRequest: {
          metricRequests: [{ metric: 'LOCAL_POST_VIEWS_SEARCH' }, { metric: 'LOCAL_POST_ACTIONS_CALL_TO_ACTION' }],
          timeRange: { startTime: since.toISOString(), endTime: now.toISOString() },
        },
      };
      const { json } = await callApi('google_business', { url: `${this.postsUrl(account)}:reportInsights`, json: body, headers: { authorization: `Bearer ${token}` } }, classify(account));
      for (const entry of json?.localPostMetrics ?? []) {
        const publicationId = byName.get(entry?.localPostName);
        if (!publicationId) continue;
        const value = (metric: string) => (entry.metricValues ?? []).find((m: any) => m?.metric === metric)?.totalValue?.value;
        found.push(postMetrics(publicationId, { impressions: value('LOCAL_POST_VIEWS_SEARCH'), clicks: value('LOCAL_POST_ACTIONS_CALL_TO_ACTION') }));
      }
    }
    return found;
  }

  private postsUrl(account: ConnectedAccount): string {
    if (!/^accounts\/[^/]+\/locations\/[^/]+$/.test(account.externalAccountId)) {
      throw new PublishError('permanent', 'accountNotConnected', `google_business: not a location name: ${account.externalAccountId}`);
    }
    return `${googleHost(this.app, 'posts')}/v4/${account.externalAccountId}/localPosts`;
  }
}

function accessToken(account: ConnectedAccount): string {
  const token = account.credentials?.accessToken;
  if (!token) throw new PublishError('permanent', 'accountNotConnected', 'google_business: the account has no token');
  return token;
}

/** Google's 401 does not say "expired": past `expiresAt` it is an expired token, before it a revoked one. */
function classify(account: ConnectedAccount): RefusalClassifier {
  return (status, _body, text) => {
    if (status === 401) {
      const expiresAt = account.credentials?.expiresAt ? Date.parse(account.credentials.expiresAt) : NaN;
      return Number.isFinite(expiresAt) && expiresAt <= Date.now() ? 'tokenExpired' : 'tokenRevoked';
    }
    if (status === 404) return 'accountNotConnected';
    if (status === 400 && /media|sourceUrl|photo/i.test(text)) return 'mediaRejected';
    return undefined;
  };
}
