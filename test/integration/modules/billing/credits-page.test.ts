import { expect } from 'chai';
import supertest from 'supertest';
import { testEnv } from '../../../support/root-hooks.js';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs } from '../../../support/http.js';
import { addTeamMember } from '../../../support/team.js';

async function tenantId(slug: string): Promise<string> {
  const { database } = testEnv().container.cradle;
  return (await database.asPlatform((trx) => trx('tenants').where({ slug }).first('id'))).id;
}

function tileValue(html: string, id: string): number {
  const match = new RegExp(`id="${id}"><span class="tile-value" data-value="(-?\\d+)"`).exec(html);
  if (!match) throw new Error(`no tile ${id}`);
  return Number(match[1]);
}

describe('Credits page (/app/credits)', () => {
  it('shows the demo owner, in French, the balance, reserved credits, period, monthly grant and the history', async () => {
    const { app, container } = testEnv();
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const res = await owner.agent.get('/app/credits');
    expect(res.status).to.equal(200);
    const id = await tenantId('boulangerie-martin');
    const balance = await container.cradle.creditService.balance(id);
    const [latest] = await container.cradle.creditService.history(id, { limit: 1 });
    expect(res.text).to.include('<h1>Crédits IA</h1>');
    expect(res.text).to.include('href="/app/credits" aria-current="page"');
    expect(tileValue(res.text, 'credits-available')).to.equal(balance.available);
    expect(tileValue(res.text, 'credits-reserved')).to.equal(balance.reserved);
    expect(tileValue(res.text, 'credits-grant')).to.equal(4000);
    expect(res.text).to.include('Crédits mensuels du forfait Growth');
    expect(res.text).to.include('Période en cours');
    expect(res.text).to.include(new Date(balance.periodStart!).toLocaleDateString('fr'));
    expect(res.text).to.include('Historique de consommation');
    expect(res.text).to.include(`id="entry-${latest.id}"`);
  });

  it('shows the demo grant in the history of a workspace, and each workspace only its own', async () => {
    const { app, container } = testEnv();
    const owner2 = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password);
    const res = await owner2.agent.get('/app/credits');
    expect(res.status).to.equal(200);
    const id2 = await tenantId('velo-atelier-nantes');
    const id1 = await tenantId('boulangerie-martin');
    const own = await container.cradle.creditService.history(id2, { limit: 50 });
    const foreign = await container.cradle.creditService.history(id1, { limit: 50 });
    expect(own.some((e) => e.kind === 'grant')).to.equal(true);
    expect(res.text).to.include('Forfait Starter');
    expect(res.text).to.include('Crédits du mois');
    for (const e of foreign) expect(res.text).to.not.include(`entry-${e.id}`);
  });

  it('is open (read-only) to a viewer, in their language, and answers HTMX with the history fragment', async () => {
    const app = testEnv().app;
    const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    const viewer = await addTeamMember(app, owner, 'client_viewer');
    const page = await viewer.agent.get('/app/credits');
    expect(page.status).to.equal(200);
    expect(page.text).to.not.match(/<form[^>]+action="\/app\/credits/);
    const fragment = await viewer.agent.get('/app/credits').set('HX-Request', 'true');
    expect(fragment.text.trimStart()).to.match(/^<section id="history"/);
    await viewer.agent.post('/locale').type('form').send({ locale: 'en', back: '/app/credits', _csrf: viewer.csrf });
    const english = await viewer.agent.get('/app/credits');
    expect(english.text).to.include('<h1>AI credits</h1>');
    expect(english.text).to.include('Usage history');
  });

  it('pages the history with ?before, and a malformed cursor is not found', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const id = await tenantId('boulangerie-martin');
    const [latest] = await testEnv().container.cradle.creditService.history(id, { limit: 1 });
    const older = await owner.agent.get(`/app/credits?before=${latest.id}`);
    expect(older.status).to.equal(200);
    expect(older.text).to.not.include(`id="entry-${latest.id}"`);
    expect((await owner.agent.get('/app/credits?before=nope')).status).to.equal(404);
  });

  it('sends anonymous visitors to the login page', async () => {
    const res = await supertest(testEnv().app).get('/app/credits');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?next=%2Fapp%2Fcredits');
  });
});
