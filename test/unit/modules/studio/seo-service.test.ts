import { expect } from 'chai';
import type { BrandDna } from '../../../../src/modules/brand/domain.js';
import type { TenantSiteFacts } from '../../../../src/modules/studio/db/knex-seo-repository.js';
import {
  analyzeWithContext,
  brandContextFrom,
  groupScore,
  primaryKeywordOf,
  seoLocaleOf,
  smsReport,
  splitFrenchAddress,
  SMS_INDICATIVE_PRICE_MICROS,
} from '../../../../src/modules/studio/seo-service.js';
import { AppError } from '../../../../src/shared/errors.js';
import { fullArticle } from './seo/fixtures.js';

const DNA: BrandDna = {
  identity: { name: 'Boulangerie Martin', city: 'Lyon', description: 'Boulangerie artisanale au levain naturel' },
  offers: [
    { name: 'Pain au levain', url: 'https://boulangerie-martin.fr/pain-au-levain' },
    { name: 'Viennoiseries pur beurre' },
    { name: 'Levain naturel' },
  ],
  seo: { keywords: ['levain naturel', 'boulangerie Lyon', 'farine bio'], localZone: { city: 'Lyon', areas: ['Villeurbanne', 'Croix-Rousse'] } },
  channels: [
    { channel: 'blog', url: 'https://boulangerie-martin.fr/blog' },
    { channel: 'instagram', handle: '@boulangerie.martin', url: 'https://instagram.com/boulangerie.martin' },
  ],
  legal: { companyName: 'Martin SARL', address: '12 rue de la République, 69002 Lyon, France' },
};

const FACTS: TenantSiteFacts = {
  tenantName: 'Boulangerie Martin (espace)',
  tenantLocale: 'fr',
  website: 'https://www.boulangerie-martin.fr/',
  phone: '04 78 00 00 00',
  sitePages: [
    { url: 'https://boulangerie-martin.fr/', title: 'Boulangerie Martin – Lyon' },
    { url: 'https://boulangerie-martin.fr/contact', title: 'Contact et horaires' },
    { url: 'https://boulangerie-martin.fr/pain-au-levain/', title: 'Notre pain au levain naturel' },
  ],
  smsRecipients: 250,
};

describe('SEO service (pure parts)', () => {
  describe('brand context', () => {
    const context = brandContextFrom(DNA, FACTS, 'snapshot-1');

    it('takes the business from the DNA: name, city, street and postal code of the legal address, onboarding phone, website', () => {
      expect(context.business).to.deep.equal({
        name: 'Boulangerie Martin',
        city: 'Lyon',
        address: '12 rue de la République',
        postalCode: '69002',
        country: 'FR',
        phone: '04 78 00 00 00',
        url: 'https://www.boulangerie-martin.fr/',
      });
      expect(context.senderName).to.equal('Boulangerie Martin');
      expect(context.locale).to.equal('fr');
    });

    it('lists the own pages once each: pages read on the website, the website, offers’ pages, the blog — never social profiles', () => {
      expect(context.ownPages.map((p) => p.url)).to.deep.equal([
        'https://boulangerie-martin.fr/',
        'https://boulangerie-martin.fr/contact',
        'https://boulangerie-martin.fr/pain-au-levain/',
        'https://boulangerie-martin.fr/blog',
      ]);
      expect(context.ownPages[3].title).to.equal('Boulangerie Martin blog');
    });

    it('takes related terms from the DNA keywords and offer names, without duplicates', () => {
      expect(context.brandKeywords).to.deep.equal(['levain naturel', 'boulangerie Lyon', 'farine bio', 'Pain au levain', 'Viennoiseries pur beurre']);
    });

    it('falls back on the workspace when there is no DNA yet', () => {
      const bare = brandContextFrom(null, { ...FACTS, website: null, phone: null, sitePages: [], tenantLocale: 'en-GB' });
      expect(bare.business).to.deep.equal({ name: 'Boulangerie Martin (espace)', city: '' });
      expect(bare.senderName).to.equal('Boulangerie Martin (espace)');
      expect(bare).to.include({ locale: 'en', dnaSnapshotId: null });
      expect(bare.ownPages).to.deep.equal([]);
      expect(bare.brandKeywords).to.deep.equal([]);
    });
  });

  it('reads French addresses and keeps anything else whole', () => {
    expect(splitFrenchAddress('3 place Bellecour 69002 Lyon')).to.deep.equal({ street: '3 place Bellecour', postalCode: '69002', locality: 'Lyon' });
    expect(splitFrenchAddress('8 quai de la Fosse,\n44000 Nantes')).to.deep.equal({ street: '8 quai de la Fosse', postalCode: '44000', locality: 'Nantes' });
    expect(splitFrenchAddress('Rue du Marché 4, 1204 Genève')).to.deep.equal({ street: 'Rue du Marché 4, 1204 Genève' });
  });

  it('maps content languages to the analyser’s', () => {
    expect(['fr', 'fr-BE', 'en', 'en-GB', 'es', '', null].map(seoLocaleOf)).to.deep.equal(['fr', 'fr', 'en', 'en', null, null, null]);
  });

  it('scores a group on the points over the maximum of its checks, penalties included', () => {
    const items = [
      { key: 'titleLength', group: 'seo', label: '', points: 5, max: 5, passed: true },
      { key: 'slug', group: 'seo', label: '', points: 0, max: 3, passed: false },
      { key: 'faq', group: 'geo', label: '', points: 3, max: 5, passed: false },
      { key: 'keywordStuffing', group: 'geo', label: '', points: -8, max: 0, passed: false },
    ] as const;
    expect(groupScore([...items], 'seo')).to.equal(63); // 5 / 8
    expect(groupScore([...items], 'geo')).to.equal(0); // (3 − 8) / 5, floored at 0
    expect(groupScore([items[0]], 'geo')).to.equal(null);
  });

  describe('SMS report', () => {
    it('lists the characters that force Unicode with their replacement, and previews the GSM-friendly texts', () => {
      const body = 'Boulangerie Martin : l’offre « brioche » dure jusqu’à dimanche… Fête des mères ! STOP au 36111';
      const report = smsReport(body, { senderName: 'Boulangerie Martin', smsRecipients: 250 });
      expect(report.info).to.include({ encoding: 'ucs2', segments: 2 });
      expect(report.characters.map((c) => [c.char, c.replacement, c.lossy])).to.deep.equal([
        ['’', "'", false],
        ['«', '"', false],
        ['»', '"', false],
        ['…', '...', false],
        ['ê', 'e', true],
      ]);
      expect(report.characters[0].codePoints).to.equal('U+2019');
      // Typography replaced: still Unicode because of the ê; then folded: one GSM-7 SMS.
      expect(report.friendly?.text).to.equal('Boulangerie Martin : l\'offre "brioche" dure jusqu\'à dimanche... Fête des mères ! STOP au 36111');
      expect(report.friendly?.info).to.include({ encoding: 'ucs2' });
      expect(report.folded?.text).to.equal('Boulangerie Martin : l\'offre "brioche" dure jusqu\'à dimanche... Fete des mères ! STOP au 36111');
      expect(report.folded?.info).to.include({ encoding: 'gsm7', segments: 1 });
    });

    it('estimates the cost of a send to the reachable contacts and per 1 000 recipients', () => {
      const report = smsReport('a'.repeat(200), { senderName: 'X', smsRecipients: 250 });
      expect(report.info.segments).to.equal(2);
      expect(report.cost.total).to.deep.equal({ segments: 2, recipients: 250, billableSegments: 500, unitPriceMicros: SMS_INDICATIVE_PRICE_MICROS, totalMicros: 500 * SMS_INDICATIVE_PRICE_MICROS });
      expect(report.cost.per1000.billableSegments).to.equal(2000);
      expect(smsReport('a', { senderName: 'X', smsRecipients: 0 }).cost.total).to.equal(null);
      expect(smsReport('a', { senderName: 'X', smsRecipients: 0 })).to.include({ friendly: null, folded: null });
    });
  });

  describe('draft analysis', () => {
    const context = brandContextFrom(DNA, FACTS, 'snapshot-1');

    it('checks an SMS against the DNA’s sender name and reports its segments, without SEO', () => {
      const result = analyzeWithContext({ channel: 'sms', title: '', body: 'Promo sur les croissants ! STOP au 36111', meta: {} }, context);
      expect(result.channel.issues.map((i) => i.code)).to.deep.equal(['studio.channelRules.smsSenderMissing']);
      expect(result.channel.issues[0].params).to.deep.equal({ senderName: 'Boulangerie Martin' });
      expect(result.sms?.info).to.include({ encoding: 'gsm7', segments: 1 });
      expect(result.seo).to.equal(null);
      expect(result.guidance.channel).to.equal('sms');
    });

    it('scores a blog article with the brand’s pages and business, SEO and GEO apart', () => {
      const result = analyzeWithContext(
        { channel: 'blog', title: fullArticle.title, body: fullArticle.body, meta: { targetKeyword: 'pain au levain', metaDescription: fullArticle.metaDescription, slug: fullArticle.slug } },
        context,
      );
      expect(result.channel.ok).to.equal(true);
      expect(result.sms).to.equal(null);
      expect(result.seo?.profile).to.equal('article');
      expect(result.seo?.score).to.equal(100);
      expect(result.seo?.groupScores).to.deep.equal({ seo: 100, geo: 100 });
      expect(result.seo?.internalLinks.present.map((l) => l.url)).to.deep.equal(['https://boulangerie-martin.fr/pain-au-levain']);
      expect(result.seo?.jsonLd.map((j) => j['@type'])).to.deep.equal(['Article', 'FAQPage', 'LocalBusiness']);
      expect(result.seo?.keyword.relatedTerms.filter((t) => t.source === 'brand').map((t) => t.term)).to.include.members(['levain naturel', 'farine bio']);
    });

    it('analyses in the draft’s language when given, the tenant’s otherwise', () => {
      const body = 'Our sourdough bread keeps for a week. It is baked every morning in Lyon by Paul.';
      expect(analyzeWithContext({ channel: 'linkedin', locale: 'en', title: '', body, meta: {} }, context).seo?.readability.formula).to.equal('flesch');
      expect(analyzeWithContext({ channel: 'linkedin', title: '', body, meta: {} }, context).seo?.readability.formula).to.equal('kandel-moles');
    });

    it('refuses an unknown channel with the channel rules’ message key', () => {
      expect(() => analyzeWithContext({ channel: 'fax', title: '', body: 'x', meta: {} }, context))
        .to.throw(AppError)
        .that.deep.include({ code: 'studio.channelRules.unknownChannel', status: 422, params: { channel: 'fax' } });
    });
  });

  it('files a target keyword as from the DNA or typed, and local when it names the local zone', () => {
    const context = brandContextFrom(DNA, FACTS, 'snapshot-1');
    expect(primaryKeywordOf('Levain naturel', 'fr', context)).to.deep.equal({ keyword: 'Levain naturel', locale: 'fr', source: 'dna', isLocal: false, localZone: null, dnaSnapshotId: 'snapshot-1' });
    expect(primaryKeywordOf('boulangerie Lyon', 'fr', context)).to.include({ source: 'dna', isLocal: true, localZone: 'Lyon' });
    expect(primaryKeywordOf('croissant Croix-Rousse', 'fr', context)).to.include({ source: 'manual', isLocal: true, localZone: 'Croix-Rousse', dnaSnapshotId: null });
  });
});
