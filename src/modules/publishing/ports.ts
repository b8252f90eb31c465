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
  /**
   * A public, signed, time-limited URL of the file (`/m/<token>`), for networks that download media themselves
   * (Instagram, Google Business Profile) instead of taking uploaded bytes. Absent when the media cannot be served
   * that way; such networks then refuse the post (`mediaNeedsPublicUrl`) rather than send it without its image.
   */
  publicUrl?: () => Promise<string>;
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
  /**
   * Engagement of published posts: the totals the network reports now (cumulative since publication). Posts the
   * network no longer knows (deleted) are left out of the answer. Absent on networks (and the sandbox, which has no
   * audience) that report nothing.
   */
  fetchMetrics?(account: ConnectedAccount, posts: PublishedPostRef[]): Promise<PostMetrics[]>;
  /** The account's audience as the network reports it now; null when it reports nothing for this kind of account. */
  fetchAccountMetrics?(account: ConnectedAccount): Promise<AccountMetrics | null>;
}

/** A post Cadence published on the account, for `fetchMetrics`. */
export interface PublishedPostRef {
  publicationId: string;
  /** `publications.external_post_id`. */
  externalId: string;
  publishedAt: Date;
}

/** A post's totals as the network reports them; a measure the network does not report is 0. */
export interface PostMetrics {
  publicationId: string;
  impressions: number;
  reach: number;
  reactions: number;
  comments: number;
  shares: number;
  clicks: number;
  saves: number;
  videoViews: number;
}

/** An account's audience now: followers when the network says (else null), the rest 0 when it does not report it. */
export interface AccountMetrics {
  followers: number | null;
  impressions: number;
  reach: number;
  profileViews: number;
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

/** An account the network lets the user publish as (a page, an organisation, a profile, a business location). */
export interface DiscoveredAccount {
  externalAccountId: string;
  accountType: string;
  displayName: string;
  avatarUrl: string | null;
  /** Tokens for this account (a page token may differ from the user token). */
  credentials: AccountCredentials;
  scopes: string[];
}

/** The platform's OAuth app for a network (from `platform_connectors`: settings + decrypted secrets). */
export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  /** Override of the network's API and authorisation base URLs (the test emulator, a regional endpoint). */
  apiBaseUrl?: string | null;
  authBaseUrl?: string | null;
}

/** One network's OAuth 2 connect flow and token upkeep. */
export interface OAuthConnector {
  readonly channel: SocialChannel;
  /** Where to send the user (authorisation code flow; PKCE where the network supports it). */
  authorizationUrl(app: OAuthApp, input: { state: string; redirectUri: string; codeChallenge: string }): string;
  /** Code → tokens → the accounts the user may publish as. */
  connect(app: OAuthApp, input: { code: string; redirectUri: string; codeVerifier: string }): Promise<DiscoveredAccount[]>;
  /** A fresh access token before it expires (PublishError permanent `tokenRevoked` when the refresh is refused). */
  refresh(app: OAuthApp, credentials: AccountCredentials): Promise<AccountCredentials>;
  /** The super admin's "test connection": proves the app credentials are accepted (no user needed). */
  testApp(app: OAuthApp): Promise<{ ok: boolean; message: string }>;
}
