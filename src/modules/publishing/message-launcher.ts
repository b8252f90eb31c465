import type { Database } from '../../adapters/db/database.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { NewsletterService } from './newsletter/newsletter-service.js';
import type { SmsService } from './sms/sms-service.js';

// Slots further in the past are not sent late (same rule as social publications).
const LATE_LIMIT_MS = 24 * 3600_000;

export interface LaunchRun {
  launched: number;
  /** Due but not launched: already launched elsewhere, nobody to send to, no default list… (logged). */
  skipped: number;
}

/**
 * SMS and newsletter contents go out at their slot like social posts: once approved (`scheduled`) and due, the
 * SMS campaign is prepared and launched for every consenting contact (its messages then wait for the hours the
 * French rules allow), the newsletter to the tenant's default list. Launching is idempotent: a content whose
 * campaign or newsletter already left its draft is skipped, and two launchers racing get one launch (the
 * services' conditional launch answers the loser with a 409).
 */
export class MessageLauncher {
  constructor(
    private readonly deps: { database: Database; smsService: SmsService; newsletterService: NewsletterService; clock: Clock; logger: Logger },
  ) {}

  async run(): Promise<LaunchRun> {
    const now = this.deps.clock.now();
    const due: { tenantId: string; id: string; channel: 'sms' | 'newsletter' }[] = await this.deps.database.asPlatform((trx) =>
      trx('contents as c')
        .join('calendarSlots as s', 's.contentId', 'c.id')
        .join('tenants as t', 't.id', 'c.tenantId')
        .where('t.status', 'active')
        .whereIn('c.channel', ['sms', 'newsletter'])
        .where('c.status', 'scheduled')
        .where('s.startsAt', '<=', now)
        .where('s.startsAt', '>', new Date(now.getTime() - LATE_LIMIT_MS))
        .select('c.tenantId', 'c.id', 'c.channel'),
    );
    const run: LaunchRun = { launched: 0, skipped: 0 };
    for (const content of due) {
      try {
        const launched = content.channel === 'sms' ? await this.launchSms(content.tenantId, content.id) : await this.launchNewsletter(content.tenantId, content.id);
        if (launched) run.launched += 1;
        else run.skipped += 1;
      } catch (err) {
        run.skipped += 1;
        if (err instanceof AppError && err.status === 409) continue; // launched by another worker meanwhile
        this.deps.logger.warn({ err, tenantId: content.tenantId, contentId: content.id }, 'scheduled message not launched');
      }
    }
    return run;
  }

  private async launchSms(tenantId: string, contentId: string): Promise<boolean> {
    const { smsService } = this.deps;
    if (await smsService.launchedFor(tenantId, contentId)) return false;
    const preparation = await smsService.prepareCampaign(tenantId, contentId);
    if (!preparation.sendable) {
      this.deps.logger.info({ tenantId, contentId }, 'sms due without consenting recipients: not sent');
      return false;
    }
    await smsService.sendCampaign(tenantId, preparation.campaignId);
    return true;
  }

  private async launchNewsletter(tenantId: string, contentId: string): Promise<boolean> {
    const state = await this.deps.database.forTenant(tenantId, async (trx) => ({
      started: await trx('newsletters').where({ tenantId, contentId }).whereNot('status', 'draft').first('id'),
      list: await trx('contactLists').where({ tenantId, isDefault: true }).whereNull('archivedAt').first('id'),
    }));
    if (state.started) return false;
    if (!state.list) {
      this.deps.logger.info({ tenantId, contentId }, 'newsletter due but the workspace has no default list: not sent');
      return false;
    }
    const draft = await this.deps.newsletterService.prepare(tenantId, contentId, state.list.id);
    if (draft.eligibleCount === 0) return false;
    await this.deps.newsletterService.send(tenantId, draft.id);
    return true;
  }
}
