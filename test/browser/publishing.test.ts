import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, listen } from '../support/browser.js';
import { testEnv } from '../support/root-hooks.js';
import { createCalendarContent, DEMO_TENANT, deleteContents, tenantIdBySlug } from '../integration/modules/calendar/calendar-fixtures.js';

describe('Publishing in a browser: connect a sandbox account, an approved post goes out and shows as published', function () {
  this.timeout(90_000);
  let browser: Browser;
  let server: Awaited<ReturnType<typeof listen>>;
  let page: Page;
  let tenantId: string;
  const errors: string[] = [];
  const created: string[] = [];
  const NAME = `Boulangerie Martin — bac à sable ${Date.now()}`;

  before(async function () {
    if (!chromiumAvailable()) {
      console.warn('    chromium is not installed (apt-get install chromium; .ci/run does it): publishing browser test skipped');
      this.skip();
    }
    tenantId = await tenantIdBySlug(DEMO_TENANT);
    browser = await launchChromium();
    server = await listen();
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
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
    if (!tenantId) return;
    await deleteContents(tenantId, created);
    // the demo tenant is shared: leave no account behind for other tests' contents
    await testEnv().container.cradle.database.forTenant(tenantId, (trx) => trx('channelAccounts').where({ tenantId, displayName: NAME }).update({ status: 'revoked' }));
  });

  afterEach(() => {
    expect(errors, 'no script error').to.deep.equal([]);
  });

  it('the owner connects a sandbox LinkedIn account; an approved LinkedIn post due now is published and its payload shown', async () => {
    await page.goto(`${server.url}/app/channels`);
    const linkedin = page.locator('#network-linkedin');
    await linkedin.getByLabel('Nom du compte bac à sable LinkedIn').fill(NAME);
    await linkedin.getByRole('button', { name: 'Connecter un compte bac à sable' }).click();
    await page.locator('#channels .alert-success').waitFor();
    expect(await page.locator('#channels .alert-success').textContent()).to.include(`Compte bac à sable « ${NAME} » connecté pour LinkedIn.`);
    expect(await page.locator('#network-linkedin .channel-accounts').textContent()).to.include(NAME);

    const id = await createCalendarContent(tenantId, {
      channel: 'linkedin',
      status: 'scheduled',
      slotStatus: 'confirmed',
      title: 'Fournée du samedi',
      body: 'Ce samedi, fournée spéciale de pains au levain dès 7 h.',
      startsAt: new Date(Date.now() - 2 * 60 * 1000),
    });
    created.push(id);
    const { publicationPlanner, outboxRelay } = testEnv().container.cradle;
    await publicationPlanner.run();
    await outboxRelay.runOnce();

    await page.goto(`${server.url}/app/channels`);
    const row = page.locator('#recent-publications tr', { hasText: 'Fournée du samedi' }).filter({ hasText: NAME });
    await row.waitFor();
    expect(await row.getAttribute('data-status')).to.equal('sent');
    expect(await row.locator('[data-publication-status]').textContent()).to.equal('Publiée');
    await row.getByText('Ce qui aurait été envoyé').click();
    const payload = row.locator('details.sandbox-payload');
    expect(await payload.getAttribute('open')).to.not.equal(null);
    expect(await payload.locator('pre').textContent()).to.equal('Ce samedi, fournée spéciale de pains au levain dès 7 h.');
    expect(await payload.textContent()).to.include(`pub:${id}:`);

    // the content's own publication panel says the same
    await page.goto(`${server.url}/app/publishing/contents/${id}/panel`);
    expect(await page.locator('#content-publications [data-publication-status]').first().textContent()).to.equal('Publiée');
  });
});
