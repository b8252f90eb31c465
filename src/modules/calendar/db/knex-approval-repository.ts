import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { BrandSafetyStatus, Channel, ContentStatus } from '../../studio/domain.js';
import { membersWithPermission } from '../../../adapters/db/tenant-members.js';
import {
  CARD_HISTORY,
  QUEUE_LIMIT,
  type Actor,
  type ApprovalRecord,
  type ContentNote,
  type Decision,
  type DueReminder,
  type QueueFilter,
  type QueueItem,
} from '../approval-domain.js';

/** What a decision is checked against before its transaction (and again inside it). */
export interface DecisionContext {
  status: ContentStatus;
  channel: Channel;
  locale: string;
  currentVersionId: string | null;
  brandSafetyStatus: BrandSafetyStatus | null;
  slot: { startsAt: Date; status: string } | null;
}

export type ApproveOutcome =
  | { outcome: 'approved'; startsAt: Date; approval: ApprovalRecord }
  | { outcome: 'notFound' }
  | { outcome: 'notPending'; status: ContentStatus }
  | { outcome: 'stale' }
  | { outcome: 'brandSafety'; status: BrandSafetyStatus }
  /** The slot is missing or past and no replacement was computed beforehand. */
  | { outcome: 'needsSlot' };

export type RejectOutcome =
  | { outcome: 'rejected'; approval: ApprovalRecord }
  | { outcome: 'notFound' }
  | { outcome: 'notPending'; status: ContentStatus }
  | { outcome: 'stale' };

export interface ApproveCommand {
  contentId: string;
  versionId: string;
  actor: Actor;
  comment: string | null;
  /** Approve a version whose brand-safety check is not `ok` (a team member's explicit decision). */
  overrideBrandSafety: boolean;
  /** Where the content goes when its slot is missing or already past (computed before the transaction). */
  fallbackStartsAt: Date | null;
  now: Date;
}

/** Slots in these states do not hold a time any more: an approval places the content again. */
const DEAD_SLOT = ['missed', 'cancelled'];

function actorColumns(actor: Actor) {
  return {
    actorKind: actor.kind,
    actorName: actor.name.slice(0, 200),
    decidedBy: actor.kind === 'user' ? actor.userId : null,
    approvalLinkId: actor.kind === 'reviewer' ? actor.linkId : null,
    locale: actor.locale,
  };
}

function approvalsQuery(trx: Knex.Transaction, tenantId: string) {
  return trx('approvals as a')
    .leftJoin('contentVersions as v', 'v.id', 'a.contentVersionId')
    .where('a.tenantId', tenantId)
    .select(
      'a.id',
      'a.contentId',
      'a.contentVersionId as versionId',
      'v.number as versionNumber',
      'a.decision',
      'a.comment',
      'a.actorKind',
      'a.actorName',
      'a.decidedBy',
      'a.approvalLinkId',
      'a.overrodeBrandSafety',
      'a.decidedAt',
    );
}

async function approvalIn(trx: Knex.Transaction, tenantId: string, id: string): Promise<ApprovalRecord> {
  return (await approvalsQuery(trx, tenantId).where('a.id', id).first()) as ApprovalRecord;
}

async function insertApproval(
  trx: Knex.Transaction,
  tenantId: string,
  row: { contentId: string; versionId: string | null; decision: Decision; comment: string | null; actor: Actor; overrode?: boolean; at?: Date },
): Promise<ApprovalRecord> {
  const [{ id }] = await trx('approvals')
    .insert({
      tenantId,
      contentId: row.contentId,
      contentVersionId: row.versionId,
      decision: row.decision,
      comment: row.comment,
      overrodeBrandSafety: row.overrode ?? false,
      ...(row.at ? { decidedAt: row.at } : {}),
      ...actorColumns(row.actor),
    })
    .returning('id');
  return approvalIn(trx, tenantId, id);
}

/** The queue's read model: a content, its current version, slot, campaign and the DNA snapshot it was written with. */
function itemsQuery(trx: Knex.Transaction, tenantId: string) {
  return trx('contents as c')
    .join('contentVersions as v', 'v.id', 'c.currentVersionId')
    .leftJoin('calendarSlots as s', 's.contentId', 'c.id')
    .leftJoin('campaigns as k', 'k.id', 'c.campaignId')
    .leftJoin('brandDna as d', 'd.id', 'v.dnaSnapshotId')
    .where('c.tenantId', tenantId)
    .select(
      'c.id as contentId',
      'c.channel',
      'c.mode',
      'c.status',
      'c.title',
      'c.brief',
      'c.campaignId',
      'k.name as campaignName',
      'v.id as versionId',
      'v.number as versionNumber',
      'v.title as versionTitle',
      'v.body',
      'v.source',
      'v.modelId',
      'v.brandSafetyStatus',
      'v.brandSafetyOverriddenAt',
      'v.createdAt as versionCreatedAt',
      'd.version as dnaVersion',
      's.startsAt',
      's.status as slotStatus',
    )
    .orderByRaw('s.starts_at asc nulls last, c.created_at asc, c.id asc');
}

/** Rows of itemsQuery with their open findings and latest decisions. */
async function toItems(trx: Knex.Transaction, tenantId: string, rows: Record<string, unknown>[]): Promise<QueueItem[]> {
  if (rows.length === 0) return [];
  const versionIds = rows.map((r) => r.versionId as string);
  const contentIds = rows.map((r) => r.contentId as string);
  const flags = await trx('brandSafetyFlags')
    .where({ tenantId })
    .whereIn('contentVersionId', versionIds)
    .whereNot('status', 'dismissed')
    .orderBy('createdAt')
    .select('contentVersionId', 'kind', 'severity', 'matchedText', 'detail');
  const recent = await trx
    .with(
      'ranked',
      approvalsQuery(trx, tenantId)
        .whereIn('a.contentId', contentIds)
        .select(trx.raw('row_number() over (partition by a.content_id order by a.decided_at desc, a.id desc) as rank')),
    )
    .from('ranked')
    .where('rank', '<=', CARD_HISTORY)
    .orderBy([{ column: 'decidedAt', order: 'desc' }, { column: 'id', order: 'desc' }])
    .select('*');
  return rows.map((r) => ({
    contentId: r.contentId as string,
    channel: r.channel as Channel,
    mode: r.mode as QueueItem['mode'],
    status: r.status as ContentStatus,
    title: (r.title as string) || (r.versionTitle as string) || '',
    brief: r.brief as string,
    campaignId: (r.campaignId as string | null) ?? null,
    campaignName: (r.campaignName as string | null) ?? null,
    version: {
      id: r.versionId as string,
      number: r.versionNumber as number,
      title: r.versionTitle as string,
      body: r.body as string,
      source: r.source as QueueItem['version']['source'],
      modelId: (r.modelId as string | null) ?? null,
      brandSafetyStatus: r.brandSafetyStatus as BrandSafetyStatus,
      brandSafetyOverriddenAt: (r.brandSafetyOverriddenAt as Date | null) ?? null,
      createdAt: r.versionCreatedAt as Date,
    },
    dnaVersion: (r.dnaVersion as number | null) ?? null,
    flags: flags
      .filter((f: Record<string, unknown>) => f.contentVersionId === r.versionId)
      .map((f: Record<string, unknown>) => ({ kind: f.kind as string, severity: f.severity as string, matchedText: (f.matchedText as string | null) ?? null, detail: f.detail as string })),
    slot: r.startsAt ? { startsAt: r.startsAt as Date, status: r.slotStatus as string } : null,
    recent: recent
      .filter((a: Record<string, unknown>) => a.contentId === r.contentId)
      .map(({ rank: _rank, ...a }: Record<string, unknown>) => a as unknown as ApprovalRecord),
  }));
}

/**
 * Decisions on contents (approve, reject, comment, regeneration requests), the queue's read model, private notes and
 * the reminder scan. Every method is one unit of work in the tenant's context, except the reminder scan's first step.
 */
export class KnexApprovalRepository {
  constructor(private readonly deps: { database: Database }) {}

  decisionContext(tenantId: string, contentId: string): Promise<DecisionContext | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('contents as c')
        .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
        .leftJoin('calendarSlots as s', 's.contentId', 'c.id')
        .where({ 'c.tenantId': tenantId, 'c.id': contentId })
        .first('c.status', 'c.channel', 'c.locale', 'c.currentVersionId', 'v.brandSafetyStatus', 's.startsAt', 's.status as slotStatus');
      if (!row) return null;
      return {
        status: row.status,
        channel: row.channel,
        locale: row.locale,
        currentVersionId: row.currentVersionId ?? null,
        brandSafetyStatus: row.brandSafetyStatus ?? null,
        slot: row.startsAt ? { startsAt: row.startsAt, status: row.slotStatus } : null,
      };
    });
  }

  /**
   * Approves `versionId` in one transaction: the content (locked) must still wait for approval with that version
   * current; the approval row, the brand-safety override, the content's `scheduled` status and `scheduled_at`, and its
   * confirmed slot are written together. A concurrent approver finds the status changed and gets `notPending`.
   */
  approve(tenantId: string, cmd: ApproveCommand): Promise<ApproveOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx): Promise<ApproveOutcome> => {
      const content = await trx('contents').where({ tenantId, id: cmd.contentId }).forUpdate().first('status', 'currentVersionId', 'channel');
      if (!content) return { outcome: 'notFound' };
      if (content.status !== 'pending_approval') return { outcome: 'notPending', status: content.status };
      if (content.currentVersionId !== cmd.versionId) return { outcome: 'stale' };
      const version = await trx('contentVersions').where({ tenantId, id: cmd.versionId }).first('brandSafetyStatus');
      if (version.brandSafetyStatus !== 'ok' && !cmd.overrideBrandSafety) return { outcome: 'brandSafety', status: version.brandSafetyStatus };
      const slot = await trx('calendarSlots').where({ tenantId, contentId: cmd.contentId }).forUpdate().first('id', 'startsAt', 'status');
      const keeps = slot && !DEAD_SLOT.includes(slot.status) && slot.startsAt.getTime() > cmd.now.getTime();
      const startsAt: Date | null = keeps ? slot.startsAt : cmd.fallbackStartsAt;
      if (!startsAt) return { outcome: 'needsSlot' };

      const moved = await trx('contents')
        .where({ tenantId, id: cmd.contentId, status: 'pending_approval', currentVersionId: cmd.versionId })
        .update({ status: 'scheduled', scheduledAt: startsAt, updatedAt: trx.fn.now() });
      if (moved !== 1) return { outcome: 'notPending', status: content.status };
      const overrode = version.brandSafetyStatus !== 'ok';
      if (overrode && cmd.actor.kind === 'user') {
        await trx('contentVersions')
          .where({ tenantId, id: cmd.versionId })
          .update({ brandSafetyOverriddenBy: cmd.actor.userId, brandSafetyOverriddenAt: cmd.now });
      }
      if (slot) {
        await trx('calendarSlots').where({ tenantId, id: slot.id }).update({ startsAt, status: 'confirmed', updatedAt: trx.fn.now() });
      } else {
        await trx('calendarSlots').insert({ tenantId, contentId: cmd.contentId, channel: content.channel, startsAt, status: 'confirmed', source: 'optimal' });
      }
      const approval = await insertApproval(trx, tenantId, {
        contentId: cmd.contentId,
        versionId: cmd.versionId,
        decision: 'approved',
        comment: cmd.comment,
        actor: cmd.actor,
        overrode,
      });
      return { outcome: 'approved', startsAt, approval };
    });
  }

  /** Sends a waiting content back to draft with the reviewer's reason (one transaction, same checks as approve). */
  reject(tenantId: string, cmd: { contentId: string; versionId: string; actor: Actor; comment: string }): Promise<RejectOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx): Promise<RejectOutcome> => {
      const content = await trx('contents').where({ tenantId, id: cmd.contentId }).forUpdate().first('status', 'currentVersionId');
      if (!content) return { outcome: 'notFound' };
      if (content.status !== 'pending_approval') return { outcome: 'notPending', status: content.status };
      if (content.currentVersionId !== cmd.versionId) return { outcome: 'stale' };
      const moved = await trx('contents')
        .where({ tenantId, id: cmd.contentId, status: 'pending_approval' })
        .update({ status: 'draft', updatedAt: trx.fn.now() });
      if (moved !== 1) return { outcome: 'notPending', status: content.status };
      await trx('calendarSlots').where({ tenantId, contentId: cmd.contentId, status: 'confirmed' }).update({ status: 'proposed', updatedAt: trx.fn.now() });
      const approval = await insertApproval(trx, tenantId, { contentId: cmd.contentId, versionId: cmd.versionId, decision: 'rejected', comment: cmd.comment, actor: cmd.actor });
      return { outcome: 'rejected', approval };
    });
  }

  /** A decision that changes no status (comment, regeneration request): null when the content is not the tenant's. */
  record(tenantId: string, row: { contentId: string; decision: Decision; comment: string | null; actor: Actor }): Promise<ApprovalRecord | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const content = await trx('contents').where({ tenantId, id: row.contentId }).first('currentVersionId');
      if (!content) return null;
      return insertApproval(trx, tenantId, { ...row, versionId: content.currentVersionId ?? null });
    });
  }

  /** Removes a regeneration request the studio refused (the only decision ever removed). */
  withdraw(tenantId: string, approvalId: string): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('approvals').where({ tenantId, id: approvalId, decision: 'regeneration_requested' }).delete();
    });
  }

  history(tenantId: string, contentId: string): Promise<ApprovalRecord[]> {
    return this.deps.database.forTenant(tenantId, async (trx) =>
      (await approvalsQuery(trx, tenantId).where('a.contentId', contentId).orderBy([{ column: 'a.decidedAt', order: 'desc' }, { column: 'a.id', order: 'desc' }])) as ApprovalRecord[],
    );
  }

  /** Contents waiting for approval, soonest slot first (QUEUE_LIMIT + 1 rows tell the page there are more). */
  queue(tenantId: string, filter: QueueFilter): Promise<QueueItem[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = itemsQuery(trx, tenantId).where('c.status', 'pending_approval').limit(QUEUE_LIMIT + 1);
      if (filter.channel) query.where('c.channel', filter.channel);
      if (filter.campaignId) query.where('c.campaignId', filter.campaignId);
      return toItems(trx, tenantId, await query);
    });
  }

  /** One content as a queue card, whatever its status (after a decision the card shows the outcome). */
  item(tenantId: string, contentId: string): Promise<QueueItem | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await itemsQuery(trx, tenantId).where('c.id', contentId).first();
      return row ? (await toItems(trx, tenantId, [row]))[0] : null;
    });
  }

  /** Campaigns that have contents waiting (the queue's filter). */
  queueCampaigns(tenantId: string): Promise<{ id: string; name: string }[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('campaigns').where({ tenantId }).whereNot('status', 'archived').orderBy('name').limit(200).select('id', 'name'),
    );
  }

  /** The tenant's zone and language (local times on the pages and in mails). */
  tenantSettings(tenantId: string): Promise<{ name: string; timezone: string; locale: string }> {
    return this.deps.database.forTenant(tenantId, async (trx) => trx('tenants').where({ id: tenantId }).first('name', 'timezone', 'locale'));
  }

  // ---- notes ----

  notes(tenantId: string, contentId: string): Promise<ContentNote[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('contentNotes as n')
        .leftJoin('users as u', 'u.id', 'n.authorId')
        .leftJoin('contentVersions as v', 'v.id', 'n.contentVersionId')
        .where({ 'n.tenantId': tenantId, 'n.contentId': contentId })
        .orderBy([{ column: 'n.createdAt', order: 'desc' }, { column: 'n.id', order: 'desc' }])
        .select('n.id', 'n.contentId', 'v.number as versionNumber', 'n.authorId', trx.raw(`coalesce(nullif(u.name, ''), u.email) as author_name`), 'n.body', 'n.createdAt'),
    );
  }

  /** Null when the content is not the tenant's. The note is attached to the version it was written about. */
  addNote(tenantId: string, contentId: string, note: { authorId: string; body: string; locale: string }): Promise<string | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const content = await trx('contents').where({ tenantId, id: contentId }).first('currentVersionId');
      if (!content) return null;
      const [{ id }] = await trx('contentNotes')
        .insert({ tenantId, contentId, contentVersionId: content.currentVersionId ?? null, authorId: note.authorId, body: note.body, locale: note.locale })
        .returning('id');
      return id as string;
    });
  }

  /** 'deleted', 'notFound' (not a note of this content), or 'notAuthor'. */
  deleteNote(tenantId: string, contentId: string, noteId: string, authorId: string): Promise<'deleted' | 'notFound' | 'notAuthor'> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const note = await trx('contentNotes').where({ tenantId, contentId, id: noteId }).first('authorId');
      if (!note) return 'notFound';
      if (note.authorId !== authorId) return 'notAuthor';
      await trx('contentNotes').where({ tenantId, id: noteId }).delete();
      return 'deleted';
    });
  }

  // ---- reminders ----

  /** Platform context (fan-out): active tenants with a waiting content whose slot starts in (from, to] and was not reminded. */
  tenantsWithDueReminders(from: Date, to: Date): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) =>
      (await dueSlots(trx).join('tenants as t', 't.id', 's.tenantId').where('t.status', 'active').where('s.startsAt', '>', from).where('s.startsAt', '<=', to).distinct('s.tenantId')).map(
        (r: { tenantId: string }) => r.tenantId,
      ),
    );
  }

  /** The tenant's due items and the members whose role may approve them. */
  dueReminder(tenantId: string, from: Date, to: Date): Promise<DueReminder> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('name', 'locale', 'timezone');
      const items = await dueSlots(trx)
        .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
        .where('s.tenantId', tenantId)
        .where('s.startsAt', '>', from)
        .where('s.startsAt', '<=', to)
        .orderBy('s.startsAt')
        .select('s.id as slotId', 'c.id as contentId', 'c.channel', trx.raw(`coalesce(nullif(c.title, ''), v.title, '') as title`), 's.startsAt');
      const recipients = await membersWithPermission(trx, tenantId, 'content.approve')
        .orderBy('u.email')
        .select('u.email', 'u.name');
      return { tenant, items, recipients };
    });
  }

  /** Marks the slots reminded; a slot already marked (another run) is left as it is. */
  markReminded(tenantId: string, slotIds: string[], at: Date): Promise<number> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('calendarSlots').where({ tenantId }).whereIn('id', slotIds).whereNull('reminderSentAt').update({ reminderSentAt: at, updatedAt: trx.fn.now() }),
    );
  }
}

function dueSlots(trx: Knex.Transaction) {
  return trx('calendarSlots as s')
    .join('contents as c', 'c.id', 's.contentId')
    .where('c.status', 'pending_approval')
    .whereNull('s.reminderSentAt')
    .whereNotIn('s.status', ['cancelled', 'missed', 'published']);
}
