import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { findLinks, isTaggableUrl, readUtm, tagUrl, utmMediumOf, utmParamsFor, type UtmParams } from '../../../../../src/modules/publishing/links/utm.js';
import { CORPUS_DIR } from '../../../../support/corpus.js';

const P: UtmParams = { utm_source: 'linkedin', utm_medium: 'social', utm_campaign: '2026-11', utm_content: 'c1' };
const TAIL = 'utm_source=linkedin&utm_medium=social&utm_campaign=2026-11&utm_content=c1';

function corpusLines(file: string): string[] {
  return fs
    .readFileSync(path.join(CORPUS_DIR, 'security', file), 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

describe('Links: UTM tagging (tagUrl)', () => {
  it('adds the parameters to a bare URL, in a fixed order', () => {
    expect(tagUrl('https://boulangerie-martin.fr', P)).to.equal(`https://boulangerie-martin.fr?${TAIL}`);
    expect(tagUrl('https://boulangerie-martin.fr/menu', P)).to.equal(`https://boulangerie-martin.fr/menu?${TAIL}`);
    expect(tagUrl('http://example.com/', P)).to.equal(`http://example.com/?${TAIL}`);
  });

  it('keeps the existing query, its order and its encoding, and appends after it', () => {
    expect(tagUrl('https://ex.com/p?b=2&a=1', P)).to.equal(`https://ex.com/p?b=2&a=1&${TAIL}`);
    expect(tagUrl('https://ex.com/p?q=pain%20au%20chocolat&x=a+b', P)).to.equal(`https://ex.com/p?q=pain%20au%20chocolat&x=a+b&${TAIL}`);
    expect(tagUrl('https://ex.com/p?flag', P)).to.equal(`https://ex.com/p?flag&${TAIL}`);
    expect(tagUrl('https://ex.com/p?a=1&', P)).to.equal(`https://ex.com/p?a=1&${TAIL}`);
    expect(tagUrl('https://ex.com/p?', P)).to.equal(`https://ex.com/p?${TAIL}`);
    expect(tagUrl('https://ex.com/p?a=1&a=2', P)).to.equal(`https://ex.com/p?a=1&a=2&${TAIL}`);
  });

  it('keeps the fragment at the end', () => {
    expect(tagUrl('https://ex.com/page#horaires', P)).to.equal(`https://ex.com/page?${TAIL}#horaires`);
    expect(tagUrl('https://ex.com/page?a=1#section-2', P)).to.equal(`https://ex.com/page?a=1&${TAIL}#section-2`);
    expect(tagUrl('https://ex.com/#/route?x=1', P), 'a SPA route in the fragment stays in the fragment').to.equal(`https://ex.com/?${TAIL}#/route?x=1`);
    expect(tagUrl('https://ex.com/page#', P)).to.equal(`https://ex.com/page?${TAIL}#`);
  });

  it('never overwrites nor repeats a UTM parameter already there (any case, even empty)', () => {
    expect(tagUrl('https://ex.com/?utm_source=flyer', P)).to.equal('https://ex.com/?utm_source=flyer&utm_medium=social&utm_campaign=2026-11&utm_content=c1');
    expect(tagUrl('https://ex.com/?UTM_Campaign=soldes&x=1', P)).to.equal(
      'https://ex.com/?UTM_Campaign=soldes&x=1&utm_source=linkedin&utm_medium=social&utm_content=c1',
    );
    expect(tagUrl('https://ex.com/?utm_medium=', P)).to.equal('https://ex.com/?utm_medium=&utm_source=linkedin&utm_campaign=2026-11&utm_content=c1');
    expect(tagUrl('https://ex.com/?utm%5Fsource=x', P), 'an encoded name is the same name').to.not.include('utm_source=linkedin');
    const full = `https://ex.com/?${TAIL}`;
    expect(tagUrl(full, { ...P, utm_source: 'facebook' })).to.equal(full);
  });

  it('is idempotent', () => {
    for (const url of ['https://ex.com', 'https://ex.com/p?a=1#f', 'https://ex.com/?utm_source=x', 'https://bäckerei.de/brötchen?sorte=weiß#öffnungszeiten']) {
      const once = tagUrl(url, P);
      expect(tagUrl(once, P)).to.equal(once);
    }
  });

  it('preserves IDN hosts, non-ASCII paths and percent-encoding as written', () => {
    expect(tagUrl('https://bäckerei.de/brötchen', P)).to.equal(`https://bäckerei.de/brötchen?${TAIL}`);
    expect(tagUrl('https://xn--bckerei-5wa.de/br%C3%B6tchen', P)).to.equal(`https://xn--bckerei-5wa.de/br%C3%B6tchen?${TAIL}`);
    expect(tagUrl('https://ex.com/a%2Fb/%7Euser', P)).to.equal(`https://ex.com/a%2Fb/%7Euser?${TAIL}`);
    expect(tagUrl('https://例え.jp/パン', P)).to.equal(`https://例え.jp/パン?${TAIL}`);
  });

  it('keeps ports, credentials-free authorities and upper-case schemes', () => {
    expect(tagUrl('https://ex.com:8443/p', P)).to.equal(`https://ex.com:8443/p?${TAIL}`);
    expect(tagUrl('HTTPS://EX.COM/P', P)).to.equal(`HTTPS://EX.COM/P?${TAIL}`);
    expect(tagUrl('http://[2001:db8::1]/p', P)).to.equal(`http://[2001:db8::1]/p?${TAIL}`);
  });

  it('encodes the values it adds and skips empty ones', () => {
    expect(tagUrl('https://ex.com', { utm_source: 'a b&c=d', utm_medium: '' })).to.equal('https://ex.com?utm_source=a%20b%26c%3Dd');
    expect(tagUrl('https://ex.com', {})).to.equal('https://ex.com');
  });

  it('leaves non-http, relative, malformed and ambiguous links untouched', () => {
    for (const url of [
      'mailto:contact@boulangerie-martin.fr',
      'mailto:contact@boulangerie-martin.fr?subject=Commande',
      'tel:+33612345678',
      'sms:+33612345678',
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      'data:text/html,<script>alert(1)</script>',
      'ftp://ex.com/file',
      'file:///etc/passwd',
      '/menu',
      '../menu?a=1',
      '//ex.com/menu',
      'www.ex.com/menu',
      'ex.com',
      '#anchor',
      'https://',
      'http://',
      'https:///path',
      'https://ex .com/',
      'http://1.1.1.1 &@2.2.2.2# @3.3.3.3/',
      'http://127.1.1.1:80\\@127.2.2.2:80/',
      'https://ex.com:99999/',
      'https://[::1/',
      '',
    ]) {
      expect(tagUrl(url, P), url).to.equal(url);
      expect(isTaggableUrl(url), url).to.equal(false);
    }
  });

  it('never throws and never changes where a URL leads (corpus: SSRF URL forms)', () => {
    const urls = corpusLines('ssrf.txt');
    expect(urls.length).to.be.greaterThan(100);
    let tagged = 0;
    for (const url of urls) {
      const out = tagUrl(url, P);
      expect(tagUrl(out, P), url).to.equal(out);
      if (out === url) continue;
      tagged++;
      const before = new URL(url);
      const after = new URL(out);
      expect([after.protocol, after.host, after.pathname, after.hash], url).to.deep.equal([before.protocol, before.host, before.pathname, before.hash]);
      expect(readUtm(out), url).to.include({ utm_content: 'c1' });
      expect(out.startsWith(url.split(/[?#]/)[0]), url).to.equal(true);
    }
    expect(tagged, 'most of them are plain http(s) URLs').to.be.greaterThan(100);
  });
});

describe('Links: UTM values', () => {
  it('maps channels to utm_medium', () => {
    expect(['linkedin', 'facebook', 'instagram', 'x', 'google_business'].map(utmMediumOf)).to.deep.equal(Array(5).fill('social'));
    expect(utmMediumOf('newsletter')).to.equal('email');
    expect(utmMediumOf('sms')).to.equal('sms');
    expect(utmMediumOf('blog')).to.equal('blog');
  });

  it('builds source, medium, campaign and content from the context', () => {
    expect(utmParamsFor({ channel: 'newsletter', contentId: 'abc', campaign: 'fete-du-pain' })).to.deep.equal({
      utm_source: 'newsletter',
      utm_medium: 'email',
      utm_campaign: 'fete-du-pain',
      utm_content: 'abc',
    });
  });

  it('reads the UTM parameters of a URL (first one wins, decoded)', () => {
    expect(readUtm('https://ex.com/?utm_source=a%20b&utm_source=x&utm_term=pain+frais&z=1#utm_medium=no')).to.deep.equal({
      utm_source: 'a b',
      utm_term: 'pain frais',
    });
    expect(readUtm('https://ex.com/?utm_content=%E0%A4%A')).to.deep.equal({ utm_content: '%E0%A4%A' });
  });
});

describe('Links: finding links in a text (findLinks)', () => {
  const urls = (text: string) => findLinks(text).map((l) => l.url);

  it('finds http(s) links with their positions', () => {
    const text = 'Commandez sur https://boulangerie-martin.fr/commande et suivez http://ex.com/blog';
    const links = findLinks(text);
    expect(links.map((l) => l.url)).to.deep.equal(['https://boulangerie-martin.fr/commande', 'http://ex.com/blog']);
    for (const l of links) expect(text.slice(l.start, l.end)).to.equal(l.url);
  });

  it('leaves trailing prose punctuation out of the link', () => {
    expect(urls('Voir https://ex.com/menu.')).to.deep.equal(['https://ex.com/menu']);
    expect(urls('Voir https://ex.com/menu, puis https://ex.com/b;')).to.deep.equal(['https://ex.com/menu', 'https://ex.com/b']);
    expect(urls('(voir https://ex.com/menu)')).to.deep.equal(['https://ex.com/menu']);
    expect(urls('« https://ex.com/menu »')).to.deep.equal(['https://ex.com/menu']);
    expect(urls('«https://ex.com/menu»')).to.deep.equal(['https://ex.com/menu']);
    expect(urls('Venez ! https://ex.com/menu!')).to.deep.equal(['https://ex.com/menu']);
    expect(urls('Et voilà https://ex.com/menu…')).to.deep.equal(['https://ex.com/menu']);
    expect(urls('“https://ex.com/menu”')).to.deep.equal(['https://ex.com/menu']);
  });

  it('keeps balanced parentheses, queries and fragments inside the link', () => {
    expect(urls('https://fr.wikipedia.org/wiki/Pain_(aliment) est utile')).to.deep.equal(['https://fr.wikipedia.org/wiki/Pain_(aliment)']);
    expect(urls('[menu](https://ex.com/menu?a=1#b)')).to.deep.equal(['https://ex.com/menu?a=1#b']);
    expect(urls('<https://ex.com/menu>')).to.deep.equal(['https://ex.com/menu']);
  });

  it('ignores mailto:, tel:, javascript:, relative links and bare domains', () => {
    expect(urls('Écrivez à mailto:contact@ex.com, appelez tel:+33612345678, ou /contact ou ex.com/contact ou www.ex.com')).to.deep.equal([]);
    expect(urls('<a href="javascript:alert(1)">x</a>')).to.deep.equal([]);
  });

  it('finds only http(s) links in hostile markup (corpus: XSS payloads)', () => {
    for (const line of corpusLines('xss.txt')) {
      for (const link of findLinks(line)) {
        expect(link.url, line).to.match(/^https?:\/\//i);
        expect(line.slice(link.start, link.end)).to.equal(link.url);
        expect(isTaggableUrl(link.url), line).to.equal(true);
      }
    }
  });
});
