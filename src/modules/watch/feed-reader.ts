import zlib from 'node:zlib';
import { parseHTML } from 'linkedom';
import Parser from 'rss-parser';
import { decodeBytes, encodingFor } from '../../adapters/extraction/html-decode.js';
import { domToText } from '../../adapters/extraction/html-text-extractor.js';
import { normaliseWhitespace } from '../../adapters/extraction/text.js';
import { AppError } from '../../shared/errors.js';

/** One entry of a feed, as the watch stores it (`watch_feed_items`). */
export interface FeedEntry {
  /** The entry's id / guid, else its link (else a hash of its title and date): what "seen before" is keyed on. */
  guid: string;
  url: string | null;
  title: string | null;
  /** Plain text (HTML removed), at most `SUMMARY_MAX_CHARS`. */
  summary: string | null;
  /** Null when the feed gives no date or an unreadable one. */
  publishedAt: Date | null;
}

export interface ParsedFeed {
  format: 'rss' | 'atom' | 'json';
  title: string | null;
  /** The site the feed belongs to (its `<link>` / `home_page_url`). */
  link: string | null;
  entries: FeedEntry[];
  /** The XML was broken (a bare `&`, a cut-off document) and the entries were read from a repaired copy. */
  recovered: boolean;
}

/** `watch.errors.notAFeed` (an HTML page, or XML that is no feed) or `watch.errors.malformedFeed` (unreadable). */
export class FeedError extends AppError {
  constructor(readonly reason: 'notAFeed' | 'malformedFeed') {
    super(`watch.errors.${reason}`, 422);
    this.name = 'FeedError';
  }
}

const SUMMARY_MAX_CHARS = 2000;
const TITLE_MAX_CHARS = 1000;
const GUID_MAX_CHARS = 1024;
const URL_MAX_CHARS = 2048;
/** A body that arrives gzipped without saying so is inflated up to this size (bombs). */
const MAX_INFLATED_BYTES = 10 * 1024 * 1024;

/** rss-parser's raw item (only what is read here). */
interface RawItem {
  guid?: unknown;
  id?: unknown;
  link?: unknown;
  title?: unknown;
  summary?: unknown;
  contentSnippet?: unknown;
  content?: unknown;
  isoDate?: unknown;
  pubDate?: unknown;
  date?: unknown;
}

/** The raw output of rss-parser (a fresh parser each time: an xml2js parser that met an error never answers again). */
export async function parseXmlFeed(xml: string, options: ConstructorParameters<typeof Parser>[0] = {}): Promise<Parser.Output<Record<string, unknown>>> {
  return new Parser<Record<string, unknown>, Record<string, unknown>>(options).parseString(xml);
}

/**
 * Reads RSS 0.9x / 1.0 / 2.0 and Atom (rss-parser) and JSON Feed (by hand) bodies into entries. Bytes are decoded
 * from the BOM, else the transport charset, else the XML declaration, else UTF-8 when valid, else windows-1252; a body
 * gzipped without a Content-Encoding header is inflated first. Broken XML gets one repair attempt (bare `&` escaped,
 * a cut-off document closed after its last complete entry); it counts only if it yields entries.
 */
export class FeedReader {
  async read(body: Buffer, options: { charset?: string; url?: string } = {}): Promise<ParsedFeed> {
    const bytes = inflateIfGzip(body);
    const text = decodeXml(bytes, options.charset).replace(/^\uFEFF/, '');
    const start = text.replace(/^(?:\s|<!--[\s\S]*?-->|<\?[\s\S]*?\?>)*/, '');
    if (start === '') throw new FeedError('malformedFeed');
    if (start.startsWith('{') || start.startsWith('[')) return readJsonFeed(start, options.url);
    if (/^<!doctype\s+html|^<(?:html|head|body)[\s>]/i.test(start)) throw new FeedError('notAFeed');
    if (!start.startsWith('<')) throw new FeedError('malformedFeed');
    return readXmlFeed(text, options.url);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function validUtf8(bytes: Uint8Array): boolean {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Text of a feed: the BOM, else the transport charset, else the XML declaration (or `<meta charset>` of an HTML
 * page), else UTF-8 when the bytes are valid UTF-8, else windows-1252 (Latin-1 without a declaration). A transport
 * `utf-8` contradicted by the bytes is ignored: servers label everything UTF-8.
 */
export function decodeXml(bytes: Uint8Array, transportCharset?: string): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return decodeBytes(bytes.subarray(3), 'utf-8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeBytes(bytes.subarray(2), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeBytes(bytes.subarray(2), 'utf-16be');
  const transport = encodingFor(transportCharset);
  const valid = validUtf8(bytes);
  if (transport && (transport !== 'utf-8' || valid)) return decodeBytes(bytes, transport);
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).toString('latin1');
  const declared =
    encodingFor(/^(?:\s|<!--[\s\S]*?-->)*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']+)["']/i.exec(head)?.[1]) ??
    encodingFor(/<meta\b[^>]*\bcharset\s*=\s*["']?\s*([^\s"'/>;]+)/i.exec(head)?.[1]);
  if (declared && (declared !== 'utf-8' || valid)) return decodeBytes(bytes, declared);
  return valid ? decodeBytes(bytes, 'utf-8') : decodeBytes(bytes, 'windows-1252');
}

function inflateIfGzip(body: Buffer): Buffer {
  if (body.length < 3 || body[0] !== 0x1f || body[1] !== 0x8b || body[2] !== 0x08) return body;
  try {
    return zlib.gunzipSync(body, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch {
    throw new FeedError('malformedFeed');
  }
}

async function readXmlFeed(xml: string, base: string | undefined): Promise<ParsedFeed> {
  let raw: Parser.Output<Record<string, unknown>>;
  let recovered = false;
  try {
    raw = await parseXmlFeed(xml, PARSER_OPTIONS);
  } catch (err) {
    if (isUnrecognised(err)) throw new FeedError('notAFeed');
    if (isEmptyRss(xml)) return { format: 'rss', title: null, link: null, entries: [], recovered: false };
    const repaired = repairXml(xml);
    if (repaired === xml) throw new FeedError('malformedFeed');
    try {
      raw = await parseXmlFeed(repaired, PARSER_OPTIONS);
    } catch (again) {
      throw new FeedError(isUnrecognised(again) ? 'notAFeed' : 'malformedFeed');
    }
    if (!raw.items?.length) throw new FeedError('malformedFeed');
    recovered = true;
  }
  const format = /^(?:\s|<!--[\s\S]*?-->|<\?[\s\S]*?\?>)*<feed[\s>]/.test(xml) ? 'atom' : 'rss';
  const link = absoluteUrl(asText(raw.link), base);
  return {
    format,
    title: oneLine(asText(raw.title), TITLE_MAX_CHARS),
    link,
    entries: entriesOf((raw.items ?? []) as RawItem[], link ?? base),
    recovered,
  };
}

/** `<rss>` without a version is read as RSS 2.0 (what every reader does). */
const PARSER_OPTIONS: ConstructorParameters<typeof Parser>[0] = { defaultRSS: 2 };

/** A well-formed `<rss>` with no `<channel>` (rss-parser trips on it): a feed with nothing in it. */
function isEmptyRss(xml: string): boolean {
  return /^(?:\s|<!--[\s\S]*?-->|<\?[\s\S]*?\?>)*<rss[\s>]/.test(xml) && !/<channel[\s>]/.test(xml) && /<\/rss\s*>\s*$/.test(xml);
}

function isUnrecognised(err: unknown): boolean {
  return err instanceof Error && /not recognized as RSS|default RSS version/.test(err.message);
}

/**
 * One repair of broken XML: bare `&` escaped, and a document cut off (no closing root) truncated after its last
 * complete `</item>` / `</entry>` and closed again.
 */
export function repairXml(xml: string): string {
  let out = xml.replace(/&(?!(?:[a-zA-Z][\w.-]*|#\d+|#x[\da-fA-F]+);)/g, '&amp;');
  const root = /<(rss|feed|rdf:RDF)[\s>]/.exec(out)?.[1];
  if (root && !new RegExp(`</${root}\\s*>\\s*$`).test(out)) {
    const lastItem = out.lastIndexOf('</item>');
    const lastEntry = out.lastIndexOf('</entry>');
    const end = Math.max(lastItem < 0 ? -1 : lastItem + '</item>'.length, lastEntry < 0 ? -1 : lastEntry + '</entry>'.length);
    if (end > 0) {
      out = out.slice(0, end);
      const closing = root === 'rss' ? '</channel></rss>' : root === 'feed' ? '</feed>' : '</rdf:RDF>';
      // RSS 1.0 items are siblings of <channel>: only RSS 2.0 / 0.9x nest them inside it.
      out += root === 'rss' && !/<\/channel>/.test(out) ? closing : `</${root}>`;
    }
  }
  return out;
}

function entriesOf(items: RawItem[], base: string | undefined): FeedEntry[] {
  const seen = new Set<string>();
  const entries: FeedEntry[] = [];
  for (const item of items) {
    const url = absoluteUrl(asText(item.link), base);
    const title = oneLine(stripHtml(asText(item.title)), TITLE_MAX_CHARS);
    const publishedAt = toDate(asText(item.isoDate) ?? asText(item.pubDate) ?? asText(item.date));
    const guid = guidOf(asText(item.guid) ?? asText(item.id) ?? asText(item.link), title, publishedAt);
    if (!guid || seen.has(guid)) continue;
    seen.add(guid);
    const summary = asText(item.summary) ?? asText(item.content) ?? asText(item.contentSnippet);
    entries.push({ guid, url, title, summary: oneLine(stripHtml(summary), SUMMARY_MAX_CHARS), publishedAt });
  }
  return entries;
}

function readJsonFeed(text: string, base: string | undefined): ParsedFeed {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new FeedError('malformedFeed');
  }
  const feed = doc as { version?: unknown; title?: unknown; home_page_url?: unknown; items?: unknown };
  if (!feed || typeof feed !== 'object' || typeof feed.version !== 'string' || !feed.version.startsWith('https://jsonfeed.org/version/')) {
    throw new FeedError('notAFeed');
  }
  if (!Array.isArray(feed.items)) throw new FeedError('malformedFeed');
  const link = absoluteUrl(asText(feed.home_page_url), base);
  const seen = new Set<string>();
  const entries: FeedEntry[] = [];
  for (const value of feed.items as unknown[]) {
    if (!value || typeof value !== 'object') continue;
    const item = value as Record<string, unknown>;
    const url = absoluteUrl(asText(item.url) ?? asText(item.external_url), link ?? base);
    const title = oneLine(stripHtml(asText(item.title)), TITLE_MAX_CHARS);
    const publishedAt = toDate(asText(item.date_published) ?? asText(item.date_modified));
    const id = typeof item.id === 'number' ? String(item.id) : asText(item.id);
    const guid = guidOf(id ?? asText(item.url), title, publishedAt);
    if (!guid || seen.has(guid)) continue;
    seen.add(guid);
    const summary = asText(item.summary) ?? asText(item.content_text) ?? stripHtml(asText(item.content_html));
    entries.push({ guid, url, title, summary: oneLine(stripHtml(summary), SUMMARY_MAX_CHARS), publishedAt });
  }
  return { format: 'json', title: oneLine(asText(feed.title), TITLE_MAX_CHARS), link, entries, recovered: false };
}

/** A string value of rss-parser / JSON (xml2js gives `{ _: text, $: attrs }` for elements with attributes). */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (value && typeof value === 'object' && '_' in value) return asText((value as { _: unknown })._);
  return undefined;
}

function guidOf(id: string | undefined, title: string | null, publishedAt: Date | null): string | null {
  if (id) return id.slice(0, GUID_MAX_CHARS);
  if (!title) return null;
  return `title:${title.slice(0, 900)}|${publishedAt?.toISOString() ?? ''}`;
}

/** Plain text of an HTML fragment (entities decoded, scripts dropped). */
function stripHtml(html: string | undefined): string | undefined {
  if (!html) return undefined;
  if (!/[<&]/.test(html)) return html;
  // Only the start can end up in a summary: a long article body is not parsed whole.
  const { document } = parseHTML(`<!doctype html><html><body>${html.slice(0, SUMMARY_MAX_CHARS * 4)}</body></html>`);
  return domToText(document.body, 'article');
}

function oneLine(text: string | undefined, max: number): string | null {
  if (!text) return null;
  const line = normaliseWhitespace(text).replace(/\s+/g, ' ');
  if (!line) return null;
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

function absoluteUrl(href: string | undefined, base: string | undefined): string | null {
  if (!href) return null;
  try {
    const url = new URL(href, base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.href.length <= URL_MAX_CHARS ? url.href : null;
  } catch {
    return null;
  }
}

/** A date the feed gives, or null when it is missing, unreadable or absurd (before 1990, after 2100). */
function toDate(value: string | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  const year = date.getUTCFullYear();
  return Number.isNaN(date.getTime()) || year < 1990 || year > 2100 ? null : date;
}
