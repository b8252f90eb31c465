import { expect } from 'chai';
import { candidatePage, normaliseSiteUrl, pageKey, parseSitemap, rankPages } from '../../../../src/adapters/extraction/website-reader.js';
import { FetchRefusedError } from '../../../../src/shared/url-fetcher.js';

const HOME = new URL('https://www.exemple.fr/');

describe('WebsiteReader page choice (pure helpers)', () => {
  it('keeps same-site pages only, without fragments, tracking parameters, assets, carts or the home page', () => {
    const ok = (href: string) => candidatePage(href, HOME)?.href;
    expect(ok('/a-propos#equipe')).to.equal('https://www.exemple.fr/a-propos');
    expect(ok('http://exemple.fr/contact?utm_source=x&ref=1')).to.equal('http://exemple.fr/contact?ref=1');
    expect(ok('https://boutique.exemple.fr/produits')).to.equal('https://boutique.exemple.fr/produits');
    for (const href of [
      'https://autre.fr/a-propos',
      'https://exemple.fr.evil.com/',
      'https://notexemple.fr/',
      'ftp://www.exemple.fr/x',
      'https://user:pw@www.exemple.fr/x',
      '/plaquette.PDF',
      '/img/logo.webp',
      '/panier',
      '/wp-admin/',
      '/tag/pain',
      '/',
      '/index.html',
      'https://exemple.fr',
      'mailto:a@exemple.fr',
    ]) {
      expect(ok(href), href).to.equal(undefined);
    }
  });

  it('ranks known pages first, then shallow and short paths, in French and English, locale prefixes aside', () => {
    const ranked = rankPages(
      [
        '/blog/2024/01/01/un-article',
        '/mentions-legales',
        '/fr/contact',
        '/produits/pain-complet',
        '/tarifs',
        '/about-us',
        '/fr/qui-sommes-nous/',
        '/services',
        '/tarifs/',
        '/galerie',
      ],
      HOME,
    ).map((url) => url.pathname);
    expect(ranked).to.deep.equal([
      '/about-us',
      '/fr/qui-sommes-nous/',
      '/tarifs',
      '/services',
      '/fr/contact',
      '/mentions-legales',
      '/produits/pain-complet',
      '/galerie',
      '/blog/2024/01/01/un-article',
    ]);
  });

  it('identifies a page regardless of scheme, www, trailing slash or index file', () => {
    expect(pageKey(new URL('http://exemple.fr/tarifs/'))).to.equal(pageKey(new URL('https://www.exemple.fr/tarifs')));
    expect(pageKey(new URL('https://www.exemple.fr/index.html'))).to.equal(pageKey(HOME));
  });

  it('parses sitemaps and sitemap indexes (namespaces, CDATA, entities)', () => {
    const urlset = `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc> https://www.exemple.fr/a?x=1&amp;y=2 </loc></url>
      <url><loc><![CDATA[https://www.exemple.fr/b]]></loc></url>
      <url><image:loc>https://www.exemple.fr/i.jpg</image:loc></url></urlset>`;
    expect(parseSitemap(urlset)).to.deep.equal({
      index: false,
      urls: ['https://www.exemple.fr/a?x=1&y=2', 'https://www.exemple.fr/b', 'https://www.exemple.fr/i.jpg'],
    });
    expect(parseSitemap('<sm:sitemapindex xmlns:sm="x"><sm:sitemap><sm:loc>https://www.exemple.fr/s1.xml</sm:loc></sm:sitemap></sm:sitemapindex>')).to.deep.equal({
      index: true,
      urls: ['https://www.exemple.fr/s1.xml'],
    });
    expect(parseSitemap('<html><body>Not found</body></html>').urls).to.deep.equal([]);
  });

  it('reads a typed address: a bare domain means https, other schemes are left for the fetcher to refuse', () => {
    expect(normaliseSiteUrl(' Exemple.fr ')).to.equal('https://exemple.fr/');
    expect(normaliseSiteUrl('exemple.fr:8080/accueil')).to.equal('https://exemple.fr:8080/accueil');
    expect(normaliseSiteUrl('http://exemple.fr')).to.equal('http://exemple.fr/');
    expect(normaliseSiteUrl('file:///etc/passwd')).to.equal('file:///etc/passwd');
    expect(() => normaliseSiteUrl('   ')).to.throw(FetchRefusedError);
    expect(() => normaliseSiteUrl('http://')).to.throw(FetchRefusedError);
  });
});
