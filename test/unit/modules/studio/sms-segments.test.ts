import { expect } from 'chai';
import fc from 'fast-check';
import {
  analyzeSms,
  gsm7Septets,
  isGsm7Char,
  isGsm7Text,
  nonGsmCharacters,
  smsCostEstimate,
  suggestGsmReplacement,
  toGsmFriendly,
} from '../../../../src/modules/studio/sms-segments.js';

const a = (n: number) => 'a'.repeat(n);
const ucs = (n: number) => 'ê'.repeat(n); // ê is not in GSM-7: the whole text goes UCS-2, 1 code unit each

describe('SMS segments', () => {
  describe('GSM 03.38 alphabet (3GPP TS 23.038 §6.2.1)', () => {
    it('has the French letters of the default alphabet: é è à ù ì ò É Ç', () => {
      for (const c of ['é', 'è', 'à', 'ù', 'ì', 'ò', 'É', 'Ç']) expect(gsm7Septets(c), c).to.equal(1);
    });

    it('lacks the other French accented letters: â ê î ô û ë ï ÿ ç œ and capitals À È Ê Î Ô Û Œ', () => {
      for (const c of ['â', 'ê', 'î', 'ô', 'û', 'ë', 'ï', 'ÿ', 'ç', 'œ', 'À', 'È', 'Ê', 'Î', 'Ô', 'Û', 'Œ', 'Ë', 'Ï', 'Ù']) {
        expect(gsm7Septets(c), c).to.equal(null);
      }
    });

    it('0x09 is the capital Ç: the lowercase ç forces UCS-2', () => {
      expect(analyzeSms('Ça va').encoding).to.equal('gsm7');
      expect(analyzeSms('français').encoding).to.equal('ucs2');
      expect(analyzeSms('français').nonGsmChars).to.deep.equal(['ç']);
    });

    it('has the German/Spanish/Nordic letters and the Greek capitals of the table', () => {
      for (const c of ['ä', 'ö', 'ñ', 'ü', 'Ä', 'Ö', 'Ñ', 'Ü', 'ß', 'Æ', 'æ', 'Å', 'å', 'Ø', 'ø', 'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ']) {
        expect(gsm7Septets(c), c).to.equal(1);
      }
      expect(gsm7Septets('α'), 'lowercase Greek').to.equal(null);
    });

    it('has @ £ $ ¥ ¤ § ¡ ¿ _ and LF/CR in the basic set, but not the backtick, tab, ° or the NBSP', () => {
      for (const c of ['@', '£', '$', '¥', '¤', '§', '¡', '¿', '_', '\n', '\r', ' ', '"', "'", '#', '%', '&', '*', '+', '<', '>', '=', '?', '!']) {
        expect(gsm7Septets(c), JSON.stringify(c)).to.equal(1);
      }
      for (const c of ['`', '\t', '°', '\u00A0', '\u202F', '\u001B', '’', '«', '»', '…', '–', '—', '•']) {
        expect(gsm7Septets(c), JSON.stringify(c)).to.equal(null);
      }
    });

    it('counts the extension table ^ { } \\ [ ~ ] | € and form feed as 2 septets', () => {
      for (const c of ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\f']) expect(gsm7Septets(c), JSON.stringify(c)).to.equal(2);
      expect(analyzeSms('€')).to.include({ encoding: 'gsm7', units: 2 });
      expect(analyzeSms('Prix : 5€ [promo]')).to.include({ encoding: 'gsm7', units: 20 });
    });

    it('isGsm7Char / isGsm7Text', () => {
      expect(isGsm7Char('é')).to.equal(true);
      expect(isGsm7Char('👍')).to.equal(false);
      expect(isGsm7Text('Soldes d’été')).to.equal(false);
      expect(isGsm7Text("Soldes d'été à 10€ !")).to.equal(true);
    });
  });

  describe('GSM-7 segments', () => {
    it('an empty text is 0 segments', () => {
      expect(analyzeSms('')).to.deep.equal({ encoding: 'gsm7', units: 0, segments: 0, perSegment: 160, remainingInSegment: 160, nonGsmChars: [] });
    });

    it('160 characters fit in one SMS, 161 make two parts of 153', () => {
      expect(analyzeSms(a(160))).to.deep.equal({ encoding: 'gsm7', units: 160, segments: 1, perSegment: 160, remainingInSegment: 0, nonGsmChars: [] });
      expect(analyzeSms(a(161))).to.deep.equal({ encoding: 'gsm7', units: 161, segments: 2, perSegment: 153, remainingInSegment: 145, nonGsmChars: [] });
    });

    it('153 × 2 = 306 is two parts exactly, 307 is three', () => {
      expect(analyzeSms(a(306))).to.include({ segments: 2, perSegment: 153, remainingInSegment: 0 });
      expect(analyzeSms(a(307))).to.include({ segments: 3, remainingInSegment: 152 });
      expect(analyzeSms(a(459))).to.include({ segments: 3, remainingInSegment: 0 });
      expect(analyzeSms(a(460))).to.include({ segments: 4 });
    });

    it('an extension character counts 2 toward the 160: 158 + € fits, 159 + € does not', () => {
      expect(analyzeSms(a(158) + '€')).to.include({ units: 160, segments: 1, remainingInSegment: 0 });
      expect(analyzeSms(a(159) + '€')).to.include({ units: 161, segments: 2, perSegment: 153 });
    });

    it('never splits an escape sequence across parts: the € moves whole to the next part', () => {
      // 151 + € = 153 fills part 1 exactly; 152 + € would straddle the boundary.
      expect(analyzeSms(a(151) + '€' + a(153))).to.include({ units: 306, segments: 2, remainingInSegment: 0 });
      const straddling = analyzeSms(a(152) + '€' + a(152));
      expect(straddling.units).to.equal(306); // 306 septets, but not 2 parts:
      expect(straddling).to.include({ segments: 3, remainingInSegment: 152 }); // [152 + 1 empty][€ + 151][1]
      expect(analyzeSms(a(152) + '{')).to.include({ units: 154, segments: 1 });
      expect(analyzeSms(a(152) + '{' + a(7))).to.include({ units: 161, segments: 2, remainingInSegment: 153 - 9 });
    });

    it('counts a French marketing text with accents as GSM-7 (unless one letter like û is missing)', () => {
      const text = 'Boulangerie Martin : -20% sur les éclairs et les flans à la pistache ce week-end ! Venez goûter';
      expect(analyzeSms(text).encoding).to.equal('ucs2');
      const gsm = "Boulangerie Martin : -20% sur les éclairs et les flans ce week-end ! Où ? 12 rue de l'Église. STOP au 36111";
      const info = analyzeSms(gsm);
      expect(info).to.include({ encoding: 'gsm7', units: gsm.length, segments: 1 });
    });

    it('counts CRLF as two septets (both CR and LF are in the alphabet)', () => {
      expect(analyzeSms('a\r\nb')).to.include({ encoding: 'gsm7', units: 4 });
    });
  });

  describe('UCS-2 segments', () => {
    it('70 code units fit in one SMS, 71 make two parts of 67', () => {
      expect(analyzeSms(ucs(70))).to.deep.equal({ encoding: 'ucs2', units: 70, segments: 1, perSegment: 70, remainingInSegment: 0, nonGsmChars: ['ê'] });
      expect(analyzeSms(ucs(71))).to.include({ units: 71, segments: 2, perSegment: 67, remainingInSegment: 63 });
      expect(analyzeSms(ucs(134))).to.include({ segments: 2, remainingInSegment: 0 });
      expect(analyzeSms(ucs(135))).to.include({ segments: 3 });
    });

    it('one character outside GSM-7 switches the whole text: 70 GSM letters + ’ is 71 units, two parts', () => {
      const info = analyzeSms(a(70) + '’');
      expect(info).to.include({ encoding: 'ucs2', units: 71, segments: 2 });
      expect(info.nonGsmChars).to.deep.equal(['’']);
    });

    it('an emoji outside the BMP is 2 code units', () => {
      expect(analyzeSms('😀')).to.include({ encoding: 'ucs2', units: 2, segments: 1, remainingInSegment: 68 });
      expect(analyzeSms(a(68) + '😀')).to.include({ units: 70, segments: 1 });
      expect(analyzeSms(a(69) + '😀')).to.include({ units: 71, segments: 2 });
      expect(analyzeSms('👍🏽')).to.include({ units: 4 }); // thumbs up + skin tone: two astral code points
    });

    it('extension characters are 1 code unit in UCS-2', () => {
      expect(analyzeSms('€😀')).to.include({ encoding: 'ucs2', units: 3 });
    });

    it('never splits a surrogate pair across parts', () => {
      // 66 + 😀 would straddle part 1 (66 + 2 > 67): the emoji opens part 2.
      expect(analyzeSms(ucs(66) + '😀' + ucs(66))).to.include({ units: 134, segments: 3, remainingInSegment: 66 });
      expect(analyzeSms(ucs(65) + '😀' + ucs(67))).to.include({ units: 134, segments: 2, remainingInSegment: 0 });
    });

    it('reports the characters that forced UCS-2, once each, in order, emoji as whole graphemes', () => {
      const info = analyzeSms('« Soldes » d’été… très bientôt ! 👨‍👩‍👧 👍🏽 👍🏽 «');
      expect(info.nonGsmChars).to.deep.equal(['«', '»', '’', '…', 'ô', '👨‍👩‍👧', '👍🏽']);
      expect(nonGsmCharacters('tout va bien')).to.deep.equal([]);
    });

    it('counts a decomposed é (e + U+0301) as sent: UCS-2', () => {
      const info = analyzeSms('e\u0301te\u0301');
      expect(info).to.include({ encoding: 'ucs2', units: 5 });
      expect(analyzeSms(toGsmFriendly('e\u0301te\u0301'))).to.include({ encoding: 'gsm7', units: 3 });
    });
  });

  describe('toGsmFriendly', () => {
    it('replaces French typography with its GSM-7 equivalent and keeps the accents that exist', () => {
      const text = '« Nouveau » : l’été arrive… – profitez‑en\u202F! “Vite” — à très vite\u00A0;';
      const out = toGsmFriendly(text);
      expect(out).to.equal('"Nouveau" : l\'été arrive... - profitez-en ! "Vite" - à très vite ;');
      expect(isGsm7Text(out)).to.equal(true); // è and à are in GSM-7
    });

    it('leaves letters alone unless asked, then folds â ê î ô û ë ï ç œ to their base letter', () => {
      const text = 'Crêpes, gâteaux, maïs, Noël, français, cœur, hôtel, sûr, île, À bientôt, ÇA, été';
      expect(toGsmFriendly(text)).to.equal(text);
      const folded = toGsmFriendly(text, { foldAccents: true });
      expect(folded).to.equal('Crepes, gateaux, mais, Noel, francais, coeur, hotel, sur, ile, A bientot, ÇA, été');
      expect(isGsm7Text(folded)).to.equal(true);
    });

    it('handles tabs, CRLF, zero-width characters, backticks and ×', () => {
      expect(toGsmFriendly('a\tb\r\nc\u200Bd\uFEFF `x` 2×3')).to.equal("a b\ncd 'x' 2x3");
    });

    it('keeps emoji (they have no GSM-7 stand-in)', () => {
      expect(toGsmFriendly('Merci 🙏 !')).to.equal('Merci 🙏 !');
    });

    it('turns a typical French SMS from 2 UCS-2 parts into 1 GSM-7 SMS', () => {
      const text = '« Boulangerie Martin » : aujourd’hui −20\u202F% sur les éclairs… Rendez-vous au 12 rue de l’Église ! STOP au 36111';
      expect(analyzeSms(text)).to.include({ encoding: 'ucs2', segments: 2 });
      const friendly = toGsmFriendly(text);
      expect(analyzeSms(friendly)).to.include({ encoding: 'gsm7', segments: 1 });
    });

    it('property: idempotent, never longer in segments, and the folded output of French text is GSM-7', () => {
      const french = fc.string({ unit: fc.constantFrom(...Array.from("abcdeéèêëàâäîïôöùûüçœÀÂÇÉÈÊËÎÏÔÙÛŒ ’'«»…–—-!?;:\u00A0\u202F\t\n,.0123456789€")), maxLength: 400 });
      fc.assert(
        fc.property(french, (text) => {
          const once = toGsmFriendly(text, { foldAccents: true });
          expect(toGsmFriendly(once, { foldAccents: true })).to.equal(once);
          expect(isGsm7Text(once)).to.equal(true);
          expect(analyzeSms(once).segments).to.be.at.most(Math.max(analyzeSms(text).segments, 1));
        }),
      );
    });
  });

  describe('suggestGsmReplacement', () => {
    it('suggests safe replacements for typography and lossy ones for letters', () => {
      expect(suggestGsmReplacement('’')).to.deep.equal({ replacement: "'", lossy: false });
      expect(suggestGsmReplacement('«')).to.deep.equal({ replacement: '"', lossy: false });
      expect(suggestGsmReplacement('…')).to.deep.equal({ replacement: '...', lossy: false });
      expect(suggestGsmReplacement('\u202F')).to.deep.equal({ replacement: ' ', lossy: false });
      expect(suggestGsmReplacement('e\u0301')).to.deep.equal({ replacement: 'é', lossy: false });
      expect(suggestGsmReplacement('ç')).to.deep.equal({ replacement: 'c', lossy: true });
      expect(suggestGsmReplacement('ê')).to.deep.equal({ replacement: 'e', lossy: true });
      expect(suggestGsmReplacement('œ')).to.deep.equal({ replacement: 'oe', lossy: true });
    });

    it('has nothing to suggest for emoji or CJK', () => {
      expect(suggestGsmReplacement('😀')).to.equal(null);
      expect(suggestGsmReplacement('日')).to.equal(null);
    });
  });

  describe('segment properties', () => {
    it('segments always hold the units, and appending text never lowers the count', () => {
      const chars = fc.constantFrom('a', 'é', '€', '{', 'ê', '😀', ' ', '\n');
      fc.assert(
        fc.property(fc.array(chars, { maxLength: 700 }), fc.array(chars, { maxLength: 50 }), (left, right) => {
          const text = left.join('');
          const info = analyzeSms(text);
          expect(info.segments * info.perSegment).to.be.at.least(info.units);
          expect(info.remainingInSegment).to.be.within(0, info.perSegment);
          const longer = analyzeSms(text + right.join(''));
          if (longer.encoding === info.encoding) expect(longer.segments).to.be.at.least(info.segments);
          if (info.encoding === 'ucs2') expect(info.units).to.equal(text.length);
        }),
      );
    });
  });

  describe('smsCostEstimate', () => {
    it('bills every segment to every recipient', () => {
      // 3 parts × 1 000 recipients × 0,045 € = 135 €
      expect(smsCostEstimate(3, 1000, 45_000)).to.deep.equal({ segments: 3, recipients: 1000, billableSegments: 3000, unitPriceMicros: 45_000, totalMicros: 135_000_000 });
      expect(smsCostEstimate(analyzeSms(a(161)).segments, 250, 40_000).totalMicros).to.equal(20_000_000);
      expect(smsCostEstimate(0, 1000, 45_000).totalMicros).to.equal(0);
    });

    it('refuses negative, fractional and overflowing inputs', () => {
      expect(() => smsCostEstimate(-1, 10, 1)).to.throw(RangeError);
      expect(() => smsCostEstimate(1, 1.5, 1)).to.throw(RangeError);
      expect(() => smsCostEstimate(1, 1, Number.NaN)).to.throw(RangeError);
      expect(() => smsCostEstimate(1_000_000, 1_000_000_000, 1_000_000_000)).to.throw(RangeError);
    });
  });
});
