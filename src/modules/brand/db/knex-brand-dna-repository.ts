import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { AppError } from '../../../shared/errors.js';
import { coerceDna, type BrandDna, type DnaReason, type DnaSnapshot, type DnaSources, type DnaVersionSummary } from '../domain.js';
import { isUuid } from '../../../shared/ids.js';

export interface NewDnaSnapshot {
  content: BrandDna;
  sources: DnaSources;
  reason: DnaReason;
  userId?: string | null;
  /** The version this one derives from; by default the current one. */
  parentVersion?: number | null;
  restoredFromVersion?: number | null;
  onboardingSessionId?: string | null;
  aiCallId?: string | null;
  changeSummary?: string | null;
  locale?: string;
}

/** An onboarding input as the DNA extraction reads it (this tenant's rows only). */
export interface DnaInputRow {
  id: string;
  sessionId: string;
  kind: string;
  status: string;
  questionKey: string | null;
  originalFilename: string | null;
  sourceUrl: string | null;
  finalUrl: string | null;
  text: string | null;
}

export interface PromptTemplateRow {
  systemPrompt: string | null;
  body: string;
  locale: string;
}

const SUMMARY_COLUMNS = [
  'd.id',
  'd.tenantId',
  'd.version',
  'd.isCurrent',
  'd.reason',
  'd.parentId',
  'p.version as parentVersion',
  'd.restoredFromId',
  'r.version as restoredFromVersion',
  'd.onboardingSessionId',
  'd.aiCallId',
  'd.createdBy',
  'u.name as createdByName',
  'd.changeSummary',
  'd.locale',
  'd.createdAt',
];

function snapshots(trx: Knex.Transaction) {
  return trx('brandDna as d')
    .leftJoin('brandDna as p', 'p.id', 'd.parentId')
    .leftJoin('brandDna as r', 'r.id', 'd.restoredFromId')
    .leftJoin('users as u', 'u.id', 'd.createdBy');
}

function toSnapshot(row: Record<string, unknown>): DnaSnapshot {
  return {
    ...(row as unknown as DnaVersionSummary),
    // stored content was validated when written; read it back tolerantly (an older shape must not break a page)
    content: coerceDna(row.content),
    sources: (row.sources ?? {}) as DnaSources,
  };
}

/** Serialises snapshot creation per tenant (numbering and the single current row). */
async function lockTenantDna(trx: Knex.Transaction, tenantId: string): Promise<void> {
  await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`brand_dna:${tenantId}`]);
}

export class KnexBrandDnaRepository {
  constructor(private readonly deps: { database: Database }) {}

  current(tenantId: string): Promise<DnaSnapshot | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await snapshots(trx).where('d.isCurrent', true).first(...SUMMARY_COLUMNS, 'd.content', 'd.sources');
      return row ? toSnapshot(row) : null;
    });
  }

  /** The current snapshot's id and version only (generations record it). */
  currentRef(tenantId: string): Promise<{ id: string; version: number } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('brandDna').where('isCurrent', true).first('id', 'version')) ?? null);
  }

  get(tenantId: string, version: number): Promise<DnaSnapshot | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await snapshots(trx).where('d.version', version).first(...SUMMARY_COLUMNS, 'd.content', 'd.sources');
      return row ? toSnapshot(row) : null;
    });
  }

  /** Newest first. */
  list(tenantId: string): Promise<DnaVersionSummary[]> {
    return this.deps.database.forTenant(tenantId, (trx) => snapshots(trx).orderBy('d.version', 'desc').select(...SUMMARY_COLUMNS));
  }

  /**
   * One transaction: lock the tenant's DNA, number the snapshot after the highest version, unset the current
   * one and insert the new current row. With `expectedCurrentVersion`, refuses (409) when another snapshot
   * became current since the caller read it.
   */
  create(tenantId: string, input: NewDnaSnapshot, options: { expectedCurrentVersion?: number | null } = {}): Promise<DnaSnapshot> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await lockTenantDna(trx, tenantId);
      const current = await trx('brandDna').where('isCurrent', true).first('id', 'version', 'locale');
      if (options.expectedCurrentVersion !== undefined && (current?.version ?? null) !== options.expectedCurrentVersion) {
        throw new AppError('brand.dna.errors.conflict', 409, { version: current?.version ?? 0 });
      }
      const { max } = (await trx('brandDna').max('version as max').first()) as { max: number | null };
      const versionId = async (version: number | null | undefined): Promise<string | null> => {
        if (version === null || version === undefined) return null;
        const row = await trx('brandDna').where({ version }).first('id');
        if (!row) throw new AppError('common.errors.notFound', 404);
        return row.id;
      };
      const parentId = input.parentVersion === undefined ? (current?.id ?? null) : await versionId(input.parentVersion);
      const restoredFromId = await versionId(input.restoredFromVersion);
      if (current) await trx('brandDna').where({ id: current.id }).update({ isCurrent: false, updatedAt: trx.fn.now() });
      const [inserted] = await trx('brandDna')
        .insert({
          tenantId,
          version: (max ?? 0) + 1,
          isCurrent: true,
          content: JSON.stringify(input.content),
          sources: JSON.stringify(input.sources),
          reason: input.reason,
          parentId,
          restoredFromId,
          onboardingSessionId: input.onboardingSessionId ?? null,
          aiCallId: input.aiCallId ?? null,
          createdBy: input.userId ?? null,
          changeSummary: input.changeSummary ?? null,
          locale: input.locale ?? current?.locale ?? 'fr',
        })
        .returning('id');
      const row = await snapshots(trx).where('d.id', inserted.id).first(...SUMMARY_COLUMNS, 'd.content', 'd.sources');
      return toSnapshot(row);
    });
  }

  /**
   * Onboarding inputs of THIS tenant (row-level security): by ids, or every input of a session. Text is the
   * extracted text, else what the user typed. An id of another tenant is simply not found.
   */
  findInputs(tenantId: string, filter: { ids?: string[]; sessionId?: string }, options: { withText?: boolean } = {}): Promise<DnaInputRow[]> {
    const ids = filter.ids?.filter(isUuid);
    if (filter.ids && !ids?.length) return Promise.resolve([]);
    if (filter.sessionId && !isUuid(filter.sessionId)) return Promise.resolve([]);
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = trx('onboardingInputs')
        .where('tenantId', tenantId)
        .orderBy('createdAt')
        .select('id', 'sessionId', 'kind', 'status', 'questionKey', 'originalFilename', 'sourceUrl', 'finalUrl')
        .select(options.withText === false ? trx.raw('null as text') : trx.raw('coalesce(extracted_text, raw_text) as text'));
      if (ids) query.whereIn('id', ids);
      if (filter.sessionId) query.where('sessionId', filter.sessionId);
      return query;
    });
  }

  /**
   * The DNA extraction template (`brand.extract_dna`) the tenant sees: its own, else its distributor's, else
   * the platform's; in the locale asked, else French.
   */
  extractionTemplate(tenantId: string, locale: string): Promise<PromptTemplateRow | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('promptTemplates')
        .where({ code: 'brand.extract_dna', active: true })
        .whereIn('locale', [...new Set([locale, 'fr'])])
        .orderByRaw(`case level when 'tenant' then 0 when 'distributor' then 1 else 2 end`)
        .orderByRaw(`(locale = ?) desc`, [locale])
        .orderBy('version', 'desc')
        .first('systemPrompt', 'body', 'locale');
      return row ?? null;
    });
  }

  /** Kind and name of inputs (provenance shown next to each section); missing ids are left out. */
  async inputLabels(tenantId: string, ids: string[]): Promise<Map<string, { kind: string; name: string | null }>> {
    const rows = ids.length ? await this.findInputs(tenantId, { ids }, { withText: false }) : [];
    return new Map(rows.map((r) => [r.id, { kind: r.kind, name: r.originalFilename || r.finalUrl || r.sourceUrl || null }]));
  }

  tenantName(tenantId: string): Promise<string | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('tenants').where('id', tenantId).first('name'))?.name ?? null);
  }
}
