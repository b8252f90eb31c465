import crypto from 'node:crypto';
import { expect } from 'chai';
import { socialAdapters } from '../../../../src/adapters/social/index.js';
import { PublishError, type ConnectedAccount, type OAuthApp, type OutgoingMedia } from '../../../../src/modules/publishing/ports.js';
import { startSocialEmulator, type Network, type SocialEmulator } from '../../../support/social-emulator/linkedin-x.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a3c4e1b80000000049454e44ae426082', 'hex');

function media(mimeType: string, bytes = PNG): OutgoingMedia {
  return { mimeType, altText: 'Vitrine de la boulangerie', filename: 'vitrine.png', read: async () => bytes };
}

describe('Social adapters: LinkedIn and X against the emulator', function () {
  this.timeout(20_000);
  let emulator: SocialEmulator;
  before(async () => {
    emulator = await startSocialEmulator();
  });
  after(() => emulator.stop());
  beforeEach(() => emulator.reset());

  function app(network: Network): OAuthApp {
    const { settings, secrets } = emulator.connector(network);
    return { clientId: settings.clientId!, clientSecret: secrets.clientSecret, apiBaseUrl: settings.apiBaseUrl, authBaseUrl: settings.authBaseUrl };
  }

  async function connected(network: Network): Promise<ConnectedAccount> {
    const connector = socialAdapters[network]!.connector;
    const verifier = crypto.randomBytes(40).toString('base64url');
    const redirectUri = 'https://cadence.example/app/channels/callback/' + network;
    const url = connector.authorizationUrl(app(network), { state: 's1', redirectUri, codeChallenge: crypto.createHash('sha256').update(verifier).digest('base64url') });
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    const [found] = await connector.connect(app(network), { code: back.searchParams.get('code')!, redirectUri, codeVerifier: verifier });
    return { id: 'acc-1', tenantId: 't-1', channel: network, externalAccountId: found!.externalAccountId, accountType: found!.accountType, displayName: found!.displayName, sandbox: false, credentials: found!.credentials };
  }

  it('LinkedIn: an image is initialised, uploaded, then referenced by the post', async () => {
    const account = await connected('linkedin');
    const result = await socialAdapters.linkedin!.publisher(app('linkedin')).publish(account, { text: 'Nouvelle vitrine', title: 'Vitrine', media: [media('image/png')] }, 'k1');
    const [post] = emulator.postsOf('linkedin');
    expect(result.externalPostId).to.equal(post!.id);
    expect(post!.media).to.have.length(1);
    expect(emulator.uploads.get(post!.media[0]!)).to.include({ bytes: PNG.length, contentType: 'image/png' });
  });

  it('X: an image goes through the v2 media upload and its id is attached', async () => {
    const account = await connected('x');
    await socialAdapters.x!.publisher(app('x')).publish(account, { text: 'Nouvelle vitrine', title: 'Vitrine', media: [media('image/png'), media('image/jpeg')] }, 'k1');
    const [post] = emulator.postsOf('x');
    expect(post!.media).to.have.length(2);
    expect(post!.media.every((id) => emulator.uploads.get(id)!.bytes > PNG.length)).to.equal(true);
  });

  it('a video is refused before anything is sent; a duplicate text on X is a permanent duplicateContent', async () => {
    const li = await connected('linkedin');
    const video = socialAdapters.linkedin!.publisher(app('linkedin')).publish(li, { text: 'Vidéo', title: '', media: [media('video/mp4')] }, 'k');
    expect(await video.catch((e) => e)).to.be.instanceOf(PublishError).and.include({ kind: 'permanent', code: 'mediaRejected' });
    expect(emulator.posts).to.have.length(0);

    const x = await connected('x');
    const publisher = socialAdapters.x!.publisher(app('x'));
    await publisher.publish(x, { text: 'Même texte', title: '', media: [] }, 'k1');
    const again = await publisher.publish(x, { text: 'Même texte', title: '', media: [] }, 'k2').catch((e) => e);
    expect(again).to.include({ kind: 'permanent', code: 'duplicateContent' });
  });

  it('findPublished finds only the exact text posted since the given date', async () => {
    const account = await connected('linkedin');
    const publisher = socialAdapters.linkedin!.publisher(app('linkedin'));
    const since = new Date(Date.now() - 1000);
    const sent = await publisher.publish(account, { text: 'Le pain (bio) #levain', title: '', media: [] }, 'k1');
    expect(await publisher.findPublished(account, { text: 'Le pain (bio) #levain', title: '', media: [] }, 'k1', since)).to.deep.equal(sent);
    expect(await publisher.findPublished(account, { text: 'Le pain (bio)', title: '', media: [] }, 'k1', since)).to.equal(null);
    expect(await publisher.findPublished(account, { text: 'Le pain (bio) #levain', title: '', media: [] }, 'k1', new Date(Date.now() + 60_000))).to.equal(null);
  });

  it('refresh gives new tokens; a revoked grant is tokenRevoked; testApp tells a good client from a bad one', async () => {
    for (const network of ['linkedin', 'x'] as const) {
      const account = await connected(network);
      const connector = socialAdapters[network]!.connector;
      const fresh = await connector.refresh(app(network), account.credentials!);
      expect(fresh.accessToken).to.not.equal(account.credentials!.accessToken);
      emulator.revokeTokens(network);
      expect(await connector.refresh(app(network), fresh).catch((e) => e)).to.include({ kind: 'permanent', code: 'tokenRevoked' });
      expect((await connector.testApp(app(network))).ok, network).to.equal(true);
      expect((await connector.testApp({ ...app(network), clientSecret: 'wrong' })).ok, network).to.equal(false);
    }
  });
});
