import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import { derivedKey, TAG_BYTES, tagOf, tokenBytes, uuidBytes, uuidOf, verifiedBody } from '../../shared/signed-token.js';
import { appBaseUrl } from '../../shared/http/public-url.js';

/**
 * Public, time-limited links to a media file (`/m/<token>`), for the networks that download images themselves
 * (Instagram, Google Business Profile). The token carries the tenant, the asset, the variant and the expiry,
 * signed (HMAC-SHA-256, 128-bit tag) under a key derived from the session secret with its own label: a link
 * cannot be forged, extended, or pointed at another asset or tenant without the key, and is checked without
 * a database lookup before the asset is loaded in the token's tenant.
 *
 * Layout before base64url: version (1) · tenant id (16) · asset id (16) · variant (1) · expiry, Unix seconds (4) · tag (16).
 */

export const PUBLIC_LINK_LIFETIME_MS = 24 * 3600 * 1000;

export interface MediaPublicLink {
  tenantId: string;
  assetId: string;
  variant: 'original';
  expiresAt: Date;
}

export type PublicLinkCheck = { status: 'valid'; link: MediaPublicLink } | { status: 'expired' } | { status: 'invalid' };

const VERSION = 1;
const VARIANTS = ['original'] as const;
const BODY_BYTES = 1 + 16 + 16 + 1 + 4;

export class MediaPublicLinks {
  private readonly key: Buffer;
  private readonly baseUrl: string;

  constructor(private readonly deps: { sessionSecret: string; config: Pick<Config, 'publicUrl' | 'port'>; clock: Clock }) {
    this.key = derivedKey(deps.sessionSecret, 'brand/media-public-link/v1');
    this.baseUrl = appBaseUrl(deps.config);
  }

  /** The public URL of an asset's original, valid for `lifetimeMs` from now (24 h by default). */
  urlFor(tenantId: string, assetId: string, options: { lifetimeMs?: number } = {}): string {
    const expiresAt = new Date(this.deps.clock.now().getTime() + (options.lifetimeMs ?? PUBLIC_LINK_LIFETIME_MS));
    return `${this.baseUrl}/m/${this.sign({ tenantId, assetId, variant: 'original', expiresAt })}`;
  }

  sign(link: MediaPublicLink): string {
    const body = Buffer.alloc(BODY_BYTES);
    body[0] = VERSION;
    uuidBytes(link.tenantId).copy(body, 1);
    uuidBytes(link.assetId).copy(body, 17);
    body[33] = VARIANTS.indexOf(link.variant);
    // rounded up to the second, so a link never expires earlier than asked
    body.writeUInt32BE(Math.ceil(link.expiresAt.getTime() / 1000), 34);
    return Buffer.concat([body, tagOf(this.key, body)]).toString('base64url');
  }

  /** Genuine and unexpired (at the clock's now), genuine but expired, or anything else (malformed, tampered, another key). */
  verify(token: string): PublicLinkCheck {
    const raw = tokenBytes(token, 100);
    if (!raw || raw.length !== BODY_BYTES + TAG_BYTES || raw[0] !== VERSION) return { status: 'invalid' };
    const body = verifiedBody(this.key, raw);
    const variant = body ? VARIANTS[body[33]!] : undefined;
    if (!body || !variant) return { status: 'invalid' };
    const expiresAt = new Date(body.readUInt32BE(34) * 1000);
    if (expiresAt.getTime() <= this.deps.clock.now().getTime()) return { status: 'expired' };
    return { status: 'valid', link: { tenantId: uuidOf(body.subarray(1, 17)), assetId: uuidOf(body.subarray(17, 33)), variant, expiresAt } };
  }
}
