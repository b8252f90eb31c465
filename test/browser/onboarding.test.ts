import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/app.js';
import { buildContainer } from '../../src/container.js';
import { EMULATED_TRANSCRIPT } from '../support/ai-emulator/audio.js';
import { providerEnv, startAiEmulator, type AiEmulator } from '../support/ai-emulator/index.js';
import { CHROMIUM, chromiumAvailable, launchChromium } from '../support/browser.js';
import { DEMO_OWNER } from '../support/http.js';
import { testConfig, testEnv } from '../support/root-hooks.js';

const MINIMAL_PDF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus/pdfs/minimal-hello-world.pdf');

describe('Browser: the guided onboarding, from the basics to a new brand DNA version', function () {
  this.timeout(120_000);
  let browser: Browser;
  let server: Server;
  let base: string;

  before(async function () {
    if (!chromiumAvailable()) {
      console.warn('    chromium is not installed (apt-get install chromium; .ci/run does it): browser tests skipped');
      this.skip();
    }
    const app = testEnv().app;
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function logIn(page: Page, url: string): Promise<void> {
    await page.goto(`${url}/login`);
    await page.getByLabel('Adresse e-mail').fill(DEMO_OWNER.email);
    await page.getByLabel('Mot de passe').fill(DEMO_OWNER.password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${url}/app`);
  }

  async function startFresh(page: Page, url = base): Promise<void> {
    await page.goto(`${url}/app/brand/onboarding`);
    if (!page.url().endsWith('/app/brand/onboarding/company') || (await page.locator('#company-name').inputValue())) {
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Tout recommencer' }).click();
      await page.waitForURL(`${url}/app/brand/onboarding/company`);
      await page.waitForFunction(() => !(document.getElementById('company-name') as HTMLInputElement | null)?.value);
    }
  }

  it('the demo owner walks the wizard (basics → skip audio → questionnaire → one PDF → review → generate) and lands on the new DNA', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    await logIn(page, base);
    await startFresh(page);

    // 1. basics
    expect(await page.locator('[aria-current="step"]').textContent()).to.include('Votre entreprise');
    await page.getByLabel("Nom de l'entreprise").fill('Boulangerie Martin');
    await page.getByLabel('Activité').fill('Boulangerie artisanale bio à Nantes : pains au levain, viennoiseries');
    await page.getByLabel('Ville').fill('Nantes');
    await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
    await page.waitForURL(`${base}/app/brand/onboarding/audio`);

    // 2. audio: no speech-to-text provider on this server, said before any upload
    expect(await page.locator('#transcription-unavailable').isVisible()).to.equal(true);
    expect(await page.locator('#transcription-unavailable').textContent()).to.include("La transcription audio n'est pas disponible");
    await page.getByRole('link', { name: 'Écrire mes réponses' }).click();
    await page.waitForURL(`${base}/app/brand/onboarding/questionnaire`);

    // 3. questionnaire: saved as typed, still there after a reload
    await page.getByLabel('Qui sont vos clients ?').fill('Les familles du quartier Zola et trois restaurants');
    await page.locator('#autosave', { hasText: 'Enregistré à' }).waitFor();
    await page.reload();
    expect(await page.getByLabel('Qui sont vos clients ?').inputValue()).to.equal('Les familles du quartier Zola et trois restaurants');
    await page.getByLabel("Qu'est-ce qui vous rend différent ?").fill('Farines bio du moulin voisin, levain maison depuis 1998');
    await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
    await page.waitForURL(`${base}/app/brand/onboarding/documents`);

    // 4. one PDF, read in the background; the list updates itself
    await page.locator('#documents-files').setInputFiles(MINIMAL_PDF);
    await page.getByRole('button', { name: 'Envoyer les documents' }).click();
    await page.locator('#inputs li[data-status="done"]', { hasText: 'minimal-hello-world.pdf' }).waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Continuer →' }).click();
    await page.waitForURL(`${base}/app/brand/onboarding/website`);

    // 5. website: skipped
    await page.getByRole('link', { name: 'Passer cette étape →' }).click();
    await page.waitForURL(`${base}/app/brand/onboarding/review`);

    // 6. review and generate: the progress polls itself until the DNA is ready
    expect(await page.locator('#review').textContent()).to.include('Boulangerie Martin');
    await page.getByRole('button', { name: 'Générer mon ADN de marque' }).click();
    const ready = page.locator('#progress', { hasText: 'Votre ADN de marque est prêt' });
    await ready.waitFor({ timeout: 60_000 });
    const version = /version (\d+)/.exec((await ready.textContent()) ?? '')?.[1];
    expect(version).to.be.a('string');
    await page.getByRole('link', { name: 'Voir mon ADN de marque' }).click();
    await page.waitForURL(`${base}/app/brand`);
    expect(await page.locator('#dna-current-title').textContent()).to.include(`Version actuelle : ${version}`);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('records the interview in the browser (MediaRecorder, fake microphone) and shows its transcript once read (emulator)', async () => {
    const emulator: AiEmulator = await startAiEmulator();
    const container = buildContainer(testConfig(providerEnv(emulator)), testEnv().db);
    const recorderBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
    });
    let emulated: Server | undefined;
    try {
      const app = createApp(container.cradle);
      const cradle = container.cradle;
      emulated = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      const url = `http://127.0.0.1:${(emulated.address() as AddressInfo).port}`;
      const context = await recorderBrowser.newContext({ permissions: ['microphone'] });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await logIn(page, url);
      await startFresh(page, url);
      await page.getByLabel("Nom de l'entreprise").fill('Boulangerie Martin');
      await page.getByLabel('Activité').fill('Boulangerie artisanale');
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click();
      await page.waitForURL(`${url}/app/brand/onboarding/audio`);
      expect(await page.locator('#transcription-unavailable').count()).to.equal(0);
      const toggle = page.getByRole('button', { name: "Démarrer l'enregistrement" });
      await toggle.waitFor(); // revealed by onboarding.js where MediaRecorder exists
      await toggle.click();
      await page.locator('[data-record-status]', { hasText: 'Enregistrement en cours' }).waitFor();
      await page.waitForTimeout(1500);
      await page.getByRole('button', { name: 'Arrêter et envoyer' }).click();
      const item = page.locator('#inputs li[data-status="done"]');
      await item.waitFor({ timeout: 30_000 });
      expect(await item.locator('.input-label').textContent()).to.match(/^entretien-\d{12}\.(webm|ogg)$/);
      await item.getByText('Aperçu du texte').click();
      expect(await item.locator('.input-preview').textContent()).to.include(EMULATED_TRANSCRIPT.slice(0, 40));
      await cradle.onboardingProcessor.idle();
      expect(errors).to.deep.equal([]);
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Tout recommencer' }).click();
      await page.waitForURL(`${url}/app/brand/onboarding/company`);
      await context.close();
    } finally {
      await recorderBrowser.close();
      if (emulated) await new Promise<void>((resolve) => emulated!.close(() => resolve()));
      await container.dispose();
      await emulator.stop();
    }
  });
});
