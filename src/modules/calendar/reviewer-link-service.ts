import crypto from 'node:crypto';
import type { i18n } from 'i18next';
import type { Clock } from '../../shared/clock.js';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import type { Mailer } from '../../shared/mailer.js';
import { parseInput } from '../../shared/validation.js';
import { LINK_TOKEN, LINK_TOKEN_BYTES, linkSchema, linkState, type Actor, type LinkInput, type ReviewerLink } from './approval-domain.js';
import { reviewerLinkMail } from './approval-mail.js';
import type { ApprovalService } from './approval-service.js';
import type { KnexApprovalRepository } from './db/knex-approval-repository.js';
import type { KnexReviewerLinkRepository, ReviewItem } from './db/knex-reviewer-link-repository.js';

const E = 'approvals.errors';
const DAY_MS = 86_400_000;

export function hashLinkToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** A link that exists but can no longer be used: the page says so in the link's language. */
export class ReviewLinkGoneError extends AppError {
  constructor(
    readonly state: 'expired' | 'revoked',
    readonly locale: string,
  ) {
    super(`approvals.review.${state}`, 410);
  }
}

/** A usable link, resolved from its token. */
export interface OpenLink {
  tenantId: string;
  tenantName: string;
  timezone: string;
  link: ReviewerLink;
}

export type ReviewAction = 'approve' | 'reject' | 'comment';

export interface CreatedLink {
  link: ReviewerLink;
  /** Shown once: only the token's hash is stored. */
  url: string;
  /** Whether the e-mail went out (null when no address was given). */
  mailed: 'sent' | 'failed' | null;
}

/**
 * Approval without an account: the team creates a signed, expiring link for a reviewer (their boss, their client),
 * who sees the items in its scope and approves, rejects or comments on each — nothing else. The token (32 random
 * bytes) is shown once; only its SHA-256 is stored.
 */
export class ReviewerLinkService {
  constructor(
    private readonly deps: {
      reviewerLinkRepository: KnexReviewerLinkRepository;
      approvalRepository: KnexApprovalRepository;
      approvalService: ApprovalService;
      mailer: Mailer;
      i18n: i18n;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async create(tenantId: string, creator: { userId: string; name: string }, input: LinkInput, baseUrl: string): Promise<CreatedLink> {
    const settings = await this.deps.approvalRepository.tenantSettings(tenantId);
    const data = parseInput(linkSchema, { ...input, locale: input.locale || (settings.locale === 'en' ? 'en' : 'fr') });
    const token = crypto.randomBytes(LINK_TOKEN_BYTES).toString('base64url');
    const expiresAt = new Date(this.deps.clock.now().getTime() + data.expiresInDays * DAY_MS);
    const created = await this.deps.reviewerLinkRepository.create(tenantId, {
      tokenHash: hashLinkToken(token),
      reviewerName: data.reviewerName,
      reviewerEmail: data.reviewerEmail ?? null,
      scope: data.scope,
      contentIds: data.contentIds,
      campaignId: data.campaignId ?? null,
      periodStart: data.periodStart ?? null,
      periodEnd: data.periodEnd ?? null,
      canApprove: data.canApprove,
      expiresAt,
      createdBy: creator.userId,
      locale: data.locale,
    });
    if ('refused' in created) throw new ValidationError(created.refused === 'contentNotFound' ? { contentIds: `${E}.contentNotFound` } : { campaignId: `${E}.campaignNotFound` });
    const url = `${baseUrl.replace(/\/+$/, '')}/review/${token}`;
    let mailed: CreatedLink['mailed'] = null;
    if (data.reviewerEmail) {
      const t = this.deps.i18n.getFixedT(data.locale);
      const mail = reviewerLinkMail(t, {
        reviewerName: data.reviewerName,
        senderName: creator.name,
        tenantName: settings.name,
        url,
        expiresAt,
        timezone: settings.timezone,
        locale: data.locale,
        canApprove: data.canApprove,
      });
      try {
        await this.deps.mailer.send({ tenantId, to: data.reviewerEmail, kind: 'approval_link', ...mail });
        mailed = 'sent';
      } catch (err) {
        // The link exists and is shown to the team, who can pass it on another way.
        this.deps.logger.warn({ err, tenantId, linkId: created.link.id }, 'reviewer link e-mail not sent');
        mailed = 'failed';
      }
    }
    return { link: created.link, url, mailed };
  }

  list(tenantId: string): Promise<ReviewerLink[]> {
    return this.deps.reviewerLinkRepository.list(tenantId);
  }

  async revoke(tenantId: string, linkId: string): Promise<void> {
    if (!isUuid(linkId) || !(await this.deps.reviewerLinkRepository.revoke(tenantId, linkId, this.deps.clock.now()))) throw new NotFoundError();
  }

  /** The link behind a token: unknown or malformed → 404; revoked or expired → 410 in the link's language. */
  async open(token: string): Promise<OpenLink> {
    if (!LINK_TOKEN.test(token)) throw new NotFoundError();
    const found = await this.deps.reviewerLinkRepository.findByTokenHash(hashLinkToken(token));
    if (!found) throw new NotFoundError();
    const state = linkState(found.link, this.deps.clock.now());
    if (state !== 'active') throw new ReviewLinkGoneError(state, found.link.locale);
    return found;
  }

  /** What the reviewer sees: the items in scope still waiting, and those they already decided. */
  items(open: OpenLink): Promise<ReviewItem[]> {
    return this.deps.reviewerLinkRepository.items(open.tenantId, open.link, this.deps.clock.now());
  }

  /** One item of the link (404 when the content is not reachable through it — another tenant's, out of scope…). */
  async item(open: OpenLink, contentId: string): Promise<ReviewItem> {
    if (!isUuid(contentId)) throw new NotFoundError();
    const [item] = await this.deps.reviewerLinkRepository.items(open.tenantId, open.link, this.deps.clock.now(), contentId);
    if (!item) throw new NotFoundError();
    return item;
  }

  /**
   * A reviewer's decision, with the same rules as the team's (current version, brand safety) minus the override: a
   * flagged item waits for the team. A link without `can_approve` only comments.
   */
  async decide(open: OpenLink, contentId: string, action: ReviewAction, input: Record<string, unknown>): Promise<void> {
    const item = await this.item(open, contentId);
    const actor: Actor = { kind: 'reviewer', linkId: open.link.id, name: open.link.reviewerName, locale: open.link.locale };
    if (item.status !== 'pending_approval') throw new AppError(`${E}.notPending`, 409);
    const fields = { versionId: input.versionId, comment: input.comment };
    if (action === 'comment') {
      await this.deps.approvalService.comment(open.tenantId, actor, contentId, fields);
      return;
    }
    if (!open.link.canApprove) throw new ForbiddenError(`${E}.reviewerCommentOnly`);
    if (action === 'approve') await this.deps.approvalService.approve(open.tenantId, actor, contentId, fields);
    else await this.deps.approvalService.reject(open.tenantId, actor, contentId, fields);
  }
}
