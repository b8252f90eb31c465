import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { publicationKey } from '../../../../../src/modules/publishing/engine/index.js';
import { PublishError } from '../../../../../src/modules/publishing/ports.js';
import { testEnv } from '../../../../support/root-hooks.js';
import { createTenant } from '../../../../support/tenants.js';
import { createMember } from '../../calendar/approval-support.js';
import { createCampaign } from '../../calendar/calendar-fixtures.js';
import { deliveriesFor, engineEnv, failureMails, rows, scheduledContent, type EngineEnv } from './engine-support.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.resolve(HERE, '../../../../support/publishing-relay-worker.ts');
const LEASE_PASSED = 6 * 60 * 1000;

/** Runs the relay once in a child process; resolves with its exit code and output. */
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

describe('Publishing engine: exactly-once publication of approved contents', function () {
  this.timeout(60_000);
  let e: EngineEnv;
  let tenantId: string;
  let ownerEmail: string;

  before(async () => {
    e = engineEnv();
  });
  after(async () => {
    await e.container.dispose();
  });

  beforeEach(async () => {
    e.clock.current = new Date();
    e.registry.failures.length = 0;
    // the relay serves every tenant: what earlier tests left due goes out now, so each test counts only its own
    await e.cradle.publicationPlanner.run();
    while ((await e.cradle.outboxRelay.runOnce()).claimed > 0);
    e.registry.publishCalls = 0;
    tenantId = (await createTenant(e.cradle.database, { name: 'Boulangerie Test' })).id;
    ownerEmail = (await createMember(tenantId, 'client_owner', 'Claire Martin')).email;
    await createMember(tenantId, 'client_editor', 'Éric Rédacteur');
  });

  async function connect(channel: 'linkedin' | 'facebook' = 'linkedin', name = 'Page LinkedIn'): Promise<string> {
    const owner = await e.cradle.database.asPlatform(async (trx) => (await trx('users').where({ email: ownerEmail }).first('id')).id as string);
    return (await e.cradle.channelAccountService.connectSandbox(tenantId, owner, { channel, displayName: name })).id;
  }

  describe('planner', () => {
    it('creates one publication and one outbox message per due content and account, and nothing on a second run', async () => {
      const a1 = await connect('linkedin', 'Page 1');
      const a2 = await connect('linkedin', 'Page 2');
      const due = await scheduledContent(tenantId);
      const later = await scheduledContent(tenantId, { startsAt: new Date(Date.now() + 3 * 60 * 60 * 1000) });
      const blog = await scheduledContent(tenantId, { channel: 'blog' });

      const first = await e.cradle.publicationPlanner.run();
      expect(first.created).to.be.at.least(2);
      const pubs = await rows(e.cradle, tenantId, 'publications');
      expect(pubs.map((p) => p.idempotencyKey).sort()).to.deep.equal([publicationKey(due, a1), publicationKey(due, a2)].sort());
      expect(pubs.every((p) => p.status === 'queued' && p.sandbox === true)).to.equal(true);
      const slot = (await rows(e.cradle, tenantId, 'calendarSlots', { contentId: due }))[0];
      expect(pubs[0].scheduledFor.toISOString()).to.equal(slot.startsAt.toISOString());
      expect(pubs[0].calendarSlotId).to.equal(slot.id);
      const outbox = await rows(e.cradle, tenantId, 'outboxMessages');
      expect(outbox.map((m) => m.idempotencyKey).sort()).to.deep.equal(pubs.map((p) => p.idempotencyKey).sort());
      expect(outbox.every((m) => m.kind === 'publishing:publish' && m.status === 'pending')).to.equal(true);

      await e.cradle.publicationPlanner.run();
      expect(await rows(e.cradle, tenantId, 'publications')).to.have.length(2);
      expect(await rows(e.cradle, tenantId, 'outboxMessages')).to.have.length(2);
      expect(await rows(e.cradle, tenantId, 'publications', { contentId: later })).to.have.length(0);
      expect(await rows(e.cradle, tenantId, 'publications', { contentId: blog })).to.have.length(0);
    });

    it('leaves a content scheduled when its network has no connected account', async () => {
      await connect('facebook', 'Page Facebook');
      const id = await scheduledContent(tenantId, { channel: 'linkedin' });
      await e.cradle.publicationPlanner.run();
      expect(await rows(e.cradle, tenantId, 'publications', { contentId: id })).to.have.length(0);
      expect((await rows(e.cradle, tenantId, 'contents', { id }))[0].status).to.equal('scheduled');
      const waiting = await e.cradle.channelAccountRepository.unplanned(tenantId, e.clock.now());
      expect(waiting.map((w) => w.contentId)).to.deep.equal([id]);
    });
  });

  describe('relay', () => {
    it('publishes through the sandbox: one delivery with the request, publication sent, content and slot published', async () => {
      const account = await connect();
      const campaignId = await createCampaign(tenantId, 'Printemps');
      const id = await scheduledContent(tenantId, { title: 'Vitrine', body: 'Venez voir https://boulangerie.example/vitrine !', campaignId });
      await e.cradle.publicationPlanner.run();
      const run = await e.cradle.outboxRelay.runOnce();
      expect(run.outcomes.sent).to.equal(1);

      const key = publicationKey(id, account);
      const deliveries = await deliveriesFor(e.cradle, tenantId, key);
      expect(deliveries).to.have.length(1);
      expect(deliveries[0].channel).to.equal('linkedin');
      expect(deliveries[0].channelAccountId).to.equal(account);
      expect(deliveries[0].payload).to.include({ title: 'Vitrine', idempotencyKey: key, channel: 'linkedin' });
      // the link went out tagged with the campaign and shortened (links area's tagger)
      const [campaign] = await rows(e.cradle, tenantId, 'campaigns', { id: campaignId });
      const links = await rows(e.cradle, tenantId, 'shortLinks', { contentId: id });
      expect(links).to.have.length(1);
      expect(links[0]).to.include({ originalUrl: 'https://boulangerie.example/vitrine', utmCampaign: campaign.utmCampaign });
      expect(deliveries[0].payload.text).to.match(new RegExp(`^Venez voir \\S+/r/${links[0].code} !$`));
      const [publication] = await rows(e.cradle, tenantId, 'publications', { contentId: id });
      expect(publication).to.include({ status: 'sent', externalPostId: deliveries[0].fakeExternalId, attempts: 1 });
      expect(deliveries[0].publicationId).to.equal(publication.id);
      expect(publication.sentAt).to.be.instanceOf(Date);
      const [content] = await rows(e.cradle, tenantId, 'contents', { id });
      expect(content.status).to.equal('published');
      expect(content.publishedAt).to.be.instanceOf(Date);
      expect((await rows(e.cradle, tenantId, 'calendarSlots', { contentId: id }))[0].status).to.equal('published');
      expect((await rows(e.cradle, tenantId, 'outboxMessages', { idempotencyKey: key }))[0]).to.include({ status: 'done' });

      // nothing left to do: another run sends nothing
      await e.cradle.outboxRelay.runOnce();
      expect(await deliveriesFor(e.cradle, tenantId, key)).to.have.length(1);
    });

    it('a worker killed between the network call and the commit: the restarted relay records the post, never sends a second', async function () {
      const account = await connect();
      const id = await scheduledContent(tenantId);
      await e.cradle.publicationPlanner.run();
      const key = publicationKey(id, account);

      const crashed = await relayInChild({ RELAY_CRASH_AFTER_PUBLISH: '1' });
      expect(crashed.code, crashed.stderr).to.equal(137);
      // the post reached the network, nothing was recorded
      expect(await deliveriesFor(e.cradle, tenantId, key)).to.have.length(1);
      const [stuck] = await rows(e.cradle, tenantId, 'publications', { contentId: id });
      expect(stuck.status).to.equal('sending');
      expect((await rows(e.cradle, tenantId, 'contents', { id }))[0].status).to.equal('publishing');

      // within the dead worker's lease nobody touches it
      expect((await e.cradle.outboxRelay.runOnce()).claimed).to.equal(0);
      e.clock.advance(LEASE_PASSED);
      const run = await e.cradle.outboxRelay.runOnce();
      expect(run.outcomes.recovered).to.equal(1);

      const deliveries = await deliveriesFor(e.cradle, tenantId, key);
      expect(deliveries).to.have.length(1);
      const [publication] = await rows(e.cradle, tenantId, 'publications', { contentId: id });
      expect(publication).to.include({ status: 'sent', externalPostId: deliveries[0].fakeExternalId, attempts: 2 });
      expect((await rows(e.cradle, tenantId, 'contents', { id }))[0].status).to.equal('published');
      expect(e.registry.publishCalls).to.equal(0);
    });

    it('a relay in another process without a crash publishes once', async () => {
      const account = await connect();
      const id = await scheduledContent(tenantId);
      await e.cradle.publicationPlanner.run();
      const result = await relayInChild({});
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout).outcomes.sent).to.be.at.least(1);
      expect(await deliveriesFor(e.cradle, tenantId, publicationKey(id, account))).to.have.length(1);
      expect((await rows(e.cradle, tenantId, 'publications', { contentId: id }))[0].status).to.equal('sent');
    });

    it('two relays at once: one delivery', async () => {
      const account = await connect();
      const id = await scheduledContent(tenantId);
      await e.cradle.publicationPlanner.run();
      const other = engineEnv();
      try {
        other.clock.current = e.clock.now();
        const runs = await Promise.all([e.cradle.outboxRelay.runOnce(), other.cradle.outboxRelay.runOnce(), e.cradle.outboxRelay.runOnce()]);
        expect(runs.reduce((n, r) => n + r.outcomes.sent, 0)).to.be.at.least(1);
      } finally {
        await other.container.dispose();
      }
      expect(await deliveriesFor(e.cradle, tenantId, publicationKey(id, account))).to.have.length(1);
      expect((await rows(e.cradle, tenantId, 'publications', { contentId: id }))[0].status).to.equal('sent');
    });

    it('a temporary error is retried after the backoff (Retry-After honoured), then succeeds', async () => {
      const account = await connect();
      const id = await scheduledContent(tenantId);
      await e.cradle.publicationPlanner.run();
      e.registry.failures.push(new PublishError('temporary', 'rateLimited', '429 Too Many Requests', { retryAfterMs: 10 * 60 * 1000, status: 429 }));
      const before = e.clock.now();
      expect((await e.cradle.outboxRelay.runOnce()).outcomes.retry).to.equal(1);

      let [publication] = await rows(e.cradle, tenantId, 'publications', { contentId: id });
      expect(publication).to.include({ status: 'queued', attempts: 1, errorKind: 'temporary', errorCode: 'rateLimited' });
      expect(publication.nextAttemptAt.getTime() - before.getTime()).to.equal(10 * 60 * 1000);
      expect((await rows(e.cradle, tenantId, 'contents', { id }))[0].status).to.equal('scheduled');
      expect(await deliveriesFor(e.cradle, tenantId, publicationKey(id, account))).to.have.length(0);

      // not before its time
      e.clock.advance(5 * 60 * 1000);
      expect((await e.cradle.outboxRelay.runOnce()).claimed).to.equal(0);
      e.clock.advance(5 * 60 * 1000);
      expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);
      [publication] = await rows(e.cradle, tenantId, 'publications', { contentId: id });
      expect(publication).to.include({ status: 'sent', attempts: 2, errorKind: null });
      expect(await deliveriesFor(e.cradle, tenantId, publicationKey(id, account))).to.have.length(1);
    });

    it('temporary errors up to the last attempt: failed', async () => {
      await connect();
      const id = await scheduledContent(tenantId);
      await e.cradle.publicationPlanner.run();
      for (let i = 0; i < 5; i += 1) e.registry.failures.push(new PublishError('temporary', 'networkUnavailable', '503'));
      for (let i = 0; i < 5; i += 1) {
        await e.cradle.outboxRelay.runOnce();
        e.clock.advance(2 * 60 * 60 * 1000);
      }
      const [publication] = await rows(e.cradle, tenantId, 'publications', { contentId: id });
      expect(publication).to.include({ status: 'failed', attempts: 5, errorKind: 'permanent', errorCode: 'networkUnavailable' });
      expect((await rows(e.cradle, tenantId, 'contents', { id }))[0].status).to.equal('failed');
    });

    it('a permanent error fails the publication and the content, and e-mails the members who manage publishing; retry sends it', async () => {
      const account = await connect();
      const id = await scheduledContent(tenantId, { title: 'Vitrine refusée' });
      await e.cradle.publicationPlanner.run();
      e.registry.failures.push(new PublishError('permanent', 'tokenRevoked', 'invalid_grant: token revoked', { status: 401 }));
      expect((await e.cradle.outboxRelay.runOnce()).outcomes.failed).to.equal(1);

      const [publication] = await rows(e.cradle, tenantId, 'publications', { contentId: id });
      expect(publication).to.include({ status: 'failed', errorKind: 'permanent', errorCode: 'tokenRevoked', errorMessage: 'invalid_grant: token revoked' });
      expect((await rows(e.cradle, tenantId, 'contents', { id }))[0].status).to.equal('failed');
      const mails = await failureMails(e.cradle, tenantId);
      expect(mails.map((m) => m.recipient)).to.deep.equal([ownerEmail]); // the editor may not manage publishing
      expect(mails[0].payload.subject).to.equal('Publication échouée : « Vitrine refusée » sur LinkedIn');
      expect(mails[0].payload.text).to.include('L’accès au compte a été révoqué');

      // later runs do not send it, nor mail again
      await e.cradle.outboxRelay.runOnce();
      expect(await deliveriesFor(e.cradle, tenantId, publicationKey(id, account))).to.have.length(0);
      expect(await failureMails(e.cradle, tenantId)).to.have.length(1);

      await e.cradle.channelAccountService.retry(tenantId, publication.id);
      expect((await rows(e.cradle, tenantId, 'contents', { id }))[0].status).to.equal('scheduled');
      expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);
      expect((await rows(e.cradle, tenantId, 'contents', { id }))[0].status).to.equal('published');
      expect(await deliveriesFor(e.cradle, tenantId, publicationKey(id, account))).to.have.length(1);
    });

    it('an account that is not a sandbox fails with networkNotConfigured until the real adapters exist', async () => {
      const id = await scheduledContent(tenantId);
      await e.cradle.database.forTenant(tenantId, (trx) =>
        trx('channelAccounts').insert({ tenantId, channel: 'linkedin', externalAccountId: 'urn:li:organization:1', displayName: 'Vraie page', sandbox: false }),
      );
      await e.cradle.publicationPlanner.run();
      await e.cradle.outboxRelay.runOnce();
      const [publication] = await rows(e.cradle, tenantId, 'publications', { contentId: id });
      expect(publication).to.include({ status: 'failed', errorCode: 'networkNotConfigured', sandbox: false });
    });

    it('a text edited after planning is not published; approved again, it is planned again and goes out once', async () => {
      const account = await connect();
      const id = await scheduledContent(tenantId);
      await e.cradle.publicationPlanner.run();
      await e.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ tenantId, id }).update({ status: 'pending_approval' }));
      expect((await e.cradle.outboxRelay.runOnce()).outcomes.cancelled).to.equal(1);
      expect((await rows(e.cradle, tenantId, 'publications', { contentId: id }))[0].status).to.equal('cancelled');

      await e.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ tenantId, id }).update({ status: 'scheduled' }));
      expect((await e.cradle.publicationPlanner.run()).requeued).to.equal(1);
      expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);
      expect(await deliveriesFor(e.cradle, tenantId, publicationKey(id, account))).to.have.length(1);
    });

    it('a slot moved later waits for its new time', async () => {
      const account = await connect();
      const id = await scheduledContent(tenantId);
      await e.cradle.publicationPlanner.run();
      const later = new Date(e.clock.now().getTime() + 30 * 60 * 1000);
      await e.cradle.database.forTenant(tenantId, async (trx) => {
        await trx('contents').where({ tenantId, id }).update({ scheduledAt: later });
        await trx('calendarSlots').where({ tenantId, contentId: id }).update({ startsAt: later });
      });
      expect((await e.cradle.publicationPlanner.run()).moved).to.equal(1);
      expect((await e.cradle.outboxRelay.runOnce()).claimed).to.equal(0);
      e.clock.advance(31 * 60 * 1000);
      expect((await e.cradle.outboxRelay.runOnce()).outcomes.sent).to.equal(1);
      expect(await deliveriesFor(e.cradle, tenantId, publicationKey(id, account))).to.have.length(1);
    });
  });
});
