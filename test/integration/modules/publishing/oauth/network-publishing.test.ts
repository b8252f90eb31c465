import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { publicationKey } from '../../../../../src/modules/publishing/engine/index.js';
import { testEnv } from '../../../../support/root-hooks.js';
import { startSocialEmulator, type SocialEmulator } from '../../../../support/social-emulator/linkedin-x.js';
import { createTenant } from '../../../../support/tenants.js';
import { createMember, session } from '../../calendar/approval-support.js';
import { failureMails, rows, scheduledContent } from '../engine/engine-support.js';
import { configureEmulatorApps, connectThroughEmulator, relayEnv, removeEmulatorApps, type RelayEnv } from './oauth-support.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.resolve(HERE, '../../../../support/publishing-relay-worker.ts');
const LEASE_PASSED = 6 * 60 * 1000;

function relayInChild(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { ...process.env, RELAY_DATABASE_URL: testEnv().db.url, RELAY_DATABASE_KIND: testEnv().db.kind, RELAY_DATA_DIR: testEnv().config.dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('Publishing: LinkedIn and X through the relay, against the emulator', function () {
  this.timeout(60_000);
  let emulator: SocialEmulator;
  let e: RelayEnv;
  let tenantId: string;
  let owner: { userId: string; email: string };

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
    // the relay serves every tenant: what earlier tests left due goes out now, so each test counts only its own
    await e.cradle.publicationPlanner.run();
    while ((await e.cradle.outboxRelay.runOnce()).claimed > 0);
    emulator.reset();
    tenantId = (await createTenant(e.cradle.database, { name: 'Atelier Vélo' })).id;
    owner = await createMember(tenantId, 'client_owner', 'Claire Martin');
  });

  const account = async (id: string) => (await rows(e.cradle, tenantId, 'channelAccounts', { id }))[0]!;
  const publication = async (contentId: string) => (await rows(e.cradle, tenantId, 'publications', { contentId }))[0]!;

  it('LinkedIn: one post through the Posts API, as the member, commentary escaped; recorded sent with its URN', async () => {
    const accountId = await connectThroughEmulator(e.cradle, tenantId, owner.userId, 'linkedin');
    const id = await scheduledContent(tenantId, { body: 'Atelier réparation (samedi) : #vélo @Nantes' });
    await e.cradle.publicationPlanner.run();
    expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);

    const posts = emulator.postsOf('linkedin');
    expect(posts).to.have.length(1);
    expect(posts[0]!.author).to.match(/^urn:li:person:/);
    expect(posts[0]!.text).to.match(/^Atelier réparation \\\(samedi\\\) : \\#vélo \\@Nantes/);
    const sent = await publication(id);
    expect(sent).to.include({ status: 'sent', externalPostId: posts[0]!.id, sandbox: false, channelAccountId: accountId });
    expect(sent.externalUrl).to.equal(`https://www.linkedin.com/feed/update/${encodeURIComponent(posts[0]!.id)}/`);
    expect((await rows(e.cradle, tenantId, 'contents', { id }))[0]!.status).to.equal('published');
    await e.cradle.outboxRelay.runOnce();
    expect(emulator.postsOf('linkedin')).to.have.length(1);
  });

  it('X: one post through POST /2/tweets', async () => {
    await connectThroughEmulator(e.cradle, tenantId, owner.userId, 'x');
    const id = await scheduledContent(tenantId, { channel: 'x', body: 'Révision complète à 49 € & pneus offerts' });
    await e.cradle.publicationPlanner.run();
    expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);
    const posts = emulator.postsOf('x');
    expect(posts).to.have.length(1);
    expect(posts[0]!.text).to.include('Révision complète à 49 € & pneus offerts');
    expect(await publication(id)).to.include({ status: 'sent', externalPostId: posts[0]!.id, externalUrl: `https://x.com/boulangerie_m/status/${posts[0]!.id}` });
  });

  for (const channel of ['linkedin', 'x'] as const) {
    it(`${channel}: a worker killed after the network call; the restarted relay finds the post, never sends a second`, async () => {
      const accountId = await connectThroughEmulator(e.cradle, tenantId, owner.userId, channel);
      const id = await scheduledContent(tenantId, { channel, body: `Portes ouvertes ce samedi, détails : https://atelier.example/po?x=${channel}` });
      await e.cradle.publicationPlanner.run();

      const crashed = await relayInChild({ RELAY_CRASH_AFTER_PUBLISH: '1' });
      expect(crashed.code, crashed.stderr).to.equal(137);
      expect(emulator.postsOf(channel)).to.have.length(1);
      expect((await publication(id)).status).to.equal('sending');

      e.clock.advance(LEASE_PASSED);
      const run = await e.cradle.outboxRelay.runOnce();
      expect(run.outcomes.recovered).to.equal(1);
      expect(emulator.postsOf(channel)).to.have.length(1);
      const recovered = await publication(id);
      expect(recovered).to.include({ status: 'sent', externalPostId: emulator.postsOf(channel)[0]!.id, attempts: 2, channelAccountId: accountId });
      expect(publicationKey(id, accountId)).to.equal(recovered.idempotencyKey);
    });
  }

  it('429 with Retry-After: retried after the wait, then one post', async () => {
    await connectThroughEmulator(e.cradle, tenantId, owner.userId, 'linkedin');
    const id = await scheduledContent(tenantId);
    await e.cradle.publicationPlanner.run();
    emulator.fail({ network: 'linkedin', path: '/rest/posts', method: 'POST', status: 429, headers: { 'retry-after': '300' } });
    const before = e.clock.now();
    expect((await e.cradle.outboxRelay.runOnce()).outcomes.retry).to.equal(1);
    const waiting = await publication(id);
    expect(waiting).to.include({ status: 'queued', errorKind: 'temporary', errorCode: 'rateLimited' });
    expect(waiting.nextAttemptAt.getTime() - before.getTime()).to.equal(300_000);
    expect(emulator.postsOf('linkedin')).to.have.length(0);

    e.clock.advance(300_000);
    expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);
    expect(emulator.postsOf('linkedin')).to.have.length(1);
    expect(await publication(id)).to.include({ status: 'sent', attempts: 2 });
  });

  it('401 (access revoked on X): publication failed, owner alerted, account shown to reconnect', async () => {
    const accountId = await connectThroughEmulator(e.cradle, tenantId, owner.userId, 'x');
    const id = await scheduledContent(tenantId, { channel: 'x', title: 'Soldes vélo' });
    await e.cradle.publicationPlanner.run();
    emulator.revokeTokens('x');
    expect((await e.cradle.outboxRelay.runOnce()).outcomes.failed).to.equal(1);

    expect(await publication(id)).to.include({ status: 'failed', errorKind: 'permanent', errorCode: 'tokenRevoked' });
    expect(await account(accountId)).to.include({ status: 'error', lastErrorCode: 'tokenRevoked' });
    const mails = await failureMails(e.cradle, tenantId);
    expect(mails.map((m) => m.recipient)).to.deep.equal([owner.email]);
    expect(emulator.postsOf('x')).to.have.length(0);

    const viewer = await session(tenantId, 'client_owner', 'Autre Gérant');
    const page = await viewer.agent.get('/app/channels');
    expect(page.text).to.include('L’accès au compte a été révoqué');
    expect(page.text).to.include('href="/app/channels/connect/x"'); // reconnect
  });

  it('a token about to expire is refreshed before publishing, and the new one is kept (encrypted)', async () => {
    emulator.accessTokenTtlSeconds = 120;
    const accountId = await connectThroughEmulator(e.cradle, tenantId, owner.userId, 'x');
    const before = JSON.parse(e.cradle.secretBox.open((await account(accountId)).credentialsEncrypted));
    const id = await scheduledContent(tenantId, { channel: 'x' });
    await e.cradle.publicationPlanner.run();
    emulator.accessTokenTtlSeconds = 3600;
    expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);

    expect(emulator.calls.filter((c) => c.path === '/2/oauth2/token')).to.have.length(2); // code, then refresh
    const [post] = emulator.postsOf('x');
    expect(post!.accessToken).to.not.equal(before.accessToken);
    const stored = await account(accountId);
    const after = JSON.parse(e.cradle.secretBox.open(stored.credentialsEncrypted));
    expect(after.accessToken).to.equal(post!.accessToken);
    expect(after.refreshToken).to.not.equal(before.refreshToken); // X rotated it
    expect(stored.lastRefreshedAt).to.be.instanceOf(Date);
    expect(stored.tokenExpiresAt.getTime()).to.be.closeTo(Date.now() + 3600_000, 60_000);
    expect((await publication(id)).status).to.equal('sent');
  });

  it('the hourly job refreshes tokens expiring within a day; a refused refresh marks the account for reconnection', async () => {
    const good = await connectThroughEmulator(e.cradle, tenantId, owner.userId, 'linkedin');
    const run = await e.cradle.oauthCredentialKeeper.refreshExpiring();
    expect(run.refreshed).to.be.at.least(1);
    expect((await account(good)).lastRefreshedAt).to.be.instanceOf(Date);

    emulator.revokeTokens('linkedin');
    await e.cradle.oauthCredentialKeeper.refreshExpiring();
    expect(await account(good)).to.include({ status: 'error', lastErrorCode: 'tokenRevoked' });
    // a revoked account's contents no longer go out on it
    const id = await scheduledContent(tenantId);
    await e.cradle.publicationPlanner.run();
    expect(await rows(e.cradle, tenantId, 'publications', { contentId: id })).to.have.length(0);
  });
});
