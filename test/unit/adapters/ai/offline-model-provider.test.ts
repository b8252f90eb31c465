import { expect } from 'chai';
import { OfflineModelProvider } from '../../../../src/adapters/ai/offline-model-provider.js';
import type { CompletionRequest } from '../../../../src/modules/ai/ports.js';
import { FALLBACK_TEMPLATES, generationPrompt } from '../../../../src/modules/studio/generation-prompt.js';

const dnaBlock = `<brand_dna>${JSON.stringify({ identity: { name: 'Boulangerie Martin' }, offers: [{ name: 'Galette frangipane' }], seo: { keywords: ['boulangerie Lyon'] } })}</brand_dna>`;

function request(prompt: string, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return { model: 'offline-composer', system: { stable: `Règles.\n\n${dnaBlock}` }, messages: [{ role: 'user', content: prompt }], maxTokens: 400, timeoutMs: 1_000, ...extra };
}

describe('adapters/ai OfflineModelProvider', () => {
  const provider = new OfflineModelProvider();

  it('writes about the brief of a generation template, not about the template, with the brand’s name, offers and keywords', async () => {
    const prompt = generationPrompt(FALLBACK_TEMPLATES.generate, {
      content: { brief: 'Annoncer le retour de la galette des rois.', title: '', channel: 'linkedin', locale: 'fr', toneOverride: null },
      brandTone: null,
      keywords: [],
      campaignName: null,
      media: [],
    });
    const { text } = await provider.complete(request(prompt));
    expect(text.split('\n')[0]).to.equal('Boulangerie Martin — Annoncer le retour de la galette des rois.');
    expect(text).to.include('Galette frangipane');
    expect(text).to.include('#boulangerieLyon');
    expect(text).not.to.match(/Brand DNA|Channel:|Client's brief/);
  });

  it('is deterministic and streams the same text it completes', async () => {
    const first = await provider.complete(request('Nouvelle tarte aux pommes.'));
    const second = await provider.complete(request('Nouvelle tarte aux pommes.'));
    expect(first.text).to.equal(second.text);
    let streamed = '';
    for await (const event of provider.stream(request('Nouvelle tarte aux pommes.'))) if (event.type === 'delta') streamed += event.text;
    expect(streamed).to.equal(first.text);
  });

  it('answers structured requests with JSON that fits the schema', async () => {
    const schema = { type: 'object', properties: { title: { type: 'string' }, tags: { type: 'array', items: { type: 'string' }, minItems: 2 }, count: { type: 'integer', minimum: 1 } } };
    const { text } = await provider.complete(request('Planifier le mois de janvier.', { json: { name: 'answer', schema } }));
    expect(JSON.parse(text)).to.deep.equal({ title: 'Planifier le mois de janvier.', tags: ['Planifier le mois de janvier.', 'Planifier le mois de janvier.'], count: 1 });
  });
});
