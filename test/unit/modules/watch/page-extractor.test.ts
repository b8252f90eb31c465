import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseHTML } from 'linkedom';
import { domToText } from '../../../../src/adapters/extraction/html-text-extractor.js';
import type { SelectorField } from '../../../../src/modules/watch/domain.js';
import { canonicalJson, contentHash, PageExtractor, type PageSelector } from '../../../../src/modules/watch/page-extractor.js';
import { CORPUS_DIR } from '../../../support/corpus.js';

/** Page extraction on the real product pages of `../shared/corpus/prices/pages/` and the articles of `html/`. */

const PAGES = path.join(CORPUS_DIR, 'prices/pages');
const HTML = path.join(CORPUS_DIR, 'html');
const page = (file: string) => fs.readFileSync(path.join(PAGES, file));
const extractor = new PageExtractor();

let ids = 0;
function selector(field: SelectorField, css: string, options: { attribute?: string; multiple?: boolean } = {}): PageSelector {
  return { id: `sel-${++ids}`, field, selector: css, attribute: options.attribute ?? null, multiple: options.multiple ?? false };
}

function selectors(file: string, list: PageSelector[]) {
  return extractor.extract(page(file), { url: `https://shop.example/${file}`, mode: 'selectors', selectors: list });
}

describe('PageExtractor', () => {
  describe('selectors on real product pages (prices/pages)', () => {
    const farah = JSON.parse(fs.readFileSync(path.join(PAGES, 'farah-expected.json'), 'utf8')) as Record<string, { name: string; high_price: string; discounted_price: string | null; item_number: string }>;

    for (const file of ['farah-polo-shirt.html', 'farah-long-sleeve-checked-shirt.html', 'farah-long-sleeve-shirt-price-range.html']) {
      it(`${file}: name, price (the main product's, not the related ones) and item number`, () => {
        const expected = farah[file];
        const price = selector('price', '[itemprop="offers"] [itemprop="lowPrice"]');
        const name = selector('product_name', 'h1[itemprop="name"]');
        const availability = selector('availability', '[itemprop="productID"]');
        const result = selectors(file, [price, name, availability]);
        expect(result.fields.productName).to.equal(expected.name);
        expect(result.fields.availability).to.equal(expected.item_number);
        // the range page shows "£49.00 - £70.00": the low price is the one parsed
        const lowest = expected.discounted_price ?? expected.high_price;
        expect(result.fields.price?.raw).to.match(new RegExp(`^£${lowest.replace('.', '\\.')}`));
        expect(result.fields.price?.amountCents).to.equal(Math.round(Number(lowest) * 100));
        expect(result.fields.price?.currency).to.equal('GBP');
        expect(result.fields.missing).to.equal(undefined);
        expect(result.matched).to.deep.equal([price.id, name.id, availability.id]);
        expect(result.text.split('\n')).to.include(expected.name);
      });
    }

    it('reads a product list (every match, in page order) and an attribute', () => {
      const list = selector('product_list', '.name[itemprop="name"]');
      const url = selector('text', '[itemprop="url"]', { attribute: 'content' });
      const result = selectors('farah-polo-shirt.html', [list, url]);
      expect(result.fields.products).to.have.length.above(2);
      expect(result.fields.products).not.to.include('THE JUDE SHORT SLEEVE POLO SHIRT');
      expect(result.fields.products!.every((p) => p === p.trim() && !/\s{2,}/.test(p))).to.equal(true);
      expect(result.fields.text).to.equal('http://www.farah.co.uk/new/the-jude-short-sleeve-polo-shirt-F4KS70E6GP.html');
    });

    for (const file of ['icone-tom-dixon-copper-shade.html', 'icone-artemide-mesmeri-halo.html']) {
      it(`${file} (ISO-8859-1): name and price as the page shows them`, () => {
        const expected = JSON.parse(fs.readFileSync(path.join(PAGES, file.replace('.html', '.expected.json')), 'utf8')) as { price: string; name: string; designer: string };
        const result = selectors(file, [selector('product_name', 'h1'), selector('price', 'td.desc + td.desc strong')]);
        expect(result.fields.productName).to.equal(expected.name);
        expect(result.fields.price?.raw).to.match(/^£\d+\.\d\d \(inc VAT\)$/);
        expect(result.fields.price?.amountCents).to.equal(Math.round(Number(expected.price) * 100));
        expect(result.fields.price?.currency).to.equal('GBP');
      });
    }

    it('playcom-samsung-tv.html: the annotated price among distractors', () => {
      const result = selectors('playcom-samsung-tv.html', [selector('price', '[data-scrapy-annotate*="&quot;price&quot;"], [data-scrapy-annotate*=\'"price"\']')]);
      expect(result.fields.price?.raw).to.equal('£579.99');
      expect(result.fields.price?.amountCents).to.equal(57999);
    });

    it('lists a selector that matches nothing (or is not valid CSS) as missing, never as an empty value', () => {
      const price = selector('price', '.price-that-was-redesigned-away');
      const name = selector('product_name', 'h1[itemprop="name"]');
      const broken = selector('availability', 'div[[');
      const result = selectors('farah-polo-shirt.html', [price, name, broken]);
      expect(result.fields.missing).to.deep.equal(['price', 'availability']);
      expect(result.fields).not.to.have.property('price');
      expect(result.fields).not.to.have.property('availability');
      expect(result.fields.productName).to.equal('THE JUDE SHORT SLEEVE POLO SHIRT');
      expect(result.matched).to.deep.equal([name.id]);
    });

    it('keeps the raw price when it cannot be parsed', () => {
      const html = Buffer.from('<html><body><span class="price">Prix sur demande</span></body></html>');
      const result = extractor.extract(html, { url: 'https://shop.example/', mode: 'selectors', selectors: [selector('price', '.price')] });
      expect(result.fields.price).to.deep.equal({ raw: 'Prix sur demande', amountCents: null, currency: null });
    });
  });

  describe('content hash', () => {
    it('is the same for the same content, whatever the key order, and changes with any value', () => {
      const a = selectors('farah-polo-shirt.html', [selector('price', '[itemprop="offers"] [itemprop="lowPrice"]'), selector('product_name', 'h1[itemprop="name"]')]);
      const b = selectors('farah-polo-shirt.html', [selector('product_name', 'h1[itemprop="name"]'), selector('price', '[itemprop="offers"] [itemprop="lowPrice"]')]);
      expect(a.contentHash).to.match(/^[0-9a-f]{64}$/);
      expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).to.equal('{"a":[{"x":1,"y":2}],"b":1}');
      expect(contentHash(a.text, a.fields)).to.equal(a.contentHash);
      const changed = page('farah-polo-shirt.html').toString('latin1').replace('&pound;40.00', '&pound;38.00');
      const c = extractor.extract(Buffer.from(changed, 'latin1'), { url: 'https://shop.example/', mode: 'selectors', selectors: [selector('price', '[itemprop="offers"] [itemprop="lowPrice"]')] });
      expect(c.fields.price?.amountCents).to.equal(3800);
      expect(c.contentHash).not.to.equal(contentHash(a.text, { price: a.fields.price }));
      expect(b.fields).to.deep.equal(a.fields);
    });
  });

  describe('full text on real articles (html/)', () => {
    const folders = fs.readdirSync(HTML);

    it('covers the corpus', () => {
      expect(folders).to.have.length(10);
    });

    for (const folder of folders) {
      it(`${folder}: readable text without scripts or navigation, stable hash`, () => {
        const source = fs.readFileSync(path.join(HTML, folder, 'source.html'));
        const result = extractor.extract(source, { url: 'https://news.example/article', mode: 'full_text' });
        expect(result.text.length).to.be.above(1000);
        expect(result.text).not.to.match(/<script|function\s*\(|\{\s*var\s/);
        expect(result.fields).to.deep.equal({});
        expect(extractor.extract(source, { url: 'https://news.example/article', mode: 'full_text' }).contentHash).to.equal(result.contentHash);
        const expectedFile = path.join(HTML, folder, 'expected.html');
        if (fs.existsSync(expectedFile)) {
          // every long line of Readability's own extraction is in the text
          const expected = domToText(parseHTML(fs.readFileSync(expectedFile, 'utf8')).document, 'article');
          const lines = expected.split('\n').filter((l) => l.length > 60);
          expect(lines.length).to.be.above(0);
          expect(lines.filter((l) => !result.text.includes(l))).to.deep.equal([]);
        }
      });
    }

    it('ignores what changes on every load outside the article (scripts, styles, navigation)', () => {
      const base = fs.readFileSync(path.join(HTML, 'readability-lemonde-1', 'source.html'), 'utf8');
      const noisy = base
        .replace('</head>', `<script>window.__ts=${Date.now()}</script><style>.ad{}</style></head>`)
        .replace('<body', `<nav><a href="/x">Menu ${Math.random()}</a></nav><body`);
      const a = extractor.extract(Buffer.from(base), { url: 'https://news.example/a', mode: 'full_text' });
      const b = extractor.extract(Buffer.from(noisy), { url: 'https://news.example/a', mode: 'full_text' });
      expect(b.contentHash).to.equal(a.contentHash);
    });
  });
});
