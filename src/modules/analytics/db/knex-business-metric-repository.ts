import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import {
  EDITABLE_SOURCES,
  type BusinessMetric,
  type MetricImport,
  type MetricImportError,
  type MetricKind,
  type MetricSource,
  type MetricUnit,
} from '../business-metric-domain.js';

/** A value to write: one metric of one month from one source. */
export interface MetricValue {
  month: string;
  kind: MetricKind;
  name: string;
  value: number;
  unit: MetricUnit;
  currency: string | null;
  notes?: string | null;
}

export type InsertMetricOutcome = { outcome: 'created'; metric: BusinessMetric } | { outcome: 'duplicate' };
export type ChangeMetricOutcome = { outcome: 'done'; metric: BusinessMetric | null } | { outcome: 'notFound' } | { outcome: 'readOnly' };

const COLUMNS = ['id', 'kind', 'name', 'value', 'unit', 'currency', 'source', 'integrationId', 'importId', 'notes', 'updatedAt'];

function metricsQuery(trx: Knex.Transaction, tenantId: string) {
  return trx('businessMetrics').where({ tenantId }).select(COLUMNS).select(trx.raw(`to_char(month, 'YYYY-MM-DD') as month`));
}

function toMetric(row: Record<string, unknown>): BusinessMetric {
  return {
    id: row.id as string,
    month: row.month as string,
    kind: row.kind as MetricKind,
    name: row.name as string,
    value: Number(row.value),
    unit: row.unit as MetricUnit,
    currency: (row.currency as string | null) ?? null,
    source: row.source as MetricSource,
    integrationId: (row.integrationId as string | null) ?? null,
    importId: (row.importId as string | null) ?? null,
    notes: (row.notes as string | null) ?? null,
    updatedAt: row.updatedAt as Date,
  };
}

function toImport(row: Record<string, unknown>): MetricImport {
  return {
    id: row.id as string,
    fileName: row.fileName as string,
    status: row.status as MetricImport['status'],
    rowsTotal: Number(row.rowsTotal),
    rowsImported: Number(row.rowsImported),
    rowsRejected: Number(row.rowsRejected),
    rowErrors: (typeof row.rowErrors === 'string' ? JSON.parse(row.rowErrors) : row.rowErrors) as MetricImportError[],
    createdAt: row.createdAt as Date,
    completedAt: (row.completedAt as Date | null) ?? null,
  };
}

/** The client's monthly business metrics and their CSV imports. Every method is one unit of work in the tenant's context. */
export class KnexBusinessMetricRepository {
  constructor(private readonly deps: { database: Database }) {}

  list(tenantId: string, range?: { fromMonth: string; toMonth: string }): Promise<BusinessMetric[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = metricsQuery(trx, tenantId).orderBy([{ column: 'month', order: 'desc' }, 'kind', 'name', 'source']);
      if (range) query.whereBetween('month', [range.fromMonth, range.toMonth]);
      return (await query).map(toMetric);
    });
  }

  find(tenantId: string, id: string): Promise<BusinessMetric | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await metricsQuery(trx, tenantId).where({ id }).first();
      return row ? toMetric(row) : null;
    });
  }

  insert(tenantId: string, value: MetricValue, context: { source: MetricSource; enteredBy: string | null }): Promise<InsertMetricOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('businessMetrics')
        .insert({ tenantId, ...value, notes: value.notes ?? null, source: context.source, enteredBy: context.enteredBy })
        .onConflict(['tenantId', 'month', 'kind', 'name', 'source'])
        .ignore()
        .returning('id');
      if (!rows.length) return { outcome: 'duplicate' };
      return { outcome: 'created', metric: toMetric(await metricsQuery(trx, tenantId).where({ id: rows[0].id }).first()) };
    });
  }

  /** Changes the value (and its unit for a custom metric) of a metric the client entered or imported. */
  update(tenantId: string, id: string, patch: Pick<MetricValue, 'value' | 'unit' | 'currency' | 'notes'>, enteredBy: string): Promise<ChangeMetricOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const existing = await trx('businessMetrics').where({ tenantId, id }).forUpdate().first('source');
      if (!existing) return { outcome: 'notFound' };
      if (!EDITABLE_SOURCES.includes(existing.source)) return { outcome: 'readOnly' };
      await trx('businessMetrics').where({ tenantId, id }).update({ ...patch, notes: patch.notes ?? null, enteredBy, updatedAt: trx.fn.now() });
      return { outcome: 'done', metric: toMetric(await metricsQuery(trx, tenantId).where({ id }).first()) };
    });
  }

  delete(tenantId: string, id: string): Promise<ChangeMetricOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const existing = await trx('businessMetrics').where({ tenantId, id }).forUpdate().first('source');
      if (!existing) return { outcome: 'notFound' };
      if (!EDITABLE_SOURCES.includes(existing.source)) return { outcome: 'readOnly' };
      await trx('businessMetrics').where({ tenantId, id }).delete();
      return { outcome: 'done', metric: null };
    });
  }

  /**
   * One import in one transaction: its report row, then every accepted value written with source `csv` (a month
   * imported again replaces the previous import's value for that metric; what the client typed by hand is a
   * separate source and stays).
   */
  recordImport(
    tenantId: string,
    input: { fileName: string; importedBy: string; rowsTotal: number; rowsImported: number; rowsRejected: number; errors: MetricImportError[]; failed: boolean },
    values: MetricValue[],
  ): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [created] = await trx('businessMetricImports')
        .insert({ tenantId, fileName: input.fileName, status: 'processing', importedBy: input.importedBy })
        .returning('id');
      const importId = created.id as string;
      for (const value of values) {
        await trx('businessMetrics')
          .insert({ tenantId, ...value, notes: value.notes ?? null, source: 'csv', importId, enteredBy: input.importedBy })
          .onConflict(['tenantId', 'month', 'kind', 'name', 'source'])
          .merge({ value: value.value, unit: value.unit, currency: value.currency, importId, enteredBy: input.importedBy, updatedAt: trx.fn.now() });
      }
      await trx('businessMetricImports')
        .where({ tenantId, id: importId })
        .update({
          status: input.failed ? 'failed' : 'completed',
          rowsTotal: input.rowsTotal,
          rowsImported: input.rowsImported,
          rowsRejected: input.rowsRejected,
          rowErrors: JSON.stringify(input.errors),
          completedAt: trx.fn.now(),
          updatedAt: trx.fn.now(),
        });
      return importId;
    });
  }

  findImport(tenantId: string, id: string): Promise<MetricImport | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('businessMetricImports').where({ tenantId, id }).first();
      return row ? toImport(row) : null;
    });
  }

  recentImports(tenantId: string, limit = 10): Promise<MetricImport[]> {
    return this.deps.database.forTenant(tenantId, async (trx) =>
      (await trx('businessMetricImports').where({ tenantId }).orderBy('createdAt', 'desc').limit(limit)).map(toImport),
    );
  }
}
