import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, listen } from '../support/browser.js';

describe('Browser smoke: log in, switch language, log out', function () {
  this.timeout(90_000);
  let browser: Browser;
  let server: Awaited<ReturnType<typeof listen>>;

  before(async function () {
    if (!chromiumAvailable()) {
      console.warn('    chromium is not installed (apt-get install chromium; .ci/run does it): browser tests skipped');
      this.skip();
    }
    browser = await launchChromium();
    server = await listen();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the demo owner logs in, switches to English and back, and logs out', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/login`);
    expect(await page.locator('h1').textContent()).to.equal('Connexion');
    await page.getByLabel('Adresse e-mail').fill('demo@cadence.test');
    await page.getByLabel('Mot de passe').fill('cadence-demo');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${server.url}/app`);
    expect(await page.locator('h1').textContent()).to.equal('Tableau de bord');
    expect(await page.getByRole('navigation', { name: 'Navigation principale' }).isVisible()).to.equal(true);

    await page.locator('#locale-select').selectOption('en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await page.locator('h1').textContent()).to.equal('Dashboard');
    expect(await page.getByRole('link', { name: 'Dashboard' }).isVisible()).to.equal(true);

    // the team page works through HTMX (role change posts a fragment)
    await page.getByRole('link', { name: 'Team' }).click();
    await page.waitForURL(`${server.url}/app/team`);
    expect(await page.locator('#team').isVisible()).to.equal(true);

    await page.locator('#locale-select').selectOption('fr');
    await page.waitForFunction(() => document.documentElement.lang === 'fr');
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/login$/);
    expect(await page.locator('h1').textContent()).to.equal('Connexion');
    await page.goto(`${server.url}/app`);
    await page.waitForURL(/\/login\?next=/);
    expect(errors).to.deep.equal([]);
  });
});
