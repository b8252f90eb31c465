import fs from 'node:fs';
import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { z } from 'zod';
import { buildContainer, type Cradle } from '../../../../src/container.js';
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

describe('AiGateway', function () {
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

  async function calls(tenantId: string) {
    return cradle.database.forTenant(tenantId, (trx) =>
      trx('ai_calls as c')
        .join('ai_models as m', 'm.id', 'c.modelId')
        .select('c.*', 'm.modelId as modelName')
        .orderBy([{ column: 'c.createdAt' }, { column: 'c.attempt' }]),
    );
  }

  it('routes a generation to the primary model, logs the call with tokens, cost and latency, and charges its real cost', async () => {
    const tenant = await createTenant(cradle.database, { plan: 'growth', credits: 1_000 });
    const result = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Annonce : nouvelle tarte aux pommes', maxTokens: 200 });
    expect(result.model.modelId).to.equal('claude-sonnet-4-6');
    expect(result.model.offline).to.equal(false);
    expect(result.fallbackUsed).to.equal(false);
    expect(result.text).to.include('tarte aux pommes');
    const [call] = await calls(tenant.id);
    expect(call).to.include({ status: 'ok', task: 'generation', attempt: 1, fallbackUsed: false, modelName: 'claude-sonnet-4-6' });
    expect(call.inputTokens).to.be.greaterThan(0);
    expect(call.outputTokens).to.be.greaterThan(0);
    expect(call.costMicros).to.be.greaterThan(0);
    expect(call.latencyMs).to.be.a('number');
    expect(call.creditsCharged).to.equal(result.credits);
    const { balance, reserved } = await creditBalance(cradle.database, tenant.id);
    expect(reserved).to.equal(0);
    expect(balance).to.equal(1_000 - result.credits);
  });

  it('sends the cascade and the tenant context as a cacheable prefix, and bills cache reads on the next call', async () => {
    const tenant = await createTenant(cradle.database);
    const tenantContext = `<brand_dna>${JSON.stringify({ identity: { name: 'Boulangerie Test' } })}</brand_dna>`;
    await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Premier post', tenantContext });
    await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Second post', tenantContext });
    const [first, second] = emulator.requestsTo('anthropic').map((r) => r.body as { system: { text: string; cache_control?: unknown }[] });
    expect(first.system[0].cache_control).to.deep.equal({ type: 'ephemeral' });
    expect(first.system[0].text).to.include('Boulangerie Test');
    expect(second.system[0].text).to.equal(first.system[0].text);
    const rows = await calls(tenant.id);
    expect(rows[0].cacheWriteTokens).to.be.greaterThan(0);
    expect(rows[1].cachedInputTokens).to.be.greaterThan(0);
    expect(rows[1].costMicros).to.be.lessThan(rows[0].costMicros);
  });

  it('falls back in route order on 429, honours Retry-After with a cooldown, and skips the cooling model next time', async () => {
    const tenant = await createTenant(cradle.database);
    emulator.injectFault({ provider: 'anthropic', model: 'claude-sonnet-4-6' }, { status: 429, retryAfterSeconds: 30, times: 1 });
    const first = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Bonjour' });
    expect(first.model.modelId).to.equal('gpt-5');
    expect(first.fallbackUsed).to.equal(true);
    const rows = await calls(tenant.id);
    expect(rows.map((r) => [r.modelName, r.status, r.attempt, r.errorCode])).to.deep.equal([
      ['claude-sonnet-4-6', 'error', 1, 'rate_limited'],
      ['gpt-5', 'ok', 2, null],
    ]);
    expect(rows[1].fallbackUsed).to.equal(true);
    expect(rows[0].requestGroupId).to.equal(rows[1].requestGroupId);

    emulator.reset();
    const second = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Encore' });
    expect(second.model.modelId).to.equal('gpt-5');
    expect(emulator.requestsTo('anthropic')).to.have.length(0);
    cradle.circuitBreaker.recordSuccess(rows[0].modelId);
  });

  it('opens the circuit of a model after three failures in a row', async () => {
    const tenant = await createTenant(cradle.database);
    emulator.injectFault({ provider: 'anthropic', model: 'claude-sonnet-4-6' }, { status: 500 });
    for (let i = 0; i < 3; i++) await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: `Essai ${i}` });
    expect(emulator.requestsTo('anthropic')).to.have.length(3);
    await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Après ouverture' });
    expect(emulator.requestsTo('anthropic')).to.have.length(3);
    const sonnet = (await calls(tenant.id)).find((r) => r.modelName === 'claude-sonnet-4-6')!;
    expect(cradle.circuitBreaker.state(sonnet.modelId)).to.equal('open');
    cradle.circuitBreaker.recordSuccess(sonnet.modelId);
  });

  it('counts failures in a row only: an answer in between starts the count again', async () => {
    const tenant = await createTenant(cradle.database);
    emulator.injectFault({ provider: 'anthropic', model: 'claude-sonnet-4-6' }, { status: 500, times: 2 });
    for (let i = 0; i < 2; i++) await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: `Essai ${i}` });
    const sonnet = (await calls(tenant.id)).find((r) => r.modelName === 'claude-sonnet-4-6')!;
    expect(cradle.circuitBreaker.failures(sonnet.modelId)).to.equal(2);
    const answered = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Répond' });
    expect(answered.model.modelId).to.equal('claude-sonnet-4-6');
    expect(cradle.circuitBreaker.failures(sonnet.modelId)).to.equal(0);
    emulator.injectFault({ provider: 'anthropic', model: 'claude-sonnet-4-6' }, { status: 500, times: 1 });
    await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Encore une' });
    expect(cradle.circuitBreaker.state(sonnet.modelId)).to.equal('closed');
    cradle.circuitBreaker.recordSuccess(sonnet.modelId);
  });

  it('falls back on a timeout', async () => {
    const tenant = await createTenant(cradle.database);
    const route = await cradle.database.asPlatform((trx) => trx('ai_task_routes').where({ task: 'summarization' }).first('id', 'timeoutMs'));
    await cradle.database.asPlatform((trx) => trx('ai_task_routes').where({ id: route.id }).update({ timeoutMs: 300 }));
    cradle.aiGateway.invalidateCatalogue();
    try {
      emulator.injectFault({ provider: 'anthropic', model: 'claude-haiku-4-5' }, { hang: true, times: 1 });
      const result = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'summarization', prompt: 'Résume' });
      expect(result.model.modelId).to.equal('gpt-5-mini');
      const [failed] = await calls(tenant.id);
      expect(failed.errorCode).to.equal('timeout');
    } finally {
      await cradle.database.asPlatform((trx) => trx('ai_task_routes').where({ id: route.id }).update({ timeoutMs: route.timeoutMs }));
      cradle.aiGateway.invalidateCatalogue();
      const haiku = await cradle.database.asPlatform((trx) => trx('ai_models').where({ modelId: 'claude-haiku-4-5' }).first('id'));
      cradle.circuitBreaker.recordSuccess(haiku.id);
    }
  });

  it('refunds every credit when all models fail, and says so clearly', async () => {
    const tenant = await createTenant(cradle.database, { credits: 500 });
    emulator.injectFault({ path: /moderations/ }, { status: 503 });
    const err = await rejection(cradle.aiGateway.moderate({ tenantId: tenant.id }, 'un texte'));
    expect(err.code).to.equal('ai.errors.allModelsFailed');
    expect(err.status).to.equal(503);
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal({ balance: 500, reserved: 0 });
    const rows = await calls(tenant.id);
    expect(rows.map((r) => r.modelName)).to.deep.equal(['omni-moderation-latest', 'mistral-moderation-latest']);
    expect(rows.every((r) => r.status === 'error')).to.equal(true);
    const reservation = await cradle.database.forTenant(tenant.id, (trx) => trx('credit_reservations').first('status'));
    expect(reservation.status).to.equal('refunded');
    for (const r of rows) cradle.circuitBreaker.recordSuccess(r.modelId);
  });

  it('does not fall back on a request the provider refuses as invalid, and refunds', async () => {
    const tenant = await createTenant(cradle.database, { credits: 500 });
    emulator.injectFault({ provider: 'anthropic' }, { status: 400, times: 1 });
    const err = await rejection(cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'x' }));
    expect(err.code).to.equal('ai.errors.requestRefused');
    expect(emulator.requestsTo('openai')).to.have.length(0);
    expect((await creditBalance(cradle.database, tenant.id)).balance).to.equal(500);
  });

  it('validates structured output, repairs it once, then gives a clear error', async () => {
    const tenant = await createTenant(cradle.database);
    const schema = z.object({ title: z.string(), hashtags: z.array(z.string()).min(1) });
    const ok = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'planning', prompt: 'Plan', schema });
    expect(ok.data.hashtags.length).to.be.greaterThan(0);

    emulator.injectFault({ provider: 'anthropic' }, { invalidJsonContent: true, times: 1 });
    const repaired = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'planning', prompt: 'Plan réparé', schema });
    expect(repaired.data.title).to.be.a('string');
    expect(emulator.requestsTo('anthropic')).to.have.length(3);

    emulator.injectFault({ provider: 'anthropic' }, { invalidJsonContent: true, times: 2 });
    const before = await creditBalance(cradle.database, tenant.id);
    const err = await rejection(cradle.aiGateway.generate({ tenantId: tenant.id, task: 'planning', prompt: 'Plan cassé', schema }));
    expect(err.code).to.equal('ai.errors.invalidStructuredOutput');
    expect(await creditBalance(cradle.database, tenant.id)).to.deep.equal(before);
  });

  it('uses only the models of the tenant plan (starter: standard tier)', async () => {
    const tenant = await createTenant(cradle.database, { plan: 'starter' });
    const result = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Hello' });
    expect(result.model.modelId).to.equal('claude-haiku-4-5');
    expect(emulator.requests.map((r) => r.model)).to.deep.equal(['claude-haiku-4-5']);
  });

  it('keeps an EU-residency tenant on EU-hosted models, and says so when none is available', async () => {
    const tenant = await createTenant(cradle.database, { requiresEu: true });
    const result = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Bonjour' });
    expect(result.model.modelId).to.equal('mistral-large-latest');
    expect(emulator.requestsTo('anthropic')).to.have.length(0);
    const [call] = await calls(tenant.id);
    expect(call.euHosted).to.equal(true);
    const embedded = await cradle.aiGateway.embed({ tenantId: tenant.id }, ['pain']);
    expect(embedded.model.modelId).to.equal('mistral-embed');
    await cradle.database.asPlatform((trx) => trx('ai_models').where({ modelId: 'mistral-embed' }).update({ active: false }));
    cradle.aiGateway.invalidateCatalogue();
    let err: AppError;
    try {
      err = await rejection(cradle.aiGateway.embed({ tenantId: tenant.id }, ['pain']));
    } finally {
      await cradle.database.asPlatform((trx) => trx('ai_models').where({ modelId: 'mistral-embed' }).update({ active: true }));
      cradle.aiGateway.invalidateCatalogue();
    }
    expect(err.code).to.equal('ai.errors.noEuModel');
  });

  it('refuses before any call when the tenant has no credits left', async () => {
    const tenant = await createTenant(cradle.database, { credits: 0 });
    const err = await rejection(cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Bonjour' }));
    expect(err.code).to.equal('billing.errors.insufficientCredits');
    expect(emulator.requests).to.have.length(0);
  });

  it('streams deltas that add up to the logged answer', async () => {
    const tenant = await createTenant(cradle.database);
    let text = '';
    let done: { text: string; callId: string } | undefined;
    for await (const event of cradle.aiGateway.stream({ tenantId: tenant.id, task: 'generation', prompt: 'Un post sur le pain au levain' })) {
      if (event.type === 'delta') text += event.text;
      else done = event.result;
    }
    expect(done?.text).to.equal(text);
    const [call] = await calls(tenant.id);
    expect(call.streamed).to.equal(true);
    expect(call.timeToFirstTokenMs).to.be.a('number');
  });

  it('transcribes speech through the voice-to-text route and charges by the second', async () => {
    const tenant = await createTenant(cradle.database);
    const audio = fs.readFileSync(new URL('../../../../../shared/corpus/audio/jfk.mp3', import.meta.url));
    const result = await cradle.aiGateway.transcribe({ tenantId: tenant.id }, { data: audio, filename: 'jfk.mp3', mimeType: 'audio/mpeg', language: 'en' });
    expect(result.text.length).to.be.greaterThan(0);
    expect(result.model.modelId).to.equal('gpt-4o-mini-transcribe');
    const [call] = await calls(tenant.id);
    expect(call.task).to.equal('transcription');
    expect(call.audioSeconds).to.be.greaterThan(0);
  });

  it('builds each call only from its own tenant: another tenant’s prompt layers never appear', async () => {
    const a = await createTenant(cradle.database);
    const b = await createTenant(cradle.database);
    await cradle.database.asPlatform((trx) =>
      trx('prompt_layers').insert([
        { level: 'tenant', tenantId: a.id, key: 'system.role', value: JSON.stringify('Tu écris pour SECRET-A-SIGNATURE.'), locale: 'fr' },
        { level: 'tenant', tenantId: b.id, key: 'system.role', value: JSON.stringify('Tu écris pour SECRET-B-SIGNATURE.'), locale: 'fr' },
      ]),
    );
    await cradle.aiGateway.generate({ tenantId: a.id, task: 'generation', prompt: 'Post A' });
    const body = JSON.stringify(emulator.requests[0].body);
    expect(body).to.include('SECRET-A-SIGNATURE');
    expect(body).not.to.include('SECRET-B-SIGNATURE');
  });
});

describe('AiGateway without any provider key', function () {
  this.timeout(30_000);

  it('composes offline, deterministically, and logs the offline model', async () => {
    const { aiGateway, database } = testEnv().container.cradle;
    const tenant = await createTenant(database);
    const request = { tenantId: tenant.id, task: 'generation' as const, prompt: 'Portes ouvertes samedi à l’atelier.', tenantContext: `<brand_dna>${JSON.stringify({ identity: { name: 'Atelier Test' }, offers: [{ name: 'Révision complète' }] })}</brand_dna>` };
    const first = await aiGateway.generate(request);
    const second = await aiGateway.generate(request);
    expect(first.model.offline).to.equal(true);
    expect(first.model.modelId).to.equal('offline-composer');
    expect(first.text).to.equal(second.text);
    expect(first.text).to.include('Atelier Test');
    expect(first.text).to.include('Révision complète');
    const call = await database.forTenant(tenant.id, (trx) => trx('ai_calls as c').join('ai_providers as p', 'p.id', 'c.providerId').first('p.code', 'c.status'));
    expect(call).to.deep.equal({ code: 'offline', status: 'ok' });
  });
});
