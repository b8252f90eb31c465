import { expect } from 'chai';
import fc from 'fast-check';
import {
  analyzeSeo,
  channelProfile,
  slugify,
  WEIGHTS,
  type BreakdownItem,
  type CheckKey,
  type SeoAnalysis,
  type SeoInput,
} from '../../../../../src/modules/studio/seo/analyzer.js';
import { business, fullArticle, goodArticle, ownPages, thinArticle } from './fixtures.js';

function item(result: SeoAnalysis, key: CheckKey): BreakdownItem {
  const found = result.breakdown.find((b) => b.key === key);
  if (!found) throw new Error(`no breakdown item ${key}`);
  return found;
}


describe('SEO/GEO analyzer', () => {
  it('weights sum to 100: SEO 55, GEO 45', () => {
    const geo = ['answerFirst', 'statistics', 'citations', 'quotations', 'entities', 'faq', 'structuredData'];
    const entries = Object.entries(WEIGHTS);
    expect(entries.reduce((n, [, w]) => n + w, 0)).to.equal(100);
    expect(entries.filter(([k]) => geo.includes(k)).reduce((n, [, w]) => n + w, 0)).to.equal(45);
    const good = analyzeSeo(goodArticle);
    expect(good.breakdown.reduce((n, b) => n + b.max, 0)).to.equal(100);
  });

  describe('a good French article vs a thin one', () => {
    const good = analyzeSeo(goodArticle);
    const thin = analyzeSeo(thinArticle);

    it('orders the scores', () => {
      expect(good.score).to.be.greaterThan(85);
      expect(thin.score).to.be.lessThan(30);
      expect(good.score - thin.score).to.be.greaterThan(50);
    });

    it('passes the good article on keyword placement, structure and GEO signals', () => {
      for (const key of [
        'titleLength',
        'keywordInTitle',
        'metaDescription',
        'slug',
        'keywordInFirstParagraph',
        'keywordInHeadings',
        'keywordDensity',
        'headingStructure',
        'readability',
        'internalLinks',
        'answerFirst',
        'statistics',
        'citations',
        'quotations',
        'entities',
        'faq',
        'structuredData',
      ] as const) {
        expect(item(good, key).passed, key).to.equal(true);
      }
      // 307 words: more than thin, less than a full article.
      expect(item(good, 'contentLength')).to.include({ points: 2, max: 4, passed: false });
      expect(item(good, 'contentLength').fix).to.deep.equal({ code: 'studio.seo.fixes.contentTooShort', params: { words: good.wordCount, min: 600 } });
      expect(good.keyword).to.include({ target: 'pain au levain', inTitle: true, inFirstParagraph: true, inHeadings: true });
      expect(good.geo.statistics.sourced).to.be.at.least(2);
      expect(good.geo.citations.items.map((c) => c.kind)).to.include.members(['attribution', 'link']);
      expect(good.geo.quotations.attributed).to.equal(1);
      expect(good.geo.entities).to.include({ businessName: true, city: true });
      expect(good.geo.entities.named).to.include.members(['INRAE', 'Paul Martin', 'Moulin de la Vallée']);
      expect(good.internalLinks.present.map((l) => l.url)).to.deep.equal(['https://boulangerie-martin.fr/pain-au-levain']);
      expect(good.geo.stuffingPenalty).to.equal(0);
    });

    it('gives the thin article concrete fixes', () => {
      expect(item(thin, 'titleLength').fix).to.deep.include({ code: 'studio.seo.fixes.titleTooShort' });
      expect(item(thin, 'titleLength').fix?.params).to.include({ length: 10, min: 30, max: 60 });
      expect(item(thin, 'keywordInTitle').fix?.code).to.equal('studio.seo.fixes.keywordNotInTitle');
      expect(item(thin, 'metaDescription').fix?.code).to.equal('studio.seo.fixes.metaMissing');
      expect(item(thin, 'slug').fix).to.deep.equal({ code: 'studio.seo.fixes.slugMissing', params: { suggested: 'pain-levain-nouveautes' } });
      expect(item(thin, 'headingStructure').fix).to.deep.equal({
        code: 'studio.seo.fixes.headingSkippedLevel',
        params: { from: 1, to: 4, heading: 'Les produits' },
      });
      expect(item(thin, 'answerFirst')).to.include({ points: 4, passed: false });
      expect(item(thin, 'answerFirst').fix?.code).to.equal('studio.seo.fixes.answerFirstFiller');
      expect(thin.geo.answerFirst.issues).to.deep.equal(['filler', 'offTopic']);
      for (const key of ['statistics', 'citations', 'quotations', 'faq', 'internalLinks'] as const) {
        expect(item(thin, key).points, key).to.equal(0);
      }
      expect(item(thin, 'entities').fix).to.deep.equal({ code: 'studio.seo.fixes.entitiesBusinessMissing', params: { name: 'Boulangerie Martin' } });
      // Suggestions carry their lengths and ranges.
      expect(thin.suggestions.title.value).to.equal('Pain au levain : Nouveautés à Lyon | Boulangerie Martin');
      expect(thin.suggestions.title).to.include({ length: 55, min: 30, max: 60, withinRange: true });
      expect(thin.suggestions.metaDescription.length).to.be.at.most(160);
      expect(thin.suggestions.slug).to.include({ value: 'pain-levain-nouveautes', max: 60, withinRange: true });
    });

    it('reports the heading outline and a single H1 (the title)', () => {
      expect(good.headings.outline.map((h) => h.level)).to.deep.equal([2, 2, 2, 2, 2]);
      expect(good.headings.issues).to.deep.equal([]);
      const twoH1 = analyzeSeo({ ...goodArticle, body: `# Autre titre\n\n${goodArticle.body}` });
      expect(twoH1.headings.issues[0]).to.deep.equal({ code: 'studio.seo.fixes.headingMultipleH1', params: { count: 2 } });
      expect(item(twoH1, 'headingStructure').points).to.equal(4);
    });

    it('suggests internal links to own pages sharing terms with the content', () => {
      const unlinked = analyzeSeo({ ...goodArticle, body: goodArticle.body.replace(/\[notre pain au levain naturel\]\([^)]*\)/, 'notre pain') });
      expect(unlinked.internalLinks.present).to.deep.equal([]);
      expect(unlinked.internalLinks.suggestions[0]).to.deep.include({ url: 'https://boulangerie-martin.fr/pain-au-levain' });
      expect(unlinked.internalLinks.suggestions[0].sharedTerms).to.include.members(['levain', 'naturel', 'pain']);
      expect(item(unlinked, 'internalLinks').fix?.code).to.equal('studio.seo.fixes.internalLinkSuggested');
      expect(unlinked.internalLinks.suggestions.map((s) => s.url)).not.to.include('https://boulangerie-martin.fr/contact');
    });
  });

  describe('a full-marks article', () => {
    const full = analyzeSeo(fullArticle);

    it('scores 100: every check at its maximum, no fix, no penalty, nothing skipped', () => {
      expect(full.wordCount).to.be.at.least(600);
      expect(full.score).to.equal(100);
      expect(full.breakdown.map((b) => b.key)).to.deep.equal(Object.keys(WEIGHTS));
      for (const b of full.breakdown) {
        expect(b, b.key).to.include({ passed: true, points: WEIGHTS[b.key as keyof typeof WEIGHTS] });
        expect(b.fix, b.key).to.equal(undefined);
      }
      expect(full.skipped).to.deep.equal([]);
      expect(full.headings.issues).to.deep.equal([]);
      expect(full.geo.stuffingPenalty).to.equal(0);
      expect(full.readability).to.include({ formula: 'kandel-moles' });
      expect(full.readability.score).to.be.at.least(60);
      expect(full.keyword.density).to.be.within(0.5, 3);
    });

    it('generates the blog’s Article, FAQPage and LocalBusiness JSON-LD from what it knows', () => {
      expect(full.jsonLd.map((j) => j['@type'])).to.deep.equal(['Article', 'FAQPage', 'LocalBusiness']);
      const [article, faq, local] = full.jsonLd as Record<string, any>[];
      expect(article).to.include({ headline: fullArticle.title, description: fullArticle.metaDescription, inLanguage: 'fr', wordCount: full.wordCount });
      expect(article.keywords).to.equal('pain au levain, levain naturel, farine bio');
      expect(article.publisher).to.deep.equal({ '@type': 'Organization', name: 'Boulangerie Martin', url: 'https://boulangerie-martin.fr' });
      expect(faq.mainEntity.map((q: { name: string }) => q.name)).to.deep.equal([
        'Le levain convient-il aux intolérants au gluten ?',
        'Peut-on congeler une miche entière ?',
      ]);
      expect(local).to.deep.include({ name: 'Boulangerie Martin', telephone: '+33 4 78 00 00 00' });
      expect(local.address).to.deep.equal({ '@type': 'PostalAddress', streetAddress: '12 rue de la République', addressLocality: 'Lyon' });
    });
  });

  it('judges entities on the name and other proper names when the business has no known city', () => {
    const noCity = analyzeSeo({ ...goodArticle, business: { ...business, city: '' } });
    expect(item(noCity, 'entities')).to.include({ points: 6, max: 6, passed: true });
    const unnamed = analyzeSeo({ ...goodArticle, business: { ...business, name: 'Maison Dupuis', city: '' } });
    expect(item(unnamed, 'entities')).to.include({ points: 3 });
    expect(item(unnamed, 'entities').fix).to.deep.equal({ code: 'studio.seo.fixes.entitiesBusinessMissing', params: { name: 'Maison Dupuis' } });
  });

  describe('keyword stuffing', () => {
    const stuffed: SeoInput = {
      ...goodArticle,
      body: goodArticle.body.replace(
        'Le levain réduit ce gaspillage.',
        'Le pain au levain réduit ce gaspillage. Pain au levain, pain au levain, pain au levain : achetez du pain au levain, le meilleur pain au levain de Lyon, le pain au levain !',
      ),
    };

    it('takes points off above 3 % and says that repetition does not help', () => {
      const before = analyzeSeo(goodArticle);
      const result = analyzeSeo(stuffed);
      expect(result.keyword.density).to.be.greaterThan(3);
      expect(result.geo.stuffingPenalty).to.be.lessThan(0);
      expect(result.geo.stuffedTerms[0]).to.include({ term: 'pain au levain' });
      const penalty = item(result, 'keywordStuffing');
      expect(penalty).to.include({ max: 0, passed: false, group: 'geo', points: result.geo.stuffingPenalty });
      expect(penalty.fix?.code).to.equal('studio.seo.fixes.keywordStuffing');
      expect(item(result, 'keywordDensity')).to.include({ points: 0 });
      expect(item(result, 'keywordDensity').fix?.code).to.equal('studio.seo.fixes.keywordTooFrequent');
      expect(result.score).to.be.lessThan(before.score - 10);
    });

    it('does not call one mention in a short social post stuffing', () => {
      const post = analyzeSeo({
        ...goodArticle,
        channel: 'instagram',
        body: 'Notre pain au levain sort du four à 7 h ! Venez le goûter à la Boulangerie Martin, à Lyon.',
      });
      expect(post.keyword.density).to.be.greaterThan(3);
      expect(post.geo.stuffingPenalty).to.equal(0);
      expect(item(post, 'keywordDensity').passed).to.equal(true);
    });
  });

  describe('channels', () => {
    it('maps channels to profiles', () => {
      expect(['blog', 'newsletter', 'linkedin', 'instagram', 'sms', 'x', 'unknown'].map(channelProfile)).to.deep.equal([
        'article',
        'long',
        'long',
        'social',
        'social',
        'social',
        'social',
      ]);
    });

    it('scores a social post on what makes sense and lists the skipped checks', () => {
      const post = analyzeSeo({
        locale: 'fr',
        channel: 'facebook',
        title: '',
        body: 'Notre pain au levain sort du four à 7 h ! Venez le goûter à la Boulangerie Martin, à Lyon, avec Paul et Julie.',
        targetKeyword: 'pain au levain',
        brandKeywords: [],
        ownPages,
        business,
      });
      expect(post.breakdown.map((b) => b.key)).to.deep.equal(['keywordInFirstParagraph', 'keywordDensity', 'readability', 'entities']);
      expect(post.skipped.map((s) => s.key)).to.include.members(['titleLength', 'metaDescription', 'slug', 'headingStructure', 'faq', 'structuredData', 'citations']);
      expect(post.skipped[0]).to.deep.equal({ key: 'titleLength', reason: 'studio.seo.skipped.notForChannel', params: { channel: 'facebook' } });
      expect(post.score).to.equal(100);
      expect(post.jsonLd).to.deep.equal([]);
    });

    it('keeps GEO content checks for a newsletter but not the page-level ones', () => {
      const letter = analyzeSeo({ ...goodArticle, channel: 'newsletter' });
      const keys = letter.breakdown.map((b) => b.key);
      expect(keys).to.include.members(['answerFirst', 'statistics', 'citations', 'quotations', 'internalLinks']);
      expect(keys).not.to.include.members(['metaDescription', 'slug', 'faq']);
      expect(letter.jsonLd).to.deep.equal([]);
    });
  });

  describe('slugs', () => {
    it('folds accents, drops stop words and punctuation', () => {
      expect(slugify('Les 5 meilleurs croissants de Lyon !', 'fr')).to.equal('5-meilleurs-croissants-lyon');
      expect(slugify("L'été à la Croix-Rousse : où manger ?", 'fr')).to.equal('ete-croix-rousse-manger');
      expect(slugify('Œufs, crème brûlée et pâtisseries', 'fr')).to.equal('oeufs-creme-brulee-patisseries');
      expect(slugify("The baker's 10 best tips for your sourdough", 'en')).to.equal('bakers-10-best-tips-sourdough');
    });

    it('stays within 60 characters, cut at a hyphen', () => {
      const slug = slugify('Boulangerie artisanale traditionnelle pâtisserie viennoiserie chocolaterie glacier traiteur', 'fr');
      expect(slug.length).to.be.at.most(60);
      expect(slug).to.match(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(slug).to.equal('boulangerie-artisanale-traditionnelle-patisserie');
    });

    it('cuts a long title at a word and leaves no dangling little word', () => {
      const result = analyzeSeo({ ...thinArticle, title: 'Le projet de loi sur le renseignement massivement approuvé à l’Assemblée nationale', targetKeyword: undefined });
      expect(result.suggestions.title).to.include({ value: 'Le projet de loi sur le renseignement massivement approuvé', withinRange: true });
    });

    it('suggests the slug from the title', () => {
      const result = analyzeSeo({ ...thinArticle, title: 'Les 5 meilleurs croissants de Lyon !', targetKeyword: undefined });
      expect(result.suggestions.slug.value).to.equal('5-meilleurs-croissants-lyon');
    });
  });

  it('suggests a keyword when none is set', () => {
    const result = analyzeSeo({ ...goodArticle, targetKeyword: undefined });
    expect(result.keyword.target).to.equal(null);
    expect(result.keyword.suggested).to.equal('pain levain');
    expect(item(result, 'keywordInTitle').fix).to.deep.equal({ code: 'studio.seo.fixes.keywordMissingSuggested', params: { suggested: 'pain levain' } });
  });

  it('is deterministic: same input, same output', () => {
    const a = analyzeSeo(goodArticle);
    const b = analyzeSeo(structuredClone(goodArticle));
    expect(JSON.stringify(b)).to.equal(JSON.stringify(a));
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 60 }), fc.constantFrom('blog', 'linkedin', 'sms'), (body, title, channel) => {
        const input: SeoInput = { locale: 'fr', channel, title, body, targetKeyword: 'pain', brandKeywords: ['levain'], ownPages, business };
        const first = analyzeSeo(input);
        expect(first.score).to.be.within(0, 100);
        expect(JSON.stringify(analyzeSeo(input))).to.equal(JSON.stringify(first));
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('stays fast on a 100 KB body and on pathological input', () => {
    const paragraph = "Selon l'INSEE, 42 % des Lyonnais achètent leur pain chaque jour. « Un bon pain demande du temps », explique Paul. ";
    const big = `## Section\n\n${paragraph.repeat(8)}\n\n`.repeat(110);
    expect(big.length).to.be.greaterThan(100_000);
    const hostile = `${'a'.repeat(40_000)} ${'1'.repeat(40_000)} ${'['.repeat(10_000)} ${'«'.repeat(10_000)}`;
    for (const body of [big, hostile]) {
      const started = performance.now();
      analyzeSeo({ locale: 'fr', channel: 'blog', title: 'Pain', body, targetKeyword: 'pain', brandKeywords: [], ownPages: [] });
      expect(performance.now() - started).to.be.lessThan(2000);
    }
  });
});
