import { escapeHtml } from '../../shared/http/html.js';
import type { Translate } from '../../shared/i18n.js';
import type { ChangeRecord } from './db/knex-change-repository.js';

/** The watch's alert e-mails (one immediate change, or the daily digest), as text and escaped HTML. */

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

export interface MailContext {
  t: Translate;
  locale: 'fr' | 'en';
  tenantName: string;
  /** `appBaseUrl(config)`: links go to `<base>/app/watch/changes/<id>`. */
  baseUrl: string;
}

export function changeUrl(baseUrl: string, changeId: string): string {
  return `${baseUrl}/app/watch/changes/${changeId}`;
}

function money(cents: number, currency: string, locale: string): string {
  return new Intl.NumberFormat(locale === 'en' ? 'en-GB' : 'fr-FR', { style: 'currency', currency }).format(cents / 100);
}

function percent(bp: number, locale: string): string {
  const sign = bp > 0 ? '+' : bp < 0 ? '−' : '';
  return `${sign}${new Intl.NumberFormat(locale === 'en' ? 'en-GB' : 'fr-FR', { minimumFractionDigits: 0, maximumFractionDigits: 2 }).format(Math.abs(bp) / 100)} %`;
}

/** One line saying what changed, in the mail's language (scraped values quoted as they are, never interpreted). */
export function headline(ctx: MailContext, change: ChangeRecord): string {
  const { t, locale } = ctx;
  const competitor = change.competitorName ?? hostOf(change.sourceUrl);
  const product = change.productName ?? change.title ?? '';
  switch (change.kind) {
    case 'price_change': {
      const params = {
        competitor,
        product,
        old: money(change.oldPriceCents!, change.currency!, locale),
        new: money(change.newPriceCents!, change.currency!, locale),
        percent: change.priceChangeBp === null ? '' : percent(change.priceChangeBp, locale),
      };
      return t(change.priceChangeBp === null ? 'watch.changes.headline.priceNoPercent' : 'watch.changes.headline.price', params);
    }
    case 'availability_change':
      return t('watch.changes.headline.availability', { competitor, product, old: change.oldValue ?? '', new: change.newValue ?? '' });
    case 'new_post':
      return t('watch.changes.headline.newPost', { competitor, title: change.title ?? change.url ?? '' });
    case 'product_added':
      return t('watch.changes.headline.productAdded', { competitor, product });
    case 'product_removed':
      return t('watch.changes.headline.productRemoved', { competitor, product });
    default:
      return t('watch.changes.headline.text', { competitor, url: change.url ?? change.sourceUrl });
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function layout(blocks: string[], footer: string): string {
  return `<!doctype html><html><body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f2a;line-height:1.5;max-width:560px;margin:0 auto;padding:16px">${blocks.join('')}<p style="margin:24px 0 0;font-size:13px;color:#5a6275">${escapeHtml(footer)}</p></body></html>`;
}

function item(ctx: MailContext, change: ChangeRecord): { text: string[]; html: string } {
  const line = headline(ctx, change);
  const url = changeUrl(ctx.baseUrl, change.id);
  const summary = change.summaryStatus === 'ready' && change.summary ? change.summary : null;
  const open = ctx.t('watch.changes.mail.open');
  const text = [`- ${line}`, ...(summary ? [`  ${summary}`] : []), `  ${ctx.t('watch.changes.mail.openLine', { url })}`];
  const html =
    `<li style="margin:0 0 12px"><strong>${escapeHtml(line)}</strong>` +
    (summary ? `<br><span style="color:#3b4252">${escapeHtml(summary)}</span>` : '') +
    `<br><a href="${escapeHtml(url)}">${escapeHtml(open)}</a></li>`;
  return { text, html };
}

/** An immediate alert: one change (price changes by default). */
export function immediateMail(ctx: MailContext, change: ChangeRecord): ComposedMail {
  const { t } = ctx;
  const line = headline(ctx, change);
  const subject = t('watch.changes.mail.immediate.subject', { tenant: ctx.tenantName, headline: line });
  const intro = t('watch.changes.mail.immediate.intro', { tenant: ctx.tenantName });
  const footer = t('watch.changes.mail.footer');
  const one = item(ctx, change);
  const text = [intro, '', ...one.text, '', footer].join('\n');
  const html = layout([`<p style="margin:0 0 14px">${escapeHtml(intro)}</p>`, `<ul style="margin:0 0 14px;padding-left:20px">${one.html}</ul>`], footer);
  return { subject, text, html };
}

/** The daily digest: every change due for this member, oldest first. */
export function digestMail(ctx: MailContext, changes: ChangeRecord[]): ComposedMail {
  const { t } = ctx;
  const count = changes.length;
  const subject = t('watch.changes.mail.digest.subject', { tenant: ctx.tenantName, count });
  const intro = t('watch.changes.mail.digest.intro', { tenant: ctx.tenantName, count });
  const footer = t('watch.changes.mail.footer');
  const items = changes.map((c) => item(ctx, c));
  const text = [intro, '', ...items.flatMap((i) => i.text), '', footer].join('\n');
  const html = layout([`<p style="margin:0 0 14px">${escapeHtml(intro)}</p>`, `<ul style="margin:0 0 14px;padding-left:20px">${items.map((i) => i.html).join('')}</ul>`], footer);
  return { subject, text, html };
}
