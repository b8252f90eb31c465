import { escapeHtml } from '../../../shared/http/html.js';
import { parseMarkdown, type MdBlock } from '../../studio/seo/markdown.js';

/**
 * Newsletter Markdown → an e-mail: a table-based 600px HTML layout with inline styles only (mail clients drop
 * <style> and never load external resources or scripts), and its plain-text alternative. Pure.
 *
 * The unsubscribe link differs per recipient: the frozen output holds `UNSUBSCRIBE_MARKER`, which
 * `personalise` replaces at send time. The marker is removed from the body first, so a body cannot place
 * (or forge) it.
 */
export const UNSUBSCRIBE_MARKER = '{{cadence:unsubscribe_url}}';

export interface NewsletterRenderInput {
  subject: string;
  preheader: string;
  body: string;
  tenantName: string;
  /** The newsletter's locale: the footer's wording and the html lang. */
  locale: string;
  /** Footer wording, already translated (`newsletter.email.*`). */
  labels: { reason: string; unsubscribe: string };
}

export interface RenderedNewsletter {
  html: string;
  text: string;
}

const FONT = "font-family:Helvetica,Arial,sans-serif;";
const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

const MD_LINK = /!?\[([^[\]\n]{0,500})\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^"'\n]*["'])?\s*\)/g;
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^>\s]+)>/g;
const BARE_URL = /\b(?:https?:\/\/|www\.)[^\s<>()[\]"'«»]+/g;

type Inline = { kind: 'text'; text: string } | { kind: 'link'; text: string; url: string };

/** Split one block's inline Markdown into text runs and links (images dropped, unsafe schemes kept as text). */
function inlineParts(raw: string): Inline[] {
  const found: { start: number; end: number; part: Inline | null }[] = [];
  const taken = (start: number, end: number) => found.some((f) => start < f.end && end > f.start);
  for (const m of raw.matchAll(MD_LINK)) {
    const url = m[2];
    const part: Inline | null = m[0].startsWith('!') ? null : SAFE_URL.test(url) ? { kind: 'link', text: m[1], url } : { kind: 'text', text: m[1] };
    found.push({ start: m.index, end: m.index + m[0].length, part });
  }
  for (const m of raw.matchAll(AUTOLINK)) {
    if (!taken(m.index, m.index + m[0].length)) found.push({ start: m.index, end: m.index + m[0].length, part: { kind: 'link', text: m[1], url: m[1] } });
  }
  for (const m of raw.matchAll(BARE_URL)) {
    const url = m[0].replace(/[.,;:!?…]+$/u, '');
    if (taken(m.index, m.index + url.length)) continue;
    found.push({ start: m.index, end: m.index + url.length, part: { kind: 'link', text: url, url: url.startsWith('www.') ? `https://${url}` : url } });
  }
  found.sort((a, b) => a.start - b.start);
  const parts: Inline[] = [];
  let pos = 0;
  for (const f of found) {
    if (f.start > pos) parts.push({ kind: 'text', text: raw.slice(pos, f.start) });
    if (f.part) parts.push(f.part);
    pos = f.end;
  }
  if (pos < raw.length) parts.push({ kind: 'text', text: raw.slice(pos) });
  return parts;
}

/** Plain text of a run: emphasis markers and raw tags removed. */
function plain(text: string): string {
  return text
    .replace(/\*\*|__|~~|`+/g, '')
    .replace(/(^|[^\p{L}\p{N}])[*_](?=\S)/gu, '$1')
    .replace(/(\S)[*_](?=[^\p{L}\p{N}]|$)/gu, '$1');
}

/** Escaped HTML of a text run, with **bold** and *italic* kept. */
function runHtml(text: string): string {
  return escapeHtml(text.replace(/`+/g, ''))
    .replace(/\*\*(?=\S)([^*]+?)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\p{L}\p{N}*])\*(?=\S)([^*]+?)\*(?![\p{L}\p{N}])/gu, '$1<em>$2</em>')
    .replace(/[*_~]{2,}/g, '');
}

function inlineHtml(raw: string, linkColor: string): string {
  return inlineParts(raw.replace(/\n/g, ' '))
    .map((p) =>
      p.kind === 'text'
        ? runHtml(p.text)
        : `<a href="${escapeHtml(p.url)}" style="color:${linkColor};text-decoration:underline;">${escapeHtml(plain(p.text) || p.url)}</a>`,
    )
    .join('');
}

function inlineText(raw: string): string {
  return inlineParts(raw.replace(/\n/g, ' '))
    .map((p) => {
      if (p.kind === 'text') return plain(p.text);
      const label = plain(p.text).trim();
      return !label || label === p.url ? p.url : `${label} (${p.url})`;
    })
    .join('')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

const HEADING_SIZES = [26, 22, 19, 17, 16, 15];

function blockHtml(blocks: MdBlock[]): string {
  const out: string[] = [];
  let list: string[] = [];
  const flushList = () => {
    if (list.length === 0) return;
    out.push(`<ul style="margin:0 0 16px 0;padding:0 0 0 22px;${FONT}font-size:16px;line-height:24px;color:#222222;">${list.join('')}</ul>`);
    list = [];
  };
  for (const block of blocks) {
    if (block.kind === 'listItem') {
      list.push(`<li style="margin:0 0 6px 0;">${inlineHtml(block.raw, '#1a56db')}</li>`);
      continue;
    }
    flushList();
    if (block.kind === 'heading') {
      const size = HEADING_SIZES[block.level - 1] ?? 16;
      const tag = `h${Math.min(block.level, 6)}`;
      out.push(`<${tag} style="margin:24px 0 12px 0;${FONT}font-size:${size}px;line-height:1.3;font-weight:bold;color:#111111;">${inlineHtml(block.raw, '#111111')}</${tag}>`);
    } else if (block.kind === 'quote') {
      out.push(`<blockquote style="margin:0 0 16px 0;padding:4px 0 4px 14px;border-left:3px solid #d0d5dd;${FONT}font-size:16px;line-height:24px;color:#444444;">${inlineHtml(block.raw, '#1a56db')}</blockquote>`);
    } else {
      out.push(`<p style="margin:0 0 16px 0;${FONT}font-size:16px;line-height:24px;color:#222222;">${inlineHtml(block.raw, '#1a56db')}</p>`);
    }
  }
  flushList();
  return out.join('\n');
}

function blockText(blocks: MdBlock[]): string {
  const out: string[] = [];
  blocks.forEach((block, i) => {
    const text = inlineText(block.raw);
    if (block.kind === 'heading') out.push(`${text}\n${(block.level === 1 ? '=' : '-').repeat(Math.min(Math.max(text.length, 3), 72))}`);
    else if (block.kind === 'listItem') out.push(`${i > 0 && blocks[i - 1].kind === 'listItem' ? '\u0000' : ''}- ${text}`);
    else if (block.kind === 'quote') out.push(`> ${text}`);
    else out.push(text);
  });
  // consecutive list items stay on adjacent lines
  return out.join('\n\n').replace(/\n\n\u0000/g, '\n');
}

const unmarked = (s: string) => s.split(UNSUBSCRIBE_MARKER).join('');

export function renderNewsletter(raw: NewsletterRenderInput): RenderedNewsletter {
  const input = { ...raw, subject: unmarked(raw.subject), preheader: unmarked(raw.preheader), tenantName: unmarked(raw.tenantName), labels: { reason: unmarked(raw.labels.reason), unsubscribe: unmarked(raw.labels.unsubscribe) } };
  const body = unmarked(input.body);
  const blocks = parseMarkdown(body).blocks;
  const lang = escapeHtml(input.locale.slice(0, 2));
  const tenant = escapeHtml(input.tenantName);
  const reason = escapeHtml(input.labels.reason);
  const unsubscribe = escapeHtml(input.labels.unsubscribe);
  // The preheader is the inbox's preview line; the spacer keeps clients from pulling body text after it.
  const preheader = input.preheader
    ? `<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;">${escapeHtml(input.preheader)}${'&#8199;&#847; '.repeat(40)}</div>`
    : '';
  const html = `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>${escapeHtml(input.subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
${preheader}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border-radius:6px;">
<tr><td style="padding:20px 32px;border-bottom:1px solid #e5e7eb;${FONT}font-size:18px;font-weight:bold;color:#111111;">${tenant}</td></tr>
<tr><td style="padding:24px 32px 8px 32px;">
${blockHtml(blocks)}
</td></tr>
<tr><td style="padding:16px 32px 24px 32px;border-top:1px solid #e5e7eb;${FONT}font-size:12px;line-height:18px;color:#6b7280;">
<p style="margin:0 0 8px 0;">${reason}</p>
<p style="margin:0;"><a href="${UNSUBSCRIBE_MARKER}" style="color:#6b7280;text-decoration:underline;">${unsubscribe}</a></p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  const text = `${input.tenantName}\n\n${blockText(blocks)}\n\n--\n${input.labels.reason}\n${input.labels.unsubscribe} : ${UNSUBSCRIBE_MARKER}\n`;
  return { html, text: input.locale.startsWith('en') ? text.replace(` : ${UNSUBSCRIBE_MARKER}`, `: ${UNSUBSCRIBE_MARKER}`) : text };
}

/** One recipient's copy: the unsubscribe marker replaced by their link (escaped for HTML). */
export function personalise(rendered: RenderedNewsletter, unsubscribeUrl: string): RenderedNewsletter {
  return {
    html: rendered.html.split(UNSUBSCRIBE_MARKER).join(escapeHtml(unsubscribeUrl)),
    text: rendered.text.split(UNSUBSCRIBE_MARKER).join(unsubscribeUrl),
  };
}
