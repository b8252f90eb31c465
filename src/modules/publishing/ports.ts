/**
 * Publishing's outbound ports. A content leaves Cadence through a `SocialPublisher` (one per network, plus the
 * sandbox that records what would have been sent); its links are tagged and shortened by the `LinkTagger`
 * before it leaves.
 */

export const SOCIAL_CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business'] as const;
export type SocialChannel = (typeof SOCIAL_CHANNELS)[number];

export function isSocialChannel(value: unknown): value is SocialChannel {
  return typeof value === 'string' && (SOCIAL_CHANNELS as readonly string[]).includes(value);
}

/** Decrypted tokens of a connected account (stored encrypted in `channel_accounts.credentials_encrypted`). */
export interface AccountCredentials {
  accessToken: string;
  refreshToken?: string | null;
  expiresAt?: string | null;
  /** Network-specific values (page token, person URN…). */
  extra?: Record<string, string>;
}

export interface ConnectedAccount {
  id: string;
  tenantId: string;
  channel: SocialChannel;
  externalAccountId: string;
  accountType: string | null;
  displayName: string;
  sandbox: boolean;
  credentials: AccountCredentials | null;
}

export interface OutgoingMedia {
  mimeType: string;
  altText: string | null;
  filename: string;
  /** The file's bytes (read from the media library's storage when the adapter needs to upload them). */
  read(): Promise<Buffer>;
}

export interface OutgoingPost {
  /** The text as it will appear, links already tagged and shortened. */
  text: string;
  title: string;
  media: OutgoingMedia[];
}

export interface PublishResult {
  externalPostId: string;
  url: string | null;
}

/**
 * A network refused or failed. `temporary` (rate limit, 5xx, network) is retried with backoff; `permanent`
 * (revoked token, rejected media, content refused) fails the publication with its reason.
 */
export class PublishError extends Error {
  constructor(
    readonly kind: 'temporary' | 'permanent',
    /** i18n key `publishing.errors.<code>` shown to the client. */
    readonly code: string,
    message: string,
    readonly options: { retryAfterMs?: number; status?: number } = {},
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

export interface SocialPublisher {
  readonly channel: SocialChannel;
  publish(account: ConnectedAccount, post: OutgoingPost, idempotencyKey: string): Promise<PublishResult>;
  /**
   * Exactly once after a crash: a publication found `sending` may or may not have reached the network. Before
   * sending again, the engine asks whether a post with this exact text already exists on the account since
   * `since`; a found post is recorded instead of sending a second one.
   */
  findPublished(account: ConnectedAccount, post: OutgoingPost, idempotencyKey: string, since: Date): Promise<PublishResult | null>;
}

/** What the engine publishes through: the network's real adapter, or the sandbox for sandbox accounts. */
export interface PublisherRegistry {
  publisherFor(account: ConnectedAccount): SocialPublisher;
}

export interface LinkContext {
  tenantId: string;
  channel: string;
  contentId: string;
  /** `campaigns.utm_campaign`, or the month (`2026-11`) when the content has no campaign. */
  campaign: string;
}

/** Tags every http(s) link of a text with UTM parameters and replaces it with the tenant's short link. Idempotent. */
export interface LinkTagger {
  tagText(text: string, context: LinkContext): Promise<string>;
}
