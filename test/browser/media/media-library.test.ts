import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium } from '../../support/browser.js';
import { DEMO_OWNER } from '../../support/http.js';
import { mediaApp, randomPng } from '../../integration/modules/media/support.js';

describe('Browser: media library (HTMX upload, suggestion, filters)', function () {
  this.timeout(90_000);
  let browser: Browser;
  let server: Server;
  let url: string;

  before(async function () {
    if (!chromiumAvailable()) {
      console.warn('    chromium is not installed: browser tests skipped');
      this.skip();
    }
    browser = await launchChromium();
    server = await new Promise((resolve) => {
      const s = mediaApp().listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('uploads in place, suggests and saves an alt text, filters as you type, and explains a refused file', async () => {
    const marker = crypto.randomBytes(3).toString('hex');
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('response', (res) => {
      // 422: the refused upload below; the favicon is not the library's
      if (res.status() >= 400 && res.status() !== 422 && !res.url().endsWith('/favicon.ico')) problems.push(`${res.status()} ${res.url()}`);
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(msg.text());
    });
    await page.goto(`${url}/login?next=/app/media`);
    await page.getByLabel('Adresse e-mail').fill(DEMO_OWNER.email);
    await page.getByLabel('Mot de passe').fill(DEMO_OWNER.password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${url}/app/media`);
    expect(await page.locator('h1').textContent()).to.equal('Médiathèque');
    expect(await page.locator('nav.sidenav a[aria-current="page"]').textContent()).to.equal('Médiathèque');

    await page.locator('#media-file').setInputFiles({ name: `boutique-${marker}.png`, mimeType: 'image/png', buffer: await randomPng(300, 200) });
    await page.getByRole('button', { name: 'Envoyer' }).click();
    const detail = page.locator('#media-detail[data-asset-id]');
    await detail.waitFor();
    const id = await detail.getAttribute('data-asset-id');
    expect(await page.locator('#media-library .alert-success').textContent()).to.include(`boutique-${marker}.png`);
    expect(await page.locator(`#media-card-${id} img`).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).to.equal(true);

    await page.getByRole('button', { name: 'Suggérer' }).click();
    await page.locator('#alt-text-suggested').waitFor();
    const suggestion = await page.locator('#media-alt').inputValue();
    expect(suggestion.toLowerCase()).to.include(`boutique ${marker}`);
    await page.locator('#media-tags').fill(`vitrine, tag-${marker}`);
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Modifications enregistrées.').waitFor();
    expect(await page.locator(`#media-card-${id} .media-tags`).textContent()).to.include(`tag-${marker}`);

    await page.locator('#media-q').fill(`tag-${marker}`);
    await page.waitForURL(new RegExp(`q=tag-${marker}`));
    await page.waitForFunction(() => document.querySelectorAll('#media-grid .media-card').length === 1);
    expect(await page.locator('#media-grid .media-card').getAttribute('id')).to.equal(`media-card-${id}`);
    await page.locator('#media-kind').selectOption('pdf');
    await page.getByText('Aucun fichier ne correspond à ces filtres.').waitFor();

    await page.locator('#media-file').setInputFiles({ name: 'x.pdf', mimeType: 'application/pdf', buffer: crypto.randomBytes(2048) });
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await page.locator('#upload-error').waitFor();
    expect((await page.locator('#upload-error').textContent())!.toLowerCase()).to.include('type de fichier non pris en charge');
    expect(problems).to.deep.equal([]);
  });
});
