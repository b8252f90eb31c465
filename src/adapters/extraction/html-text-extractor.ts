import { Readability, isProbablyReaderable } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { decodeHtml } from './html-decode.js';
import { capText, normaliseWhitespace } from './text.js';

export interface HtmlLink {
  /** Absolute URL (http, https, mailto or tel); in-page `#fragment` links and `javascript:` are left out. */
  href: string;
  /** Normalised link text, else its `aria-label`, `title` or image `alt`; may be empty. */
  text: string;
}

export interface HtmlExtraction {
  title: string;
  /** Readable text: the article Readability found, else the page's body text (see `article`). */
  text: string;
  lang?: string;
  description?: string;
  siteName?: string;
  byline?: string;
  publishedTime?: string;
  /** Every link of the page (navigation included), deduplicated by href, in document order. */
  links: HtmlLink[];
  /** RSS, Atom and JSON Feed URLs announced with `<link rel="alternate">`. */
  feedLinks: string[];
  /** True when `text` is Readability's article; false when it is the whole body text (home pages, landing pages). */
  article: boolean;
  /** `text` was cut at `maxChars`. */
  truncated: boolean;
}

export interface HtmlExtractorOptions {
  /** Cap of the returned text. Default 200 000. */
  maxChars?: number;
  /** Above this many elements (or 200 levels of nesting) Readability is skipped and the body text used. Default 20 000. */
  maxElements?: number;
  /** Links kept at most. Default 1 000. */
  maxLinks?: number;
}

/** Elements whose content is never text for a reader. */
const SKIPPED = new Set([
  'script', 'style', 'noscript', 'template', 'head', 'title', 'meta', 'link', 'svg', 'math', 'canvas', 'iframe',
  'frame', 'frameset', 'object', 'embed', 'applet', 'audio', 'video', 'picture', 'source', 'track', 'map', 'img',
  'select', 'option', 'optgroup', 'datalist', 'button', 'input', 'textarea', 'dialog',
]);
/** Left out of the body text only (the article never holds them, and links are collected separately). */
const SKIPPED_IN_BODY = new Set(['nav']);
/** Blocks followed by a blank line. */
const PARAGRAPHS = new Set([
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'table', 'ul', 'ol', 'dl', 'section', 'article',
  'header', 'footer', 'main', 'aside', 'figure', 'form', 'fieldset', 'address', 'hr', 'details',
]);
/** Blocks followed by a line break. */
const LINES = new Set([
  'div', 'li', 'dt', 'dd', 'tr', 'caption', 'figcaption', 'summary', 'legend', 'center', 'hgroup', 'label', 'thead', 'tbody', 'tfoot',
]);
const CELLS = new Set(['td', 'th']);

const FEED_TYPES = new Set(['application/rss+xml', 'application/atom+xml', 'application/feed+json', 'application/rdf+xml']);
const ARTICLE_MIN_CHARS = 140;
/** Deeper documents skip Readability (real pages stay well under 100 levels). */
const MAX_DEPTH = 200;

function isHidden(element: Element): boolean {
  if (element.hasAttribute('hidden')) return true;
  if (element.getAttribute('aria-hidden') === 'true') return true;
  const style = element.getAttribute('style');
  return !!style && /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style);
}

/** Cookie banners, consent walls and skip links that litter the body text of home pages. */
function isChrome(element: Element): boolean {
  const role = element.getAttribute('role');
  if (role === 'navigation' || role === 'search') return true;
  const marker = `${element.getAttribute('id') ?? ''} ${element.getAttribute('class') ?? ''}`;
  return /(?:^|[\s_-])(?:cookie|cookies|consent|gdpr|rgpd|skip-link|screen-reader-text|sr-only|visually-hidden)(?:$|[\s_-])/i.test(marker);
}

/** Block boundaries while walking; adjacent ones merge into the strongest (a blank line beats a line break). */
const LINE = '\u0001';
const PARAGRAPH = '\u0002';

/** Text of a DOM subtree with line breaks where blocks end, cells separated by " | ", `<pre>` kept as is. */
export function domToText(root: Node, mode: 'article' | 'body' = 'article'): string {
  const parts: string[] = [];
  // Iterative walk: a hostile page nesting 100 000 elements must not overflow the stack.
  const stack: ({ node: Node; inPre: boolean } | string)[] = [{ node: root, inPre: false }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      parts.push(item);
      continue;
    }
    const { node, inPre } = item;
    if (node.nodeType === 3) {
      const value = node.nodeValue ?? '';
      parts.push(inPre ? value : value.replace(/\s+/g, ' '));
      continue;
    }
    if (node.nodeType !== 1 && node.nodeType !== 9 && node.nodeType !== 11) continue;
    const element = node.nodeType === 1 ? (node as Element) : undefined;
    const tag = element?.localName?.toLowerCase() ?? '';
    if (element) {
      if (SKIPPED.has(tag) || isHidden(element)) continue;
      if (mode === 'body' && (SKIPPED_IN_BODY.has(tag) || isChrome(element))) continue;
      if (tag === 'br') {
        parts.push('\n');
        continue;
      }
      if (CELLS.has(tag)) {
        const previous = element.previousElementSibling;
        if (previous && CELLS.has(previous.localName.toLowerCase())) parts.push(' | ');
      }
    }
    const pre = inPre || tag === 'pre';
    const boundary = PARAGRAPHS.has(tag) ? PARAGRAPH : LINES.has(tag) ? LINE : '';
    parts.push(boundary);
    stack.push(boundary);
    const children: Node[] = [];
    for (let child = node.firstChild; child; child = child.nextSibling) children.push(child);
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i], inPre: pre });
  }
  const text = parts
    .join('')
    .replace(/[ \t\u0001\u0002]*[\u0001\u0002][\s\u0001\u0002]*/g, (run) => (run.includes(PARAGRAPH) ? '\n\n' : '\n'));
  return normaliseWhitespace(text);
}

/** Element count and deepest nesting of a document (iteratively), stopping once either passes its limit. */
function measure(root: Node, maxElements: number, maxDepth: number): { elements: number; depth: number } {
  let elements = 0;
  let depth = 0;
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (node.nodeType === 1) elements++;
    depth = Math.max(depth, level);
    if (elements > maxElements || depth > maxDepth) break;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 1) stack.push([child, level + 1]);
    }
  }
  return { elements, depth };
}

function resolveUrl(href: string | null | undefined, base: string | undefined): URL | undefined {
  if (!href) return undefined;
  try {
    return new URL(href.trim(), base);
  } catch {
    return undefined;
  }
}

function metaContent(document: Document, ...selectors: string[]): string | undefined {
  for (const selector of selectors) {
    const value = clean(document.querySelector(selector)?.getAttribute('content'));
    if (value) return value;
  }
  return undefined;
}

/** A one-line value (title, description, link text): whitespace normalised and collapsed to single spaces. */
function clean(value: string | null | undefined): string | undefined {
  const text = value ? normaliseWhitespace(value).replace(/\s+/g, ' ') : '';
  return text || undefined;
}

function documentLang(document: Document): string | undefined {
  const fromHtml = document.documentElement?.getAttribute('lang') ?? document.documentElement?.getAttribute('xml:lang');
  const fromMeta = metaContent(document, 'meta[http-equiv="content-language" i]', 'meta[name="language" i]');
  const fromOg = metaContent(document, 'meta[property="og:locale"]');
  const lang = clean(fromHtml) ?? clean(fromMeta?.split(',')[0]) ?? fromOg;
  return lang?.replace(/_/g, '-');
}

/**
 * Readable text and metadata of an HTML page: Readability (on linkedom) when the page reads as an article, else the
 * body text without scripts, styles, navigation and cookie banners (home and landing pages). Synchronous and pure.
 */
export class HtmlTextExtractor {
  private readonly maxChars: number;
  private readonly maxElements: number;
  private readonly maxLinks: number;

  constructor(options: HtmlExtractorOptions = {}) {
    this.maxChars = options.maxChars ?? 200_000;
    this.maxElements = options.maxElements ?? 20_000;
    this.maxLinks = options.maxLinks ?? 1_000;
  }

  /**
   * @param input the HTML as a string, or its bytes (decoded with `charset`, else the BOM / `<meta charset>`, else UTF-8)
   * @param url the page's URL (after redirects): relative links and feeds are resolved against it (or `<base href>`)
   * @param charset the transport charset (Content-Type header), when `input` is bytes
   */
  extract(input: string | Uint8Array, url: string, charset?: string): HtmlExtraction {
    const html = typeof input === 'string' ? input : decodeHtml(input, charset).html;
    const { document } = parseHTML(html);
    const base = this.baseUrl(document, url);

    const links = this.links(document, base);
    const feedLinks = this.feedLinks(document, base);
    const lang = documentLang(document);
    // Readability's scoring walks ancestors: on deeply nested or huge documents it runs for minutes (1 000 nested
    // divs: 20 s on linkedom) and overflows the stack. Such pages get the body text, which is linear.
    const size = measure(document, this.maxElements, MAX_DEPTH);
    const sane = size.elements <= this.maxElements && size.depth <= MAX_DEPTH;
    let readerable = false;
    try {
      readerable = sane && isProbablyReaderable(document);
    } catch {
      readerable = false;
    }

    // Readability rewrites the document it reads: it gets its own parse.
    let article: ReturnType<Readability<Node>['parse']> = null;
    try {
      if (!sane) throw new Error('document too deep or too large for Readability');
      const { document: copy } = parseHTML(html);
      article = new Readability<Node>(copy, {
        maxElemsToParse: this.maxElements,
        serializer: (node) => node,
      }).parse();
    } catch {
      article = null;
    }
    const articleText = article?.content ? domToText(article.content, 'article') : '';
    const useArticle = readerable && articleText.length >= ARTICLE_MIN_CHARS;
    // linkedom builds no <html>/<body> around a document that omits them (valid HTML): then read the whole document.
    const body = document.body?.firstChild ? document.body : document;
    const text = useArticle ? articleText : domToText(body, 'body');
    const capped = capText(text, this.maxChars);

    const title =
      clean(article?.title) ??
      metaContent(document, 'meta[property="og:title"]', 'meta[name="twitter:title"]') ??
      clean(document.querySelector('title')?.textContent) ??
      clean(document.querySelector('h1')?.textContent) ??
      '';
    const description =
      metaContent(document, 'meta[name="description" i]', 'meta[property="og:description"]', 'meta[name="twitter:description"]') ??
      clean(article?.excerpt);

    return {
      title,
      text: capped.text,
      ...(lang ? { lang } : {}),
      ...(description ? { description } : {}),
      ...optional('siteName', clean(article?.siteName) ?? metaContent(document, 'meta[property="og:site_name"]')),
      ...optional('byline', clean(article?.byline)),
      ...optional('publishedTime', clean(article?.publishedTime)),
      links,
      feedLinks,
      article: useArticle,
      truncated: capped.truncated,
    };
  }

  private baseUrl(document: Document, url: string): string | undefined {
    const page = safeUrl(url);
    const declared = resolveUrl(document.querySelector('base[href]')?.getAttribute('href'), page?.href);
    if (declared && (declared.protocol === 'http:' || declared.protocol === 'https:')) return declared.href;
    return page?.href;
  }

  private links(document: Document, base: string | undefined): HtmlLink[] {
    const byHref = new Map<string, HtmlLink>();
    for (const anchor of document.querySelectorAll('a[href]')) {
      if (byHref.size >= this.maxLinks) break;
      const raw = anchor.getAttribute('href')?.trim() ?? '';
      if (!raw || raw.startsWith('#')) continue;
      const resolved = resolveUrl(raw, base);
      if (!resolved || !['http:', 'https:', 'mailto:', 'tel:'].includes(resolved.protocol)) continue;
      const text =
        clean(anchor.textContent) ??
        clean(anchor.getAttribute('aria-label')) ??
        clean(anchor.getAttribute('title')) ??
        clean(anchor.querySelector('img[alt]')?.getAttribute('alt')) ??
        '';
      const existing = byHref.get(resolved.href);
      if (!existing) byHref.set(resolved.href, { href: resolved.href, text });
      else if (!existing.text && text) existing.text = text;
    }
    return [...byHref.values()];
  }

  private feedLinks(document: Document, base: string | undefined): string[] {
    const feeds = new Set<string>();
    for (const link of document.querySelectorAll('link[rel][href]')) {
      const rel = (link.getAttribute('rel') ?? '').toLowerCase().split(/\s+/);
      const type = (link.getAttribute('type') ?? '').toLowerCase().split(';')[0].trim();
      if (!rel.includes('alternate') || !FEED_TYPES.has(type)) continue;
      const resolved = resolveUrl(link.getAttribute('href'), base);
      if (resolved && (resolved.protocol === 'http:' || resolved.protocol === 'https:')) feeds.add(resolved.href);
    }
    return [...feeds];
  }
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}
