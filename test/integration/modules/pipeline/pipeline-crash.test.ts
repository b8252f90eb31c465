import { expect } from 'chai';
import type { AwilixContainer } from 'awilix';
import type { Cradle } from '../../../../src/container.js';
import { plannedContentId } from '../../../../src/modules/pipeline/steps/generation-step.js';
import { startAiEmulator, type AiEmulator, type FaultMatch } from '../../../support/ai-emulator/index.js';
import { createTenant } from '../../../support/tenants.js';
import { ledgerFigures, pipelineContainer, preparedRun, runAndSteps, runSummary, startWorker, tenantRows, waitFor, type WorkerProcess } from './pipeline-support.js';

const ITEMS = 8;
const CONCURRENCY = 2;
const START_CREDITS = 1_000;
/** Past every hold's expiry (15 min): what the `billing:expire-reservations` job sees once the dead worker's holds expired. */
const HOLDS_EXPIRED_MS = 16 * 60_000;

describe('Pipeline: a worker killed mid-generation', function () {
  this.timeout(90_000);
  let emulator: AiEmulator;
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;
  const workers: WorkerProcess[] = [];

  before(async () => {
    emulator = await startAiEmulator();
    container = pipelineContainer(emulator);
    cradle = container.cradle;
  });
  after(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) await w.kill();
    await container.dispose();
    await emulator.stop();
  });

  it('is taken over once its lease expires: one content and one generation per item, nothing paid twice', () => crashAndResume({}));

  it('killed while written items were being moderated: they are checked on takeover, not written again', () => crashAndResume({ provider: 'openai', path: /moderations/ }));

  /** Kills the first worker once every lane hangs on a provider call matching `hangOn`, then lets a second one finish. */
  async function crashAndResume(hangOn: FaultMatch): Promise<void> {
    emulator.reset();
    const tenant = await createTenant(cradle.database, { credits: START_CREDITS });
    const { run, planItemIds } = await preparedRun(cradle, tenant.id, { items: [{ channel: 'linkedin', count: 5 }, { channel: 'facebook', count: 3 }] });
    expect(planItemIds).to.have.length(ITEMS);
    const workerEnv = { PIPELINE_LEASE_SECONDS: '2', PIPELINE_AI_CONCURRENCY: String(CONCURRENCY), PIPELINE_RUNS_PER_WORKER: '4' };
    emulator.latencyMs = [150, 300];

    // 1. The first worker writes three items, then every provider call hangs: once each of its lanes waits on one
    //    (a generation or a moderation call in flight), nothing else is being written, and it is killed.
    const first = startWorker(emulator, workerEnv);
    workers.push(first);
    const firstId = await first.ready;
    await waitFor('three items written', async () => (await succeededItems(cradle, tenant.id, run.id)) >= 3, { timeoutMs: 40_000 });
    const before = emulator.requests.length;
    emulator.injectFault(hangOn, { hang: true });
    const hung = () => emulator.requests.slice(before).filter((r) => (!hangOn.provider || r.provider === hangOn.provider) && (!hangOn.path || hangOn.path.test(r.path)));
    await waitFor('every lane waiting on the provider', async () => hung().length >= CONCURRENCY, { timeoutMs: 20_000 });
    const killed = await first.kill();

    expect(killed.signal).to.equal('SIGKILL');

    const crashed = await runAndSteps(cradle, tenant.id, run.id);
    expect(crashed.run.status).to.equal('running');
    expect(crashed.steps.generation).to.include({ status: 'running', workerId: firstId, attempts: 1 });
    const writtenBeforeCrash = await succeededItems(cradle, tenant.id, run.id);
    expect(writtenBeforeCrash).to.be.within(3, ITEMS - 1);
    const deadHolds = await ledgerFigures(cradle.database, tenant.id);
    expect(deadHolds.held, 'the dead worker’s calls keep their holds').to.be.at.least(1);

    // 2. A new worker takes the step over (its lease of 2 s expired) and finishes the month.
    emulator.clearFaults();
    const second = startWorker(emulator, workerEnv);
    workers.push(second);
    const secondId = await second.ready;
    await waitFor('the run completed', async () => (await cradle.pipelineRepository.runStatus(tenant.id, run.id)) === 'completed', {
      timeoutMs: 60_000,
      explain: () => runSummary(cradle, tenant.id, run.id),
    });
    expect((await second.stop()).code, second.stderr()).to.equal(0);

    const { run: done, steps } = await runAndSteps(cradle, tenant.id, run.id);
    expect(done).to.include({ itemsPlanned: ITEMS, itemsGenerated: ITEMS, failureReason: null });
    for (const name of ['session', 'ingestion', 'dna_merge', 'planning'] as const) expect(steps[name]).to.include({ status: 'succeeded', attempts: 1 });
    expect(steps.generation, 'killed once, taken over once').to.include({ status: 'succeeded', attempts: 2, workerId: secondId, itemsTotal: ITEMS });
    expect(steps.publication).to.include({ status: 'succeeded', attempts: 1, workerId: secondId });
    expect(steps.analytics).to.include({ status: 'succeeded', attempts: 1, workerId: secondId });
    expect(secondId).to.not.equal(firstId);

    // Exactly one content per plan item, each with one generated version and one paid generation call.
    const contents = await tenantRows(cradle.database, tenant.id, 'contents');
    const stepItems = await tenantRows(cradle.database, tenant.id, 'pipelineStepItems', { runId: run.id, stepId: steps.generation.id });
    expect(stepItems).to.have.length(ITEMS);
    expect(contents.map((c) => c.id).sort()).to.deep.equal(stepItems.map((i) => plannedContentId(i.idempotencyKey)).sort());
    const planItems = await tenantRows(cradle.database, tenant.id, 'editorialPlanItems', { planId: done.editorialPlanId });
    expect(planItems.every((p) => p.status === 'generated' && p.contentId)).to.equal(true);
    expect(new Set(planItems.map((p) => p.contentId)).size).to.equal(ITEMS);
    const versions = await tenantRows(cradle.database, tenant.id, 'contentVersions');
    expect(versions.filter((v) => v.source === 'generation').map((v) => v.contentId).sort()).to.deep.equal(contents.map((c) => c.id).sort());
    expect(versions).to.have.length(ITEMS);
    const generations = await tenantRows(cradle.database, tenant.id, 'aiCalls', { task: 'generation', status: 'ok' });
    expect(generations.map((c) => c.subjectId).sort(), 'one answered generation call per content').to.deep.equal(contents.map((c) => c.id).sort());
    // semi mode: every written item waits in the approval queue
    expect(contents.map((c) => c.status)).to.deep.equal(Array(ITEMS).fill('pending_approval'));

    // The dead worker's holds are refunded once they expire; then every credit is explained.
    const { refunded } = await cradle.creditService.expireStaleReservations(new Date(Date.now() + HOLDS_EXPIRED_MS));
    expect(refunded).to.be.at.least(deadHolds.held);
    const ledger = await ledgerFigures(cradle.database, tenant.id);
    expect(ledger).to.include({ held: 0, reserved: 0 });
    expect(ledger.settled, 'settled charges = what the answered calls cost').to.equal(ledger.chargedByCalls);
    expect(ledger.settled).to.be.greaterThan(0);
    expect(ledger.balance).to.equal(START_CREDITS - ledger.settled);
    expect(ledger.ledgerSum).to.equal(ledger.balance);
    expect(done.spentCredits, 'the run counts what was paid').to.equal(ledger.settled);
    // every written text went through brand safety (moderation answered: ok), including those cut off by the crash
    expect(versions.map((v) => v.brandSafetyStatus)).to.deep.equal(Array(ITEMS).fill('ok'));
  }
});

async function succeededItems(cradle: Cradle, tenantId: string, runId: string): Promise<number> {
  return cradle.database.forTenant(tenantId, async (trx) => {
    const row = await trx('pipelineStepItems as i')
      .join('pipelineSteps as s', 's.id', 'i.stepId')
      .where({ 'i.tenantId': tenantId, 'i.runId': runId, 's.name': 'generation', 'i.status': 'succeeded' })
      .count<{ n: string }[]>('* as n');
    return Number(row[0].n);
  });
}
