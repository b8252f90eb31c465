import { expect } from 'chai';
import { backoffMs, publicationKey } from '../../../../../src/modules/publishing/engine/domain.js';
import { monthCampaign } from '../../../../../src/modules/publishing/engine/outgoing-post.js';

describe('Publishing engine: keys, backoff and the month campaign', () => {
  it('one deterministic key per content and account', () => {
    const a = publicationKey('c1', 'a1');
    expect(a).to.equal('pub:c1:a1');
    expect(publicationKey('c1', 'a1')).to.equal(a);
    expect(publicationKey('c1', 'a2')).not.to.equal(a);
    // fits the column (128) with two uuids
    expect(publicationKey('0'.repeat(36), 'f'.repeat(36)).length).to.be.at.most(128);
  });

  it('backs off exponentially from one minute, capped at one hour', () => {
    expect([1, 2, 3, 4].map(backoffMs)).to.deep.equal([60_000, 120_000, 240_000, 480_000]);
    expect(backoffMs(20)).to.equal(60 * 60 * 1000);
  });

  it('names the month in the tenant’s time zone', () => {
    const newYearParis = new Date('2026-12-31T23:30:00Z'); // already 1 January in Paris
    expect(monthCampaign(newYearParis, 'Europe/Paris')).to.equal('2027-01');
    expect(monthCampaign(newYearParis, 'America/New_York')).to.equal('2026-12');
  });
});
