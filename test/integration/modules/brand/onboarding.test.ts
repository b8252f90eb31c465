import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import type { Express } from 'express';
import { createApp } from '../../../../src/app.js';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import { OnboardingProcessor } from '../../../../src/modules/brand/onboarding-processor.js';
import { onboardingJobs, type OnboardingCradle } from '../../../../src/modules/brand/onboarding.js';
import { EMULATED_TRANSCRIPT } from '../../../support/ai-emulator/audio.js';
import { providerEnv, startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { DEMO_OWNER, loginAs, type Agent } from '../../../support/http.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.resolve(here, '../../../../../shared/corpus');
const corpus = (file: string) => fs.readFileSync(path.join(CORPUS, file));
const BASE = '/app/brand/onboarding';

type Wired = Cradle & OnboardingCradle;

/** Eta's escaping, to look for a message in a page. */
function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

async function tenantIdOf(cradle: Wired, slug: string): Promise<string> {
  return cradle.database.asPlatform(async (trx) => (await trx('tenants').where({ slug }).first('id')).id as string);
}

async function inputRows(cradle: Wired, tenantId: string, sessionId: string) {
  return cradle.database.forTenant(tenantId, (trx) => trx('onboardingInputs').where({ sessionId }).orderBy('createdAt'));
}

async function openSessionRow(cradle: Wired, tenantId: string) {
  return cradle.database.forTenant(tenantId, (trx) => trx('onboardingSessions').where({ tenantId }).whereIn('status', ['in_progress', 'extracting']).first());
}

/** A fresh wizard: whatever an earlier test left open is abandoned. */
async function freshWizard(agent: Agent, csrf: string): Promise<void> {
  await agent.post(`${BASE}/restart`).set('X-CSRF-Token', csrf).set('HX-Request', 'true');
  const res = await agent.get(BASE);
  expect(res.status).to.equal(303);
  expect(res.headers.location).to.equal(`${BASE}/company`);
}

async function fillCompany(agent: Agent, csrf: string) {
  return agent
    .post(`${BASE}/company`)
    .type('form')
    .send({ _csrf: csrf, name: 'Boulangerie Martin', activity: 'Boulangerie artisanale bio, pains au levain', city: 'Nantes', website: 'boulangerie-martin.example', phone: '02 40 00 00 00', email: 'contact@boulangerie-martin.example', languages: ['fr', 'en'] });
}

describe('Brand onboarding wizard (HTTP)', function () {
  this.timeout(120_000);
  let cradle: Wired;
  let app: Express;
  let owner: { agent: Agent; csrf: string };
  let tenantId: string;
  const t = (key: string | string[], params?: Record<string, unknown>) => cradle.i18n.getFixedT('fr')(key, params ?? {}) as string;

  before(async () => {
    const env = testEnv();
    app = env.app;
    cradle = env.container.cradle as Wired;
    owner = await loginAs(app, DEMO_OWNER.email, DEMO_OWNER.password);
    tenantId = await tenantIdOf(cradle, 'boulangerie-martin');
  });

  afterEach(() => cradle.onboardingProcessor.idle());

  it('walks the whole wizard: basics (422 keeps what was typed), questionnaire autosave and resume, PDFs with clear per-file errors, an SSRF URL refused, then the brand DNA', async () => {
    const { agent, csrf } = owner;
    await freshWizard(agent, csrf);

    // 1. basics: errors re-render the form with what was typed
    const bad = await agent.post(`${BASE}/company`).type('form').send({ _csrf: csrf, name: '', activity: 'Boulangerie', email: 'pas-un-email', website: 'http://', languages: 'fr' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include(html(t('brand.onboarding.errors.nameRequired')));
    expect(bad.text).to.include(html(t('brand.onboarding.errors.emailInvalid')));
    expect(bad.text).to.include('value="pas-un-email"');
    expect(bad.text).to.include('>Boulangerie</textarea>');
    const good = await fillCompany(agent, csrf);
    expect(good.status).to.equal(303);
    expect(good.headers.location).to.equal(`${BASE}/audio`);

    // 2. audio without any speech-to-text provider: said plainly before any upload
    const audio = await agent.get(`${BASE}/audio`);
    expect(audio.status).to.equal(200);
    expect(audio.text).to.include('id="transcription-unavailable"');
    expect(audio.text).to.include(html(t('brand.onboarding.audio.unavailable')));
    expect(audio.text).not.to.include('name="audio"');
    const refusedAudio = await agent.post(`${BASE}/audio`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').attach('audio', corpus('audio/jfk.mp3'), 'jfk.mp3');
    expect(refusedAudio.status).to.equal(422);
    expect(refusedAudio.text).to.include(html(t('brand.onboarding.errors.transcriptionUnavailable')));

    // 3. questionnaire: autosaved as typed (HTMX), then resumed on this step with the answers
    const saved = await agent
      .post(`${BASE}/questionnaire`)
      .set('HX-Request', 'true')
      .set('X-CSRF-Token', csrf)
      .type('form')
      .send({ clients: 'Les familles du quartier et les restaurants', difference: 'Farines bio du moulin voisin, levain maison', offers: 'Baguette tradition 1,30 €', tone: 'Chaleureux, on vouvoie' });
    expect(saved.status).to.equal(200);
    expect(saved.text).to.match(/^<p id="autosave"/);
    expect(saved.text).to.include('Enregistré à');
    const tooLong = await agent.post(`${BASE}/questionnaire`).set('HX-Request', 'true').set('X-CSRF-Token', csrf).type('form').send({ avoid: 'x'.repeat(6000) });
    expect(tooLong.status).to.equal(422);
    expect(tooLong.text).to.include(html(t('brand.onboarding.errors.tooLong')));
    const resume = await agent.get(BASE);
    expect(resume.headers.location).to.equal(`${BASE}/questionnaire`);
    const page = await agent.get(resume.headers.location);
    expect(page.text).to.include('>Les familles du quartier et les restaurants</textarea>');
    expect(page.text).to.include('>Baguette tradition 1,30 €</textarea>');
    expect(page.text).to.include('aria-current="step"');
    const moveOn = await agent.post(`${BASE}/questionnaire`).type('form').send({ _csrf: csrf, clients: 'Les familles du quartier et les restaurants', difference: 'Farines bio du moulin voisin, levain maison', offers: 'Baguette tradition 1,30 €', tone: 'Chaleureux, on vouvoie', area: 'Nantes, quartier Zola', continue: '1' });
    expect(moveOn.status).to.equal(303);
    expect(moveOn.headers.location).to.equal(`${BASE}/documents`);

    // 4. documents: each file has its own outcome, the rest goes on
    const upload = await agent
      .post(`${BASE}/documents`)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .attach('documents', corpus('pdfs/minimal-hello-world.pdf'), 'tarifs.pdf')
      .attach('documents', corpus('pdfs/encrypted-aes256-user-password-baz.pdf'), 'protege.pdf')
      .attach('documents', corpus('pdfs/scanned-jbig2-image-only-no-text.pdf'), 'scan.pdf')
      .attach('documents', Buffer.alloc(0), 'vide.pdf')
      .attach('documents', crypto.randomBytes(4096), 'programme.pdf');
    expect(upload.status).to.equal(200);
    expect(upload.text).to.match(/^<section id="documents"/);
    expect(upload.text).to.include(`<strong>vide.pdf</strong> — ${html(t('brand.onboarding.errors.file.empty'))}`);
    expect(upload.text).to.include(`<strong>programme.pdf</strong> — ${html(t('brand.onboarding.errors.file.notPdf'))}`);
    expect(upload.text).to.include('hx-trigger="every 2s"'); // the list polls itself while the PDFs are read
    await cradle.onboardingProcessor.idle();
    const session = await openSessionRow(cradle, tenantId);
    const pdfs = (await inputRows(cradle, tenantId, session.id)).filter((r) => r.kind === 'pdf');
    expect(pdfs.map((r) => [r.originalFilename, r.status, r.errorCode])).to.deep.equal([
      ['tarifs.pdf', 'done', null],
      ['protege.pdf', 'failed', 'brand.onboarding.errors.pdf.encrypted'],
      ['scan.pdf', 'failed', 'brand.onboarding.errors.pdf.noText'],
    ]);
    expect(pdfs[0].extractedText).to.match(/hello/i);
    expect(pdfs[0].pageCount).to.equal(1);
    expect(pdfs[0].storageKey).to.match(new RegExp(`^${tenantId}/onboarding/pdf/`));
    const list = await agent.get(`${BASE}/inputs?kinds=pdf`).set('HX-Request', 'true');
    expect(list.text).not.to.include('hx-trigger'); // nothing left to wait for: the polling stops
    expect(list.text).to.include(html(t('brand.onboarding.errors.pdf.encrypted')));
    expect(list.text).to.include(html(t('brand.onboarding.errors.pdf.noText')));

    // a 50 MB upload is refused on its own line; nothing entered before is lost
    const huge = await agent.post(`${BASE}/documents`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').attach('documents', Buffer.alloc(50 * 1024 * 1024, 0x25), 'catalogue-complet.pdf');
    expect(huge.status).to.equal(422);
    expect(huge.text).to.include(`<strong>catalogue-complet.pdf</strong> — ${html(t('brand.onboarding.errors.file.tooLarge', { maxMb: 20 }))}`);
    expect(huge.text).to.include('tarifs.pdf');
    // beyond any sensible size the upload itself is cut short, with the same plain message
    const absurd = await agent.post(`${BASE}/documents`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').attach('documents', Buffer.alloc(70 * 1024 * 1024, 0x25), 'archive.pdf');
    expect(absurd.status).to.equal(422);
    expect(absurd.text).to.include(html(t('brand.onboarding.errors.uploadTooLarge', { maxMb: 20 })));
    expect(absurd.text).to.include('tarifs.pdf');
    const afterHuge = await agent.get(`${BASE}/questionnaire`);
    expect(afterHuge.text).to.include('>Nantes, quartier Zola</textarea>');
    const companyPage = await agent.get(`${BASE}/company`);
    expect(companyPage.text).to.include('value="Boulangerie Martin"');
    expect(companyPage.text).to.include('value="https://boulangerie-martin.example"');

    // 5. website: a private address is refused by the SSRF-safe fetcher, with its reason
    const site = await agent.post(`${BASE}/website`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').type('form').send({ url: 'http://127.0.0.1:8080/' });
    expect(site.status).to.equal(200);
    await cradle.onboardingProcessor.idle();
    const [url] = (await inputRows(cradle, tenantId, session.id)).filter((r) => r.kind === 'url');
    expect(url).to.include({ status: 'failed', errorCode: 'fetch.errors.forbiddenAddress', sourceUrl: 'http://127.0.0.1:8080/' });
    const sitePage = await agent.get(`${BASE}/website`);
    expect(sitePage.text).to.include(html(url.errorMessage));
    expect(url.errorMessage).to.match(/réseau privé/);
    const badUrl = await agent.post(`${BASE}/website`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').type('form').send({ url: 'ftp://example.com' });
    expect(badUrl.status).to.equal(422);
    expect(badUrl.text).to.include('value="ftp://example.com"');

    // 6. review and generate: every successful input, the basics and the answers go to the DNA extraction
    const review = await agent.get(`${BASE}/review`);
    expect(review.text).to.include('Boulangerie Martin');
    expect(review.text).to.include(html(t('brand.onboarding.progress.generate')));
    const inputs = await cradle.onboardingProcessor.dnaInputs(tenantId, { ...session, stepData: (await openSessionRow(cradle, tenantId)).stepData });
    expect(inputs.map((i) => i.kind)).to.deep.equal(['text', 'questionnaire', 'questionnaire', 'questionnaire', 'questionnaire', 'questionnaire', 'pdf']);
    expect(inputs[0].text).to.include('Boulangerie artisanale bio');
    expect(inputs[6].label).to.include('tarifs.pdf');

    const versionsBefore = await dnaVersions(cradle, tenantId);
    const generate = await agent.post(`${BASE}/generate`).set('X-CSRF-Token', csrf).set('HX-Request', 'true');
    expect(generate.status).to.equal(200);
    expect(generate.text).to.include('id="progress"');
    await cradle.onboardingProcessor.idle();
    const progress = await agent.get(`${BASE}/progress`).set('HX-Request', 'true');
    const finished = await cradle.database.forTenant(tenantId, (trx) => trx('onboardingSessions').where({ id: session.id }).first());
    expect(finished.status, JSON.stringify(finished.stepData)).to.equal('completed');
    expect(progress.text).not.to.include('hx-trigger'); // done: the progress stops polling
    expect(progress.text).to.include('href="/app/brand"');
    const versionsAfter = await dnaVersions(cradle, tenantId);
    expect(versionsAfter.length).to.equal(versionsBefore.length + 1);
    const snapshot = versionsAfter[versionsAfter.length - 1];
    expect(snapshot).to.include({ reason: 'onboarding', isCurrent: true, version: finished.stepData.extraction.version });
    expect(progress.text).to.include(html(t('brand.onboarding.progress.done', { version: snapshot.version })));

    // processing is idempotent: the job re-run of a finished input or extraction does nothing
    const jobs = Object.fromEntries(onboardingJobs(cradle).map((j) => [j.name, j]));
    expect(await jobs['brand:process-onboarding-input'].run({ tenantId, inputId: pdfs[0].id })).to.equal('skipped');
    expect(await jobs['brand:extract-onboarding-dna'].run({ tenantId, sessionId: session.id })).to.equal('skipped');
    expect(await jobs['brand:resume-onboarding'].run({})).to.deep.equal({ inputs: 0, extractions: 0 });
    expect((await dnaVersions(cradle, tenantId)).length).to.equal(versionsAfter.length);
  });

  it('keeps inputs to their tenant: another tenant’s input is not found, and a job given the wrong tenant does nothing', async () => {
    const { agent, csrf } = owner;
    await freshWizard(agent, csrf);
    await agent.post(`${BASE}/documents`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').attach('documents', corpus('pdfs/minimal-hello-world.pdf'), 'a.pdf');
    await cradle.onboardingProcessor.idle();
    const session = await openSessionRow(cradle, tenantId);
    const [input] = await inputRows(cradle, tenantId, session.id);
    const other = await loginAs(app, 'demo2@cadence.test', 'cadence-demo');
    const otherTenant = await tenantIdOf(cradle, 'velo-atelier-nantes');
    const res = await other.agent.post(`${BASE}/inputs/${input.id}/delete`).set('X-CSRF-Token', other.csrf).set('HX-Request', 'true');
    expect(res.status).to.equal(404);
    expect(await cradle.onboardingProcessor.processInput(otherTenant, input.id)).to.equal('skipped');
    expect((await inputRows(cradle, tenantId, session.id)).length).to.equal(1);
    // the owner may remove it
    const removed = await agent.post(`${BASE}/inputs/${input.id}/delete`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').type('form').send({ kinds: 'pdf' });
    expect(removed.status).to.equal(200);
    expect(removed.text).to.match(/^<div id="inputs"/);
    expect((await inputRows(cradle, tenantId, session.id)).length).to.equal(0);
  });

  it('the sweeper job picks up what a restart left pending or half done, once, in the tenant’s context', async () => {
    const { agent, csrf } = owner;
    await freshWizard(agent, csrf);
    const session = await cradle.onboardingService.open(tenantId, 'unused', 'fr');
    // as if the web process died right after the upload: a row, no dispatch
    const left = await cradle.onboardingRepository.addInput(tenantId, session.id, { kind: 'url', sourceUrl: 'http://10.0.0.7/' });
    const later = (ms: number) => new OnboardingProcessor({
      onboardingRepository: cradle.onboardingRepository,
      onboardingFileStore: cradle.onboardingFileStore,
      pdfTextExtractor: cradle.pdfTextExtractor,
      websiteReader: cradle.websiteReader,
      aiGateway: cradle.aiGateway,
      dnaService: (cradle as unknown as { dnaService: never }).dnaService,
      i18n: cradle.i18n,
      logger: cradle.logger,
      clock: { now: () => new Date(Date.now() + ms) },
    });
    await later(0).sweep(); // too recent: the in-process dispatch may still take it
    expect((await cradle.onboardingRepository.getInput(tenantId, left.id))?.status).to.equal('pending');
    await later(2 * 60_000).sweep();
    const done = await cradle.onboardingRepository.getInput(tenantId, left.id);
    expect(done).to.include({ status: 'failed', errorCode: 'fetch.errors.forbiddenAddress', attempts: 1 });

    // a claim whose worker died is taken over after the lease, and only the new attempt may write
    const stuck = await cradle.onboardingRepository.addInput(tenantId, session.id, { kind: 'url', sourceUrl: 'http://192.168.1.1/' });
    const claimed = await cradle.onboardingRepository.claimInput(tenantId, stuck.id, new Date(0));
    expect(claimed?.attempts).to.equal(1);
    expect(await later(60_000).processInput(tenantId, stuck.id)).to.equal('skipped'); // still held
    expect(await later(11 * 60_000).processInput(tenantId, stuck.id)).to.equal('failed');
    expect(await cradle.onboardingRepository.finishInput(tenantId, stuck.id, 1, { status: 'done', extractedText: 'late' })).to.equal(false);
    expect(await cradle.onboardingRepository.getInput(tenantId, stuck.id)).to.include({ status: 'failed', attempts: 2 });
  });

  it('refuses a viewer without brand.manage', async () => {
    const { addTeamMember } = await import('../../../support/team.js');
    const viewer = await addTeamMember(app, owner, 'client_viewer');
    const res = await viewer.agent.get(`${BASE}/company`);
    expect(res.status).to.equal(403);
  });

  describe('with a speech-to-text provider (emulator)', () => {
    let emulator: AiEmulator;
    let container: AwilixContainer<Cradle>;
    let emulated: Wired;
    let emulatedApp: Express;

    before(async () => {
      emulator = await startAiEmulator();
      container = buildContainer(testConfig(providerEnv(emulator)), testEnv().db);
      emulatedApp = createApp(container.cradle);
      emulated = container.cradle as Wired;
    });

    after(async () => {
      await emulated?.onboardingProcessor.idle();
      await container?.dispose();
      await emulator?.stop();
    });

    it('offers the upload and the recorder, and stores the transcript of an uploaded interview', async () => {
      const { agent, csrf } = await loginAs(emulatedApp, DEMO_OWNER.email, DEMO_OWNER.password);
      await freshWizard(agent, csrf);
      await fillCompany(agent, csrf);
      const page = await agent.get(`${BASE}/audio`);
      expect(page.text).not.to.include('id="transcription-unavailable"');
      expect(page.text).to.include('name="audio"');
      expect(page.text).to.include('data-recorder hidden');
      expect(page.text).to.include('<script src="/assets/onboarding.js" defer></script>');

      const notAudio = await agent.post(`${BASE}/audio`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').attach('audio', corpus('pdfs/minimal-hello-world.pdf'), 'interview.mp3');
      expect(notAudio.status).to.equal(422);
      expect(notAudio.text).to.include(html(emulated.i18n.getFixedT('fr')('brand.onboarding.errors.file.notAudio')));

      const res = await agent.post(`${BASE}/audio`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').attach('audio', corpus('audio/jfk.mp3'), 'entretien.mp3');
      expect(res.status).to.equal(200);
      expect(res.text).to.include('entretien.mp3');
      await emulated.onboardingProcessor.idle();
      const session = await openSessionRow(emulated, tenantId);
      const [row] = await inputRows(emulated, tenantId, session.id).then((rows) => rows.filter((r) => r.kind === 'audio'));
      expect(row).to.include({ status: 'done', mimeType: 'audio/mpeg', extractedText: EMULATED_TRANSCRIPT });
      expect(row.durationMs).to.be.greaterThan(0);
      expect(row.aiCallId).to.be.a('string');
      const call = await emulated.database.forTenant(tenantId, (trx) => trx('aiCalls').where({ id: row.aiCallId }).first());
      expect(call).to.include({ task: 'transcription', status: 'ok' });
      const list = await agent.get(`${BASE}/audio`);
      expect(list.text).to.include(html(emulated.i18n.getFixedT('fr')('brand.onboarding.status.done')));

      // the transcript is one of the DNA's inputs
      const inputs = await emulated.onboardingProcessor.dnaInputs(tenantId, (await openSessionRow(emulated, tenantId))!);
      expect(inputs.find((i) => i.kind === 'audio')?.text).to.equal(EMULATED_TRANSCRIPT);
      await agent.post(`${BASE}/restart`).set('X-CSRF-Token', csrf).set('HX-Request', 'true');
    });
  });
});

async function dnaVersions(cradle: Wired, tenantId: string): Promise<{ version: number; reason: string; isCurrent: boolean }[]> {
  return cradle.database.forTenant(tenantId, (trx) => trx('brandDna').where({ tenantId }).orderBy('version').select('version', 'reason', 'isCurrent'));
}
