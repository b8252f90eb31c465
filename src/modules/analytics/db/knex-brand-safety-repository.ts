import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { BrandSafetyFlagView, FlagFilter } from '../brand-safety-domain.js';

const LIMIT = 200;

/** Brand-safety flags with what they are about (content, mention, review), and the team's decisions on them. */
export class KnexBrandSafetyRepository {
  constructor(private readonly deps: { database: Database }) {}

  list(tenantId: string, filter: FlagFilter = {}): Promise<BrandSafetyFlagView[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = this.base(trx, tenantId);
      const status = filter.status ?? 'open';
      if (status !== 'all') query.where('f.status', status);
      if (filter.kind) query.where('f.kind', filter.kind);
      const rows = await query
        .orderByRaw(`case f.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end`)
        .orderBy('f.createdAt', 'desc')
        .orderBy('f.id')
        .limit(LIMIT);
      return rows.map(toView);
    });
  }

  find(tenantId: string, id: string): Promise<BrandSafetyFlagView | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await this.base(trx, tenantId).where('f.id', id).first();
      return row ? toView(row) : null;
    });
  }

  /** Counts of open flags per severity (the cockpit's tile may read it). */
  openCounts(tenantId: string): Promise<Record<string, number>> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('brandSafetyFlags').where({ tenantId, status: 'open' }).groupBy('severity').select('severity', trx.raw('count(*)::int as count'));
      return Object.fromEntries(rows.map((r: { severity: string; count: number }) => [r.severity, Number(r.count)]));
    });
  }

  /** Resolved or dismissed (one decision: only an open flag). */
  close(tenantId: string, id: string, status: 'resolved' | 'dismissed', userId: string, note: string | null, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(
      tenantId,
      async (trx) => (await trx('brandSafetyFlags').where({ tenantId, id, status: 'open' }).update({ status, resolvedBy: userId, resolvedAt: now, resolutionNote: note, updatedAt: now })) > 0,
    );
  }

  private base(trx: Knex.Transaction, tenantId: string) {
    return trx('brandSafetyFlags as f')
      .leftJoin('contents as c', 'c.id', 'f.contentId')
      .leftJoin('contentVersions as v', 'v.id', 'f.contentVersionId')
      .leftJoin('mentions as m', 'm.id', 'f.mentionId')
      .leftJoin('reviews as r', 'r.id', 'f.reviewId')
      .leftJoin('users as u', 'u.id', 'f.resolvedBy')
      .where('f.tenantId', tenantId)
      .select(
        'f.id',
        'f.subjectType',
        'f.contentId',
        'f.contentVersionId',
        'c.title as contentTitle',
        'c.channel as contentChannel',
        'v.number as versionNumber',
        'f.mentionId',
        'm.url as mentionUrl',
        'm.title as mentionTitle',
        'f.reviewId',
        'r.authorName as reviewAuthor',
        'f.kind',
        'f.severity',
        'f.detail',
        'f.matchedText',
        'f.status',
        'u.name as deciderName',
        'f.resolvedAt',
        'f.resolutionNote',
        'f.createdAt',
        'f.updatedAt',
      );
  }
}

function toView(row: Record<string, any>): BrandSafetyFlagView {
  const open = row.status === 'open';
  return {
    id: row.id,
    subjectType: row.subjectType,
    contentId: row.contentId,
    contentVersionId: row.contentVersionId,
    contentTitle: row.contentTitle ?? null,
    contentChannel: row.contentChannel ?? null,
    versionNumber: row.versionNumber === null || row.versionNumber === undefined ? null : Number(row.versionNumber),
    mentionId: row.mentionId,
    mentionUrl: row.mentionUrl ?? null,
    mentionTitle: row.mentionTitle ?? null,
    reviewId: row.reviewId,
    reviewAuthor: row.reviewAuthor ?? null,
    kind: row.kind,
    severity: row.severity,
    detail: row.detail,
    matchedText: row.matchedText,
    status: row.status,
    resolvedBy: open ? null : (row.deciderName ?? null),
    resolvedAt: row.resolvedAt,
    resolutionNote: row.resolutionNote,
    createdAt: row.createdAt,
  };
}
