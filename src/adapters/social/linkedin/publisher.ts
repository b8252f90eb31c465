import { PublishError, type ConnectedAccount, type OAuthApp, type OutgoingPost, type PublishResult, type SocialPublisher } from '../../../modules/publishing/ports.js';
import { callApi, type RefusalClassifier } from '../http.js';
import { apiBase, littleText, restHeaders } from './api.js';

const classify: RefusalClassifier = (status, _body, text) => {
  if (status === 422 && /duplicate/i.test(text)) return 'duplicateContent';
  return undefined;
};

/** How many of the author's latest posts are searched for an interrupted attempt. */
const LOOKUP_COUNT = 50;

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

function postUrl(urn: string): string {
  return `https://www.linkedin.com/feed/update/${encodeURIComponent(urn)}/`;
}
