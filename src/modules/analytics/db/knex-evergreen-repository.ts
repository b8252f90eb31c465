import type { Database } from '../../../adapters/db/database.js';

/** A proposal with the original content's current text. */
export interface EvergreenCandidateView {
  id: string;
  contentId: string;
  status: 'proposed' | 'accepted' | 'dismissed' | 'republished';
  engagementScore: number;
  tenantMedianScore: number;
  windowStart: Date;
  windowEnd: Date;
  proposedAt: Date;
  channel: string;
  title: string;
  originalTitle: string;
  originalBody: string;
  publishedAt: Date | null;
  refreshedVersionId: string | null;
  /** The content made by "refresh" (origin evergreen, pointing at this candidate). */
  refreshedContentId: string | null;
  decidedAt: Date | null;
}

export type RefreshClaim = { state: 'claimed' } | { state: 'exists'; contentId: string } | { state: 'busy' } | { state: 'closed' };

/** A refresh claimed this long ago without its content (the process stopped) may be claimed again. */
export const REFRESH_LEASE_MS = 10 * 60_000;

/** Evergreen proposals (filled by the pipeline's analytics step) and the client's decisions on them. */
export class KnexEvergreenRepository {
  constructor(private readonly deps: { database: Database }) {}

  list(tenantId: string, statuses: string[] = ['proposed', 'accepted']): Promise<EvergreenCandidateView[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await this.base(trx, tenantId).whereIn('e.status', statuses).orderByRaw(`case e.status when 'proposed' then 0 else 1 end`).orderBy('e.engagementScore', 'desc').orderBy('e.id').limit(200);
      return rows.map(toView);
    });
  }

  find(tenantId: string, id: string): Promise<EvergreenCandidateView | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await this.base(trx, tenantId).where('e.id', id).first();
      return row ? toView(row) : null;
    });
  }

  /**
   * Takes the candidate for a refresh under its row lock, so that a double click makes one content: the content
   * already made (exists), another refresh under way (busy), a decided candidate (closed), or claimed: accepted now.
   */
  claimRefresh(tenantId: string, id: string, userId: string, now: Date): Promise<RefreshClaim | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const candidate = await trx('evergreenCandidates').where({ tenantId, id }).forUpdate().first('status', 'decidedAt');
      if (!candidate) return null;
      const made = await trx('contents').where({ tenantId, origin: 'evergreen', originRefId: id }).orderBy('createdAt').first('id');
      if (made) return { state: 'exists', contentId: made.id as string };
      if (candidate.status !== 'proposed' && candidate.status !== 'accepted') return { state: 'closed' };
      const decidedAt = candidate.decidedAt as Date | null;
      if (candidate.status === 'accepted' && decidedAt && now.getTime() - decidedAt.getTime() < REFRESH_LEASE_MS) return { state: 'busy' };
      await trx('evergreenCandidates').where({ tenantId, id }).update({ status: 'accepted', decidedBy: userId, decidedAt: now, updatedAt: now });
      return { state: 'claimed' };
    });
  }

  setRefreshedVersion(tenantId: string, id: string, versionId: string): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('evergreenCandidates').where({ tenantId, id, status: 'accepted' }).update({ refreshedVersionId: versionId, updatedAt: trx.fn.now() });
    });
  }

  /** Gives a claim back after a failure before the content existed, so the next click can try again. */
  releaseRefresh(tenantId: string, id: string, userId: string): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const made = await trx('contents').where({ tenantId, origin: 'evergreen', originRefId: id }).first('id');
      if (made) return;
      await trx('evergreenCandidates').where({ tenantId, id, status: 'accepted', decidedBy: userId }).update({ status: 'proposed', decidedBy: null, decidedAt: null, updatedAt: trx.fn.now() });
    });
  }

  dismiss(tenantId: string, id: string, userId: string, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(
      tenantId,
      async (trx) => (await trx('evergreenCandidates').where({ tenantId, id, status: 'proposed' }).update({ status: 'dismissed', decidedBy: userId, decidedAt: now, updatedAt: now })) > 0,
    );
  }

  private base(trx: import('knex').Knex.Transaction, tenantId: string) {
    return trx('evergreenCandidates as e')
      .join('contents as c', 'c.id', 'e.contentId')
      .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
      .where('e.tenantId', tenantId)
      .select(
        'e.id',
        'e.contentId',
        'e.status',
        'e.engagementScore',
        'e.tenantMedianScore',
        'e.windowStart',
        'e.windowEnd',
        'e.proposedAt',
        'e.refreshedVersionId',
        'e.decidedAt',
        'c.channel',
        'c.title',
        'c.publishedAt',
        'v.title as originalTitle',
        'v.body as originalBody',
        trx.raw(`(select r.id from contents r where r.tenant_id = e.tenant_id and r.origin = 'evergreen' and r.origin_ref_id = e.id order by r.created_at limit 1) as refreshed_content_id`),
      );
  }
}

function toView(row: Record<string, any>): EvergreenCandidateView {
  return {
    ...row,
    engagementScore: Number(row.engagementScore),
    tenantMedianScore: Number(row.tenantMedianScore),
    originalTitle: row.originalTitle ?? '',
    originalBody: row.originalBody ?? '',
    refreshedContentId: row.refreshedContentId ?? null,
  } as EvergreenCandidateView;
}
