import { expect } from 'chai';
import { moderationFindings, ruleFindings } from '../../../../../src/modules/studio/brand-safety.js';
import type { BrandDna } from '../../../../../src/modules/brand/domain.js';

const dna: BrandDna = {
  vocabulary: { banned: ['industriel', 'pas cher'] },
  bannedClaims: ['le meilleur pain de Nantes', 'sans gluten'],
};

describe('studio/brand-safety', () => {
  it('finds banned words as whole words, whatever the case, accents or plural', () => {
    const findings = ruleFindings('Nos pains INDUSTRIELS ? Jamais. Des prix pas chers toute l’année.', dna, 'fr');
    expect(findings.map((f) => [f.kind, f.matchedText, f.detail])).to.deep.equal([
      ['banned_word', 'industriel', '1'],
      ['banned_word', 'pas cher', '1'],
    ]);
  });

  it('does not flag a banned word inside another word', () => {
    expect(ruleFindings('Une boulangerie post-industrielle ? Non : artisanale.', { vocabulary: { banned: ['industriel'] } }, 'fr')).to.deep.equal([]);
  });

  it('catches a banned claim reworded inside one sentence, and names the sentence', () => {
    const findings = ruleFindings('Bonjour à tous ! Notre pain, le meilleur de tout Nantes, sort du four à 7 h.', dna, 'fr');
    expect(findings).to.have.length(1);
    expect(findings[0]).to.include({ kind: 'claim', severity: 'high', detail: 'le meilleur pain de Nantes' });
    expect(findings[0].matchedText).to.equal('Notre pain, le meilleur de tout Nantes, sort du four à 7 h.');
  });

  it('does not flag a claim whose terms are spread over different sentences', () => {
    expect(ruleFindings('Le meilleur moment de la journée. Notre pain sort du four. Nantes se réveille.', dna, 'fr')).to.deep.equal([]);
  });

  it('has nothing to say without a DNA', () => {
    expect(ruleFindings('Le meilleur pain de Nantes', null, 'fr')).to.deep.equal([]);
  });

  it('turns flagged moderation categories into critical findings', () => {
    expect(moderationFindings({ hate: false, violence: true })).to.deep.equal([
      { kind: 'moderation', severity: 'critical', matchedText: 'violence', detail: 'violence' },
    ]);
  });
});
