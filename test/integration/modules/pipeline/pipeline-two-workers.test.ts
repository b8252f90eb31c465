import { expect } from 'chai';
import type { AwilixContainer } from 'awilix';
import type { Cradle } from '../../../../src/container.js';
import { measurableFrom } from '../../../../src/modules/pipeline/month-performance.js';
import { STEPS, type PipelineRun } from '../../../../src/modules/pipeline/domain.js';
import { startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { createTenant } from '../../../support/tenants.js';
import { pipelineContainer, preparedRun, runAndSteps, runSummary, startWorker, tenantRows, useOnlyChannels, waitFor, type WorkerProcess } from './pipeline-support.js';

/**
 * Two worker processes (test/support/pipeline-worker.ts: the runner's `tick()` every 200 ms, as the
 * `pipeline:advance-runs` job calls it, without Agenda — the step claim is what makes a step run once) share one
 * database and several tenants' runs. Each worker drives at most two runs at once, so both must take part.
 */
const WORKER_ENV = { PIPELINE_RUNS_PER_WORKER: '2', PIPELINE_AI_CONCURRENCY: '2', PIPELINE_LEASE_SECONDS: '5' };

describe('Pipeline: two workers on one database', function () {
  this.timeout(90_000);
  let emulator: AiEmulator;
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;
  let workers: WorkerProcess[] = [];

  before(async () => {
    emulator = await startAiEmulator();
    container = pipelineContainer(emulator);
    cradle = container.cradle;
  });
  afterEach(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) await w.kill();
    workers = [];
  });
  after(async () => {
    await container.dispose();
    await emulator.stop();
  });

  async function twoWorkers(): Promise<string[]> {
    workers = [startWorker(emulator, WORKER_ENV), startWorker(emulator, WORKER_ENV)];
    return Promise.all(workers.map((w) => w.ready));
  }

  async function stopWorkers(): Promise<void> {
    for (const w of workers) expect((await w.stop()).code, w.stderr()).to.equal(0);
  }

  /** No two contents for one plan item, no content without one, one generated version and one generation call each. */
  async function expectNoDuplicates(run: PipelineRun, items: number): Promise<void> {
    const contents = await tenantRows(cradle.database, run.tenantId, 'contents');
    const planItems = await tenantRows(cradle.database, run.tenantId, 'editorialPlanItems', { planId: run.editorialPlanId });
    expect(planItems).to.have.length(items);
    expect(contents.map((c) => c.id).sort()).to.deep.equal(planItems.map((p) => p.contentId).sort());
    const versions = (await tenantRows(cradle.database, run.tenantId, 'contentVersions')).filter((v) => v.source === 'generation');
    expect(versions.map((v) => v.contentId).sort()).to.deep.equal(contents.map((c) => c.id).sort());
    const calls = await tenantRows(cradle.database, run.tenantId, 'aiCalls', { task: 'generation', status: 'ok' });
    expect(calls.map((c) => c.subjectId).sort()).to.deep.equal(contents.map((c) => c.id).sort());
  }

  it('runs generation, publication and analytics of every run exactly once, and completes them all (runs of a past month)', async () => {
    // A past month: its analytics are due at once, so the runs complete (steps 1–4 are recorded by the fixture).
    emulator.latencyMs = [100, 250];
    const runs: PipelineRun[] = [];
    for (let i = 0; i < 5; i++) {
      const tenant = await createTenant(cradle.database, { credits: 1_000 });
      runs.push((await preparedRun(cradle, tenant.id, { items: [{ channel: 'linkedin', count: 3 }, { channel: 'x', count: 2 }] })).run);
    }
    const ids = await twoWorkers();
    for (const run of runs) {
      await waitFor(`run ${run.id} completed`, async () => (await cradle.pipelineRepository.runStatus(run.tenantId, run.id)) === 'completed', {
        timeoutMs: 60_000,
        explain: () => runSummary(cradle, run.tenantId, run.id),
      });
    }
    await stopWorkers();

    const executedBy = new Set<string>();
    for (const run of runs) {
      const { run: done, steps } = await runAndSteps(cradle, run.tenantId, run.id);
      expect(done).to.include({ status: 'completed', itemsGenerated: 5 });
      for (const name of ['generation', 'publication', 'analytics'] as const) {
        expect(steps[name], `${name} of run ${run.id}`).to.include({ status: 'succeeded', attempts: 1 });
        expect(ids).to.include(steps[name].workerId);
        executedBy.add(steps[name].workerId!);
      }
      await expectNoDuplicates(done, 5);
    }
    expect([...executedBy].sort(), 'both workers took part').to.deep.equal([...ids].sort());
  });

  it('runs steps 1–6 of every run exactly once from the start, and leaves analytics waiting for the month’s end (runs of next month)', async () => {
    // A run prepares the month ahead, so its analytics wait until that month is over (+ the networks' lag): the
    // workers bring each run to that point, each step executed once by one of them, analytics looked at once.
    emulator.latencyMs = [100, 250];
    const runs: PipelineRun[] = [];
    for (let i = 0; i < 3; i++) {
      const tenant = await createTenant(cradle.database, { credits: 5_000 });
      await cradle.dnaService.createSnapshot(tenant.id, {
        content: { identity: { name: `Boulangerie ${i}` }, tone: { summary: 'Chaleureux, artisanal' } },
        reason: 'edit',
      });
      await useOnlyChannels(cradle, tenant.id, [{ channel: 'linkedin', count: 3 }, { channel: 'facebook', count: 2 }], { contentMode: 'semi' });
      runs.push(await cradle.pipelineService.start(tenant.id, { kind: 'schedule' }));
    }
    const ids = await twoWorkers();
    for (const run of runs) {
      await waitFor(
        `run ${run.id} waiting at analytics`,
        async () => {
          const { run: current, steps } = await runAndSteps(cradle, run.tenantId, run.id);
          if (current.status !== 'running') throw new Error(`run ${run.id} ended ${current.status}: ${current.failureReason}`);
          return steps.publication.status === 'succeeded' && steps.analytics.attempts === 1 && steps.analytics.status === 'pending';
        },
        { timeoutMs: 60_000, explain: () => runSummary(cradle, run.tenantId, run.id) },
      );
    }
    await stopWorkers();

    const executedBy = new Set<string>();
    for (const run of runs) {
      const { run: current, steps } = await runAndSteps(cradle, run.tenantId, run.id);
      expect(current).to.include({ status: 'running', itemsPlanned: 5, itemsGenerated: 5 });
      for (const name of STEPS.slice(0, 6)) {
        expect(steps[name], `${name} of run ${run.id}`).to.include({ status: 'succeeded', attempts: 1 });
        expect(ids).to.include(steps[name].workerId);
        executedBy.add(steps[name].workerId!);
      }
      const until = measurableFrom(current.month, 'Europe/Paris');
      expect(steps.analytics).to.include({ status: 'pending', attempts: 1, workerId: null });
      expect(steps.analytics.nextRetryAt!.toISOString()).to.equal(until.toISOString());
      await expectNoDuplicates(current, 5);
    }
    expect([...executedBy].sort(), 'both workers took part').to.deep.equal([...ids].sort());
  });
});
