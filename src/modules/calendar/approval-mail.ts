import { escapeHtml } from '../../shared/http/html.js';
import type { Translate } from '../../shared/i18n.js';
import { formatDate, formatSlot, type DueReminder } from './approval-domain.js';

/** The two e-mails of the approval queue, as text and escaped HTML, in the language they are written for. */

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

function layout(paragraphs: string[], action?: { href: string; label: string }, footer?: string): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 14px">${p}</p>`).join('');
  const button = action
    ? `<p style="margin:20px 0"><a href="${escapeHtml(action.href)}" style="background:#3a3fd8;color:#fff;padding:10px 18px;border-radius:8px;text-decoration:none;font-weight:600">${escapeHtml(action.label)}</a></p>` +
      `<p style="margin:0 0 14px;font-size:13px;color:#5a6275">${escapeHtml(action.href)}</p>`
    : '';
  const foot = footer ? `<p style="margin:24px 0 0;font-size:13px;color:#5a6275">${escapeHtml(footer)}</p>` : '';
  return `<!doctype html><html><body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f2a;line-height:1.5;max-width:560px;margin:0 auto;padding:16px">${body}${button}${foot}</body></html>`;
}

/** The link sent to a reviewer: who asks, for what, until when. */
export function reviewerLinkMail(
  t: Translate,
  input: { reviewerName: string; senderName: string; tenantName: string; url: string; expiresAt: Date; timezone: string; locale: string; canApprove: boolean },
): ComposedMail {
  const expires = formatDate(input.expiresAt, input.locale, input.timezone);
  const params = { reviewer: input.reviewerName, sender: input.senderName, tenant: input.tenantName, date: expires };
  const subject = t('approvals.mail.link.subject', params);
  const hello = t('approvals.mail.link.hello', params);
  const intro = t('approvals.mail.link.intro', params);
  const what = t(input.canApprove ? 'approvals.mail.link.canApprove' : 'approvals.mail.link.commentOnly', params);
  const expiry = t('approvals.mail.link.expires', params);
  const action = t('approvals.mail.link.action', params);
  const footer = t('approvals.mail.link.footer', params);
  const text = [hello, '', intro, what, '', t('approvals.mail.link.actionLine', { url: input.url }), '', expiry, '', footer].join('\n');
  const html = layout([escapeHtml(hello), escapeHtml(intro), escapeHtml(what), escapeHtml(expiry)], { href: input.url, label: action }, footer);
  return { subject, text, html };
}

/** The reminder to the tenant's approvers: the items whose slot comes within a day and still wait. */
export function reminderMail(t: Translate, input: { due: DueReminder; queueUrl: string | null; channelName: (channel: string) => string }): ComposedMail {
  const { tenant, items } = input.due;
  const count = items.length;
  const subject = t('approvals.mail.reminder.subject', { count, tenant: tenant.name });
  const intro = t('approvals.mail.reminder.intro', { count, tenant: tenant.name });
  const lines = items.map((i) => ({
    when: formatSlot(i.startsAt, tenant.locale, tenant.timezone),
    channel: input.channelName(i.channel),
    title: i.title || t('approvals.untitled'),
  }));
  const outro = t('approvals.mail.reminder.outro');
  const action = t('approvals.mail.reminder.action');
  const howTo = t('approvals.mail.reminder.howTo');
  const text = [
    intro,
    '',
    ...lines.map((l) => `- ${l.when} · ${l.channel} · ${l.title}`),
    '',
    outro,
    input.queueUrl ? t('approvals.mail.reminder.actionLine', { url: input.queueUrl }) : howTo,
  ].join('\n');
  const list = `<ul style="margin:0 0 14px;padding-left:20px">${lines
    .map((l) => `<li style="margin:0 0 6px"><strong>${escapeHtml(l.when)}</strong> · ${escapeHtml(l.channel)} · ${escapeHtml(l.title)}</li>`)
    .join('')}</ul>`;
  const html = layout([escapeHtml(intro), list, escapeHtml(outro) + (input.queueUrl ? '' : ` ${escapeHtml(howTo)}`)], input.queueUrl ? { href: input.queueUrl, label: action } : undefined);
  return { subject, text, html };
}
