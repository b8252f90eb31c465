import crypto from 'node:crypto';
import { expect } from 'chai';
import { AppError } from '../../../../src/shared/errors.js';
import { createTenant } from '../../../support/tenants.js';
import { testEnv } from '../../../support/root-hooks.js';
import { assetRows, cradle, randomPng, storedFiles } from './support.js';

/** A tenant of its own on a private plan whose media storage limit is `limit` bytes. */
async function tenantWithStorage(limit: number): Promise<string> {
  const { database } = testEnv().container.cradle;
  const code = `test-media-${crypto.randomBytes(4).toString('hex')}`;
  await database.asPlatform((trx) =>
    trx('plans').insert({ code, name: code, visibility: 'client', priceCents: 0, monthlyCredits: 0, regenerationCap: 0, mediaStorageLimitBytes: limit }),
  );
  return (await createTenant(database, { plan: code, credits: 0 })).id;
}

describe('Media library: plan storage limit', () => {
  it('accepts files while used + file ≤ the plan limit, then refuses (413) and stores nothing', async () => {
    const { mediaService } = cradle();
    const first = await randomPng(40, 40);
    const second = await randomPng(40, 40);
    const tenantId = await tenantWithStorage(first.length + second.length - 1);
    const { asset, duplicate } = await mediaService.upload(tenantId, { data: first, filename: 'a.png' });
    expect(duplicate).to.equal(false);
    expect(await mediaService.storageUsage(tenantId)).to.deep.equal({ usedBytes: first.length, limitBytes: first.length + second.length - 1 });
    const files = storedFiles(tenantId);
    let refused: unknown;
    try {
      await mediaService.upload(tenantId, { data: second, filename: 'b.png' });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(AppError);
    expect(refused).to.include({ code: 'media.errors.quotaExceeded', status: 413 });
    expect((refused as AppError).params).to.include({ size: second.length, used: first.length });
    expect(storedFiles(tenantId)).to.deep.equal(files);
    expect((await assetRows(tenantId)).map((r) => r.id)).to.deep.equal([asset.id]);
    // the same bytes again are not new storage: the existing asset, even at the limit
    expect((await mediaService.upload(tenantId, { data: first })).asset.id).to.equal(asset.id);
  });

  it('concurrent uploads cannot overshoot the limit together', async () => {
    const { mediaService } = cradle();
    const files = await Promise.all([0, 1, 2, 3].map(() => randomPng(40, 40)));
    const tenantId = await tenantWithStorage(files[0].length * 2 + 10);
    const results = await Promise.allSettled(files.map((data) => mediaService.upload(tenantId, { data })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).to.have.length(2);
    const rows = await assetRows(tenantId);
    expect(rows).to.have.length(2);
    expect(storedFiles(tenantId).filter((f) => f.endsWith('original.png'))).to.have.length(2);
  });

  it('a tenant without a current subscription has no media storage', async () => {
    const { mediaService, database } = cradle();
    const tenantId = await tenantWithStorage(10_000_000);
    await database.asPlatform((trx) => trx('subscriptions').where({ tenantId }).update({ status: 'cancelled', cancelledAt: new Date() }));
    const err = await mediaService.upload(tenantId, { data: await randomPng() }).catch((e: unknown) => e);
    expect(err).to.include({ code: 'media.errors.quotaExceeded' });
  });
});
