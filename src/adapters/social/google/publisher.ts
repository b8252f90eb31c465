import { PublishError, type ConnectedAccount, type OAuthApp, type OutgoingPost, type PublishResult, type SocialPublisher } from '../../../modules/publishing/ports.js';
import { callApi, type RefusalClassifier } from '../http.js';
import { firstLink, isImage, publicUrlOf } from '../meta/outgoing.js';
import { googleHost } from './api.js';

const MAX_SUMMARY = 1500;
const MAX_RESULT_PAGES = 5;

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
