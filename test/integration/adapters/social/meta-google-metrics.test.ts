import crypto from 'node:crypto';
import { expect } from 'chai';
import { facebookConnector, instagramConnector } from '../../../../src/adapters/social/meta/connectors.js';
import { FacebookPublisher } from '../../../../src/adapters/social/meta/facebook-publisher.js';
import { InstagramPublisher } from '../../../../src/adapters/social/meta/instagram-publisher.js';
import { googleBusinessConnector } from '../../../../src/adapters/social/google/connector.js';
import { GoogleBusinessPublisher } from '../../../../src/adapters/social/google/publisher.js';
import type { ConnectedAccount, DiscoveredAccount, OAuthConnector, PublishedPostRef } from '../../../../src/modules/publishing/ports.js';
import { GBP_ACCOUNT, GBP_LOCATIONS, metaEngagement, metaFollowers, MetaGoogleEmulator, PAGES } from '../../../support/social-emulator/meta-google.js';

const REDIRECT = 'https://cadence.example/channels/oauth/callback';

function account(found: DiscoveredAccount, channel: ConnectedAccount['channel']): ConnectedAccount {
  return { id: crypto.randomUUID(), tenantId: crypto.randomUUID(), channel, externalAccountId: found.externalAccountId, accountType: found.accountType, displayName: found.displayName, sandbox: false, credentials: found.credentials };
}

const ref = (publicationId: string, externalId: string): PublishedPostRef => ({ publicationId, externalId, publishedAt: new Date(Date.now() - 3 * 24 * 3600_000) });

describe('Social adapters: engagement metrics of Facebook, Instagram and Google Business Profile (against the emulator)', function () {
  this.timeout(20_000);
  const emulator = new MetaGoogleEmulator();
  before(() => emulator.start());
  after(() => emulator.stop());
  beforeEach(() => emulator.reset());

  async function connect(connector: OAuthConnector, app: ReturnType<MetaGoogleEmulator['metaApp']>): Promise<DiscoveredAccount[]> {
    const verifier = crypto.randomBytes(40).toString('base64url');
    const url = connector.authorizationUrl(app, { state: 'st', redirectUri: REDIRECT, codeChallenge: crypto.createHash('sha256').update(verifier).digest('base64url') });
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    return connector.connect(app, { code: back.searchParams.get('code')!, redirectUri: REDIRECT, codeVerifier: verifier });
  }

  it('Facebook: reactions, comments, shares and the views/reach/clicks insights of each post; deleted posts left out; followers', async () => {
    const page = account((await connect(facebookConnector, emulator.metaApp()))[0]!, 'facebook');
    const publisher = new FacebookPublisher(emulator.metaApp());
    const post = emulator.seedFacebookPost(PAGES[0].id, 'Nouvelle vitrine');

    const found = await publisher.fetchMetrics!(page, [ref('p1', post.id), ref('gone', `${PAGES[0].id}_424242`)]);
    const e = metaEngagement(1);
    expect(found).to.deep.equal([{ publicationId: 'p1', impressions: e.views, reach: e.reach, reactions: e.reactions, comments: e.comments, shares: e.shares, clicks: e.clicks, saves: 0, videoViews: 0 }]);
    expect((await publisher.fetchMetrics!(page, [ref('p1', post.id)]))[0]!.reactions).to.equal(metaEngagement(2).reactions);
    expect(await publisher.fetchAccountMetrics!(page)).to.deep.equal({ followers: metaFollowers(1), impressions: 0, reach: 0, profileViews: 0 });
  });

  it('Instagram: likes and comments, then views/reach/shares/saved insights; too few viewers (code 10) keeps the counts', async () => {
    const ig = account((await connect(instagramConnector, emulator.metaApp()))[0]!, 'instagram');
    const publisher = new InstagramPublisher(emulator.metaApp(), async () => {});
    const media = emulator.seedInstagramMedia(PAGES[0].instagram!.id, 'Croissants');

    const e = metaEngagement(1);
    expect(await publisher.fetchMetrics!(ig, [ref('m1', media.id), ref('gone', '77777777')])).to.deep.equal([
      { publicationId: 'm1', impressions: e.views, reach: e.reach, reactions: e.reactions, comments: e.comments, shares: e.shares, clicks: 0, saves: e.saved, videoViews: 0 },
    ]);

    emulator.fail({ api: 'graph', status: 400, graphCode: 10, path: '/insights' });
    const e2 = metaEngagement(2);
    expect(await publisher.fetchMetrics!(ig, [ref('m1', media.id)])).to.deep.equal([
      { publicationId: 'm1', impressions: 0, reach: 0, reactions: e2.reactions, comments: e2.comments, shares: 0, clicks: 0, saves: 0, videoViews: 0 },
    ]);

    expect(await publisher.fetchAccountMetrics!(ig)).to.deep.equal({ followers: metaFollowers(1), impressions: 0, reach: 30, profileViews: 6 });
  });

  it('Google Business Profile: search views and call-to-action clicks per local post (reportInsights)', async () => {
    const location = account((await connect(googleBusinessConnector, emulator.googleApp()))[0]!, 'google_business');
    expect(location.externalAccountId).to.equal(`${GBP_ACCOUNT}/${GBP_LOCATIONS[0]!.name}`);
    const publisher = new GoogleBusinessPublisher(emulator.googleApp());
    const post = emulator.seedLocalPost(location.externalAccountId, 'Galette des rois');

    const e = metaEngagement(1);
    expect(await publisher.fetchMetrics!(location, [ref('g1', post.name)])).to.deep.equal([
      { publicationId: 'g1', impressions: e.views, reach: 0, reactions: 0, comments: 0, shares: 0, clicks: e.clicks, saves: 0, videoViews: 0 },
    ]);
    expect('fetchAccountMetrics' in publisher).to.equal(false);
  });
});
