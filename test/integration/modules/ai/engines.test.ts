import { expect } from 'chai';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import supertest from 'supertest';

const text = (html: string) => html.replace(/\s+/g, ' ');

/** The section of one tier on the engines page (empty when the tier is absent). */
function tierSection(html: string, tier: 'premium' | 'standard'): string {
  const start = html.indexOf(`id="tier-${tier}"`);
  if (start < 0) return '';
  return html.slice(start, html.indexOf('</section>', start));
}

function taskCell(html: string, task: string): string {
  const label = { generation: 'Rédaction', summarization: 'Résumés', transcription: 'Transcription vocale' }[task]!;
  const start = html.indexOf(`${label}<br>`);
  return text(html.slice(start, html.indexOf('</tr>', start)).replace(/<[^>]+>/g, ' '));
}

describe('Client: the "Moteurs IA" page', () => {
  it('lists the growth plan models by tier, without technical settings', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const res = await owner.agent.get('/app/ai');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('<h1>Moteurs IA</h1>');
    expect(res.text).to.include('aria-current="page">Moteurs IA</a>');
    const premium = tierSection(res.text, 'premium');
    const standard = tierSection(res.text, 'standard');
    expect(premium).to.include('Claude Sonnet 4.6');
    expect(premium).to.include('Mistral Large');
    expect(premium).to.include('Modèle européen haut de gamme');
    expect(premium).not.to.include('Claude Haiku 4.5');
    expect(standard).to.include('Claude Haiku 4.5');
    expect(standard).to.include('Voxtral Mini');
    // no model ids, prices, keys or provider settings
    for (const technical of ['claude-sonnet-4-6', '$', 'clé', 'api_key', 'Anthropic']) expect(res.text, technical).not.to.include(technical);
  });

  it('lists only standard models for the starter plan', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const res = await owner.agent.get('/app/ai');
    expect(res.status).to.equal(200);
    expect(tierSection(res.text, 'premium')).to.equal('');
    for (const premium of ['Claude Sonnet 4.6', 'Mistral Large', 'GPT-5<']) expect(res.text, premium).not.to.include(premium);
    const standard = tierSection(res.text, 'standard');
    for (const model of ['Claude Haiku 4.5', 'GPT-5 mini', 'Mistral Small', 'Cadence hors ligne']) expect(standard, model).to.include(model);
    // exactly the plan's active models, read from the database
    const { database } = testEnv().container.cradle;
    const planModels = await database.asPlatform((trx) =>
      trx('plan_ai_models as pm').join('plans as p', 'p.id', 'pm.planId').join('ai_models as m', 'm.id', 'pm.modelId').where({ 'p.code': 'starter', 'm.active': true }).pluck('m.id'),
    );
    const shown = [...res.text.matchAll(/data-model="([^"]+)"/g)].map((m) => m[1]);
    expect(shown).to.have.members(planModels);
  });

  it('says AI runs offline when no provider has a key, and which engine serves each task', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const res = await owner.agent.get('/app/ai');
    expect(res.text).to.include('id="offline-notice"');
    expect(text(res.text)).to.include('L&#39;IA fonctionne en mode hors ligne.');
    expect(text(res.text)).to.include('sans IA externe');
    expect(taskCell(res.text, 'generation')).to.include('Cadence hors ligne sans IA externe');
    expect(taskCell(res.text, 'transcription')).to.include('non disponible');
  });

  describe('with a provider keyed and switched on', () => {
    let saved: Record<string, unknown>;

    before(async () => {
      const { database, secretBox, aiGateway } = testEnv().container.cradle;
      await database.asPlatform(async (trx) => {
        saved = await trx('ai_providers').where({ code: 'anthropic' }).first('id', 'active', 'apiKeyEncrypted', 'apiKeyLast4');
        await trx('ai_providers').where({ code: 'anthropic' }).update({ active: true, apiKeyEncrypted: secretBox.seal('sk-ant-engines-test-0001'), apiKeyLast4: '0001' });
      });
      aiGateway.invalidateCatalogue();
    });

    after(async () => {
      const { database, aiGateway } = testEnv().container.cradle;
      const { id, ...state } = saved;
      await database.asPlatform((trx) => trx('ai_providers').where({ id }).update(state));
      aiGateway.invalidateCatalogue();
    });

    it('drops the offline notice and shows the plan model that serves each task', async () => {
      const starter = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
      const res = await starter.agent.get('/app/ai');
      expect(res.text).not.to.include('id="offline-notice"');
      // starter: the premium Sonnet is not in its plan, so generation goes to Haiku
      expect(taskCell(res.text, 'generation')).to.include('Claude Haiku 4.5');
      expect(taskCell(res.text, 'summarization')).to.include('Claude Haiku 4.5');

      const growth = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
      const page = await growth.agent.get('/app/ai');
      expect(taskCell(page.text, 'generation')).to.include('Claude Sonnet 4.6');
    });
  });

  it('asks for a login, and is in English for an English viewer', async () => {
    const anonymous = await supertest(testEnv().app).get('/app/ai');
    expect(anonymous.status).to.equal(303);
    expect(anonymous.headers.location).to.equal('/login?next=%2Fapp%2Fai');

    const owner = await loginAs(testEnv().app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    await owner.agent.post('/locale').type('form').send({ locale: 'en', back: '/app/ai', _csrf: owner.csrf });
    try {
      const res = await owner.agent.get('/app/ai');
      expect(res.text).to.include('<h1>AI engines</h1>');
      expect(text(res.text)).to.include('AI runs in offline mode.');
    } finally {
      await owner.agent.post('/locale').type('form').send({ locale: 'fr', back: '/app/ai', _csrf: owner.csrf });
    }
  });
});
