import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { Channel, ContentStatus } from '../../studio/domain.js';
import type { LinkScope, ReviewerLink } from '../approval-domain.js';

export interface NewReviewerLink {
  tokenHash: string;
  reviewerName: string;
  reviewerEmail: string | null;
  scope: LinkScope;
  contentIds: string[];
  campaignId: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  canApprove: boolean;
  expiresAt: Date;
  createdBy: string;
  locale: string;
}

/** What a reviewer sees of one content: never the team's notes, only the decisions made through their own link. */
export interface ReviewItem {
  contentId: string;
  channel: Channel;
  status: ContentStatus;
  title: string;
  versionId: string;
  versionNumber: number;
  body: string;
  brandSafetyStatus: string;
  startsAt: Date | null;
  /** Decisions taken through this link, newest first. */
  mine: { decision: string; comment: string | null; decidedAt: Date; versionNumber: number | null }[];
}

const LINK_COLUMNS = [
  'l.id',
  'l.reviewerName',
  'l.reviewerEmail',
  'l.scope',
  'l.campaignId',
  'k.name as campaignName',
  'l.canApprove',
  'l.expiresAt',
  'l.revokedAt',
  'l.lastUsedAt',
  'l.createdAt',
  'l.locale',
];

function linksQuery(trx: Knex.Transaction) {
  return trx('approvalLinks as l')
    .leftJoin('campaigns as k', 'k.id', 'l.campaignId')
    .leftJoin('users as u', 'u.id', 'l.createdBy')
    .select([
      ...LINK_COLUMNS,
      trx.raw(`to_char(l.period_start, 'YYYY-MM-DD') as period_start`),
      trx.raw(`to_char(l.period_end, 'YYYY-MM-DD') as period_end`),
      trx.raw(`coalesce(nullif(u.name, ''), u.email) as created_by_name`),
      trx.raw('(select count(*) from approval_link_contents lc where lc.approval_link_id = l.id) as content_count'),
    ]);
}

function toLink(row: Record<string, unknown>): ReviewerLink {
  return { ...(row as unknown as ReviewerLink), contentCount: Number(row.contentCount ?? 0) };
}

/**
 * The contents a link reaches, in the link's tenant: the listed ones, a campaign's, or those whose slot falls on a
 * local day of the period (tenant's time zone). Other tenants' rows are invisible anyway (row-level security).
 */
function scopedContents(trx: Knex.Transaction, tenantId: string, link: Pick<ReviewerLink, 'id' | 'scope' | 'campaignId' | 'periodStart' | 'periodEnd'>) {
  const query = trx('contents as c')
    .join('contentVersions as v', 'v.id', 'c.currentVersionId')
    .leftJoin('calendarSlots as s', 's.contentId', 'c.id')
    .where('c.tenantId', tenantId);
  if (link.scope === 'contents') {
    query.whereIn('c.id', trx('approvalLinkContents').where({ tenantId, approvalLinkId: link.id }).select('contentId'));
  } else if (link.scope === 'campaign') {
    query.where('c.campaignId', link.campaignId);
  } else {
    query
      .join('tenants as t', 't.id', 'c.tenantId')
      .whereRaw('(s.starts_at at time zone t.timezone)::date between ?::date and ?::date', [link.periodStart, link.periodEnd]);
  }
  return query;
}

/** Reviewer links: created and revoked by the team, found by token hash by the public pages. */
export class KnexReviewerLinkRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** Null with the reason when a listed content or the campaign is not the tenant's. */
  create(tenantId: string, link: NewReviewerLink): Promise<{ link: ReviewerLink } | { refused: 'contentNotFound' | 'campaignNotFound' }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const contentIds = [...new Set(link.contentIds)];
      if (link.scope === 'contents') {
        const owned = await trx('contents').where({ tenantId }).whereIn('id', contentIds).pluck('id');
        if (owned.length !== contentIds.length) return { refused: 'contentNotFound' as const };
      }
      if (link.scope === 'campaign' && !(await trx('campaigns').where({ tenantId, id: link.campaignId }).first('id'))) {
        return { refused: 'campaignNotFound' as const };
      }
      const [{ id }] = await trx('approvalLinks')
        .insert({
          tenantId,
          tokenHash: link.tokenHash,
          reviewerName: link.reviewerName,
          reviewerEmail: link.reviewerEmail,
          scope: link.scope,
          campaignId: link.scope === 'campaign' ? link.campaignId : null,
          periodStart: link.scope === 'period' ? link.periodStart : null,
          periodEnd: link.scope === 'period' ? link.periodEnd : null,
          canApprove: link.canApprove,
          expiresAt: link.expiresAt,
          createdBy: link.createdBy,
          locale: link.locale,
        })
        .returning('id');
      if (link.scope === 'contents') {
        await trx('approvalLinkContents').insert(contentIds.map((contentId) => ({ tenantId, approvalLinkId: id, contentId })));
      }
      return { link: toLink(await linksQuery(trx).where('l.id', id).first()) };
    });
  }

  list(tenantId: string): Promise<ReviewerLink[]> {
    return this.deps.database.forTenant(tenantId, async (trx) =>
      (await linksQuery(trx).where('l.tenantId', tenantId).orderBy([{ column: 'l.createdAt', order: 'desc' }, { column: 'l.id', order: 'desc' }]).limit(100)).map(toLink),
    );
  }

  /** False when the tenant has no active link with this id. */
  revoke(tenantId: string, linkId: string, at: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const n = await trx('approvalLinks').where({ tenantId, id: linkId }).whereNull('revokedAt').update({ revokedAt: at, updatedAt: trx.fn.now() });
      return n > 0;
    });
  }

  /**
   * Before any tenant is known: the explicit platform context finds the link (even revoked or expired, so the page
   * can say so) and its tenant; a tenant that is not active answers as an unknown token.
   */
  findByTokenHash(tokenHash: string): Promise<{ tenantId: string; tenantName: string; timezone: string; link: ReviewerLink } | null> {
    return this.deps.database.asPlatform(async (trx) => {
      const row = await linksQuery(trx)
        .join('tenants as t', 't.id', 'l.tenantId')
        .where('l.tokenHash', tokenHash)
        .where('t.status', 'active')
        .first('l.tenantId', 't.name as tenantName', 't.timezone');
      if (!row) return null;
      const { tenantId, tenantName, timezone, ...link } = row;
      return { tenantId, tenantName, timezone, link: toLink(link) };
    });
  }

  /**
   * The link's items: those in scope still waiting for approval, and those it already decided (read-only).
   * `contentId` narrows to one item (null when it is not reachable through the link). Records the visit.
   */
  items(tenantId: string, link: ReviewerLink, at: Date, contentId?: string): Promise<ReviewItem[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const decidedHere = trx('approvals').where({ tenantId, approvalLinkId: link.id }).whereIn('decision', ['approved', 'rejected']).select('contentId');
      const query = scopedContents(trx, tenantId, link)
        .where((q) => q.where('c.status', 'pending_approval').orWhereIn('c.id', decidedHere))
        .orderByRaw('s.starts_at asc nulls last, c.created_at asc, c.id asc')
        .limit(200)
        .select(
          'c.id as contentId',
          'c.channel',
          'c.status',
          trx.raw(`coalesce(nullif(c.title, ''), v.title, '') as title`),
          'v.id as versionId',
          'v.number as versionNumber',
          'v.body',
          'v.brandSafetyStatus',
          's.startsAt',
        );
      if (contentId) query.where('c.id', contentId);
      const rows = await query;
      const mine = rows.length
        ? await trx('approvals as a')
            .leftJoin('contentVersions as v', 'v.id', 'a.contentVersionId')
            .where({ 'a.tenantId': tenantId, 'a.approvalLinkId': link.id })
            .whereIn(
              'a.contentId',
              rows.map((r: { contentId: string }) => r.contentId),
            )
            .orderBy([{ column: 'a.decidedAt', order: 'desc' }, { column: 'a.id', order: 'desc' }])
            .select('a.contentId', 'a.decision', 'a.comment', 'a.decidedAt', 'v.number as versionNumber')
        : [];
      await trx('approvalLinks').where({ tenantId, id: link.id }).update({ lastUsedAt: at });
      return rows.map((r: Record<string, unknown>) => ({
        ...(r as unknown as ReviewItem),
        mine: mine
          .filter((m: Record<string, unknown>) => m.contentId === r.contentId)
          .map(({ contentId: _c, ...m }: Record<string, unknown>) => m as unknown as ReviewItem['mine'][number]),
      }));
    });
  }
}
