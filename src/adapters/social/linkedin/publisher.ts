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
import { apiBase, littleText, restHeaders } from './api.js';

const classify: RefusalClassifier = (status, _body, text) => {
  if (status === 422 && /duplicate/i.test(text)) return 'duplicateContent';
  return undefined;
};

/** How many of the author's latest posts are searched for an interrupted attempt. */
const LOOKUP_COUNT = 50;
/** Posts per share-statistics request (the URNs travel in the query string). */
const STATISTICS_BATCH = 20;

/**
 * Publishes on LinkedIn through the versioned Posts API as the account's member or organisation URN. Images are
 * uploaded first (Images API: initializeUpload, then PUT the bytes); other media types are refused.
 */
export class LinkedInPublisher implements SocialPublisher {
  readonly channel = 'linkedin' as const;

  constructor(private readonly app: OAuthApp) {}

  async publish(account: ConnectedAccount, post: OutgoingPost, _idempotencyKey: string): Promise<PublishResult> {
    const token = accessToken(account);
    const author = account.externalAccountId;
    const images: { id: string; altText?: string }[] = [];
    for (const media of post.media) {
      if (!media.mimeType.startsWith('image/')) throw new PublishError('permanent', 'mediaRejected', `linkedin: ${media.mimeType} is not supported (images only)`);
      images.push({ id: await this.uploadImage(token, author, await media.read(), media.mimeType), ...(media.altText ? { altText: media.altText.slice(0, 4086) } : {}) });
    }
    const body: Record<string, unknown> = {
      author,
      commentary: littleText(post.text),
      visibility: 'PUBLIC',
      distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
      lifecycleState: 'PUBLISHED',
      isReshareDisabledByAuthor: false,
    };
    if (images.length === 1) body.content = { media: images[0] };
    if (images.length > 1) body.content = { multiImage: { images } };
    const response = await callApi('linkedin', { url: `${apiBase(this.app)}/rest/posts`, headers: restHeaders(token), json: body }, classify);
    const urn = response.headers.get('x-restli-id') ?? response.json?.id;
    if (!urn) throw new PublishError('temporary', 'unexpected', 'linkedin accepted the post without returning its id');
    return { externalPostId: urn, url: postUrl(urn) };
  }

  async findPublished(account: ConnectedAccount, post: OutgoingPost, _idempotencyKey: string, since: Date): Promise<PublishResult | null> {
    const token = accessToken(account);
    const query = new URLSearchParams({ author: account.externalAccountId, q: 'author', count: String(LOOKUP_COUNT), sortBy: 'LAST_MODIFIED' });
    const response = await callApi('linkedin', { url: `${apiBase(this.app)}/rest/posts?${query}`, headers: restHeaders(token) }, classify);
    const wanted = new Set([littleText(post.text), post.text]);
    for (const element of response.json?.elements ?? []) {
      const at = Number(element.createdAt ?? element.publishedAt ?? 0);
      if (typeof element.id === 'string' && wanted.has(element.commentary) && at >= since.getTime()) return { externalPostId: element.id, url: postUrl(element.id) };
    }
    return null;
  }

  /**
   * Organisation posts: `organizationalEntityShareStatistics` (lifetime totals, organic only; rw_organization_admin)
   * with the posts' URNs as Rest.li lists — `shares=List(…)` for `urn:li:share`, `ugcPosts=List(…)` for
   * `urn:li:ugcPost`. A member's posts: `socialActions/{urn}` (likes and comments only — LinkedIn gives members no
   * impressions outside the partner-only memberCreatorPostAnalytics; the read needs r_member_social, which the
   * connector does not request: such accounts answer 403 until the app is granted it).
   */
  async fetchMetrics(account: ConnectedAccount, posts: PublishedPostRef[]): Promise<PostMetrics[]> {
    const token = accessToken(account);
    if (isOrganization(account)) return this.organizationMetrics(token, account.externalAccountId, posts);
    const found: PostMetrics[] = [];
    for (const post of posts) {
      let body: any;
      try {
        body = (await callApi('linkedin', { url: `${apiBase(this.app)}/rest/socialActions/${encodeURIComponent(post.externalId)}`, headers: restHeaders(token) }, classify)).json;
      } catch (err) {
        if (err instanceof PublishError && err.options.status === 404) continue; // deleted on LinkedIn
        throw err;
      }
      found.push(
        postMetrics(post.publicationId, {
          reactions: body?.likesSummary?.aggregatedTotalLikes ?? body?.likesSummary?.totalLikes,
          comments: body?.commentsSummary?.aggregatedTotalComments ?? body?.commentsSummary?.totalFirstLevelComments,
        }),
      );
    }
    return found;
  }

  /** An organisation's followers (`networkSizes`, edge COMPANY_FOLLOWED_BY_MEMBER); nothing for a member profile. */
  async fetchAccountMetrics(account: ConnectedAccount): Promise<AccountMetrics | null> {
    if (!isOrganization(account)) return null;
    const url = `${apiBase(this.app)}/rest/networkSizes/${encodeURIComponent(account.externalAccountId)}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`;
    const body = (await callApi('linkedin', { url, headers: restHeaders(accessToken(account)) }, classify)).json;
    return { followers: count(body?.firstDegreeSize), impressions: 0, reach: 0, profileViews: 0 };
  }

  private async organizationMetrics(token: string, organization: string, posts: PublishedPostRef[]): Promise<PostMetrics[]> {
    const found: PostMetrics[] = [];
    for (const batch of chunks(posts, STATISTICS_BATCH)) {
      const byUrn = new Map(batch.map((p) => [p.externalId, p.publicationId]));
      const list = (kind: string) => batch.filter((p) => p.externalId.startsWith(`urn:li:${kind}:`)).map((p) => encodeURIComponent(p.externalId));
      const shares = list('share');
      const ugcPosts = list('ugcPost');
      if (!shares.length && !ugcPosts.length) continue;
      let query = `q=organizationalEntity&organizationalEntity=${encodeURIComponent(organization)}`;
      if (shares.length) query += `&shares=List(${shares.join(',')})`;
      if (ugcPosts.length) query += `&ugcPosts=List(${ugcPosts.join(',')})`;
      const body = (await callApi('linkedin', { url: `${apiBase(this.app)}/rest/organizationalEntityShareStatistics?${query}`, headers: restHeaders(token) }, classify)).json;
      for (const element of body?.elements ?? []) {
        const publicationId = byUrn.get(element?.share ?? element?.ugcPost);
        if (!publicationId) continue;
        const stats = element.totalShareStatistics ?? {};
        found.push(
          postMetrics(publicationId, {
            impressions: stats.impressionCount,
            reach: stats.uniqueImpressionsCount,
            reactions: stats.likeCount,
            comments: stats.commentCount,
            shares: stats.shareCount,
            clicks: stats.clickCount,
          }),
        );
      }
    }
    return found;
  }

  private async uploadImage(token: string, owner: string, bytes: Buffer, mimeType: string): Promise<string> {
    const init = await callApi(
      'linkedin',
      { url: `${apiBase(this.app)}/rest/images?action=initializeUpload`, headers: restHeaders(token), json: { initializeUploadRequest: { owner } } },
      classify,
    );
    const { uploadUrl, image } = init.json?.value ?? {};
    if (typeof uploadUrl !== 'string' || typeof image !== 'string') throw new PublishError('temporary', 'unexpected', 'linkedin image upload was not initialised');
    await callApi('linkedin', { method: 'PUT', url: uploadUrl, headers: { authorization: `Bearer ${token}`, 'content-type': mimeType }, body: bytes }, (status) =>
      status === 400 || status === 413 || status === 422 ? 'mediaRejected' : undefined,
    );
    return image;
  }
}

function accessToken(account: ConnectedAccount): string {
  const token = account.credentials?.accessToken;
  if (!token) throw new PublishError('permanent', 'tokenRevoked', 'the account has no access token: reconnect it');
  return token;
}

function isOrganization(account: ConnectedAccount): boolean {
  return account.externalAccountId.startsWith('urn:li:organization:');
}

function postUrl(urn: string): string {
  return `https://www.linkedin.com/feed/update/${encodeURIComponent(urn)}/`;
}
