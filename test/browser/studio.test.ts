import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { providerEnv, startAiEmulator, type AiEmulator } from '../support/ai-emulator/index.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { DEMO_OWNER } from '../support/http.js';
import { databaseNow, removeCreatedSince, studioApp, tenantIdBySlug, type StudioTestApp } from '../integration/modules/studio/editor-support.js';

/**
 * The studio in a real browser, against the AI emulator: create a LinkedIn post and watch it being written
 * (streamed into the page, no reload), edit it, compare two versions, restore one.
 */
describe('Browser: the studio, from a brief to a restored version', function () {
  this.timeout(120_000);
  let browser: Browser;
  let emulator: AiEmulator;
  let s: StudioTestApp;
  let server: Server;
  let base: string;
  let startedAt: Date | undefined;

  before(async function () {
    if (!chromiumAvailable()) {
      console.warn('    chromium is not installed (apt-get install chromium; .ci/run does it): browser tests skipped');
      this.skip();
    }
    emulator = await startAiEmulator();
    s = studioApp(providerEnv(emulator));
    startedAt = await databaseNow(s.cradle);
    server = await new Promise<Server>((resolve) => {
      const listening = s.app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (startedAt) await removeCreatedSince(s.cradle, [await tenantIdBySlug(s.cradle, 'boulangerie-martin')], startedAt);
    await s?.dispose();
    await emulator?.stop();
  });

  async function logIn(page: Page): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('Adresse e-mail').fill(DEMO_OWNER.email);
    await page.getByLabel('Mot de passe').fill(DEMO_OWNER.password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${base}/app`);
  }

  it('creates a LinkedIn post, streams its text into the editor, edits it, compares and restores a version', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // Every piece of text the stream puts into the preview, recorded as it lands (before the final swap replaces it).
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { streamed: string[] }).streamed = seen;
      new MutationObserver((mutations) => {
        for (const m of mutations) if ((m.target as Element).id === 'generation-preview') m.addedNodes.forEach((n) => seen.push(n.textContent ?? ''));
      }).observe(document, { childList: true, subtree: true });
    });
    await logIn(page);

    await page.goto(`${base}/app/studio`);
    await page.getByRole('link', { name: 'Nouveau contenu' }).first().click();
    await page.waitForURL(`${base}/app/studio/new`);
    await page.getByLabel('Canal').selectOption('instagram');
    expect(await page.locator('#channel-hint').textContent()).to.include('2'); // the hint follows the channel (2 200 characters)
    await page.getByLabel('Canal').selectOption('linkedin');
    expect(await page.locator('#channel-hint').textContent()).to.include('3');
    await page.getByLabel('Brief').fill('Annoncer les brioches au beurre du dimanche matin');
    expect(await page.locator('[data-counter-for="new-brief"]').textContent()).to.match(/^49 \/ 5\s000 caractères$/);
    await page.getByLabel('Titre de travail (facultatif)').fill('Brioches du dimanche');
    await page.getByRole('button', { name: 'Créer et générer' }).click();

    // the editor opens and writes at once; the flag leaves the address so a reload does not generate again
    await page.waitForURL(/\/app\/studio\/[0-9a-f-]{36}$/);
    const contentUrl = page.url();
    await page.locator('#content-status', { hasText: 'À valider' }).waitFor();
    const streamed = await page.evaluate(() => (window as unknown as { streamed: string[] }).streamed);
    expect(streamed.length, 'text arrived in pieces before the editor was refreshed').to.be.greaterThan(1);
    const body = page.getByRole('textbox', { name: 'Texte', exact: true });
    const generated = await body.inputValue();
    expect(generated).to.include("Réponse de l'émulateur");
    expect(streamed.join('').trim()).to.equal(generated);
    expect(await page.locator('#versions tbody tr').count()).to.equal(1);
    expect(await page.locator('#generate-button').textContent()).to.include('Régénérer (5 restantes)');

    // edit: a new version, swapped in place
    await body.fill(`${generated}\n\nÀ dimanche au fournil !`);
    await page.getByRole('button', { name: 'Enregistrer comme nouvelle version' }).click();
    await page.getByText('Version 2 enregistrée.').waitFor();
    expect(await page.locator('#versions tbody tr').count()).to.equal(2);
    expect(page.url()).to.equal(contentUrl);

    // compare v1 → v2 (the default pair)
    await page.getByRole('button', { name: 'Comparer', exact: true }).click();
    await page.waitForURL(/\/compare\?/);
    const added = page.locator('#diff-body ins');
    expect(await added.count()).to.equal(1);
    expect(await added.textContent()).to.include('À dimanche au fournil !');

    // restore v1: a third version with the generated text
    await page.getByRole('button', { name: 'Restaurer la version 1' }).click();
    await page.waitForURL(contentUrl);
    await page.locator('#versions tbody tr').nth(2).waitFor();
    expect(await page.getByRole('textbox', { name: 'Texte', exact: true }).inputValue()).to.equal(generated);
    expect(await page.locator('#versions tbody tr').count()).to.equal(3);

    // nothing went wrong on the way, and no error was shown
    expect(await page.locator('#toasts .alert').count()).to.equal(0);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('generates a LinkedIn post, edits it, approves it in the queue and finds it scheduled on the calendar', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await logIn(page);

    await page.goto(`${base}/app/studio/new`);
    await page.getByLabel('Canal').selectOption('linkedin');
    await page.getByLabel('Brief').fill('Présenter le pain aux figues de la semaine');
    await page.getByLabel('Titre de travail (facultatif)').fill('Pain aux figues');
    await page.getByRole('button', { name: 'Créer et générer' }).click();
    await page.waitForURL(/\/app\/studio\/[0-9a-f-]{36}$/);
    const contentId = page.url().split('/').pop()!;
    await page.locator('#content-status', { hasText: 'À valider' }).waitFor();

    const body = page.getByRole('textbox', { name: 'Texte', exact: true });
    const edited = `${await body.inputValue()}\n\nEn boutique dès vendredi.`;
    await body.fill(edited);
    await page.getByRole('button', { name: 'Enregistrer comme nouvelle version' }).click();
    await page.getByText('Version 2 enregistrée.').waitFor();

    // the queue: the card shows the edited text; the emulated moderation passed, so a plain approval is offered
    await page.goto(`${base}/app/approvals`);
    const card = page.locator(`#approval-${contentId}`);
    await card.locator('.approval-body', { hasText: 'En boutique dès vendredi.' }).waitFor();
    await card.getByRole('button', { name: 'Valider', exact: true }).click();
    await page.locator(`#approval-${contentId}`).getByText('Programmé').first().waitFor();

    // the calendar's list shows it on its slot, scheduled; opening it in place links back to the studio
    await page.goto(`${base}/app/calendar?view=list`);
    const chip = page.locator(`#chip-${contentId}`);
    await chip.waitFor();
    expect(await chip.locator('.cal-status').textContent()).to.equal('Programmé');
    expect(await chip.locator('.cal-chip-title').textContent()).to.equal('Pain aux figues');
    await chip.click();
    await page.locator('#calendar-detail').getByRole('link', { name: /studio/i }).waitFor();

    const decided = await s.cradle.database.forTenant(await tenantIdBySlug(s.cradle, 'boulangerie-martin'), (trx) =>
      trx('approvals as a').join('contentVersions as v', 'v.id', 'a.contentVersionId').where('a.contentId', contentId).select('a.decision', 'a.actorKind', 'v.number'),
    );
    expect(decided).to.deep.equal([{ decision: 'approved', actorKind: 'user', number: 2 }]);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('shows a failed generation in the page and keeps the page usable', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await logIn(page);
    await page.goto(`${base}/app/studio/new`);
    await page.getByLabel('Brief').fill('Un texte que personne ne pourra écrire');
    await page.getByRole('button', { name: 'Créer et écrire moi-même' }).click();
    await page.waitForURL(/\/app\/studio\/[0-9a-f-]{36}$/);

    // no model left: the providers fail and the offline composer is off
    await s.cradle.database.asPlatform((trx) => trx('aiModels').where({ modelId: 'offline-composer' }).update({ active: false }));
    s.cradle.aiGateway.invalidateCatalogue();
    emulator.injectFault({}, { status: 500 });
    try {
      await page.getByRole('button', { name: 'Générer le texte' }).click();
      const alert = page.locator('#generation-error');
      await alert.waitFor({ state: 'visible' });
      expect(await alert.textContent()).to.include("Aucun moteur d'IA n'a pu répondre");
      expect(await page.locator('#generation-live').isHidden()).to.equal(true);
      expect(await page.getByRole('button', { name: 'Générer le texte' }).isEnabled()).to.equal(true);
    } finally {
      emulator.clearFaults();
      await s.cradle.database.asPlatform((trx) => trx('aiModels').where({ modelId: 'offline-composer' }).update({ active: true }));
      s.cradle.aiGateway.invalidateCatalogue();
    }
    // the page still works: writing by hand
    await page.getByRole('textbox', { name: 'Texte', exact: true }).fill('Écrit à la main, finalement.');
    await page.getByRole('button', { name: 'Enregistrer comme nouvelle version' }).click();
    await page.getByText('Version 1 enregistrée.').waitFor();
    expect(errors).to.deep.equal([]);
    await page.close();
  });
});
