import { expect } from 'chai';
import type { Cradle } from '../../../../src/container.js';
import { STEPS, type StepName } from '../../../../src/modules/pipeline/domain.js';
import { BudgetExhaustedError, type StepContext, type StepHandler, type StepOutcome } from '../../../../src/modules/pipeline/ports.js';
import { PipelineRunner } from '../../../../src/modules/pipeline/runner.js';
import { AppError } from '../../../../src/shared/errors.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

type Behaviour = (context: StepContext, call: number) => Promise<StepOutcome>;

/** Handlers that record each execution and do what the test says (default: succeed at once). */
function handlers(behaviours: Partial<Record<StepName, Behaviour>> = {}) {
  const executions: { step: StepName; runId: string }[] = [];
  const calls = new Map<StepName, number>();
  const list: StepHandler[] = STEPS.map((name) => ({
    name,
    execute: async (context: StepContext) => {
      executions.push({ step: name, runId: context.run.id });
      const n = (calls.get(name) ?? 0) + 1;
      calls.set(name, n);
      await new Promise((r) => setImmediate(r));
      return behaviours[name] ? behaviours[name]!(context, n) : { status: 'succeeded', output: { step: name } };
    },
  }));
  return { list, executions };
}

function runnerWith(cradle: Cradle, list: StepHandler[]): PipelineRunner {
  const { pipelineRepository, config, clock, i18n, logger } = cradle;
  return new PipelineRunner({ pipelineRepository, config, clock, i18n, logger, pipelineSteps: list });
}

describe('PipelineRunner', function () {
  this.timeout(60_000);
  const cradle = () => testEnv().container.cradle;

  async function newRun(locale = 'fr') {
    const tenant = await createTenant(cradle().database, { locale });
    const run = await cradle().pipelineService.start(tenant.id, { kind: 'schedule' });
    return { tenantId: tenant.id, runId: run.id };
  }

  const steps = (tenantId: string, runId: string) => cradle().pipelineRepository.steps(tenantId, runId);
  const run = (tenantId: string, runId: string) => cradle().pipelineRepository.findRun(tenantId, runId);

  it('executes the seven steps in order, each once, then completes the run', async () => {
    const { tenantId, runId } = await newRun();
    const fake = handlers();
    const result = await runnerWith(cradle(), fake.list).drive(tenantId, runId);
    expect(fake.executions.map((e) => e.step)).to.deep.equal([...STEPS]);
    expect(result.steps.every((s) => s.outcome === 'succeeded')).to.equal(true);
    const rows = await steps(tenantId, runId);
    expect(rows.map((s) => [s.status, s.attempts])).to.deep.equal(STEPS.map(() => ['succeeded', 1]));
    expect(rows[0].output).to.deep.equal({ step: 'session' });
    expect(rows.every((s) => s.durationMs !== null && s.finishedAt !== null)).to.equal(true);
    const finished = await run(tenantId, runId);
    expect(finished!.status).to.equal('completed');
    expect(finished!.finishedAt).to.be.instanceOf(Date);
  });

  it('lets two workers racing on the same runs execute every step exactly once', async () => {
    const runs = await Promise.all([newRun(), newRun(), newRun()]);
    const fake = handlers();
    const a = runnerWith(cradle(), fake.list);
    const b = runnerWith(cradle(), fake.list);
    await Promise.all(runs.flatMap(({ tenantId, runId }) => [a.drive(tenantId, runId), b.drive(tenantId, runId)]));
    // a worker that lost a race stops; drive again until nothing is left
    for (const { tenantId, runId } of runs) await a.drive(tenantId, runId);
    for (const { tenantId, runId } of runs) {
      const executed = fake.executions.filter((e) => e.runId === runId).map((e) => e.step);
      expect(executed).to.deep.equal([...STEPS]);
      expect((await steps(tenantId, runId)).every((s) => s.attempts === 1)).to.equal(true);
      expect((await run(tenantId, runId))!.status).to.equal('completed');
    }
  });

  it('retries a step that failed for a passing reason after a backoff, then fails the run with the reason in its language', async () => {
    const { tenantId, runId } = await newRun('en');
    const fake = handlers({ ingestion: async () => Promise.reject(new AppError('ai.errors.noModelAvailable', 503, { task: 'summarization' })) });
    const runner = runnerWith(cradle(), fake.list);
    const first = await runner.drive(tenantId, runId);
    expect(first.steps.at(-1)).to.deep.equal({ name: 'ingestion', outcome: 'retry' });
    let ingestion = (await steps(tenantId, runId))[1];
    expect(ingestion.status).to.equal('pending');
    expect(ingestion.errorCode).to.equal('ai.errors.noModelAvailable');
    expect(ingestion.nextRetryAt!.getTime()).to.be.greaterThan(Date.now() + 20_000);
    // not due yet: nothing runs
    expect((await runner.drive(tenantId, runId)).steps).to.deep.equal([]);
    for (let attempt = 2; attempt <= 3; attempt++) {
      await cradle().database.forTenant(tenantId, (trx) => trx('pipelineSteps').where({ tenantId, runId, name: 'ingestion' }).update({ nextRetryAt: new Date(0) }));
      await runner.drive(tenantId, runId);
    }
    ingestion = (await steps(tenantId, runId))[1];
    expect(ingestion.status).to.equal('failed');
    expect(ingestion.attempts).to.equal(3);
    const failed = await run(tenantId, runId);
    expect(failed!.status).to.equal('failed');
    expect(failed!.failureCode).to.equal('ai.errors.noModelAvailable');
    expect(failed!.failureReason).to.match(/^The "Ingestion" step failed: /);
    expect(fake.executions.filter((e) => e.step === 'dna_merge')).to.have.length(0);
  });

  it('fails the run at once on a permanent error, and resume starts the step again with fresh attempts', async () => {
    const { tenantId, runId } = await newRun();
    let broken = true;
    const fake = handlers({
      dna_merge: async () => {
        if (broken) throw new AppError('pipeline.errors.noDna', 422);
        return { status: 'succeeded' };
      },
    });
    const runner = runnerWith(cradle(), fake.list);
    await runner.drive(tenantId, runId);
    const failed = await run(tenantId, runId);
    expect(failed!.status).to.equal('failed');
    expect(failed!.failureReason).to.contain('Fusion ADN');
    expect(failed!.failureReason).to.contain("l'ADN de marque n'est pas encore défini");

    broken = false;
    await cradle().pipelineService.resume(tenantId, runId);
    const resumed = await run(tenantId, runId);
    expect(resumed!.status).to.equal('running');
    expect(resumed!.failureReason).to.equal(null);
    await runner.drive(tenantId, runId);
    expect((await run(tenantId, runId))!.status).to.equal('completed');
    expect(fake.executions.filter((e) => e.step === 'session')).to.have.length(1);
  });

  it('ends the run as budget_exhausted when a step runs out of credits', async () => {
    const { tenantId, runId } = await newRun();
    const fake = handlers({ generation: async () => Promise.reject(new BudgetExhaustedError({ spent: 90, budget: 100, done: 12, total: 30 })) });
    await runnerWith(cradle(), fake.list).drive(tenantId, runId);
    const stopped = await run(tenantId, runId);
    expect(stopped!.status).to.equal('budget_exhausted');
    expect(stopped!.failureReason).to.contain('12 contenus sur 30');
    expect(fake.executions.map((e) => e.step)).to.not.include('publication');
  });

  it('puts a waiting step back with its date and does not run it before', async () => {
    const { tenantId, runId } = await newRun();
    const until = new Date(Date.now() + 3600_000);
    const fake = handlers({ analytics: async () => ({ status: 'waiting', until, output: { waitingFor: 'monthEnd' } }) });
    const runner = runnerWith(cradle(), fake.list);
    const result = await runner.drive(tenantId, runId);
    expect(result.steps.at(-1)).to.deep.equal({ name: 'analytics', outcome: 'waiting' });
    const analytics = (await steps(tenantId, runId))[6];
    expect(analytics.status).to.equal('pending');
    expect(analytics.nextRetryAt!.getTime()).to.equal(until.getTime());
    expect(analytics.output).to.deep.equal({ waitingFor: 'monthEnd' });
    expect((await run(tenantId, runId))!.status).to.equal('running');
    expect((await runner.drive(tenantId, runId)).steps).to.deep.equal([]);
    const due = await cradle().pipelineRepository.claimableSteps(new Date(), 60_000, 1000);
    expect(due.map((d) => d.runId)).to.not.include(runId);
  });

  it('takes over a step whose worker stopped renewing its lease, but not a live one', async () => {
    const { tenantId, runId } = await newRun();
    const repo = cradle().pipelineRepository;
    const [session] = await steps(tenantId, runId);
    const now = new Date();
    expect(await repo.claimStep(tenantId, session.id, 'dead-worker', now, 60_000)).to.not.equal(null);
    expect(await repo.claimStep(tenantId, session.id, 'other', new Date(now.getTime() + 30_000), 60_000)).to.equal(null);
    const taken = await repo.claimStep(tenantId, session.id, 'other', new Date(now.getTime() + 61_000), 60_000);
    expect(taken!.attempts).to.equal(2);
    expect(taken!.workerId).to.equal('other');
    // the dead worker can no longer write its result
    expect(await repo.finishStep(tenantId, session.id, 'dead-worker', { status: 'succeeded', now: new Date() })).to.equal(false);
  });

  it('stops between items when the run is paused, and goes on after resume', async () => {
    const { tenantId, runId } = await newRun();
    const fake = handlers({
      generation: async (context, call) => {
        if (call === 1) {
          await cradle().database.forTenant(tenantId, (trx) => trx('pipelineRuns').where({ id: runId }).update({ status: 'paused', pausedAt: new Date() }));
          if (await context.shouldStop()) return { status: 'stopped' };
        }
        return { status: 'succeeded' };
      },
    });
    const runner = runnerWith(cradle(), fake.list);
    const first = await runner.drive(tenantId, runId);
    expect(first.steps.at(-1)).to.deep.equal({ name: 'generation', outcome: 'stopped' });
    expect((await steps(tenantId, runId))[4].status).to.equal('pending');
    expect((await runner.drive(tenantId, runId)).steps).to.deep.equal([]);
    await cradle().pipelineService.resume(tenantId, runId);
    await runner.drive(tenantId, runId);
    expect((await run(tenantId, runId))!.status).to.equal('completed');
  });
});
