import { derivedKey, TAG_BYTES, tagOf, tokenBytes, uuidBytes, uuidOf, verifiedBody } from '../../../shared/signed-token.js';

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

export class UnsubscribeTokens {
  private readonly key: Buffer;

  constructor(deps: { sessionSecret: string }) {
    this.key = derivedKey(deps.sessionSecret, 'contacts/unsubscribe-link/v1');
  }

  sign(target: UnsubscribeTarget): string {
    const body = Buffer.concat([Buffer.from([VERSION]), uuidBytes(target.tenantId), uuidBytes(target.contactId), ...(target.listId ? [uuidBytes(target.listId)] : [])]);
    return Buffer.concat([body, tagOf(this.key, body)]).toString('base64url');
  }

  /** The target of a genuine token; null for anything else (malformed, tampered, another key). */
  verify(token: string): UnsubscribeTarget | null {
    const raw = tokenBytes(token, 120);
    if (!raw || (raw.length !== 1 + 32 + TAG_BYTES && raw.length !== 1 + 48 + TAG_BYTES)) return null;
    if (raw[0] !== VERSION) return null;
    const body = verifiedBody(this.key, raw);
    if (!body) return null;
    return {
      tenantId: uuidOf(body.subarray(1, 17)),
      contactId: uuidOf(body.subarray(17, 33)),
      listId: body.length === 49 ? uuidOf(body.subarray(33, 49)) : null,
    };
  }
}
