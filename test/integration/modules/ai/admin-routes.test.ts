import { expect } from 'chai';
import { loginAs, SUPER_ADMIN, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';

const text = (html: string) => html.replace(/\s+/g, ' ');

interface RouteState {
  route: Record<string, unknown>;
  fallbacks: { modelId: string; position: number }[];
}

async function routeState(task: string): Promise<RouteState> {
  return testEnv().container.cradle.database.asPlatform(async (trx) => {
    const route = await trx('ai_task_routes').where({ task }).first('id', 'primaryModelId', 'timeoutMs', 'active');
    const fallbacks = await trx('ai_route_fallbacks').where({ routeId: route.id }).orderBy('position').select('modelId', 'position');
    return { route, fallbacks };
  });
}

/** The chain as the gateway reads it: primary, then fallbacks in order. */
async function chainOf(task: string): Promise<string[]> {
  const { route, fallbacks } = await routeState(task);
  return [route.primaryModelId as string, ...fallbacks.map((f) => f.modelId)].filter(Boolean);
}

async function modelIds(): Promise<Map<string, string>> {
  const rows = await testEnv().container.cradle.database.asPlatform((trx) => trx('ai_models').select('id', 'modelId'));
  return new Map(rows.map((r: { id: string; modelId: string }) => [r.modelId, r.id]));
}

describe('Super admin: task routes editor', () => {
  const TASKS = ['summarization', 'moderation', 'image'];
  let admin: { agent: Agent; csrf: string };
  let saved: Map<string, RouteState>;
  let ids: Map<string, string>;
  let savedHealth: Record<string, unknown>[];

  before(async () => {
    admin = await loginAs(testEnv().app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    saved = new Map(await Promise.all(TASKS.map(async (t) => [t, await routeState(t)] as const)));
    ids = await modelIds();
    savedHealth = await testEnv().container.cradle.database.asPlatform((trx) => trx('ai_model_health').select());
  });

  after(async () => {
    const { database, aiGateway } = testEnv().container.cradle;
    await database.asPlatform(async (trx) => {
      for (const { route, fallbacks } of saved.values()) {
        await trx('ai_route_fallbacks').where({ routeId: route.id }).delete();
        await trx('ai_task_routes').where({ id: route.id }).update({ primaryModelId: route.primaryModelId, timeoutMs: route.timeoutMs, active: route.active });
        if (fallbacks.length) await trx('ai_route_fallbacks').insert(fallbacks.map((f) => ({ ...f, routeId: route.id })));
      }
      for (const { id, ...health } of savedHealth) await trx('ai_model_health').where({ id }).update(health);
    });
    aiGateway.invalidateCatalogue();
  });

  const post = (path: string, body: Record<string, unknown> = {}, htmx = false) => {
    const req = admin.agent.post(path).type('form');
    if (htmx) req.set('HX-Request', 'true');
    return req.send({ ...body, _csrf: admin.csrf });
  };

  it('shows every task with its primary model, fallbacks in order and circuit state', async () => {
    const { database } = testEnv().container.cradle;
    const openUntil = new Date(Date.now() + 3_600_000);
    await database.asPlatform((trx) =>
      trx('ai_model_health')
        .where({ modelId: ids.get('gpt-5-mini') })
        .update({ state: 'open', consecutiveFailures: 3, openUntil, lastErrorCode: 'rate_limited', lastError: 'emulated 429', lastFailureAt: new Date() }),
    );
    const res = await admin.agent.get('/admin/ai/routes');
    expect(res.status).to.equal(200);
    const html = text(res.text);
    for (const task of ['planning', 'generation', 'transcription', 'embeddings', 'moderation', 'seo_analysis', 'image', 'batch', 'summarization']) {
      expect(res.text).to.include(`id="route-${task}"`);
    }
    // summarization: Haiku first, then GPT-5 mini, Mistral Small, offline
    const section = html.slice(html.indexOf('id="route-summarization"'));
    const summarization = section.slice(0, section.indexOf('</section>'));
    expect(summarization.indexOf('Claude Haiku 4.5')).to.be.lessThan(summarization.indexOf('GPT-5 mini'));
    expect(summarization).to.include('Principal');
    expect(summarization).to.include('Secours 1');
    expect(summarization).to.match(/Ouvert jusqu&#39;au [^<]+UTC/);
    expect(summarization).to.include('trop de requêtes');
    expect(summarization).to.include('emulated 429');
    expect(summarization).to.include('Fermé');
  });

  it('moves a model up and down, adds and removes fallbacks, in the order the gateway reads', async () => {
    const [haiku, gptMini, mistralSmall, offline] = ['claude-haiku-4-5', 'gpt-5-mini', 'mistral-small-latest', 'offline-composer'].map((m) => ids.get(m)!);
    expect(await chainOf('summarization')).to.deep.equal([haiku, gptMini, mistralSmall, offline]);

    let res = await post(`/admin/ai/routes/summarization/models/${gptMini}/up`);
    expect(res.status).to.equal(303);
    expect(await chainOf('summarization')).to.deep.equal([gptMini, haiku, mistralSmall, offline]);

    res = await post(`/admin/ai/routes/summarization/models/${haiku}/down`, {}, true);
    expect(res.status).to.equal(200);
    expect(res.text).not.to.include('<html');
    expect(res.text).to.include('id="route-summarization"');
    expect(res.text).to.include('Routage enregistré.');
    expect(await chainOf('summarization')).to.deep.equal([gptMini, mistralSmall, haiku, offline]);

    // the first cannot move up, the last cannot move down: nothing changes
    await post(`/admin/ai/routes/summarization/models/${gptMini}/up`);
    await post(`/admin/ai/routes/summarization/models/${offline}/down`);
    expect(await chainOf('summarization')).to.deep.equal([gptMini, mistralSmall, haiku, offline]);

    res = await post(`/admin/ai/routes/summarization/models/${gptMini}/remove`);
    expect(res.status).to.equal(303);
    expect(await chainOf('summarization')).to.deep.equal([mistralSmall, haiku, offline]);

    res = await post('/admin/ai/routes/summarization/models', { modelId: ids.get('claude-sonnet-4-6') });
    expect(res.status).to.equal(303);
    expect(await chainOf('summarization')).to.deep.equal([mistralSmall, haiku, offline, ids.get('claude-sonnet-4-6')]);
    const { fallbacks } = await routeState('summarization');
    expect(fallbacks.map((f) => f.position)).to.deep.equal([1, 2, 3]);

    // the gateway's catalogue sees the new order at once
    const catalogue = await testEnv().container.cradle.aiCatalogueRepository.loadCatalogue();
    expect(catalogue.routes.get('summarization')!.modelIds).to.deep.equal(await chainOf('summarization'));
  });

  it('refuses a model that lacks the task capability (422, in French) and a duplicate', async () => {
    const before = await chainOf('moderation');
    const res = await post('/admin/ai/routes/moderation/models', { modelId: ids.get('claude-haiku-4-5') }, true);
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include('Ce modèle n&#39;a pas la capacité requise par cette tâche.');
    expect(res.text).to.include('id="route-moderation"');
    expect(await chainOf('moderation')).to.deep.equal(before);

    const plain = await post('/admin/ai/routes/moderation/models', { modelId: ids.get('whisper-1') });
    expect(plain.status).to.equal(422);
    expect(plain.text).to.include('<html');

    const duplicate = await post('/admin/ai/routes/moderation/models', { modelId: before[0] });
    expect(duplicate.status).to.equal(422);
    expect(text(duplicate.text)).to.include('Ce modèle est déjà dans la liste.');
    expect(await chainOf('moderation')).to.deep.equal(before);

    // the add list offers only capable models
    const page = await admin.agent.get('/admin/ai/routes');
    const section = page.text.slice(page.text.indexOf('id="route-moderation"'));
    const select = section.slice(section.indexOf('<select'), section.indexOf('</select>'));
    expect(select).not.to.include('Claude Haiku');
    expect(select).not.to.include('Mistral Moderation');
  });

  it('saves timeout and activity, and refuses an active task without a model', async () => {
    let res = await post('/admin/ai/routes/summarization/settings', { timeoutSeconds: '45', active: 'on' });
    expect(res.status).to.equal(303);
    let { route } = await routeState('summarization');
    expect(route).to.include({ timeoutMs: 45_000, active: true });

    res = await post('/admin/ai/routes/summarization/settings', { timeoutSeconds: 'beaucoup', active: 'on' }, true);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('value="beaucoup"');
    expect(text(res.text)).to.include('Un nombre entier de secondes entre 1 et 3600.');

    res = await post('/admin/ai/routes/image/settings', { timeoutSeconds: '120', active: 'on' });
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include('Ajoutez un modèle avant d&#39;activer la tâche.');
    ({ route } = await routeState('image'));
    expect(route.active).to.equal(false);
  });

  it('answers 404 for an unknown task or a model not in the route', async () => {
    expect((await post('/admin/ai/routes/astrology/models', { modelId: ids.get('claude-haiku-4-5') })).status).to.equal(404);
    expect((await post(`/admin/ai/routes/image/models/${ids.get('claude-haiku-4-5')}/remove`)).status).to.equal(404);
    expect((await post('/admin/ai/routes/image/models/not-a-uuid/up')).status).to.equal(404);
  });
});
