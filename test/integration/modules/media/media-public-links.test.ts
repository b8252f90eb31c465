import fs from 'node:fs';
import { expect } from 'chai';
import supertest from 'supertest';
import { testEnv } from '../../../support/root-hooks.js';
import { cradle, MINIMAL_PDF, randomJpeg, randomPng, TENANT_A, TENANT_B, tenantIdBySlug } from './support.js';

function tokenOf(url: string): string {
  return /\/m\/([A-Za-z0-9_-]+)$/.exec(url)![1]!;
}

describe('Public media links: GET /m/<token>', function () {
  this.timeout(30_000);
  let tenantA: string;
  let tenantB: string;

  before(async () => {
    tenantA = await tenantIdBySlug(TENANT_A);
    tenantB = await tenantIdBySlug(TENANT_B);
  });

  async function upload(tenantId: string, data: Buffer, filename: string) {
    return (await cradle().mediaService.upload(tenantId, { data, filename })).asset;
  }

  it('serves the original bytes with their type, inline, privately cached, without session or cookie', async () => {
    const bytes = await randomJpeg();
    const asset = await upload(tenantA, bytes, 'croissant du jour.jpg');
    const url = cradle().mediaPublicLinks.urlFor(tenantA, asset.id);
    expect(url).to.match(new RegExp(`^http://localhost:${testEnv().config.port}/m/`));

    const res = await supertest(testEnv().app).get(`/m/${tokenOf(url)}`).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(res.status).to.equal(200);
    expect(Buffer.compare(res.body as Buffer, bytes)).to.equal(0);
    expect(res.headers['content-type']).to.equal('image/jpeg');
    expect(res.headers['content-length']).to.equal(String(bytes.length));
    expect(res.headers['cache-control']).to.equal('private, max-age=3600');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['content-disposition']).to.match(/^inline; filename="croissant du jour\.jpg"/);
    expect(res.headers['set-cookie'], 'a fetch by a network must not leave a session behind').to.equal(undefined);

    const head = await supertest(testEnv().app).head(`/m/${tokenOf(url)}`);
    expect(head.status).to.equal(200);
    expect(head.headers['content-type']).to.equal('image/jpeg');
    expect(head.headers['set-cookie']).to.equal(undefined);
  });

  it('410 once expired, 404 when tampered or malformed — neither leaves a cookie', async () => {
    const asset = await upload(tenantA, await randomPng(), 'vitrine.png');
    const links = cradle().mediaPublicLinks;
    const expired = links.sign({ tenantId: tenantA, assetId: asset.id, variant: 'original', expiresAt: new Date(Date.now() - 1000) });
    const gone = await supertest(testEnv().app).get(`/m/${expired}`);
    expect(gone.status).to.equal(410);
    expect(gone.text).to.include('Ce lien vers le média a expiré.');
    expect(gone.headers['set-cookie']).to.equal(undefined);

    const raw = Buffer.from(tokenOf(links.urlFor(tenantA, asset.id)), 'base64url');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 0x80;
    for (const token of [raw.toString('base64url'), 'not-a-token', 'x'.repeat(300)]) {
      const res = await supertest(testEnv().app).get(`/m/${token}`);
      expect(res.status, token).to.equal(404);
      expect(res.headers['set-cookie']).to.equal(undefined);
    }
  });

  it('another tenant’s asset cannot be reached: a token with the tenant swapped is invalid, a genuine token is read in its own tenant only', async () => {
    const assetOfB = await upload(tenantB, await randomPng(), 'atelier.png');
    const links = cradle().mediaPublicLinks;
    // forged: tenant A's genuine link with B's asset id written in (no key to re-sign)
    const raw = Buffer.from(tokenOf(links.urlFor(tenantA, assetOfB.id)), 'base64url');
    Buffer.from(tenantB.replace(/-/g, ''), 'hex').copy(raw, 1);
    expect((await supertest(testEnv().app).get(`/m/${raw.toString('base64url')}`)).status).to.equal(404);
    // a genuine token naming tenant A and B's asset: loaded under A's row-level security, not found
    expect((await supertest(testEnv().app).get(`/m/${tokenOf(links.urlFor(tenantA, assetOfB.id))}`)).status).to.equal(404);
    // and B's own link works
    expect((await supertest(testEnv().app).get(`/m/${tokenOf(links.urlFor(tenantB, assetOfB.id))}`)).status).to.equal(200);
  });

  it('does not serve documents (PDF) nor archived or deleted assets', async () => {
    const pdf = await upload(tenantA, fs.readFileSync(MINIMAL_PDF), 'menu.pdf');
    expect(pdf.kind).to.equal('pdf');
    const links = cradle().mediaPublicLinks;
    expect((await supertest(testEnv().app).get(`/m/${tokenOf(links.urlFor(tenantA, pdf.id))}`)).status).to.equal(404);

    const archived = await upload(tenantA, await randomPng(), 'ancienne.png');
    const archivedUrl = links.urlFor(tenantA, archived.id);
    expect((await supertest(testEnv().app).get(`/m/${tokenOf(archivedUrl)}`)).status).to.equal(200);
    await cradle().database.forTenant(tenantA, (trx) => trx('mediaAssets').where({ tenantId: tenantA, id: archived.id }).update({ status: 'archived' }));
    expect((await supertest(testEnv().app).get(`/m/${tokenOf(archivedUrl)}`)).status).to.equal(404);

    const deleted = await upload(tenantA, await randomPng(), 'supprimee.png');
    const deletedUrl = links.urlFor(tenantA, deleted.id);
    await cradle().mediaService.delete(tenantA, deleted.id);
    expect((await supertest(testEnv().app).get(`/m/${tokenOf(deletedUrl)}`)).status).to.equal(404);
  });
});
