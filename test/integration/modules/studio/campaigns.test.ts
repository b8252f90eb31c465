import { expect } from 'chai';
import type { TFunction } from 'i18next';
import { utmSlug } from '../../../../src/modules/studio/campaign-service.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, type Agent } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';
import { freshTenantOwner, html, suiteApp, type StudioTestApp } from './editor-support.js';

describe('Studio campaigns', function () {
  this.timeout(60_000);
  let s: StudioTestApp;
  let fr: TFunction;

  before(() => {
    s = suiteApp();
    fr = s.cradle.i18n.getFixedT('fr');
  });

  after(() => s.dispose());

  const post = (session: { agent: Agent; csrf: string }, fields: Record<string, string>) =>
    session.agent.post('/app/studio/campaigns').type('form').send({ _csrf: session.csrf, ...fields });

  it('derives the utm_campaign slug from the name: lowercase ASCII, accents folded, words joined by hyphens', () => {
    expect(utmSlug('Fête des Mères 2027 !')).to.equal('fete-des-meres-2027');
    expect(utmSlug('  Œufs & Crème — Été ')).to.equal('oeufs-creme-ete');
    expect(utmSlug('🎉🎉')).to.equal('');
    expect(utmSlug('a'.repeat(120))).to.have.length(80);
  });

  it('lists the tenant’s campaigns and creates one, its utm slug unique in the tenant', async () => {
    const owner = await freshTenantOwner(s.cradle, s.app);
    const empty = await owner.agent.get('/app/studio/campaigns');
    expect(empty.status).to.equal(200);
    expect(empty.text).to.include(html(fr('studio.campaigns.empty')));

    const res = await post(owner, { name: 'Fête des Mères', objective: 'Vendre des entremets', startsOn: '2027-05-20', endsOn: '2027-05-30', status: 'active', color: '#C2410C' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/app/studio/campaigns');
    const again = await post(owner, { name: 'Fête des mères', startsOn: '', endsOn: '', status: 'draft', color: '#3a3fd8' }).set('HX-Request', 'true');
    expect(again.status).to.equal(201);
    expect(again.text.trimStart()).to.match(/^<div id="campaigns">/);
    expect(again.text).to.include(html(fr('studio.campaigns.created', { name: 'Fête des mères', utm: 'fete-des-meres-2' })));

    const rows = await s.cradle.database.forTenant(owner.tenantId, (trx) =>
      trx('campaigns').where({ tenantId: owner.tenantId }).orderBy('createdAt').select('name', 'utmCampaign', 'status', 'color', 'objective', 'createdBy'),
    );
    expect(rows).to.deep.equal([
      { name: 'Fête des Mères', utmCampaign: 'fete-des-meres', status: 'active', color: '#c2410c', objective: 'Vendre des entremets', createdBy: owner.userId },
      { name: 'Fête des mères', utmCampaign: 'fete-des-meres-2', status: 'draft', color: '#3a3fd8', objective: '', createdBy: owner.userId },
    ]);
    const list = await owner.agent.get('/app/studio/campaigns');
    expect(list.text).to.include('<code>fete-des-meres</code>').and.include('<code>fete-des-meres-2</code>');
    expect(list.text).to.include(html(fr('studio.campaigns.range', { from: '20 mai 2027', to: '30 mai 2027' })));

    // the new-content form offers them
    const form = await owner.agent.get('/app/studio/new');
    expect(form.text).to.include('>Fête des Mères</option>');
  });

  it('refuses a missing name, a name without letters, bad dates and colours, in French, keeping what was typed', async () => {
    const owner = await freshTenantOwner(s.cradle, s.app);
    const missing = await post(owner, { name: ' ', objective: 'Objectif gardé', startsOn: '2027-06-10', endsOn: '2027-06-01', color: 'rouge' });
    expect(missing.status).to.equal(422);
    expect(missing.text).to.include(html(fr('studio.campaigns.errors.nameRequired')));
    expect(missing.text).to.include(html(fr('studio.campaigns.errors.colorInvalid')));
    expect(missing.text).to.include('Objectif gardé</textarea>').and.include('value="2027-06-10"');
    const dates = await post(owner, { name: 'Été', startsOn: '2027-06-10', endsOn: '2027-06-01' }).set('HX-Request', 'true');
    expect(dates.status).to.equal(422);
    expect(dates.text.trimStart()).to.match(/^<div id="campaigns">/);
    expect(dates.text).to.include(html(fr('studio.campaigns.errors.endsBeforeStart')));
    const impossible = await post(owner, { name: 'Été', startsOn: '2027-02-30' });
    expect(impossible.text).to.include(html(fr('studio.campaigns.errors.dateInvalid')));
    const symbols = await post(owner, { name: '🎉 !!' });
    expect(symbols.status).to.equal(422);
    expect(symbols.text).to.include(html(fr('studio.campaigns.errors.nameNeedsLetters')));
    const count = await s.cradle.database.forTenant(owner.tenantId, (trx) => trx('campaigns').count('* as n').first());
    expect(Number(count!.n)).to.equal(0);
  });

  it('lets a viewer read the campaigns but not create one, and keeps each tenant’s to itself', async () => {
    const demo = await loginAs(s.app, DEMO_OWNER.email, DEMO_OWNER.password);
    const viewer = await addTeamMember(s.app, demo, 'client_viewer');
    const page = await viewer.agent.get('/app/studio/campaigns');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Galette des rois').and.not.include('id="campaign-form"');
    expect((await post(viewer, { name: 'Interdite' })).status).to.equal(403);

    const other = await loginAs(s.app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const theirs = await other.agent.get('/app/studio/campaigns');
    expect(theirs.text).to.not.include('Galette des rois');
  });
});
