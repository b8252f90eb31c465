import { expect } from 'chai';
import { DateTime } from 'luxon';
import { EngagementCollector } from '../../../../src/modules/analytics/engagement-collector.js';
import type { SocialChannel } from '../../../../src/modules/publishing/ports.js';
import { emulatedEngagement, emulatedFollowers, startSocialEmulator, type SocialEmulator } from '../../../support/social-emulator/linkedin-x.js';
import { createTenant } from '../../../support/tenants.js';
import { createMember } from '../calendar/approval-support.js';
import { rows, scheduledContent } from '../publishing/engine/engine-support.js';
import { configureEmulatorApps, connectThroughEmulator, relayEnv, removeEmulatorApps, type RelayEnv } from '../publishing/oauth/oauth-support.js';

const DAY = 24 * 3600_000;

describe('Analytics: engagement collection from the networks (against the emulator)', function () {
  this.timeout(60_000);
  let emulator: SocialEmulator;
  let e: RelayEnv;

  before(async () => {
    emulator = await startSocialEmulator();
    await configureEmulatorApps(emulator);
    e = relayEnv();
  });
  after(async () => {
    await e.container.dispose();
    await removeEmulatorApps();
    await emulator.stop();
  });
  beforeEach(async () => {
    e.clock.current = new Date();
    // what earlier tests left due goes out now, so each test counts only its own posts
    await e.cradle.publicationPlanner.run();
    while ((await e.cradle.outboxRelay.runOnce()).claimed > 0);
    emulator.reset();
  });

  /** A tenant with LinkedIn (member) and X connected through the emulator and one post sent on each. */
  async function tenantWithPosts(label: string): Promise<{ tenantId: string; accounts: Record<'linkedin' | 'x', string>; publications: Record<'linkedin' | 'x', string> }> {
    const tenantId = (await createTenant(e.cradle.database, { name: `Atelier ${label}` })).id;
    const owner = await createMember(tenantId, 'client_owner', `Claire ${label}`);
    const accounts = { linkedin: '', x: '' };
    const publications = { linkedin: '', x: '' };
    for (const channel of ['linkedin', 'x'] as const) {
      accounts[channel] = await connectThroughEmulator(e.cradle, tenantId, owner.userId, channel);
      const contentId = await scheduledContent(tenantId, { channel, body: `Portes ouvertes ${label} sur ${channel}` });
      await e.cradle.publicationPlanner.run();
      expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);
      publications[channel] = (await rows(e.cradle, tenantId, 'publications', { contentId }))[0]!.id;
    }
    return { tenantId, accounts, publications };
  }

  const collector = () => new EngagementCollector(e.cradle);
  const today = () => DateTime.fromJSDate(e.clock.now(), { zone: 'Europe/Paris' }).toISODate();
  const isoDay = (d: Date) => DateTime.fromJSDate(d).toISODate(); // DATE columns come back as local midnight
  const engagement = async (tenantId: string, channel?: SocialChannel) =>
    (await rows(e.cradle, tenantId, 'engagementMetrics', channel ? { channel } : {})).sort((a, b) => isoDay(a.metricDate)!.localeCompare(isoDay(b.metricDate)!) || a.channel.localeCompare(b.channel));

  it('stores each publication\'s totals once per day (the latest reading of the day), and the account audience', async () => {
    const { tenantId, accounts, publications } = await tenantWithPosts('Nantes');
    const run = await collector().collectTenant(tenantId);
    expect(run).to.deep.equal({ accounts: 2, posts: 2, failed: 0, deferred: 0 });

    let stored = await engagement(tenantId);
    expect(stored.map((r) => [r.channel, r.publicationId, r.channelAccountId, isoDay(r.metricDate)])).to.deep.equal([
      ['linkedin', publications.linkedin, accounts.linkedin, today()],
      ['x', publications.x, accounts.x, today()],
    ]);
    const first = emulatedEngagement(1);
    expect(stored[0]).to.include({ reactions: first.likes, comments: first.comments, impressions: 0 }); // a member: socialActions only
    expect(stored[1]).to.include({ impressions: first.impressions, reactions: first.likes, comments: first.comments, shares: first.shares + first.quotes, clicks: first.clicks, saves: first.bookmarks });

    // later the same day: the same rows, now with the latest totals
    e.clock.advance(6 * 3600_000 > msToMidnight(e.clock.now()) ? 60_000 : 6 * 3600_000);
    await collector().collectTenant(tenantId);
    stored = await engagement(tenantId);
    expect(stored).to.have.length(2);
    expect(stored[1]).to.include({ impressions: emulatedEngagement(2).impressions, clicks: emulatedEngagement(2).clicks });

    // the next day: a new row per publication; yesterday's keeps its last totals
    e.clock.advance(DAY);
    await collector().collectTenant(tenantId);
    stored = await engagement(tenantId, 'x');
    expect(stored.map((r) => [isoDay(r.metricDate), r.impressions])).to.deep.equal([
      [DateTime.fromJSDate(new Date(e.clock.now().getTime() - DAY), { zone: 'Europe/Paris' }).toISODate(), emulatedEngagement(2).impressions],
      [today(), emulatedEngagement(3).impressions],
    ]);

    const audience = await rows(e.cradle, tenantId, 'channelMetrics');
    expect(audience.map((r) => [r.channel, r.channelAccountId, r.followers])).to.deep.equal([
      ['x', accounts.x, emulatedFollowers(2)],
      ['x', accounts.x, emulatedFollowers(3)],
    ]);
  });

  it('works per tenant: a tenant\'s run reads and writes only its own publications; the job covers each tenant', async () => {
    const a = await tenantWithPosts('Rennes');
    const b = await tenantWithPosts('Brest');
    await collector().collectTenant(a.tenantId);
    expect(await engagement(b.tenantId)).to.have.length(0);
    expect((await engagement(a.tenantId)).map((r) => r.publicationId).sort()).to.deep.equal(Object.values(a.publications).sort());

    const run = await collector().collectAll();
    expect(run.tenants).to.be.at.least(2);
    expect((await engagement(b.tenantId)).map((r) => [r.tenantId, r.publicationId]).sort()).to.deep.equal(Object.values(b.publications).map((id) => [b.tenantId, id]).sort());
    // tenant A read once more, not twice: one row per publication and day
    expect(await engagement(a.tenantId)).to.have.length(2);
  });

  it('an account that fails is logged and skipped; the others are collected; a refused token marks the account', async () => {
    const { tenantId, accounts } = await tenantWithPosts('Lorient');
    emulator.fail({ network: 'linkedin', path: '/rest/socialActions', status: 500 });
    const run = await collector().collectTenant(tenantId);
    expect(run).to.include({ accounts: 1, failed: 1 });
    expect((await engagement(tenantId)).map((r) => r.channel)).to.deep.equal(['x']);

    emulator.revokeTokens('x');
    expect(await collector().collectTenant(tenantId)).to.include({ accounts: 1, failed: 1 });
    const [x] = await rows(e.cradle, tenantId, 'channelAccounts', { id: accounts.x });
    expect(x).to.include({ status: 'error', lastErrorCode: 'tokenRevoked' });
    expect((await engagement(tenantId)).map((r) => r.channel)).to.deep.equal(['linkedin', 'x']);
  });

  it('honours 429: a long Retry-After puts the network aside until then; a short one is waited for and retried', async () => {
    const { tenantId } = await tenantWithPosts('Vannes');
    const c = collector();
    const waits: number[] = [];
    c.sleep = async (ms) => void waits.push(ms);
    const tweetReads = () => emulator.calls.filter((call) => call.network === 'x' && call.method === 'GET' && call.path === '/2/tweets').length;

    emulator.fail({ network: 'x', path: '/2/tweets', status: 429, headers: { 'retry-after': '300' } });
    expect(await c.collectTenant(tenantId)).to.deep.equal({ accounts: 1, posts: 1, failed: 0, deferred: 1 });
    expect(tweetReads()).to.equal(1);
    expect(await engagement(tenantId, 'x')).to.have.length(0);

    e.clock.advance(120_000);
    expect(await c.collectTenant(tenantId)).to.include({ deferred: 1 });
    expect(tweetReads()).to.equal(1); // not asked again before the wait is over

    e.clock.advance(181_000);
    emulator.fail({ network: 'x', path: '/2/tweets', status: 429, headers: { 'retry-after': '2' } });
    expect(await c.collectTenant(tenantId)).to.include({ deferred: 0, failed: 0 });
    expect(waits).to.deep.equal([2000]);
    expect(tweetReads()).to.equal(3);
    expect(await engagement(tenantId, 'x')).to.have.length(1);
  });
});

/** Milliseconds until the next midnight in Paris (keeps "later the same day" on the same day). */
function msToMidnight(now: Date): number {
  const local = DateTime.fromJSDate(now, { zone: 'Europe/Paris' });
  return local.plus({ days: 1 }).startOf('day').toMillis() - local.toMillis();
}
