import crypto from 'node:crypto';

/**
 * Pieces of the self-verifying links Cadence hands out (unsubscribe links, public media links): a key derived
 * (HKDF-SHA-256) from the session secret under a label of its own — no new setting, and a tag made for one use
 * is never valid for another — and a truncated HMAC-SHA-256 tag compared in constant time.
 */

export const TAG_BYTES = 16;

/** A 256-bit key for one use of the secret; `label` names the use and its version (`contacts/unsubscribe-link/v1`). */
export function derivedKey(secret: string, label: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, 'cadence', label, 32));
}

/** The 128-bit HMAC-SHA-256 tag of `body`. */
export function tagOf(key: Buffer, body: Buffer): Buffer {
  return crypto.createHmac('sha256', key).update(body).digest().subarray(0, TAG_BYTES);
}

/** `raw` is a body followed by its genuine tag: the body, else null. */
export function verifiedBody(key: Buffer, raw: Buffer): Buffer | null {
  if (raw.length <= TAG_BYTES) return null;
  const body = raw.subarray(0, raw.length - TAG_BYTES);
  return crypto.timingSafeEqual(tagOf(key, body), raw.subarray(raw.length - TAG_BYTES)) ? body : null;
}

/** The raw bytes of a base64url token of at most `maxLength` characters; null for anything else. */
export function tokenBytes(token: unknown, maxLength: number): Buffer | null {
  if (typeof token !== 'string' || token.length === 0 || token.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
  return Buffer.from(token, 'base64url');
}

export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

export function uuidOf(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
