import { expect } from 'chai';
import supertest from 'supertest';
import type { BrandDna } from '../../../../src/modules/brand/domain.js';
import { DEMO_OWNER, loginAs, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import { addTeamMember } from '../../../support/team.js';
import { corpusArticle, cradle, ensureBrandDna, tenantIdBySlug } from './seo-support.js';

type Session = { agent: Agent; csrf: string };

const DEMO_DNA: BrandDna = {
  identity: { name: 'Boulangerie Martin', city: 'Lyon' },
  seo: { keywords: ['pain au levain', 'boulangerie artisanale'] },
  offers: [{ name: 'Pain au levain' }, { name: 'Viennoiseries pur beurre' }],
};

/** Eta escapes what it writes: compare with the escaped form. */
function escaped(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Numbers as the French interface writes them (narrow no-break space between thousands). */
const fr = (n: number) => new Intl.NumberFormat('fr').format(n);

describe('Studio live analysis (POST /app/studio/analysis)', function () {
  this.timeout(60_000);
  let owner: Session;
  let tenantId: string;
  let dna: BrandDna;

  const analyse = (session: Session, fields: Record<string, string>) =>
    session.agent.post('/app/studio/analysis').set('HX-Request', 'true').set('X-CSRF-Token', session.csrf).type('form').send(fields);

  before(async () => {
    owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    tenantId = await tenantIdBySlug('boulangerie-martin');
    dna = await ensureBrandDna(tenantId, DEMO_DNA);
  });

  it('LinkedIn: the channel rules with the length over 3 000, hashtag advice, and the long-post SEO/GEO panel', async () => {
    const body =
      "Notre pain au levain se garde une semaine. Selon l'INRAE, un levain naturel abrite plus de 50 espèces de bactéries lactiques.\n\n" +
      '« Un bon levain, c’est de la patience », explique Paul, notre chef boulanger.\n\n#boulangerie #levain #Lyon #artisan #pain #faitmaison';
    const res = await analyse(owner, { channel: 'linkedin', title: '', body, targetKeyword: 'pain au levain' });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/html/);
    const html = res.text;
    expect(html.trimStart()).to.match(/^<section id="analysis"/);
    // Usable inside the editor's form: no nested form, no field that would be posted with it.
    expect(html).not.to.match(/<form|<input|<textarea|<select/);
    expect(html).to.include('Règles du canal : LinkedIn');
    expect(html).to.include(`${fr(body.length)} / ${fr(3000)} caractères`);
    expect(html).to.match(/<meter class="analysis-meter" min="0" max="3000" value="\d+"/);
    expect(html).to.include('data-code="studio.channelRules.hashtagsAboveRecommended"');
    expect(html).to.include(escaped('6 hashtags : au-delà de 5, ils font perdre de la portée.'));
    expect(html).to.include('Conforme aux règles du canal, avec 1 conseil.');
    expect(html).to.include(escaped('Seuls les 210 premiers caractères s’affichent avant « voir plus » : soignez l’accroche.'));
    // SEO/GEO for a long post: scores, GEO checks, readability in French; no page-level checks nor JSON-LD.
    expect(html).to.include('Référencement et moteurs génératifs');
    expect(html).to.match(/data-group="geo"/);
    expect(html).to.include('data-check="citations"');
    expect(html).not.to.include('data-check="metaDescription"');
    expect(html).to.include('Kandel et Moles');
    expect(html).not.to.include('analysis-jsonld');
    expect(html).not.to.include('analysis-sms');

    const analysis = await cradle().seoService.analyzeDraft(tenantId, { channel: 'linkedin', title: '', body, meta: { targetKeyword: 'pain au levain' } });
    expect(html).to.include(`data-score="${analysis.seo!.score}"`);
    expect(html).to.include(`data-score="${analysis.seo!.groupScores.geo}"`);
  });

  it('SMS: encoding, segments, the characters forcing Unicode with their replacement, a GSM-friendly preview, cost and the sender from the DNA', async () => {
    const body = 'Ce week-end, -20 % sur les brioches ! L’offre « fête des mères » : venez vite.';
    const res = await analyse(owner, { channel: 'sms', body });
    expect(res.status).to.equal(200);
    const html = res.text;
    expect(html).to.include('data-encoding="ucs2"');
    expect(html).to.include('Unicode (UCS-2)');
    expect(html).to.match(/class="analysis-sms-segments">2</);
    expect(html).to.match(/class="analysis-sms-per-segment">67</);
    // ’ « » are typography (safe replacement), ê is a letter GSM lacks (lossy).
    expect(html).to.include('<code>U+2019</code>');
    expect(html).to.include('<code>U+00AB</code>');
    expect(html).to.include('change l’orthographe');
    expect(html).to.include('id="analysis-sms-folded"');
    expect(html).to.include(escaped('Ce week-end, -20 % sur les brioches ! L\'offre "fete des mères" : venez vite.'));
    expect(html).to.include('data-analysis-use="analysis-sms-folded"');
    expect(html).to.include('1 SMS en GSM-7 (standard), contre 2 actuellement.');
    // Mandatory mentions: the sender is the DNA's business name.
    expect(html).to.include(escaped(`Nommez l’expéditeur, « ${dna.identity!.name} », dans le SMS`));
    expect(html).to.include('data-code="studio.channelRules.smsStopMissing"');
    expect(html).to.include('2 problèmes bloquent la validation.');
    expect(html).to.include('Pour 1 000 destinataires');
    expect(html).to.include('Coût estimé');
    // No SEO panel for an SMS.
    expect(html).not.to.include('analysis-seo');
  });

  it('blog: a real French article (Le Monde, corpus) gets its score, breakdown with fixes, suggestions, outline, readability and JSON-LD', async () => {
    const article = corpusArticle('readability-lemonde-1');
    const fields = { channel: 'blog', title: article.title, body: article.body, targetKeyword: 'loi sur le renseignement', metaDescription: '', slug: '' };
    const res = await analyse(owner, fields);
    expect(res.status).to.equal(200);
    const html = res.text;
    const analysis = await cradle().seoService.analyzeDraft(tenantId, { channel: 'blog', title: article.title, body: article.body, meta: { targetKeyword: 'loi sur le renseignement' } });
    const seo = analysis.seo!;
    expect(html).to.include(`data-score="${seo.score}"`);
    expect(html).to.include(`${fr(seo.score)} / 100`);
    expect(seo.breakdown.map((b) => b.key)).to.include.members(['titleLength', 'metaDescription', 'answerFirst', 'faq', 'structuredData']);
    for (const b of seo.breakdown) expect(html, b.key).to.include(`data-check="${b.key}"`);
    // No meta description given: the fix proposes one, with the range, in French.
    expect(html).to.include('Ajoutez une méta-description de 120 à 160 caractères');
    expect(html).to.include('Méta-description');
    expect(html).to.include(escaped(seo.suggestions.slug.value));
    expect(html).to.include(`${fr(seo.suggestions.title.length)} caractères (cible : 30 à 60)`);
    // The article's nine section headings, in order.
    expect(seo.headings.outline).to.have.length(9);
    expect(html).to.include(escaped(seo.headings.outline[0].text));
    expect(html).to.include('Kandel et Moles');
    expect(seo.readability.words).to.be.greaterThan(1000);
    // Figures with sources (the vote counts, the Assemblée's site) and named entities are found in real text.
    expect(seo.geo.statistics.count).to.be.at.least(2);
    expect(seo.geo.entities.named).to.include('François Hollande');
    // The JSON-LD of the blog, escaped for a <script>, in a <details> with a copy button.
    expect(html).to.include('<details class="analysis-jsonld">');
    expect(html).to.include('Types : Article, LocalBusiness');
    expect(html).to.include(escaped('<script type="application/ld+json">'));
    expect(html).to.include('data-analysis-copy="analysis-jsonld"');
    expect(html).to.include(escaped(`"name": "${dna.identity!.name}"`));
  });

  it('blog in English: Flesch for an English article (GitLab blog, corpus)', async () => {
    const article = corpusArticle('readability-gitlab-blog');
    const res = await analyse(owner, { channel: 'blog', locale: 'en', title: article.title, body: article.body, targetKeyword: 'DevSecOps' });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('data-formula="flesch"');
    expect(res.text).to.include('<dd>Flesch</dd>');
  });

  it('an empty body is not an error: the panel shows the "empty" issue', async () => {
    const res = await analyse(owner, { channel: 'facebook', body: '' });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('data-code="studio.channelRules.empty"');
    expect(res.text).to.include('Le texte est vide.');
  });

  it('422 with the channel rules’ message for an unknown channel, inside the panel', async () => {
    const res = await analyse(owner, { channel: 'fax', body: 'Bonjour' });
    expect(res.status).to.equal(422);
    expect(res.text.trimStart()).to.match(/^<section id="analysis"/);
    expect(res.text).to.include(escaped('Canal inconnu : « fax ».'));
    const none = await analyse(owner, { body: 'Bonjour' });
    expect(none.status).to.equal(422);
    expect(none.text).to.include('Indiquez le canal du contenu.');
  });

  it('422 with a clear message for a body over 100 000 characters', async () => {
    const body = 'Du pain. '.repeat(11_200);
    expect(body.length).to.be.greaterThan(100_000);
    const res = await analyse(owner, { channel: 'blog', title: 'Pain', body });
    expect(res.status).to.equal(422);
    expect(res.text).to.include(escaped(`Le texte fait ${fr(body.length)} caractères : l’analyse s’arrête à ${fr(100_000)}.`));
    // Exactly 100 000 is still analysed.
    const limit = await analyse(owner, { channel: 'blog', title: 'Pain', body: body.slice(0, 100_000) });
    expect(limit.status).to.equal(200);
  });

  it('422 for a field sent twice', async () => {
    const res = await owner.agent
      .post('/app/studio/analysis')
      .set('HX-Request', 'true')
      .set('X-CSRF-Token', owner.csrf)
      .type('form')
      .send('channel=blog&title=A&title=B&body=x');
    expect(res.status).to.equal(422);
    expect(res.text).to.include(escaped('Le champ « Titre » n’est pas valide.'));
  });

  it('needs content.write: a viewer gets 403, an editor the panel; anonymous visitors go to the login page', async () => {
    const viewer = await addTeamMember(testEnv().app, owner, 'client_viewer');
    expect((await analyse(viewer, { channel: 'linkedin', body: 'Bonjour' })).status).to.equal(403);
    const editor = await addTeamMember(testEnv().app, owner, 'client_editor');
    const ok = await analyse(editor, { channel: 'linkedin', body: 'Bonjour Lyon' });
    expect(ok.status).to.equal(200);
    expect(ok.text).to.include('Règles du canal : LinkedIn');
    const anonymous = await supertest(testEnv().app).post('/app/studio/analysis').set('HX-Request', 'true').type('form').send({ channel: 'sms', body: 'x' });
    expect(anonymous.status).to.be.oneOf([401, 403]);
  });

  it('refuses a post without the CSRF token', async () => {
    const res = await owner.agent.post('/app/studio/analysis').set('HX-Request', 'true').type('form').send({ channel: 'sms', body: 'x' });
    expect(res.status).to.equal(403);
  });
});
