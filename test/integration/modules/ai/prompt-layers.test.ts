import { expect } from 'chai';
import type { Express } from 'express';
import { createApp } from '../../../../src/app.js';
import { KnexPromptLayerRepository } from '../../../../src/modules/ai/db/knex-prompt-layer-repository.js';
import { PromptLayerService, RESOLVE_CACHE_TTL_MS } from '../../../../src/modules/ai/prompt-layer-service.js';
import { promptRoutes } from '../../../../src/modules/ai/prompt-routes.js';
import type { SystemPromptSource } from '../../../../src/modules/ai/ports.js';
import { testEnv } from '../../../support/root-hooks.js';
import { DEMO_OWNER, loginAs, SUPER_ADMIN } from '../../../support/http.js';

/**
 * The app serving the inspector: the suite's own app once the composition root registers the prompt
 * service (and mounts `promptRoutes`); until then a fresh app with the router placed where app.ts mounts
 * module routers, in front of the 404 and error handlers.
 */
function inspectorApp(): Express {
  const env = testEnv();
  if (env.container.hasRegistration('promptLayerService')) return env.app;
  const app = createApp(env.container.cradle);
  const service = new PromptLayerService({ promptLayerRepository: new KnexPromptLayerRepository({ database: env.container.cradle.database }) });
  app.use(promptRoutes({ promptLayerService: service }));
  const stack = (app.router as unknown as { stack: unknown[] }).stack;
  const mounted = stack.pop()!;
  stack.splice(stack.length - 2, 0, mounted);
  return app;
}

describe('Prompt layers: the cascade in the database', () => {
  let service: PromptLayerService;
  let tenantA: { id: string; distributorId: string };
  let tenantB: { id: string; distributorId: string };
  let otherDistributorId: string;
  const inserted: string[] = [];

  before(async () => {
    const { database } = testEnv().container.cradle;
    service = new PromptLayerService({ promptLayerRepository: new KnexPromptLayerRepository({ database }) });
    await database.asPlatform(async (trx) => {
      tenantA = await trx('tenants').where({ slug: 'boulangerie-martin' }).first('id', 'distributorId');
      tenantB = await trx('tenants').where({ slug: 'velo-atelier-nantes' }).first('id', 'distributorId');
      [{ id: otherDistributorId }] = await trx('distributors').insert({ code: 'prompt-test-reseller', name: 'Revendeur de test (prompts)', kind: 'reseller' }).returning('id');
      const direct = tenantA.distributorId;
      const layer = (owner: { level: 'distributor'; distributorId: string } | { level: 'tenant'; tenantId: string }, locale: string, key: string, value: unknown, extra: object = {}) => ({
        ...owner,
        locale,
        key,
        value: JSON.stringify(value),
        ...extra,
      });
      const dist = { level: 'distributor' as const, distributorId: direct };
      const a = { level: 'tenant' as const, tenantId: tenantA.id };
      const rows = await trx('promptLayers')
        .insert([
          layer(dist, 'fr', 'system.role', 'Rôle du distributeur'),
          layer(dist, 'fr', 'safety.rules', { $append: ['Règle ajoutée par le distributeur'] }),
          layer(dist, 'en', 'safety.rules', { $append: ['Rule added by the distributor'] }),
          layer(a, 'fr', 'system.role', 'Ancien rôle du client A', { version: 1, active: false }),
          layer(a, 'fr', 'system.role', 'Rôle du client A', { version: 2 }),
          layer(a, 'fr', 'style.defaults', 'Style du client A'),
          layer(a, 'en', 'style.defaults', 'Client A style'),
          layer(a, 'fr', 'channels.sms', null),
          layer(a, 'fr', 'custom.secret', 'SECRET-DU-CLIENT-A'),
          layer({ level: 'tenant', tenantId: tenantB.id }, 'fr', 'system.role', 'Rôle du client B'),
          layer({ level: 'distributor', distributorId: otherDistributorId }, 'fr', 'system.language', 'LANGUE-D-UN-AUTRE-DISTRIBUTEUR'),
        ])
        .returning('id');
      inserted.push(...rows.map((r: { id: string }) => r.id));
    });
  });

  after(async () => {
    const { database } = testEnv().container.cradle;
    await database.asPlatform(async (trx) => {
      await trx('promptLayers').whereIn('id', inserted).del();
      await trx('distributors').where({ id: otherDistributorId }).del();
    });
  });

  it('resolves platform → distributor → tenant in fr, with provenance for every key', async () => {
    const fr = await service.resolve(tenantA.id, 'fr');
    const system = fr.document.system as Record<string, unknown>;
    expect(system.role).to.equal('Rôle du client A');
    expect(fr.provenance['system.role'].source).to.include({ level: 'tenant', locale: 'fr', version: 2, key: 'system.role' });
    expect(fr.provenance['system.role'].overridden.map((o) => o.source.level)).to.deep.equal(['distributor', 'platform']);
    expect(fr.provenance['system.role'].overridden[0].value).to.equal('Rôle du distributeur');
    // a key only the platform defines is inherited unchanged
    expect(fr.provenance['system.language'].source).to.include({ level: 'platform', locale: 'fr', version: 1 });
    expect(system.language).to.match(/^Écris en français/);
    // the distributor appended a rule to the platform's list
    const rules = (fr.document.safety as { rules: string[] }).rules;
    expect(rules.at(-1)).to.equal('Règle ajoutée par le distributeur');
    expect(rules.length).to.be.greaterThan(5);
    expect(fr.provenance['safety.rules'].contributors.map((c) => c.level)).to.deep.equal(['platform', 'distributor']);
    // the tenant removed the SMS guidance
    expect(fr.document.channels).to.have.property('linkedin');
    expect(fr.document.channels).not.to.have.property('sms');
    expect(fr.removed.filter((r) => r.key.startsWith('channels.sms.')).map((r) => r.removedBy.level)).to.deep.equal(['tenant', 'tenant']);
    // the inactive older version is not used
    expect(JSON.stringify(fr.document)).not.to.include('Ancien rôle');
    expect(JSON.stringify(fr.document)).not.to.include('LANGUE-D-UN-AUTRE-DISTRIBUTEUR');
    expect(fr.tenant).to.include({ id: tenantA.id, locale: 'fr' });
    expect(fr.snapshotRef).to.match(/^pl1:[0-9a-f]{64}$/);
  });

  it('resolves in en, falling back key by key to fr within each level', async () => {
    const en = await service.resolve(tenantA.id, 'en');
    expect(en.localeChain).to.deep.equal(['en', 'fr']);
    expect((en.document.system as Record<string, string>).language).to.match(/^Write in correct, natural English/);
    expect(en.provenance['system.language'].source).to.include({ level: 'platform', locale: 'en' });
    expect((en.document.style as Record<string, string>).defaults).to.equal('Client A style');
    expect(en.provenance['style.defaults'].source).to.include({ level: 'tenant', locale: 'en' });
    // the tenant wrote its role only in French: the French row of the tenant level wins over the platform's English one
    expect((en.document.system as Record<string, string>).role).to.equal('Rôle du client A');
    expect(en.provenance['system.role'].source).to.include({ level: 'tenant', locale: 'fr' });
    expect((en.document.safety as { rules: string[] }).rules.at(-1)).to.equal('Rule added by the distributor');
    expect((en.document.safety as { rules: string[] }).rules[0]).to.match(/^No discriminatory/);
    expect(en.document.channels).not.to.have.property('sms');
    expect(en.snapshotRef).not.to.equal((await service.resolve(tenantA.id, 'fr')).snapshotRef);

    // fr-BE has no rows of its own: the same rows as fr, hence the same reference
    const frBe = await service.resolve(tenantA.id, 'fr-BE');
    expect(frBe.localeChain).to.deep.equal(['fr-BE', 'fr']);
    const fr = await service.resolve(tenantA.id, 'fr');
    expect(frBe.document).to.deep.equal(fr.document);
    expect(frBe.snapshotRef).to.equal(fr.snapshotRef);
    // without a locale, the tenant's own
    expect((await service.resolve(tenantA.id)).snapshotRef).to.equal(fr.snapshotRef);
  });

  it('renders the system prompt from the resolved document', async () => {
    const fr = await service.resolve(tenantA.id, 'fr');
    const prompt = service.renderSystemPrompt(fr.document, { task: 'generation', channel: 'linkedin', locale: 'fr' });
    expect(prompt.stable.startsWith('Rôle du client A\n\nÉcris en français')).to.equal(true);
    expect(prompt.stable).to.include('Règles de sécurité de marque :\n- Aucun propos discriminatoire');
    expect(prompt.stable).to.include('- Règle ajoutée par le distributeur');
    expect(prompt.stable).to.include('Style :\nStyle du client A');
    expect(prompt.stable).to.include('Règles de sortie :');
    expect(prompt.variable).to.match(/^Canal : linkedin\n\nConsignes d'écriture pour ce canal :\nTon professionnel/);
    expect(service.renderSystemPrompt(fr.document, { task: 'generation', channel: 'sms' }).variable).to.equal('');
  });

  it('serves the gateway’s SystemPromptSource port: the rendered prompt and the snapshot reference', async () => {
    const port: SystemPromptSource = service;
    const fr = await service.resolve(tenantA.id, 'fr');
    const prompt = await port.stablePrompt(tenantA.id, 'fr', { task: 'generation', channel: 'linkedin' });
    expect(prompt.snapshotRef).to.equal(fr.snapshotRef);
    expect(prompt.stable.startsWith('Rôle du client A')).to.equal(true);
    expect(prompt.variable).to.include("Consignes d'écriture pour ce canal :");
    const parts = await service.stablePrompt(tenantA.id, 'fr', { task: 'generation', channel: 'blog' });
    expect(parts.stable).to.equal(service.renderSystemPrompt(fr.document, { task: 'generation', locale: 'fr' }).stable);
    const empty = await port.stablePrompt(tenantA.id, 'fr', { task: 'embeddings' });
    expect(empty.stable + empty.variable).to.equal('');
  });

  it('a tenant never sees another tenant’s layers, nor another distributor’s', async () => {
    const b = await service.resolve(tenantB.id, 'fr');
    expect((b.document.system as Record<string, string>).role).to.equal('Rôle du client B');
    expect(b.document).not.to.have.property('custom');
    expect(b.document.channels).to.have.property('sms');
    // same distributor as A: its rows apply to B too
    expect((b.document.safety as { rules: string[] }).rules.at(-1)).to.equal('Règle ajoutée par le distributeur');
    const text = JSON.stringify(b);
    expect(text).not.to.include('SECRET-DU-CLIENT-A');
    expect(text).not.to.include('LANGUE-D-UN-AUTRE-DISTRIBUTEUR');
    expect(b.layers.every((l) => !inserted.slice(3, 9).includes(l.id))).to.equal(true);

    // and row-level security holds even for a query that asks for them by name
    const { database } = testEnv().container.cradle;
    const seen = await database.forTenant(tenantB.id, (trx) =>
      trx('promptLayers').where({ tenantId: tenantA.id }).orWhere({ distributorId: otherDistributorId }).select('id'),
    );
    expect(seen).to.deep.equal([]);
    const visibleLevels = await database.forTenant(tenantB.id, (trx) => trx('promptLayers').distinct('level').orderBy('level').pluck('level'));
    expect(visibleLevels).to.deep.equal(['distributor', 'platform', 'tenant']);
  });

  it('a new version changes the snapshot reference; unknown and malformed tenants are not found', async () => {
    const { database } = testEnv().container.cradle;
    const before = await service.resolve(tenantA.id, 'fr');
    expect((await service.resolve(tenantA.id, 'fr')).snapshotRef).to.equal(before.snapshotRef);
    await database.asPlatform(async (trx) => {
      await trx('promptLayers').where({ tenantId: tenantA.id, key: 'style.defaults', locale: 'fr', active: true }).update({ active: false });
      const [{ id }] = await trx('promptLayers')
        .insert({ level: 'tenant', tenantId: tenantA.id, locale: 'fr', key: 'style.defaults', value: JSON.stringify('Style du client A, v2'), version: 2 })
        .returning('id');
      inserted.push(id);
    });
    // the resolution is cached in the process until invalidated (or for RESOLVE_CACHE_TTL_MS)…
    expect((await service.resolve(tenantA.id, 'fr')).snapshotRef).to.equal(before.snapshotRef);
    // …the inspector always reads afresh
    expect((await service.inspect(tenantA.id, 'fr')).snapshotRef).not.to.equal(before.snapshotRef);
    service.invalidate(tenantA.id);
    const after = await service.resolve(tenantA.id, 'fr');
    expect((after.document.style as Record<string, string>).defaults).to.equal('Style du client A, v2');
    expect(after.snapshotRef).not.to.equal(before.snapshotRef);
    expect(after.snapshotRef).to.equal((await service.inspect(tenantA.id, 'fr')).snapshotRef);
    expect(Object.isFrozen(after.document)).to.equal(true);

    let missing: unknown;
    try {
      await service.resolve('00000000-0000-4000-8000-000000000000', 'fr');
    } catch (err) {
      missing = err;
    }
    expect(missing).to.have.property('status', 404);
    let malformed: unknown;
    try {
      await service.resolve('not-a-uuid', 'fr');
    } catch (err) {
      malformed = err;
    }
    expect(malformed).to.have.property('status', 404);
  });

  it('reuses a resolution for RESOLVE_CACHE_TTL_MS, then reads the layers again', async () => {
    const { database } = testEnv().container.cradle;
    let now = Date.parse('2026-12-01T10:00:00Z');
    const timed = new PromptLayerService({ promptLayerRepository: new KnexPromptLayerRepository({ database }), clock: { now: () => new Date(now) } });
    const first = await timed.stablePrompt(tenantB.id, 'fr', { task: 'generation' });
    const [{ id }] = await database.asPlatform((trx) =>
      trx('promptLayers').insert({ level: 'tenant', tenantId: tenantB.id, locale: 'fr', key: 'style.defaults', value: JSON.stringify('Style du client B') }).returning('id'),
    );
    inserted.push(id);
    now += RESOLVE_CACHE_TTL_MS - 1;
    expect(await timed.stablePrompt(tenantB.id, 'fr', { task: 'generation' })).to.equal(first);
    now += 1;
    const fresh = await timed.stablePrompt(tenantB.id, 'fr', { task: 'generation' });
    expect(fresh.text).to.include('Style :\nStyle du client B');
    expect(fresh.snapshotRef).not.to.equal(first.snapshotRef);
  });

  describe('the effective prompt inspector', () => {
    it('shows the super admin every resolved key, who set it, what it overrode, and the rendered prompt', async () => {
      const app = inspectorApp();
      const admin = await loginAs(app, SUPER_ADMIN.email, SUPER_ADMIN.password);
      const picker = await admin.agent.get('/admin/prompts');
      expect(picker.status).to.equal(200);
      expect(picker.text).to.include('Prompt effectif');
      expect(picker.text).to.include('Boulangerie Martin');
      expect(picker.text).to.include('L’Atelier Vélo Nantes');

      const res = await admin.agent.get(`/admin/prompts?tenant=${tenantA.id}&locale=en&task=generation&channel=linkedin`);
      expect(res.status).to.equal(200);
      const row = /<tr id="key-system-role"[\s\S]*?<\/tr>/.exec(res.text)?.[0] ?? '';
      expect(row).to.include('data-level="tenant"');
      expect(row).to.include('Rôle du client A');
      expect(row).to.include('prompt-overridden');
      expect(row).to.include('Rôle du distributeur');
      expect(row).to.include('repli de langue');
      expect(res.text).to.include('data-removed-key="channels.sms.guidance"');
      const en = await service.resolve(tenantA.id, 'en');
      expect(res.text).to.include(en.snapshotRef);
      expect(res.text).to.include('id="rendered-stable"');
      expect(res.text).to.include('Writing guidance for this channel:');

      const fragment = await admin.agent.get(`/admin/prompts?tenant=${tenantA.id}&locale=fr`).set('HX-Request', 'true');
      expect(fragment.status).to.equal(200);
      expect(fragment.text.trimStart().startsWith('<div id="inspector"')).to.equal(true);

      expect((await admin.agent.get(`/admin/prompts?tenant=${tenantA.id}&locale=xx_YY`)).status).to.equal(422);
      expect((await admin.agent.get('/admin/prompts?tenant=not-a-uuid')).status).to.equal(404);
    });

    it('is refused to a client owner', async () => {
      const app = inspectorApp();
      const owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
      const res = await owner.agent.get(`/admin/prompts?tenant=${tenantA.id}`);
      expect(res.status).to.equal(403);
      expect(res.text).not.to.include('Rôle du client A');
    });
  });
});
