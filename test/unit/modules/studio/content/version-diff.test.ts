import { expect } from 'chai';
import { diffWords, type DiffPart } from '../../../../../src/modules/studio/version-diff.js';

const side = (parts: DiffPart[], kind: 'before' | 'after') =>
  parts.filter((p) => p.kind === 'same' || p.kind === (kind === 'before' ? 'removed' : 'added')).map((p) => p.text).join('');

describe('studio/version-diff', () => {
  it('marks the words that changed and keeps the rest', () => {
    const parts = diffWords('Nos croissants sortent du four à 7 h.', 'Nos croissants au beurre sortent du four à 6 h.');
    expect(parts).to.deep.equal([
      { kind: 'same', text: 'Nos croissants ' },
      { kind: 'added', text: 'au beurre ' },
      { kind: 'same', text: 'sortent du four à ' },
      { kind: 'removed', text: '7' },
      { kind: 'added', text: '6' },
      { kind: 'same', text: ' h.' },
    ]);
  });

  it('gives both texts back exactly, whitespace and line breaks included', () => {
    const before = 'Ligne un\n\nLigne  deux avec  espaces\n- puce';
    const after = 'Ligne un modifiée\n\nLigne deux avec  espaces\n- puce\n- autre puce';
    const parts = diffWords(before, after);
    expect(side(parts, 'before')).to.equal(before);
    expect(side(parts, 'after')).to.equal(after);
  });

  it('keeps a word the same when only the whitespace after it changed', () => {
    expect(diffWords('Fin des tests.\nSuite', 'Fin des tests.\n\nSuite')).to.deep.equal([
      { kind: 'same', text: 'Fin des tests.' },
      { kind: 'removed', text: '\n' },
      { kind: 'added', text: '\n\n' },
      { kind: 'same', text: 'Suite' },
    ]);
  });

  it('handles empty texts and identical texts', () => {
    expect(diffWords('', 'Bonjour')).to.deep.equal([{ kind: 'added', text: 'Bonjour' }]);
    expect(diffWords('Bonjour', '')).to.deep.equal([{ kind: 'removed', text: 'Bonjour' }]);
    expect(diffWords('Même texte', 'Même texte')).to.deep.equal([{ kind: 'same', text: 'Même texte' }]);
  });

  it('stays exact on long articles with an edit in the middle', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `mot${i}`);
    const before = words.join(' ');
    const after = [...words.slice(0, 10_000), 'NOUVEAU', ...words.slice(10_001)].join(' ');
    const parts = diffWords(before, after);
    expect(parts.filter((p) => p.kind !== 'same')).to.deep.equal([
      { kind: 'removed', text: 'mot10000' },
      { kind: 'added', text: 'NOUVEAU' },
    ]);
  });
});
