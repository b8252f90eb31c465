import fs from 'node:fs';
import { expect } from 'chai';
import { parseHTML } from 'linkedom';
import { HtmlTextExtractor } from '../../../../src/adapters/extraction/html-text-extractor.js';
import { CORPUS, corpusDirs, corpusFile, squash } from './support.js';

interface ExpectedMetadata {
  title: string;
  lang: string | null;
  readerable: boolean;
}

/** First and last sentences of Readability's expected article, whitespace normalised. */
function expectedSentences(dir: string): { first: string; last: string } {
  const { document } = parseHTML(corpusFile(`html/${dir}/expected.html`).toString('utf8'));
  const text = squash(document.documentElement?.textContent ?? '');
  const sentences = text.split(/(?<=[.!?…])\s+/).filter(Boolean);
  return { first: sentences[0], last: sentences[sentences.length - 1] };
}

describe('HtmlTextExtractor (Readability on linkedom, real corpus)', () => {
  const extractor = new HtmlTextExtractor();
  const cases = corpusDirs('html').filter((dir) => fs.existsSync(new URL(`html/${dir}/expected-metadata.json`, CORPUS)));

  it('finds the Readability cases of the corpus', () => {
    expect(cases.length).to.be.at.least(9);
  });

  for (const dir of cases) {
    it(`${dir}: title, language, article start and end`, () => {
      const meta = JSON.parse(corpusFile(`html/${dir}/expected-metadata.json`).toString('utf8')) as ExpectedMetadata;
      // Bytes without a transport charset: the <meta charset> decides.
      const result = extractor.extract(corpusFile(`html/${dir}/source.html`), `https://example.org/${dir}/`);
      expect(result.title).to.equal(meta.title);
      if (meta.lang) expect(result.lang).to.equal(meta.lang);
      // A page Readability does not deem an article (mozilla-2, a landing page) gets its whole body text instead.
      expect(result.article).to.equal(meta.readerable);

      const { first, last } = expectedSentences(dir);
      const text = squash(result.text);
      expect(first.length).to.be.greaterThan(10);
      expect(text).to.include(first);
      expect(text).to.include(last);
      expect(result.text).not.to.match(/<script|<style|function\s*\(|[ \t]{2,}|\n{3,}/);
      expect(result.truncated).to.equal(false);
      for (const link of result.links) expect(link.href).to.match(/^(?:https?|mailto|tel):/);
    });
  }

  it('framablog (graby): French text, fr-FR, its feeds and absolute links', () => {
    const result = extractor.extract(corpusFile('html/graby-framablog-fr/source.html'), 'https://framablog.org/2017/12/02/avancer-ensemble-vers-la-contribution/');
    expect(result.lang).to.equal('fr-FR');
    expect(result.article).to.equal(true);
    expect(result.title).to.include('Avancer ensemble vers la contribution');
    expect(result.text).to.include('Fabulous Contribution Camp');
    const words = result.text.toLowerCase().match(/\p{L}+/gu) ?? [];
    const french = words.filter((word) => ['le', 'la', 'les', 'des', 'est', 'une', 'pour', 'qui', 'dans', 'nous'].includes(word));
    expect(french.length).to.be.greaterThan(100);
    expect(result.text).to.match(/[éèàçêù]/);
    expect(result.feedLinks).to.include('https://framablog.org/feed/');
    expect(result.links.some((link) => link.href === 'https://framablog.org/' && link.text === 'Accueil')).to.equal(true);
  });

  it('lemonde: byline and description from the page metadata', () => {
    const result = extractor.extract(corpusFile('html/readability-lemonde-1/source.html').toString('utf8'), 'https://www.lemonde.fr/pixels/article.html');
    expect(result.byline).to.equal('Martin Untersinger (avec Damien Leloup et Morgane Tual)');
    expect(result.description).to.include('Largement approuvé par les députés');
    expect(result.feedLinks).to.deep.equal(['http://www.lemonde.fr/pixels/rss_full.xml']);
  });
});
