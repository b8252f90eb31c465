import { expect } from 'chai';
import { HtmlTextExtractor } from '../../../../src/adapters/extraction/html-text-extractor.js';

const HOME = `<!doctype html>
<html lang="fr-FR"><head>
  <meta charset="windows-1252">
  <title>Atelier Dupont | Menuiserie</title>
  <meta property="og:title" content="Atelier Dupont">
  <meta name="description" content="  Menuiserie sur mesure
     à Nantes. ">
  <meta property="og:site_name" content="Atelier Dupont">
  <base href="https://www.atelier-dupont.fr/fr/">
  <link rel="alternate" type="application/rss+xml" title="Actualités" href="actualites/feed">
  <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="https://www.atelier-dupont.fr/atom.xml">
  <link rel="alternate" hreflang="en" href="https://www.atelier-dupont.fr/en/">
  <link rel="stylesheet" href="/style.css">
  <style>.hero { color: red }</style>
  <script>window.dataLayer = [];</script>
</head><body>
  <a class="skip-link" href="#main">Aller au contenu</a>
  <nav><ul><li><a href="services">Services</a></li><li><a href="services">Nos services</a></li></ul></nav>
  <div class="cookie-consent">Ce site utilise des cookies.</div>
  <main id="main">
    <h1>Menuiserie   sur mesure</h1>
    <p>Escaliers, cuisines<br>et dressings.</p>
    <p hidden>Texte caché</p><p style="display: none">Aussi caché</p>
    <table><tr><th>Prestation</th><th>Prix</th></tr><tr><td>Escalier droit</td><td>à partir de 3 500 \x80</td></tr></table>
    <ul><li>Chêne</li><li>Noyer</li></ul>
    <pre>  code   garde
ses espaces</pre>
    <noscript>Activez JavaScript</noscript>
    <a href="javascript:void(0)">Menu</a> <a href="#haut">Haut</a>
    <a href="mailto:contact@atelier-dupont.fr">Écrire</a> <a href="tel:+33240000000"><img src="t.png" alt="Téléphone"></a>
    <a href="https://www.instagram.com/atelierdupont" aria-label="Instagram"></a>
  </main>
  <footer><p>© 2024 Atelier Dupont \x97 SIRET 123 456 789 00012</p></footer>
</body></html>`;

describe('HtmlTextExtractor (synthetic pages)', () => {
  const extractor = new HtmlTextExtractor();

  it('reads a home page as body text: no scripts, styles, navigation, banners, hidden or form content', () => {
    const result = extractor.extract(Buffer.from(HOME, 'latin1'), 'https://www.atelier-dupont.fr/');
    expect(result.article).to.equal(false);
    expect(result.text).to.equal(
      [
        'Menuiserie sur mesure',
        '',
        'Escaliers, cuisines\net dressings.',
        '',
        'Prestation | Prix\nEscalier droit | à partir de 3 500 €',
        '',
        'Chêne\nNoyer',
        '',
        'code garde\nses espaces',
        '',
        'Menu Haut Écrire',
        '',
        '© 2024 Atelier Dupont — SIRET 123 456 789 00012',
      ].join('\n'),
    );
  });

  it('takes title, language, description and site name from the page', () => {
    const result = extractor.extract(HOME, 'https://www.atelier-dupont.fr/');
    expect(result.title).to.equal('Atelier Dupont'); // Readability prefers og:title to <title>
    expect(result.lang).to.equal('fr-FR');
    expect(result.description).to.equal('Menuiserie sur mesure à Nantes.');
    expect(result.siteName).to.equal('Atelier Dupont');
  });

  it('resolves links against <base href>, deduplicates them and skips fragments and javascript:', () => {
    const result = extractor.extract(HOME, 'https://www.atelier-dupont.fr/');
    expect(result.links).to.deep.equal([
      { href: 'https://www.atelier-dupont.fr/fr/services', text: 'Services' },
      { href: 'mailto:contact@atelier-dupont.fr', text: 'Écrire' },
      { href: 'tel:+33240000000', text: 'Téléphone' },
      { href: 'https://www.instagram.com/atelierdupont', text: 'Instagram' },
    ]);
  });

  it('lists RSS and Atom feeds announced with rel=alternate, absolute', () => {
    const result = extractor.extract(HOME, 'https://www.atelier-dupont.fr/');
    expect(result.feedLinks).to.deep.equal(['https://www.atelier-dupont.fr/fr/actualites/feed', 'https://www.atelier-dupont.fr/atom.xml']);
  });

  it('reads a document without <html>/<body> and falls back on og:title, <title>, then <h1>', () => {
    expect(extractor.extract('<p>Bonjour</p>', 'https://a.example/')).to.deep.include({ title: '', text: 'Bonjour' });
    expect(extractor.extract('<h1>Titre</h1><p>Texte</p>', 'https://a.example/').title).to.equal('Titre');
  });

  it('uses Readability for an article and caps the text', () => {
    const paragraph = 'La boulangerie pétrit chaque nuit des pains au levain naturel, façonnés à la main et cuits au feu de bois. ';
    const article = `<html lang="fr"><head><title>Notre histoire - Boulangerie</title></head><body>
      <nav><a href="/">Accueil</a></nav>
      <article><h1>Notre histoire</h1>${Array.from({ length: 8 }, () => `<p>${paragraph.repeat(3)}</p>`).join('')}</article>
      <aside class="sidebar"><p>Inscrivez-vous à la newsletter</p></aside></body></html>`;
    const result = extractor.extract(article, 'https://boulangerie.example/histoire');
    expect(result.article).to.equal(true);
    expect(result.text.startsWith('La boulangerie pétrit')).to.equal(true);
    expect(result.text).not.to.include('newsletter');
    const capped = new HtmlTextExtractor({ maxChars: 500 }).extract(article, 'https://boulangerie.example/histoire');
    expect(capped.truncated).to.equal(true);
    expect(capped.text.length).to.be.at.most(500);
  });

  it('reads a hostile, deeply nested page quickly without overflowing the stack (Readability skipped)', () => {
    const depth = 50_000;
    const html = `<html><body>${'<div>'.repeat(depth)}tout au fond${'</div>'.repeat(depth)}<a href="/x">x</a></body></html>`;
    const started = Date.now();
    const result = extractor.extract(html, 'https://a.example/');
    expect(Date.now() - started).to.be.below(10_000);
    expect(result.article).to.equal(false);
    expect(result.text).to.equal('tout au fond\nx');
    expect(result.links).to.deep.equal([{ href: 'https://a.example/x', text: 'x' }]);
  });

  it('survives an invalid page URL (links then stay out)', () => {
    const result = extractor.extract('<a href="/relatif">x</a><a href="https://b.example/">y</a>', 'pas une url');
    expect(result.links).to.deep.equal([{ href: 'https://b.example/', text: 'y' }]);
  });
});
