/**
 * A small parser for the Markdown-ish bodies the studio produces: ATX headings (`#` … `######`, a space
 * after the hashes so `#hashtag` stays text), paragraphs, list items, block quotes, fenced code (skipped),
 * links `[text](url)`, autolinks `<https://…>` and bare URLs. Inline markup is reduced to plain text.
 */

export interface MdLink {
  text: string;
  url: string;
  /** Index of the block holding the link. */
  block: number;
}

export type MdBlockKind = 'heading' | 'paragraph' | 'listItem' | 'quote';

export interface MdBlock {
  kind: MdBlockKind;
  /** 1–6 for headings, 0 otherwise. */
  level: number;
  /** Plain text: inline markup removed, link texts kept, URLs dropped. */
  text: string;
  /** The source lines of the block, inline markup kept. */
  raw: string;
  /** 1-based line of the block's first line. */
  line: number;
  links: MdLink[];
}

export interface MdDocument {
  blocks: MdBlock[];
  links: MdLink[];
}

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const LIST_ITEM = /^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+(.*)$/;
const QUOTE = /^ {0,3}>[ \t]?(.*)$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const RULE = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/;

const MD_LINK = /!?\[([^[\]\n]{0,500})\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^"'\n]*["'])?\s*\)/g;
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^>\s]+)>/g;
const BARE_URL = /\b(?:https?:\/\/|www\.)[^\s<>()[\]"'«»]+/g;

/** Strip a bare URL of the sentence punctuation that follows it. */
function trimUrl(url: string): string {
  return url.replace(/[.,;:!?…]+$/u, '');
}

/** Reduce one block's inline Markdown to plain text, collecting its links. */
export function inlineToText(raw: string, block = 0): { text: string; links: MdLink[] } {
  const links: MdLink[] = [];
  let text = raw.replace(MD_LINK, (match, label: string, url: string) => {
    if (match.startsWith('!')) return ' ';
    links.push({ text: label.trim(), url, block });
    return label;
  });
  text = text.replace(AUTOLINK, (_m, url: string) => {
    links.push({ text: url, url, block });
    return ' ';
  });
  text = text.replace(BARE_URL, (match: string) => {
    const url = trimUrl(match);
    links.push({ text: url, url: url.startsWith('www.') ? `https://${url}` : url, block });
    return match.slice(url.length);
  });
  text = text
    .replace(/<\/?[a-zA-Z][^>]*>/g, ' ')
    .replace(/`+/g, '')
    .replace(/\*\*|__|~~/g, '')
    .replace(/(^|[^\p{L}\p{N}])[*_](?=\S)/gu, '$1')
    .replace(/(\S)[*_](?=[^\p{L}\p{N}]|$)/gu, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  return { text, links };
}

/** Parse a Markdown-ish body into blocks. Deterministic, linear in the input size. */
export function parseMarkdown(body: string): MdDocument {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const blocks: MdBlock[] = [];
  let current: { kind: MdBlockKind; level: number; lines: string[]; line: number } | null = null;
  let fence: string | null = null;

  const flush = () => {
    if (!current) return;
    const raw = current.lines.join('\n');
    const index = blocks.length;
    const { text, links } = inlineToText(current.lines.join(' '), index);
    if (text || current.kind === 'heading') {
      blocks.push({ kind: current.kind, level: current.level, text, raw, line: current.line, links });
    }
    current = null;
  };

  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (fence !== null) {
      if (line.trim().startsWith(fence)) fence = null;
      return;
    }
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      flush();
      fence = fenceMatch[1];
      return;
    }
    if (line.trim() === '') {
      flush();
      return;
    }
    if (RULE.test(line)) {
      flush();
      return;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      current = { kind: 'heading', level: heading[1].length, lines: [heading[2]], line: lineNo };
      flush();
      return;
    }
    const quote = QUOTE.exec(line);
    if (quote) {
      if (current?.kind !== 'quote') {
        flush();
        current = { kind: 'quote', level: 0, lines: [], line: lineNo };
      }
      current.lines.push(quote[1]);
      return;
    }
    const item = LIST_ITEM.exec(line);
    if (item && !RULE.test(line)) {
      flush();
      current = { kind: 'listItem', level: 0, lines: [item[1]], line: lineNo };
      return;
    }
    if (current && (current.kind === 'paragraph' || current.kind === 'listItem' || current.kind === 'quote')) {
      // Lazy continuation of the open block.
      current.lines.push(line.trim());
      return;
    }
    flush();
    current = { kind: 'paragraph', level: 0, lines: [line.trim()], line: lineNo };
  });
  flush();
  return { blocks, links: blocks.flatMap((b) => b.links) };
}

/** Blocks that carry prose (everything but headings). */
export function proseBlocks(doc: MdDocument): MdBlock[] {
  return doc.blocks.filter((b) => b.kind !== 'heading');
}
