import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import { batchReadyBy, plannedContentId } from '../../../../src/modules/pipeline/steps/generation-step.js';
import { providerEnv, startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';
import { contentsOfPlan, dailyItems, insertPlan, markStepsDone, versionsOf } from './plan-fixtures.js';

const DAY = 86_400_000;

async function runAtGeneration(cradle: Cradle, tenantId: string, mode: 'manual' | 'semi' | 'auto', items: ReturnType<typeof dailyItems>) {
  await cradle.pipelineRepository.saveSettings(tenantId, { ...(await cradle.pipelineRepository.settings(tenantId)), contentMode: mode });
  const run = await cradle.pipelineService.start(tenantId, { kind: 'schedule' });
  await markStepsDone(cradle, tenantId, run.id, 'generation');
  const planId = await insertPlan(cradle, tenantId, run.id, items);
  return { runId: run.id, planId };
}

const stepRow = (cradle: Cradle, tenantId: string, runId: string, name: string) =>
  cradle.database.forTenant(tenantId, (trx) => trx('pipelineSteps').where({ tenantId, runId, name }).first());

describe('Pipeline steps 5–6: generation and publication', function () {
  this.timeout(90_000);

  describe('with the offline provider (no key)', () => {
    const cradle = () => testEnv().container.cradle;

    it('writes every planned item once, holds them as drafts, and a second pass changes nothing', async () => {
      const tenant = await createTenant(cradle().database);
      const { runId, planId } = await runAtGeneration(cradle(), tenant.id, 'semi', dailyItems('linkedin', 3, new Date(Date.now() + 2 * DAY)));
      const run = (await cradle().pipelineRepository.findRun(tenant.id, runId))!;
      const step = (await cradle().pipelineRepository.steps(tenant.id, runId))[4];
      // executed directly (the runner's analytics step is another engineer's): generation alone
      const claimed = await cradle().pipelineRepository.claimStep(tenant.id, step.id, 'test', new Date(), 60_000);
      const context = {
        tenantId: tenant.id,
        run,
        step: claimed!,
        now: () => new Date(),
        progress: (u: object) => cradle().pipelineRepository.progress(tenant.id, step.id, 'test', u, new Date()).then(() => undefined),
        shouldStop: async () => false,
      };
      const outcome = await cradle().generationStep.execute(context);
      expect(outcome).to.deep.include({ status: 'succeeded' });
      const contents = await contentsOfPlan(cradle(), tenant.id, planId);
      expect(contents).to.have.length(3);
      expect(contents.every((c) => c.status === 'draft' && c.mode === 'manual' && c.currentVersionId && c.planStatus === 'generated')).to.equal(true);
      const stepItems = await cradle().database.forTenant(tenant.id, (trx) => trx('pipelineStepItems').where({ stepId: step.id }).select('idempotencyKey', 'contentId', 'status'));
      expect(stepItems.every((i) => i.status === 'succeeded' && i.contentId === plannedContentId(i.idempotencyKey))).to.equal(true);

      await cradle().generationStep.execute(context);
      expect(await contentsOfPlan(cradle(), tenant.id, planId)).to.have.length(3);
      expect(await versionsOf(cradle(), tenant.id, contents.map((c) => c.id))).to.have.length(3);
      const progress = await stepRow(cradle(), tenant.id, runId, 'generation');
      expect([progress.itemsTotal, progress.itemsDone]).to.deep.equal([3, 3]);
      expect((await cradle().pipelineRepository.findRun(tenant.id, runId))!.itemsGenerated).to.equal(3);
    });

    // Without a key there is no moderation model: versions stay `unchecked`, so auto mode queues them for a human.
    for (const [mode, expected] of [
      ['semi', 'pending_approval'],
      ['auto', 'pending_approval'],
      ['manual', 'draft'],
    ] as const) {
      it(`hands the month over in ${mode} mode: contents end ${expected}`, async () => {
        const tenant = await createTenant(cradle().database);
        const { runId, planId } = await runAtGeneration(cradle(), tenant.id, mode, dailyItems('facebook', 2, new Date(Date.now() + 2 * DAY)));
        const result = await cradle().pipelineRunner.drive(tenant.id, runId);
        expect(result.steps.slice(0, 2)).to.deep.equal([
          { name: 'generation', outcome: 'succeeded' },
          { name: 'publication', outcome: 'succeeded' },
        ]);
        const contents = await contentsOfPlan(cradle(), tenant.id, planId);
        expect(contents.map((c) => [c.status, c.mode])).to.deep.equal([
          [expected, mode],
          [expected, mode],
        ]);
        const publication = await stepRow(cradle(), tenant.id, runId, 'publication');
        expect(publication.output).to.include({ mode, items: 2 });
      });
    }

    it('resumes after a worker died mid-item: the content left generating is written once', async () => {
      const tenant = await createTenant(cradle().database);
      const { runId, planId } = await runAtGeneration(cradle(), tenant.id, 'semi', dailyItems('linkedin', 2, new Date(Date.now() + 2 * DAY)));
      const repo = cradle().pipelineRepository;
      const step = (await repo.steps(tenant.id, runId))[4];
      // A first worker claimed the step, created the first content and started generating it, then died.
      await repo.claimStep(tenant.id, step.id, 'dead-worker', new Date(Date.now() - 10 * 60_000), 60_000);
      const [first] = await repo.planItems(tenant.id, (await repo.findRun(tenant.id, runId))!.editorialPlanId!);
      const key = `pipeline:${runId}:generation:${first.id}`;
      const [item] = await repo.ensureStepItems(tenant.id, runId, step.id, [{ planItemId: first.id, idempotencyKey: key }]);
      await cradle().contentService.createPlanned(tenant.id, {
        id: plannedContentId(key),
        channel: 'linkedin',
        brief: first.theme,
        title: first.theme,
        campaignId: null,
        startsAt: first.plannedSlotAt!,
      });
      await repo.updateStepItem(tenant.id, item.id, { contentId: plannedContentId(key), status: 'running', addAttempt: true });
      await cradle().database.forTenant(tenant.id, (trx) => trx('contents').where({ id: plannedContentId(key) }).update({ status: 'generating' }));

      await cradle().pipelineRunner.drive(tenant.id, runId);
      const contents = await contentsOfPlan(cradle(), tenant.id, planId);
      expect(contents).to.have.length(2);
      expect(contents.map((c) => c.status)).to.deep.equal(['pending_approval', 'pending_approval']);
      const versions = await versionsOf(cradle(), tenant.id, contents.map((c) => c.id));
      expect(versions.map((v) => v.source).sort()).to.deep.equal(['generation', 'generation']);
      expect((await stepRow(cradle(), tenant.id, runId, 'generation')).attempts).to.equal(2);
    });

    it('leaves an item the client took over to the client', async () => {
      const tenant = await createTenant(cradle().database);
      const { runId, planId } = await runAtGeneration(cradle(), tenant.id, 'semi', dailyItems('linkedin', 2, new Date(Date.now() + 2 * DAY)));
      const repo = cradle().pipelineRepository;
      const step = (await repo.steps(tenant.id, runId))[4];
      const [first] = await repo.planItems(tenant.id, planId);
      const key = `pipeline:${runId}:generation:${first.id}`;
      await repo.ensureStepItems(tenant.id, runId, step.id, [{ planItemId: first.id, idempotencyKey: key }]);
      await cradle().contentService.createPlanned(tenant.id, { id: plannedContentId(key), channel: 'linkedin', brief: 'x', title: 'x', campaignId: null, startsAt: first.plannedSlotAt! });
      await cradle().database.forTenant(tenant.id, (trx) => trx('contents').where({ id: plannedContentId(key) }).update({ status: 'archived' }));

      await cradle().pipelineRunner.drive(tenant.id, runId);
      const statuses = (await contentsOfPlan(cradle(), tenant.id, planId)).map((c) => [c.status, c.planStatus]);
      expect(statuses).to.deep.equal([
        ['archived', 'skipped'],
        ['pending_approval', 'generated'],
      ]);
      expect((await stepRow(cradle(), tenant.id, runId, 'generation')).output).to.include({ skipped: 1 });
    });
  });

  describe('with the AI emulator (nightly batch)', () => {
    let emulator: AiEmulator;
    let container: AwilixContainer<Cradle>;
    let cradle: Cradle;

    before(async () => {
      emulator = await startAiEmulator();
      container = buildContainer(testConfig(providerEnv(emulator)), testEnv().db);
      cradle = container.cradle;
    });

    after(async () => {
      await container.dispose();
      await emulator.stop();
    });

    it('queues items whose deadline allows in the nightly batch, writes the urgent one now, and finishes once the batch answered', async () => {
      const tenant = await createTenant(cradle.database, { credits: 50_000 });
      const soon = new Date(Date.now() + DAY);
      const later = new Date(batchReadyBy(new Date()).getTime() + 3 * DAY);
      const items = [...dailyItems('linkedin', 1, soon), ...dailyItems('linkedin', 2, later)];
      const { runId, planId } = await runAtGeneration(cradle, tenant.id, 'semi', items);

      const first = await cradle.pipelineRunner.drive(tenant.id, runId);
      expect(first.steps).to.deep.equal([{ name: 'generation', outcome: 'waiting' }]);
      const waiting = await stepRow(cradle, tenant.id, runId, 'generation');
      expect(waiting.output).to.include({ waitingFor: 'nightlyBatch', viaBatch: 2, generated: 1 });
      let contents = await contentsOfPlan(cradle, tenant.id, planId);
      expect(contents.map((c) => Boolean(c.currentVersionId))).to.deep.equal([true, false, false]);
      const queued = await cradle.database.forTenant(tenant.id, (trx) => trx('aiBatchItems').where({ tenantId: tenant.id }).select('status', 'subjectId'));
      expect(queued.map((q) => q.status)).to.deep.equal(['queued', 'queued']);

      // the night: submit, the provider answers, poll
      await cradle.aiBatchService.submitQueued();
      await cradle.aiBatchService.pollOpenBatches(); // in progress
      expect((await cradle.pipelineRunner.drive(tenant.id, runId)).steps).to.deep.equal([]); // not due yet
      await cradle.aiBatchService.pollOpenBatches(); // ended
      await cradle.database.forTenant(tenant.id, (trx) => trx('pipelineSteps').where({ tenantId: tenant.id, runId, name: 'generation' }).update({ nextRetryAt: new Date(0) }));
      const second = await cradle.pipelineRunner.drive(tenant.id, runId);
      expect(second.steps.slice(0, 2)).to.deep.equal([
        { name: 'generation', outcome: 'succeeded' },
        { name: 'publication', outcome: 'succeeded' },
      ]);
      contents = await contentsOfPlan(cradle, tenant.id, planId);
      expect(contents.map((c) => c.status)).to.deep.equal(['pending_approval', 'pending_approval', 'pending_approval']);
      const calls = await cradle.database.forTenant(tenant.id, (trx) =>
        trx('aiCalls').where({ tenantId: tenant.id, task: 'generation', status: 'ok' }).select('isBatch', 'subjectId', 'creditsCharged'),
      );
      expect(calls.filter((c) => c.isBatch)).to.have.length(2);
      expect(calls.filter((c) => !c.isBatch)).to.have.length(1);
      const run = (await cradle.pipelineRepository.findRun(tenant.id, runId))!;
      const charged = await cradle.database.forTenant(tenant.id, (trx) => trx('aiCalls').where({ tenantId: tenant.id }).sum<{ sum: string }[]>('creditsCharged as sum'));
      expect(run.spentCredits).to.equal(Number(charged[0].sum));
      expect(run.spentCredits).to.be.greaterThan(0);
    });

    it('schedules the month in auto mode once brand safety is ok', async () => {
      const tenant = await createTenant(cradle.database, { credits: 50_000 });
      const { runId, planId } = await runAtGeneration(cradle, tenant.id, 'auto', dailyItems('facebook', 2, new Date(Date.now() + 2 * DAY)));
      await cradle.pipelineRunner.drive(tenant.id, runId);
      const contents = await contentsOfPlan(cradle, tenant.id, planId);
      expect(contents.map((c) => c.status)).to.deep.equal(['scheduled', 'scheduled']);
      const approvals = await cradle.database.forTenant(tenant.id, (trx) => trx('approvals').whereIn('contentId', contents.map((c) => c.id)).select('actorKind', 'decision'));
      expect(approvals).to.deep.equal([
        { actorKind: 'system', decision: 'approved' },
        { actorKind: 'system', decision: 'approved' },
      ]);
    });
  });
});
