import type { ExternalReview, ReviewListing, ReviewSource } from '../../../modules/analytics/review-ports.js';
import { PublishError, type ConnectedAccount, type OAuthApp } from '../../../modules/publishing/ports.js';
import { callApi, type RefusalClassifier } from '../http.js';
import { googleHost } from './api.js';

/** Google's maximum page size for reviews.list. */
const PAGE_SIZE = 50;
/** 1,000 reviews per sync and location; beyond that the listing is marked incomplete. */
const MAX_PAGES = 20;
/** ReviewReply.comment is limited to 4096 (bytes per the reference); we stay under it in characters and bytes. */
export const MAX_REPLY_BYTES = 4096;

const STARS: Record<string, number> = { ONE: 1, TWO: 2, THREE: 3, FOUR: 4, FIVE: 5 };

/**
 * Google Business Profile reviews (API v4, mybusiness.googleapis.com): `GET v4/{location}/reviews` (paginated,
 * newest update first) and `PUT v4/{location}/reviews/{reviewId}/reply` with a ReviewReply `{ comment }`, which
 * creates the reply or replaces it. Both need the location to be verified and the business.manage scope.
 */
export class GoogleBusinessReviews implements ReviewSource {
  constructor(private readonly app: OAuthApp) {}

  async listReviews(account: ConnectedAccount): Promise<ReviewListing> {
    const token = accessToken(account);
    const reviews: ExternalReview[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const url = new URL(`${this.locationUrl(account)}/reviews`);
      url.searchParams.set('pageSize', String(PAGE_SIZE));
      if (pageToken) url.searchParams.set('pageToken', pageToken);
      const { json } = await callApi('google_business', { url: url.toString(), headers: { authorization: `Bearer ${token}` } }, classify(account));
      for (const raw of Array.isArray(json?.reviews) ? json.reviews : []) {
        const review = toReview(raw);
        if (review) reviews.push(review);
      }
      pageToken = typeof json?.nextPageToken === 'string' && json.nextPageToken ? json.nextPageToken : undefined;
      if (!pageToken) return { reviews, complete: true };
    }
    return { reviews, complete: false };
  }

  async replyToReview(account: ConnectedAccount, reviewId: string, text: string): Promise<{ repliedAt: Date }> {
    const token = accessToken(account);
    if (!/^[\w-]+$/.test(reviewId)) throw new PublishError('permanent', 'unexpected', `google_business: not a review id: ${reviewId}`);
    if (Buffer.byteLength(text, 'utf8') > MAX_REPLY_BYTES) throw new PublishError('permanent', 'contentRejected', `google_business: a reply is limited to ${MAX_REPLY_BYTES} bytes`);
    const { json } = await callApi(
      'google_business',
      { method: 'PUT', url: `${this.locationUrl(account)}/reviews/${reviewId}/reply`, json: { comment: text }, headers: { authorization: `Bearer ${token}` } },
      classify(account, 'reviewNotFound'),
    );
    const updated = typeof json?.updateTime === 'string' ? new Date(json.updateTime) : new Date();
    return { repliedAt: Number.isNaN(updated.getTime()) ? new Date() : updated };
  }

  private locationUrl(account: ConnectedAccount): string {
    if (!/^accounts\/[^/]+\/locations\/[^/]+$/.test(account.externalAccountId)) {
      throw new PublishError('permanent', 'accountNotConnected', `google_business: not a location name: ${account.externalAccountId}`);
    }
    return `${googleHost(this.app, 'posts')}/v4/${account.externalAccountId}`;
  }
}

/** A Review resource, or null when it lacks what a row needs (an id, a star rating, a date). */
function toReview(raw: any): ExternalReview | null {
  const externalId = typeof raw?.reviewId === 'string' && raw.reviewId ? raw.reviewId : typeof raw?.name === 'string' ? raw.name.replace(/^.*\/reviews\//, '') : '';
  const rating = STARS[String(raw?.starRating)];
  const reviewedAt = new Date(String(raw?.createTime ?? ''));
  if (!externalId || !rating || Number.isNaN(reviewedAt.getTime())) return null;
  const reviewer = raw.reviewer ?? {};
  const reply = raw.reviewReply && typeof raw.reviewReply.comment === 'string' ? raw.reviewReply : null;
  const replyAt = reply ? new Date(String(reply.updateTime ?? '')) : null;
  return {
    externalId: externalId.slice(0, 255),
    authorName: reviewer.isAnonymous ? '' : String(reviewer.displayName ?? '').slice(0, 200),
    rating,
    text: typeof raw.comment === 'string' ? raw.comment : '',
    reviewedAt,
    reply: reply ? { text: reply.comment, updatedAt: replyAt && !Number.isNaN(replyAt.getTime()) ? replyAt : reviewedAt } : null,
  };
}

function accessToken(account: ConnectedAccount): string {
  const token = account.credentials?.accessToken;
  if (!token) throw new PublishError('permanent', 'accountNotConnected', 'google_business: the account has no token');
  return token;
}

/** As for local posts: a 401 past `expiresAt` is an expired token, before it a revoked one; 404 the thing is gone. */
function classify(account: ConnectedAccount, notFound = 'accountNotConnected'): RefusalClassifier {
  return (status) => {
    if (status === 401) {
      const expiresAt = account.credentials?.expiresAt ? Date.parse(account.credentials.expiresAt) : NaN;
      return Number.isFinite(expiresAt) && expiresAt <= Date.now() ? 'tokenExpired' : 'tokenRevoked';
    }
    if (status === 404) return notFound;
    return undefined;
  };
}
