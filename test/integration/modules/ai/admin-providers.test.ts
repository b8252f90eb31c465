import { expect } from 'chai';
import { anthropicModule } from '../../../support/ai-emulator/anthropic.js';
import { AiEmulator } from '../../../support/ai-emulator/server.js';
import { DEMO_OWNER, loginAs, SUPER_ADMIN, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';

const PROVIDER_STATE = ['active', 'apiKeyEncrypted', 'apiKeyLast4', 'apiKeyUpdatedAt', 'baseUrl', 'lastTestedAt', 'lastTestOk', 'lastTestError'] as const;

/** The provider rows as they were, to put them back after the tests (the database is shared by the suite). */
async function snapshotProviders(): Promise<Record<string, unknown>[]> {
  return testEnv().container.cradle.database.asPlatform((trx) => trx('ai_providers').select('id', ...PROVIDER_STATE));
}

async function restoreProviders(rows: Record<string, unknown>[]): Promise<void> {
  const { database, aiGateway } = testEnv().container.cradle;
  await database.asPlatform(async (trx) => {
    for (const { id, ...state } of rows) await trx('ai_providers').where({ id }).update(state);
  });
  aiGateway.invalidateCatalogue();
}

async function providerRow(code: string) {
  return testEnv().container.cradle.database.asPlatform((trx) => trx('ai_providers').where({ code }).first());
}

const text = (html: string) => html.replace(/\s+/g, ' ');

describe('Super admin: AI providers and keys', () => {
  let admin: { agent: Agent; csrf: string };
  let saved: Record<string, unknown>[];
  let anthropicId: string;

  before(async () => {
    saved = await snapshotProviders();
    admin = await loginAs(testEnv().app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    anthropicId = (await providerRow('anthropic')).id;
  });

  after(() => restoreProviders(saved));

  it('serves every AI admin page to the super admin, in French', async () => {
    for (const path of ['/admin/ai', '/admin/ai/models', '/admin/ai/routes', '/admin/ai/usage']) {
      const res = await admin.agent.get(path);
      expect(res.status, path).to.equal(200);
      expect(res.text, path).to.include('<html lang="fr">');
    }
    const providers = await admin.agent.get('/admin/ai');
    expect(providers.text).to.include('Fournisseurs d&#39;IA et clés');
    expect(providers.text).to.include('offline');
    expect(providers.text).to.include('Tester la connexion');
  });

  it('refuses the AI admin pages and actions to a client owner (403)', async () => {
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    for (const path of ['/admin/ai', '/admin/ai/models', '/admin/ai/routes', '/admin/ai/usage']) {
      expect((await owner.agent.get(path)).status, path).to.equal(403);
    }
    const post = await owner.agent.post(`/admin/ai/providers/${anthropicId}/key`).type('form').send({ apiKey: 'sk-ant-stolen-0000', _csrf: owner.csrf });
    expect(post.status).to.equal(403);
    expect((await providerRow('anthropic')).apiKeyEncrypted).to.equal(null);
  });

  it('stores a key encrypted at rest and shows only its last 4 characters', async () => {
    const { secretBox } = testEnv().container.cradle;
    const key = 'sk-ant-api03-Sup3rSecretKeyValue-Zx9Q';
    const res = await admin.agent.post(`/admin/ai/providers/${anthropicId}/key`).type('form').send({ apiKey: key, _csrf: admin.csrf });
    expect(res.status).to.equal(303);

    const row = await providerRow('anthropic');
    expect(row.apiKeyEncrypted).to.be.a('string').and.match(/^v1\./);
    expect(row.apiKeyEncrypted).not.to.include(key);
    expect(row.apiKeyEncrypted).not.to.include('Sup3rSecret');
    expect(row.apiKeyLast4).to.equal('Zx9Q');
    expect(secretBox.open(row.apiKeyEncrypted)).to.equal(key);

    // a tampered ciphertext does not open
    const parts = row.apiKeyEncrypted.split('.');
    const bytes = Buffer.from(parts[3], 'base64url');
    bytes[0] ^= 0xff;
    parts[3] = bytes.toString('base64url');
    expect(() => secretBox.open(parts.join('.'))).to.throw();

    const page = await admin.agent.get('/admin/ai');
    expect(page.text).to.include('clé enregistrée ••••Zx9Q');
    expect(page.text).not.to.include(key);
    expect(page.text).not.to.include('Sup3rSecret');
    // the key field is never filled back
    expect(page.text).to.match(/name="apiKey" type="password"[^>]*value=""/);
  });

  it('refuses an invalid key (422) without echoing it, and keeps the stored one', async () => {
    const before = (await providerRow('anthropic')).apiKeyEncrypted;
    const res = await admin.agent
      .post(`/admin/ai/providers/${anthropicId}/key`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ apiKey: 'short key', _csrf: admin.csrf });
    expect(res.status).to.equal(422);
    expect(res.text).to.include(`id="provider-${anthropicId}"`);
    expect(res.text).not.to.include('<html');
    expect(res.text).to.include('Clé invalide');
    expect(res.text).not.to.include('short key');
    expect((await providerRow('anthropic')).apiKeyEncrypted).to.equal(before);
  });

  it('switches a provider on and off, and validates the base URL override', async () => {
    const on = await admin.agent.post(`/admin/ai/providers/${anthropicId}/active`).set('HX-Request', 'true').type('form').send({ active: 'true', _csrf: admin.csrf });
    expect(on.status).to.equal(200);
    expect(on.text).to.include('Modification enregistrée.');
    expect(on.text).to.include('utilisable par le routage');
    expect((await providerRow('anthropic')).active).to.equal(true);

    const bad = await admin.agent.post(`/admin/ai/providers/${anthropicId}/base-url`).type('form').send({ baseUrl: 'ftp://example.com', _csrf: admin.csrf });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('Adresse invalide');
    expect(bad.text).to.include('value="ftp://example.com"');
    expect((await providerRow('anthropic')).baseUrl).to.equal(null);

    const off = await admin.agent.post(`/admin/ai/providers/${anthropicId}/active`).type('form').send({ active: 'false', _csrf: admin.csrf });
    expect(off.status).to.equal(303);
    expect((await providerRow('anthropic')).active).to.equal(false);
  });

  it('tests the connection with a tiny real call and records the outcome, in the user language', async () => {
    const emulator = await new AiEmulator([anthropicModule]).start();
    try {
      const key = 'sk-ant-emulated-key-7777';
      await admin.agent.post(`/admin/ai/providers/${anthropicId}/key`).type('form').send({ apiKey: key, _csrf: admin.csrf });
      const base = await admin.agent
        .post(`/admin/ai/providers/${anthropicId}/base-url`)
        .type('form')
        .send({ baseUrl: emulator.baseUrl('anthropic'), _csrf: admin.csrf });
      expect(base.status).to.equal(303);
      expect((await providerRow('anthropic')).baseUrl).to.equal(emulator.baseUrl('anthropic').replace(/\/+$/, ''));

      const ok = await admin.agent.post(`/admin/ai/providers/${anthropicId}/test`).set('HX-Request', 'true').type('form').send({ _csrf: admin.csrf });
      expect(ok.status).to.equal(200);
      expect(text(ok.text)).to.include('Connexion réussie');
      const sent = emulator.requestsTo('anthropic').at(-1)!;
      // the stored key, decrypted, is what the SDK sent (this SDK version sends it as a bearer token)
      expect([sent.headers['x-api-key'], sent.headers.authorization]).to.include.oneOf([key, `Bearer ${key}`]);
      expect((sent.body as { max_tokens: number }).max_tokens).to.be.at.most(16);
      let row = await providerRow('anthropic');
      expect(row.lastTestOk).to.equal(true);
      expect(row.lastTestedAt).to.be.instanceOf(Date);

      emulator.injectFault({ provider: 'anthropic' }, { status: 401 });
      const refused = await admin.agent.post(`/admin/ai/providers/${anthropicId}/test`).set('HX-Request', 'true').type('form').send({ _csrf: admin.csrf });
      expect(refused.status).to.equal(200);
      expect(text(refused.text)).to.include('La connexion a échoué : clé refusée ou compte sans crédit.');
      row = await providerRow('anthropic');
      expect(row.lastTestOk).to.equal(false);
      expect(row.lastTestError).to.match(/^auth: /);

      // without HTMX: a redirect, and the page shows the last outcome
      const plain = await admin.agent.post(`/admin/ai/providers/${anthropicId}/test`).type('form').send({ _csrf: admin.csrf });
      expect(plain.status).to.equal(303);
      const page = await admin.agent.get('/admin/ai');
      expect(text(page.text)).to.include('La connexion a échoué : clé refusée ou compte sans crédit.');
      expect(text(page.text)).to.match(/échec le [^<]+ : clé refusée/);

      // in English
      await admin.agent.post('/locale').type('form').send({ locale: 'en', back: '/admin/ai', _csrf: admin.csrf });
      const english = await admin.agent.post(`/admin/ai/providers/${anthropicId}/test`).set('HX-Request', 'true').type('form').send({ _csrf: admin.csrf });
      expect(text(english.text)).to.include('The connection failed: key refused or account out of credit.');
    } finally {
      await admin.agent.post('/locale').type('form').send({ locale: 'fr', back: '/admin/ai', _csrf: admin.csrf });
      await emulator.stop();
    }
  });

  it('removes a stored key', async () => {
    const res = await admin.agent.post(`/admin/ai/providers/${anthropicId}/key/remove`).type('form').send({ _csrf: admin.csrf });
    expect(res.status).to.equal(303);
    const row = await providerRow('anthropic');
    expect(row.apiKeyEncrypted).to.equal(null);
    expect(row.apiKeyLast4).to.equal(null);
    const page = await admin.agent.get('/admin/ai');
    expect(text(page.text)).to.include('aucune clé');
  });

  it('answers 404 for an unknown provider and 403 without the CSRF token', async () => {
    const unknown = await admin.agent.post('/admin/ai/providers/00000000-0000-4000-8000-000000000000/active').type('form').send({ active: 'true', _csrf: admin.csrf });
    expect(unknown.status).to.equal(404);
    const malformed = await admin.agent.post('/admin/ai/providers/nope/active').type('form').send({ active: 'true', _csrf: admin.csrf });
    expect(malformed.status).to.equal(404);
    const noCsrf = await admin.agent.post(`/admin/ai/providers/${anthropicId}/active`).type('form').send({ active: 'true' });
    expect(noCsrf.status).to.equal(403);
  });
});
