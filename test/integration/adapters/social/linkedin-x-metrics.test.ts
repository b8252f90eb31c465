import crypto from 'node:crypto';
import { expect } from 'chai';
import { socialAdapters } from '../../../../src/adapters/social/index.js';
import { PublishError, type ConnectedAccount, type OAuthApp, type PublishedPostRef } from '../../../../src/modules/publishing/ports.js';
import { emulatedEngagement, emulatedFollowers, startSocialEmulator, type Network, type SocialEmulator } from '../../../support/social-emulator/linkedin-x.js';

const DAY = 24 * 3600_000;

describe('Social adapters: engagement metrics of LinkedIn and X (against the emulator)', function () {
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

  /** The accounts offered at connection (LinkedIn: the member, then the organisations they administer). */
  async function connected(network: Network): Promise<ConnectedAccount[]> {
    const connector = socialAdapters[network]!.connector;
    const verifier = crypto.randomBytes(40).toString('base64url');
    const redirectUri = `https://cadence.example/app/channels/callback/${network}`;
    const url = connector.authorizationUrl(app(network), { state: 's1', redirectUri, codeChallenge: crypto.createHash('sha256').update(verifier).digest('base64url') });
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    const found = await connector.connect(app(network), { code: back.searchParams.get('code')!, redirectUri, codeVerifier: verifier });
    return found.map((f, i) => ({ id: `acc-${i}`, tenantId: 't-1', channel: network, externalAccountId: f.externalAccountId, accountType: f.accountType, displayName: f.displayName, sandbox: false, credentials: f.credentials }));
  }

  const ref = (publicationId: string, externalId: string, daysAgo = 1): PublishedPostRef => ({ publicationId, externalId, publishedAt: new Date(Date.now() - daysAgo * DAY) });

  it('LinkedIn organisation: share statistics for the posts (URNs encoded in the Rest.li list), growing between reads', async () => {
    emulator.linkedinOrganizations = [{ id: '5500', name: 'Boulangerie Martin' }];
    const org = (await connected('linkedin')).find((a) => a.accountType === 'organization')!;
    const publisher = socialAdapters.linkedin!.publisher(app('linkedin'));
    const first = emulator.seedPost('linkedin', org.externalAccountId, 'Nouvelle vitrine');
    const second = emulator.seedPost('linkedin', org.externalAccountId, 'Fournée du matin');

    const once = await publisher.fetchMetrics!(org, [ref('p1', first.id), ref('p2', second.id), ref('p3', 'urn:li:share:999')]);
    const e1 = emulatedEngagement(1);
    expect(once).to.deep.equal([
      { publicationId: 'p1', impressions: e1.impressions, reach: e1.reach, reactions: e1.likes, comments: e1.comments, shares: e1.shares, clicks: e1.clicks, saves: 0, videoViews: 0 },
      { publicationId: 'p2', impressions: e1.impressions, reach: e1.reach, reactions: e1.likes, comments: e1.comments, shares: e1.shares, clicks: e1.clicks, saves: 0, videoViews: 0 },
    ]);
    const twice = await publisher.fetchMetrics!(org, [ref('p1', first.id)]);
    expect(twice[0]!.impressions).to.equal(emulatedEngagement(2).impressions);
    expect(emulator.calls.filter((c) => c.path === '/rest/organizationalEntityShareStatistics').map((c) => c.status)).to.deep.equal([200, 200]);

    expect(await publisher.fetchAccountMetrics!(org)).to.deep.equal({ followers: emulatedFollowers(1), impressions: 0, reach: 0, profileViews: 0 });
  });

  it('LinkedIn member: likes and comments from socialActions; a deleted post is left out; no account metrics', async () => {
    const [member] = await connected('linkedin');
    const publisher = socialAdapters.linkedin!.publisher(app('linkedin'));
    const { externalPostId } = await publisher.publish(member!, { text: 'Atelier pain au levain samedi', title: '', media: [] }, 'k1');
    const found = await publisher.fetchMetrics!(member!, [ref('p1', externalPostId), ref('gone', 'urn:li:share:42')]);
    expect(found).to.deep.equal([{ publicationId: 'p1', impressions: 0, reach: 0, reactions: 10, comments: 3, shares: 0, clicks: 0, saves: 0, videoViews: 0 }]);
    expect(await publisher.fetchAccountMetrics!(member!)).to.equal(null);
  });

  it('X: public metrics for every post, link clicks (non-public) only for posts under 30 days; followers', async () => {
    const [account] = await connected('x');
    const publisher = socialAdapters.x!.publisher(app('x'));
    const recent = await publisher.publish(account!, { text: 'Nouvelle vitrine', title: '', media: [] }, 'k1');
    const old = emulator.seedPost('x', account!.externalAccountId, 'Ancienne vitrine');
    const found = await publisher.fetchMetrics!(account!, [ref('recent', recent.externalPostId, 2), ref('old', old.id, 29.8), ref('gone', '1999')]);
    const e = emulatedEngagement(1);
    const common = { impressions: e.impressions, reach: 0, reactions: e.likes, comments: e.comments, shares: e.shares + e.quotes, saves: e.bookmarks, videoViews: 0 };
    expect(found).to.deep.equal([
      { publicationId: 'recent', ...common, clicks: e.clicks },
      { publicationId: 'old', ...common, clicks: 0 },
    ]);
    expect(await publisher.fetchAccountMetrics!(account!)).to.deep.equal({ followers: emulatedFollowers(1), impressions: 0, reach: 0, profileViews: 0 });
  });

  it('a 429 is a temporary PublishError carrying the Retry-After', async () => {
    const [account] = await connected('x');
    const publisher = socialAdapters.x!.publisher(app('x'));
    emulator.fail({ network: 'x', path: '/2/tweets', method: 'GET', status: 429, headers: { 'retry-after': '120' } });
    const err = await publisher.fetchMetrics!(account!, [ref('p1', '1')]).catch((e) => e);
    expect(err).to.be.instanceOf(PublishError).and.include({ kind: 'temporary', code: 'rateLimited' });
    expect((err as PublishError).options.retryAfterMs).to.equal(120_000);
  });
});
