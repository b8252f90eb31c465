import crypto from 'node:crypto';

/**
 * Unsubscribe links carry who and what in the token itself, signed (HMAC-SHA-256, 128-bit tag), so a link is
 * checked without a database lookup and cannot be forged or pointed at another contact. The key is derived
 * (HKDF) from the session secret with its own label: no new setting, and no other use of the key can produce
 * a valid tag. Tokens do not expire: an unsubscribe link must keep working as long as the mail is read.
 *
 * Layout before base64url: version (1 byte) · tenant id (16) · contact id (16) · [list id (16)] · tag (16).
 */
export interface UnsubscribeTarget {
  tenantId: string;
  contactId: string;
  listId: string | null;
}

const VERSION = 1;
const TAG_BYTES = 16;

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function uuidOf(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class UnsubscribeTokens {
  private readonly key: Buffer;

  constructor(deps: { sessionSecret: string }) {
    this.key = Buffer.from(crypto.hkdfSync('sha256', deps.sessionSecret, 'cadence', 'contacts/unsubscribe-link/v1', 32));
  }

  sign(target: UnsubscribeTarget): string {
    const body = Buffer.concat([Buffer.from([VERSION]), uuidBytes(target.tenantId), uuidBytes(target.contactId), ...(target.listId ? [uuidBytes(target.listId)] : [])]);
    return Buffer.concat([body, this.tag(body)]).toString('base64url');
  }

  /** The target of a genuine token; null for anything else (malformed, tampered, another key). */
  verify(token: string): UnsubscribeTarget | null {
    if (typeof token !== 'string' || token.length > 120 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
    const raw = Buffer.from(token, 'base64url');
    if (raw.length !== 1 + 32 + TAG_BYTES && raw.length !== 1 + 48 + TAG_BYTES) return null;
    if (raw[0] !== VERSION) return null;
    const body = raw.subarray(0, raw.length - TAG_BYTES);
    if (!crypto.timingSafeEqual(this.tag(body), raw.subarray(raw.length - TAG_BYTES))) return null;
    return {
      tenantId: uuidOf(body.subarray(1, 17)),
      contactId: uuidOf(body.subarray(17, 33)),
      listId: body.length === 49 ? uuidOf(body.subarray(33, 49)) : null,
    };
  }

  private tag(body: Buffer): Buffer {
    return crypto.createHmac('sha256', this.key).update(body).digest().subarray(0, TAG_BYTES);
  }
}
