import { expect } from 'chai';
import { microsForInput, parseDecimal } from '../../../../src/modules/ai/admin-service.js';
import { loginAs, SUPER_ADMIN, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';

const text = (html: string) => html.replace(/\s+/g, ' ');

async function modelRow(modelId: string) {
  return testEnv().container.cradle.database.asPlatform((trx) => trx('ai_models').where({ modelId }).first());
}

/** The form as the page posts it, from a row (French formats). */
function formOf(row: Record<string, any>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tier: row.tier,
    capabilities: row.capabilities,
    inputPrice: microsForInput(row.inputPriceMicrosPerMtok, 'fr'),
    outputPrice: microsForInput(row.outputPriceMicrosPerMtok, 'fr'),
    cachedInputPrice: microsForInput(row.cachedInputPriceMicrosPerMtok, 'fr'),
    cacheWritePrice: microsForInput(row.cacheWritePriceMicrosPerMtok, 'fr'),
    audioPrice: microsForInput(row.audioPriceMicrosPerMinute, 'fr'),
    batchDiscount: String(row.batchDiscountBp / 100).replace('.', ','),
    ...(row.euHosted ? { euHosted: 'on' } : {}),
    ...(row.active ? { active: 'on' } : {}),
    ...overrides,
  };
}

describe('Super admin: AI model catalogue', () => {
  const EDITABLE = [
    'tier',
    'capabilities',
    'inputPriceMicrosPerMtok',
    'outputPriceMicrosPerMtok',
    'cachedInputPriceMicrosPerMtok',
    'cacheWritePriceMicrosPerMtok',
    'audioPriceMicrosPerMinute',
    'batchDiscountBp',
    'euHosted',
    'active',
  ] as const;
  let admin: { agent: Agent; csrf: string };
  let haiku: Record<string, any>;

  before(async () => {
    admin = await loginAs(testEnv().app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    haiku = await modelRow('claude-haiku-4-5');
  });

  after(async () => {
    const { database, aiGateway } = testEnv().container.cradle;
    const restore = Object.fromEntries(EDITABLE.map((k) => [k, haiku[k]]));
    await database.asPlatform((trx) => trx('ai_models').where({ id: haiku.id }).update(restore));
    aiGateway.invalidateCatalogue();
  });

  it('shows prices in the currency units, French formats', async () => {
    const res = await admin.agent.get('/admin/ai/models');
    expect(res.status).to.equal(200);
    const html = text(res.text);
    // Claude Sonnet 4.6: $3 / $15 per MTok, 50 % batch discount
    expect(html).to.include('Claude Sonnet 4.6');
    expect(html).to.match(/3,00 \$/);
    expect(html).to.match(/15,00 \$/);
    expect(html).to.match(/50 %/);
    // the form shows the plain decimal
    expect(res.text).to.include(`id="model-${haiku.id}-inputPrice" name="inputPrice" inputmode="decimal" value="1,00"`);
  });

  it('round-trips a price edit exactly to integer micros ("0,80" → 800000)', async () => {
    const res = await admin.agent
      .post(`/admin/ai/models/${haiku.id}`)
      .type('form')
      .send({
        ...formOf(haiku, { inputPrice: '0,80', outputPrice: '4,000001', cachedInputPrice: '0.08', cacheWritePrice: '', audioPrice: '1 234,5', batchDiscount: '37,5' }),
        _csrf: admin.csrf,
      });
    expect(res.status).to.equal(303);
    const row = await modelRow('claude-haiku-4-5');
    expect(row.inputPriceMicrosPerMtok).to.equal(800_000);
    expect(row.outputPriceMicrosPerMtok).to.equal(4_000_001);
    expect(row.cachedInputPriceMicrosPerMtok).to.equal(80_000);
    expect(row.cacheWritePriceMicrosPerMtok).to.equal(null);
    expect(row.audioPriceMicrosPerMinute).to.equal(1_234_500_000);
    expect(row.batchDiscountBp).to.equal(3750);

    // shown back exactly, and re-posting the form as shown changes nothing
    const page = await admin.agent.get('/admin/ai/models');
    expect(page.text).to.include(`name="inputPrice" inputmode="decimal" value="0,80"`);
    expect(page.text).to.include(`name="outputPrice" inputmode="decimal" value="4,000001"`);
    expect(text(page.text)).to.match(/0,80 \$/);
    const again = await admin.agent.post(`/admin/ai/models/${haiku.id}`).type('form').send({ ...formOf(row), _csrf: admin.csrf });
    expect(again.status).to.equal(303);
    const same = await modelRow('claude-haiku-4-5');
    for (const k of EDITABLE) expect(same[k], k).to.deep.equal(row[k]);
  });

  it('edits tier, capabilities, EU hosting and activity (HTMX: the model fragment only)', async () => {
    const res = await admin.agent
      .post(`/admin/ai/models/${haiku.id}`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ ...formOf(haiku, { tier: 'premium', capabilities: ['chat', 'structured'] }), euHosted: 'on', active: undefined, _csrf: admin.csrf });
    expect(res.status).to.equal(200);
    expect(res.text).not.to.include('<html');
    expect(res.text).to.include(`id="model-${haiku.id}"`);
    expect(res.text).to.include('Modèle enregistré.');
    const row = await modelRow('claude-haiku-4-5');
    expect(row).to.include({ tier: 'premium', euHosted: true, active: false });
    expect(row.capabilities).to.deep.equal(['chat', 'structured']);
  });

  it('refuses a bad price with 422, in French, keeping what was typed', async () => {
    const before = await modelRow('claude-haiku-4-5');
    const res = await admin.agent
      .post(`/admin/ai/models/${haiku.id}`)
      .type('form')
      .send({ ...formOf(before, { inputPrice: 'douze euros', outputPrice: '-1', cachedInputPrice: '0,0000001', batchDiscount: '120' }), _csrf: admin.csrf });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('value="douze euros"');
    expect(res.text).to.include('value="-1"');
    expect(res.text).to.include('value="0,0000001"');
    expect(res.text).to.include('value="120"');
    const html = text(res.text);
    expect(html).to.include('Prix invalide');
    expect(html).to.include('Six décimales au plus.');
    expect(html).to.include('Remise invalide');
    expect(res.text).to.include('aria-invalid="true"');
    const after = await modelRow('claude-haiku-4-5');
    expect(after.inputPriceMicrosPerMtok).to.equal(before.inputPriceMicrosPerMtok);

    const htmx = await admin.agent
      .post(`/admin/ai/models/${haiku.id}`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ ...formOf(before, { capabilities: undefined, outputPrice: '99999' }), _csrf: admin.csrf });
    expect(htmx.status).to.equal(422);
    expect(htmx.text).not.to.include('<html');
    expect(text(htmx.text)).to.include('Cochez au moins une capacité.');
    expect(text(htmx.text)).to.include('Prix trop élevé');
    expect(htmx.text).to.include('value="99999"');
  });

  it('answers 404 for an unknown model', async () => {
    const res = await admin.agent.post('/admin/ai/models/00000000-0000-4000-8000-000000000000').type('form').send({ ...formOf(haiku), _csrf: admin.csrf });
    expect(res.status).to.equal(404);
  });

  describe('parseDecimal (amounts typed by people)', () => {
    const micros = (raw: string, locale = 'fr') => {
      const r = parseDecimal(raw, locale, 6);
      return r.ok ? r.value : r.error;
    };

    it('reads French and English amounts exactly', () => {
      expect(micros('0,80')).to.equal(800_000);
      expect(micros('0.80')).to.equal(800_000);
      expect(micros('3')).to.equal(3_000_000);
      expect(micros(',5')).to.equal(500_000);
      expect(micros('1 234,56 $')).to.equal(1_234_560_000);
      expect(micros('1\u202f234,56')).to.equal(1_234_560_000);
      expect(micros('0,000001')).to.equal(1);
      expect(micros('0,1000000')).to.equal(100_000);
      expect(micros('1,234', 'en')).to.equal(1_234_000_000);
      expect(micros('1,234.5', 'en')).to.equal(1_234_500_000);
      expect(micros('0,25', 'en')).to.equal(250_000);
      expect(micros('1.234,5')).to.equal(1_234_500_000);
      // 0.1 + 0.2 style float errors never appear
      expect(micros('0,3')).to.equal(300_000);
      expect(micros('2147,483647')).to.equal(2_147_483_647);
    });

    it('refuses what is not an exact non-negative amount', () => {
      expect(micros('')).to.equal('invalid');
      expect(micros('-1')).to.equal('invalid');
      expect(micros('abc')).to.equal('invalid');
      expect(micros('1,2,3')).to.equal('invalid');
      expect(micros('.')).to.equal('invalid');
      expect(micros('0,0000001')).to.equal('tooPrecise');
    });

    it('formats micros back for the form', () => {
      expect(microsForInput(800_000, 'fr')).to.equal('0,80');
      expect(microsForInput(800_000, 'en')).to.equal('0.80');
      expect(microsForInput(3_000_000, 'fr')).to.equal('3,00');
      expect(microsForInput(25_000, 'fr')).to.equal('0,025');
      expect(microsForInput(4_000_001, 'fr')).to.equal('4,000001');
      expect(microsForInput(null, 'fr')).to.equal('');
    });
  });
});
