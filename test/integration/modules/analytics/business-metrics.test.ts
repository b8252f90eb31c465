import { expect } from 'chai';
import { app, cradle, MarketingFixtures, revenueTeam, type RevenueTeam } from './revenue-support.js';
import type { Session } from '../calendar/approval-support.js';

/** Windows-1252 bytes of a text (what French Excel writes for "CSV (séparateur : point-virgule)"). */
function cp1252(text: string): Buffer {
  const high: Record<string, number> = { '€': 0x80, '’': 0x92 };
  return Buffer.from([...text].map((c) => high[c] ?? c.charCodeAt(0)));
}

async function upload(owner: Session, content: Buffer, filename = 'chiffres.csv') {
  return owner.agent.post(`/app/revenue/import?_csrf=${encodeURIComponent(owner.csrf)}`).attach('file', content, { filename, contentType: 'text/csv' });
}

async function metricRows(tenantId: string, where: Record<string, unknown> = {}) {
  return cradle().database.forTenant(tenantId, (trx) =>
    trx('businessMetrics').where({ tenantId, ...where }).select('id', 'kind', 'name', 'value', 'unit', 'currency', 'source', 'importId', trx.raw(`to_char(month, 'YYYY-MM') as m`)).orderBy(['month', 'kind', 'name']),
  );
}

async function importRow(tenantId: string, id: string) {
  return cradle().database.forTenant(tenantId, (trx) => trx('businessMetricImports').where({ tenantId, id }).first());
}

describe('Business metrics (entry, edit, CSV import)', () => {
  let team: RevenueTeam;

  before(async () => {
    team = await revenueTeam();
  });

  it('enters a monthly figure with French decimals, refuses a duplicate and bad values with the typed form, edits and deletes it', async () => {
    const { owner, tenantId } = team;
    const created = await owner.agent.post('/app/revenue/metrics').type('form').send({ _csrf: owner.csrf, month: '2026-03', kind: 'revenue', value: '12 480,50', notes: 'Soldes' });
    expect(created.status).to.equal(303);
    const [row] = await metricRows(tenantId, { kind: 'revenue' });
    expect(row).to.deep.include({ m: '2026-03', name: '', unit: 'cents', currency: 'EUR', source: 'manual' });
    expect(Number(row.value)).to.equal(1_248_050);

    const page = await owner.agent.get('/app/revenue/metrics');
    expect(page.status).to.equal(200);
    expect(page.text).to.include(`data-metric-id="${row.id}"`);
    expect(page.text).to.match(/12\s480,50\s€/);

    const duplicate = await owner.agent.post('/app/revenue/metrics').type('form').send({ _csrf: owner.csrf, month: '03/2026', kind: 'revenue', value: '1' });
    expect(duplicate.status).to.equal(422);
    expect(duplicate.text).to.include('Ce chiffre est déjà saisi pour ce mois');

    const notWhole = await owner.agent.post('/app/revenue/metrics').type('form').send({ _csrf: owner.csrf, month: '2026-03', kind: 'orders', value: '12,5' });
    expect(notWhole.status).to.equal(422);
    expect(notWhole.text).to.include('Ce chiffre est un nombre entier.');
    expect(notWhole.text).to.include('value="12,5"');

    const unnamed = await owner.agent.post('/app/revenue/metrics').type('form').send({ _csrf: owner.csrf, month: '2026-03', kind: 'custom', value: '3' });
    expect(unnamed.status).to.equal(422);
    expect(unnamed.text).to.include('Donnez un nom à votre indicateur.');
    const formula = await owner.agent.post('/app/revenue/metrics').type('form').send({ _csrf: owner.csrf, month: '2026-03', kind: 'custom', name: '=HYPERLINK("x")', value: '3' });
    expect(formula.status).to.equal(422);
    expect(formula.text).to.include('ne peut pas commencer par');

    const custom = await owner.agent.post('/app/revenue/metrics').type('form').send({ _csrf: owner.csrf, month: '2026-03', kind: 'custom', name: 'Panier  moyen', unit: 'cents', currency: 'eur', value: '39,9' });
    expect(custom.status).to.equal(303);
    const [basket] = await metricRows(tenantId, { kind: 'custom' });
    expect(basket).to.deep.include({ name: 'Panier moyen', unit: 'cents', currency: 'EUR' });
    expect(Number(basket.value)).to.equal(3990);

    const editPage = await owner.agent.get(`/app/revenue/metrics/${row.id}/edit`);
    expect(editPage.status).to.equal(200);
    expect(editPage.text).to.match(/name="value" inputmode="decimal" value="12\s480,50"/);
    const edited = await owner.agent.post(`/app/revenue/metrics/${row.id}`).type('form').send({ _csrf: owner.csrf, value: '13 000', notes: '' });
    expect(edited.status).to.equal(303);
    expect(Number((await metricRows(tenantId, { id: row.id }))[0].value)).to.equal(1_300_000);
    const badEdit = await owner.agent.post(`/app/revenue/metrics/${row.id}`).type('form').send({ _csrf: owner.csrf, value: '13 000,505' });
    expect(badEdit.status).to.equal(422);
    expect(badEdit.text).to.include('Deux décimales au plus.');

    expect((await owner.agent.post(`/app/revenue/metrics/${row.id}/delete`).type('form').send({ _csrf: owner.csrf })).status).to.equal(303);
    expect(await metricRows(tenantId, { id: row.id })).to.have.length(0);
  });

  it('lets a viewer read but not enter; another tenant’s figure is not found; a synchronised one is read-only', async () => {
    const { viewer, owner, tenantId } = team;
    expect((await viewer.agent.get('/app/revenue/metrics')).status).to.equal(200);
    expect((await viewer.agent.get('/app/revenue')).status).to.equal(200);
    const refused = await viewer.agent.post('/app/revenue/metrics').type('form').send({ _csrf: viewer.csrf, month: '2026-04', kind: 'leads', value: '3' });
    expect(refused.status).to.equal(403);
    expect(await metricRows(tenantId, { kind: 'leads' })).to.have.length(0);

    const fixtures = new MarketingFixtures(tenantId);
    await fixtures.metric({ month: '2026-04-01', kind: 'orders', value: 40, source: 'pos' });
    const [synced] = await metricRows(tenantId, { source: 'pos' });
    expect((await owner.agent.post(`/app/revenue/metrics/${synced.id}/delete`).type('form').send({ _csrf: owner.csrf })).status).to.equal(409);
    expect((await owner.agent.post(`/app/revenue/metrics/${synced.id}`).type('form').send({ _csrf: owner.csrf, value: '1' })).status).to.equal(409);

    const other = await revenueTeam();
    expect((await other.owner.agent.post(`/app/revenue/metrics/${synced.id}/delete`).type('form').send({ _csrf: other.owner.csrf })).status).to.equal(404);
    expect((await other.owner.agent.get(`/app/revenue/metrics/${synced.id}/edit`)).status).to.equal(404);
    expect((await other.owner.agent.post(`/app/revenue/metrics/${synced.id}`).type('form').send({ _csrf: other.owner.csrf, value: '1' })).status).to.equal(404);
    expect(await metricRows(tenantId, { id: synced.id })).to.have.length(1);
  });

  it('imports a Windows-1252 `;` file with French decimals, keeps good lines and reports every rejected one', async () => {
    const { owner, tenantId } = await revenueTeam();
    const csv = cp1252(
      [
        'Mois;Chiffre d’affaires (€);Commandes;Visites en magasin;Panier moyen (€)',
        'janv. 2026;12 480,50;312;1 204;40,00',
        '02/2026;11 902,1;298;;39,94',
        '2026-03;abc;300;1000;',
        '2026-02;1,00;1;1;1',
        ';100;1;1;1',
        'avril 2026;-5;10;;',
        '2026-05;1.234,56 €;10,5;;',
        '2026-06;9 999,99;25;900;41,5',
      ].join('\r\n'),
    );
    const res = await upload(owner, csv);
    expect(res.status).to.equal(303);
    const importId = /\/app\/revenue\/imports\/([0-9a-f-]{36})$/.exec(res.headers.location)![1];
    const report = await importRow(tenantId, importId);
    expect(report).to.deep.include({ status: 'completed', rowsTotal: 8, rowsImported: 3, rowsRejected: 5 });
    const errors = (report.rowErrors as { line: number; column: string | null; code: string; value?: string }[]).map((e) => [e.line, e.column, e.code]);
    expect(errors).to.deep.equal([
      [4, 'Chiffre d’affaires (€)', 'revenue.errors.valueInvalid'],
      [5, 'Mois', 'revenue.import.errors.duplicateMonth'],
      [6, 'Mois', 'revenue.import.errors.monthMissing'],
      [7, 'Chiffre d’affaires (€)', 'revenue.errors.valueNegative'],
      [8, 'Commandes', 'revenue.errors.valueNotWhole'],
    ]);

    const rows = await metricRows(tenantId);
    const byKey = Object.fromEntries(rows.map((r) => [`${r.m} ${r.kind}${r.name ? `:${r.name}` : ''}`, [Number(r.value), r.unit, r.currency, r.source, r.importId]]));
    expect(byKey).to.deep.equal({
      '2026-01 custom:Panier moyen (€)': [4000, 'cents', 'EUR', 'csv', importId],
      '2026-01 orders': [312, 'count', null, 'csv', importId],
      '2026-01 revenue': [1_248_050, 'cents', 'EUR', 'csv', importId],
      '2026-01 store_visits': [1204, 'count', null, 'csv', importId],
      '2026-02 custom:Panier moyen (€)': [3994, 'cents', 'EUR', 'csv', importId],
      '2026-02 orders': [298, 'count', null, 'csv', importId],
      '2026-02 revenue': [1_190_210, 'cents', 'EUR', 'csv', importId],
      '2026-06 custom:Panier moyen (€)': [4150, 'cents', 'EUR', 'csv', importId],
      '2026-06 orders': [25, 'count', null, 'csv', importId],
      '2026-06 revenue': [999_999, 'cents', 'EUR', 'csv', importId],
      '2026-06 store_visits': [900, 'count', null, 'csv', importId],
    });

    const page = await owner.agent.get(res.headers.location);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('data-count="rejected">5<');
    expect(page.text).to.include('<tr data-line="5" data-code="revenue.import.errors.duplicateMonth">');
    expect(page.text).to.include('Mois déjà présent à la ligne 3.');

    // importing again replaces the import's values (no duplicates), never a value typed by hand
    await owner.agent.post('/app/revenue/metrics').type('form').send({ _csrf: owner.csrf, month: '2026-01', kind: 'revenue', value: '100' });
    const again = await upload(owner, cp1252('Mois;CA\r\n2026-01;12 000\r\n'));
    expect(again.status).to.equal(303);
    const january = await metricRows(tenantId, { kind: 'revenue', month: '2026-01-01' });
    expect(january.map((r) => [r.source, Number(r.value)]).sort()).to.deep.equal([['csv', 1_200_000], ['manual', 10_000]]);
    expect(await metricRows(tenantId, { source: 'csv' })).to.have.length(11);
  });

  it('reads a UTF-8 file with BOM, `,` separator and English decimals', async () => {
    const { owner, tenantId } = await revenueTeam();
    const res = await upload(owner, Buffer.from('\uFEFFMonth,Revenue,Leads,Currency\r\n2026-07,"1,234.56",12,usd\r\nJuly 2026,1,1,EUR\r\n', 'utf8'));
    expect(res.status).to.equal(303);
    const report = await importRow(tenantId, res.headers.location.split('/').pop()!);
    expect(report).to.deep.include({ status: 'completed', rowsTotal: 2, rowsImported: 1, rowsRejected: 1 });
    const rows = await metricRows(tenantId);
    expect(rows.map((r) => [r.m, r.kind, Number(r.value), r.currency])).to.deep.equal([
      ['2026-07', 'revenue', 123_456, 'USD'],
      ['2026-07', 'leads', 12, null],
    ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))));
  });

  it('refuses a workbook and a file without a month column, recording the failed import', async () => {
    const { owner, tenantId } = await revenueTeam();
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]);
    const workbook = await upload(owner, zip, 'chiffres.xlsx');
    expect(workbook.status).to.equal(303);
    const failed = await importRow(tenantId, workbook.headers.location.split('/').pop()!);
    expect(failed.status).to.equal('failed');
    expect(failed.rowErrors).to.deep.equal([{ line: null, column: null, code: 'revenue.import.errors.notCsv' }]);
    const page = await owner.agent.get(workbook.headers.location);
    expect(page.text).to.include('Import impossible : ce fichier n&#39;est pas un CSV');

    const noMonth = await upload(owner, Buffer.from('Chiffre d’affaires;Commandes\n100;2\n'));
    expect((await importRow(tenantId, noMonth.headers.location.split('/').pop()!)).rowErrors[0].code).to.equal('revenue.import.errors.noMonthColumn');
    expect(await metricRows(tenantId)).to.have.length(0);

    const importPage = await owner.agent.get('/app/revenue/import');
    expect(importPage.status).to.equal(200);
    expect(importPage.text).to.include('chiffres.xlsx');
    const empty = await owner.agent.post(`/app/revenue/import?_csrf=${encodeURIComponent(owner.csrf)}`).field('x', '1');
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('Choisissez un fichier.');
  });
});
