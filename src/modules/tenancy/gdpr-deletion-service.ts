import type { i18n } from 'i18next';
import type { Config } from '../../config.js';
import type { ObjectStorage } from '../brand/media-ports.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { escapeHtml } from '../../shared/http/html.js';
import { appBaseUrl } from '../../shared/http/public-url.js';
import type { Logger } from '../../shared/logger.js';
import type { Mailer } from '../../shared/mailer.js';
import type { KnexGdprRepository, TenantDeletionOutcome } from './db/knex-gdpr-repository.js';
import { deletionDate, type DeletionSchedule } from './gdpr-domain.js';

export interface TenantDeletionReport extends TenantDeletionOutcome {
  tenantId: string;
  deletedObjects: number;
  /** Objects kept because rows that outlive the tenant (invoices) still name them. */
  keptObjects: number;
}

/**
 * "Delete my workspace": the owner asks (re-typing the workspace's name), the tenant is `pending_deletion` for
 * `DELETION_GRACE_DAYS` during which the owner can cancel, and `tenancy:delete-due-tenants` then deletes it for good:
 * its stored files first (listed from the database, through the storage port), then its rows in one transaction.
 */
export class GdprDeletionService {
  constructor(
    private readonly deps: {
      gdprRepository: KnexGdprRepository;
      mediaStorage: ObjectStorage;
      mailer: Mailer;
      i18n: i18n;
      config: Config;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async state(tenantId: string): Promise<{ name: string; deletion: DeletionSchedule | null }> {
    const state = await this.deps.gdprRepository.tenantState(tenantId);
    if (!state) throw new NotFoundError();
    return { name: state.name, deletion: state.deletion };
  }

  /** Schedules the deletion once the typed name matches; the owners are told by e-mail. */
  async request(tenantId: string, userId: string, typedName: string): Promise<DeletionSchedule> {
    const state = await this.deps.gdprRepository.tenantState(tenantId);
    if (!state) throw new NotFoundError();
    if (state.deletion) return state.deletion;
    if (typedName.trim() !== state.name.trim()) throw new ValidationError({ confirmName: 'gdpr.errors.nameMismatch' });
    const requestedAt = this.deps.clock.now();
    const scheduledFor = deletionDate(requestedAt);
    if (!(await this.deps.gdprRepository.requestDeletion(tenantId, userId, requestedAt, scheduledFor))) {
      throw new AppError('gdpr.errors.notActive', 409);
    }
    await this.mailOwners(tenantId, state, scheduledFor);
    return { requestedAt, scheduledFor };
  }

  async cancel(tenantId: string, userId: string): Promise<void> {
    if (!(await this.deps.gdprRepository.cancelDeletion(tenantId, userId, this.deps.clock.now()))) {
      throw new AppError('gdpr.errors.cannotCancel', 409);
    }
  }

  /** The job: every tenant whose grace period is over is deleted; one failure does not stop the others. */
  async deleteDue(): Promise<TenantDeletionReport[]> {
    const reports: TenantDeletionReport[] = [];
    for (const tenantId of await this.deps.gdprRepository.tenantsDueForDeletion(this.deps.clock.now())) {
      try {
        const report = await this.deleteTenant(tenantId);
        if (report) reports.push(report);
      } catch (err) {
        this.deps.logger.error({ err, tenantId }, 'tenant deletion failed; retried on the next run');
      }
    }
    return reports;
  }

  /**
   * Files first (a crash after them leaves rows naming missing files, which the next run deletes anyway), then rows.
   * Files named by rows that outlive the tenant (invoices, kept for the accounting law) are kept with them; the
   * tenant's whole storage prefix goes too unless such a file lies under it.
   */
  async deleteTenant(tenantId: string): Promise<TenantDeletionReport | null> {
    const repo = this.deps.gdprRepository;
    const tables = await repo.tenantTables();
    const keys = await repo.storageKeys(tenantId, tables);
    const retainedTables = new Set(tables.filter((t) => t.onTenantDelete === 'SET NULL').map((t) => t.name));
    const kept = new Set(keys.filter((k) => retainedTables.has(k.table)).map((k) => k.key));
    const doomed = [...new Set(keys.map((k) => k.key))].filter((k) => !kept.has(k));
    for (const key of doomed) await this.deps.mediaStorage.delete(key);
    const prefix = `${tenantId}/`;
    if (![...kept].some((k) => k.startsWith(prefix))) await this.deps.mediaStorage.deletePrefix(prefix);

    const outcome = await repo.deleteTenant(tenantId, this.deps.clock.now(), tables);
    if (!outcome) return null;
    this.deps.logger.info({ tenantId, deletedObjects: doomed.length, deletedUsers: outcome.deletedUsers }, 'tenant deleted');
    return { tenantId, deletedObjects: doomed.length, keptObjects: kept.size, ...outcome };
  }

  private async mailOwners(tenantId: string, state: { name: string; locale: string; timezone: string }, scheduledFor: Date): Promise<void> {
    try {
      const owners = await this.deps.gdprRepository.owners(tenantId);
      const locale = state.locale === 'en' ? 'en' : 'fr';
      const t = this.deps.i18n.getFixedT(locale);
      const date = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'fr-FR', { dateStyle: 'long', timeZone: state.timezone }).format(scheduledFor);
      const url = `${appBaseUrl(this.deps.config)}/app/account/data`;
      const params = { tenant: state.name, date };
      const subject = t('gdpr.mail.scheduled.subject', params);
      const paragraphs = [t('gdpr.mail.scheduled.intro', params), t('gdpr.mail.scheduled.consequences'), t('gdpr.mail.scheduled.cancel', params)];
      const text = [...paragraphs, url].join('\n\n');
      const html =
        `<!doctype html><html><body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f2a;line-height:1.5;max-width:560px;margin:0 auto;padding:16px">` +
        paragraphs.map((p) => `<p style="margin:0 0 14px">${escapeHtml(p)}</p>`).join('') +
        `<p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p></body></html>`;
      for (const owner of owners) {
        try {
          await this.deps.mailer.send({ tenantId, to: owner.email, subject, text, html, kind: 'workspace_deletion_scheduled' });
        } catch (err) {
          this.deps.logger.warn({ err, tenantId }, 'deletion notice not sent to one owner');
        }
      }
    } catch (err) {
      // the schedule stands and the banner shows it: a lost e-mail is logged, not fatal
      this.deps.logger.error({ err, tenantId }, 'deletion notice failed');
    }
  }
}
