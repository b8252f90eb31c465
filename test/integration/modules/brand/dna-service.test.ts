import { expect } from 'chai';
import type { Cradle } from '../../../../src/container.js';
import type { BrandCradle } from '../../../../src/modules/brand/index.js';
import { brandDnaSchema, MANUAL_SOURCE } from '../../../../src/modules/brand/domain.js';
import { AppError, ValidationError } from '../../../../src/shared/errors.js';
import type { Database } from '../../../../src/adapters/db/database.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';
import { createInputs } from './dna-support.js';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('DnaService', function () {
  this.timeout(60_000);
  let cradle: Cradle & BrandCradle;

  before(() => {
    cradle = testEnv().container.cradle;
  });

  it('numbers snapshots 1..n and keeps exactly one current under 10 concurrent creations', async () => {
    const tenant = await createTenant(cradle.database);
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        cradle.dnaService.createSnapshot(tenant.id, { content: { values: [`Valeur ${i}`] }, sources: {}, reason: 'pipeline' }),
      ),
    );
    expect(created.map((s) => s.version).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const rows = await cradle.database.forTenant(tenant.id, (trx) => trx('brandDna').select('version', 'isCurrent', 'parentId', 'id').orderBy('version'));
    expect(rows).to.have.length(10);
    expect(rows.filter((r) => r.isCurrent).map((r) => r.version)).to.deep.equal([10]);
    // each snapshot derives from the one current when it was made
    for (let i = 1; i < rows.length; i++) expect(rows[i].parentId).to.equal(rows[i - 1].id);
    expect((await cradle.dnaService.current(tenant.id))!.version).to.equal(10);
    const list = await cradle.dnaService.list(tenant.id);
    expect(list.map((v) => v.version)).to.deep.equal([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('keeps snapshots immutable: updating their content fails', async () => {
    const tenant = await createTenant(cradle.database);
    const snapshot = await cradle.dnaService.createSnapshot(tenant.id, { content: { identity: { name: 'Avant' } }, reason: 'edit' });
    const err = await rejection(
      cradle.database.forTenant(tenant.id, (trx) => trx('brandDna').where({ id: snapshot.id }).update({ content: JSON.stringify({ identity: { name: 'Après' } }) })),
    );
    expect(err.message).to.include('brand_dna.content is immutable');
    const sourcesErr = await rejection(
      cradle.database.forTenant(tenant.id, (trx) => trx('brandDna').where({ id: snapshot.id }).update({ sources: JSON.stringify({ identity: ['manual'] }) })),
    );
    expect(sourcesErr.message).to.include('immutable');
    expect((await cradle.dnaService.get(tenant.id, 1)).content).to.deep.equal({ identity: { name: 'Avant' } });
  });

  it('refuses invalid content with field errors', async () => {
    const tenant = await createTenant(cradle.database);
    const err = await rejection(cradle.dnaService.createSnapshot(tenant.id, { content: { competitors: [{ name: 'X', website: 'ftp://x' }] }, reason: 'edit' }));
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).fieldErrors).to.deep.equal({ 'competitors.0.website': 'brand.dna.errors.invalidUrl' });
    expect(await cradle.dnaService.current(tenant.id)).to.equal(null);
  });

  it('edit makes a new version whose edited fields come from the form, and nothing when nothing changed', async () => {
    const tenant = await createTenant(cradle.database);
    const [input] = await createInputs(cradle.database, tenant.id, [{ text: 'Boulangerie à Lyon' }]);
    await cradle.dnaService.createSnapshot(tenant.id, {
      content: { identity: { name: 'Martin', mission: 'Du bon pain' }, values: ['Artisanat'], tone: { do: ['Tutoyer'], dont: ['Jargon'] } },
      sources: { identity: [input], values: [input], tone: [input] },
      reason: 'onboarding',
    });
    const user = await cradle.database.asPlatform((trx) => trx('users').where({ email: 'demo@cadence.test' }).first('id'));
    const result = await cradle.dnaService.edit(tenant.id, user.id, { identity: { name: 'Martin & Fils', mission: 'Du bon pain' }, tone: { do: ['Tutoyer', 'Sourire'], dont: ['Jargon'] }, values: undefined });
    expect(result.changed).to.equal(true);
    const snapshot = result.snapshot!;
    expect(snapshot).to.include({ version: 2, reason: 'edit', isCurrent: true, createdBy: user.id, parentVersion: 1 });
    expect(snapshot.content).to.deep.equal({ identity: { name: 'Martin & Fils', mission: 'Du bon pain' }, tone: { do: ['Tutoyer', 'Sourire'], dont: ['Jargon'] } });
    expect(snapshot.sources).to.deep.equal({ identity: [input], tone: [input], 'identity.name': [MANUAL_SOURCE], 'tone.do': [MANUAL_SOURCE] });
    expect(snapshot.changeSummary).to.equal('identity.name, values, tone.do');
    expect(snapshot.createdByName).to.equal('Claire Martin');

    const same = await cradle.dnaService.edit(tenant.id, user.id, { identity: { name: 'Martin & Fils', mission: 'Du bon pain' } });
    expect(same.changed).to.equal(false);
    expect((await cradle.dnaService.list(tenant.id)).length).to.equal(2);
  });

  it('edit refuses to overwrite a version saved meanwhile (conflict)', async () => {
    const tenant = await createTenant(cradle.database);
    await cradle.dnaService.createSnapshot(tenant.id, { content: { values: ['A'] }, reason: 'edit' });
    await cradle.dnaService.createSnapshot(tenant.id, { content: { values: ['B'] }, reason: 'edit' });
    const err = await rejection(cradle.dnaService.edit(tenant.id, (await userId(cradle.database)), { values: ['C'] }, { baseVersion: 1 }));
    expect(err).to.be.instanceOf(AppError);
    expect(err).to.include({ code: 'brand.dna.errors.conflict', status: 409 });
    expect((await cradle.dnaService.current(tenant.id))!.content).to.deep.equal({ values: ['B'] });
  });

  it('restore makes a new current version with the old content and provenance', async () => {
    const tenant = await createTenant(cradle.database);
    const [input] = await createInputs(cradle.database, tenant.id, [{ text: 'Offres' }]);
    await cradle.dnaService.createSnapshot(tenant.id, { content: { offers: [{ name: 'Pain', price: { amountCents: 420, currency: 'EUR' } }] }, sources: { offers: [input] }, reason: 'onboarding' });
    await cradle.dnaService.createSnapshot(tenant.id, { content: { offers: [{ name: 'Brioche' }] }, sources: { offers: [MANUAL_SOURCE] }, reason: 'edit' });
    const user = await userId(cradle.database);
    const restored = await cradle.dnaService.restore(tenant.id, user, 1);
    expect(restored).to.include({ version: 3, reason: 'restore', isCurrent: true, restoredFromVersion: 1, parentVersion: 2 });
    expect(restored.content).to.deep.equal({ offers: [{ name: 'Pain', price: { amountCents: 420, currency: 'EUR' } }] });
    expect(restored.sources).to.deep.equal({ offers: [input] });
    const versions = await cradle.dnaService.list(tenant.id);
    expect(versions.map((v) => [v.version, v.isCurrent])).to.deep.equal([[3, true], [2, false], [1, false]]);
    // restoring the current version changes nothing
    expect((await cradle.dnaService.restore(tenant.id, user, 3)).version).to.equal(3);
    expect(await rejection(cradle.dnaService.restore(tenant.id, user, 42))).to.include({ status: 404 });
  });

  it('diffs two stored versions', async () => {
    const tenant = await createTenant(cradle.database);
    await cradle.dnaService.createSnapshot(tenant.id, { content: { values: ['A', 'B'], identity: { name: 'X' } }, reason: 'edit' });
    await cradle.dnaService.createSnapshot(tenant.id, { content: { values: ['B', 'C'], identity: { name: 'Y' } }, reason: 'edit' });
    const { changes } = await cradle.dnaService.compare(tenant.id, 1, 2);
    expect(changes.map((c) => `${c.kind}:${c.path}:${c.item ?? ''}`)).to.deep.equal(['changed:identity.name:', 'removed:values:A', 'added:values:C']);
  });

  it('gives generations the current DNA as a compact <brand_dna> block and its snapshot id', async () => {
    const tenant = await createTenant(cradle.database);
    expect(await cradle.dnaService.tenantContext(tenant.id)).to.deep.equal({ text: '', snapshotId: null, version: null });
    const snapshot = await cradle.dnaService.createSnapshot(tenant.id, {
      content: { identity: { name: 'Atelier Vélo' }, offers: [{ name: 'Révision complète' }] },
      sources: { identity: [MANUAL_SOURCE] },
      reason: 'edit',
    });
    const context = await cradle.dnaService.tenantContext(tenant.id);
    expect(context).to.deep.equal({
      text: '<brand_dna>{"identity":{"name":"Atelier Vélo"},"offers":[{"name":"Révision complète"}]}</brand_dna>',
      snapshotId: snapshot.id,
      version: 1,
    });
    expect(await cradle.dnaService.currentSnapshotRef(tenant.id)).to.deep.equal({ id: snapshot.id, version: 1 });
    // the offline provider reads it: the generation names the brand and its offer, and the call records the snapshot
    const result = await cradle.aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: 'Portes ouvertes samedi.', tenantContext: context.text, dnaSnapshotId: context.snapshotId! });
    expect(result.text).to.include('Atelier Vélo').and.to.include('Révision complète');
    const call = await cradle.database.forTenant(tenant.id, (trx) => trx('aiCalls').where({ id: result.callId }).first('dnaSnapshotId'));
    expect(call.dnaSnapshotId).to.equal(snapshot.id);
  });

  it('extracts a valid snapshot with the offline provider, with sources restricted to the given inputs of this tenant', async () => {
    const tenant = await createTenant(cradle.database, { name: 'Boulangerie Extraite' });
    const other = await createTenant(cradle.database);
    const ids = await createInputs(cradle.database, tenant.id, [
      { text: 'Nom : Boulangerie Extraite. Activité : pain au levain à Lyon.', questionKey: 'company' },
      { text: 'Nos clients sont des familles du quartier.', questionKey: 'clients' },
    ]);
    const [foreign] = await createInputs(cradle.database, other.id, [{ text: 'SECRET-OTHER-TENANT' }]);
    const snapshot = await cradle.dnaService.extract(tenant.id, {
      inputs: [
        { id: ids[0], kind: 'text', label: 'Entreprise', text: 'Nom : Boulangerie Extraite. Activité : pain au levain à Lyon.' },
        { id: ids[1], kind: 'questionnaire', label: 'Clients', text: 'Nos clients sont des familles du quartier.' },
        { id: foreign, kind: 'text', label: 'Intrus', text: 'SECRET-OTHER-TENANT' },
      ],
      locale: 'fr',
      onboardingSessionId: undefined,
    });
    expect(snapshot).to.include({ version: 1, reason: 'onboarding', isCurrent: true, locale: 'fr' });
    expect(brandDnaSchema.safeParse(snapshot.content).success).to.equal(true);
    expect(snapshot.content.identity?.name).to.be.a('string').and.not.include('SECRET');
    expect(JSON.stringify(snapshot.content)).to.not.include('SECRET-OTHER-TENANT');
    const sourceIds = Object.values(snapshot.sources).flat();
    expect(sourceIds).to.not.be.empty;
    for (const id of sourceIds) expect(ids).to.include(id);
    for (const section of Object.keys(snapshot.sources)) expect(snapshot.content).to.have.property(section);
    const call = await cradle.database.forTenant(tenant.id, (trx) =>
      trx('aiCalls as c').join('aiModels as m', 'm.id', 'c.modelId').where('c.id', snapshot.aiCallId!).first('c.task', 'c.status', 'm.modelId as model'),
    );
    expect(call).to.deep.equal({ task: 'planning', status: 'ok', model: 'offline-composer' });
  });

  it('extracts from every processed input of a session, and refuses when there is nothing to read', async () => {
    const tenant = await createTenant(cradle.database);
    const [id] = await createInputs(cradle.database, tenant.id, [{ text: 'Atelier de réparation de vélos à Nantes.' }]);
    const session = await cradle.database.forTenant(tenant.id, (trx) => trx('onboardingInputs').where({ id }).first('sessionId'));
    const snapshot = await cradle.dnaService.extract(tenant.id, { onboardingSessionId: session.sessionId, locale: 'fr' });
    expect(snapshot.onboardingSessionId).to.equal(session.sessionId);
    expect(Object.values(snapshot.sources).flat().every((s) => s === id)).to.equal(true);
    const err = await rejection(cradle.dnaService.extract(tenant.id, { inputs: [{ id: '00000000-0000-4000-8000-000000000000', kind: 'text', label: 'x', text: 'x' }], locale: 'fr' }));
    expect(err).to.include({ code: 'brand.dna.errors.noInputs', status: 422 });
  });
});

async function userId(database: Database): Promise<string> {
  return (await database.asPlatform((trx) => trx('users').where({ email: 'demo@cadence.test' }).first('id'))).id;
}
