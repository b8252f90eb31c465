import { expect } from 'chai';
import { analyzeSeo } from '../../../../../src/modules/studio/seo/analyzer.js';
import {
  articleJsonLd,
  faqPageJsonLd,
  jsonLdScript,
  localBusinessJsonLd,
  serializeJsonLd,
} from '../../../../../src/modules/studio/seo/json-ld.js';
import { business, goodArticle } from './fixtures.js';

describe('SEO JSON-LD', () => {
  it('turns the detected FAQ into a FAQPage', () => {
    const result = analyzeSeo({
      ...goodArticle,
      body: `Le pain au levain se garde une semaine grâce à sa fermentation lente, explique la Boulangerie Martin à Lyon.

## Questions fréquentes

Q : Livrez-vous à domicile ?
R : Oui, dans un rayon de 5 km autour de Lyon.

Q : Acceptez-vous les tickets restaurant ?
R : Oui, papier et carte.
`,
    });
    expect(result.geo.faq.pairs.map((p) => p.question)).to.deep.equal(['Livrez-vous à domicile ?', 'Acceptez-vous les tickets restaurant ?']);
    const faq = result.jsonLd.find((j) => j['@type'] === 'FAQPage');
    expect(faq).to.deep.equal({
      '@context': 'https://schema.org',
      '@type': 'FAQPage',
      mainEntity: [
        {
          '@type': 'Question',
          name: 'Livrez-vous à domicile ?',
          acceptedAnswer: { '@type': 'Answer', text: 'Oui, dans un rayon de 5 km autour de Lyon.' },
        },
        {
          '@type': 'Question',
          name: 'Acceptez-vous les tickets restaurant ?',
          acceptedAnswer: { '@type': 'Answer', text: 'Oui, papier et carte.' },
        },
      ],
    });
    expect(result.jsonLd.map((j) => j['@type'])).to.deep.equal(['Article', 'FAQPage', 'LocalBusiness']);
  });

  it('finds FAQ questions written as bold paragraphs or headings inside a FAQ section', () => {
    const result = analyzeSeo(goodArticle);
    expect(result.geo.faq.pairs).to.deep.equal([
      {
        question: 'Le levain convient-il aux intolérants au gluten ?',
        answer: 'Non. Il contient du gluten, même si la fermentation longue le rend plus digeste pour certaines personnes.',
        source: 'faqSection',
      },
      {
        question: 'Peut-on congeler une miche entière ?',
        answer: 'Oui. Tranchez-le avant de le congeler et grillez les tranches sans les décongeler.',
        source: 'faqSection',
      },
    ]);
  });

  it('returns no FAQPage without questions', () => {
    expect(faqPageJsonLd([])).to.equal(null);
    expect(faqPageJsonLd([{ question: 'Q ?', answer: '   ' }])).to.equal(null);
  });

  it('builds an Article with only the facts it has', () => {
    const article = articleJsonLd({
      locale: 'fr',
      headline: 'Pain au levain à Lyon',
      description: 'Nos conseils.',
      url: 'https://boulangerie-martin.fr/blog/levain',
      datePublished: '2025-03-01',
      business,
      keywords: ['pain au levain', ' ', 'farine bio'],
      wordCount: 600,
    });
    expect(article).to.deep.equal({
      '@context': 'https://schema.org',
      '@type': 'Article',
      headline: 'Pain au levain à Lyon',
      description: 'Nos conseils.',
      inLanguage: 'fr',
      mainEntityOfPage: { '@type': 'WebPage', '@id': 'https://boulangerie-martin.fr/blog/levain' },
      url: 'https://boulangerie-martin.fr/blog/levain',
      datePublished: '2025-03-01',
      dateModified: '2025-03-01',
      author: { '@type': 'Organization', name: 'Boulangerie Martin', url: 'https://boulangerie-martin.fr' },
      publisher: { '@type': 'Organization', name: 'Boulangerie Martin', url: 'https://boulangerie-martin.fr' },
      keywords: 'pain au levain, farine bio',
      wordCount: 600,
    });
    expect(articleJsonLd({ locale: 'en', headline: 'x'.repeat(200) }).headline as string).to.have.length.at.most(110);
    expect(articleJsonLd({ locale: 'en', headline: 'Hi' })).to.deep.equal({ '@context': 'https://schema.org', '@type': 'Article', headline: 'Hi', inLanguage: 'en' });
  });

  it('builds a LocalBusiness with its postal address', () => {
    expect(localBusinessJsonLd({ ...business, postalCode: '69002', country: 'fr' })).to.deep.equal({
      '@context': 'https://schema.org',
      '@type': 'LocalBusiness',
      name: 'Boulangerie Martin',
      address: {
        '@type': 'PostalAddress',
        streetAddress: '12 rue de la République',
        addressLocality: 'Lyon',
        postalCode: '69002',
        addressCountry: 'FR',
      },
      telephone: '+33 4 78 00 00 00',
      url: 'https://boulangerie-martin.fr',
    });
    expect(localBusinessJsonLd({ name: 'Chez Léa', city: 'Nantes' })).to.deep.equal({
      '@context': 'https://schema.org',
      '@type': 'LocalBusiness',
      name: 'Chez Léa',
      address: { '@type': 'PostalAddress', addressLocality: 'Nantes' },
    });
  });

  it('serializes safely for a <script> element', () => {
    const value = { headline: 'Fin</script><script>alert(1)</script> <!-- & \u2028 \u2029 ok', n: 1 };
    const json = serializeJsonLd(value);
    expect(json).not.to.match(/<\/script/i);
    expect(json).not.to.include('<');
    expect(json).not.to.include('>');
    expect(json).not.to.include('\u2028');
    expect(json).not.to.include('\u2029');
    expect(json).to.include('\\u003c/script\\u003e');
    expect(JSON.parse(json)).to.deep.equal(value);

    const tag = jsonLdScript(articleJsonLd({ locale: 'fr', headline: 'A </SCRIPT> B' }));
    expect(tag.startsWith('<script type="application/ld+json">')).to.equal(true);
    expect(tag.endsWith('</script>')).to.equal(true);
    expect(tag.slice(0, -'</script>'.length).toLowerCase()).not.to.include('</script');
  });
});
