import { expect } from 'chai';
import { NotFoundError } from '../../../../src/shared/errors.js';
import { createTenant } from '../../../support/tenants.js';
import { fullArticle, thinArticle } from '../../../unit/modules/studio/seo/fixtures.js';
import { addVersion, createContentWithVersion, cradle, ensureBrandDna, tenantIdBySlug } from './seo-support.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('Recorded SEO/GEO analyses (seoService.recordForVersion / latestForContent)', function () {
  this.timeout(60_000);
  let tenantA: string;
  let tenantB: string;

  const rows = (tenantId: string, table: string, where: Record<string, unknown>) =>
    cradle().database.forTenant(tenantId, (trx) => trx(table).where(where).orderBy('createdAt'));

  before(async () => {
    tenantA = await tenantIdBySlug('boulangerie-martin');
    tenantB = await tenantIdBySlug('velo-atelier-nantes');
    await ensureBrandDna(tenantA, {
      identity: { name: 'Boulangerie Martin', city: 'Lyon' },
      seo: { keywords: ['pain au levain', 'boulangerie artisanale'] },
      offers: [{ name: 'Pain au levain' }],
    });
  });

  it('stores the score, GEO score, breakdown, keywords, readability, suggestions and JSON-LD of a blog version', async () => {
    const { contentId, versionId } = await createContentWithVersion(tenantA, { channel: 'blog', title: fullArticle.title, body: fullArticle.body });
    const meta = { targetKeyword: 'pain au levain', metaDescription: fullArticle.metaDescription, slug: fullArticle.slug };
    const record = await cradle().seoService.recordForVersion(tenantA, { contentId, versionId, channel: 'blog', locale: 'fr', title: fullArticle.title, body: fullArticle.body, meta });
    expect(record).to.not.equal(null);
    const expected = await cradle().seoService.analyzeDraft(tenantA, { channel: 'blog', locale: 'fr', title: fullArticle.title, body: fullArticle.body, meta });
    expect(record).to.include({ contentId, contentVersionId: versionId, score: expected.seo!.score, geoScore: expected.seo!.groupScores.geo, seoScore: expected.seo!.groupScores.seo });
    expect(record).to.include({ targetKeyword: 'pain au levain', readabilityFormula: 'kandel_moles', scorerVersion: '1', locale: 'fr' });

    const [row] = await rows(tenantA, 'seoAnalyses', { contentVersionId: versionId });
    expect(row).to.include({ tenantId: tenantA, contentId, score: expected.seo!.score, geoScore: expected.seo!.groupScores.geo, targetKeyword: 'pain au levain' });
    expect(row.breakdown.map((b: { key: string }) => b.key)).to.deep.equal(expected.seo!.breakdown.map((b) => b.key));
    expect(row.breakdown[0]).to.have.keys('key', 'group', 'label', 'points', 'max', 'passed');
    expect(row.relatedKeywords).to.deep.equal(expected.seo!.keyword.relatedTerms.map((t) => t.term));
    expect(Number(row.readabilityScore)).to.be.closeTo(expected.seo!.readability.score, 0.005);
    expect(row).to.include({
      suggestedTitle: expected.seo!.suggestions.title.value,
      suggestedMetaDescription: expected.seo!.suggestions.metaDescription.value,
      suggestedSlug: expected.seo!.suggestions.slug.value,
    });
    expect(row.jsonLd.map((j: { '@type': string }) => j['@type'])).to.deep.equal(['Article', 'FAQPage', 'LocalBusiness']);
  });

  it('files the target keyword in the tenant’s list and makes it the content’s one primary keyword', async () => {
    const { contentId, versionId } = await createContentWithVersion(tenantA, { channel: 'blog', title: thinArticle.title, body: thinArticle.body });
    const service = cradle().seoService;
    await service.recordForVersion(tenantA, { contentId, versionId, channel: 'blog', locale: 'fr', title: thinArticle.title, body: thinArticle.body, meta: { targetKeyword: 'Pain au levain' } });
    let primary = await cradle().seoRepository.primaryKeyword(tenantA, contentId);
    // "pain au levain" is a DNA keyword: the existing row (any case) is reused, its source stays.
    expect(primary?.keyword.toLowerCase()).to.equal('pain au levain');
    const first = primary!.id;

    // A new version with another keyword: it becomes the primary one; the old keyword stays in the list.
    const v2 = await addVersion(tenantA, contentId, { title: 'Croissants à Lyon', body: 'Nos croissants pur beurre sortent du four à 7 h.' });
    await service.recordForVersion(tenantA, { contentId, versionId: v2, channel: 'blog', locale: 'fr', title: 'Croissants à Lyon', body: 'Nos croissants pur beurre sortent du four à 7 h.', meta: { targetKeyword: 'croissant pur beurre Lyon' } });
    primary = await cradle().seoRepository.primaryKeyword(tenantA, contentId);
    expect(primary).to.include({ keyword: 'croissant pur beurre Lyon', source: 'manual', isLocal: true });
    const links = await rows(tenantA, 'contentKeywords', { contentId });
    expect(links.map((l) => [l.keywordId, l.role])).to.deep.equal([[primary!.id, 'primary']]);
    expect(await rows(tenantA, 'keywords', { id: first })).to.have.length(1);

    // The same keyword written differently is the same row.
    const v3 = await addVersion(tenantA, contentId, { title: 'Croissants', body: 'Croissants.' });
    await service.recordForVersion(tenantA, { contentId, versionId: v3, channel: 'blog', locale: 'fr', title: 'Croissants', body: 'Croissants.', meta: { targetKeyword: 'CROISSANT PUR BEURRE LYON' } });
    const matching = await cradle().database.forTenant(tenantA, (trx) => trx('keywords').where({ tenantId: tenantA }).whereRaw('lower(keyword) = ?', ['croissant pur beurre lyon']));
    expect(matching).to.have.length(1);
    expect((await cradle().seoRepository.primaryKeyword(tenantA, contentId))?.id).to.equal(primary!.id);
  });

  it('keeps one analysis per version (a second call replaces it) and gives the latest for the content', async () => {
    const { contentId, versionId } = await createContentWithVersion(tenantA, { channel: 'newsletter', title: 'Lettre de mai', body: thinArticle.body });
    const service = cradle().seoService;
    const base = { contentId, channel: 'newsletter', locale: 'fr', title: 'Lettre de mai', meta: { subject: 'Nouveautés' } };
    await service.recordForVersion(tenantA, { ...base, versionId, body: thinArticle.body });
    await service.recordForVersion(tenantA, { ...base, versionId, body: thinArticle.body });
    expect(await rows(tenantA, 'seoAnalyses', { contentVersionId: versionId })).to.have.length(1);

    const v2 = await addVersion(tenantA, contentId, { title: 'Lettre de mai', body: fullArticle.body });
    const second = await service.recordForVersion(tenantA, { ...base, versionId: v2, body: fullArticle.body });
    const latest = await service.latestForContent(tenantA, contentId);
    expect(latest).to.deep.include({ id: second!.id, contentVersionId: v2 });
    // A newsletter is scored on its content (no page-level checks, no JSON-LD).
    expect(latest!.jsonLd).to.equal(null);
    expect(latest!.breakdown.map((b) => b.key)).not.to.include('metaDescription');
    // Analysing the first version again (a new scorer, say) does not make it the latest.
    await service.recordForVersion(tenantA, { ...base, versionId, body: thinArticle.body });
    expect((await service.latestForContent(tenantA, contentId))?.contentVersionId).to.equal(v2);
  });

  it('stores nothing for a short social post, and refuses an unknown channel', async () => {
    const { contentId, versionId } = await createContentWithVersion(tenantA, { channel: 'instagram', title: '', body: 'Croissants chauds ! #lyon' });
    expect(await cradle().seoService.recordForVersion(tenantA, { contentId, versionId, channel: 'instagram', locale: 'fr', title: '', body: 'Croissants chauds ! #lyon', meta: {} })).to.equal(null);
    expect(await rows(tenantA, 'seoAnalyses', { contentId })).to.deep.equal([]);
    const err = await rejection(cradle().seoService.recordForVersion(tenantA, { contentId, versionId, channel: 'fax', locale: 'fr', title: '', body: 'x', meta: {} }));
    expect(err).to.deep.include({ code: 'studio.channelRules.unknownChannel' });
  });

  it('keeps a readability score in range whatever the text (one endless sentence)', async () => {
    const body = 'mot '.repeat(12_000);
    const { contentId, versionId } = await createContentWithVersion(tenantA, { channel: 'blog', title: 'Sans ponctuation', body });
    const record = await cradle().seoService.recordForVersion(tenantA, { contentId, versionId, channel: 'blog', locale: 'fr', title: 'Sans ponctuation', body, meta: {} });
    expect(record!.readabilityScore).to.equal(-9999.99);
  });

  it('isolates tenants: another tenant can neither read nor attach an analysis to these contents', async () => {
    const { contentId, versionId } = await createContentWithVersion(tenantA, { channel: 'blog', title: fullArticle.title, body: fullArticle.body });
    await cradle().seoService.recordForVersion(tenantA, { contentId, versionId, channel: 'blog', locale: 'fr', title: fullArticle.title, body: fullArticle.body, meta: { targetKeyword: 'levain' } });
    expect(await cradle().seoService.latestForContent(tenantA, contentId)).to.not.equal(null);

    expect(await cradle().seoService.latestForContent(tenantB, contentId)).to.equal(null);
    expect(await rows(tenantB, 'seoAnalyses', { contentId })).to.deep.equal([]);
    expect(await rows(tenantB, 'contentKeywords', { contentId })).to.deep.equal([]);
    const err = await rejection(
      cradle().seoService.recordForVersion(tenantB, { contentId, versionId, channel: 'blog', locale: 'fr', title: 'x', body: 'x', meta: { targetKeyword: 'vol' } }),
    );
    expect(err).to.be.instanceOf(NotFoundError);
    // Nothing was written in either tenant by the refused call.
    expect(await rows(tenantB, 'keywords', { keyword: 'vol' })).to.deep.equal([]);
    expect(await rows(tenantA, 'seoAnalyses', { contentId })).to.have.length(1);
    // A version of another content of the same tenant is refused too, and a malformed id is simply not found.
    const other = await createContentWithVersion(tenantA, { channel: 'blog', title: 'Autre', body: 'Autre.' });
    expect(await rejection(cradle().seoService.recordForVersion(tenantA, { contentId, versionId: other.versionId, channel: 'blog', locale: 'fr', title: 'x', body: 'x', meta: {} }))).to.be.instanceOf(NotFoundError);
    expect(await cradle().seoService.latestForContent(tenantA, 'not-a-uuid')).to.equal(null);
  });

  it('reads the website pages of the onboarding as the client’s own pages, with the phone and the SMS audience', async () => {
    const tenant = await createTenant(cradle().database, { name: 'Atelier Bois' });
    await cradle().database.forTenant(tenant.id, async (trx) => {
      const [session] = await trx('onboardingSessions')
        .insert({ tenantId: tenant.id, kind: 'initial', status: 'in_progress', stepData: JSON.stringify({ company: { name: 'Atelier Bois', website: 'https://atelier-bois.fr', phone: '02 40 00 00 00' }, website: { url: 'https://www.atelier-bois.fr/' } }) })
        .returning('id');
      await trx('onboardingInputs').insert({
        tenantId: tenant.id,
        sessionId: session.id,
        kind: 'url',
        status: 'done',
        sourceUrl: 'https://www.atelier-bois.fr/',
        finalUrl: 'https://www.atelier-bois.fr/',
        extractedText: '# Atelier Bois – menuiserie à Nantes\nhttps://www.atelier-bois.fr/\n\nNous fabriquons des meubles.\n\n# Cuisines en chêne massif sur mesure\nhttps://www.atelier-bois.fr/cuisines\n\nDes cuisines # pas comme les autres.\n\n# Contact\nhttps://www.atelier-bois.fr/contact\n\nÉcrivez-nous.',
      });
      await trx('contacts').insert([
        { tenantId: tenant.id, phoneE164: '+33612345678', smsConsent: true, smsConsentSource: 'form', smsConsentAt: new Date() },
        { tenantId: tenant.id, phoneE164: '+33612345679', smsConsent: true, smsConsentSource: 'form', smsConsentAt: new Date(), smsOptedOutAt: new Date() },
        { tenantId: tenant.id, phoneE164: '+33612345670', smsConsent: false },
        { tenantId: tenant.id, email: 'a@example.com', emailConsent: true, emailConsentSource: 'form', emailConsentAt: new Date() },
      ]);
    });
    await cradle().dnaService.createSnapshot(tenant.id, { content: { identity: { name: 'Atelier Bois', city: 'Nantes' } }, reason: 'edit' });

    const context = await cradle().seoService.brandContext(tenant.id);
    expect(context.ownPages).to.deep.equal([
      { url: 'https://www.atelier-bois.fr/', title: 'Atelier Bois – menuiserie à Nantes' },
      { url: 'https://www.atelier-bois.fr/contact', title: 'Contact' },
      { url: 'https://www.atelier-bois.fr/cuisines', title: 'Cuisines en chêne massif sur mesure' },
    ]);
    expect(context.business).to.deep.equal({ name: 'Atelier Bois', city: 'Nantes', phone: '02 40 00 00 00', url: 'https://www.atelier-bois.fr/' });
    expect(context.smsRecipients).to.equal(1);

    // The pages feed the internal-link suggestions of a draft.
    const draft = await cradle().seoService.analyzeDraft(tenant.id, {
      channel: 'blog',
      title: 'Choisir le bois de sa cuisine',
      body: 'Une cuisine en chêne massif dure toute une vie. Le chêne résiste à l’humidité et se répare facilement.\n\n## Pourquoi le chêne ?\n\nLe chêne massif vieillit bien.',
      meta: {},
    });
    expect(draft.seo!.internalLinks.suggestions[0]).to.deep.include({ url: 'https://www.atelier-bois.fr/cuisines' });
    expect(draft.seo!.internalLinks.suggestions[0].sharedTerms).to.include.members(['chene', 'cuisine', 'massif']);
  });
});
