import { expect } from 'chai';
import { FALLBACK_TEMPLATES, generationInstructions, generationPrompt, splitGeneratedText } from '../../../../../src/modules/studio/generation-prompt.js';

const content = { brief: 'Annoncer la galette des rois', title: '', channel: 'linkedin' as const, locale: 'fr', toneOverride: null };

describe('studio/generation-prompt', () => {
  it('fills the template with the brief, tone, campaign, keywords and media, pointing to the cached DNA', () => {
    const prompt = generationPrompt(FALLBACK_TEMPLATES.generate, {
      content,
      brandTone: 'Chaleureux et simple',
      keywords: ['boulangerie Nantes', 'galette'],
      campaignName: 'Épiphanie',
      media: ['image — Galette dorée'],
    });
    expect(prompt).to.include('Annoncer la galette des rois');
    expect(prompt).to.include('Tone: Chaleureux et simple');
    expect(prompt).to.include('Campaign: Épiphanie');
    expect(prompt).to.include('boulangerie Nantes, galette');
    expect(prompt).to.include('- image — Galette dorée');
    expect(prompt).to.include('<brand_dna>');
    expect(prompt).not.to.include('{{');
  });

  it('lets the content’s tone override the DNA’s and never expands placeholders found in values', () => {
    const prompt = generationPrompt(FALLBACK_TEMPLATES.generate, {
      content: { ...content, toneOverride: 'Solennel', brief: 'Texte avec {{feedback}} dedans' },
      brandTone: 'Chaleureux',
      keywords: [],
      campaignName: null,
      media: [],
    });
    expect(prompt).to.include('Tone: Solennel');
    expect(prompt).to.include('Texte avec {{feedback}} dedans');
  });

  it('gives a regeneration the previous version and the reviewer’s feedback', () => {
    const prompt = generationPrompt(FALLBACK_TEMPLATES.regenerate, {
      content,
      brandTone: null,
      keywords: [],
      campaignName: null,
      media: [],
      previousVersion: 'Ancien texte',
      feedback: 'Plus court, sans emoji',
    });
    expect(prompt).to.include('Previous version:\nAncien texte');
    expect(prompt).to.include('Plus court, sans emoji');
  });

  it('states the channel’s limits and format', () => {
    expect(generationInstructions({ channel: 'linkedin', locale: 'fr', toneOverride: null })).to.match(/Hard limit: 3000 characters/);
    expect(generationInstructions({ channel: 'sms', locale: 'fr', toneOverride: null })).to.match(/GSM-7/);
    expect(generationInstructions({ channel: 'blog', locale: 'en', toneOverride: null })).to.match(/in English/);
  });

  it('takes the leading heading of an article or a newsletter as its title', () => {
    expect(splitGeneratedText('blog', '# Galette des rois : notre recette\n\nIntro.\n\n## Étapes', '')).to.deep.equal({
      title: 'Galette des rois : notre recette',
      body: 'Intro.\n\n## Étapes',
    });
    expect(splitGeneratedText('linkedin', '# Pas un titre\nTexte', 'Titre client')).to.deep.equal({ title: 'Titre client', body: '# Pas un titre\nTexte' });
  });
});
