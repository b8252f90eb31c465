import { expect } from 'chai';
import { parseRetryAfter } from '../../../src/shared/http/retry-after.js';

describe('shared/http parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');

  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).to.equal(120_000);
    expect(parseRetryAfter(' 0 ', now)).to.equal(0);
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:30 GMT', now)).to.equal(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 09:00:00 GMT', now)).to.equal(0); // already past
  });

  it('gives nothing for an absent, negative or unreadable value', () => {
    for (const value of [null, undefined, '', '-5', 'soon']) expect(parseRetryAfter(value, now), String(value)).to.equal(undefined);
  });
});
