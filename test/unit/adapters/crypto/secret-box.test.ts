import crypto from 'node:crypto';
import { expect } from 'chai';
import { SecretBox } from '../../../../src/adapters/crypto/secret-box.js';

const KEY = crypto.randomBytes(32).toString('hex');

/** Flips one bit of one base64url part of a sealed secret (0 version, 1 iv, 2 tag, 3 ciphertext). */
function tamper(sealed: string, part: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[0] ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox (AES-256-GCM secrets at rest)', () => {
  const box = new SecretBox(KEY);

  it('opens what it sealed, and the sealed text holds no plaintext', () => {
    const secret = 'sk-ant-api03-very-secret-key-1234';
    const sealed = box.seal(secret);
    expect(sealed).to.match(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.to.include(secret);
    expect(sealed).not.to.include('1234');
    expect(box.open(sealed)).to.equal(secret);
  });

  it('uses a fresh IV for every seal', () => {
    const a = box.seal('same secret');
    const b = box.seal('same secret');
    expect(a).not.to.equal(b);
    expect(a.split('.')[1]).not.to.equal(b.split('.')[1]);
    expect(box.open(a)).to.equal(box.open(b));
  });

  it('keeps unicode and empty secrets intact', () => {
    expect(box.open(box.seal(''))).to.equal('');
    expect(box.open(box.seal('clé-é€-🔑'))).to.equal('clé-é€-🔑');
  });

  it('refuses a tampered ciphertext, IV or authentication tag', () => {
    const sealed = box.seal('sk-test-0000-abcd');
    for (const part of [1, 2, 3]) expect(() => box.open(tamper(sealed, part)), `part ${part}`).to.throw();
  });

  it('refuses a secret sealed under another master key', () => {
    const other = new SecretBox(crypto.randomBytes(32).toString('hex'));
    expect(() => other.open(box.seal('sk-test-0000-abcd'))).to.throw();
  });

  it('refuses unknown formats and versions', () => {
    const sealed = box.seal('x');
    expect(() => box.open('not sealed')).to.throw(/unrecognised/);
    expect(() => box.open(sealed.replace(/^v1\./, 'v2.'))).to.throw(/unrecognised/);
  });

  it('requires a 32-byte master key', () => {
    expect(() => new SecretBox('abcd')).to.throw(/32 bytes/);
    expect(() => new SecretBox(crypto.randomBytes(16).toString('hex'))).to.throw(/32 bytes/);
  });
});
