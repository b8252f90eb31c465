import crypto from 'node:crypto';
import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { z } from 'zod';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import type { BatchItemCompleted } from '../../../../src/modules/ai/batch-service.js';
import { costMicros, type ModelPrices } from '../../../../src/modules/ai/domain.js';
import { AppError } from '../../../../src/shared/errors.js';
import { providerEnv, startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';
import { createTenant, creditBalance } from '../../../support/tenants.js';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

interface AnthropicBatchBody {
  requests: { custom_id: string; params: { model: string; system: { text: string }[]; messages: { content: string }[]; tools?: unknown[] } }[];
}

describe('AiBatchService (nightly batch, -50 %)', function () {
  this.timeout(60_000);
  let emulator: AiEmulator;
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;

  before(async () => {
    emulator = await startAiEmulator();
    const config = testConfig(providerEnv(emulator));
    container = buildContainer(config, testEnv().db);
    cradle = container.cradle;
  });

  after(async () => {
    await container.dispose();
    await emulator.stop();
  });

  beforeEach(() => emulator.reset());

  const calls = (tenantId: string) =>
    cradle.database.forTenant(tenantId, (trx) =>
      trx('ai_calls as c').join('ai_models as m', 'm.id', 'c.modelId').select('c.*', 'm.modelId as modelName').orderBy([{ column: 'c.createdAt' }, { column: 'c.id' }]),
    );
  const items = (tenantId: string) => cradle.database.forTenant(tenantId, (trx) => trx('aiBatchItems').select('*').orderBy('createdAt'));
  const batchRow = (id: string) => cradle.database.asPlatform((trx) => trx('aiBatches').where({ id }).first());
  const prices = (modelId: string): Promise<ModelPrices> => cradle.database.asPlatform((trx) => trx('aiModels').where({ id: modelId }).first());
  const batchSubmissions = () => emulator.requests.filter((r) => r.method === 'POST' && /messages\/batches$/.test(r.path)).map((r) => r.body as AnthropicBatchBody);
  const usageOf = (row: Record<string, number>) => ({
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cachedInputTokens: row.cachedInputTokens,
    cacheWriteTokens: row.cacheWriteTokens,
  });

  it('queues with a batch-price hold, submits at night, polls, charges half price, retries a failed item singly, and is idempotent', async () => {
    const start = 10_000;
    const tenant = await createTenant(cradle.database, { credits: start });
    const completed: BatchItemCompleted[] = [];
    const unsubscribe = cradle.aiBatchService.onItemCompleted('test_content', (event) => void completed.push(event));
    const contentId = crypto.randomUUID();
    const schema = z.object({ title: z.string(), hashtags: z.array(z.string()).min(1) });
    const tenantContext = '<brand_dna>{"identity":{"name":"Boulangerie Batch"}}</brand_dna>';

    const post = await cradle.aiBatchService.enqueue({
      tenantId: tenant.id,
      task: 'generation',
      prompt: 'Post du lundi : pain au levain',
      tenantContext,
      maxTokens: 300,
      subject: { type: 'test_content', id: contentId },
    });
    const plan = await cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'planning', prompt: 'Plan de la semaine', schema, maxTokens: 400, idempotencyKey: 'plan-week-1' });
    const failing = await cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'generation', prompt: 'Post FAIL_IN_BATCH du mardi', tenantContext, maxTokens: 300 });
    expect([post.status, plan.status, failing.status]).to.deep.equal(['queued', 'queued', 'queued']);
    expect(post.created).to.equal(true);

    // Idempotent on the subject and on the caller's key: same item, no second hold.
    const held = await creditBalance(cradle.database, tenant.id);
    const again = await cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'generation', prompt: 'Post du lundi : pain au levain', tenantContext, maxTokens: 300, subject: { type: 'test_content', id: contentId } });
    const planAgain = await cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'planning', prompt: 'Plan de la semaine', schema, maxTokens: 400, idempotencyKey: 'plan-week-1' });
    expect([again.id, again.created, planAgain.id, planAgain.created]).to.deep.equal([post.id, false, plan.id, false]);
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal(held);
    expect(held.reserved).to.be.greaterThan(0);
    expect(held.balance).to.equal(start - held.reserved);
    expect(emulator.requests).to.have.length(0); // nothing leaves before the night

    // Each hold is the batch price (half) of the route's dearest model for the worst usage.
    const queued = await items(tenant.id);
    expect(queued).to.have.length(3);
    expect(new Set(queued.map((i) => i.customId)).size).to.equal(3);
    expect(queued[0].requestPayload.request.system.stable).to.include('Boulangerie Batch');
    const reservations = await cradle.database.forTenant(tenant.id, (trx) => trx('creditReservations').select('id', 'amountHeld', 'status', 'expiresAt'));
    expect(reservations.every((r) => r.status === 'held')).to.equal(true);
    expect(reservations.reduce((n, r) => n + r.amountHeld, 0)).to.equal(held.reserved);
    expect(Math.min(...reservations.map((r) => new Date(r.expiresAt).getTime() - Date.now()))).to.be.greaterThan(24 * 3600 * 1000);

    const submitted = await cradle.aiBatchService.submitQueued(new Date());
    expect(submitted.submitted).to.be.at.least(3);
    const [sent] = batchSubmissions();
    expect(sent.requests.map((r) => r.custom_id)).to.include.members(queued.map((i) => i.customId));
    const sentFailing = sent.requests.find((r) => r.custom_id === queued[2].customId)!;
    expect(sentFailing.params.model).to.equal('claude-sonnet-4-6');
    expect(sentFailing.params.system[0].text).to.equal(queued[2].requestPayload.request.system.stable); // the prefix resolved at enqueue
    expect(sent.requests.find((r) => r.custom_id === queued[1].customId)!.params.tools).to.have.length(1); // structured output
    const afterSubmit = await items(tenant.id);
    expect(afterSubmit.map((i) => i.status)).to.deep.equal(['submitted', 'submitted', 'submitted']);
    const batchId = afterSubmit[0].batchId as string;
    expect(afterSubmit.every((i) => i.batchId === batchId)).to.equal(true);
    expect(await batchRow(batchId)).to.include({ status: 'submitted', requestCount: 3 });
    expect((await batchRow(batchId)).externalBatchId).to.be.a('string');

    // First poll: still processing.
    await cradle.aiBatchService.pollOpenBatches(new Date());
    expect((await batchRow(batchId)).status).to.equal('in_progress');
    expect(await calls(tenant.id)).to.have.length(0);

    // Second poll: ended.
    const polled = await cradle.aiBatchService.pollOpenBatches(new Date());
    expect(polled).to.include({ ended: 1, succeeded: 2, retriedSingly: 1, failed: 0, errors: 0 });
    const done = await items(tenant.id);
    expect(done.map((i) => i.status)).to.deep.equal(['succeeded', 'succeeded', 'retried_singly']);
    expect(await batchRow(batchId)).to.include({ status: 'completed', requestCount: 3, succeededCount: 2, failedCount: 1 });

    const rows = await calls(tenant.id);
    const batchOk = rows.filter((r) => r.isBatch && r.status === 'ok');
    expect(batchOk).to.have.length(2);
    for (const row of batchOk) {
      const p = await prices(row.modelId);
      const full = costMicros(p, usageOf(row));
      expect(row.batchId).to.equal(batchId);
      expect(row.modelName).to.equal('claude-sonnet-4-6');
      expect(row.costMicros).to.equal(costMicros(p, usageOf(row), { batch: true }));
      expect(row.costMicros).to.be.greaterThan(0);
      expect(Math.abs(row.costMicros * 2 - full)).to.be.at.most(2); // half the non-batch price of the same usage
      expect(row.creditsCharged).to.be.greaterThan(0);
    }
    expect(done[0].aiCallId).to.be.oneOf(batchOk.map((r) => r.id));
    expect(done[1].result.data.hashtags.length).to.be.greaterThan(0);

    // The failed item: its batch attempt is logged, then one single call through the normal route at the normal price.
    const batchFailed = rows.filter((r) => r.isBatch && r.status !== 'ok');
    expect(batchFailed).to.have.length(1);
    expect(batchFailed[0]).to.include({ creditsCharged: 0, costMicros: 0, batchId });
    const single = rows.find((r) => r.id === done[2].aiCallId)!;
    expect(single).to.include({ isBatch: false, status: 'ok', task: 'generation', batchId: null });
    expect(single.costMicros).to.equal(costMicros(await prices(single.modelId), usageOf(single)));
    expect(emulator.requests.filter((r) => r.path.endsWith('/v1/messages')).length).to.equal(1);

    // Credits: exactly the settled amounts, nothing left held; the ledger shows the discounted charge.
    const charged = rows.filter((r) => r.status === 'ok').reduce((n, r) => n + r.creditsCharged, 0);
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal({ balance: start - charged, reserved: 0 });
    const ledger = (await cradle.creditService.history(tenant.id, { limit: 100 })).filter((l) => l.kind === 'settle');
    for (const row of batchOk) expect(ledger.find((l) => l.aiCallId === row.id)?.charged).to.equal(row.creditsCharged);
    expect((await cradle.database.forTenant(tenant.id, (trx) => trx('creditReservations').where({ status: 'held' }))).length).to.equal(0);

    // Consumers: result() and the completion hook.
    const result = await cradle.aiBatchService.result(tenant.id, post.id);
    expect(result.status).to.equal('succeeded');
    expect(result.result?.text).to.include('levain');
    expect(completed.map((e) => [e.itemId, e.status])).to.deep.equal([[post.id, 'succeeded']]);
    expect((await cradle.aiBatchService.result(tenant.id, failing.id)).status).to.equal('retried_singly');
    unsubscribe();

    // Polling again changes nothing.
    const balance = await creditBalance(cradle.database, tenant.id);
    const idle = await cradle.aiBatchService.pollOpenBatches(new Date());
    expect(idle.ended).to.equal(0);
    // …even when the batch is found open again (a crash before closing it) with an item whose call was logged but
    // not yet marked done (a crash between the call log and the final status): it resumes without charging twice.
    await cradle.database.asPlatform(async (trx) => {
      await trx('aiBatches').where({ id: batchId }).update({ status: 'in_progress' });
      await trx('aiBatchItems').where({ id: post.id }).update({ status: 'submitted', completedAt: null });
    });
    const resumed = await cradle.aiBatchService.pollOpenBatches(new Date());
    expect(resumed).to.include({ ended: 1, succeeded: 1, retriedSingly: 0, errors: 0 });
    expect(await calls(tenant.id)).to.have.length(rows.length);
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal(balance);
    expect((await items(tenant.id)).map((i) => i.status)).to.deep.equal(['succeeded', 'succeeded', 'retried_singly']);
    expect(await batchRow(batchId)).to.include({ status: 'completed', succeededCount: 2, failedCount: 1 });
  });

  it('refuses to queue beyond the tenant’s budget', async () => {
    const tenant = await createTenant(cradle.database, { credits: 1 });
    const err = await rejection(cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'generation', prompt: 'Un long article', maxTokens: 4_000 }));
    expect(err.code).to.equal('billing.errors.insufficientCredits');
    expect(await items(tenant.id)).to.have.length(0);
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal({ balance: 1, reserved: 0 });
  });

  it('leaves the items queued when the provider refuses the submission, and submits them the next night', async () => {
    const tenant = await createTenant(cradle.database);
    const item = await cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'generation', prompt: 'Post du mercredi', maxTokens: 200 });
    emulator.injectFault({ provider: 'anthropic', path: /messages\/batches$/ }, { status: 500, times: 1 });
    const first = await cradle.aiBatchService.submitQueued(new Date());
    expect(first).to.include({ failedBatches: 1, submitted: 0 });
    expect((await cradle.aiBatchService.result(tenant.id, item.id)).status).to.equal('queued');
    const failedBatch = await cradle.database.asPlatform((trx) => trx('aiBatches').where({ status: 'failed' }).orderBy('createdAt', 'desc').first());
    expect(failedBatch.error).to.be.a('string').and.not.empty;

    const second = await cradle.aiBatchService.submitQueued(new Date());
    expect(second).to.include({ failedBatches: 0, submitted: 1 });
    await cradle.aiBatchService.pollOpenBatches(new Date());
    await cradle.aiBatchService.pollOpenBatches(new Date());
    expect((await cradle.aiBatchService.result(tenant.id, item.id)).status).to.equal('succeeded');
    expect((await creditBalance(cradle.database, tenant.id)).reserved).to.equal(0);
  });

  it('marks an item failed, with nothing charged, when its single retry fails too', async () => {
    const tenant = await createTenant(cradle.database, { credits: 5_000 });
    const completed: BatchItemCompleted[] = [];
    const unsubscribe = cradle.aiBatchService.onItemCompleted('test_failure', (event) => void completed.push(event));
    const item = await cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'generation', prompt: 'FAIL_IN_BATCH encore', maxTokens: 200, subject: { type: 'test_failure', id: crypto.randomUUID() } });
    emulator.injectFault({ provider: 'anthropic', path: /\/v1\/messages$/ }, { status: 400 }); // single calls refused
    try {
      await cradle.aiBatchService.submitQueued(new Date());
      await cradle.aiBatchService.pollOpenBatches(new Date());
      const polled = await cradle.aiBatchService.pollOpenBatches(new Date());
      expect(polled).to.include({ ended: 1, failed: 1 });
    } finally {
      emulator.clearFaults();
      unsubscribe();
    }
    const failed = await cradle.aiBatchService.result(tenant.id, item.id);
    expect(failed.status).to.equal('failed');
    expect(failed.error?.code).to.equal('ai.errors.requestRefused');
    expect(completed.map((e) => e.status)).to.deep.equal(['failed']);
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal({ balance: 5_000, reserved: 0 });
    expect((await calls(tenant.id)).every((c) => c.creditsCharged === 0)).to.equal(true);
  });

  it('runs a queued item singly when its tenant has no batch model any more', async () => {
    const tenant = await createTenant(cradle.database);
    const item = await cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'generation', prompt: 'Post du jeudi', maxTokens: 200 });
    await cradle.database.asPlatform((trx) => trx('aiTaskRoutes').where({ task: 'batch' }).update({ active: false }));
    cradle.aiGateway.invalidateCatalogue();
    try {
      const summary = await cradle.aiBatchService.submitQueued(new Date());
      expect(summary).to.include({ runSingly: 1, batches: 0 });
    } finally {
      await cradle.database.asPlatform((trx) => trx('aiTaskRoutes').where({ task: 'batch' }).update({ active: true }));
      cradle.aiGateway.invalidateCatalogue();
    }
    const done = await cradle.aiBatchService.result(tenant.id, item.id);
    expect(done.status).to.equal('retried_singly');
    const [call] = await calls(tenant.id);
    expect(call).to.include({ id: done.callId, isBatch: false, status: 'ok' });
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal({ balance: 10_000 - call.creditsCharged, reserved: 0 });
  });

  it('sends an EU-only tenant’s items to an EU-hosted model', async () => {
    const tenant = await createTenant(cradle.database, { requiresEu: true });
    const item = await cradle.aiBatchService.enqueue({ tenantId: tenant.id, task: 'generation', prompt: 'Post européen', maxTokens: 200 });
    await cradle.aiBatchService.submitQueued(new Date());
    const [submitted] = await items(tenant.id);
    const model = await cradle.database.asPlatform((trx) => trx('aiModels').where({ id: submitted.modelId }).first('modelId', 'euHosted'));
    expect(model).to.deep.equal({ modelId: 'mistral-large-latest', euHosted: true });
    expect(emulator.requestsTo('anthropic')).to.have.length(0);
    expect(emulator.requestsTo('openai')).to.have.length(0);
    await cradle.aiBatchService.pollOpenBatches(new Date());
    await cradle.aiBatchService.pollOpenBatches(new Date());
    expect((await cradle.aiBatchService.result(tenant.id, item.id)).status).to.equal('succeeded');
    const [call] = await calls(tenant.id);
    expect(call).to.include({ isBatch: true, euHosted: true, modelName: 'mistral-large-latest', status: 'ok' });
    expect(call.costMicros).to.equal(costMicros(await prices(call.modelId), usageOf(call), { batch: true }));
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal({ balance: 10_000 - call.creditsCharged, reserved: 0 });
  });

  it('keeps two tenants apart inside one provider batch: each its own request, call and charge', async () => {
    const a = await createTenant(cradle.database);
    const b = await createTenant(cradle.database);
    const itemA = await cradle.aiBatchService.enqueue({ tenantId: a.id, task: 'generation', prompt: 'Post A', tenantContext: '<brand_dna>SECRET-A</brand_dna>', maxTokens: 200 });
    const itemB = await cradle.aiBatchService.enqueue({ tenantId: b.id, task: 'generation', prompt: 'Post B', tenantContext: '<brand_dna>SECRET-B</brand_dna>', maxTokens: 200 });
    await cradle.aiBatchService.submitQueued(new Date());
    const submissions = batchSubmissions();
    expect(submissions).to.have.length(1);
    const [rowA] = await items(a.id);
    const [rowB] = await items(b.id);
    expect(rowA.batchId).to.equal(rowB.batchId);
    const paramsOf = (customId: string) => JSON.stringify(submissions[0].requests.find((r) => r.custom_id === customId)!.params);
    expect(paramsOf(rowA.customId)).to.include('SECRET-A').and.not.include('SECRET-B');
    expect(paramsOf(rowB.customId)).to.include('SECRET-B').and.not.include('SECRET-A');

    await cradle.aiBatchService.pollOpenBatches(new Date());
    await cradle.aiBatchService.pollOpenBatches(new Date());
    const callsA = await calls(a.id);
    const callsB = await calls(b.id);
    expect(callsA).to.have.length(1);
    expect(callsB).to.have.length(1);
    expect(callsA[0]).to.include({ isBatch: true, batchId: rowA.batchId, tenantId: a.id });
    expect(callsB[0]).to.include({ isBatch: true, batchId: rowA.batchId, tenantId: b.id });
    expect(await creditBalance(cradle.database, a.id)).to.deep.equal({ balance: 10_000 - callsA[0].creditsCharged, reserved: 0 });
    expect(await creditBalance(cradle.database, b.id)).to.deep.equal({ balance: 10_000 - callsB[0].creditsCharged, reserved: 0 });
    expect((await cradle.aiBatchService.result(a.id, itemA.id)).result?.text).to.be.a('string');
    expect((await rejection(cradle.aiBatchService.result(a.id, itemB.id))).status).to.equal(404);
    expect(await batchRow(rowA.batchId)).to.include({ status: 'completed', requestCount: 2, succeededCount: 2 });
  });
});
