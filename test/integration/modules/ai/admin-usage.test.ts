import crypto from 'node:crypto';
import { expect } from 'chai';
import { loginAs, SUPER_ADMIN, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';

const text = (html: string) => html.replace(/\s+/g, ' ');

/** A table row of the usage page, as text (`data-key` is the provider/model/tenant id or the task). */
function rowOf(html: string, table: string, key: string): string {
  const start = html.indexOf(`id="usage-${table}"`);
  expect(start, `table ${table}`).to.be.greaterThan(-1);
  const tableHtml = html.slice(start, html.indexOf('</table>', start));
  const row = tableHtml.indexOf(`data-key="${key}"`);
  expect(row, `row ${key} in ${table}`).to.be.greaterThan(-1);
  return text(tableHtml.slice(row, tableHtml.indexOf('</tr>', row)).replace(/<[^>]+>/g, ' '));
}

/**
 * Fixture calls in March 2020, a month no other test writes to, so the aggregates are exact:
 *
 *   #  tenant  task           model         status  latency  cost   group  fallback  batch
 *   1  A       generation     haiku         ok        100    1000    g1
 *   2  A       generation     haiku         error    5000       0    g2
 *   3  A       generation     gpt-5-mini    ok        300    2500    g2     yes
 *   4  A       planning       haiku         ok        200    4000    g3               yes
 *   5  B       summarization  gpt-5-mini    ok        400     500    g4
 *   6  B       summarization  offline       ok         10       0    g5
 *   7  A       generation     haiku         ok        999   99999    g6   (1 April 00:00 UTC: outside)
 *
 * Totals: 6 calls, 1 error (16,7 %), 8000 micros ($0.008); ok latencies 10, 100, 200, 300, 400 → p50 = 200,
 * p95 = 300 + 0.8 × 100 = 380; 5 requests of which 1 fell back (20 %); 1 batch call of 6 (16,7 %).
 * Tenant A: 4 calls, 7500 micros, 25 % errors; tenant B: 2 calls, 500 micros, 0 %.
 * Anthropic: 3 calls, 5000 micros, p50 of 100 and 200 = 150; OpenAI: 2 calls, 3000 micros, p50 = 350.
 * Generation: ok latencies 100 and 300 → p50 = 200, p95 = 100 + 0.95 × 200 = 290; 1 of its 2 requests fell back.
 */
describe('Super admin: AI usage', () => {
  let admin: { agent: Agent; csrf: string };
  const inserted: string[] = [];
  let tenantA: string;
  let tenantB: string;
  let providers: Map<string, string>;
  let models: Map<string, { id: string; providerId: string }>;

  before(async () => {
    admin = await loginAs(testEnv().app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    const { database } = testEnv().container.cradle;
    await database.asPlatform(async (trx) => {
      tenantA = (await trx('tenants').where({ slug: 'boulangerie-martin' }).first('id')).id;
      tenantB = (await trx('tenants').where({ slug: 'velo-atelier-nantes' }).first('id')).id;
      providers = new Map((await trx('ai_providers').select('id', 'code')).map((p: { id: string; code: string }) => [p.code, p.id]));
      models = new Map(
        (await trx('ai_models').select('id', 'modelId', 'providerId')).map((m: { id: string; modelId: string; providerId: string }) => [m.modelId, m]),
      );
      const g = Array.from({ length: 6 }, () => crypto.randomUUID());
      const call = (
        tenantId: string,
        task: string,
        model: string,
        status: 'ok' | 'error',
        latencyMs: number,
        costMicros: number,
        group: string,
        at: string,
        extra: Record<string, unknown> = {},
      ) => ({
        tenantId,
        task,
        providerId: models.get(model)!.providerId,
        modelId: models.get(model)!.id,
        status,
        latencyMs,
        costMicros,
        requestGroupId: group,
        priceCurrency: 'USD',
        createdAt: new Date(at),
        ...(status === 'error' ? { errorCode: 'server' } : {}),
        ...extra,
      });
      const rows = [
        call(tenantA, 'generation', 'claude-haiku-4-5', 'ok', 100, 1000, g[0], '2020-03-02T10:00:00Z'),
        call(tenantA, 'generation', 'claude-haiku-4-5', 'error', 5000, 0, g[1], '2020-03-05T10:00:00Z'),
        call(tenantA, 'generation', 'gpt-5-mini', 'ok', 300, 2500, g[1], '2020-03-05T10:00:06Z', { attempt: 2, fallbackUsed: true }),
        call(tenantA, 'planning', 'claude-haiku-4-5', 'ok', 200, 4000, g[2], '2020-03-10T02:00:00Z', { isBatch: true }),
        call(tenantB, 'summarization', 'gpt-5-mini', 'ok', 400, 500, g[3], '2020-03-20T12:00:00Z'),
        call(tenantB, 'summarization', 'offline-composer', 'ok', 10, 0, g[4], '2020-03-31T23:59:59Z'),
        call(tenantA, 'generation', 'claude-haiku-4-5', 'ok', 999, 99_999, g[5], '2020-04-01T00:00:00Z'),
      ];
      const ids = await trx('ai_calls').insert(rows).returning('id');
      inserted.push(...ids.map((r: { id: string }) => r.id));
    });
  });

  after(async () => {
    await testEnv().container.cradle.database.asPlatform((trx) => trx('ai_calls').whereIn('id', inserted).delete());
  });

  it('aggregates calls, errors, costs, latency percentiles, fallback and batch shares in SQL', async () => {
    const report = await testEnv().container.cradle.aiAdminRepository.usage(new Date('2020-03-01T00:00:00Z'), new Date('2020-04-01T00:00:00Z'));
    expect(report.totals).to.deep.equal({
      calls: 6,
      errors: 1,
      requests: 5,
      fallbackRequests: 1,
      batchCalls: 1,
      p50LatencyMs: 200,
      p95LatencyMs: 380,
      cost: { USD: 8000 },
    });
    const byTenant = new Map(report.byTenant.map((l) => [l.key, l]));
    expect(byTenant.get(tenantA)).to.include({ label: 'Boulangerie Martin', calls: 4, errors: 1 });
    expect(byTenant.get(tenantA)!.cost).to.deep.equal({ USD: 7500 });
    expect(byTenant.get(tenantB)).to.include({ label: 'L’Atelier Vélo Nantes', calls: 2, errors: 0 });
    expect(byTenant.get(tenantB)!.cost).to.deep.equal({ USD: 500 });
    expect(report.byTenant[0].key).to.equal(tenantA); // the biggest spender first

    const byProvider = new Map(report.byProvider.map((l) => [l.key, l]));
    expect(byProvider.get(providers.get('anthropic')!)).to.include({ calls: 3, errors: 1, p50LatencyMs: 150 });
    expect(byProvider.get(providers.get('anthropic')!)!.cost).to.deep.equal({ USD: 5000 });
    expect(byProvider.get(providers.get('openai')!)).to.include({ calls: 2, errors: 0, p50LatencyMs: 350, fallbackRequests: 1 });
    expect(byProvider.get(providers.get('offline')!)).to.include({ calls: 1, p50LatencyMs: 10 });

    const byTask = new Map(report.byTask.map((l) => [l.key, l]));
    expect(byTask.get('generation')).to.include({ calls: 3, errors: 1, requests: 2, fallbackRequests: 1, p50LatencyMs: 200 });
    expect(byTask.get('generation')!.cost).to.deep.equal({ USD: 3500 });
    expect(byTask.get('planning')).to.include({ calls: 1, batchCalls: 1 });
    expect(byTask.get('summarization')!.cost).to.deep.equal({ USD: 500 });

    const byModel = new Map(report.byModel.map((l) => [l.key, l]));
    expect(byModel.get(models.get('gpt-5-mini')!.id)).to.include({ label: 'GPT-5 mini', detail: 'OpenAI', calls: 2 });
  });

  it('shows the chosen period in French formats', async () => {
    const res = await admin.agent.get('/admin/ai/usage').query({ period: 'custom', from: '2020-03-01', to: '2020-03-31' });
    expect(res.status).to.equal(200);
    const html = text(res.text);
    expect(html).to.match(/data-figure="calls">6</);
    expect(html).to.match(/data-figure="error-rate">16,7 %</);
    expect(html).to.match(/data-figure="cost">0,008 \$</);
    expect(html).to.match(/data-figure="p50">200 ms</);
    expect(html).to.match(/data-figure="p95">380 ms</);
    expect(html).to.match(/data-figure="fallback-rate">20 %</);
    expect(html).to.match(/data-figure="batch-share">16,7 %</);

    expect(rowOf(res.text, 'tenant', tenantA)).to.match(/Boulangerie Martin 0,0075 \$ 4 25 %/);
    expect(rowOf(res.text, 'tenant', tenantB)).to.match(/L’Atelier Vélo Nantes 0,0005 \$ 2 0 %/);
    expect(rowOf(res.text, 'provider', providers.get('anthropic')!)).to.match(/Anthropic 3 33,3 % 0,005 \$ 150 ms/);
    expect(rowOf(res.text, 'task', 'generation')).to.match(/Rédaction 3 33,3 % 0,0035 \$ 200 ms 290 ms 50 % 0 %/);
    // the call of 1 April is outside the period
    expect(html).not.to.include('0,099999');
  });

  it('answers HTMX with the usage fragment, and refuses bad dates with 422 keeping them', async () => {
    const fragment = await admin.agent.get('/admin/ai/usage').set('HX-Request', 'true').query({ period: 'custom', from: '2020-03-01', to: '2020-03-31' });
    expect(fragment.status).to.equal(200);
    expect(fragment.text).not.to.include('<html');
    expect(fragment.text).to.match(/^<div id="usage"/m);

    const bad = await admin.agent.get('/admin/ai/usage').query({ period: 'custom', from: '2020-03-31', to: '2020-02-30' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('value="2020-02-30"');
    expect(text(bad.text)).to.include('Date invalide.');

    const order = await admin.agent.get('/admin/ai/usage').query({ period: 'custom', from: '2020-03-31', to: '2020-03-01' });
    expect(order.status).to.equal(422);
    expect(text(order.text)).to.include('La date de fin précède la date de début.');
  });

  it('defaults to the last 30 days, with the 24 h and 7 d presets', async () => {
    for (const period of [undefined, '24h', '7d', '30d']) {
      const res = await admin.agent.get('/admin/ai/usage').query(period ? { period } : {});
      expect(res.status, String(period)).to.equal(200);
      expect(res.text).to.match(new RegExp(`value="${period ?? '30d'}" checked`));
      // the fixtures of 2020 are never in a recent period
      expect(res.text).not.to.include('0,0075');
    }
  });
});
