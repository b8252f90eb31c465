import type { i18n } from 'i18next';
import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { Mailer } from '../../shared/mailer.js';
import { REMINDER_HORIZON_MS } from './approval-domain.js';
import { reminderMail } from './approval-mail.js';
import type { KnexApprovalRepository } from './db/knex-approval-repository.js';

export interface ReminderRun {
  tenants: number;
  emails: number;
  items: number;
}

/**
 * Reminds each tenant's approvers of the contents still waiting whose slot starts within a day: one digest per
 * approver and tenant run, in the tenant's language; then the slots are marked (`reminder_sent_at`) so a later run
 * sends nothing new. Sending happens before marking and outside any transaction: a crash between the two sends the
 * same digest once more on the next run (at-least-once), never zero times. When every send of a tenant fails the
 * slots stay unmarked and the next run tries again; a slot moved by the calendar gets its reminder back.
 */
export class ApprovalReminders {
  constructor(
    private readonly deps: {
      approvalRepository: KnexApprovalRepository;
      mailer: Mailer;
      i18n: i18n;
      clock: Clock;
      config: Config;
      logger: Logger;
    },
  ) {}

  async run(): Promise<ReminderRun> {
    const now = this.deps.clock.now();
    const until = new Date(now.getTime() + REMINDER_HORIZON_MS);
    const run: ReminderRun = { tenants: 0, emails: 0, items: 0 };
    for (const tenantId of await this.deps.approvalRepository.tenantsWithDueReminders(now, until)) {
      try {
        const sent = await this.remindTenant(tenantId, now, until);
        if (sent.emails > 0) run.tenants += 1;
        run.emails += sent.emails;
        run.items += sent.items;
      } catch (err) {
        // one tenant's failure never holds the others back
        this.deps.logger.error({ err, tenantId }, 'approval reminders failed for a tenant');
      }
    }
    return run;
  }

  private async remindTenant(tenantId: string, now: Date, until: Date): Promise<{ emails: number; items: number }> {
    const due = await this.deps.approvalRepository.dueReminder(tenantId, now, until);
    if (due.items.length === 0) return { emails: 0, items: 0 };
    const slotIds = due.items.map((i) => i.slotId);
    if (due.recipients.length === 0) {
      this.deps.logger.warn({ tenantId, items: due.items.length }, 'no member may approve: reminders marked without e-mail');
      await this.deps.approvalRepository.markReminded(tenantId, slotIds, now);
      return { emails: 0, items: 0 };
    }
    const locale = due.tenant.locale === 'en' ? 'en' : 'fr';
    const t = this.deps.i18n.getFixedT(locale);
    const base = this.deps.config.publicUrl?.replace(/\/+$/, '');
    const mail = reminderMail(t, { due: { ...due, tenant: { ...due.tenant, locale } }, queueUrl: base ? `${base}/app/approvals` : null, channelName: (c) => t(`studio.channels.${c}`) });
    let emails = 0;
    for (const recipient of due.recipients) {
      try {
        await this.deps.mailer.send({ tenantId, to: recipient.email, kind: 'approval_reminder', ...mail });
        emails += 1;
      } catch (err) {
        this.deps.logger.warn({ err, tenantId }, 'approval reminder not sent to one approver');
      }
    }
    if (emails === 0) return { emails: 0, items: 0 };
    await this.deps.approvalRepository.markReminded(tenantId, slotIds, now);
    return { emails, items: due.items.length };
  }
}
