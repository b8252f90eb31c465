import { expect } from 'chai';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, listen } from '../support/browser.js';
import { createCalendarContent, DEMO_TENANT, deleteContents, localToInstant, slotOf, tenantIdBySlug } from '../integration/modules/calendar/calendar-fixtures.js';

const ZONE = 'Europe/Paris';

/** A future local day in Paris, on the given ISO weekday, at least `days` ahead. */
function localDay(days: number, weekday: number): DateTime {
  let d = DateTime.now().setZone(ZONE).startOf('day').plus({ days });
  while (d.weekday !== weekday) d = d.plus({ days: 1 });
  return d;
}
const at = (d: DateTime, time: string) => localToInstant({ year: d.year, month: d.month, day: d.day }, time, ZONE);

describe('Editorial calendar in a browser: drag and drop, keyboard move, filters', function () {
  this.timeout(90_000);
  let browser: Browser;
  let server: Awaited<ReturnType<typeof listen>>;
  let page: Page;
  let tenantId: string;
  const errors: string[] = [];
  const created: string[] = [];

  before(async function () {
    if (!chromiumAvailable()) {
      console.warn('    chromium is not installed (apt-get install chromium; .ci/run does it): calendar browser tests skipped');
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
    if (tenantId) await deleteContents(tenantId, created);
  });

  afterEach(() => {
    expect(errors, 'no script error').to.deep.equal([]);
  });

  it('drops a chip on another day: the slot moves there at the same local time and the grid follows', async () => {
    // a Tuesday and the Thursday of the same week, in the same month view
    let tuesday = localDay(2, 2);
    if (tuesday.plus({ days: 2 }).month !== tuesday.month) tuesday = tuesday.plus({ weeks: 1 });
    const thursday = tuesday.plus({ days: 2 });
    const id = await createCalendarContent(tenantId, { channel: 'linkedin', title: 'Glissé-déposé', startsAt: at(tuesday, '12:30') });
    created.push(id);

    await page.goto(`${server.url}/app/calendar?view=month&date=${tuesday.toISODate()}`);
    const chip = page.locator(`#chip-${id}`);
    expect(await chip.getAttribute('draggable')).to.equal('true');
    await chip.dragTo(page.locator(`td[data-date="${thursday.toISODate()}"]`));
    await page.locator('#calendar-detail .alert-success').waitFor();
    expect(await page.locator('#calendar-detail .alert-success').textContent()).to.include('Déplacé au');
    // the calendar refreshed itself: the chip is now in Thursday's cell
    await page.locator(`td[data-date="${thursday.toISODate()}"] #chip-${id}`).waitFor();
    const slot = await slotOf(tenantId, id);
    expect(slot!.startsAt.toISOString()).to.equal(at(thursday, '12:30').toISOString());
    expect(slot!.source).to.equal('manual');
  });

  it('a drop the rules refuse shows the error in the detail panel', async () => {
    const friday = localDay(2, 5);
    let sunday = friday.plus({ days: 2 });
    if (sunday.month !== friday.month) sunday = sunday.plus({ weeks: 1 }); // keep both in one month view
    const id = await createCalendarContent(tenantId, { channel: 'sms', title: 'SMS à déplacer', startsAt: at(sunday.minus({ days: 2 }), '11:00') });
    created.push(id);
    await page.goto(`${server.url}/app/calendar?view=month&date=${sunday.toISODate()}`);
    await page.locator(`#chip-${id}`).dragTo(page.locator(`td[data-date="${sunday.toISODate()}"]`));
    await page.locator('#move-error').waitFor();
    expect(await page.locator('#move-error').textContent()).to.include('Les SMS ne partent que du lundi au samedi');
    expect((await slotOf(tenantId, id))!.startsAt.toISOString()).to.equal(at(sunday.minus({ days: 2 }), '11:00').toISOString());
  });

  it('keyboard: a chip opens the detail (focus on its title), the form moves the item, Escape closes and focus returns', async () => {
    let wednesday = localDay(3, 3);
    if (wednesday.plus({ days: 1 }).month !== wednesday.month) wednesday = wednesday.plus({ weeks: 1 });
    const id = await createCalendarContent(tenantId, { channel: 'blog', title: 'Au clavier', startsAt: at(wednesday, '08:00') });
    created.push(id);
    await page.goto(`${server.url}/app/calendar?view=list&date=${wednesday.toISODate()}`);
    await page.locator(`#chip-${id}`).focus();
    await page.keyboard.press('Enter');
    await page.locator('#calendar-detail h2').waitFor();
    // focus moves once htmx has settled the panel
    await page.waitForFunction(() => document.activeElement?.id === 'calendar-detail-title', undefined, { timeout: 5_000 });
    expect(page.url()).to.include('view=list'); // the panel opened in place

    const target = wednesday.plus({ days: 1 });
    await page.getByLabel('Date', { exact: true }).fill(target.toISODate()!);
    await page.getByLabel('Heure', { exact: true }).fill('09:15');
    await page.getByRole('button', { name: 'Déplacer à cette date' }).press('Enter');
    await page.locator('#calendar-detail .alert-success').waitFor();
    expect((await slotOf(tenantId, id))!.startsAt.toISOString()).to.equal(at(target, '09:15').toISOString());

    await page.locator('#calendar-detail-title').focus();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.getElementById('calendar-detail')?.children.length === 0);
    // the calendar was refreshed after the move: focus goes back to the item's chip, now on Thursday
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal(`chip-${id}`);
  });

  it('filters by channel without a reload and pushes a shareable URL', async () => {
    const day = localDay(4, 4);
    const sms = await createCalendarContent(tenantId, { channel: 'sms', title: 'Filtre SMS', startsAt: at(day, '10:00') });
    const fb = await createCalendarContent(tenantId, { channel: 'facebook', title: 'Filtre Facebook', startsAt: at(day, '11:00') });
    created.push(sms, fb);
    await page.goto(`${server.url}/app/calendar?view=month&date=${day.toISODate()}`);
    await page.locator('#calendar-filters summary').first().click();
    await page.locator('#calendar-filter-channel-sms').check();
    await page.waitForURL(/channel=sms/);
    await page.locator(`#chip-${fb}`).waitFor({ state: 'detached' });
    expect(await page.locator(`#chip-${sms}`).isVisible()).to.equal(true);
    expect(await page.locator('#calendar-filter-channel-count').textContent()).to.equal('1 choisi');
    // the dropdown closes like a menu
    await page.keyboard.press('Escape');
    expect(await page.locator('#calendar-filters details').first().getAttribute('open')).to.equal(null);
    // the navigation keeps the filter
    await page.getByRole('link', { name: 'Période suivante' }).click();
    await page.waitForURL(new RegExp(`date=${day.plus({ months: 1 }).startOf('month').toISODate()}&channel=sms`));
    const shared = page.url();
    await page.goto(shared);
    expect(await page.locator('#calendar-filter-channel-sms').isChecked()).to.equal(true);
  });
});
