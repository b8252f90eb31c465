import { expect } from 'chai';
import type { AwilixContainer } from 'awilix';
import type { Cradle } from '../../../../src/container.js';
import { startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { createTenant } from '../../../support/tenants.js';
import { ledgerFigures, pipelineContainer, preparedRun, runAndSteps, tenantRows, topUp, useOnlyChannels } from './pipeline-support.js';

const ITEMS = 8;
const START_CREDITS = 1_000;
/** What is left when generation starts: a few items' worth (a linkedin generation holds 2 credits, costs 1). */
const LEFT_FOR_THE_MONTH = 5;

describe('Pipeline: a month beyond the tenant’s credits', function () {
  this.timeout(60_000);
  let emulator: AiEmulator;
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;

  before(async () => {
    emulator = await startAiEmulator();
    container = pipelineContainer(emulator, { PIPELINE_AI_CONCURRENCY: '2' });
    cradle = container.cradle;
  });
  after(async () => {
    await container.dispose();
    await emulator.stop();
  });

  it('stops budget_exhausted when the credits run out mid-month, keeps the written items as drafts, and finishes after a top-up without rewriting them', async () => {
    const tenant = await createTenant(cradle.database, { credits: START_CREDITS, locale: 'fr' });
    const { run } = await preparedRun(cradle, tenant.id, { items: [{ channel: 'linkedin', count: ITEMS }] });
    // Since the run started, the tenant's credits went elsewhere (studio calls): only a few items' worth is left.
    const spentElsewhere = START_CREDITS - LEFT_FOR_THE_MONTH;
    const hold = await cradle.creditService.reserve(tenant.id, { amount: spentElsewhere, task: 'generation', idempotencyKey: `studio:${tenant.id}` });
    await cradle.creditService.settle(tenant.id, hold.reservationId, spentElsewhere);

    const stopped = await cradle.pipelineRunner.drive(tenant.id, run.id);
    expect(stopped.steps).to.deep.equal([{ name: 'generation', outcome: 'budget_exhausted' }]);
    const { run: exhausted, steps } = await runAndSteps(cradle, tenant.id, run.id);
    expect(exhausted).to.include({ status: 'budget_exhausted', failureCode: 'pipeline.errors.budgetExhausted' });
    expect(exhausted.finishedAt).to.be.instanceOf(Date);
    // the reason, in the tenant's language, says where it stopped and what to do
    const written = (await tenantRows(cradle.database, tenant.id, 'contentVersions')).filter((v) => v.source === 'generation');
    expect(written.length).to.be.within(1, ITEMS - 1);
    expect(exhausted.failureReason).to.match(new RegExp(`^Crédits épuisés pendant l'étape « Génération » : ${written.length} contenus sur ${ITEMS} rédigés`));
    expect(exhausted.failureReason).to.include('Rechargez vos crédits puis reprenez le cycle.');
    expect(steps.generation).to.include({ status: 'failed', attempts: 1 });
    expect(steps.publication).to.include({ status: 'pending', attempts: 0 });
    const contents = await tenantRows(cradle.database, tenant.id, 'contents');
    // written items stay drafts: nothing in the approval queue, nothing confirmed on the calendar
    expect(contents.every((c) => c.status === 'draft')).to.equal(true);
    expect(await tenantRows(cradle.database, tenant.id, 'approvals')).to.have.length(0);
    expect((await tenantRows(cradle.database, tenant.id, 'calendarSlots')).map((s) => s.status)).to.not.include('confirmed');
    const ledger = await ledgerFigures(cradle.database, tenant.id);
    expect(ledger.lowestBalance, 'the ledger never went negative').to.be.at.least(0);
    expect(ledger).to.include({ reserved: 0, held: 0 });
    expect(ledger.settled).to.equal(ledger.chargedByCalls + spentElsewhere);
    expect(exhausted.spentCredits).to.equal(ledger.chargedByCalls);

    await topUp(cradle.database, tenant.id, 100);
    const resumed = await cradle.pipelineService.resume(tenant.id, run.id);
    expect(resumed).to.include({ status: 'running', failureReason: null });
    const finished = await cradle.pipelineRunner.drive(tenant.id, run.id);
    expect(finished.steps.map((s) => `${s.name}:${s.outcome}`)).to.deep.equal(['generation:succeeded', 'publication:succeeded', 'analytics:succeeded']);

    const { run: done, steps: after } = await runAndSteps(cradle, tenant.id, run.id);
    expect(done).to.include({ status: 'completed', itemsGenerated: ITEMS });
    expect(after.generation).to.include({ status: 'succeeded', attempts: 1 }); // fresh attempts after a resume
    const versions = await tenantRows(cradle.database, tenant.id, 'contentVersions');
    // the items written before the stop kept their text: one generated version per content, no second call
    expect(versions.filter((v) => v.source === 'generation')).to.have.length(ITEMS);
    for (const v of written) expect(versions.find((x) => x.contentId === v.contentId)!.id).to.equal(v.id);
    const calls = await tenantRows(cradle.database, tenant.id, 'aiCalls', { task: 'generation', status: 'ok' });
    expect(calls).to.have.length(ITEMS);
    expect(new Set(calls.map((c) => c.subjectId)).size).to.equal(ITEMS);
    expect((await tenantRows(cradle.database, tenant.id, 'contents')).map((c) => c.status)).to.deep.equal(Array(ITEMS).fill('pending_approval'));

    const final = await ledgerFigures(cradle.database, tenant.id);
    expect(final.lowestBalance).to.be.at.least(0);
    expect(final).to.include({ reserved: 0, held: 0 });
    expect(final.settled).to.equal(final.chargedByCalls + spentElsewhere);
    expect(final.balance).to.equal(START_CREDITS + 100 - final.settled);
    expect(final.ledgerSum).to.equal(final.balance);
  });

  it('records a run whose estimate is beyond the budget as budget_exhausted, in the tenant’s language, and runs no step', async () => {
    const tenant = await createTenant(cradle.database, { credits: 10, locale: 'en' });
    await useOnlyChannels(cradle, tenant.id, [{ channel: 'linkedin', count: ITEMS }], { contentMode: 'semi' });
    const estimate = await cradle.pipelineService.estimate(tenant.id);
    expect(estimate).to.include({ fits: false, budget: 10, items: ITEMS });

    const run = await cradle.pipelineService.start(tenant.id, { kind: 'schedule' }, { month: '2025-10-01' });
    expect(run).to.include({ status: 'budget_exhausted', failureCode: 'pipeline.errors.estimateBeyondBudget', estimatedCredits: estimate.credits, budgetCredits: 10 });
    expect(run.failureReason).to.equal(
      `The run is estimated at ${estimate.credits} credits but only 10 are available: nothing was started. Top up your credits or raise your cap, then start again.`,
    );
    expect((await cradle.pipelineRunner.drive(tenant.id, run.id)).steps).to.deep.equal([]);
    const { steps } = await runAndSteps(cradle, tenant.id, run.id);
    expect(Object.values(steps).map((s) => `${s.name}:${s.status}/${s.attempts}`)).to.deep.equal([
      'session:pending/0',
      'ingestion:pending/0',
      'dna_merge:pending/0',
      'planning:pending/0',
      'generation:pending/0',
      'publication:pending/0',
      'analytics:pending/0',
    ]);
    expect(await tenantRows(cradle.database, tenant.id, 'aiCalls')).to.have.length(0);
    expect(await tenantRows(cradle.database, tenant.id, 'monthlySessions')).to.have.length(0);
    expect(await ledgerFigures(cradle.database, tenant.id)).to.include({ balance: 10, reserved: 0, settled: 0 });
  });
});
