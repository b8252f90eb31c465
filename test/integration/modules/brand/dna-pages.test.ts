import { expect } from 'chai';
import type { Express } from 'express';
import type { Cradle } from '../../../../src/container.js';
import type { BrandCradle } from '../../../../src/modules/brand/index.js';
import { MANUAL_SOURCE } from '../../../../src/modules/brand/domain.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import { addTeamMember } from '../../../support/team.js';
import { createTenant } from '../../../support/tenants.js';

async function tenantIdOf(cradle: Cradle, slug: string): Promise<string> {
  return (await cradle.database.asPlatform((trx) => trx('tenants').where({ slug }).first('id'))).id;
}

/** The complete edit form as a browser posts it (every field, blank rows included). */
function editForm(csrf: string, baseVersion: number | '', overrides: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    _csrf: csrf,
    baseVersion: String(baseVersion),
    'identity.name': 'Boulangerie Martin',
    'identity.tagline': 'Le pain du quartier',
    'identity.description': '',
    'identity.mission': 'Du pain au levain, cuit chaque matin.',
    'identity.story': '',
    'identity.city': 'Lyon',
    'identity.founded': '1998',
    values: 'Artisanat\nProximité',
    'offers.name': ['Pain de campagne', 'Croissant', ''],
    'offers.description': ['Au levain naturel', '', ''],
    'offers.price': ['4,20', '1,30', ''],
    'offers.currency': ['EUR', 'EUR', 'EUR'],
    'offers.unit': ['la pièce', '', ''],
    'offers.url': ['', '', ''],
    'audiences.name': ['Familles du quartier', ''],
    'audiences.description': ['', ''],
    'audiences.needs': ['Pain frais le matin\nProduits locaux', ''],
    'audiences.channels': ['Instagram', ''],
    'tone.summary': 'Chaleureux et simple',
    'tone.do': 'Tutoyer',
    'tone.dont': 'Jargon',
    'tone.examples': '',
    'vocabulary.preferred': 'levain',
    'vocabulary.banned': 'industriel',
    bannedClaims: 'Le meilleur pain de France',
    'visual.colors': '#8B4513\nCrème',
    'visual.fonts': '',
    'visual.imageStyle': '',
    'competitors.name': ['Paul', ''],
    'competitors.website': ['www.paul.fr', ''],
    'seo.keywords': 'boulangerie lyon',
    'seo.localZone.city': 'Lyon',
    'seo.localZone.radiusKm': '5',
    'seo.localZone.areas': 'Croix-Rousse',
    'channels.instagram.used': '1',
    'channels.instagram.handle': '@boulangerie.martin',
    'channels.instagram.url': '',
    'legal.companyName': 'Martin SARL',
    'legal.legalForm': 'SARL',
    'legal.siret': '',
    'legal.address': '',
    'legal.mentions': '',
    ...overrides,
  };
}

describe('Brand DNA pages', function () {
  this.timeout(60_000);
  let app: Express;
  let cradle: Cradle & BrandCradle;
  let owner: { agent: Agent; csrf: string };
  let tenantId: string;

  before(async () => {
    const env = testEnv();
    cradle = env.container.cradle;
    app = env.app;
    owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    tenantId = await tenantIdOf(cradle, 'boulangerie-martin');
  });

  it('the owner edits the DNA in the form: a new version with manual provenance, shown on the overview', async () => {
    const before = await cradle.dnaService.current(tenantId);
    const form = await owner.agent.get('/app/brand/dna/edit');
    expect(form.status).to.equal(200);
    expect(form.text).to.include('name="offers.name"').and.to.include('name="_csrf"');

    const res = await owner.agent.post('/app/brand/dna/edit').type('form').send(editForm(owner.csrf, before?.version ?? ''));
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/app/brand');
    const after = (await cradle.dnaService.current(tenantId))!;
    expect(after.version).to.equal((before?.version ?? 0) + 1);
    expect(after.reason).to.equal('edit');
    expect(after.content.offers).to.deep.equal([
      { name: 'Pain de campagne', description: 'Au levain naturel', price: { amountCents: 420, currency: 'EUR', unit: 'la pièce' } },
      { name: 'Croissant', price: { amountCents: 130, currency: 'EUR' } },
    ]);
    expect(after.content.competitors).to.deep.equal([{ name: 'Paul', website: 'https://www.paul.fr' }]);
    expect(after.sources.offers).to.deep.equal([MANUAL_SOURCE]);

    const page = await owner.agent.get('/app/brand');
    expect(page.status).to.equal(200);
    expect(page.text).to.include(`Version actuelle : ${after.version}`);
    expect(page.text).to.include('Pain de campagne').and.to.include('4,20').and.to.include('Source : saisie manuelle');
    expect(page.text).to.include('ADN de marque enregistré');
    expect(page.text).to.include('href="/app/brand/dna/edit"');
  });

  it('an invalid edit answers 422 with everything typed kept and no new version', async () => {
    const before = (await cradle.dnaService.current(tenantId))?.version ?? null;
    const res = await owner.agent
      .post('/app/brand/dna/edit')
      .type('form')
      .send(
        editForm(owner.csrf, before ?? '', {
          'identity.name': 'Boulangerie <Martin> & "Fils"',
          'identity.founded': 'l’an dernier',
          'offers.name': ['Pain de campagne', '', ''],
          'offers.price': ['4,20', '9,90', ''],
          'competitors.website': ['pas un site', ''],
          'tone.do': 'Tutoyer\nSourire',
        }),
      );
    expect(res.status).to.equal(422);
    expect(res.text).to.include('value="Boulangerie &lt;Martin&gt; &amp; &quot;Fils&quot;"');
    expect(res.text).to.include('value="l’an dernier"');
    expect(res.text).to.include('value="9,90"');
    expect(res.text).to.include('value="pas un site"');
    expect(res.text).to.include('Tutoyer\nSourire</textarea>');
    expect(res.text).to.include('Année invalide');
    expect(res.text).to.include('Ce champ est obligatoire.');
    expect(res.text).to.include('aria-invalid="true"');
    expect(res.text).to.include('Adresse web invalide');
    expect((await cradle.dnaService.current(tenantId))?.version ?? null).to.equal(before);
  });

  it('a stale form (someone saved meanwhile) is refused with what was typed kept', async () => {
    const current = (await cradle.dnaService.current(tenantId))!;
    const res = await owner.agent.post('/app/brand/dna/edit').type('form').send(editForm(owner.csrf, current.version - 1, { 'identity.tagline': 'Slogan concurrent' }));
    expect(res.status).to.equal(409);
    expect(res.text).to.include('value="Slogan concurrent"');
    expect(res.text).to.include('modifié entre-temps');
    expect(res.text).to.include(`name="baseVersion" value="${current.version}"`);
    expect((await cradle.dnaService.current(tenantId))!.version).to.equal(current.version);
  });

  it('adds a blank sub-form row through HTMX', async () => {
    const res = await owner.agent.get('/app/brand/dna/edit/rows/offers?index=3').set('HX-Request', 'true');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('id="dna-offers-3-name"').and.to.include('hx-get="/app/brand/dna/edit/rows/offers?index=4"');
    expect((await owner.agent.get('/app/brand/dna/edit/rows/nope')).status).to.equal(404);
  });

  it('lists versions, compares two of them with labelled additions and removals, and restores after confirmation', async () => {
    const base = (await cradle.dnaService.current(tenantId))!;
    const user = (await cradle.database.asPlatform((trx) => trx('users').where({ email: DEMO_OWNER.email }).first('id'))).id;
    const edited = await cradle.dnaService.edit(tenantId, user, { values: ['Artisanat', 'Bio'] });
    const v2 = edited.snapshot!.version;

    const list = await owner.agent.get('/app/brand/dna/versions');
    expect(list.status).to.equal(200);
    expect(list.text).to.include(`id="version-${v2}"`).and.to.include(`href="/app/brand/dna/${base.version}/restore"`);

    const compare = await owner.agent.get(`/app/brand/dna/compare?a=${base.version}&b=${v2}`);
    expect(compare.status).to.equal(200);
    expect(compare.text).to.match(/<li class="diff-added"[^>]*>\s*<span class="diff-tag">Ajouté<\/span>/);
    expect(compare.text).to.match(/<li class="diff-removed"[^>]*>\s*<span class="diff-tag">Supprimé<\/span>/);
    expect(compare.text).to.include('<ins>Bio</ins>').and.to.include('<del>Proximité</del>');

    const confirm = await owner.agent.get(`/app/brand/dna/${base.version}/restore`);
    expect(confirm.status).to.equal(200);
    expect(confirm.text).to.include(`action="/app/brand/dna/${base.version}/restore"`).and.to.include('<ins>Proximité</ins>');

    const restored = await owner.agent.post(`/app/brand/dna/${base.version}/restore`).type('form').send({ _csrf: owner.csrf });
    expect(restored.status).to.equal(303);
    const now = (await cradle.dnaService.current(tenantId))!;
    expect(now).to.include({ version: v2 + 1, reason: 'restore', restoredFromVersion: base.version });
    expect(now.content).to.deep.equal(base.content);

    const show = await owner.agent.get(`/app/brand/dna/${base.version}`);
    expect(show.status).to.equal(200);
    expect(show.text).to.include(`ADN de marque — version ${base.version}`).and.to.include('lecture seule');
  });

  it('a viewer sees the DNA and its history but cannot edit or restore (403)', async () => {
    const viewer = await addTeamMember(app, owner, 'client_viewer');
    expect((await viewer.agent.get('/app/brand')).status).to.equal(200);
    const overview = await viewer.agent.get('/app/brand');
    expect(overview.text).to.not.include('href="/app/brand/dna/edit"');
    expect((await viewer.agent.get('/app/brand/dna/versions')).status).to.equal(200);
    const current = (await cradle.dnaService.current(tenantId))!;
    expect((await viewer.agent.get(`/app/brand/dna/${current.version}`)).status).to.equal(200);
    expect((await viewer.agent.get('/app/brand/dna/edit')).status).to.equal(403);
    expect((await viewer.agent.post('/app/brand/dna/edit').type('form').send(editForm(viewer.csrf, current.version, { 'identity.name': 'Piraté' }))).status).to.equal(403);
    expect((await viewer.agent.get('/app/brand/dna/1/restore')).status).to.equal(403);
    expect((await viewer.agent.post('/app/brand/dna/1/restore').type('form').send({ _csrf: viewer.csrf })).status).to.equal(403);
    expect((await cradle.dnaService.current(tenantId))!.version).to.equal(current.version);
  });

  it("another tenant's version is not found, nor is a malformed version", async () => {
    const otherTenant = await tenantIdOf(cradle, 'velo-atelier-nantes');
    const mine = (await cradle.dnaService.current(tenantId))?.version ?? 0;
    let theirs = (await cradle.dnaService.current(otherTenant))?.version ?? 0;
    while (theirs <= mine) {
      theirs = (await cradle.dnaService.createSnapshot(otherTenant, { content: { identity: { name: `Atelier ${theirs + 1}` } }, reason: 'edit' })).version;
    }
    expect((await owner.agent.get(`/app/brand/dna/${theirs}`)).status).to.equal(404);
    expect((await owner.agent.get(`/app/brand/dna/${theirs}/restore`)).status).to.equal(404);
    expect((await owner.agent.post(`/app/brand/dna/${theirs}/restore`).type('form').send({ _csrf: owner.csrf })).status).to.equal(404);
    expect((await owner.agent.get(`/app/brand/dna/compare?a=1&b=${theirs}`)).status).to.equal(404);
    for (const bad of ['0', 'abc', '1e3', '-1', '99999999999']) expect((await owner.agent.get(`/app/brand/dna/${bad}`)).status).to.equal(404);
    const other = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const page = await other.agent.get(`/app/brand/dna/${theirs}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include(`Atelier ${theirs}`);
  });

  it('shows the way in when there is no DNA yet; English too', async () => {
    const tenant = await createTenant(cradle.database, { name: 'Nouvelle Boutique' });
    const email = `owner-${tenant.slug}@example.com`;
    const user = await cradle.userRepository.create({ email, name: 'Nouvelle Propriétaire', passwordHash: await cradle.passwordHasher.hash('correct horse battery'), locale: 'fr' });
    await cradle.membershipRepository.addToTenant(tenant.id, user.id, 'client_owner');
    const fresh = await loginAs(app, email, 'correct horse battery');
    const page = await fresh.agent.get('/app/brand');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('id="dna-none"').and.to.include('href="/app/brand/onboarding"').and.to.include('Remplir moi-même');
    expect((await fresh.agent.get('/app/brand/dna/versions')).text).to.include('Aucune version');

    await fresh.agent.post('/locale').type('form').send({ locale: 'en', _csrf: fresh.csrf });
    await fresh.agent.post('/app/brand/dna/edit').type('form').send({ _csrf: fresh.csrf, baseVersion: '', 'identity.name': 'New Shop', values: 'Care' });
    const english = await fresh.agent.get('/app/brand');
    expect(english.text).to.include('Current version: 1').and.to.include('New Shop').and.to.include('Source: entered by hand');
    expect(english.text).to.include('Not filled in.');
  });
});
