import type { Database } from '../../../adapters/db/database.js';
import type { LegalKind } from '../legal-kinds.js';

export interface LegalDocument {
  id: string;
  kind: LegalKind;
  locale: string;
  version: string;
  title: string;
  body: string;
  requiresAcceptance: boolean;
  publishedAt: Date;
}

const COLUMNS = ['id', 'kind', 'locale', 'version', 'title', 'body', 'requiresAcceptance', 'publishedAt'];

/**
 * Legal documents are platform rows (`distributor_id` null: the platform's own; a distributor's white-label texts
 * are V2), read without tenant context; acceptances are the tenant's, in its context.
 */
export class KnexLegalRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** The latest published version of a kind in a locale (published most recently, then highest version). */
  async current(kind: LegalKind, locale: string, now: Date): Promise<LegalDocument | null> {
    const row = await this.deps.database
      .knex('legalDocuments')
      .where({ kind, locale })
      .whereNull('distributorId')
      .whereNotNull('publishedAt')
      .where('publishedAt', '<=', now)
      .orderBy([{ column: 'publishedAt', order: 'desc' }, { column: 'version', order: 'desc' }])
      .first(COLUMNS);
    return row ?? null;
  }

  /** The current version of every kind in a locale. */
  async currentAll(locale: string, now: Date): Promise<LegalDocument[]> {
    const rows: LegalDocument[] = await this.deps.database
      .knex('legalDocuments')
      .where({ locale })
      .whereNull('distributorId')
      .whereNotNull('publishedAt')
      .where('publishedAt', '<=', now)
      .orderBy([{ column: 'kind' }, { column: 'publishedAt', order: 'desc' }, { column: 'version', order: 'desc' }])
      .select(COLUMNS);
    const seen = new Set<string>();
    return rows.filter((d) => !seen.has(d.kind) && seen.add(d.kind));
  }

  /** Ids among `documentIds` the tenant has accepted. */
  accepted(tenantId: string, documentIds: string[]): Promise<string[]> {
    if (!documentIds.length) return Promise.resolve([]);
    return this.deps.database.forTenant(tenantId, async (trx) =>
      (await trx('legalAcceptances').where({ tenantId }).whereIn('documentId', documentIds).select('documentId')).map((r: { documentId: string }) => r.documentId),
    );
  }

  /** Records the acceptance once (a second one keeps the first proof). */
  async accept(tenantId: string, input: { documentId: string; userId: string; ip: string | null; userAgent: string | null; at: Date }): Promise<void> {
    await this.deps.database.forTenant(tenantId, (trx) =>
      trx('legalAcceptances')
        .insert({ tenantId, documentId: input.documentId, userId: input.userId, ip: input.ip, userAgent: input.userAgent?.slice(0, 512) ?? null, acceptedAt: input.at })
        .onConflict(['tenantId', 'documentId'])
        .ignore(),
    );
  }

  async find(id: string): Promise<LegalDocument | null> {
    return (await this.deps.database.knex('legalDocuments').where({ id }).whereNull('distributorId').whereNotNull('publishedAt').first(COLUMNS)) ?? null;
  }
}
