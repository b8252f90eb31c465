import type { i18n } from 'i18next';
import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import { appBaseUrl } from '../../shared/http/public-url.js';
import type { Logger } from '../../shared/logger.js';
import type { Mailer } from '../../shared/mailer.js';
import type { KnexMonthlySessionRepository, ReminderDue } from './db/knex-session-repository.js';
import { sessionReminderMail } from './session-mail.js';

export interface SessionReminderRun {
  tenants: number;
  emails: number;
}

/**
 * Job `pipeline:remind-sessions`: invites the members who can write content to fill in next month's session when
 * the run that prepares it comes within the tenant's `reminder_days_before` (in its zone), unless the session is
 * submitted or was reminded. Sending comes before marking `reminder_sent_at`, outside any transaction: a crash in
 * between sends once more (at-least-once), never zero times; when every send fails the next run tries again.
 */
export class SessionReminders {
  constructor(
    private readonly deps: {
      monthlySessionRepository: KnexMonthlySessionRepository;
      mailer: Mailer;
      i18n: i18n;
      clock: Clock;
      config: Config;
      logger: Logger;
    },
  ) {}

  async run(): Promise<SessionReminderRun> {
    const now = this.deps.clock.now();
    const run: SessionReminderRun = { tenants: 0, emails: 0 };
    for (const due of await this.deps.monthlySessionRepository.remindersDue(now)) {
      try {
        const emails = await this.remind(due, now);
        if (emails > 0) run.tenants += 1;
        run.emails += emails;
      } catch (err) {
        // one tenant's failure never holds the others back
        this.deps.logger.error({ err, tenantId: due.tenantId }, 'session reminder failed for a tenant');
      }
    }
    return run;
  }

  private async remind(due: ReminderDue, now: Date): Promise<number> {
    const repo = this.deps.monthlySessionRepository;
    const { tenant, recipients } = await repo.reminderAudience(due.tenantId);
    const locale = tenant.locale === 'en' ? 'en' : 'fr';
    if (!recipients.length) {
      this.deps.logger.warn({ tenantId: due.tenantId, month: due.month }, 'no member may write content: session reminder marked without e-mail');
      await repo.markReminded(due.tenantId, due.month, locale, now);
      return 0;
    }
    const mail = sessionReminderMail(this.deps.i18n.getFixedT(locale), {
      tenantName: tenant.name,
      month: due.month,
      runAt: due.runAt,
      locale,
      timezone: tenant.timezone,
      url: `${appBaseUrl(this.deps.config)}/app/pipeline/session?month=${due.month}`,
    });
    let emails = 0;
    for (const recipient of recipients) {
      try {
        await this.deps.mailer.send({ tenantId: due.tenantId, to: recipient.email, kind: 'session_reminder', ...mail });
        emails += 1;
      } catch (err) {
        this.deps.logger.warn({ err, tenantId: due.tenantId }, 'session reminder not sent to one member');
      }
    }
    if (emails > 0) await repo.markReminded(due.tenantId, due.month, locale, now);
    return emails;
  }
}
