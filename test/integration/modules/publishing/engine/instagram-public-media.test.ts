import crypto from 'node:crypto';
import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import sharp from 'sharp';
import supertest from 'supertest';
import { instagramConnector } from '../../../../../src/adapters/social/meta/connectors.js';
import { InstagramPublisher } from '../../../../../src/adapters/social/meta/instagram-publisher.js';
import { buildContainer, type Cradle } from '../../../../../src/container.js';
import { EnginePublisherRegistry, publicationKey } from '../../../../../src/modules/publishing/engine/index.js';
import type { ConnectedAccount, PublisherRegistry } from '../../../../../src/modules/publishing/ports.js';
import { testEnv } from '../../../../support/root-hooks.js';
import { MetaGoogleEmulator } from '../../../../support/social-emulator/meta-google.js';
import { createTenant } from '../../../../support/tenants.js';
import { rows, scheduledContent } from './engine-support.js';

const REDIRECT = 'https://cadence.example/channels/oauth/callback';

/**
 * Instagram downloads images itself: the engine gives each image a signed public link (`/m/<token>`), so a post
 * with an image now goes out instead of failing with `mediaNeedsPublicUrl`. The emulator does not download the
 * URL; the test checks that the URL sent is ours and that it serves the image.
 */
describe('Publishing engine: an Instagram post with an image goes out with a signed public link', function () {
  this.timeout(60_000);
  const emulator = new MetaGoogleEmulator();
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;

  before(async () => {
    await emulator.start();
    // the app's own configuration: the relay signs links with the same secret the app's /m/ route verifies
    container = buildContainer(testEnv().config, testEnv().db);
    cradle = container.cradle;
    const instagram = new InstagramPublisher(emulator.metaApp(), async () => {});
    const sandbox = new EnginePublisherRegistry({ database: cradle.database });
    const registry: PublisherRegistry = {
      publisherFor: (account: ConnectedAccount) => (account.channel === 'instagram' && !account.sandbox ? instagram : sandbox.publisherFor(account)),
    };
    container.register('publisherRegistry', asValue(registry));
  });
  after(async () => {
    await container.dispose();
    await emulator.stop();
  });

  async function connectInstagram(tenantId: string): Promise<string> {
    const state = crypto.randomBytes(16).toString('hex');
    const consent = await fetch(instagramConnector.authorizationUrl(emulator.metaApp(), { state, redirectUri: REDIRECT, codeChallenge: 'unused' }), { redirect: 'manual' });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const [found] = await instagramConnector.connect(emulator.metaApp(), { code, redirectUri: REDIRECT, codeVerifier: 'unused' });
    return cradle.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('channelAccounts')
        .insert({
          tenantId,
          channel: 'instagram',
          externalAccountId: found!.externalAccountId,
          accountType: found!.accountType,
          displayName: found!.displayName,
          sandbox: false,
          status: 'connected',
          credentialsEncrypted: cradle.secretBox.seal(JSON.stringify(found!.credentials)),
        })
        .returning('id');
      return row.id as string;
    });
  }

  it('publishes: the image_url sent is our /m/ link, valid for 24 h, and it serves the image without a session', async () => {
    // what earlier suites left due goes out first, so this run relays only this test's publication
    await cradle.publicationPlanner.run();
    while ((await cradle.outboxRelay.runOnce()).claimed > 0);
    emulator.reset();

    const tenantId = (await createTenant(cradle.database, { name: 'Pâtisserie Instagram' })).id;
    const accountId = await connectInstagram(tenantId);
    const contentId = await scheduledContent(tenantId, { channel: 'instagram', body: 'Le fraisier du week-end est arrivé 🍓' });
    const bytes = await sharp(crypto.randomBytes(64 * 48 * 3), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    const { asset } = await cradle.mediaService.upload(tenantId, { data: bytes, filename: 'fraisier.jpg' });
    await cradle.database.forTenant(tenantId, (trx) => trx('contentMedia').insert({ tenantId, contentId, mediaAssetId: asset.id, position: 0, role: 'primary' }));

    await cradle.publicationPlanner.run();
    const run = await cradle.outboxRelay.runOnce();
    expect(run.outcomes.sent).to.equal(1);
    const [publication] = await rows(cradle, tenantId, 'publications', { contentId });
    expect(publication).to.include({ status: 'sent', channelAccountId: accountId, idempotencyKey: publicationKey(contentId, accountId) });
    expect(emulator.instagramMedia).to.have.length(1);
    expect(emulator.instagramMedia[0]!.caption).to.equal('Le fraisier du week-end est arrivé 🍓');
    expect(publication.externalPostId).to.equal(emulator.instagramMedia[0]!.id);

    const [imageUrl] = emulator.instagramMedia[0]!.imageUrls;
    const match = new RegExp(`^http://localhost:${testEnv().config.port}/m/([A-Za-z0-9_-]+)$`).exec(imageUrl!);
    expect(match, imageUrl).to.not.equal(null);
    const check = cradle.mediaPublicLinks.verify(match![1]!);
    expect(check).to.deep.include({ status: 'valid' });
    if (check.status !== 'valid') return;
    expect(check.link).to.include({ tenantId, assetId: asset.id, variant: 'original' });
    expect(check.link.expiresAt.getTime() - Date.now()).to.be.within(24 * 3600_000 - 5_000, 24 * 3600_000 + 1_000);

    const served = await supertest(testEnv().app).get(`/m/${match![1]}`).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(served.status).to.equal(200);
    expect(served.headers['content-type']).to.equal('image/jpeg');
    expect(Buffer.compare(served.body as Buffer, bytes)).to.equal(0);
    expect(served.headers['set-cookie']).to.equal(undefined);
  });
});
