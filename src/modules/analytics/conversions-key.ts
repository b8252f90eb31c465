import { derivedKey, TAG_BYTES, tagOf, tokenBytes, uuidBytes, uuidOf, verifiedBody } from '../../shared/signed-token.js';

/**
 * A tenant's conversion key: the tenant id signed (HMAC-SHA-256, 128-bit tag, key derived from the session secret
 * under its own label), so the endpoint knows the tenant from the key alone, with no table and no lookup, and the
 * settings page can show it again at any time. A key cannot be rotated or revoked on its own (changing the session
 * secret would change every tenant's key and every signed link): out of scope for now.
 *
 * Layout before base64url: version (1 byte) · tenant id (16) · tag (16) — 44 characters.
 */
const VERSION = 1;
const LENGTH = 1 + 16 + TAG_BYTES;

export class ConversionKeys {
  private readonly key: Buffer;

  constructor(deps: { sessionSecret: string }) {
    this.key = derivedKey(deps.sessionSecret, 'analytics/conversion-key/v1');
  }

  keyOf(tenantId: string): string {
    const body = Buffer.concat([Buffer.from([VERSION]), uuidBytes(tenantId)]);
    return Buffer.concat([body, tagOf(this.key, body)]).toString('base64url');
  }

  /** The tenant of a genuine key; null for anything else (malformed, tampered, another secret). */
  tenantOf(key: unknown): string | null {
    const raw = tokenBytes(key, 64);
    if (!raw || raw.length !== LENGTH || raw[0] !== VERSION) return null;
    const body = verifiedBody(this.key, raw);
    return body ? uuidOf(body.subarray(1, 17)) : null;
  }
}
