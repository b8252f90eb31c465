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
import { firstLink, isImage } from './outgoing.js';

/** Facebook's limit on attached photos in one Page post. */
const MAX_PHOTOS = 10;
const MAX_RESULT_PAGES = 5;
/**
 * A Page post's counters and lifetime insights in one read. Meta replaced post "impressions" by "views" on
 * 15 November 2025 (`post_media_view`) and the unique impressions by `post_total_media_view_unique`; insights need
 * the Page token of someone with the ANALYZE task (and read_insights).
 */
const POST_FIELDS = 'shares,comments.summary(true).limit(0),reactions.summary(total_count).limit(0),insights.metric(post_media_view,post_total_media_view_unique,post_clicks)';

/**
 * Publishes on a Facebook Page with the Page token: text (with a link preview for the first link) on `/feed`, one
 * image uploaded as bytes on `/photos`, several images uploaded unpublished then attached to one `/feed` post.
 * Videos are not published by this adapter yet (mediaUnsupported). Graph has no idempotency key: exactly-once
 * relies on `findPublished` (same message on the Page since the attempt).
 */
export class FacebookPublisher implements SocialPublisher {
  readonly channel = 'facebook' as const;

  constructor(private readonly app: OAuthApp) {}

  async publish(account: ConnectedAccount, post: OutgoingPost, _idempotencyKey: string): Promise<PublishResult> {
    const token = pageToken(account);
    const pageId = encodeURIComponent(account.externalAccountId);
    if (post.media.some((m) => !isImage(m))) throw new PublishError('permanent', 'mediaUnsupported', 'facebook: only images are published by this adapter');
    if (post.media.length > MAX_PHOTOS) throw new PublishError('permanent', 'tooManyMedia', `facebook: at most ${MAX_PHOTOS} photos in a post`);

    if (post.media.length === 1) {
      const form = await photoForm(post.media[0]!);
      form.set('message', post.text);
      const body = await graphCall(this.app, { path: `/${pageId}/photos`, multipart: form, accessToken: token });
      return result(String(body?.post_id ?? body?.id));
    }

    const fields: Record<string, string> = { message: post.text };
    if (post.media.length > 1) {
      for (const [index, media] of post.media.entries()) {
        const form = await photoForm(media);
        form.set('published', 'false');
        const photo = await graphCall(this.app, { path: `/${pageId}/photos`, multipart: form, accessToken: token });
        fields[`attached_media[${index}]`] = JSON.stringify({ media_fbid: String(photo?.id) });
      }
    } else {
      const link = firstLink(post.text);
      if (link) fields.link = link;
    }
    const body = await graphCall(this.app, { path: `/${pageId}/feed`, form: fields, accessToken: token });
    return result(String(body?.id));
  }

  async findPublished(account: ConnectedAccount, post: OutgoingPost, _key: string, since: Date): Promise<PublishResult | null> {
    const token = pageToken(account);
    let after: string | undefined;
    for (let round = 0; round < MAX_RESULT_PAGES; round++) {
      const query: Record<string, string> = { fields: 'id,message,permalink_url,created_time', since: String(Math.floor(since.getTime() / 1000)), limit: '100' };
      if (after) query.after = after;
      const body = await graphCall(this.app, { path: `/${encodeURIComponent(account.externalAccountId)}/posts`, query, accessToken: token });
      const found = (body?.data ?? []).find((p: any) => p?.message === post.text);
      if (found) return { externalPostId: String(found.id), url: typeof found.permalink_url === 'string' ? found.permalink_url : postUrl(String(found.id)) };
      after = body?.paging?.next ? body?.paging?.cursors?.after : undefined;
      if (!after) return null;
    }
    return null;
  }

  /** One read per post (a multi-id read fails whole when one post was deleted); deleted posts are left out. */
  async fetchMetrics(account: ConnectedAccount, posts: PublishedPostRef[]): Promise<PostMetrics[]> {
    const token = pageToken(account);
    const found: PostMetrics[] = [];
    for (const post of posts) {
      let body: any;
      try {
        body = await graphCall(this.app, { path: `/${encodeURIComponent(post.externalId)}`, query: { fields: POST_FIELDS }, accessToken: token });
      } catch (err) {
        if (isGone(err)) continue;
        throw err;
      }
      const insights = insightValues(body?.insights);
      found.push(
        postMetrics(post.publicationId, {
          impressions: insights.post_media_view,
          reach: insights.post_total_media_view_unique,
          clicks: insights.post_clicks,
          reactions: body?.reactions?.summary?.total_count,
          comments: body?.comments?.summary?.total_count,
          shares: body?.shares?.count,
        }),
      );
    }
    return found;
  }

  /** The Page's followers (`followers_count`); Page-level views are left to Meta Business Suite. */
  async fetchAccountMetrics(account: ConnectedAccount): Promise<AccountMetrics | null> {
    const body = await graphCall(this.app, { path: `/${encodeURIComponent(account.externalAccountId)}`, query: { fields: 'followers_count' }, accessToken: pageToken(account) });
    return { followers: count(body?.followers_count), impressions: 0, reach: 0, profileViews: 0 };
  }
}

function pageToken(account: ConnectedAccount): string {
  const token = account.credentials?.accessToken;
  if (!token) throw new PublishError('permanent', 'accountNotConnected', 'facebook: the account has no page token');
  return token;
}

async function photoForm(media: OutgoingPost['media'][number]): Promise<FormData> {
  const form = new FormData();
  const bytes = await media.read();
  form.set('source', new Blob([new Uint8Array(bytes)], { type: media.mimeType }), media.filename);
  if (media.altText) form.set('alt_text_custom', media.altText);
  return form;
}

function result(id: string): PublishResult {
  if (!id || id === 'undefined') throw new PublishError('permanent', 'unexpected', 'facebook returned no post id');
  return { externalPostId: id, url: postUrl(id) };
}

/** `PAGEID_POSTID` opens the post on facebook.com. */
function postUrl(id: string): string {
  return `https://www.facebook.com/${encodeURIComponent(id)}`;
}
