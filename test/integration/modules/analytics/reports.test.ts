import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { extractText } from 'unpdf';
import { monthPeriod, ReportFiguresService } from '../../../../src/modules/analytics/report-figures.js';
import { ReportService } from '../../../../src/modules/analytics/report-service.js';
import { cradle, frozenClock, MarketingFixtures, revenueTeam, tag, type RevenueTeam } from './revenue-support.js';

const FORMULA = '=HYPERLINK("http://evil.test","Cliquez")';

/** A report service on a frozen clock (the job's "today"); everything else is the suite's. */
function serviceAt(iso: string): ReportService {
  const c = cradle();
  return new ReportService({
    reportRepository: c.reportRepository,
    reportFigures: new ReportFiguresService({ reportRepository: c.reportRepository }),
    mediaStorage: c.mediaStorage,
    i18n: c.i18n,
    clock: frozenClock(iso),
    logger: c.logger,
  });
}

async function reportRows(tenantId: string) {
  return cradle().database.forTenant(tenantId, (trx) =>
    trx('reports').where({ tenantId }).select('*', trx.raw(`to_char(period_start, 'YYYY-MM-DD') as first_day, to_char(period_end, 'YYYY-MM-DD') as last_day`)).orderBy('createdAt'),
  );
}

async function pdfText(pdf: Buffer): Promise<string> {
  const { text } = await extractText(new Uint8Array(pdf), { mergePages: true });
  return text.replace(/\s+/g, ' ');
}

const readStored = async (key: string) => {
  const chunks: Buffer[] = [];
  for await (const chunk of await cradle().mediaStorage.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * February 2025 in Europe/Paris, hand-computed:
 *   publications 3 (facebook, linkedin, instagram; one sent 28 Feb 23:30 UTC is 1 March in Paris)
 *   facebook: latest totals 300 impressions, 20 reactions, 4 comments, 2 shares, 5 clicks → 26 engagements, score 44
 *   linkedin: 500 impressions, 30 reactions, 5 comments, 5 shares, 2 clicks → 40 engagements, score 59 (a 1 March row ignored)
 *   instagram: no measure yet
 *   → impressions 800, engagements 66; link clicks 7 (bots and March excluded); conversions 2 worth 30,00 €;
 *     reviews 2 (5 and 4, a removed one ignored) → 4.5; credits consumed 120.
 */
async function februaryFixtures(tenantId: string): Promise<void> {
  const f = new MarketingFixtures(tenantId);
  await f.published('facebook', FORMULA, '2025-02-05T10:00:00Z', {
    '2025-02-06': { impressions: 100, reactions: 10, comments: 2, shares: 1, clicks: 3 },
    '2025-02-20': { impressions: 300, reactions: 20, comments: 4, shares: 2, clicks: 5 },
  });
  await f.published('linkedin', 'Nouveau pain au levain', '2025-02-10T10:00:00Z', {
    '2025-02-27': { impressions: 500, reactions: 30, comments: 5, shares: 5, clicks: 2 },
    '2025-03-01': { impressions: 9999, reactions: 999, comments: 99, shares: 99, clicks: 99 },
  });
  await f.published('instagram', 'Vitrine', '2025-02-15T10:00:00Z');
  await f.published('linkedin', 'Mars', '2025-02-28T23:30:00Z', { '2025-03-02': { impressions: 50, reactions: 5 } });
  await f.link({ channel: 'facebook', utmSource: 'facebook', utmCampaign: '2025-02', clicks: [
    { at: '2025-02-06T10:00:00Z', count: 7 }, { at: '2025-02-06T11:00:00Z', count: 2, bot: true }, { at: '2025-03-01T10:00:00Z', count: 3 },
  ] });
  await f.conversion({ at: '2025-02-12T10:00:00Z', valueCents: 1500 });
  await f.conversion({ at: '2025-02-13T10:00:00Z', valueCents: 1500 });
  await f.review('2025-02-03T10:00:00Z', 5);
  await f.review('2025-02-04T10:00:00Z', 4);
  await f.review('2025-02-05T10:00:00Z', 1, true);
  await f.tx((trx) =>
    trx('creditReservations').insert({ tenantId, amountHeld: 150, amountSettled: 120, status: 'settled', task: 'studio.generate', idempotencyKey: `r-${tag()}`, expiresAt: new Date('2025-02-14T11:00:00Z'), settledAt: new Date('2025-02-14T10:00:00Z') }),
  );
}

describe('Monthly report (figures, PDF, CSV, job, downloads)', () => {
  let team: RevenueTeam;
  let name: string;

  before(async function () {
    this.timeout(120_000);
    name = `Boulangerie Éclair ${tag()}`;
    // created before the month measured; every other tenant of the suite is created "now" (after the frozen clock)
    team = await revenueTeam({ name, createdAt: new Date('2024-12-01T00:00:00Z') });
    await februaryFixtures(team.tenantId);
  });

  it('aggregates the month’s figures as computed by hand', async () => {
    const figures = await cradle().reportFigures.periodFigures(team.tenantId, monthPeriod('2025-02-01', 'Europe/Paris'));
    expect(figures.tenant.name).to.equal(name);
    expect(figures).to.deep.include({ publications: 3, measuredPublications: 2, linkClicks: 7 });
    expect(figures.engagement).to.deep.equal({ impressions: 800, reactions: 50, comments: 9, shares: 7, clicks: 7, engagements: 66 });
    expect(figures.conversions).to.deep.equal({ count: 2, values: [{ currency: 'EUR', cents: 3000 }] });
    expect(figures.reviews).to.deep.equal({ count: 2, averageRating: 4.5 });
    expect(figures.credits).to.deep.equal({ consumed: 120, granted: 0 });
    expect(figures.perChannel.map((c) => [c.channel, c.publications, c.impressions, c.engagements, c.linkClicks])).to.deep.equal([
      ['facebook', 1, 300, 26, 7],
      ['instagram', 1, 0, 0, 0],
      ['linkedin', 1, 500, 40, 0],
    ]);
    expect(figures.topContents.map((c) => [c.title, c.score])).to.deep.equal([['Nouveau pain au levain', 59], [FORMULA, 44]]);
  });

  it('is generated once per month and language by the daily job, after the month ended in the tenant’s zone', async () => {
    // 2 March: the month has ended but the networks' figures are not in yet
    expect(await serviceAt('2025-03-02T12:00:00Z').runMonthly()).to.deep.include({ created: 0 });
    expect(await reportRows(team.tenantId)).to.have.length(0);

    const first = await serviceAt('2025-03-03T12:00:00Z').runMonthly();
    expect(first).to.deep.equal({ created: 1, generated: 1, failed: 0 });
    const again = await Promise.all([serviceAt('2025-03-04T06:00:00Z').runMonthly(), serviceAt('2025-03-04T06:00:00Z').runMonthly()]);
    expect(again.map((r) => r.created + r.generated)).to.deep.equal([0, 0]);
    let rows = await reportRows(team.tenantId);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ kind: 'monthly', firstDay: '2025-02-01', lastDay: '2025-02-28', locale: 'fr', status: 'ready', errorMessage: null });
    expect(rows[0].pdfStorageKey).to.equal(`${team.tenantId}/reports/${rows[0].id}/report.pdf`);
    expect(rows[0].csvStorageKey).to.equal(`${team.tenantId}/reports/${rows[0].id}/report.csv`);

    // the tenant now works in English: one more report for the same month, in English, once
    await cradle().database.asPlatform((trx) => trx('tenants').where({ id: team.tenantId }).update({ locale: 'en' }));
    try {
      expect(await serviceAt('2025-03-05T06:00:00Z').runMonthly()).to.deep.include({ created: 1, generated: 1 });
      expect(await serviceAt('2025-03-06T06:00:00Z').runMonthly()).to.deep.include({ created: 0, generated: 0 });
    } finally {
      await cradle().database.asPlatform((trx) => trx('tenants').where({ id: team.tenantId }).update({ locale: 'fr' }));
    }
    rows = await reportRows(team.tenantId);
    expect(rows.map((r) => [r.kind, r.firstDay, r.locale, r.status])).to.deep.equal([
      ['monthly', '2025-02-01', 'fr', 'ready'],
      ['monthly', '2025-02-01', 'en', 'ready'],
    ]);
    const english = await pdfText(await readStored(rows[1].pdfStorageKey));
    expect(english).to.include('Monthly report');
    expect(english).to.include('February 2025');
  });

  it('writes a real PDF with the tenant’s name and figures, and a French-Excel CSV with formulas neutralised', async () => {
    const [report] = (await reportRows(team.tenantId)).filter((r) => r.locale === 'fr');
    const pdf = await readStored(report.pdfStorageKey);
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    expect(report.pdfBytes).to.equal(pdf.length);
    const text = await pdfText(pdf);
    expect(text).to.include(name);
    expect(text).to.include('Rapport mensuel — février 2025');
    expect(text).to.include('Nouveau pain au levain');
    expect(text).to.match(/Engagements\s*66/);
    expect(text).to.match(/Valeur des conversions\s*30,00\s€/);
    expect(text).to.match(/Note moyenne des avis\s*4,5 \/ 5/);

    const csv = (await readStored(report.csvStorageKey)).toString('utf8');
    expect(report.csvBytes).to.equal(Buffer.byteLength(csv));
    expect(csv.charCodeAt(0)).to.equal(0xfeff);
    expect(csv.split('\r\n')[0]).to.equal('\uFEFFRubrique;Indicateur;Détail;Valeur;Unité');
    const rows = parse(csv, { delimiter: ';', bom: true, relax_column_count: true }) as string[][];
    const find = (indicator: string, detail = '') => rows.find((r) => r[1] === indicator && r[2] === detail);
    expect(find('Publications')).to.deep.equal(['Chiffres clés', 'Publications', '', '3', 'nombre']);
    expect(find('Engagements')).to.deep.equal(['Chiffres clés', 'Engagements', '', '66', 'nombre']);
    expect(find('Valeur des conversions')).to.deep.equal(['Chiffres clés', 'Valeur des conversions', '', '30,00', 'EUR']);
    expect(find('Note moyenne des avis')).to.deep.equal(['Chiffres clés', 'Note moyenne des avis', '', '4,5', 'sur 5']);
    expect(find('Crédits consommés')![3]).to.equal('120');
    expect(find('LinkedIn', 'Impressions')).to.deep.equal(['Par canal', 'LinkedIn', 'Impressions', '500', 'nombre']);
    const top = rows.filter((r) => r[0] === 'Contenus les plus engageants');
    expect(top.map((r) => [r[1], r[2], r[3]])).to.deep.equal([
      ['Nouveau pain au levain', 'LinkedIn', '59'],
      [`'${FORMULA}`, 'Facebook', '44'],
    ]);
    expect(csv).to.not.match(/(^|;)=HYPERLINK/m);
  });

  it('lists the reports and serves their files to the tenant only', async () => {
    const [report] = await reportRows(team.tenantId);
    const list = await team.viewer.agent.get('/app/reports');
    expect(list.status).to.equal(200);
    expect(list.text).to.include(`data-report-id="${report.id}" data-status="ready"`);
    expect(list.text).to.include('février 2025');

    const pdf = await team.viewer.agent.get(`/app/reports/${report.id}/report.pdf`).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    expect(pdf.status).to.equal(200);
    expect(pdf.headers['content-type']).to.equal('application/pdf');
    expect(pdf.headers['content-disposition']).to.match(/^attachment; filename="rapport-2025-02-01-2025-02-28\.pdf"/);
    expect((pdf.body as Buffer).subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const csv = await team.owner.agent.get(`/app/reports/${report.id}/report.csv`);
    expect(csv.status).to.equal(200);
    expect(csv.headers['content-type']).to.equal('text/csv; charset=utf-8');

    const other = await revenueTeam();
    expect((await other.owner.agent.get(`/app/reports/${report.id}/report.pdf`)).status).to.equal(404);
    expect((await other.owner.agent.get(`/app/reports/${report.id}/report.csv`)).status).to.equal(404);
    expect((await other.owner.agent.get('/app/reports/not-a-uuid/report.pdf')).status).to.equal(404);
    expect((await other.owner.agent.get('/app/reports')).text).to.not.include(report.id);
  });

  it('generates a report now for the period asked, and re-renders the form on a bad period', async () => {
    const { owner, tenantId } = await revenueTeam({ locale: 'en', name: `Vélo Atelier ${tag()}` });
    await februaryFixtures(tenantId);
    const backwards = await owner.agent.post('/app/reports').type('form').send({ _csrf: owner.csrf, firstDay: '2025-02-10', lastDay: '2025-02-01' });
    expect(backwards.status).to.equal(422);
    expect(backwards.text).to.include('value="2025-02-10"');
    expect(backwards.text).to.include('La fin doit suivre le début.'); // the owner's own language (fr), not the tenant's
    const future = await owner.agent.post('/app/reports').type('form').send({ _csrf: owner.csrf, firstDay: '2025-02-01', lastDay: '2099-01-01' });
    expect(future.status).to.equal(422);

    const made = await owner.agent.post('/app/reports').type('form').send({ _csrf: owner.csrf, firstDay: '2025-02-03', lastDay: '2025-02-12' });
    expect(made.status).to.equal(303);
    const [row] = await reportRows(tenantId);
    expect(row).to.deep.include({ kind: 'on_demand', firstDay: '2025-02-03', lastDay: '2025-02-12', locale: 'en', status: 'ready', requestedBy: owner.userId });
    const text = await pdfText(await readStored(row.pdfStorageKey));
    expect(text).to.include('Report — 3 February 2025 to 12 February 2025');
    // 3–12 Feb: the facebook and linkedin posts, not the instagram one of the 15th; the conversion of the 12th, not the 13th
    expect(text).to.match(/Publications\s*2/);
    const csv = (await readStored(row.csvStorageKey)).toString('utf8');
    expect(csv.split('\r\n')[0]).to.equal('\uFEFFSection;Indicator;Detail;Value;Unit');
    expect(csv).to.include('Key figures;Conversion value;;15.00;EUR');
    expect(csv).to.include('Key figures;Conversions;;1;count');
  });
});
