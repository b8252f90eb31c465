import type { Clock } from '../../shared/clock.js';
import { AppError, ForbiddenError, NotFoundError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import { parseInput } from '../../shared/validation.js';
import type { ContentService } from '../studio/content-service.js';
import type { VersionEditInput } from '../studio/content-service.js';
import type { ContentDetail } from '../studio/domain.js';
import {
  approveSchema,
  commentSchema,
  noteSchema,
  QUEUE_LIMIT,
  regenerateSchema,
  rejectSchema,
  SYSTEM_ACTOR_NAME,
  type Actor,
  type ApprovalRecord,
  type ApproveInput,
  type CommentInput,
  type ContentNote,
  type NoteInput,
  type QueueFilter,
  type QueueItem,
  type RegenerateInput,
  type RejectInput,
  type UserActor,
} from './approval-domain.js';
import type { ApproveOutcome, DecisionContext, KnexApprovalRepository, RejectOutcome } from './db/knex-approval-repository.js';
import type { ApprovalGate, SlotPlanner } from './ports.js';

const E = 'approvals.errors';

export interface QueuePage {
  items: QueueItem[];
  /** More items wait than the page shows (QUEUE_LIMIT). */
  more: boolean;
  regenerationsLeft: Record<string, number>;
  campaigns: { id: string; name: string }[];
  settings: { name: string; timezone: string; locale: string };
}

export interface ApprovalPanel {
  detail: ContentDetail;
  history: ApprovalRecord[];
  notes: ContentNote[];
  timezone: string;
}

/** A team member as an actor. */
export function userActor(viewer: { userId: string; name: string; email: string; locale: string }): UserActor {
  return { kind: 'user', userId: viewer.userId, name: viewer.name || viewer.email, locale: viewer.locale };
}

/**
 * Decisions on contents waiting for approval: approve (the content takes its slot), reject (back to draft), comment,
 * ask for a regeneration, quick edit; the queue and a content's approval panel; private team notes. Also the studio's
 * approval gate for auto mode. Who may do what is checked by the routes (permissions); who may override brand safety
 * is checked here (team members only).
 */
export class ApprovalService implements ApprovalGate {
  constructor(
    private readonly deps: {
      approvalRepository: KnexApprovalRepository;
      contentService: ContentService;
      slotPlanner: SlotPlanner;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /**
   * Approves the version the approver saw. Refused (409) when the content no longer waits, when its text changed since
   * (another version is current), or when the version's brand-safety check is not `ok` without an explicit override.
   */
  async approve(tenantId: string, actor: Actor, contentId: string, input: ApproveInput): Promise<{ startsAt: Date; approval: ApprovalRecord }> {
    const data = parseInput(approveSchema, input);
    const override = data.overrideBrandSafety === true;
    if (override && actor.kind !== 'user') throw new ForbiddenError(`${E}.overrideNotAllowed`);
    const context = await this.context(tenantId, contentId);
    this.assertDecidable(context, data.versionId);
    if (context.brandSafetyStatus !== 'ok' && !override) throw this.brandSafetyError(actor, context.brandSafetyStatus);
    const outcome = await this.approveWithSlot(tenantId, { contentId, versionId: data.versionId, actor, comment: data.comment ?? null, override }, context);
    if (outcome.outcome === 'approved') {
      this.deps.logger.info({ tenantId, contentId, actor: actor.kind, overrode: outcome.approval.overrodeBrandSafety }, 'content approved');
      return { startsAt: outcome.startsAt, approval: outcome.approval };
    }
    throw this.outcomeError(outcome, actor);
  }

  /** Back to draft with the reason (required): the author sees it on the content. */
  async reject(tenantId: string, actor: Actor, contentId: string, input: RejectInput): Promise<ApprovalRecord> {
    const data = parseInput(rejectSchema, input);
    const context = await this.context(tenantId, contentId);
    this.assertDecidable(context, data.versionId);
    const outcome = await this.deps.approvalRepository.reject(tenantId, { contentId, versionId: data.versionId, actor, comment: data.comment });
    if (outcome.outcome === 'rejected') return outcome.approval;
    throw this.outcomeError(outcome, actor);
  }

  /** A comment on the content (its status does not change). */
  async comment(tenantId: string, actor: Actor, contentId: string, input: CommentInput): Promise<ApprovalRecord> {
    const data = parseInput(commentSchema, input);
    if (!isUuid(contentId)) throw new NotFoundError();
    const record = await this.deps.approvalRepository.record(tenantId, { contentId, decision: 'commented', comment: data.comment, actor });
    if (!record) throw new NotFoundError();
    return record;
  }

  /**
   * Records the request, then has the studio write the content again (it counts against the plan's regeneration cap
   * and costs credits). When the studio refuses (cap reached 409, credits 402, generation already running…) the
   * request is withdrawn so the history only shows regenerations that happened, and the studio's error is raised.
   */
  async requestRegeneration(tenantId: string, actor: UserActor, contentId: string, input: RegenerateInput): Promise<void> {
    const data = parseInput(regenerateSchema, input);
    const context = await this.context(tenantId, contentId);
    if (context.currentVersionId !== data.versionId) throw new AppError(`${E}.staleVersion`, 409);
    const record = await this.deps.approvalRepository.record(tenantId, { contentId, decision: 'regeneration_requested', comment: data.comment ?? null, actor });
    if (!record) throw new NotFoundError();
    try {
      await this.deps.contentService.generateNow(tenantId, contentId, actor.userId);
    } catch (err) {
      await this.deps.approvalRepository.withdraw(tenantId, record.id).catch((e) => this.deps.logger.warn({ err: e, contentId }, 'regeneration request not withdrawn'));
      throw err;
    }
  }

  /**
   * A quick fix from the queue: a new version through the studio (the content stays waiting for approval). The fields
   * the form does not show (SEO, newsletter subject…) are carried over from the version the editor saw.
   */
  async quickEdit(tenantId: string, actor: UserActor, contentId: string, input: { versionId?: unknown; title?: unknown; body?: unknown }): Promise<void> {
    const detail = await this.deps.contentService.detail(tenantId, contentId);
    if (!detail.current || detail.current.id !== input.versionId) throw new AppError(`${E}.staleVersion`, 409);
    const meta = detail.current.meta;
    const edit: VersionEditInput = {
      title: typeof input.title === 'string' ? input.title : detail.current.title,
      body: typeof input.body === 'string' ? input.body : '',
      targetKeyword: meta.targetKeyword,
      metaDescription: meta.metaDescription,
      slug: meta.slug,
      subject: meta.subject,
      preheader: meta.preheader,
    };
    await this.deps.contentService.edit(tenantId, contentId, actor.userId, edit);
  }

  // ---- ApprovalGate (auto mode) ----

  async approveAutomatically(tenantId: string, contentId: string, versionId: string): Promise<void> {
    const context = await this.deps.approvalRepository.decisionContext(tenantId, contentId);
    if (!context || context.status !== 'pending_approval' || context.currentVersionId !== versionId || context.brandSafetyStatus !== 'ok') return;
    const actor: Actor = { kind: 'system', name: SYSTEM_ACTOR_NAME, locale: context.locale };
    const outcome = await this.approveWithSlot(tenantId, { contentId, versionId, actor, comment: null, override: false }, context);
    if (outcome.outcome === 'approved') this.deps.logger.info({ tenantId, contentId }, 'content approved automatically');
  }

  // ---- reading ----

  async queue(tenantId: string, filter: QueueFilter): Promise<QueuePage> {
    const [rows, campaigns, settings] = await Promise.all([
      this.deps.approvalRepository.queue(tenantId, filter),
      this.deps.approvalRepository.queueCampaigns(tenantId),
      this.deps.approvalRepository.tenantSettings(tenantId),
    ]);
    const items = rows.slice(0, QUEUE_LIMIT);
    return { items, more: rows.length > QUEUE_LIMIT, regenerationsLeft: await this.regenerationsLeft(tenantId, items), campaigns, settings };
  }

  /** One queue card (after an action: the content may have left the queue). */
  async card(tenantId: string, contentId: string): Promise<{ item: QueueItem; regenerationsLeft: Record<string, number>; timezone: string }> {
    if (!isUuid(contentId)) throw new NotFoundError();
    const item = await this.deps.approvalRepository.item(tenantId, contentId);
    if (!item) throw new NotFoundError();
    const { timezone } = await this.deps.approvalRepository.tenantSettings(tenantId);
    return { item, regenerationsLeft: await this.regenerationsLeft(tenantId, [item]), timezone };
  }

  /** What the studio editor shows beside a content (which already shows how it was generated): decisions and team notes. */
  async panel(tenantId: string, contentId: string): Promise<ApprovalPanel> {
    const detail = await this.deps.contentService.detail(tenantId, contentId);
    const [history, notes, settings] = await Promise.all([
      this.deps.approvalRepository.history(tenantId, contentId),
      this.deps.approvalRepository.notes(tenantId, contentId),
      this.deps.approvalRepository.tenantSettings(tenantId),
    ]);
    return { detail, history, notes, timezone: settings.timezone };
  }

  // ---- notes (private to the team) ----

  async addNote(tenantId: string, actor: UserActor, contentId: string, input: NoteInput): Promise<void> {
    const data = parseInput(noteSchema, input);
    if (!isUuid(contentId)) throw new NotFoundError();
    const id = await this.deps.approvalRepository.addNote(tenantId, contentId, { authorId: actor.userId, body: data.body, locale: actor.locale });
    if (!id) throw new NotFoundError();
  }

  /** Only its author deletes a note. */
  async deleteNote(tenantId: string, actor: UserActor, contentId: string, noteId: string): Promise<void> {
    if (!isUuid(contentId) || !isUuid(noteId)) throw new NotFoundError();
    const result = await this.deps.approvalRepository.deleteNote(tenantId, contentId, noteId, actor.userId);
    if (result === 'notFound') throw new NotFoundError();
    if (result === 'notAuthor') throw new ForbiddenError(`${E}.notNoteAuthor`);
  }

  notes(tenantId: string, contentId: string): Promise<ContentNote[]> {
    if (!isUuid(contentId)) throw new NotFoundError();
    return this.deps.approvalRepository.notes(tenantId, contentId);
  }

  // ---- internals ----

  private async context(tenantId: string, contentId: string): Promise<DecisionContext> {
    if (!isUuid(contentId)) throw new NotFoundError();
    const context = await this.deps.approvalRepository.decisionContext(tenantId, contentId);
    if (!context) throw new NotFoundError();
    return context;
  }

  private assertDecidable(context: DecisionContext, versionId: string): void {
    if (context.status !== 'pending_approval') throw new AppError(`${E}.notPending`, 409);
    if (context.currentVersionId !== versionId) throw new AppError(`${E}.staleVersion`, 409);
  }

  /**
   * The slot planner is asked for a new time only when the content's slot is missing or already past — before the
   * transaction, since the planner reads in its own unit of work. If the slot went past meanwhile, once more.
   */
  private async approveWithSlot(
    tenantId: string,
    cmd: { contentId: string; versionId: string; actor: Actor; comment: string | null; override: boolean },
    context: DecisionContext,
  ): Promise<ApproveOutcome> {
    const now = this.deps.clock.now();
    const live = context.slot && !['missed', 'cancelled'].includes(context.slot.status) && context.slot.startsAt.getTime() > now.getTime();
    let fallback = live ? null : await this.nextSlot(tenantId, context, cmd.contentId);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.deps.approvalRepository.approve(tenantId, {
        contentId: cmd.contentId,
        versionId: cmd.versionId,
        actor: cmd.actor,
        comment: cmd.comment,
        overrideBrandSafety: cmd.override,
        fallbackStartsAt: fallback,
        now: this.deps.clock.now(),
      });
      if (outcome.outcome !== 'needsSlot' || attempt > 0) return outcome;
      fallback = await this.nextSlot(tenantId, context, cmd.contentId);
    }
  }

  private nextSlot(tenantId: string, context: DecisionContext, contentId: string): Promise<Date> {
    return this.deps.slotPlanner.nextFreeSlot(tenantId, context.channel, { excludeContentId: contentId });
  }

  private brandSafetyError(actor: Actor, status: string | null): AppError {
    if (actor.kind === 'reviewer') return new AppError(`${E}.teamMustReview`, 409);
    return new AppError(status === 'flagged' ? `${E}.brandSafetyFlagged` : `${E}.brandSafetyUnchecked`, 409);
  }

  private outcomeError(outcome: Exclude<ApproveOutcome | RejectOutcome, { outcome: 'approved' } | { outcome: 'rejected' }>, actor: Actor): AppError {
    switch (outcome.outcome) {
      case 'notFound':
        return new NotFoundError();
      case 'notPending':
        return new AppError(`${E}.notPending`, 409);
      case 'stale':
        return new AppError(`${E}.staleVersion`, 409);
      case 'brandSafety':
        return this.brandSafetyError(actor, outcome.status);
      case 'needsSlot':
        return new AppError(`${E}.slotUnavailable`, 409);
    }
  }

  private async regenerationsLeft(tenantId: string, items: QueueItem[]): Promise<Record<string, number>> {
    const entries = await Promise.all(
      items.map(async (item) => [item.contentId, (await this.deps.contentService.regenerationsLeft(tenantId, item.contentId)).left] as const),
    );
    return Object.fromEntries(entries);
  }
}
