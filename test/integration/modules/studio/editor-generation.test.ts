import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { CookieAccessInfo } from 'cookiejar';
import type { TFunction } from 'i18next';
import { providerEnv, startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { DEMO_OWNER, loginAs, type Agent } from '../../../support/http.js';
import { creditBalance } from '../../../support/tenants.js';
import { databaseNow, eventually, freshTenantOwner, html, parseSse, removeCreatedSince, studioApp, tenantIdBySlug, type SseEvent, type StudioTestApp } from './editor-support.js';

/** The agent's cookies, for a raw request that can be cut mid-stream. */
function sessionCookie(agent: Agent): string {
  const jar = (agent as unknown as { jar: { getCookies(info: CookieAccessInfo): { toValueString(): string } } }).jar;
  return jar.getCookies(CookieAccessInfo.All).toValueString();
}

/**
 * Generation from the studio through the real provider adapters, against the AI emulator: the streamed answer,
 * what it costs, the plan's regeneration cap, a provider failure, a client leaving mid-stream, brand safety.
 */
describe('Studio generation through the provider adapters (emulator)', function () {
  this.timeout(90_000);
  let emulator: AiEmulator;
  let s: StudioTestApp;
  let owner: { agent: Agent; csrf: string };
  let tenantId: string;
  let fr: TFunction;
  let startedAt: Date;

  before(async () => {
    emulator = await startAiEmulator();
    s = studioApp(providerEnv(emulator));
    startedAt = await databaseNow(s.cradle);
    owner = await loginAs(s.app, DEMO_OWNER.email, DEMO_OWNER.password);
    tenantId = await tenantIdBySlug(s.cradle, 'boulangerie-martin');
    fr = s.cradle.i18n.getFixedT('fr');
  });

  after(async () => {
    if (tenantId) await removeCreatedSince(s.cradle, [tenantId], startedAt);
    await s?.dispose();
    await emulator?.stop();
  });

  beforeEach(() => emulator.reset());

  const contentRow = (id: string) => s.cradle.database.forTenant(tenantId, (trx) => trx('contents').where({ id }).first());
  const versionRows = (id: string) => s.cradle.database.forTenant(tenantId, (trx) => trx('contentVersions').where({ contentId: id }).orderBy('number'));

  async function create(brief = 'Annoncer la fournée de brioches du dimanche'): Promise<string> {
    const res = await owner.agent.post('/app/studio').type('form').send({ _csrf: owner.csrf, channel: 'linkedin', brief, intent: 'generate' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    return /\/app\/studio\/([0-9a-f-]{36})/.exec(res.headers.location)![1];
  }

  /** Runs `work` with the offline composer inactive in the catalogue, so that failing providers leave no model. */
  async function withoutOfflineModel<T>(work: () => Promise<T>): Promise<T> {
    const setActive = async (active: boolean) => {
      await s.cradle.database.asPlatform((trx) => trx('aiModels').where({ modelId: 'offline-composer' }).update({ active }));
      s.cradle.aiGateway.invalidateCatalogue();
    };
    await setActive(false);
    try {
      return await work();
    } finally {
      await setActive(true);
    }
  }

  async function stream(id: string): Promise<{ status: number; events: SseEvent[] }> {
    const res = await owner.agent.post(`/app/studio/${id}/generate`).set('Accept', 'text/event-stream').set('X-CSRF-Token', owner.csrf).type('form').send({});
    expect(res.headers['content-type']).to.match(/^text\/event-stream/);
    return { status: res.status, events: parseSse(res.text) };
  }

  it('streams the model’s text, saves it as a version with the model, the prompt cascade and the DNA snapshot, and spends credits', async () => {
    const id = await create();
    const before = await creditBalance(s.cradle.database, tenantId);
    const { status, events } = await stream(id);
    expect(status).to.equal(200);
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).to.be.greaterThan(1);
    expect(events.map((e) => e.event)).to.deep.equal([...deltas.map(() => 'delta'), 'done']);

    const [version] = await versionRows(id);
    expect(version).to.include({ number: 1, source: 'generation' });
    expect(version.modelId).to.be.a('string').and.not.equal('offline-composer');
    expect(deltas.map((e) => (e.data as { text: string }).text).join('').trim()).to.equal(version.body);
    expect(version.body).to.include("Réponse de l'émulateur");
    // the request the provider got carried the brief
    expect(JSON.stringify(emulator.requests.map((r) => r.body))).to.include('brioches du dimanche');

    const content = await contentRow(id);
    expect(content.promptLayersSnapshot).to.include({ model: version.modelId, offline: false });
    expect(content.promptLayersSnapshot.ref).to.be.a('string');
    const dna = await s.cradle.dnaService.currentSnapshotRef(tenantId);
    expect(content.dnaSnapshotId).to.equal(dna?.id ?? null);
    expect(version.dnaSnapshotId).to.equal(dna?.id ?? null);

    const after = await creditBalance(s.cradle.database, tenantId);
    expect(after.balance).to.be.lessThan(before.balance);
    expect(after.reserved).to.equal(before.reserved);
    const call = await s.cradle.database.forTenant(tenantId, (trx) => trx('aiCalls').where({ id: version.aiCallId }).first('status', 'task'));
    expect(call).to.include({ status: 'ok', task: 'generation' });

    const done = events.at(-1)!.data as { html: string };
    expect(done.html).to.include(`<code>${html(version.modelId)}</code>`);
    expect(done.html).to.not.include(html(fr('studio.editor.details.offline')));
    if (dna) expect(done.html).to.include(`href="/app/brand/dna/${dna.version}"`);
  });

  it('counts each regeneration against the plan’s cap, says how many are left, and refuses past it (409)', async () => {
    const id = await create();
    const cap = (await s.cradle.contentService.regenerationsLeft(tenantId, id)).cap;
    expect(cap).to.equal(5); // the demo tenant's plan (growth)
    expect((await stream(id)).status).to.equal(200); // the first generation is not a regeneration
    for (let used = 1; used <= cap; used++) {
      const { status, events } = await stream(id);
      expect(status).to.equal(200);
      const done = events.at(-1)!;
      expect(done.event).to.equal('done');
      expect((done.data as { regenerationsLeft: number }).regenerationsLeft).to.equal(cap - used);
    }
    const page = await owner.agent.get(`/app/studio/${id}`);
    expect(page.text).to.match(/id="generate-button" disabled aria-describedby="generate-why"/);
    expect(page.text).to.include(html(fr('studio.editor.capReached', { cap })));

    const refused = await stream(id);
    expect(refused.status).to.equal(409);
    const message = fr('billing.errors.regenerationCapReached', { cap, used: cap });
    expect(refused.events).to.deep.equal([{ event: 'error', data: { status: 409, message } }]);
    const plain = await owner.agent.post(`/app/studio/${id}/generate`).type('form').send({ _csrf: owner.csrf });
    expect(plain.status).to.equal(409);
    expect(plain.text).to.include(html(message)).and.include('id="editor"');
    expect(await versionRows(id)).to.have.length(cap + 1);
    expect((await contentRow(id)).regenerationCount).to.equal(cap);
  });

  it('when the providers fail: an error event, the content back to its status, credits refunded, the regeneration not counted', async () => {
    const id = await create();
    expect((await stream(id)).status).to.equal(200);
    const statusBefore = (await contentRow(id)).status;
    const allowance = await s.cradle.contentService.regenerationsLeft(tenantId, id);
    const credits = await creditBalance(s.cradle.database, tenantId);

    // every provider answers 500, and the offline composer (the route's last resort) is switched off meanwhile
    emulator.injectFault({}, { status: 500 });
    const { status, events } = await withoutOfflineModel(() => stream(id));
    emulator.clearFaults();
    expect(status).to.equal(503);
    expect(events).to.deep.equal([{ event: 'error', data: { status: 503, message: fr('ai.errors.allModelsFailed') } }]);
    expect(emulator.requests.length).to.be.greaterThan(0);

    expect((await contentRow(id)).status).to.equal(statusBefore);
    expect(await versionRows(id)).to.have.length(1);
    expect(await s.cradle.contentService.regenerationsLeft(tenantId, id)).to.deep.equal(allowance);
    expect(await creditBalance(s.cradle.database, tenantId)).to.deep.equal(credits);
    const calls = await s.cradle.database.forTenant(tenantId, (trx) =>
      trx('aiCalls').where({ tenantId, subjectType: 'content', subjectId: id }).orderBy('createdAt').select('status'),
    );
    expect(calls.filter((c) => c.status !== 'ok').length).to.be.greaterThan(0);

    // the page still works: the next attempt succeeds
    const retry = await stream(id);
    expect(retry.events.at(-1)!.event).to.equal('done');
  });

  it('refuses a generation the tenant cannot pay for (402), with the message and nothing spent', async () => {
    const broke = await freshTenantOwner(s.cradle, s.app, { credits: 0 });
    const created = await broke.agent.post('/app/studio').type('form').send({ _csrf: broke.csrf, channel: 'x', brief: 'Un tweet', intent: 'generate' });
    const id = /\/app\/studio\/([0-9a-f-]{36})/.exec(created.headers.location)![1];
    const res = await broke.agent.post(`/app/studio/${id}/generate`).set('Accept', 'text/event-stream').set('X-CSRF-Token', broke.csrf).send();
    expect(res.status).to.equal(402);
    expect(parseSse(res.text)).to.deep.equal([{ event: 'error', data: { status: 402, message: fr('billing.errors.insufficientCredits') } }]);
    const row = await s.cradle.database.forTenant(broke.tenantId, (trx) => trx('contents').where({ id }).first('status', 'currentVersionId'));
    expect(row).to.deep.equal({ status: 'draft', currentVersionId: null });
    expect(await creditBalance(s.cradle.database, broke.tenantId)).to.deep.equal({ balance: 0, reserved: 0 });
  });

  it('finishes and saves the generation when the client leaves mid-stream', async () => {
    const id = await create();
    emulator.latencyMs = [150, 150];
    const server = s.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const cookie = sessionCookie(owner.agent);
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: `/app/studio/${id}/generate`,
            headers: { Accept: 'text/event-stream', 'X-CSRF-Token': owner.csrf, Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': 0 },
          },
          (res) => {
            expect(res.statusCode).to.equal(200);
            // the first event is there: go away
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
        req.end();
      });
      // saved, then checked (the last step of a generation for a social post in semi mode)
      const version = await eventually(async () => {
        const [row] = await versionRows(id);
        return row?.brandSafetyCheckedAt && row;
      });
      expect(version).to.include({ number: 1, source: 'generation' });
      const content = await eventually(async () => {
        const row = await contentRow(id);
        return row.status !== 'generating' && row;
      });
      expect(content.currentVersionId).to.equal(version.id);
    } finally {
      emulator.latencyMs = [0, 0];
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('flags a generated version that uses a word the DNA bans', async () => {
    const before = await s.cradle.dnaService.current(tenantId);
    const userId = (await s.cradle.database.asPlatform((trx) => trx('users').where({ email: DEMO_OWNER.email }).first('id'))).id;
    const vocabulary = before?.content.vocabulary;
    await s.cradle.dnaService.edit(tenantId, userId, { vocabulary: { ...(vocabulary ?? {}), banned: [...(vocabulary?.banned ?? []), 'surgelé'] } });
    try {
      const id = await create('Surgelé jamais : tout est pétri sur place chaque nuit');
      const { events } = await stream(id);
      const [version] = await versionRows(id);
      expect(version.body.toLowerCase(), 'the emulator quotes the brief').to.include('surgelé');
      expect(version.brandSafetyStatus).to.equal('flagged');
      const done = events.at(-1)!.data as { html: string };
      expect(done.html).to.include('<mark>surgelé</mark>').and.include(html(fr('studio.brandSafety.status.flagged')));
      const snapshot = await s.cradle.dnaService.currentSnapshotRef(tenantId);
      expect(version.dnaSnapshotId).to.equal(snapshot!.id); // the snapshot with the banned word
    } finally {
      await s.cradle.dnaService.edit(tenantId, userId, { vocabulary: vocabulary ?? undefined });
    }
  });
});
