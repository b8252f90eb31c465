import fs from 'node:fs';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { CORPUS_DIR } from '../../../../support/corpus.js';
import { DEMO_OWNER, loginAs, SUPER_ADMIN, type Agent } from '../../../../support/http.js';
import { testEnv } from '../../../../support/root-hooks.js';
import { TestSmtpServer } from '../../../../support/smtp-server.js';
import { startSocialEmulator } from '../../../../support/social-emulator/linkedin-x.js';
import { socialAdapters } from '../../../../../src/adapters/social/index.js';

const BREVO_KEY = 'xkeysib-0123456789abcdef-GOOD';
const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
const TWILIO_TOKEN = 'twilio-auth-token-0123456789-GOOD';

/** Brevo's and Twilio's account endpoints, as the connection tests call them. */
async function startVendorAccounts(): Promise<{ url: string; requests: IncomingMessage[]; close: () => Promise<void> }> {
  const requests: IncomingMessage[] = [];
  const server: Server = http.createServer((req, res) => {
    requests.push(req);
    const json = (status: number, body: object) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/v3/account') {
      return req.headers['api-key'] === BREVO_KEY ? json(200, { email: 'ops@cadence.test' }) : json(401, { code: 'unauthorized', message: 'Key not found' });
    }
    const twilio = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/.exec(req.url ?? '');
    if (req.method === 'GET' && twilio) {
      const expected = `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`;
      return twilio[1] === TWILIO_SID && req.headers.authorization === expected
        ? json(200, { sid: TWILIO_SID, status: 'active' })
        : json(401, { code: 20003, message: 'Authenticate' });
    }
    json(404, { message: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const connectorRow = (id: string) => testEnv().container.cradle.database.asPlatform((trx) => trx('platformConnectors').where({ id }).first());
const connectorsNamed = (name: string) => testEnv().container.cradle.database.asPlatform((trx) => trx('platformConnectors').where({ name }));
const secretsOf = (row: { secretsEncrypted: string }) => JSON.parse(testEnv().container.cradle.secretBox.open(row.secretsEncrypted));

describe('Super admin: platform connectors', () => {
  let admin: { agent: Agent; csrf: string };
  let vendor: Awaited<ReturnType<typeof startVendorAccounts>>;
  let smtp: TestSmtpServer;
  let before_: Map<string, { active: boolean; isDefault: boolean }>;

  /** Creates a connector through the form; returns its id. */
  async function create(kind: string, fields: Record<string, string>): Promise<string> {
    const name = fields.name ?? `Test ${kind} ${Math.random().toString(36).slice(2, 8)}`;
    const res = await admin.agent.post('/admin/connectors').type('form').send({ kind, name, active: 'on', ...fields, _csrf: admin.csrf });
    expect(res.status, res.text).to.equal(303);
    const [row] = await connectorsNamed(name);
    return row.id;
  }

  const testConnection = (id: string) => admin.agent.post(`/admin/connectors/${id}/test`).set('HX-Request', 'true').type('form').send({ _csrf: admin.csrf });

  before(async () => {
    admin = await loginAs(testEnv().app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    vendor = await startVendorAccounts();
    smtp = await TestSmtpServer.start({ auth: { user: 'cadence', pass: 'smtp-secret-password' } });
    // platform connectors are global: remember what exists, so the readers of other suites find it as it was
    const rows = await testEnv().container.cradle.database.asPlatform((trx) => trx('platformConnectors').select('id', 'active', 'isDefault'));
    before_ = new Map(rows.map((r: { id: string; active: boolean; isDefault: boolean }) => [r.id, { active: r.active, isDefault: r.isDefault }]));
  });

  after(async () => {
    await testEnv().container.cradle.database.asPlatform(async (trx) => {
      await trx('platformConnectors').whereNotIn('id', [...before_.keys()]).delete();
      for (const [id, state] of before_) await trx('platformConnectors').where({ id }).update(state);
    });
    await vendor.close();
    await smtp.close();
  });

  it('refuses anyone but the super admin (403)', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    expect((await owner.agent.get('/admin/connectors')).status).to.equal(403);
    expect((await owner.agent.get('/admin/connectors/new?kind=sms_brevo')).status).to.equal(403);
    const res = await owner.agent.post('/admin/connectors').type('form').send({ kind: 'sms_brevo', name: 'x', apiKey: 'nope-nope-nope', _csrf: owner.csrf });
    expect(res.status).to.equal(403);
  });

  it('stores the secrets encrypted, never shows them back, and keeps a secret left blank', async () => {
    const id = await create('sms_brevo', { baseUrl: vendor.url, apiKey: BREVO_KEY, webhookToken: 'brevo-webhook-token-XYZ9', sender: 'Cadence', pricePerSegment: '0,045', currency: 'eur' });
    let row = await connectorRow(id);
    expect(row.kind).to.equal('sms_brevo');
    expect(row.active).to.equal(true);
    // the shape the SMS area reads
    expect(row.settings).to.deep.equal({ baseUrl: vendor.url, sender: 'Cadence', pricePerSegmentMicros: 45_000, currency: 'EUR' });
    expect(row.secretsEncrypted).to.match(/^v1\./);
    expect(row.secretsEncrypted).not.to.include(BREVO_KEY);
    expect(JSON.stringify(row.settings)).not.to.include(BREVO_KEY);
    expect(secretsOf(row)).to.deep.equal({ apiKey: BREVO_KEY, webhookToken: 'brevo-webhook-token-XYZ9' });

    for (const page of ['/admin/connectors', `/admin/connectors/${id}/edit`]) {
      const res = await admin.agent.get(page);
      expect(res.status).to.equal(200);
      expect(res.text).not.to.include(BREVO_KEY);
      expect(res.text).not.to.include('brevo-webhook-token-XYZ9');
      expect(res.text).to.include('GOOD'); // the last 4 characters only
    }

    // blank secrets keep the stored ones
    const edit = await admin.agent
      .post(`/admin/connectors/${id}`)
      .type('form')
      .send({ name: row.name, baseUrl: vendor.url, sender: 'Cadence2', pricePerSegment: '0,05', currency: 'EUR', apiKey: '', webhookToken: '', _csrf: admin.csrf });
    expect(edit.status, edit.text).to.equal(303);
    row = await connectorRow(id);
    expect(row.settings.sender).to.equal('Cadence2');
    expect(secretsOf(row)).to.deep.equal({ apiKey: BREVO_KEY, webhookToken: 'brevo-webhook-token-XYZ9' });

    // a typed one replaces it; an optional one can be erased
    await admin.agent
      .post(`/admin/connectors/${id}`)
      .type('form')
      .send({ name: row.name, baseUrl: vendor.url, apiKey: 'xkeysib-replaced-key-0000', webhookToken: '', clear_webhookToken: 'on', _csrf: admin.csrf });
    row = await connectorRow(id);
    expect(secretsOf(row)).to.deep.equal({ apiKey: 'xkeysib-replaced-key-0000' });
  });

  it('re-renders the form with 422 and what was typed, minus the secret', async () => {
    const res = await admin.agent
      .post('/admin/connectors')
      .type('form')
      .send({ kind: 'sms_twilio', name: 'Twilio bad', accountSid: 'not-a-sid', baseUrl: 'ftp://example.com', apiKey: 'x', authToken: 'typed-token-never-echoed', _csrf: admin.csrf });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('value="not-a-sid"');
    expect(res.text).not.to.include('typed-token-never-echoed');
    expect(res.text).to.include('id="accountSid-error"');
    expect(res.text).to.include('id="baseUrl-error"');
    expect(await connectorsNamed('Twilio bad')).to.have.length(0);

    // a required secret is required on creation
    const missing = await admin.agent.post('/admin/connectors').type('form').send({ kind: 'linkedin', name: 'No secret', clientId: 'abc', _csrf: admin.csrf });
    expect(missing.status).to.equal(422);
    expect(missing.text).to.include('id="clientSecret-error"');
  });

  it('refuses base URLs that are not http(s) (corpus SSRF schemes)', async () => {
    const urls = fs
      .readFileSync(path.join(CORPUS_DIR, 'security/ssrf.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !/^https?:/i.test(l));
    expect(urls.length).to.be.greaterThan(0);
    for (const url of urls) {
      const res = await admin.agent.post('/admin/connectors').type('form').send({ kind: 'sms_brevo', name: 'SSRF scheme', baseUrl: url, apiKey: BREVO_KEY, _csrf: admin.csrf });
      expect(res.status, url).to.equal(422);
    }
    expect(await connectorsNamed('SSRF scheme')).to.have.length(0);
  });

  it('escapes a name made of an XSS payload', async () => {
    const payload = fs.readFileSync(path.join(CORPUS_DIR, 'security/xss.txt'), 'utf8').split('\n').find((l) => l.includes('<script') || l.includes('<svg'))!.slice(0, 190);
    const id = await create('stripe', { name: payload, secretKey: 'sk_test_0123456789abcdef' });
    const res = await admin.agent.get('/admin/connectors');
    expect(res.text).not.to.include(payload);
    expect(res.text).to.include(`id="connector-${id}"`);
  });

  it('tests a Brevo connection: ok with the right key, failed with a wrong one', async () => {
    const good = await create('sms_brevo', { baseUrl: vendor.url, apiKey: BREVO_KEY });
    vendor.requests.length = 0;
    const ok = await testConnection(good);
    expect(ok.status).to.equal(200);
    expect(ok.text).to.include('Connexion réussie.');
    expect(ok.text).to.include(`id="connector-${good}"`);
    expect(vendor.requests[0].url).to.equal('/v3/account');
    expect(vendor.requests[0].headers['api-key']).to.equal(BREVO_KEY);
    let row = await connectorRow(good);
    expect(row.lastTestResult).to.equal('ok');
    expect(row.lastTestedAt).to.be.an.instanceOf(Date);

    const bad = await create('sms_brevo', { baseUrl: vendor.url, apiKey: 'xkeysib-wrong-key-000000' });
    const failed = await testConnection(bad);
    expect(failed.text).to.include('La connexion a échoué.');
    expect(failed.text).to.include('HTTP 401');
    row = await connectorRow(bad);
    expect(row.lastTestResult).to.equal('failed');
    expect(row.lastTestMessage).to.include('Key not found');
    expect(row.lastTestMessage).not.to.include('xkeysib');
  });

  it('tests a Twilio connection with Basic auth', async () => {
    const good = await create('sms_twilio', { baseUrl: vendor.url, accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
    expect((await connectorRow(good)).settings).to.deep.equal({ accountSid: TWILIO_SID, baseUrl: vendor.url });
    await testConnection(good);
    expect((await connectorRow(good)).lastTestResult).to.equal('ok');

    const bad = await create('sms_twilio', { baseUrl: vendor.url, accountSid: TWILIO_SID, authToken: 'wrong-token-wrong-token' });
    await testConnection(bad);
    const row = await connectorRow(bad);
    expect(row.lastTestResult).to.equal('failed');
    expect(row.lastTestMessage).to.include('HTTP 401');

    // nothing listening: a failure that says so, not a crash
    const down = await create('sms_twilio', { baseUrl: 'http://127.0.0.1:9', accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
    const res = await testConnection(down);
    expect(res.status).to.equal(200);
    expect((await connectorRow(down)).lastTestResult).to.equal('failed');
  });

  it('tests an SMTP account against a real SMTP server (credentials checked)', async () => {
    const good = await create('smtp', { host: '127.0.0.1', port: String(smtp.port), user: 'cadence', password: 'smtp-secret-password', fromAddress: 'news@cadence.test' });
    const row = await connectorRow(good);
    expect(row.settings).to.deep.equal({ host: '127.0.0.1', port: smtp.port, secure: false, user: 'cadence', fromAddress: 'news@cadence.test' });
    const res = await testConnection(good);
    expect(res.text).to.include('Connexion réussie.');
    expect((await connectorRow(good)).lastTestResult).to.equal('ok');

    const bad = await create('smtp', { host: '127.0.0.1', port: String(smtp.port), user: 'cadence', password: 'wrong-password' });
    await testConnection(bad);
    const failed = await connectorRow(bad);
    expect(failed.lastTestResult).to.equal('failed');
    expect(failed.lastTestMessage).to.match(/535|auth/i);
    expect(smtp.messages).to.have.length(0); // a test sends nothing
  });

  it('says plainly that Stripe cannot be tested yet', async () => {
    const stripe = await create('stripe', { secretKey: 'sk_test_abcdefghijklmnop' });
    await testConnection(stripe);
    const row = await connectorRow(stripe);
    expect(row.lastTestResult).to.equal('failed');
    expect(row.lastTestMessage).to.include('not available yet');
  });

  it('tests a network’s OAuth app through its adapter (X against the emulator), or says there is none', async () => {
    const emulator = await startSocialEmulator();
    try {
      const { settings, secrets } = emulator.connector('x');
      const good = await create('x', { ...settings, clientSecret: secrets.clientSecret });
      expect((await connectorRow(good)).settings).to.deep.equal(settings);
      const ok = await testConnection(good);
      expect(ok.text).to.include('Connexion réussie.');
      expect((await connectorRow(good)).lastTestResult).to.equal('ok');

      const bad = await create('x', { ...settings, clientSecret: 'x-wrong-secret-000000' });
      await testConnection(bad);
      expect((await connectorRow(bad)).lastTestResult).to.equal('failed');
    } finally {
      await emulator.stop();
    }
    // a network without an adapter: failed, never a made-up success
    const kind = (['facebook', 'instagram', 'google_business'] as const).find((k) => !socialAdapters[k]);
    if (kind) {
      const id = await create(kind, { clientId: 'client-123', clientSecret: 'client-secret-0000001' });
      await testConnection(id);
      const row = await connectorRow(id);
      expect(row.lastTestResult).to.equal('failed');
      expect(row.lastTestMessage).to.equal('no adapter for this network yet');
    }
  });

  it('keeps one default per kind; activates, deactivates and deletes with confirmation', async () => {
    const kindRows = () => testEnv().container.cradle.database.asPlatform((trx) => trx('platformConnectors').where({ kind: 'x' }).whereNull('distributorId'));
    const hadDefault = (await kindRows()).some((r: { isDefault: boolean }) => r.isDefault);
    const first = await create('x', { clientId: 'x-one', clientSecret: 'x-secret-one-000000' });
    const second = await create('x', { clientId: 'x-two', clientSecret: 'x-secret-two-000000' });
    const defaults = (await kindRows()).filter((r: { isDefault: boolean }) => r.isDefault);
    expect(defaults).to.have.length(1);
    if (!hadDefault) expect(defaults[0].id).to.equal(first); // the first of its kind becomes the default

    await admin.agent.post(`/admin/connectors/${second}/active`).type('form').send({ active: 'false', _csrf: admin.csrf });
    expect((await connectorRow(second)).active).to.equal(false);

    const res = await admin.agent.post(`/admin/connectors/${second}/default`).type('form').send({ _csrf: admin.csrf });
    expect(res.status).to.equal(303);
    const after = await kindRows();
    expect(after.filter((r: { isDefault: boolean }) => r.isDefault).map((r: { id: string }) => r.id)).to.deep.equal([second]);
    expect((await connectorRow(second)).active).to.equal(true); // the default is the one in use

    const page = await admin.agent.get('/admin/connectors');
    expect(page.text).to.include(`hx-confirm=`);

    const del = await admin.agent.post(`/admin/connectors/${first}/delete`).type('form').send({ _csrf: admin.csrf });
    expect(del.status).to.equal(303);
    expect(await connectorRow(first)).to.equal(undefined);
  });

  it('refuses to delete a connector client accounts are connected through', async () => {
    const { database } = testEnv().container.cradle;
    const id = await create('facebook', { clientId: 'fb-app', clientSecret: 'fb-secret-0000000000' });
    const tenant = await database.asPlatform((trx) => trx('tenants').where({ slug: 'boulangerie-martin' }).first('id'));
    await database.forTenant(tenant.id, (trx) =>
      trx('channelAccounts').insert({ tenantId: tenant.id, channel: 'facebook', platformConnectorId: id, externalAccountId: `fb-${id}`, displayName: 'Page test' }),
    );
    try {
      const res = await admin.agent.post(`/admin/connectors/${id}/delete`).type('form').send({ _csrf: admin.csrf });
      expect(res.status).to.equal(303);
      expect(await connectorRow(id)).not.to.equal(undefined);
      const page = await admin.agent.get('/admin/connectors');
      expect(page.text).to.include('ne peut pas être supprimé');
    } finally {
      await database.forTenant(tenant.id, (trx) => trx('channelAccounts').where({ platformConnectorId: id }).delete());
    }
  });

  it('answers 404 for an unknown or malformed connector id', async () => {
    expect((await admin.agent.get('/admin/connectors/not-a-uuid/edit')).status).to.equal(404);
    expect((await admin.agent.get('/admin/connectors/00000000-0000-4000-8000-000000000000/edit')).status).to.equal(404);
    expect((await admin.agent.get('/admin/connectors/new?kind=fax')).status).to.equal(404);
  });
});
