import type { i18n } from 'i18next';
import type { Clock } from '../../../shared/clock.js';
import { AppError } from '../../../shared/errors.js';
import type { ContactService } from '../contacts/contact-service.js';
import { monthCampaign } from '../engine/outgoing-post.js';
import type { LinkTagger } from '../ports.js';
import { SENDABLE_CONTENT, type KnexNewsletterRepository } from './db/knex-newsletter-repository.js';
import type { Newsletter, NewsletterRecipient, RecipientCounts } from './domain.js';
import { personalise, renderNewsletter } from './render.js';

export interface NewsletterServiceDeps {
  newsletterRepository: KnexNewsletterRepository;
  contactService: ContactService;
  linkTagger: LinkTagger;
  clock: Clock;
  i18n: i18n;
}

export interface NewsletterProgress {
  newsletter: Newsletter;
  counts: RecipientCounts;
  recipients: NewsletterRecipient[];
}

export const DEFAULT_RATE_PER_MINUTE = 60;
export const MAX_RATE_PER_MINUTE = 1000;
const RECIPIENTS_SHOWN = 500;

/** Prepares a newsletter from a studio content (frozen rendering, recipients count) and starts its sending. */
export class NewsletterService {
  constructor(private readonly deps: NewsletterServiceDeps) {}

  private get repo(): KnexNewsletterRepository {
    return this.deps.newsletterRepository;
  }

  /**
   * The draft of a newsletter content for a list: subject (meta.subject, else the title), preheader, links tagged,
   * HTML and text rendered and frozen. The content must be approved (or scheduled).
   */
  async prepare(tenantId: string, contentId: string, listId: string, options: { ratePerMinute?: number; createdBy?: string | null } = {}): Promise<Newsletter & { eligibleCount: number }> {
    const { contactService, linkTagger, clock, i18n } = this.deps;
    const source = await this.repo.source(tenantId, contentId);
    if (!source || source.channel !== 'newsletter') throw new AppError('common.errors.notFound', 404);
    if (!SENDABLE_CONTENT.includes(source.status) || source.status === 'published') throw new AppError('newsletter.errors.notApproved', 409);
    if (!source.versionId) throw new AppError('newsletter.errors.notApproved', 409);
    const list = await contactService.getList(tenantId, listId); // 404 for another tenant's list
    if (list.archivedAt) throw new AppError('newsletter.errors.listArchived', 409);
    const tenant = await this.repo.tenantProfile(tenantId);
    const now = clock.now();
    const campaign = source.utmCampaign ?? monthCampaign(source.scheduledAt ?? now, tenant.timezone);
    const body = await linkTagger.tagText(source.body, { tenantId, channel: 'newsletter', contentId, campaign });
    const subject = (source.meta.subject?.trim() || source.title).slice(0, 300);
    const preheader = (source.meta.preheader?.trim() ?? '').slice(0, 300);
    const locale = source.locale || tenant.locale || 'fr';
    const t = i18n.getFixedT(locale);
    const rendered = renderNewsletter({
      subject,
      preheader,
      body,
      tenantName: tenant.name,
      locale,
      labels: { reason: t('newsletter.email.reason', { tenant: tenant.name, list: list.name }), unsubscribe: t('newsletter.email.unsubscribe') },
    });
    const rate = Math.min(Math.max(Math.trunc(options.ratePerMinute ?? DEFAULT_RATE_PER_MINUTE), 1), MAX_RATE_PER_MINUTE);
    const recipients = await contactService.recipientsForList(tenantId, listId);
    const eligibleCount = recipients.filter((r) => r.email).length;
    const draft = await this.repo.saveDraft(
      tenantId,
      {
        contentId,
        contentVersionId: source.versionId,
        listId,
        subject,
        preheader,
        renderedHtml: rendered.html,
        renderedText: rendered.text,
        ratePerMinute: rate,
        recipientCount: eligibleCount,
        locale,
        ...(options.createdBy !== undefined ? { createdBy: options.createdBy } : {}),
      },
      now,
    );
    return { ...draft, eligibleCount };
  }

  /** Starts sending now: one queued recipient per reachable contact of the list; the job sends them at the rate. */
  async send(tenantId: string, newsletterId: string): Promise<Newsletter> {
    const newsletter = await this.get(tenantId, newsletterId);
    if (newsletter.status !== 'draft') throw new AppError('newsletter.errors.alreadySent', 409);
    if (!newsletter.listId) throw new AppError('newsletter.errors.noList', 409);
    const source = await this.repo.source(tenantId, newsletter.contentId);
    if (!source || !SENDABLE_CONTENT.includes(source.status) || source.status === 'published') throw new AppError('newsletter.errors.notApproved', 409);
    const recipients = (await this.deps.contactService.recipientsForList(tenantId, newsletter.listId)).flatMap((r) => (r.email ? [{ contactId: r.contactId, email: r.email }] : []));
    if (recipients.length === 0) throw new AppError('newsletter.errors.noRecipients', 409);
    if (!(await this.repo.startSending(tenantId, newsletterId, recipients, this.deps.clock.now()))) throw new AppError('newsletter.errors.alreadySent', 409);
    return this.get(tenantId, newsletterId);
  }

  /** Same as `send`: sending starts at once, paced by the rate (no later date yet). */
  schedule(tenantId: string, newsletterId: string): Promise<Newsletter> {
    return this.send(tenantId, newsletterId);
  }

  async get(tenantId: string, id: string): Promise<Newsletter> {
    const newsletter = await this.repo.get(tenantId, id);
    if (!newsletter) throw new AppError('common.errors.notFound', 404);
    return newsletter;
  }

  latestForContent(tenantId: string, contentId: string): Promise<Newsletter | null> {
    return this.repo.latestForContent(tenantId, contentId);
  }

  async progress(tenantId: string, id: string): Promise<NewsletterProgress> {
    const newsletter = await this.get(tenantId, id);
    const [counts, recipients] = await Promise.all([this.repo.counts(tenantId, id), this.repo.recipients(tenantId, id, RECIPIENTS_SHOWN)]);
    return { newsletter, counts, recipients };
  }

  /** The frozen HTML as a reader sees it, the unsubscribe link made inert. */
  async previewHtml(tenantId: string, id: string): Promise<string> {
    const newsletter = await this.get(tenantId, id);
    return personalise({ html: newsletter.renderedHtml ?? '', text: '' }, '#').html;
  }
}
