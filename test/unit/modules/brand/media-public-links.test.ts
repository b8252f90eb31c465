import crypto from 'node:crypto';
import { expect } from 'chai';
import { MediaPublicLinks, PUBLIC_LINK_LIFETIME_MS } from '../../../../src/modules/brand/media-public-links.js';
import { UnsubscribeTokens } from '../../../../src/modules/publishing/contacts/unsubscribe-token.js';

const TENANT = '6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f';
const OTHER_TENANT = '0d9e8f7a-6b5c-4d3e-9f2a-1b0c9d8e7f6a';
const ASSET = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const SECRET = 'test-session-secret-0123456789abcdef';

function linksAt(now: Date, options: { secret?: string; publicUrl?: string } = {}) {
  const clock = { current: now, now() { return new Date(this.current); } };
  const links = new MediaPublicLinks({ sessionSecret: options.secret ?? SECRET, config: { publicUrl: options.publicUrl, port: 3000 }, clock });
  return { links, clock };
}

function tokenOf(url: string): string {
  return /\/m\/([A-Za-z0-9_-]+)$/.exec(url)![1]!;
}

/** The token with one byte of its decoded form changed. */
function flipByte(token: string, index: number): string {
  const raw = Buffer.from(token, 'base64url');
  raw[index] = raw[index]! ^ 0x01;
  return raw.toString('base64url');
}

describe('Media public links (signed, time-limited /m/<token>)', () => {
  const now = new Date('2026-11-20T10:00:00.000Z');

  it('signs tenant, asset, variant and expiry; verifies them back until expiry (24 h by default)', () => {
    const { links, clock } = linksAt(now);
    const url = links.urlFor(TENANT, ASSET);
    expect(url).to.match(/^http:\/\/localhost:3000\/m\/[A-Za-z0-9_-]{60,80}$/);
    const check = links.verify(tokenOf(url));
    expect(check).to.deep.equal({
      status: 'valid',
      link: { tenantId: TENANT, assetId: ASSET, variant: 'original', expiresAt: new Date(now.getTime() + PUBLIC_LINK_LIFETIME_MS) },
    });
    clock.current = new Date(now.getTime() + PUBLIC_LINK_LIFETIME_MS - 1000);
    expect(links.verify(tokenOf(url)).status).to.equal('valid');
    clock.current = new Date(now.getTime() + PUBLIC_LINK_LIFETIME_MS);
    expect(links.verify(tokenOf(url))).to.deep.equal({ status: 'expired' });
  });

  it('uses PUBLIC_URL (without trailing slash) as the base, like short links; honours a given lifetime', () => {
    const { links, clock } = linksAt(now, { publicUrl: 'https://app.cadence.fr/' });
    const url = links.urlFor(TENANT, ASSET, { lifetimeMs: 60_000 });
    expect(url.startsWith('https://app.cadence.fr/m/')).to.equal(true);
    clock.current = new Date(now.getTime() + 59_000);
    expect(links.verify(tokenOf(url)).status).to.equal('valid');
    clock.current = new Date(now.getTime() + 60_000);
    expect(links.verify(tokenOf(url)).status).to.equal('expired');
  });

  it('refuses every tampered byte (tenant, asset, variant, expiry, tag) as invalid — not as expired', () => {
    const { links } = linksAt(now);
    const token = links.sign({ tenantId: TENANT, assetId: ASSET, variant: 'original', expiresAt: new Date(now.getTime() + 3600_000) });
    const length = Buffer.from(token, 'base64url').length;
    expect(length).to.equal(54);
    for (let i = 0; i < length; i++) expect(links.verify(flipByte(token, i)), `byte ${i}`).to.deep.equal({ status: 'invalid' });
    // an expired token whose expiry was pushed forward is a forgery, not a renewal
    const expired = links.sign({ tenantId: TENANT, assetId: ASSET, variant: 'original', expiresAt: new Date(now.getTime() - 1000) });
    expect(links.verify(expired).status).to.equal('expired');
    expect(links.verify(flipByte(expired, 36))).to.deep.equal({ status: 'invalid' });
  });

  it('cannot be pointed at another tenant without the key: a token re-signed under another key or label is invalid', () => {
    const { links } = linksAt(now);
    const genuine = Buffer.from(links.sign({ tenantId: TENANT, assetId: ASSET, variant: 'original', expiresAt: new Date(now.getTime() + 3600_000) }), 'base64url');
    const forged = Buffer.from(genuine);
    Buffer.from(OTHER_TENANT.replace(/-/g, ''), 'hex').copy(forged, 1);
    expect(links.verify(forged.toString('base64url')).status).to.equal('invalid');
    // signed with a guessed key (another secret): invalid
    const other = linksAt(now, { secret: 'another-secret-entirely-0123456789' }).links;
    expect(links.verify(tokenOf(other.urlFor(OTHER_TENANT, ASSET))).status).to.equal('invalid');
    // the same secret's unsubscribe key cannot sign media links (own HKDF label)
    const body = forged.subarray(0, 38);
    const unsubscribeKey = Buffer.from(crypto.hkdfSync('sha256', SECRET, 'cadence', 'contacts/unsubscribe-link/v1', 32));
    const tag = crypto.createHmac('sha256', unsubscribeKey).update(body).digest().subarray(0, 16);
    expect(links.verify(Buffer.concat([body, tag]).toString('base64url')).status).to.equal('invalid');
    // and unsubscribe tokens still verify after the shared-helper refactor
    const unsubscribe = new UnsubscribeTokens({ sessionSecret: SECRET });
    const target = { tenantId: TENANT, contactId: ASSET, listId: null };
    expect(unsubscribe.verify(unsubscribe.sign(target))).to.deep.equal(target);
  });

  it('rejects malformed tokens without throwing', () => {
    const { links } = linksAt(now);
    for (const token of ['', 'abc', 'x'.repeat(500), '../../etc/passwd', 'AAAA%00', Buffer.alloc(54).toString('base64url')]) {
      expect(links.verify(token), JSON.stringify(token)).to.deep.equal({ status: 'invalid' });
    }
    expect(links.verify(undefined as unknown as string)).to.deep.equal({ status: 'invalid' });
  });
});
