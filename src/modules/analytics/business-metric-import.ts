import { NotFoundError } from '../../shared/errors.js';
import { CsvReadError, readCsv, unneutralizeCell } from '../publishing/contacts/csv.js';
import { headerKey } from '../publishing/contacts/import-mapping.js';
import {
  customNameError,
  DEFAULT_CURRENCY,
  MAX_METRIC_NAME,
  metricKeyId,
  parseDecimal,
  parseMonth,
  unitOfKind,
  type MetricImport,
  type MetricImportError,
  type MetricKind,
  type MetricUnit,
} from './business-metric-domain.js';
import type { KnexBusinessMetricRepository, MetricValue } from './db/knex-business-metric-repository.js';

export const MAX_METRIC_IMPORT_BYTES = 1024 * 1024;
export const MAX_METRIC_IMPORT_ROWS = 2000;
/** The report keeps this many errors in detail; the rejected count covers every line. */
const MAX_REPORTED_ERRORS = 1000;

// Header names as people write them, compared without accents, case, spaces, punctuation or a parenthesised unit.
const MONTH_HEADERS = ['mois', 'month', 'periode', 'period', 'date'];
const CURRENCY_HEADERS = ['devise', 'currency', 'monnaie'];
const KIND_HEADERS: Record<Exclude<MetricKind, 'custom'>, string[]> = {
  revenue: ['chiffredaffaires', 'chiffredaffaire', 'chiffredaffairesht', 'chiffredaffairesttc', 'ca', 'caht', 'cattc', 'revenue', 'revenues', 'revenus', 'turnover', 'sales'],
  orders: ['commandes', 'nombredecommandes', 'orders', 'numberoforders'],
  leads: ['leads', 'prospects', 'demandes', 'demandesdecontact'],
  store_visits: ['visitesenmagasin', 'visitesmagasin', 'visites', 'frequentation', 'passages', 'storevisits', 'visits', 'footfall'],
};

interface MetricColumn {
  index: number;
  header: string;
  kind: MetricKind;
  name: string;
  unit: MetricUnit;
}

const withoutUnit = (header: string) => header.replace(/\([^)]*\)/g, ' ');
const mentionsMoney = (header: string) => /€|\beur\b|\beuros?\b/i.test(header);
const cellValue = (value: string) => (value.length > 50 ? `${value.slice(0, 50)}…` : value);

/**
 * What each column of the header holds: the month (required), an optional currency, then one metric per column —
 * a standard kind when its header names one (`Chiffre d'affaires (€)`, `Commandes`, `Leads`, `Visites en magasin`),
 * otherwise a custom metric named after the header, in money when the header says € or EUR, else a count.
 */
export function mapMetricHeader(header: string[]): { month?: number; currency?: number; columns: MetricColumn[]; errors: MetricImportError[] } {
  const result: { month?: number; currency?: number; columns: MetricColumn[]; errors: MetricImportError[] } = { columns: [], errors: [] };
  const seen = new Set<string>();
  header.forEach((raw, index) => {
    const label = unneutralizeCell(raw.trim()).replace(/\s+/g, ' ');
    const key = headerKey(withoutUnit(label));
    if (result.month === undefined && MONTH_HEADERS.includes(key)) return void (result.month = index);
    if (result.currency === undefined && CURRENCY_HEADERS.includes(key)) return void (result.currency = index);
    if (!label) return result.errors.push({ line: 1, column: null, code: 'revenue.import.errors.emptyHeader', value: String(index + 1) });
    const kind = (Object.keys(KIND_HEADERS) as (keyof typeof KIND_HEADERS)[]).find((k) => KIND_HEADERS[k].includes(key));
    let column: MetricColumn;
    if (kind) {
      column = { index, header: label, kind, name: '', unit: unitOfKind(kind) };
    } else {
      const nameError = label.length > MAX_METRIC_NAME ? 'revenue.errors.tooLong' : customNameError(label);
      if (nameError) return result.errors.push({ line: 1, column: cellValue(label), code: nameError });
      column = { index, header: label, kind: 'custom', name: label, unit: mentionsMoney(label) ? 'cents' : 'count' };
    }
    const id = metricKeyId(column);
    if (seen.has(id)) return result.errors.push({ line: 1, column: cellValue(label), code: 'revenue.import.errors.duplicateColumn' });
    seen.add(id);
    result.columns.push(column);
  });
  return result;
}

/**
 * CSV import of monthly business metrics, one line per month (the "wide" table people keep in a spreadsheet):
 * `Mois;Chiffre d'affaires (€);Commandes;…`. The file is read like the contacts import (UTF-8 with or without BOM,
 * else Windows-1252; `;`, `,` or tab), values in French or English notation (`1 234,56`). A line is imported whole
 * or rejected whole, with every reason (line, column, code) in the import's report; empty cells are simply absent
 * months. Lines are written with source `csv`, so importing again replaces the previous import and never what the
 * client typed by hand.
 */
export class BusinessMetricImportService {
  constructor(private readonly deps: { businessMetricRepository: KnexBusinessMetricRepository }) {}

  async import(tenantId: string, request: { fileName: string; data: Buffer; importedBy: string }): Promise<MetricImport> {
    const repo = this.deps.businessMetricRepository;
    const fileName = request.fileName.slice(0, 255) || 'import.csv';
    const fail = async (code: string, errors: MetricImportError[] = [], rowsTotal = 0) => {
      const id = await repo.recordImport(tenantId, { fileName, importedBy: request.importedBy, rowsTotal, rowsImported: 0, rowsRejected: rowsTotal, errors: [{ line: null, column: null, code }, ...errors], failed: true }, []);
      return (await repo.findImport(tenantId, id))!;
    };

    let table;
    try {
      table = readCsv(request.data, { maxRows: MAX_METRIC_IMPORT_ROWS });
    } catch (err) {
      if (!(err instanceof CsvReadError)) throw err;
      return fail(err.code.replace(/^contacts\.errors\./, 'revenue.import.errors.'));
    }
    const mapping = mapMetricHeader(table.header);
    if (mapping.month === undefined) return fail('revenue.import.errors.noMonthColumn', mapping.errors, table.rows.length);
    if (!mapping.columns.length) return fail('revenue.import.errors.noMetricColumn', mapping.errors, table.rows.length);

    const errors: MetricImportError[] = [...mapping.errors];
    const values: MetricValue[] = [];
    const monthLines = new Map<string, number>();
    let imported = 0;
    for (const { line, cells } of table.rows) {
      const lineErrors: MetricImportError[] = [];
      const cell = (index: number) => unneutralizeCell((cells[index] ?? '').trim());
      const monthText = cell(mapping.month);
      const month = parseMonth(monthText);
      const monthHeader = table.header[mapping.month];
      if (!month) lineErrors.push({ line, column: monthHeader, code: monthText ? 'revenue.errors.monthInvalid' : 'revenue.import.errors.monthMissing', value: cellValue(monthText) });
      else if (monthLines.has(month)) lineErrors.push({ line, column: monthHeader, code: 'revenue.import.errors.duplicateMonth', value: String(monthLines.get(month)) });
      let currency = DEFAULT_CURRENCY;
      if (mapping.currency !== undefined && cell(mapping.currency)) {
        currency = cell(mapping.currency).toUpperCase();
        if (!/^[A-Z]{3}$/.test(currency)) lineErrors.push({ line, column: table.header[mapping.currency], code: 'revenue.errors.currencyInvalid', value: cellValue(cell(mapping.currency)) });
      }
      const lineValues: MetricValue[] = [];
      for (const column of mapping.columns) {
        const raw = cell(column.index);
        if (!raw) continue;
        const parsed = parseDecimal(raw, column.unit === 'cents' ? 2 : 0);
        if (!parsed.ok) {
          lineErrors.push({ line, column: column.header, code: parsed.code, value: cellValue(raw) });
          continue;
        }
        lineValues.push({ month: month ?? '', kind: column.kind, name: column.name, value: parsed.value, unit: column.unit, currency: column.unit === 'cents' ? currency : null });
      }
      if (!lineErrors.length && !lineValues.length) lineErrors.push({ line, column: null, code: 'revenue.import.errors.noValue' });
      if (month && !monthLines.has(month)) monthLines.set(month, line);
      if (lineErrors.length) {
        errors.push(...lineErrors);
        continue;
      }
      values.push(...lineValues);
      imported += 1;
    }
    const id = await repo.recordImport(
      tenantId,
      { fileName, importedBy: request.importedBy, rowsTotal: table.rows.length, rowsImported: imported, rowsRejected: table.rows.length - imported, errors: errors.slice(0, MAX_REPORTED_ERRORS), failed: false },
      values,
    );
    return (await repo.findImport(tenantId, id))!;
  }

  async get(tenantId: string, id: string): Promise<MetricImport> {
    const found = await this.deps.businessMetricRepository.findImport(tenantId, id);
    if (!found) throw new NotFoundError();
    return found;
  }

  recent(tenantId: string): Promise<MetricImport[]> {
    return this.deps.businessMetricRepository.recentImports(tenantId);
  }
}
