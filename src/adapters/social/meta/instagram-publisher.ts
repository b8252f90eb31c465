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
import { count, postMetrics } from '../metrics.js';
import { graphCall } from './graph.js';
import { insightValues, isGone } from './insights.js';
import { isImage, publicUrlOf } from './outgoing.js';

const MAX_CAPTION = 2200;
const MAX_CAROUSEL_ITEMS = 10;
const MAX_RESULT_PAGES = 5;
/** Media insights since v22 (impressions and video_views are gone; `views` counts every media type). */
const MEDIA_INSIGHTS = 'views,reach,shares,saved';
/** How often (and how patiently) a container's processing is checked before publishing. */
const CONTAINER_CHECKS = 5;
const CONTAINER_CHECK_INTERVAL_MS = 2_000;

/**
 * Publishes on an Instagram professional account (Instagram API with Facebook Login, the linked Page's token).
 * Instagram has no text-only post (instagramNeedsImage) and downloads images itself from a public URL
 * (mediaNeedsPublicUrl without one — see ./outgoing.ts). One image → an image container; 2 to 10 → a carousel.
 * Container → wait until FINISHED → media_publish. Videos (reels) are not published by this adapter yet.
 */
export class InstagramPublisher implements SocialPublisher {
  readonly channel = 'instagram' as const;

  constructor(
    private readonly app: OAuthApp,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async publish(account: ConnectedAccount, post: OutgoingPost, _idempotencyKey: string): Promise<PublishResult> {
    const token = accountToken(account);
    const igUser = `/${encodeURIComponent(account.externalAccountId)}`;
    if (post.media.length === 0) throw new PublishError('permanent', 'instagramNeedsImage', 'instagram: a post needs at least one image');
    if (post.media.some((m) => !isImage(m))) throw new PublishError('permanent', 'mediaUnsupported', 'instagram: only images are published by this adapter');
    if (post.media.length > MAX_CAROUSEL_ITEMS) throw new PublishError('permanent', 'tooManyMedia', `instagram: at most ${MAX_CAROUSEL_ITEMS} images in a carousel`);
    if ([...post.text].length > MAX_CAPTION) throw new PublishError('permanent', 'contentRejected', `instagram: the caption exceeds ${MAX_CAPTION} characters`);
    const images: { url: string; altText: string | null }[] = [];
    for (const media of post.media) {
      const url = await publicUrlOf(media);
      if (!url) throw new PublishError('permanent', 'mediaNeedsPublicUrl', `instagram: no public URL for ${media.filename}`);
      images.push({ url, altText: media.altText });
    }

    let containerId: string;
    if (images.length === 1) {
      containerId = await this.container(token, igUser, { image_url: images[0]!.url, caption: post.text, ...altText(images[0]!.altText) });
    } else {
      const children: string[] = [];
      for (const image of images) children.push(await this.container(token, igUser, { image_url: image.url, is_carousel_item: 'true', ...altText(image.altText) }));
      containerId = await this.container(token, igUser, { media_type: 'CAROUSEL', children: children.join(','), caption: post.text });
    }
    await this.untilFinished(token, containerId);
    const published = await graphCall(this.app, { path: `${igUser}/media_publish`, form: { creation_id: containerId }, accessToken: token }, 'instagram');
    const mediaId = String(published?.id ?? '');
    if (!mediaId) throw new PublishError('permanent', 'unexpected', 'instagram returned no media id');
    return { externalPostId: mediaId, url: await this.permalink(token, mediaId) };
  }

  async findPublished(account: ConnectedAccount, post: OutgoingPost, _key: string, since: Date): Promise<PublishResult | null> {
    const token = accountToken(account);
    let after: string | undefined;
    for (let round = 0; round < MAX_RESULT_PAGES; round++) {
      const query: Record<string, string> = { fields: 'id,caption,permalink,timestamp', limit: '50' };
      if (after) query.after = after;
      const body = await graphCall(this.app, { path: `/${encodeURIComponent(account.externalAccountId)}/media`, query, accessToken: token }, 'instagram');
      const items: any[] = body?.data ?? [];
      const found = items.find((m) => m?.caption === post.text && Date.parse(m.timestamp) >= since.getTime() - 1000);
      if (found) return { externalPostId: String(found.id), url: typeof found.permalink === 'string' ? found.permalink : null };
      // Newest first: once older than `since`, nothing further can match.
      if (items.some((m) => Date.parse(m?.timestamp) < since.getTime() - 1000)) return null;
      after = body?.paging?.next ? body?.paging?.cursors?.after : undefined;
      if (!after) return null;
    }
    return null;
  }

  /**
   * Per media: `like_count` and `comments_count` (always readable), then `/{media}/insights` (needs
   * instagram_manage_insights). Meta refuses insights (code 10) for media with too few viewers: the counts are kept
   * with zero views and reach rather than losing the media's row. Deleted media are left out.
   */
  async fetchMetrics(account: ConnectedAccount, posts: PublishedPostRef[]): Promise<PostMetrics[]> {
    const token = accountToken(account);
    const found: PostMetrics[] = [];
    for (const post of posts) {
      const path = `/${encodeURIComponent(post.externalId)}`;
      let media: any;
      try {
        media = await graphCall(this.app, { path, query: { fields: 'like_count,comments_count' }, accessToken: token }, 'instagram');
      } catch (err) {
        if (isGone(err)) continue;
        throw err;
      }
      let insights: Record<string, number> = {};
      try {
        insights = insightValues(await graphCall(this.app, { path: `${path}/insights`, query: { metric: MEDIA_INSIGHTS }, accessToken: token }, 'instagram'));
      } catch (err) {
        if (!(err instanceof PublishError && err.code === 'permissionDenied')) throw err;
      }
      found.push(
        postMetrics(post.publicationId, {
          reactions: media?.like_count,
          comments: media?.comments_count,
          impressions: insights.views,
          reach: insights.reach,
          shares: insights.shares,
          saves: insights.saved,
        }),
      );
    }
    return found;
  }

  /** Followers (`followers_count`), and the last day's reach and profile views from the account insights. */
  async fetchAccountMetrics(account: ConnectedAccount): Promise<AccountMetrics | null> {
    const token = accountToken(account);
    const path = `/${encodeURIComponent(account.externalAccountId)}`;
    const user = await graphCall(this.app, { path, query: { fields: 'followers_count' }, accessToken: token }, 'instagram');
    const insights = insightValues(
      await graphCall(this.app, { path: `${path}/insights`, query: { metric: 'reach,profile_views', period: 'day', metric_type: 'total_value' }, accessToken: token }, 'instagram'),
    );
    return { followers: count(user?.followers_count), impressions: 0, reach: count(insights.reach), profileViews: count(insights.profile_views) };
  }

  private async container(token: string, igUser: string, fields: Record<string, string>): Promise<string> {
    const body = await graphCall(this.app, { path: `${igUser}/media`, form: fields, accessToken: token }, 'instagram');
    if (typeof body?.id !== 'string') throw new PublishError('permanent', 'unexpected', 'instagram returned no container id');
    return body.id;
  }

  private async untilFinished(token: string, containerId: string): Promise<void> {
    for (let check = 0; check < CONTAINER_CHECKS; check++) {
      const body = await graphCall(this.app, { path: `/${encodeURIComponent(containerId)}`, query: { fields: 'status_code,status' }, accessToken: token }, 'instagram');
      const status = String(body?.status_code ?? '');
      if (status === 'FINISHED' || status === 'PUBLISHED') return;
      if (status === 'ERROR' || status === 'EXPIRED') throw new PublishError('permanent', 'mediaRejected', `instagram container ${status}: ${String(body?.status ?? '')}`);
      await this.wait(CONTAINER_CHECK_INTERVAL_MS);
    }
    throw new PublishError('temporary', 'networkUnavailable', 'instagram: the media is still being processed');
  }

  /** The post's link; the post is already published, so a failure here only loses the link. */
  private async permalink(token: string, mediaId: string): Promise<string | null> {
    try {
      const body = await graphCall(this.app, { path: `/${encodeURIComponent(mediaId)}`, query: { fields: 'permalink' }, accessToken: token }, 'instagram');
      return typeof body?.permalink === 'string' ? body.permalink : null;
    } catch {
      return null;
    }
  }
}

function accountToken(account: ConnectedAccount): string {
  const token = account.credentials?.accessToken;
  if (!token) throw new PublishError('permanent', 'accountNotConnected', 'instagram: the account has no token');
  return token;
}

function altText(text: string | null): Record<string, string> {
  return text ? { alt_text: text } : {};
}
