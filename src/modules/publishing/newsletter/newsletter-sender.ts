import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import { MailDeliveryError } from '../../../shared/mail-delivery-error.js';
import type { Mailer } from '../../../shared/mailer.js';
import type { ContactService } from '../contacts/contact-service.js';
import type { KnexNewsletterRepository } from './db/knex-newsletter-repository.js';
import { IN_FLIGHT_LEASE_MS, MAX_ATTEMPTS, type Newsletter, type NewsletterRecipient } from './domain.js';
import { personalise } from './render.js';

export interface SendDueReport {
  sent: number;
  bounced: number;
  failed: number;
  retried: number;
  skipped: number;
  completed: number;
}

/**
 * The `newsletter:send-due` job. For each newsletter being sent: queued recipients who are no longer reachable are
 * skipped (`unsubscribed`), then at most `rate_per_minute` minus the attempts of the last 60 seconds are claimed
 * (the job runs every minute, so a newsletter never goes faster than its rate), and each is sent once.
 *
 * Exactly once: a claim turns a queued row in flight in its own transaction, and only an in-flight row can be
 * recorded sent. A crash between the SMTP hand-off and that record leaves the row in flight: it is never sent
 * again automatically (a duplicate is worse than a miss) and becomes `failed` (`interrupted`) after the lease.
 */
export class NewsletterSender {
  constructor(
    private readonly deps: { newsletterRepository: KnexNewsletterRepository; contactService: ContactService; mailer: Mailer; clock: Clock; logger: Logger },
  ) {}

  async sendDue(): Promise<SendDueReport> {
    const report: SendDueReport = { sent: 0, bounced: 0, failed: 0, retried: 0, skipped: 0, completed: 0 };
    for (const { id, tenantId } of await this.deps.newsletterRepository.sending()) {
      try {
        await this.sendNewsletter(tenantId, id, report);
      } catch (err) {
        this.deps.logger.error({ err, tenantId, newsletterId: id }, 'newsletter run failed');
      }
    }
    return report;
  }

  private async sendNewsletter(tenantId: string, newsletterId: string, report: SendDueReport): Promise<void> {
    const { newsletterRepository: repo, contactService, clock } = this.deps;
    const now = clock.now();
    report.failed += await repo.failInterrupted(tenantId, newsletterId, new Date(now.getTime() - IN_FLIGHT_LEASE_MS), now);
    const newsletter = await repo.get(tenantId, newsletterId);
    if (!newsletter || newsletter.status !== 'sending') return;
    // Consent is checked again at send time: the list may have changed since the newsletter was scheduled.
    const eligible = newsletter.listId ? (await contactService.recipientsForList(tenantId, newsletter.listId)).filter((r) => r.email).map((r) => r.contactId) : [];
    report.skipped += await repo.skipIneligible(tenantId, newsletterId, eligible, now);
    const claim = await repo.claim(tenantId, newsletterId, clock.now());
    if (claim && claim.recipients.length > 0) {
      const listId = newsletter.listId ? await this.listIdHeader(tenantId, newsletter.listId) : null;
      for (const recipient of claim.recipients) await this.sendOne(claim.newsletter, recipient, listId, report);
    }
    if (await repo.completeIfDone(tenantId, newsletterId, clock.now())) report.completed += 1;
  }

  /**
   * RFC 2919 `List-Id`, which Gmail's subscription guidelines ask for: an identifier under the host of Cadence's
   * public URL, with the list's name as its phrase when that name is plain ASCII words — nodemailer MIME-encodes a
   * whole header holding a quote or a non-ASCII character, which would garble the identifier.
   */
  private async listIdHeader(tenantId: string, listId: string): Promise<string> {
    const list = await this.deps.contactService.getList(tenantId, listId);
    const host = new URL(this.deps.contactService.publicBaseUrl()).hostname || 'cadence.invalid';
    const name = list.name.replace(/\s+/g, ' ').trim().slice(0, 100);
    const id = `<${listId}.lists.${host}>`;
    return /^[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~]+$/.test(name) ? `${name} ${id}` : id;
  }

  private async sendOne(newsletter: Newsletter, recipient: NewsletterRecipient, listId: string | null, report: SendDueReport): Promise<void> {
    const { newsletterRepository: repo, contactService, mailer, clock, logger } = this.deps;
    const { tenantId } = newsletter;
    const url = contactService.unsubscribeUrl(tenantId, recipient.contactId, newsletter.listId);
    const copy = personalise({ html: newsletter.renderedHtml ?? '', text: newsletter.renderedText ?? '' }, url);
    try {
      const receipt = await mailer.send({
        tenantId,
        to: recipient.email,
        subject: newsletter.subject,
        html: copy.html,
        text: copy.text,
        kind: 'newsletter',
        headers: {
          ...contactService.unsubscribeHeaders(tenantId, recipient.contactId, newsletter.listId),
          ...(listId ? { 'List-Id': listId } : {}),
          // Gmail's Feedback Loop for bulk senders: campaign, tenant, type, sender.
          'Feedback-ID': `${newsletter.id}:${tenantId}:newsletter:cadence`,
        },
      });
      await repo.markSent(tenantId, recipient, receipt.messageId, clock.now());
      report.sent += 1;
    } catch (err) {
      const error = err instanceof MailDeliveryError ? err : null;
      const detail = { code: error?.code ?? 'newsletter.errors.unexpected', message: (err as Error).message ?? String(err) };
      if (error?.permanent && error.failure === 'recipient') {
        await repo.markBounced(tenantId, recipient, detail, clock.now());
        await contactService.recordHardBounce(tenantId, recipient.contactId, error.detail.response ?? error.message);
        report.bounced += 1;
      } else if (error && !error.permanent && recipient.attempts < MAX_ATTEMPTS) {
        await repo.release(tenantId, recipient, { ...detail, soft: error.failure === 'recipient' }, clock.now());
        report.retried += 1;
      } else {
        if (!error) logger.error({ err, tenantId, newsletterId: newsletter.id }, 'newsletter recipient failed');
        await repo.markFailed(tenantId, recipient, detail, clock.now());
        report.failed += 1;
      }
    }
  }
}
