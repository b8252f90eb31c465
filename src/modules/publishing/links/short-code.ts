import crypto from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const SHORT_CODE_LENGTH = 8;

/** What `short_links.code` accepts (the CHECK of the migration): anything else is not looked up. */
const CODE_FORMAT = /^[A-Za-z0-9_-]{4,32}$/;

export function isShortCode(value: unknown): value is string {
  return typeof value === 'string' && CODE_FORMAT.test(value);
}

/** A random base62 code (62^8 ≈ 2·10^14): rejection sampling keeps every character equally likely. */
export function newShortCode(length = SHORT_CODE_LENGTH): string {
  let code = '';
  while (code.length < length) {
    for (const byte of crypto.randomBytes(length * 2)) {
      if (byte >= 248) continue; // 248 = 4 × 62: above it the modulo would favour the first characters
      code += ALPHABET[byte % 62];
      if (code.length === length) break;
    }
  }
  return code;
}
