import { expect } from 'chai';
import {
  analyzeReadability,
  countSyllables,
  countText,
  fleschReadingEase,
  kandelMoles,
  readingLevel,
  splitSentences,
  splitWords,
} from '../../../../../src/modules/studio/seo/readability.js';

/**
 * Hand-checked passages. Sentences and words were counted by hand and must match exactly; syllables were
 * counted by hand as spoken (standard French: a final mute e is not a syllable, "client" is cli-ent; English:
 * dictionary syllabification), with two counting conventions of the analyser applied by hand too: a number
 * counts one syllable per digit, an abbreviation (M., p., ex., h, Dr, e.g.) one syllable. The heuristic may
 * differ from the hand count by at most 1 syllable per 10 words (rounded up): that tolerance is asserted.
 * The score is then checked twice: the formula on the hand counts (exact), and the analyser's score equal to
 * the formula on its own counts (exact).
 */
interface Passage {
  locale: 'fr' | 'en';
  text: string;
  sentences: number;
  words: number;
  syllables: number;
}

const passages: Record<string, Passage> = {
  // FR1 — 3 sentences.
  //   Le(1) pain(1) est(1) chaud(1)                         → 4 words, 4 syll.
  //   Ma-rie(2) le(1) coupe(1) en(1) deux(1)                → 5 words, 6 syll.
  //   Elle(1) sou-rit(2)                                     → 2 words, 3 syll.
  //   Total: 3 sentences, 11 words, 13 syllables.
  fr1: { locale: 'fr', text: 'Le pain est chaud. Marie le coupe en deux. Elle sourit.', sentences: 3, words: 11, syllables: 13 },

  // FR2 — abbreviations (M. and p. ex. do not end a sentence; "7 h." does) and a number.
  //   M(1) Du-pont(2) ouvre(1) sa(1) bou-tique(2) à(1) 7(1) h(1)                                   → 8 words, 10 syll.
  //   Les(1) cli-ents(2) ar-rivent(2) tôt(1) p(1) ex(1) les(1) ar-ti-sans(3) du(1) quar-tier(2)     → 10 words, 15 syll.
  //   Ils(1) a-chètent(2) des(1) crois-sants(2)                                                     → 4 words, 6 syll.
  //   Total: 3 sentences, 22 words, 31 syllables (the heuristic reads "clients" as one: 30, within ±3).
  fr2: {
    locale: 'fr',
    text: 'M. Dupont ouvre sa boutique à 7 h. Les clients arrivent tôt, p. ex. les artisans du quartier. Ils achètent des croissants !',
    sentences: 3,
    words: 22,
    syllables: 31,
  },

  // FR3 — one long administrative sentence.
  //   L'ad-mi-nis-tra-tion(5) fis-cale(2) re-com-mande(3) aux(1) en-tre-prises(3) in-di-vi-du-elles(5) de(1)
  //   con-ser-ver(3) sys-té-ma-tique-ment(5) leurs(1) jus-ti-fi-ca-tifs(5) comp-tables(2) pen-dant(2) une(1)
  //   du-rée(2) mi-ni-male(3) de(1) dix(1) an-nées(2) con-sé-cu-tives(4)
  //   Total: 1 sentence, 20 words, 52 syllables ("individuelles" −1 and "systématiquement" +1 in the heuristic).
  fr3: {
    locale: 'fr',
    text:
      "L'administration fiscale recommande aux entreprises individuelles de conserver systématiquement leurs " +
      'justificatifs comptables pendant une durée minimale de dix années consécutives.',
    sentences: 1,
    words: 20,
    syllables: 52,
  },

  // FR4 — French spacing, quotes, ellipsis, elisions and hyphens.
  //   « Vous(1) ve-nez(2) d'où(1) ? » de-mande(2) la(1) ven-deuse(2).   (? » followed by lowercase: same sentence)
  //                                                                      → 6 words, 9 syll.
  //   Je(1) ré-ponds(2) : de(1) Vil-leur-banne(3)… et(1) puis(1) j'at-tends(2).  (… + lowercase: same sentence)
  //                                                                      → 7 words, 11 syll.
  //   Au-jour-d'hui(3), peut-être(2), il(1) y(1) au-ra(2) du(1) pain(1) d'é-pices(2).
  //                                                                      → 8 words, 13 syll.
  //   Total: 3 sentences, 21 words, 33 syllables.
  fr4: {
    locale: 'fr',
    text: "« Vous venez d'où ? » demande la vendeuse. Je réponds : de Villeurbanne… et puis j'attends. Aujourd'hui, peut-être, il y aura du pain d'épices.",
    sentences: 3,
    words: 21,
    syllables: 33,
  },

  // EN1 — 3 sentences of one-syllable words: 6 + 3 + 3 = 12 words, 12 syllables.
  en1: { locale: 'en', text: 'The cat sat on the mat. It was warm. The dog slept.', sentences: 3, words: 12, syllables: 12 },

  // EN2 — title abbreviation, a year, a URL (not a word), "e.g." (one word, no sentence end).
  //   Dr(1) Smith(1) o-pened(2) the(1) ba-ke-ry(3) in(1) 2019(4)            → 7 words, 13 syll.
  //   Vis-it(2) [URL] for(1) pri-ces(2) e.g.(1) bread(1) and(1) cakes(1)    → 7 words, 9 syll.
  //   Cus-tom-ers(3) love(1) the(1) sour-dough(2)                           → 4 words, 7 syll.
  //   Total: 3 sentences, 18 words, 29 syllables.
  en2: {
    locale: 'en',
    text: 'Dr. Smith opened the bakery in 2019. Visit https://example.com/menu for prices, e.g. bread and cakes. Customers love the sourdough!',
    sentences: 3,
    words: 18,
    syllables: 29,
  },

  // EN3 — one sentence of long words.
  //   In-de-pen-dent(4) res-tau-rants(3) in-creas-ing-ly(4) re-ly(2) on(1) so-cial(2) me-di-a(3) to(1)
  //   com-mu-ni-cate(4) with(1) neigh-bour-hood(3) cus-tom-ers(3)
  //   Total: 1 sentence, 12 words, 31 syllables.
  en3: {
    locale: 'en',
    text: 'Independent restaurants increasingly rely on social media to communicate with neighbourhood customers.',
    sentences: 1,
    words: 12,
    syllables: 31,
  },
};

describe('SEO readability', () => {
  describe('hand-checked passages', () => {
    for (const [name, p] of Object.entries(passages)) {
      it(`${name}: sentence and word counts exact, syllables within ±1 per 10 words, score exact on the counts`, () => {
        const counts = countText(p.text, p.locale);
        expect(counts.sentences, 'sentences').to.equal(p.sentences);
        expect(counts.words, 'words').to.equal(p.words);
        const tolerance = Math.ceil(p.words / 10);
        expect(Math.abs(counts.syllables - p.syllables), `syllables ${counts.syllables} vs ${p.syllables}`).to.be.at.most(tolerance);

        const formula = p.locale === 'fr' ? kandelMoles : fleschReadingEase;
        const result = analyzeReadability(p.text, p.locale);
        expect(result.score).to.equal(formula(counts));
        expect(result.formula).to.equal(p.locale === 'fr' ? 'kandel-moles' : 'flesch');
      });
    }

    it('applies the formulas exactly to the hand counts', () => {
      // FR1: 207 − 1.015 × 11/3 − 73.6 × 13/11
      expect(kandelMoles({ sentences: 3, words: 11, syllables: 13 })).to.be.closeTo(207 - 1.015 * (11 / 3) - 73.6 * (13 / 11), 1e-12);
      expect(kandelMoles({ sentences: 3, words: 11, syllables: 13 })).to.be.closeTo(116.2965, 1e-4); // 207 − 3.72167 − 86.98182
      // FR3: 207 − 1.015 × 20 − 73.6 × 52/20 = 207 − 20.3 − 191.36 = −4.66 (very difficult)
      expect(kandelMoles({ sentences: 1, words: 20, syllables: 52 })).to.be.closeTo(-4.66, 1e-9);
      // EN1: 206.835 − 1.015 × 4 − 84.6 × 1 = 206.835 − 4.06 − 84.6 = 118.175
      expect(fleschReadingEase({ sentences: 3, words: 12, syllables: 12 })).to.be.closeTo(118.175, 1e-9);
      // EN3: 206.835 − 1.015 × 12 − 84.6 × 31/12 = 206.835 − 12.18 − 218.55 = −23.895
      expect(fleschReadingEase({ sentences: 1, words: 12, syllables: 31 })).to.be.closeTo(-23.895, 1e-9);
      // EN2: 206.835 − 1.015 × 6 − 84.6 × 29/18
      expect(fleschReadingEase({ sentences: 3, words: 18, syllables: 29 })).to.be.closeTo(206.835 - 6.09 - (84.6 * 29) / 18, 1e-9);
    });

    it('scores a realistic bakery post exactly as computed by hand, in French (Kandel–Moles) and English (Flesch)', () => {
      // FR — « Notre boulangerie ouvre à sept heures. Le pain sort du four chaque matin. Venez goûter nos croissants au beurre ! »
      //   No-tre(1: notr') bou-lan-ge-rie(4) ouvre(1) à(1) sept(1) heures(1)         → 6 words, 9 syll.
      //   Le(1) pain(1) sort(1) du(1) four(1) chaque(1) ma-tin(2)                    → 7 words, 8 syll.
      //   Ve-nez(2) goû-ter(2) nos(1) crois-sants(2) au(1) beurre(1)                 → 6 words, 9 syll.
      //   3 sentences, 19 words, 26 syllables: ASL = 19/3 = 6.3333, ASW = 26/19 = 1.3684
      //   Kandel–Moles = 207 − 1.015 × 6.3333 − 73.6 × 1.3684 = 207 − 6.4283 − 100.7158 = 99.8559 (very easy)
      const fr = 'Notre boulangerie ouvre à sept heures. Le pain sort du four chaque matin. Venez goûter nos croissants au beurre !';
      const frResult = analyzeReadability(fr, 'fr');
      expect(frResult).to.include({ sentences: 3, words: 19, syllables: 26, formula: 'kandel-moles', level: 'veryEasy' });
      expect(frResult.score).to.be.closeTo(99.8559, 1e-4);
      // EN — "Our bakery opens at seven. Fresh bread comes out of the oven every morning. Come and taste our butter croissants!"
      //   Our(1) ba-ke-ry(3) o-pens(2) at(1) se-ven(2)                                       → 5 words, 9 syll.
      //   Fresh(1) bread(1) comes(1) out(1) of(1) the(1) o-ven(2) ev-ery(2) mor-ning(2)      → 9 words, 12 syll.
      //   Come(1) and(1) taste(1) our(1) but-ter(2) crois-sants(2)                           → 6 words, 8 syll.
      //   3 sentences, 20 words, 29 syllables: ASL = 20/3 = 6.6667, ASW = 29/20 = 1.45
      //   Flesch = 206.835 − 1.015 × 6.6667 − 84.6 × 1.45 = 206.835 − 6.7667 − 122.67 = 77.3983 (fairly easy)
      const en = 'Our bakery opens at seven. Fresh bread comes out of the oven every morning. Come and taste our butter croissants!';
      const enResult = analyzeReadability(en, 'en');
      expect(enResult).to.include({ sentences: 3, words: 20, syllables: 29, formula: 'flesch', level: 'fairlyEasy' });
      expect(enResult.score).to.be.closeTo(77.3983, 1e-4);
    });

    it('labels the levels from very easy to very difficult', () => {
      expect(analyzeReadability(passages.fr1.text, 'fr').level).to.equal('veryEasy');
      expect(analyzeReadability(passages.fr3.text, 'fr').level).to.equal('veryDifficult');
      expect(analyzeReadability(passages.en3.text, 'en').label).to.equal('studio.seo.readability.levels.veryDifficult');
      expect([95, 85, 75, 65, 55, 35, 10].map(readingLevel)).to.deep.equal([
        'veryEasy',
        'easy',
        'fairlyEasy',
        'standard',
        'fairlyDifficult',
        'difficult',
        'veryDifficult',
      ]);
    });
  });

  describe('syllables', () => {
    it('handles French silent endings, qu/gu, tréma and elisions', () => {
      const fr = (w: string) => countSyllables(w, 'fr');
      expect(fr('école')).to.equal(2);
      expect(fr('pommes')).to.equal(1);
      expect(fr('parlent')).to.equal(1); // verb -ent is silent
      expect(fr('souvent')).to.equal(2); // … but not here
      expect(fr('moment')).to.equal(2);
      expect(fr('question')).to.equal(2);
      expect(fr('guerre')).to.equal(1);
      expect(fr('journée')).to.equal(2);
      expect(fr('maïs')).to.equal(2);
      expect(fr('Noël')).to.equal(2);
      expect(fr("aujourd'hui")).to.equal(3);
      expect(fr('peut-être')).to.equal(2);
    });

    it('handles English silent e, -es, -ed and hiatus', () => {
      const en = (w: string) => countSyllables(w, 'en');
      expect(en('make')).to.equal(1);
      expect(en('table')).to.equal(2);
      expect(en('changes')).to.equal(2);
      expect(en('jumped')).to.equal(1);
      expect(en('wanted')).to.equal(2);
      expect(en('media')).to.equal(3);
      expect(en('social')).to.equal(2);
      expect(en('doing')).to.equal(2);
    });
  });

  describe('splitting', () => {
    it('does not end sentences at abbreviations, initials, decimals or URLs', () => {
      expect(splitSentences('M. Martin et Mme Durand ouvrent à 7 h 30. Le pain coûte 1.20 € ici.')).to.have.length(2);
      expect(splitSentences('J. Dupont, cf. la page 3, a gagné. Bravo !')).to.have.length(2);
      expect(splitSentences('See www.example.com/a.b for details. Thanks.')).to.have.length(2);
      expect(splitSentences('Voir la réf. 12 du catalogue. Fin.')).to.have.length(2);
      expect(splitSentences('We sell bread, cakes, etc. Come early.')).to.have.length(2);
      expect(splitSentences('Premier paragraphe\n\nDeuxième paragraphe')).to.have.length(2);
    });

    it('counts words without URLs or e-mails, keeping elisions, hyphens and decimals whole', () => {
      expect(splitWords("L'école d'Aujourd'hui — peut-être 3,5 kg ; écrivez à contact@exemple.fr ou https://exemple.fr")).to.deep.equal([
        "L'école",
        "d'Aujourd'hui",
        'peut-être',
        '3,5',
        'kg',
        'écrivez',
        'à',
        'ou',
      ]);
    });
  });
});
