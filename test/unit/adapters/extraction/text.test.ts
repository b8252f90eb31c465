import { expect } from 'chai';
import { capText, countAlphanumerics, joinHyphenatedLines, normaliseWhitespace } from '../../../../src/adapters/extraction/text.js';

describe('extraction text clean-up', () => {
  describe('normaliseWhitespace', () => {
    it('collapses spaces (NBSP, thin and ideographic spaces included), trims lines, keeps one blank line at most', () => {
      expect(normaliseWhitespace('  Prix :\u00A0\u202F12 €\t\t \r\n\r\n\r\n\n  Livraison\u3000offerte  ')).to.equal('Prix : 12 €\n\nLivraison offerte');
    });

    it('removes control, zero-width and replacement characters and composes accents (NFC)', () => {
      expect(normaliseWhitespace('caf\u0065\u0301\u200B\u0000 cr\u00E8me\uFFFD\uFEFF')).to.equal('café crème');
    });

    it('shortens dot leaders of tables of contents', () => {
      expect(normaliseWhitespace('2.1 Langage HTML . . . . . . . . . . 4\n3 Tarifs ........ 7')).to.equal('2.1 Langage HTML … 4\n3 Tarifs … 7');
    });
  });

  describe('joinHyphenatedLines', () => {
    it('joins a word broken at a line end', () => {
      expect(joinHyphenatedLines('Ex-\nisting systems need a lot of cre-\nated patterns.')).to.equal('Existing systems need a lot of created patterns.');
      expect(joinHyphenatedLines('l’inter-\nface de la décla-\nration')).to.equal('l’interface de la déclaration');
    });

    it('keeps the hyphen of compounds: already hyphenated, or spelled so elsewhere in the document', () => {
      expect(joinHyphenatedLines('a state-of-the-\nart system')).to.equal('a state-of-the-art system');
      expect(joinHyphenatedLines('un porte-monnaie en cuir ; ce porte-\nmonnaie est rouge')).to.equal('un porte-monnaie en cuir ; ce porte-monnaie est rouge');
    });

    it('leaves line ends that are not obvious breaks: capitals, digits, dashes after a space', () => {
      const text = 'Paris-\nLyon\n2008-\n2009\nune pause -\npuis la suite';
      expect(joinHyphenatedLines(text)).to.equal(text);
    });

    it('removes soft hyphens', () => {
      expect(joinHyphenatedLines('boulan\u00ADgerie artisa\u00AD\nnale')).to.equal('boulangerie artisanale');
    });

    it('stays linear on pathological input', () => {
      const long = `${'a'.repeat(200_000)}-\n${'b'.repeat(200_000)}`;
      const started = Date.now();
      joinHyphenatedLines(long);
      expect(Date.now() - started).to.be.below(2_000);
    });
  });

  describe('capText', () => {
    it('leaves short text alone', () => {
      expect(capText('court', 10)).to.deep.equal({ text: 'court', truncated: false });
    });

    it('cuts at a word boundary near the cap and flags it', () => {
      const result = capText('un deux trois quatre cinq six sept huit neuf dix', 30);
      expect(result.truncated).to.equal(true);
      expect(result.text).to.equal('un deux trois quatre cinq six');
    });

    it('never splits a surrogate pair', () => {
      const result = capText(`${'x'.repeat(9)}😀😀`, 10);
      expect(result.text).to.equal('x'.repeat(9));
    });
  });

  it('counts letters and digits of any script', () => {
    expect(countAlphanumerics('Hé, 12 € — 日本!')).to.equal(6);
  });
});
