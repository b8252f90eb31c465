import { expect } from 'chai';
import { DEMO_OWNER, DEMO_OWNER_2, loginAs, SUPER_ADMIN, type Agent } from '../../../../support/http.js';
import { testEnv } from '../../../../support/root-hooks.js';
import { addTeamMember } from '../../../../support/team.js';

/** The fragment's line for one connector: its status and whether the platform serves it. */
function lineOf(html: string, code: string): { status: string; available: string; text: string } {
  const match = new RegExp(`<li data-connector="${code}" data-status="(\\w+)" data-available="(\\w+)">([\\s\\S]*?)</li>`).exec(html);
  if (!match) throw new Error(`no line for ${code}`);
  return { status: match[1], available: match[2], text: match[3].replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim() };
}

describe('Client: the connectors its plan includes', () => {
  let admin: { agent: Agent; csrf: string };
  let owner: { agent: Agent; csrf: string };
  let owner2: { agent: Agent; csrf: string };
  let starter: { id: string; connectors: { connectorCode: string; inclusion: string; addonPriceCents: number; currency: string }[] };
  const created: string[] = [];

  before(async () => {
    const { app, container } = testEnv();
    admin = await loginAs(app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password); // Boulangerie Martin, Growth
    owner2 = await loginAs(app, DEMO_OWNER_2.email, DEMO_OWNER_2.password); // Atelier Vélo, Starter
    starter = await container.cradle.database.asPlatform(async (trx) => {
      const plan = await trx('plans').where({ code: 'starter' }).first('id');
      const connectors = await trx('planConnectors').where({ planId: plan.id }).select('connectorCode', 'inclusion', 'addonPriceCents', 'currency');
      return { id: plan.id, connectors };
    });
  });

  after(async () => {
    await testEnv().container.cradle.database.asPlatform(async (trx) => {
      await trx('planConnectors').where({ planId: starter.id }).delete();
      await trx('planConnectors').insert(starter.connectors.map((c) => ({ ...c, planId: starter.id })));
      if (created.length) await trx('platformConnectors').whereIn('id', created).delete();
    });
  });

  it('lists what the plan includes, per tenant', async () => {
    const growth = await owner.agent.get('/app/channels/plan').set('HX-Request', 'true');
    expect(growth.status).to.equal(200);
    expect(growth.text).not.to.include('<html'); // the fragment alone
    expect(lineOf(growth.text, 'x').status).to.equal('included');
    expect(lineOf(growth.text, 'sms').status).to.equal('notIncluded');
    expect(lineOf(growth.text, 'sms').text).to.include('SMS — non inclus dans votre offre');

    const starterPage = await owner2.agent.get('/app/channels/plan').set('HX-Request', 'true');
    expect(lineOf(starterPage.text, 'x').status).to.equal('notIncluded');
    expect(lineOf(starterPage.text, 'linkedin').status).to.equal('included');
    expect(starterPage.text).to.include('Starter');
    expect(starterPage.text).not.to.include('Growth');

    // without HTMX: the whole page
    const full = await owner.agent.get('/app/channels/plan');
    expect(full.text).to.include('<html');
    expect(full.text).to.include('id="plan-connectors"');
  });

  it('follows the super admin’s plan connectors, for that plan only', async () => {
    const res = await admin.agent
      .post(`/admin/connectors/plans/${starter.id}`)
      .type('form')
      .send({ codes: ['linkedin', 'facebook', 'instagram', 'google_business', 'sms'], _csrf: admin.csrf });
    expect(res.status).to.equal(303);
    const rows = await testEnv().container.cradle.database.asPlatform((trx) => trx('planConnectors').where({ planId: starter.id }));
    const codes = rows.map((r: { connectorCode: string }) => r.connectorCode);
    expect(codes).to.include('sms');
    // codes this page does not manage are left alone
    expect(codes).to.include.members(['wordpress', 'google_analytics']);

    expect(lineOf((await owner2.agent.get('/app/channels/plan').set('HX-Request', 'true')).text, 'sms').status).to.equal('included');
    expect(lineOf((await owner.agent.get('/app/channels/plan').set('HX-Request', 'true')).text, 'sms').status).to.equal('notIncluded');

    // unticking removes it
    await admin.agent.post(`/admin/connectors/plans/${starter.id}`).type('form').send({ codes: ['linkedin'], _csrf: admin.csrf });
    const after = await owner2.agent.get('/app/channels/plan').set('HX-Request', 'true');
    expect(lineOf(after.text, 'sms').status).to.equal('notIncluded');
    expect(lineOf(after.text, 'facebook').status).to.equal('notIncluded');
    expect(lineOf(after.text, 'linkedin').status).to.equal('included');

    const unknown = await admin.agent.post(`/admin/connectors/plans/${starter.id}`).type('form').send({ codes: ['fax'], _csrf: admin.csrf });
    expect(unknown.status).to.equal(303);
    const unchanged = await testEnv().container.cradle.database.asPlatform((trx) => trx('planConnectors').where({ planId: starter.id, connectorCode: 'fax' }));
    expect(unchanged).to.have.length(0);
  });

  it('says whether the platform serves an included connector (an active default exists)', async function () {
    const { database } = testEnv().container.cradle;
    const hasActiveDefault = async () =>
      Boolean(await database.asPlatform((trx) => trx('platformConnectors').where({ kind: 'instagram', active: true, isDefault: true }).whereNull('distributorId').first('id')));
    if (await hasActiveDefault()) this.skip(); // another suite left one: the 'not yet' half cannot be shown
    const before = lineOf((await owner.agent.get('/app/channels/plan').set('HX-Request', 'true')).text, 'instagram');
    expect(before).to.deep.include({ status: 'included', available: 'no' });
    expect(before.text).to.include('inclus, bientôt disponible');

    const res = await admin.agent
      .post('/admin/connectors')
      .type('form')
      .send({ kind: 'instagram', name: 'Instagram plan test', clientId: 'ig-app', clientSecret: 'ig-secret-000000000', active: 'on', _csrf: admin.csrf });
    expect(res.status).to.equal(303);
    const [row] = await database.asPlatform((trx) => trx('platformConnectors').where({ name: 'Instagram plan test' }));
    created.push(row.id);
    await admin.agent.post(`/admin/connectors/${row.id}/default`).type('form').send({ _csrf: admin.csrf });

    const now = lineOf((await owner.agent.get('/app/channels/plan').set('HX-Request', 'true')).text, 'instagram');
    expect(now).to.deep.include({ status: 'included', available: 'yes' });
    expect(now.text).to.include('Instagram — inclus, disponible');
  });

  it('is open to every member who may view the workspace, and to nobody logged out', async () => {
    const viewer = await addTeamMember(testEnv().app, owner, 'client_viewer');
    const res = await viewer.agent.get('/app/channels/plan').set('HX-Request', 'true');
    expect(res.status).to.equal(200);
    expect(lineOf(res.text, 'x').status).to.equal('included');
    const anonymous = await (await import('supertest')).default(testEnv().app).get('/app/channels/plan');
    expect(anonymous.status).to.be.oneOf([302, 303, 401]);
  });
});
