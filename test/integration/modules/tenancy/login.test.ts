import { asValue } from 'awilix';
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../../../src/app.js';
import { buildContainer } from '../../../../src/container.js';
import { Database } from '../../../../src/adapters/db/database.js';
import { createKnex } from '../../../../src/adapters/db/knex.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';
import { csrfOf, DEMO_OWNER, loginAs, SUPER_ADMIN } from '../../../support/http.js';

describe('Login', () => {
  it('shows the demo accounts on the login page in demo mode, in French by default', async () => {
    const res = await supertest(testEnv().app).get('/login');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('<html lang="fr">');
    expect(res.text).to.include('Comptes de démonstration');
    expect(res.text).to.include('demo@cadence.test');
    expect(res.text).to.include('admin@cadence.test');
  });

  it('lands the client owner on /app and the super admin on /admin', async () => {
    const agent = supertest.agent(testEnv().app);
    const csrf = await csrfOf(agent);
    const owner = await agent.post('/login').type('form').send({ ...DEMO_OWNER, _csrf: csrf });
    expect(owner.status).to.equal(303);
    expect(owner.headers.location).to.equal('/app');
    const page = await agent.get('/app');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Boulangerie Martin');

    const admin = supertest.agent(testEnv().app);
    const adminCsrf = await csrfOf(admin);
    const res = await admin.post('/login').type('form').send({ ...SUPER_ADMIN, _csrf: adminCsrf });
    expect(res.headers.location).to.equal('/admin');
  });

  it('refuses a wrong password with a message in the user language and keeps the typed email', async () => {
    const agent = supertest.agent(testEnv().app);
    const csrf = await csrfOf(agent);
    const res = await agent.post('/login').type('form').send({ email: 'demo@cadence.test', password: 'nope', _csrf: csrf });
    expect(res.status).to.equal(401);
    expect(res.text).to.include('E-mail ou mot de passe incorrect.');
    expect(res.text).to.include('value="demo@cadence.test"');
  });

  it('validates the form at the edge (empty and malformed email)', async () => {
    const agent = supertest.agent(testEnv().app);
    const csrf = await csrfOf(agent);
    const res = await agent.post('/login').type('form').send({ email: 'not-an-email', password: '', _csrf: csrf });
    expect(res.status).to.equal(422);
    expect(res.text).to.include("Cette adresse e-mail n&#39;est pas valide.");
    expect(res.text).to.include('Saisissez votre mot de passe.');
    expect(res.text).to.include('value="not-an-email"');
  });

  it('rejects a POST without a CSRF token, and an HTMX request with a wrong header', async () => {
    const agent = supertest.agent(testEnv().app);
    await csrfOf(agent);
    const res = await agent.post('/login').type('form').send(DEMO_OWNER);
    expect(res.status).to.equal(403);
    const { agent: logged } = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const htmx = await logged.post('/app/team/invitations').set('HX-Request', 'true').set('X-CSRF-Token', 'forged').type('form').send({ email: 'x@example.com', role: 'client_viewer' });
    expect(htmx.status).to.equal(403);
  });

  it('accepts the token as X-CSRF-Token header (HTMX)', async () => {
    const { agent, csrf } = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const res = await agent.post('/locale').set('HX-Request', 'true').set('X-CSRF-Token', csrf).type('form').send({ locale: 'fr', back: '/app' });
    expect(res.status).to.equal(204);
    expect(res.headers['hx-redirect']).to.equal('/app');
  });

  it('logs out and ends the session', async () => {
    const { agent, csrf } = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const out = await agent.post('/logout').type('form').send({ _csrf: csrf });
    expect(out.status).to.equal(303);
    const after = await agent.get('/app');
    expect(after.status).to.equal(303);
    expect(after.headers.location).to.match(/^\/login/);
  });

  it('stores sessions in PostgreSQL', async () => {
    await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const { knex } = testEnv().container.cradle;
    const row = await knex('sessions').whereNotNull('userId').first();
    expect(row).to.exist;
  });

  it('sends secure headers', async () => {
    const res = await supertest(testEnv().app).get('/login');
    expect(res.headers['content-security-policy']).to.include("default-src 'self'");
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
    expect(res.headers['x-powered-by']).to.equal(undefined);
    expect(res.headers['set-cookie']?.[0] ?? '').to.include('HttpOnly');
  });
});

describe('Login rate limit', () => {
  it('blocks an address after too many failed attempts on one account, with a clear message', async () => {
    const container = buildContainer(testConfig({ LOGIN_RATE_LIMIT: '3' }), testEnv().db);
    try {
      const app = createApp(container.cradle);
      const agent = supertest.agent(app);
      const csrf = await csrfOf(agent);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await agent.post('/login').type('form').send({ email: 'demo@cadence.test', password: `wrong-${i}`, _csrf: csrf });
        statuses.push(res.status);
        if (res.status === 429) expect(res.text).to.include('Trop de tentatives');
      }
      expect(statuses).to.deep.equal([401, 401, 401, 429, 429]);
      const right = await agent.post('/login').type('form').send({ ...DEMO_OWNER, _csrf: csrf });
      expect(right.status).to.equal(429);
    } finally {
      await container.dispose();
    }
  });
});

describe('Health when the database is down', () => {
  it('answers 503', async () => {
    const dead = createKnex({ url: 'postgres://nobody@127.0.0.1:1/none', poolMax: 1, asAppRole: false });
    const container = buildContainer(testConfig(), testEnv().db, { database: asValue(new Database(dead, 'postgres')) });
    try {
      const res = await supertest(createApp(container.cradle)).get('/healthz');
      expect(res.status).to.equal(503);
      expect(res.body.status).to.equal('unavailable');
    } finally {
      await dead.destroy();
      await container.dispose();
    }
  });
});
