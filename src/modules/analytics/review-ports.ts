import type { ConnectedAccount } from '../publishing/ports.js';

/** A review as the network reports it (Google Business Profile). */
export interface ExternalReview {
  /** The network's identifier of the review, unique for the account (`external_id`). */
  externalId: string;
  authorName: string;
  /** 1 to 5. */
  rating: number;
  text: string;
  reviewedAt: Date;
  /** A reply already on the network (made here or in the network's own tools). */
  reply: { text: string; updatedAt: Date } | null;
}

export interface ReviewListing {
  reviews: ExternalReview[];
  /** False when the listing stopped before the last page (so a review missing from it may still exist). */
  complete: boolean;
}

/**
 * Where reviews of a connected account are read and answered. Errors are `PublishError`s (temporary / permanent,
 * with a `publishing.errors.<code>` the client can read), like publishing's.
 */
export interface ReviewSource {
  listReviews(account: ConnectedAccount): Promise<ReviewListing>;
  /** Creates or replaces the owner's reply to the review. */
  replyToReview(account: ConnectedAccount, reviewId: string, text: string): Promise<{ repliedAt: Date }>;
}
