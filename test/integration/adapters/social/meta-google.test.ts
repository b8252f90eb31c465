import crypto from 'node:crypto';
import { expect } from 'chai';
import { PublishError, type ConnectedAccount, type DiscoveredAccount, type OutgoingMedia, type OutgoingPost } from '../../../../src/modules/publishing/ports.js';
import { facebookConnector, instagramConnector } from '../../../../src/adapters/social/meta/connectors.js';
import { FacebookPublisher } from '../../../../src/adapters/social/meta/facebook-publisher.js';
import { InstagramPublisher } from '../../../../src/adapters/social/meta/instagram-publisher.js';
import { googleBusinessConnector } from '../../../../src/adapters/social/google/connector.js';
import { GoogleBusinessPublisher } from '../../../../src/adapters/social/google/publisher.js';
import { GBP_ACCOUNT, MetaGoogleEmulator, PAGES } from '../../../support/social-emulator/meta-google.js';

const REDIRECT = 'https://cadence.example/channels/oauth/callback';

function account(found: DiscoveredAccount, channel: ConnectedAccount['channel']): ConnectedAccount {
  return { id: crypto.randomUUID(), tenantId: crypto.randomUUID(), channel, externalAccountId: found.externalAccountId, accountType: found.accountType, displayName: found.displayName, sandbox: false, credentials: found.credentials };
}

function image(name = 'croissant.jpg', publicUrl?: string): OutgoingMedia {
  const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...crypto.randomBytes(64)]);
  const media: OutgoingMedia & { publicUrl?: () => Promise<string> } = { mimeType: 'image/jpeg', altText: 'Un croissant doré', filename: name, read: async () => bytes };
  if (publicUrl) media.publicUrl = async () => publicUrl;
  return media;
}

function post(text: string, media: OutgoingMedia[] = []): OutgoingPost {
  return { text, title: 'Titre', media };
}

async function rejection(promise: Promise<unknown>): Promise<PublishError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(PublishError);
    return err as PublishError;
  }
  throw new Error('expected a PublishError');
}

/** Follows the emulator's consent redirect and returns the code handed back. */
async function consent(authorizationUrl: string, state: string): Promise<string> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(response.status).to.equal(302);
  const back = new URL(response.headers.get('location')!);
  expect(back.searchParams.get('state')).to.equal(state);
  return back.searchParams.get('code')!;
}

describe('Meta and Google Business Profile adapters (over HTTP, against the emulator)', () => {
  const emulator = new MetaGoogleEmulator();
  before(async () => {
    await emulator.start();
  });
  after(async () => {
    await emulator.stop();
  });
  beforeEach(() => emulator.reset());

  async function connectMeta(connector = facebookConnector): Promise<DiscoveredAccount[]> {
    const state = crypto.randomBytes(16).toString('hex');
    const url = connector.authorizationUrl(emulator.metaApp(), { state, redirectUri: REDIRECT, codeChallenge: 'unused' });
    return connector.connect(emulator.metaApp(), { code: await consent(url, state), redirectUri: REDIRECT, codeVerifier: 'unused' });
  }

  describe('Facebook Page', () => {
    it('builds the Facebook Login dialog URL with the app, state, redirect and page scopes', () => {
      const url = new URL(facebookConnector.authorizationUrl({ clientId: 'app-1', clientSecret: 's' }, { state: 'st4te', redirectUri: REDIRECT, codeChallenge: 'c' }));
      expect(url.origin + url.pathname).to.match(/^https:\/\/www\.facebook\.com\/v\d+\.\d\/dialog\/oauth$/);
      expect(url.searchParams.get('client_id')).to.equal('app-1');
      expect(url.searchParams.get('state')).to.equal('st4te');
      expect(url.searchParams.get('redirect_uri')).to.equal(REDIRECT);
      expect(url.searchParams.get('response_type')).to.equal('code');
      expect(url.searchParams.get('scope')!.split(',')).to.include.members(['pages_manage_posts', 'pages_show_list']);
    });

    it('connects: code → long-lived user token → each managed Page with its own Page token', async () => {
      const accounts = await connectMeta();
      expect(accounts.map((a) => [a.externalAccountId, a.accountType, a.displayName])).to.deep.equal(PAGES.map((p) => [p.id, 'page', p.name]));
      expect(accounts[0]!.credentials.accessToken).to.match(/^graph-page-/);
      expect(accounts[0]!.credentials.accessToken).to.not.equal(accounts[1]!.credentials.accessToken);
      expect(accounts[0]!.credentials.expiresAt).to.equal(null);
      expect(accounts[0]!.scopes).to.include('pages_manage_posts');
      expect(accounts[0]!.avatarUrl).to.match(/^https:\/\//);
      // a Page token does not expire: refresh keeps it
      expect(await facebookConnector.refresh(emulator.metaApp(), accounts[0]!.credentials)).to.deep.equal(accounts[0]!.credentials);
    });

    it('publishes a text with its link as preview, then an image uploaded as bytes', async () => {
      const page = account((await connectMeta())[0]!, 'facebook');
      const publisher = new FacebookPublisher(emulator.metaApp());
      const text = 'Nouveau pain au levain ce week-end 🥖 https://go.cadence.example/abc';
      const result = await publisher.publish(page, post(text), 'key-1');
      expect(result.externalPostId).to.match(/^1001_\d+$/);
      expect(result.url).to.equal(`https://www.facebook.com/${result.externalPostId}`);
      expect(emulator.facebookPosts[0]).to.include({ pageId: '1001', message: text, link: 'https://go.cadence.example/abc' });

      const photo = await publisher.publish(page, post('Nos croissants du matin', [image()]), 'key-2');
      const recorded = emulator.facebookPosts.find((p) => p.id === photo.externalPostId)!;
      expect(recorded.message).to.equal('Nos croissants du matin');
      expect(recorded.photos).to.have.length(1);
      expect(recorded.photos[0]).to.include({ mimeType: 'image/jpeg', filename: 'croissant.jpg', bytes: 68 });
    });

    it('publishes several images as one post with attached photos', async () => {
      const page = account((await connectMeta())[0]!, 'facebook');
      const result = await new FacebookPublisher(emulator.metaApp()).publish(page, post('Trois viennoiseries', [image('a.jpg'), image('b.jpg'), image('c.jpg')]), 'k');
      const recorded = emulator.facebookPosts.find((p) => p.id === result.externalPostId)!;
      expect(recorded.photos.map((p) => p.filename)).to.deep.equal(['a.jpg', 'b.jpg', 'c.jpg']);
      expect(emulator.facebookPosts).to.have.length(1);
    });

    it('findPublished finds a post with the exact text since the attempt, and null otherwise', async () => {
      const page = account((await connectMeta())[0]!, 'facebook');
      const publisher = new FacebookPublisher(emulator.metaApp());
      const since = new Date(Date.now() - 60_000);
      const seeded = emulator.seedFacebookPost('1001', 'Ouvert dimanche matin !');
      emulator.seedFacebookPost('1001', 'Ouvert dimanche matin', new Date(Date.now() - 3600_000));
      expect(await publisher.findPublished(page, post('Ouvert dimanche matin !'), 'k', since)).to.deep.equal({ externalPostId: seeded.id, url: `https://www.facebook.com/${seeded.id}` });
      expect(await publisher.findPublished(page, post('Ouvert dimanche matin'), 'k', since)).to.equal(null);
      expect(await publisher.findPublished(page, post('Ouvert dimanche matin ! '), 'k', since)).to.equal(null);
    });

    it('maps Graph refusals: 429 temporary with a wait, 190 revoked token, 400 permanent, 5xx temporary', async () => {
      const page = account((await connectMeta())[0]!, 'facebook');
      const publisher = new FacebookPublisher(emulator.metaApp());
      emulator.fail({ api: 'graph', status: 429, path: '/feed' });
      const limited = await rejection(publisher.publish(page, post('a'), 'k'));
      expect([limited.kind, limited.code, limited.options.retryAfterMs]).to.deep.equal(['temporary', 'rateLimited', 7 * 60_000]);

      emulator.fail({ api: 'graph', status: 400, graphCode: 32, path: '/feed' });
      expect((await rejection(publisher.publish(page, post('a'), 'k'))).kind).to.equal('temporary');

      emulator.fail({ api: 'graph', status: 500, path: '/feed' });
      expect(await rejection(publisher.publish(page, post('a'), 'k'))).to.include({ kind: 'temporary', code: 'networkUnavailable' });

      emulator.fail({ api: 'graph', status: 400, path: '/feed' });
      expect(await rejection(publisher.publish(page, post('a'), 'k'))).to.include({ kind: 'permanent', code: 'contentRejected' });

      emulator.fail({ api: 'graph', status: 401, path: '/feed' });
      expect(await rejection(publisher.publish(page, post('a'), 'k'))).to.include({ kind: 'permanent', code: 'tokenRevoked' });

      emulator.revokeAll('graph');
      expect(await rejection(publisher.publish(page, post('a'), 'k'))).to.include({ kind: 'permanent', code: 'tokenRevoked' });
      expect(emulator.facebookPosts).to.have.length(0);
    });

    it('testApp: ok with the right secret, failed with a wrong one', async () => {
      expect((await facebookConnector.testApp(emulator.metaApp())).ok).to.equal(true);
      const refused = await facebookConnector.testApp(emulator.metaApp({ clientSecret: 'wrong' }));
      expect(refused.ok).to.equal(false);
      expect(refused.message).to.match(/client secret/);
    });
  });

  describe('Instagram Business', () => {
    it('connects through Facebook Login: only Pages with a linked Instagram professional account', async () => {
      const accounts = await connectMeta(instagramConnector);
      expect(accounts).to.have.length(1);
      expect(accounts[0]).to.include({ externalAccountId: '17841400000000001', accountType: 'instagram_business', displayName: '@boulangerie.martin' });
      expect(accounts[0]!.credentials.extra).to.deep.equal({ pageId: '1001' });
    });

    it('publishes an image from its public URL (container → media_publish) and finds it again', async () => {
      const ig = account((await connectMeta(instagramConnector))[0]!, 'instagram');
      const publisher = new InstagramPublisher(emulator.metaApp());
      const since = new Date(Date.now() - 1000);
      const result = await publisher.publish(ig, post('Le croissant du jour #boulangerie', [image('c.jpg', 'https://media.cadence.example/p/abc.jpg')]), 'k');
      expect(result.url).to.equal(`https://www.instagram.com/p/${result.externalPostId}/`);
      expect(emulator.instagramMedia).to.have.length(1);
      expect(emulator.instagramMedia[0]).to.deep.include({ caption: 'Le croissant du jour #boulangerie', imageUrls: ['https://media.cadence.example/p/abc.jpg'] });
      expect(await publisher.findPublished(ig, post('Le croissant du jour #boulangerie'), 'k', since)).to.deep.equal(result);
      expect(await publisher.findPublished(ig, post('Le croissant du jour'), 'k', since)).to.equal(null);
    });

    it('publishes several images as a carousel', async () => {
      const ig = account((await connectMeta(instagramConnector))[0]!, 'instagram');
      await new InstagramPublisher(emulator.metaApp()).publish(ig, post('Carrousel', [image('a.jpg', 'https://m.example/a.jpg'), image('b.jpg', 'https://m.example/b.jpg')]), 'k');
      expect(emulator.instagramMedia[0]!.imageUrls).to.deep.equal(['https://m.example/a.jpg', 'https://m.example/b.jpg']);
    });

    it('refuses clearly what Instagram cannot take: no image, an image without public URL', async () => {
      const ig = account((await connectMeta(instagramConnector))[0]!, 'instagram');
      const publisher = new InstagramPublisher(emulator.metaApp());
      expect(await rejection(publisher.publish(ig, post('Texte seul'), 'k'))).to.include({ kind: 'permanent', code: 'instagramNeedsImage' });
      expect(await rejection(publisher.publish(ig, post('Photo privée', [image()]), 'k'))).to.include({ kind: 'permanent', code: 'mediaNeedsPublicUrl' });
      expect(emulator.calls.filter((c) => c.path.includes('/media'))).to.have.length(0);
    });

    it('maps a 429 to temporary and a 190 to tokenRevoked', async () => {
      const ig = account((await connectMeta(instagramConnector))[0]!, 'instagram');
      const publisher = new InstagramPublisher(emulator.metaApp());
      const withImage = post('x', [image('a.jpg', 'https://m.example/a.jpg')]);
      emulator.fail({ api: 'graph', status: 429, path: '/media' });
      expect(await rejection(publisher.publish(ig, withImage, 'k'))).to.include({ kind: 'temporary', code: 'rateLimited' });
      emulator.fail({ api: 'graph', status: 401, path: '/media' });
      expect(await rejection(publisher.publish(ig, withImage, 'k'))).to.include({ kind: 'permanent', code: 'tokenRevoked' });
      expect(emulator.instagramMedia).to.have.length(0);
    });
  });

  describe('Google Business Profile', () => {
    async function connectGoogle(): Promise<DiscoveredAccount[]> {
      const state = crypto.randomBytes(16).toString('hex');
      const verifier = crypto.randomBytes(32).toString('base64url');
      const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
      const url = googleBusinessConnector.authorizationUrl(emulator.googleApp(), { state, redirectUri: REDIRECT, codeChallenge: challenge });
      return googleBusinessConnector.connect(emulator.googleApp(), { code: await consent(url, state), redirectUri: REDIRECT, codeVerifier: verifier });
    }

    it('builds the consent URL with PKCE, offline access and the business.manage scope', () => {
      const url = new URL(googleBusinessConnector.authorizationUrl({ clientId: 'cid', clientSecret: 's' }, { state: 'st', redirectUri: REDIRECT, codeChallenge: 'chal' }));
      expect(url.origin + url.pathname).to.equal('https://accounts.google.com/o/oauth2/v2/auth');
      expect(Object.fromEntries(url.searchParams)).to.include({
        client_id: 'cid',
        state: 'st',
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'https://www.googleapis.com/auth/business.manage',
        access_type: 'offline',
        prompt: 'consent',
        code_challenge: 'chal',
        code_challenge_method: 'S256',
      });
    });

    it('connects: each location of each account, with an expiring token and a refresh token', async () => {
      const accounts = await connectGoogle();
      expect(accounts.map((a) => [a.externalAccountId, a.accountType, a.displayName])).to.deep.equal([
        [`${GBP_ACCOUNT}/locations/9001`, 'location', 'Boulangerie Martin — Centre'],
        [`${GBP_ACCOUNT}/locations/9002`, 'location', 'Boulangerie Martin — Gare'],
      ]);
      const credentials = accounts[0]!.credentials;
      expect(credentials.refreshToken).to.match(/^google-refresh-/);
      expect(Date.parse(credentials.expiresAt!) - Date.now()).to.be.within(3500_000, 3600_000);
    });

    it('refuses a code redeemed with the wrong PKCE verifier', async () => {
      const state = 's';
      const url = googleBusinessConnector.authorizationUrl(emulator.googleApp(), { state, redirectUri: REDIRECT, codeChallenge: 'not-the-verifier-hash' });
      const error = await rejection(googleBusinessConnector.connect(emulator.googleApp(), { code: await consent(url, state), redirectUri: REDIRECT, codeVerifier: 'other' }));
      expect(error).to.include({ kind: 'permanent', code: 'tokenRevoked' });
    });

    it('publishes a text post with a Learn more button, finds it again, and null for another text', async () => {
      const location = account((await connectGoogle())[0]!, 'google_business');
      const publisher = new GoogleBusinessPublisher(emulator.googleApp());
      const since = new Date(Date.now() - 1000);
      const text = 'Galette des rois dès le 2 janvier https://go.cadence.example/galette';
      const result = await publisher.publish(location, post(text), 'k');
      expect(result.externalPostId).to.match(/^accounts\/555\/locations\/9001\/localPosts\/\d+$/);
      expect(result.url).to.match(/^https:\/\/local\.google\.com\//);
      expect(emulator.localPosts[0]!.body).to.deep.equal({ summary: text, topicType: 'STANDARD', callToAction: { actionType: 'LEARN_MORE', url: 'https://go.cadence.example/galette' } });
      expect(await publisher.findPublished(location, post(text), 'k', since)).to.deep.equal(result);
      expect(await publisher.findPublished(location, post('Galette des rois'), 'k', since)).to.equal(null);
    });

    it('sends a photo by its public URL, and refuses a photo without one', async () => {
      const location = account((await connectGoogle())[0]!, 'google_business');
      const publisher = new GoogleBusinessPublisher(emulator.googleApp());
      await publisher.publish(location, post('Photo', [image('p.jpg', 'https://media.cadence.example/p.jpg')]), 'k');
      expect(emulator.localPosts[0]!.body.media).to.deep.equal([{ mediaFormat: 'PHOTO', sourceUrl: 'https://media.cadence.example/p.jpg' }]);
      expect(await rejection(publisher.publish(location, post('Photo', [image()]), 'k'))).to.include({ kind: 'permanent', code: 'mediaNeedsPublicUrl' });
      expect(emulator.localPosts).to.have.length(1);
    });

    it('an expired access token is refused; refresh gets a new one that publishes', async () => {
      const location = account((await connectGoogle())[0]!, 'google_business');
      const publisher = new GoogleBusinessPublisher(emulator.googleApp());
      emulator.expireGoogleAccessTokens();
      location.credentials = { ...location.credentials!, expiresAt: new Date(Date.now() - 1000).toISOString() };
      expect(await rejection(publisher.publish(location, post('Avant'), 'k'))).to.include({ kind: 'permanent', code: 'tokenExpired' });
      const fresh = await googleBusinessConnector.refresh(emulator.googleApp(), location.credentials);
      expect(fresh.accessToken).to.not.equal(location.credentials.accessToken);
      expect(fresh.refreshToken).to.equal(location.credentials.refreshToken);
      expect(Date.parse(fresh.expiresAt!)).to.be.greaterThan(Date.now());
      await publisher.publish({ ...location, credentials: fresh }, post('Après'), 'k');
      expect(emulator.localPosts.map((p) => p.summary)).to.deep.equal(['Après']);
    });

    it('a refused refresh (access revoked) is a permanent tokenRevoked', async () => {
      const location = account((await connectGoogle())[0]!, 'google_business');
      emulator.revokeAll('google');
      expect(await rejection(googleBusinessConnector.refresh(emulator.googleApp(), location.credentials!))).to.include({ kind: 'permanent', code: 'tokenRevoked' });
    });

    it('maps refusals: 429 temporary with Retry-After, 401 revoked, 400 permanent, 500 temporary', async () => {
      const location = account((await connectGoogle())[0]!, 'google_business');
      const publisher = new GoogleBusinessPublisher(emulator.googleApp());
      emulator.fail({ api: 'google', status: 429, path: '/localPosts' });
      expect(await rejection(publisher.publish(location, post('a'), 'k'))).to.deep.include({ kind: 'temporary', code: 'rateLimited', options: { status: 429, retryAfterMs: 30_000 } });
      emulator.fail({ api: 'google', status: 401, path: '/localPosts' });
      expect(await rejection(publisher.publish(location, post('a'), 'k'))).to.include({ kind: 'permanent', code: 'tokenRevoked' });
      emulator.fail({ api: 'google', status: 400, path: '/localPosts' });
      expect(await rejection(publisher.publish(location, post('a'), 'k'))).to.include({ kind: 'permanent', code: 'contentRejected' });
      emulator.fail({ api: 'google', status: 500, path: '/localPosts' });
      expect(await rejection(publisher.publish(location, post('a'), 'k'))).to.include({ kind: 'temporary', code: 'networkUnavailable' });
      expect(emulator.localPosts).to.have.length(0);
    });

    it('testApp: invalid_grant for a dummy refresh token proves the client; invalid_client fails', async () => {
      expect((await googleBusinessConnector.testApp(emulator.googleApp())).ok).to.equal(true);
      expect((await googleBusinessConnector.testApp(emulator.googleApp({ clientSecret: 'wrong' }))).ok).to.equal(false);
      expect((await googleBusinessConnector.testApp(emulator.googleApp({ clientId: 'other.apps.googleusercontent.com' }))).ok).to.equal(false);
    });
  });
});
