import { expect } from 'chai';
import { textDiff } from '../../../../src/modules/watch/text-diff.js';

describe('watch/text diff', () => {
  it('shows a changed line as removed and added, with context and unified hunk header', () => {
    const before = 'Nos horaires\nLundi : 9h-18h\nMardi : 9h-18h\nMercredi : fermé\nJeudi : 9h-18h\nVendredi : 9h-19h\nSamedi : 10h-17h';
    const after = 'Nos horaires\nLundi : 9h-18h\nMardi : 9h-18h\nMercredi : 9h-12h\nJeudi : 9h-18h\nVendredi : 9h-19h\nSamedi : 10h-17h';
    const diff = textDiff(before, after)!;
    expect(diff.text).to.equal(['@@ -2,5 +2,5 @@', ' Lundi : 9h-18h', ' Mardi : 9h-18h', '-Mercredi : fermé', '+Mercredi : 9h-12h', ' Jeudi : 9h-18h', ' Vendredi : 9h-19h'].join('\n'));
    expect(diff).to.include({ addedLines: 1, removedLines: 1, changedWords: 2 });
    expect(diff.totalWords).to.equal(20);
  });

  it('ignores whitespace-only changes (spaces, blank lines, line endings)', () => {
    expect(textDiff('Offre  de\tprintemps\n\nLivraison offerte', 'Offre de printemps\r\nLivraison   offerte\n\n')).to.equal(null);
    expect(textDiff('', '   \n')).to.equal(null);
  });

  it('keeps distant changes in separate hunks and close ones together', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `ligne ${i + 1}`);
    const changed = [...lines];
    changed[2] = 'ligne trois';
    changed[4] = 'ligne cinq';
    changed[25] = 'ligne vingt-six';
    const diff = textDiff(lines.join('\n'), changed.join('\n'))!;
    expect(diff.text.split('\n').filter((l) => l.startsWith('@@'))).to.deep.equal(['@@ -1,7 +1,7 @@', '@@ -24,5 +24,5 @@']);
  });

  it('shows added and removed lines at the ends of the text', () => {
    const diff = textDiff('Titre\nCorps', 'Nouveau bandeau\nTitre\nCorps\nPied de page')!;
    expect(diff.text).to.equal(['@@ -1,2 +1,4 @@', '+Nouveau bandeau', ' Titre', ' Corps', '+Pied de page'].join('\n'));
    expect(diff).to.include({ addedLines: 2, removedLines: 0 });
  });

  it('stays bounded on a page rewritten from top to bottom', () => {
    const before = Array.from({ length: 5_000 }, (_, i) => `ancien paragraphe ${i}`).join('\n');
    const after = Array.from({ length: 5_000 }, (_, i) => `nouveau paragraphe ${i} ${'x'.repeat(800)}`).join('\n');
    const diff = textDiff(before, after, { maxLines: 40, maxChars: 5_000 })!;
    expect(diff.text.length).to.be.at.most(5_002);
    expect(diff.text.split('\n').length).to.be.at.most(42);
    expect(diff).to.include({ addedLines: 5_000, removedLines: 5_000 });
  });
});
