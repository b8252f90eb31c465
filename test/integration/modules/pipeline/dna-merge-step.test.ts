import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { AppError } from '../../../../src/shared/errors.js';
import { executeStep, newRun, newTenant, sessionContainer, stepOf, type Wired } from './session-support.js';

describe('pipeline/dna_merge step', function () {
  this.timeout(60_000);
  let container: AwilixContainer<Wired>;
  let c: Wired;
  const startedAt = new Date('2031-08-27T08:00:00Z');
  const month = '2031-09-01';

  before(() => {
    container = sessionContainer();
    c = container.cradle;
  });
  after(() => container.dispose());

  async function throughIngestion(tenantId: string) {
    const run = await newRun(c, tenantId, month, startedAt);
    await executeStep(c, stepOf(c, 'session'), tenantId, run.id, startedAt);
    await executeStep(c, stepOf(c, 'ingestion'), tenantId, run.id, startedAt);
    return run;
  }

  it('fails for good (422) without a brand DNA, recording nothing', async () => {
    const tenantId = await newTenant(c, { dna: false });
    const run = await throughIngestion(tenantId);
    let error: unknown;
    try {
      await executeStep(c, stepOf(c, 'dna_merge'), tenantId, run.id, startedAt);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(AppError);
    expect(error).to.include({ code: 'pipeline.errors.noDna', status: 422 });
    const after = (await c.pipelineRepository.findRun(tenantId, run.id))!;
    expect(after.generationContext).to.equal(null);
    expect(after.dnaSnapshotId).to.equal(null);
  });

  it('records the DNA snapshot, the brief, the priorities, the highlights and the prompt reference of every channel of the month, once', async () => {
    const tenantId = await newTenant(c);
    const dna = (await c.dnaService.current(tenantId))!;
    const session = await c.monthlySessionRepository.ensure(tenantId, month, 'fr');
    await c.monthlySessionRepository.update(tenantId, session.id, { priorities: [{ label: 'Rentrée', weight: 2 }, { label: 'Brioches', weight: 9 }] });
    await c.monthlySessionRepository.addItem(tenantId, session.id, { kind: 'event', title: 'Portes ouvertes', detail: 'Dégustation', startsOn: '2031-09-13', endsOn: '2031-09-14', url: null }, 'fr');
    await c.monthlySessionRepository.addItem(tenantId, session.id, { kind: 'priority', title: 'Recruter un apprenti', detail: '', startsOn: null, endsOn: null, url: null }, 'fr');
    const left = await c.monthlySessionRepository.addItem(tenantId, session.id, { kind: 'offer', title: 'Offre retirée', detail: '', startsOn: null, endsOn: null, url: null }, 'fr');
    await c.monthlySessionRepository.setIncluded(tenantId, session.id, left!.id, false);
    await c.pipelineRepository.saveChannelTargets(tenantId, [{ channel: 'blog', itemsPerMonth: 0, active: false }]);

    const run = await throughIngestion(tenantId);
    const brief = (await c.monthlySessionRepository.brief(tenantId, run.id))!;
    const first = await executeStep(c, stepOf(c, 'dna_merge'), tenantId, run.id, startedAt);
    expect(first.outcome.status).to.equal('succeeded');

    const recorded = (await c.pipelineRepository.findRun(tenantId, run.id))!;
    expect(recorded.dnaSnapshotId).to.equal(dna.id);
    const context = recorded.generationContext!;
    expect(context).to.deep.include({ v: 1, month, locale: 'fr', dna: { snapshotId: dna.id, version: dna.version }, brief: { id: brief.id, body: brief.body } });
    expect(context.priorities).to.deep.equal([{ label: 'Brioches', weight: 9 }, { label: 'Rentrée', weight: 2 }, { label: 'Recruter un apprenti', weight: 1 }]);
    expect(context.highlights).to.deep.equal([{ kind: 'event', title: 'Portes ouvertes', detail: 'Dégustation', startsOn: '2031-09-13', endsOn: '2031-09-14' }]);
    const channels = (await c.pipelineRepository.channelTargets(tenantId)).filter((t) => t.items > 0).map((t) => t.channel);
    expect(channels).to.not.include('blog');
    expect(Object.keys(context.promptRefs).sort()).to.deep.equal([...channels].sort());
    for (const channel of channels) {
      expect(context.promptRefs[channel]).to.equal((await c.systemPromptSource.stablePrompt(tenantId, 'fr', { task: 'generation', channel })).snapshotRef);
    }
    expect(context.mergedAt).to.equal(startedAt.toISOString());

    // a new DNA afterwards does not change the month already merged: running the step again keeps the record
    await c.dnaService.createSnapshot(tenantId, { content: { identity: { name: 'Autre nom' } }, reason: 'edit' });
    const second = await executeStep(c, stepOf(c, 'dna_merge'), tenantId, run.id, new Date(startedAt.getTime() + 3_600_000));
    expect(second.outcome).to.deep.equal(first.outcome);
    expect((await c.pipelineRepository.findRun(tenantId, run.id))!.generationContext).to.deep.equal(context);
  });
});
