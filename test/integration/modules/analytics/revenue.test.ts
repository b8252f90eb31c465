import { expect } from 'chai';
import { ReportFiguresService } from '../../../../src/modules/analytics/report-figures.js';
import { RevenueService } from '../../../../src/modules/analytics/revenue-service.js';
import { cradle, frozenClock, MarketingFixtures, revenueTeam, type RevenueTeam } from './revenue-support.js';

/**
 * Hand-computed fixture, months January–June 2026 in Europe/Paris (the clock says mid-July, window 6):
 *   human clicks   10  20  15  30  25  40   (+5 bot clicks in January, never counted)
 *   conversions     1   2   2   4   3   5
 *   publications    1   2   0   3   1   2   (one sent 31 Jan 23:30 UTC = 1 Feb in Paris; one 30 Jun 22:30 UTC = July)
 *   revenue (€)  1000 1500 1300 2500 2100 3000 (typed by hand; a CSV value for June is overridden by the typed one)
 * Revenue in cents: mean 190 000, Σdy² = 29 400 000 000.
 *   clicks:       mean 23.33, Σdx² = 583.33, Σdx·dy = 4 100 000 → r = 0.990038
 *   conversions:  mean 2.83,  Σdx² = 10.83,  Σdx·dy = 560 000   → r = 0.992278
 *   publications: mean 1.5,   Σdx² = 5.5,    Σdx·dy = 250 000   → r = 0.621706
 */
describe('Revenue correlation (overlay, coefficients, UTM view)', () => {
  let team: RevenueTeam;
  let service: RevenueService;

  before(async function () {
    this.timeout(120_000);
    team = await revenueTeam();
    const f = new MarketingFixtures(team.tenantId);
    const c = cradle();
    service = new RevenueService({ businessMetricRepository: c.businessMetricRepository, reportFigures: new ReportFiguresService({ reportRepository: c.reportRepository }), clock: frozenClock('2026-07-15T10:00:00Z') });

    for (const at of ['2026-01-12T10:00:00Z', '2026-01-31T23:30:00Z', '2026-02-10T10:00:00Z', '2026-04-02T10:00:00Z', '2026-04-12T10:00:00Z', '2026-04-22T10:00:00Z', '2026-05-05T10:00:00Z', '2026-06-01T08:00:00Z', '2026-06-20T10:00:00Z', '2026-06-30T22:30:00Z']) {
      await f.published('facebook', `Post ${at}`, at);
    }
    // link A: facebook / soldes; link B: linkedin / 2026-06 (its UTM source from the link)
    await f.link({ channel: 'facebook', utmSource: 'facebook', utmCampaign: 'soldes', clicks: [
      { at: '2026-01-15T10:00:00Z', count: 10 }, { at: '2026-01-16T10:00:00Z', count: 5, bot: true },
      { at: '2026-02-15T10:00:00Z', count: 20 }, { at: '2026-04-15T10:00:00Z', count: 10 }, { at: '2026-06-15T10:00:00Z', count: 40 },
    ] });
    const linkB = await f.link({ channel: 'linkedin', utmSource: 'linkedin', utmCampaign: '2026-06', clicks: [
      { at: '2026-03-15T10:00:00Z', count: 15 }, { at: '2026-04-16T10:00:00Z', count: 20 }, { at: '2026-05-15T10:00:00Z', count: 25 },
      { at: '2026-07-02T10:00:00Z', count: 99 }, // after the window
    ] });
    await f.conversion({ at: '2026-01-20T10:00:00Z', valueCents: 5000, utmSource: 'facebook', utmCampaign: 'soldes' });
    for (let i = 0; i < 2; i++) await f.conversion({ at: '2026-02-20T10:00:00Z', valueCents: 1000, shortLinkId: linkB });
    for (let i = 0; i < 2; i++) await f.conversion({ at: '2026-03-20T10:00:00Z' });
    for (let i = 0; i < 4; i++) await f.conversion({ at: '2026-04-20T10:00:00Z', valueCents: 2500, utmSource: 'facebook', utmCampaign: 'soldes' });
    for (let i = 0; i < 3; i++) await f.conversion({ at: '2026-05-20T10:00:00Z', shortLinkId: linkB });
    await f.conversion({ at: '2026-06-20T10:00:00Z', valueCents: 700, currency: 'USD', utmSource: 'facebook', utmCampaign: 'soldes' });
    for (let i = 0; i < 4; i++) await f.conversion({ at: '2026-06-21T10:00:00Z', valueCents: 1000, utmSource: 'facebook', utmCampaign: 'soldes' });

    const revenue = [100_000, 150_000, 130_000, 250_000, 210_000, 300_000];
    for (const [i, value] of revenue.entries()) await f.metric({ month: `2026-0${i + 1}-01`, kind: 'revenue', value });
    await f.metric({ month: '2026-06-01', kind: 'revenue', value: 999_999, source: 'csv' });
    await f.metric({ month: '2025-12-01', kind: 'revenue', value: 1 }); // before the window
    await f.metric({ month: '2026-02-01', kind: 'orders', value: 10 });
    await f.metric({ month: '2026-03-01', kind: 'orders', value: 12 });
    for (const m of ['01', '02', '03', '04']) await f.metric({ month: `2026-${m}-01`, kind: 'custom', name: 'Panier moyen', value: 4000, unit: 'cents' });
  });

  it('lays the business metric over the monthly activity of the tenant’s zone, the typed value first', async () => {
    const o = await service.overview(team.tenantId, { timezone: 'Europe/Paris', window: 6, metricId: 'revenue' });
    expect(o.months).to.deep.equal(['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01', '2026-06-01']);
    expect(o.activity.map((a) => a.clicks)).to.deep.equal([10, 20, 15, 30, 25, 40]);
    expect(o.activity.map((a) => a.conversions)).to.deep.equal([1, 2, 2, 4, 3, 5]);
    expect(o.activity.map((a) => a.publications)).to.deep.equal([1, 2, 0, 3, 1, 2]);
    expect(o.selected!.id).to.equal('revenue');
    expect(o.selected!.values).to.deep.equal([100_000, 150_000, 130_000, 250_000, 210_000, 300_000]);
    expect(o.metrics.map((m) => [m.id, m.known])).to.deep.equal([['revenue', 6], ['orders', 2], ['custom:Panier moyen', 4]]);
  });

  it('gives r with the months behind it for every pair, and no coefficient under three months or without variation', async () => {
    const o = await service.overview(team.tenantId, { timezone: 'Europe/Paris', window: 6, metricId: null });
    const pair = (metricId: string, activity: string) => o.correlations.find((c) => c.metricId === metricId && c.activity === activity)!;
    expect(pair('revenue', 'clicks').correlation!.n).to.equal(6);
    expect(pair('revenue', 'clicks').correlation!.r).to.be.closeTo(4_100_000 / Math.sqrt((583 + 1 / 3) * 29_400_000_000), 1e-9);
    expect(pair('revenue', 'clicks').correlation!.r).to.be.closeTo(0.990038, 1e-6);
    expect(pair('revenue', 'clicks').strength).to.equal('strong');
    expect(pair('revenue', 'conversions').correlation!.r).to.be.closeTo(0.992278, 1e-6);
    expect(pair('revenue', 'publications').correlation!.r).to.be.closeTo(0.621706, 1e-6);
    expect(pair('revenue', 'publications').strength).to.equal('moderate');
    expect(pair('orders', 'clicks')).to.deep.include({ correlation: null, strength: null, months: 2 });
    expect(pair('custom:Panier moyen', 'clicks')).to.deep.include({ correlation: null, months: 4 });
    expect(o.correlations).to.have.length(9);
  });

  it('counts UTM-tagged clicks and conversions per channel and campaign, values per currency, unattributed last', async () => {
    const o = await service.overview(team.tenantId, { timezone: 'Europe/Paris', window: 6, metricId: null });
    expect(o.utm.map((u) => ({ ...u, values: [...u.values].sort((a, b) => a.currency.localeCompare(b.currency)) }))).to.deep.equal([
      { channel: 'facebook', campaign: 'soldes', clicks: 80, conversions: 10, values: [{ currency: 'EUR', cents: 19_000 }, { currency: 'USD', cents: 700 }] },
      { channel: 'linkedin', campaign: '2026-06', clicks: 60, conversions: 5, values: [{ currency: 'EUR', cents: 2000 }] },
      { channel: null, campaign: null, clicks: 0, conversions: 2, values: [] },
    ]);
  });

  it('renders the page: chart with the metric on the right axis, r and n per pair, the honest wording, tenant-scoped', async () => {
    const res = await team.owner.agent.get('/app/revenue?window=24&metric=revenue');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('<svg class="chart chart-line"');
    expect(res.text).to.include('<text class="tick" x="598"'); // right-hand axis ticks (640 − 48 + 6): the revenue
    expect(res.text).to.match(/<circle class="series-4"[^>]*><title>Chiffre d&#39;affaires — [^:]+ : 3\s000,00\s€<\/title>/);
    expect(res.text).to.include('Une corrélation indique seulement que deux chiffres évoluent ensemble');
    expect(res.text).to.not.match(/caus(e|é) (par|by)|grâce à vos|thanks to your/i);
    // the live page covers the last 24 complete months: December 2025–June 2026 is inside for any run date in 2026–2027
    expect(res.text).to.match(/data-activity="clicks" data-r="0\.\d{4}" data-n="7"/);
    const fragment = await team.owner.agent.get('/app/revenue?window=6&metric=orders').set('HX-Request', 'true');
    expect(fragment.status).to.equal(200);
    expect(fragment.text.trimStart()).to.match(/^<div id="revenue-overview">/);

    const other = await revenueTeam();
    const foreign = await other.owner.agent.get('/app/revenue?window=24');
    expect(foreign.text).to.include('id="revenue-no-metrics"');
    expect(foreign.text).to.not.include('data-r=');
  });
});
