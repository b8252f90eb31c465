import { expect } from 'chai';
import { parseMarkdown } from '../../../../../src/modules/studio/seo/markdown.js';
import {
  attributionIn,
  blockSentences,
  detectAnswerFirst,
  detectCitations,
  detectQuotations,
  detectStatistics,
  statisticsIn,
} from '../../../../../src/modules/studio/seo/geo.js';

const own = new Set(['boulangerie-martin.fr']);

function sentencesOf(body: string) {
  const doc = parseMarkdown(body);
  return doc.blocks.flatMap((b, i) => (b.kind === 'heading' ? [] : blockSentences(b, i)));
}

describe('SEO markdown parser', () => {
  it('reads headings, paragraphs, lists, quotes and links; skips code and keeps #hashtags as text', () => {
    const doc = parseMarkdown(
      '# Titre\n\nUn **paragraphe** avec [un lien](https://a.fr/x) et https://b.fr/y.\nsuite.\n\n- item *un*\n- item deux\n\n> cité\n\n```\n# pas un titre\n```\n\n#levain #lyon',
    );
    expect(doc.blocks.map((b) => [b.kind, b.level, b.text])).to.deep.equal([
      ['heading', 1, 'Titre'],
      ['paragraph', 0, 'Un paragraphe avec un lien et . suite.'],
      ['listItem', 0, 'item un'],
      ['listItem', 0, 'item deux'],
      ['quote', 0, 'cité'],
      ['paragraph', 0, '#levain #lyon'],
    ]);
    expect(doc.links.map((l) => l.url)).to.deep.equal(['https://a.fr/x', 'https://b.fr/y']);
  });
});

describe('SEO GEO detectors', () => {
  it('finds attributions but not "selon moi" or "selon la saison"', () => {
    expect(attributionIn("Selon l'INSEE, le marché progresse.")).to.equal("Selon l'INSEE");
    expect(attributionIn("D'après une étude de l'Ifop, 3 Français sur 4 aiment le pain.")).to.equal("D'après une étude de l'Ifop");
    expect(attributionIn('According to a 2023 survey by YouGov, 40% agree.')).to.equal('According to a 2023 survey by YouGov');
    expect(attributionIn('Le marché progresse (Xerfi, 2022).')).to.equal('(Xerfi, 2022)');
    expect(attributionIn('Selon moi, c’est le meilleur.')).to.equal(null);
    expect(attributionIn('Selon la saison, le prix varie.')).to.equal(null);
    expect(attributionIn('According to our customers, it is great.')).to.equal(null);
  });

  it('finds statistics with units, percentages, money, ratios and dates', () => {
    expect(statisticsIn('En 2023, 3 Français sur 4 ont payé 1,20 € ; le 12 mars 2024, 1 250 clients, soit +15 % en 10 ans. Les 5 meilleurs.')).to.deep.equal([
      '2023',
      '3 Français sur 4',
      '1,20 €',
      '12 mars 2024',
      '1 250 clients',
      '15 %',
      '10 ans',
    ]);
    expect(statisticsIn('Étape 2 : les 5 meilleurs croissants')).to.deep.equal([]);
    // Results and shares as newspapers write them (Le Monde, corpus).
    expect(statisticsIn('adopté à une large majorité (438 contre 86 et 42 abstentions)')).to.deep.equal(['438 contre 86']);
    expect(statisticsIn('Ont voté contre : 10 députés socialistes (sur 288), 35 UMP (sur 198).')).to.deep.equal(['10 députés socialistes (sur 288', '35 UMP (sur 198']);
    expect(statisticsIn('9 clients out of 10 come back; 2 against 1.')).to.deep.equal(['9 clients out of 10', '2 against 1']);
  });

  it('marks a statistic as sourced when its sentence or a neighbour cites', () => {
    const stats = detectStatistics(
      sentencesOf(
        "62 % des Français jettent du pain. C'est ce que montre [le baromètre](https://obs.fr/2023).\n\nNous servons 300 clients par jour.\n\nNous vendons 40 kg de pain, voir [nos chiffres](https://boulangerie-martin.fr/chiffres).",
      ),
      own,
    );
    expect(stats.map((s) => [s.values[0], s.sourced])).to.deep.equal([
      ['62 %', true], // the next sentence links to the source
      ['300 clients', false],
      ['40 kg', false], // a link to one's own site is not a source
    ]);
  });

  it('counts distinct external links and attributions as citations', () => {
    const citations = detectCitations(
      sentencesOf('Voir [ADEME](https://www.ademe.fr/a) et [encore](https://www.ademe.fr/a/). Selon Météo-France, il pleut. [Nous](/contact).'),
      own,
    );
    expect(citations.map((c) => c.kind)).to.deep.equal(['link', 'attribution']);
  });

  it('finds quotations of four words or more and their attribution', () => {
    const quotes = detectQuotations(
      parseMarkdown(
        '« Le levain, c’est toute une vie », explique Paul.\n\nUn pain « fait maison » vraiment.\n\n“We bake every single morning,” she says.\n\n"This is simply the best bread around."\n\n> Le pain est un art qui demande du temps.\n> — Paul Martin',
      ).blocks,
    );
    expect(quotes.map((q) => [q.text, q.attributed])).to.deep.equal([
      ['Le levain, c’est toute une vie', true],
      ['We bake every single morning,', true],
      ['This is simply the best bread around.', false],
      ['Le pain est un art qui demande du temps.', true],
    ]);
  });

  it('checks the opening answers first', () => {
    const ok = detectAnswerFirst(parseMarkdown('Le levain se garde une semaine car sa fermentation lente acidifie la pâte du pain.\n\n## Détails'), 'fr', ['levain']);
    expect(ok).to.include({ passed: true, summaryBlock: false });
    const summary = detectAnswerFirst(parseMarkdown('## En bref\n\nUne semaine.\n\n## Détails'), 'fr', ['levain']);
    expect(summary).to.include({ passed: true, summaryBlock: true });
    const none = detectAnswerFirst(parseMarkdown('## Détails\n\nTexte.'), 'fr', []);
    expect(none.issues).to.deep.equal(['missing']);
    const question = detectAnswerFirst(parseMarkdown('Vous vous demandez combien de temps se garde le levain ? Voici la réponse complète et détaillée pour vous.'), 'fr', ['levain']);
    expect(question.issues).to.include.members(['filler', 'question']);
    const english = detectAnswerFirst(parseMarkdown('In this article we will look at sourdough and many other things about bread today.'), 'en', ['sourdough']);
    expect(english.issues).to.deep.equal(['filler']);
  });
});
