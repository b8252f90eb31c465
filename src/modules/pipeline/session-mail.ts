import { DateTime } from 'luxon';
import { escapeHtml } from '../../shared/http/html.js';
import type { Translate } from '../../shared/i18n.js';

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

/** "novembre 2026" / "November 2026". */
export function monthName(month: string, locale: string): string {
  return DateTime.fromISO(month, { zone: 'utc' }).setLocale(locale).toFormat('LLLL yyyy');
}

/** The invitation to fill in next month's session before the run, in the tenant's language (text and escaped HTML). */
export function sessionReminderMail(t: Translate, input: { tenantName: string; month: string; runAt: Date; locale: string; timezone: string; url: string }): ComposedMail {
  const params = {
    tenant: input.tenantName,
    month: monthName(input.month, input.locale),
    date: new Intl.DateTimeFormat(input.locale, { timeZone: input.timezone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' }).format(input.runAt),
  };
  const subject = t('session.mail.reminder.subject', params);
  const intro = t('session.mail.reminder.intro', params);
  const what = t('session.mail.reminder.what', params);
  const otherwise = t('session.mail.reminder.otherwise', params);
  const action = t('session.mail.reminder.action', params);
  const text = [intro, '', what, '', t('session.mail.reminder.actionLine', { url: input.url }), '', otherwise].join('\n');
  const html =
    `<!doctype html><html><body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f2a;line-height:1.5;max-width:560px;margin:0 auto;padding:16px">` +
    [intro, what].map((p) => `<p style="margin:0 0 14px">${escapeHtml(p)}</p>`).join('') +
    `<p style="margin:20px 0"><a href="${escapeHtml(input.url)}" style="background:#3a3fd8;color:#fff;padding:10px 18px;border-radius:8px;text-decoration:none;font-weight:600">${escapeHtml(action)}</a></p>` +
    `<p style="margin:0 0 14px;font-size:13px;color:#5a6275">${escapeHtml(input.url)}</p>` +
    `<p style="margin:24px 0 0;font-size:13px;color:#5a6275">${escapeHtml(otherwise)}</p></body></html>`;
  return { subject, text, html };
}
