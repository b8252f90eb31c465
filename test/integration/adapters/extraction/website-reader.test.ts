import zlib from 'node:zlib';
import { expect } from 'chai';
import { WebsiteReader } from '../../../../src/adapters/extraction/website-reader.js';
import { FetchRefusedError } from '../../../../src/shared/url-fetcher.js';
import { InMemoryUrlFetcher, corpusFile, type Route } from './support.js';

const SITE = 'https://www.boulangerie-exemple.fr';
const html = (name: string): Route => ({ contentType: 'text/html', charset: 'utf-8', body: corpusFile(`html/${name}/source.html`) });
const page = (body: string, extra: Partial<Extract<Route, { body: unknown }>> = {}): Route => ({ contentType: 'text/html', body, ...extra });

const HOME = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Boulangerie Exemple — pain au levain à Lyon</title>
<meta name="description" content="Boulangerie artisanale à Lyon depuis 1998.">
<link rel="alternate" type="application/rss+xml" href="/feed/">
<script>var tracking = "ne pas lire";</script><style>body { color: red }</style></head>
<body><nav><a href="/">Accueil</a> <a href="/a-propos/">Qui sommes-nous</a> <a href="/services">Nos services</a>
<a href="/tarifs#pains">Tarifs</a> <a href="/contact">Contact</a> <a href="/blog/2024/03/une-longue-histoire-de-levain">Blog</a>
<a href="/a-propos">doublon</a> <a href="/media/plaquette.pdf">Plaquette</a> <a href="https://www.facebook.com/boulangerie">Facebook</a>
<a href="mailto:bonjour@boulangerie-exemple.fr">Écrire</a> <a href="/panier">Panier</a></nav>
<div id="cookie-banner">Nous utilisons des cookies. Accepter ?</div>
<main><h1>Le pain au levain, chaque matin</h1><p>Notre boulangerie pétrit à la main des pains au levain naturel, cuits au feu de bois.</p></main>
<footer><p>12 rue de la Paix, 69001 Lyon — 04 72 00 00 00</p></footer></body></html>`;

const SITEMAP = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>${SITE}/</loc></url>
  <url><loc>${SITE}/blog/2024/03/une-longue-histoire-de-levain</loc></url>
  <url><loc>${SITE}/blog/2024/02/galette-des-rois</loc></url>
  <url><loc>${SITE}/tarifs</loc></url>
  <url><loc><![CDATA[${SITE}/services?utm_source=sitemap&amp;x=1]]></loc></url>
  <url><loc>${SITE}/a-propos/</loc></url>
  <url><loc>${SITE}/contact</loc></url>
  <url><loc>${SITE}/images/vitrine.jpg</loc></url>
  <url><loc>https://autre-site.example/a-propos</loc></url>
</urlset>`;

describe('WebsiteReader (in-memory UrlFetcher serving corpus pages)', () => {
  it('reads the home page and the best pages of the sitemap; one failing page is reported, not fatal', async () => {
    const fetcher = new InMemoryUrlFetcher({
      [`${SITE}/`]: page(HOME),
      [`${SITE}/sitemap.xml`]: { contentType: 'application/xml', body: SITEMAP },
      [`${SITE}/a-propos/`]: html('graby-framablog-fr'),
      [`${SITE}/services?x=1`]: html('readability-mozilla-1'),
      [`${SITE}/tarifs`]: html('readability-lemonde-1'),
      [`${SITE}/contact`]: { refuse: 'timeout' },
    });
    const reading = await new WebsiteReader(fetcher).read(`${SITE}/`, { maxPages: 5 });

    // Known page names first (about, then offers and prices, then contact), shorter paths first; tracking parameters dropped.
    expect(reading.pages.map((p) => p.url)).to.deep.equal([`${SITE}/`, `${SITE}/a-propos/`, `${SITE}/tarifs`, `${SITE}/services?x=1`]);
    expect(reading.errors).to.deep.equal([{ url: `${SITE}/contact`, reason: 'timeout' }]);

    const [home, about, prices, services] = reading.pages;
    expect(home.title).to.equal('Boulangerie Exemple — pain au levain à Lyon');
    expect(home.lang).to.equal('fr');
    expect(home.description).to.equal('Boulangerie artisanale à Lyon depuis 1998.');
    expect(home.text).to.include('pains au levain naturel');
    expect(home.text).to.include('69001 Lyon'); // the footer is kept: contact details matter for a brand
    expect(home.text).not.to.match(/tracking|color: red|cookies|Qui sommes-nous/); // scripts, styles, banner, nav
    expect(about.text).to.include('Fabulous Contribution Camp');
    expect(services.title).to.match(/^Firefox — Customize/);
    expect(prices.title).to.equal("Le projet de loi sur le renseignement massivement approuvé à l'Assemblée");
    expect(reading.feedLinks).to.deep.equal([`${SITE}/feed/`]);

    // Everything went through the fetcher, HTML pages asking for HTML only; the blog posts were not chosen.
    const requested = fetcher.requests.map((r) => r.url);
    expect(requested).to.include(`${SITE}/sitemap.xml`);
    expect(requested.filter((url) => url.includes('/blog/'))).to.deep.equal([]);
    expect(fetcher.requests.find((r) => r.url === `${SITE}/tarifs`)?.options?.accept).to.include('text/html');
  });

  it('falls back to the home page links when there is no sitemap (same site, no fragments, duplicates, assets or carts)', async () => {
    const fetcher = new InMemoryUrlFetcher({
      [`${SITE}/`]: page(HOME),
      [`${SITE}/a-propos/`]: page('<title>À propos</title><p>Fondée en 1998 par deux amis.</p>'),
      [`${SITE}/services`]: page('<title>Services</title><p>Pains, viennoiseries, traiteur.</p>'),
      [`${SITE}/tarifs`]: page('<title>Tarifs</title><p>Baguette : 1,20 €</p>'),
      [`${SITE}/contact`]: page('<title>Contact</title><p>04 72 00 00 00</p>'),
      [`${SITE}/blog/2024/03/une-longue-histoire-de-levain`]: page('<title>Blog</title><p>Il était une fois.</p>'),
    });
    const reading = await new WebsiteReader(fetcher).read(SITE, { maxPages: 10 });
    expect(reading.pages.map((p) => new URL(p.url).pathname)).to.deep.equal([
      '/',
      '/a-propos/',
      '/tarifs',
      '/services',
      '/contact',
      '/blog/2024/03/une-longue-histoire-de-levain',
    ]);
    expect(reading.pages[2].text).to.equal('Baguette : 1,20 €');
    expect(reading.errors).to.deep.equal([]);
    const requested = fetcher.requests.map((r) => r.url);
    expect(requested.filter((url) => /pdf|panier|facebook|mailto|#/.test(url))).to.deep.equal([]);
  });

  it('respects maxPages and reads only the home page when it is 1', async () => {
    const fetcher = new InMemoryUrlFetcher({ [`${SITE}/`]: page(HOME) });
    const reading = await new WebsiteReader(fetcher).read(`${SITE}/`, { maxPages: 1 });
    expect(reading.pages).to.have.length(1);
    expect(fetcher.requests).to.have.length(1);
  });

  it('throws the home page refusal when the home page itself fails', async () => {
    const fetcher = new InMemoryUrlFetcher({ 'https://interne.example/': { refuse: 'forbiddenAddress' } });
    try {
      await new WebsiteReader(fetcher).read('interne.example');
      expect.fail('expected a refusal');
    } catch (error) {
      expect(error).to.be.instanceOf(FetchRefusedError);
      expect((error as FetchRefusedError).reason).to.equal('forbiddenAddress');
    }
    expect(fetcher.requests[0].url).to.equal('https://interne.example/'); // a bare domain means https
  });

  it('refuses a home page that is not HTML with the fetcher reason', async () => {
    const fetcher = new InMemoryUrlFetcher({ [`${SITE}/`]: { contentType: 'application/pdf', body: corpusFile('pdfs/minimal-hello-world.pdf') } });
    try {
      await new WebsiteReader(fetcher).read(`${SITE}/`);
      expect.fail('expected a refusal');
    } catch (error) {
      expect((error as FetchRefusedError).reason).to.equal('contentType');
    }
  });

  it('follows the home redirect, reads the sitemap of the final site, a gzipped sitemap index, drops pages redirecting home', async () => {
    const index = `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${SITE}/sitemap-pages.xml.gz</loc></sitemap><sitemap><loc>https://tiers.example/sitemap.xml</loc></sitemap></sitemapindex>`;
    const child = `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>${SITE}/ancienne-page</loc></url><url><loc>${SITE}/produits</loc></url></urlset>`;
    const fetcher = new InMemoryUrlFetcher({
      'http://boulangerie-exemple.fr/': { contentType: 'text/html', body: '', redirectTo: `${SITE}/` },
      [`${SITE}/`]: page(HOME),
      [`${SITE}/sitemap.xml`]: { contentType: 'text/xml', body: index },
      [`${SITE}/sitemap-pages.xml.gz`]: { contentType: 'application/x-gzip', body: zlib.gzipSync(child) },
      [`${SITE}/produits`]: page('<title>Produits</title><p>Pain de campagne, pain complet.</p>'),
      [`${SITE}/ancienne-page`]: { contentType: 'text/html', body: '', redirectTo: `${SITE}/` },
    });
    const reading = await new WebsiteReader(fetcher).read('http://boulangerie-exemple.fr/', { maxPages: 3 });
    expect(reading.pages.map((p) => p.url)).to.deep.equal([`${SITE}/`, `${SITE}/produits`]);
    expect(reading.errors).to.deep.equal([]);
    expect(fetcher.requests.map((r) => r.url)).not.to.include('https://tiers.example/sitemap.xml');
  });

  it('decodes a Latin-1 page from the transport charset or its <meta charset>', async () => {
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    const fetcher = new InMemoryUrlFetcher({
      [`${SITE}/`]: { contentType: 'text/html', charset: 'iso-8859-1', body: latin1('<title>Crème brûlée</title><p>Pâtisserie française, très réputée à Lyon.</p><a href="/tarifs">Tarifs</a>') },
      [`${SITE}/tarifs`]: { contentType: 'text/html', body: latin1('<meta charset="windows-1252"><title>Tarifs</title><p>Éclair : 2,50 \x80</p>') }, // 0x80 is € in windows-1252
    });
    const reading = await new WebsiteReader(fetcher).read(`${SITE}/`);
    expect(reading.pages.map((p) => p.title)).to.deep.equal(['Crème brûlée', 'Tarifs']);
    expect(reading.pages[0].text).to.equal('Pâtisserie française, très réputée à Lyon.\n\nTarifs');
    expect(reading.pages[1].text).to.equal('Éclair : 2,50 €');
  });
});
