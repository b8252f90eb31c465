import crypto from 'node:crypto';
import { expect } from 'chai';
import { AppError } from '../../../../src/shared/errors.js';
import type { GenerationEvent } from '../../../../src/modules/studio/domain.js';
import type { AwilixContainer } from 'awilix';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import { providerEnv, startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';
import { createTenant, creditBalance, type TestTenant } from '../../../support/tenants.js';

async function createUser(): Promise<string> {
  const { database } = testEnv().container.cradle;
  return database.asPlatform(async (trx) => {
    const [row] = await trx('users').insert({ email: `writer-${crypto.randomBytes(4).toString('hex')}@cadence.test`, name: 'Rédactrice', passwordHash: 'x', locale: 'fr' }).returning('id');
    return row.id as string;
  });
}

async function collect(events: AsyncIterable<GenerationEvent>): Promise<{ deltas: string[]; done: Extract<GenerationEvent, { type: 'done' }> }> {
  const deltas: string[] = [];
  let done: Extract<GenerationEvent, { type: 'done' }> | undefined;
  for await (const event of events) {
    if (event.type === 'delta') deltas.push(event.text);
    else done = event;
  }
  if (!done) throw new Error('no done event');
  return { deltas, done };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('studio/ContentService', function () {
  this.timeout(60_000);
  let tenant: TestTenant;
  let userId: string;
  const cradle = () => testEnv().container.cradle;

  beforeEach(async () => {
    tenant = await createTenant(cradle().database);
    userId = await createUser();
  });

  it('creates a draft on the channel’s next optimal slot, in the tenant’s default mode', async () => {
    const content = await cradle().contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'Présenter nos apprentis' });
    expect(content).to.include({ channel: 'linkedin', status: 'draft', mode: 'semi', brief: 'Présenter nos apprentis', currentVersionId: null });
    const detail = await cradle().contentService.detail(tenant.id, content.id);
    expect(detail.slot).to.include({ status: 'proposed', source: 'optimal' });
    expect(detail.slot!.startsAt.getTime()).to.be.greaterThan(Date.now());
    expect(detail.content.scheduledAt!.getTime()).to.equal(detail.slot!.startsAt.getTime());
  });

  it('refuses bad input with field errors, and another tenant’s campaign or media', async () => {
    const { contentService } = cradle();
    const empty = await rejection(contentService.create(tenant.id, userId, { channel: 'linkedin', brief: '   ' }));
    expect(empty.code).to.equal('common.errors.validation');
    expect((empty as AppError & { fieldErrors: Record<string, string> }).fieldErrors).to.deep.equal({ brief: 'studio.errors.briefRequired' });
    const huge = await rejection(contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'x'.repeat(100_000) }));
    expect((huge as AppError & { fieldErrors: Record<string, string> }).fieldErrors).to.deep.equal({ brief: 'studio.errors.briefTooLong' });
    const channel = await rejection(contentService.create(tenant.id, userId, { channel: 'myspace', brief: 'Bonjour' }));
    expect((channel as AppError & { fieldErrors: Record<string, string> }).fieldErrors).to.deep.equal({ channel: 'studio.errors.unknownChannel' });

    const other = await createTenant(cradle().database);
    const campaignId = await cradle().database.forTenant(other.id, async (trx) => {
      const [row] = await trx('campaigns').insert({ tenantId: other.id, name: 'Autre', utmCampaign: 'autre', locale: 'fr' }).returning('id');
      return row.id as string;
    });
    expect((await rejection(contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'Bonjour', campaignId }))).code).to.equal('studio.errors.campaignNotFound');
    const mediaId = crypto.randomUUID();
    expect((await rejection(contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'Bonjour', mediaIds: [mediaId] }))).code).to.equal('studio.errors.mediaNotFound');
  });

  it('streams a generation (offline provider), records version 1 with the template, the DNA snapshot and the call, and asks for approval', async () => {
    const { contentService, dnaService, database } = cradle();
    const snapshot = await dnaService.createSnapshot(tenant.id, { content: { identity: { name: 'Boulangerie Test' }, tone: { summary: 'Chaleureux' } }, reason: 'edit', userId });
    const content = await contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'Annoncer la galette des rois' });
    const before = await creditBalance(database, tenant.id);
    const { deltas, done } = await collect(contentService.generate(tenant.id, content.id, userId));
    expect(deltas.length).to.be.greaterThan(1);
    expect(deltas.join('').trim()).to.equal(done.version.body);
    // no moderation model offline: the rules ran, but approving will need an explicit confirmation
    expect(done.version).to.include({ number: 1, source: 'generation', dnaSnapshotId: snapshot.id, brandSafetyStatus: 'unchecked' });
    expect(done.version.aiCallId).to.be.a('string');
    expect(done.version.promptTemplateId).to.be.a('string');
    expect(done.content).to.include({ status: 'pending_approval', currentVersionId: done.version.id, dnaSnapshotId: snapshot.id });
    expect(done.regenerationsLeft).to.equal(null);
    const detail = await contentService.detail(tenant.id, content.id);
    expect(detail.promptLayersSnapshot).to.include({ offline: true });
    const call = await database.forTenant(tenant.id, (trx) => trx('aiCalls').where({ id: done.version.aiCallId }).first('task', 'subjectId', 'dnaSnapshotId'));
    expect(call).to.deep.include({ task: 'generation', subjectId: content.id, dnaSnapshotId: snapshot.id });
    const after = await creditBalance(database, tenant.id);
    expect(after.reserved).to.equal(before.reserved);
  });

  it('counts regenerations against the plan’s cap and refuses past it', async () => {
    const { contentService, database } = cradle();
    const cap = await database.asPlatform(async (trx) => (await trx('plans').where({ code: 'growth' }).first('regenerationCap')).regenerationCap as number);
    const content = await contentService.create(tenant.id, userId, { channel: 'x', brief: 'Ouverture le dimanche matin' });
    await collect(contentService.generate(tenant.id, content.id, userId));
    for (let i = 1; i <= cap; i++) {
      const { done } = await collect(contentService.generate(tenant.id, content.id, userId));
      expect(done.version).to.include({ number: i + 1, source: 'regeneration' });
      expect(done.regenerationsLeft).to.equal(cap - i);
    }
    const refused = await rejection(collect(contentService.generate(tenant.id, content.id, userId)));
    expect(refused).to.include({ code: 'billing.errors.regenerationCapReached', status: 409 });
    const after = await contentService.detail(tenant.id, content.id);
    expect(after.content.status).to.equal('pending_approval');
    expect(after.content.regenerationCount).to.equal(cap);
    expect((await contentService.versions(tenant.id, content.id)).length).to.equal(cap + 1);
  });

  it('refuses a second generation while one runs', async () => {
    const { contentService } = cradle();
    const content = await contentService.create(tenant.id, userId, { channel: 'facebook', brief: 'Nouveau pain aux noix' });
    const first = contentService.generate(tenant.id, content.id, userId)[Symbol.asyncIterator]();
    await first.next(); // the first delta: the content is now `generating`
    const second = await rejection(collect(contentService.generate(tenant.id, content.id, userId)));
    expect(second).to.include({ code: 'studio.errors.generationInProgress', status: 409 });
    while (!(await first.next()).done);
    expect((await contentService.detail(tenant.id, content.id)).content.status).to.equal('pending_approval');
  });

  it('keeps every edit as a new version, compares and restores, and asks again for approval of an approved text', async () => {
    const { contentService, database } = cradle();
    const content = await contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'Nos horaires d’été' });
    const v1 = (await contentService.edit(tenant.id, content.id, userId, { body: 'Ouvert de 7 h à 19 h tout l’été.' })).version;
    expect(v1).to.include({ number: 1, source: 'edit', createdBy: userId, brandSafetyStatus: 'ok', authorName: 'Rédactrice' });
    const v2 = (await contentService.edit(tenant.id, content.id, userId, { body: 'Ouvert de 6 h 30 à 19 h tout l’été.' })).version;
    const diff = await contentService.compare(tenant.id, content.id, v1.id, v2.id);
    expect(diff.body.filter((p) => p.kind !== 'same')).to.deep.equal([
      { kind: 'removed', text: '7' },
      { kind: 'added', text: '6' },
      { kind: 'added', text: ' 30' },
    ]);
    // approved and scheduled: an edit sends it back to approval and its slot back to proposed
    await database.forTenant(tenant.id, async (trx) => {
      await trx('contents').where({ id: content.id }).update({ status: 'scheduled' });
      await trx('calendarSlots').where({ contentId: content.id }).update({ status: 'confirmed' });
    });
    const restored = await contentService.restore(tenant.id, content.id, v1.id, userId);
    expect(restored.version).to.include({ number: 3, source: 'restore', restoredFromId: v1.id, body: v1.body });
    expect(restored.content.status).to.equal('pending_approval');
    expect((await contentService.detail(tenant.id, content.id)).slot!.status).to.equal('proposed');
    const versions = await contentService.versions(tenant.id, content.id);
    expect(versions.map((v) => v.number)).to.deep.equal([3, 2, 1]);
    expect(versions[2].body).to.equal('Ouvert de 7 h à 19 h tout l’été.');
  });

  it('flags a version that uses the DNA’s banned words or claims', async () => {
    const { contentService, dnaService } = cradle();
    await dnaService.createSnapshot(tenant.id, { content: { vocabulary: { banned: ['industriel'] }, bannedClaims: ['le meilleur pain de France'] }, reason: 'edit', userId });
    const content = await contentService.create(tenant.id, userId, { channel: 'facebook', brief: 'Notre pain' });
    const { version } = await contentService.edit(tenant.id, content.id, userId, { body: 'Rien d’industriel ici. Notre pain est le meilleur de France !' });
    expect(version.brandSafetyStatus).to.equal('flagged');
    const detail = await contentService.detail(tenant.id, content.id);
    expect(detail.flags.map((f) => f.kind)).to.deep.equal(['banned_word', 'claim']);
    expect(detail.flags[1].matchedText).to.equal('Notre pain est le meilleur de France !');
  });

  it('never shows or changes another tenant’s content', async () => {
    const { contentService } = cradle();
    const content = await contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'Privé' });
    const other = await createTenant(cradle().database);
    expect((await rejection(contentService.detail(other.id, content.id))).status).to.equal(404);
    expect((await rejection(contentService.edit(other.id, content.id, userId, { body: 'Piraté' }))).status).to.equal(404);
    expect((await rejection(collect(contentService.generate(other.id, content.id, userId)))).status).to.equal(404);
    expect((await contentService.list(other.id)).map((c) => c.id)).not.to.include(content.id);
  });

  it('releases contents left generating by a stopped process', async () => {
    const { contentService, database } = cradle();
    const content = await contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'Coincé' });
    await database.forTenant(tenant.id, (trx) => trx('contents').where({ id: content.id }).update({ status: 'generating', updatedAt: new Date(Date.now() - 11 * 60_000) }));
    expect(await contentService.releaseStalledGenerations()).to.be.greaterThanOrEqual(1);
    expect((await contentService.detail(tenant.id, content.id)).content.status).to.equal('draft');
  });
});

describe('studio/ContentService with real providers (emulated)', function () {
  this.timeout(60_000);
  let emulator: AiEmulator;
  let container: AwilixContainer<Cradle>;

  before(async () => {
    emulator = await startAiEmulator();
    container = buildContainer(testConfig(providerEnv(emulator)), testEnv().db);
  });

  after(async () => {
    await container.dispose();
    await emulator.stop();
  });

  it('generates with the routed model and passes moderation', async () => {
    const { contentService, database } = container.cradle;
    const tenant = await createTenant(database);
    const userId = await createUser();
    const content = await contentService.create(tenant.id, userId, { channel: 'linkedin', brief: 'Annoncer la tarte aux pommes du dimanche' });
    const { done } = await collect(contentService.generate(tenant.id, content.id, userId));
    expect(done.version.modelId).to.equal('claude-sonnet-4-6');
    expect(done.version.body).to.include('tarte aux pommes');
    expect(done.version.brandSafetyStatus).to.equal('ok');
    const tasks = await database.forTenant(tenant.id, (trx) => trx('aiCalls').where({ status: 'ok' }).orderBy('createdAt').pluck('task'));
    expect(tasks).to.deep.equal(['generation', 'moderation']);
  });

  it('flags a generated text that moderation flags, with the category as finding', async () => {
    const { contentService, database } = container.cradle;
    const tenant = await createTenant(database);
    const userId = await createUser();
    const content = await contentService.create(tenant.id, userId, { channel: 'facebook', brief: 'Texte VIOLENCE_TEST à modérer' });
    const { done } = await collect(contentService.generate(tenant.id, content.id, userId));
    expect(done.version.brandSafetyStatus).to.equal('flagged');
    const detail = await contentService.detail(tenant.id, content.id);
    expect(detail.flags.map((f) => [f.kind, f.matchedText, f.severity])).to.deep.equal([['moderation', 'violence', 'critical']]);
  });
});
