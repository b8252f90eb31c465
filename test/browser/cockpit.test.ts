import fs from 'node:fs';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, listen } from '../support/browser.js';
import { testEnv } from '../support/root-hooks.js';
import { DEMO_TENANT, tenantIdBySlug } from '../integration/modules/calendar/calendar-fixtures.js';

/** The demo owner's cockpit (a year of demo activity) in a browser, then an invoice downloaded from the subscription page. */
describe('Cockpit in a browser: demo data, period change, invoice download', function () {
  this.timeout(90_000);
  let browser: Browser;
  let server: Awaited<ReturnType<typeof listen>>;
  let page: Page;
  const errors: string[] = [];

  before(async function () {
    if (!chromiumAvailable()) {
      console.warn('    chromium is not installed (apt-get install chromium; .ci/run does it): cockpit browser tests skipped');
      this.skip();
    }
    browser = await launchChromium();
    server = await listen();
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 }, acceptDownloads: true });
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Adresse e-mail').fill('demo@cadence.test');
    await page.getByLabel('Mot de passe').fill('cadence-demo');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${server.url}/app`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(errors, 'no script error').to.deep.equal([]);
  });

  it('shows the tiles in French formats and the charts', async () => {
    await page.locator('#cockpit-tiles').waitFor();
    expect(await page.locator('h1').textContent()).to.equal('Tableau de bord');
    const impressions = (await page.locator('#tile-impressions .tile-value').textContent())!.trim();
    expect(impressions).to.match(/^\d{1,3}(\u202f\d{3})+$/); // e.g. "21 480" with a narrow no-break space
    expect(await page.locator('#cockpit-engagement svg.chart-line path').count()).to.be.greaterThan(0);
    expect(await page.locator('#cockpit-engagement svg.chart-bar rect').count()).to.be.greaterThan(0);
    expect(await page.locator('#cockpit-revenue svg.chart-line').count()).to.equal(1);
    expect(await page.locator('#cockpit-correlation').textContent()).to.include('coefficient de corrélation');
    expect(await page.locator('#cockpit-top-contents tbody tr').count()).to.be.greaterThan(0);
    // "du 27 oct. 2026 au 25 nov. 2026": French dates
    expect(await page.locator('#cockpit-range').textContent()).to.match(/^du \d{1,2} \S+ \d{4} au \d{1,2} \S+ \d{4}/);
  });

  it('changes the period: the body is swapped and the address follows', async () => {
    const before = await page.locator('#cockpit-range').textContent();
    await page.locator('#cockpit-period-preset').selectOption('12m');
    await page.waitForURL(/period=12m/);
    await page.waitForFunction((previous) => document.querySelector('#cockpit-range')?.textContent !== previous, before);
    expect(await page.locator('#cockpit-period-preset').inputValue()).to.equal('12m');
    expect(await page.locator('#tile-impressions .tile-value').textContent()).to.match(/\d\u202f\d{3}/);

    // a custom period ending before it starts: the error is shown with what was typed
    await page.locator('#cockpit-period-from').fill('2026-03-10');
    await page.locator('#cockpit-period-to').fill('2026-03-01');
    await page.locator('#cockpit-period-preset').selectOption('custom');
    await page.locator('#to-error').waitFor();
    expect(await page.locator('#to-error').textContent()).to.equal('Le dernier jour doit être après le premier.');
    expect(await page.locator('#cockpit-period-from').inputValue()).to.equal('2026-03-10');
    expect(await page.locator('#cockpit-tiles').count()).to.equal(0);

    await page.locator('#cockpit-period-to').fill('2026-03-31');
    await page.getByRole('button', { name: 'Afficher' }).click();
    await page.locator('#cockpit-tiles').waitFor();
    expect(await page.locator('#cockpit-range').textContent()).to.match(/^du 10 mars 2026 au 31 mars 2026/);
  });

  it('downloads an invoice PDF from the subscription page', async () => {
    const tenantId = await tenantIdBySlug(DEMO_TENANT);
    // the monthly job's own call: the current period's invoice of the demo workspace (once per period)
    await testEnv().container.cradle.invoiceService.issueFor(tenantId);
    await page.goto(`${server.url}/app/subscription`);
    const link = page.locator('[data-testid="invoice-download"]').first();
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).to.match(/\.pdf$/);
    const file = await download.path();
    expect(fs.readFileSync(file!).subarray(0, 5).toString()).to.equal('%PDF-');
  });
});
