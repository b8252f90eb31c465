import type { i18n } from 'i18next';
import type { Config } from '../../../config.js';
import { escapeHtml } from '../../../shared/http/html.js';
import type { Logger } from '../../../shared/logger.js';
import type { Mailer } from '../../../shared/mailer.js';
import type { KnexPublicationRepository, PublishContext } from './db/knex-publication-repository.js';

/** The i18n key of a PublishError code, with a generic message for codes the locale does not know yet. */
export function errorKey(code: string | null): string {
  return `publishing.errors.${code ?? 'unknown'}`;
}

/**
 * Tells the client a publication failed for good: one e-mail (kind `publication_failed`) to each member who may
 * manage publishing, in the tenant's language, with the reason and where to retry. A send that fails is logged;
 * the failure stays visible in the portal either way.
 */
export class PublicationFailureAlert {
  constructor(
    private readonly deps: { publicationRepository: KnexPublicationRepository; mailer: Mailer; i18n: i18n; config: Config; logger: Logger },
  ) {}

  async send(context: PublishContext, code: string): Promise<number> {
    const { account, content } = context;
    const tenantId = account.tenantId;
    try {
      const data = await this.deps.publicationRepository.alertData(tenantId);
      const locale = data.tenant.locale === 'en' ? 'en' : 'fr';
      const t = this.deps.i18n.getFixedT(locale);
      const params = {
        title: content.title || t('publishing.untitled'),
        channel: t(`studio.channels.${content.channel}`),
        account: account.displayName,
        tenant: data.tenant.name,
      };
      const reason = t(errorKey(code), { defaultValue: t('publishing.errors.unknown') });
      const base = this.deps.config.publicUrl?.replace(/\/+$/, '');
      const url = base ? `${base}/app/channels` : null;
      const subject = t('publishing.mail.failed.subject', params);
      const intro = t('publishing.mail.failed.intro', params);
      const why = t('publishing.mail.failed.reason', { reason });
      const next = t('publishing.mail.failed.next');
      const text = [intro, '', why, '', next, url ? url : t('publishing.mail.failed.where')].join('\n');
      const html =
        `<!doctype html><html><body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f2a;line-height:1.5;max-width:560px;margin:0 auto;padding:16px">` +
        [intro, why, next].map((p) => `<p style="margin:0 0 14px">${escapeHtml(p)}</p>`).join('') +
        (url ? `<p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>` : `<p>${escapeHtml(t('publishing.mail.failed.where'))}</p>`) +
        `</body></html>`;
      let sent = 0;
      for (const recipient of data.recipients) {
        try {
          await this.deps.mailer.send({ tenantId, to: recipient.email, subject, text, html, kind: 'publication_failed' });
          sent += 1;
        } catch (err) {
          this.deps.logger.warn({ err, tenantId }, 'publication failure alert not sent to one member');
        }
      }
      return sent;
    } catch (err) {
      this.deps.logger.error({ err, tenantId }, 'publication failure alert failed');
      return 0;
    }
  }
}
