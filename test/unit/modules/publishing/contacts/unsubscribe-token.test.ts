import crypto from 'node:crypto';
import { expect } from 'chai';
import { UnsubscribeTokens } from '../../../../../src/modules/publishing/contacts/unsubscribe-token.js';

describe('Unsubscribe tokens', () => {
  const tokens = new UnsubscribeTokens({ sessionSecret: 'a'.repeat(64) });
  const target = { tenantId: crypto.randomUUID(), contactId: crypto.randomUUID(), listId: crypto.randomUUID() };

  it('carry tenant, contact and optional list, verified without storage', () => {
    expect(tokens.verify(tokens.sign(target))).to.deep.equal(target);
    const global = { ...target, listId: null };
    const token = tokens.sign(global);
    expect(token).to.match(/^[A-Za-z0-9_-]+$/);
    expect(tokens.verify(token)).to.deep.equal(global);
  });

  it('refuse any change, another key, and garbage', () => {
    const token = tokens.sign(target);
    const raw = Buffer.from(token, 'base64url');
    for (let i = 0; i < raw.length; i += 7) {
      const copy = Buffer.from(raw);
      copy[i] ^= 1;
      expect(tokens.verify(copy.toString('base64url')), `byte ${i}`).to.equal(null);
    }
    expect(new UnsubscribeTokens({ sessionSecret: 'b'.repeat(64) }).verify(token)).to.equal(null);
    for (const bad of ['', 'abc', token + 'A', token.slice(0, -2), '../../etc', 'é'.repeat(20)]) expect(tokens.verify(bad), bad).to.equal(null);
  });
});
