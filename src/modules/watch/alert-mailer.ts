import type { i18n } from 'i18next';
import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import { appBaseUrl } from '../../shared/http/public-url.js';
import type { Logger } from '../../shared/logger.js';
import type { Mailer } from '../../shared/mailer.js';
import { digestMail, immediateMail, type ComposedMail, type MailContext } from './alert-mail.js';
import type { DueEmail, KnexAlertRepository } from './db/knex-alert-repository.js';

export interface AlertMailRun {
  tenants: number;
  emails: number;
  alerts: number;
}

/**
 * Job `watch:send-alert-emails`: sends the e-mail alerts that are due, per member and tenant, in the tenant's
 * language — each immediate alert alone, the digest alerts of a member together in one message — then marks them
 * `emailed_at`. Sending comes before marking, outside any transaction: a crash in between sends the same message
 * once more on the next run (at-least-once), never zero times; a message that fails stays due and is tried again.
 */
export class AlertMailer {
  constructor(
    private readonly deps: {
      alertRepository: KnexAlertRepository;
      mailer: Mailer;
      i18n: i18n;
      clock: Clock;
      config: Config;
      logger: Logger;
    },
  ) {}

  async run(): Promise<AlertMailRun> {
    const now = this.deps.clock.now();
    const run: AlertMailRun = { tenants: 0, emails: 0, alerts: 0 };
    for (const tenantId of await this.deps.alertRepository.tenantsWithDueEmails(now)) {
      try {
        const sent = await this.sendTenant(tenantId, now);
        if (sent.emails > 0) run.tenants += 1;
        run.emails += sent.emails;
        run.alerts += sent.alerts;
      } catch (err) {
        // one tenant's failure never holds the others back
        this.deps.logger.error({ err, tenantId }, 'watch alert e-mails failed for a tenant');
      }
    }
    return run;
  }

  private async sendTenant(tenantId: string, now: Date): Promise<{ emails: number; alerts: number }> {
    const { tenant, alerts } = await this.deps.alertRepository.dueEmails(tenantId, now);
    if (!alerts.length) return { emails: 0, alerts: 0 };
    const locale = tenant.locale === 'en' ? 'en' : 'fr';
    const ctx: MailContext = { t: this.deps.i18n.getFixedT(locale), locale, tenantName: tenant.name, baseUrl: appBaseUrl(this.deps.config) };
    let emails = 0;
    let marked = 0;
    for (const message of messages(alerts)) {
      const mail: ComposedMail = message.immediate ? immediateMail(ctx, message.alerts[0].change) : digestMail(ctx, message.alerts.map((a) => a.change));
      try {
        await this.deps.mailer.send({ tenantId, to: message.email, kind: message.immediate ? 'watch_alert' : 'watch_digest', ...mail });
      } catch (err) {
        this.deps.logger.warn({ err, tenantId }, 'watch alert e-mail not sent to one member');
        continue;
      }
      emails += 1;
      marked += await this.deps.alertRepository.markEmailed(
        tenantId,
        message.alerts.map((a) => a.alertId),
        now,
      );
    }
    return { emails, alerts: marked };
  }
}

/** Immediate alerts one message each; a member's digest alerts one message together. */
function messages(alerts: DueEmail[]): { email: string; immediate: boolean; alerts: DueEmail[] }[] {
  const out: { email: string; immediate: boolean; alerts: DueEmail[] }[] = [];
  const digests = new Map<string, DueEmail[]>();
  for (const alert of alerts) {
    if (alert.immediate) out.push({ email: alert.email, immediate: true, alerts: [alert] });
    else digests.set(alert.userId, [...(digests.get(alert.userId) ?? []), alert]);
  }
  for (const group of digests.values()) out.push({ email: group[0].email, immediate: false, alerts: group });
  return out;
}
