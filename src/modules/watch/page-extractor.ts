import crypto from 'node:crypto';
import { parseHTML } from 'linkedom';
import { decodeHtml } from '../../adapters/extraction/html-decode.js';
import { HtmlTextExtractor } from '../../adapters/extraction/html-text-extractor.js';
import { normaliseWhitespace } from '../../adapters/extraction/text.js';
import type { ExtractedFields, ExtractMode, SelectorField } from './domain.js';
import { parsePrice } from './price-parser.js';

/** A CSS selector of a page source (`watch_selectors`). */
export interface PageSelector {
  id: string;
  field: SelectorField;
  selector: string;
  /** Read this attribute (e.g. `content`, `data-price`) instead of the element's text. */
  attribute: string | null;
  /** Every match (product lists), not the first one. */
  multiple: boolean;
}

export interface PageExtraction {
  /** Readable text (full text), or the values found, one per line (selectors). */
  text: string;
  fields: ExtractedFields;
  /** sha256 (hex) of the canonical serialisation of text and fields: what "the page changed" means. */
  contentHash: string;
  /** Selectors that matched (ids), for `last_matched_at` / `missing_since`. */
  matched: string[];
}

const VALUE_MAX_CHARS = 500;
const PRODUCTS_MAX = 500;
const TEXT_FIELD_MAX_CHARS = 20_000;

/**
 * What is watched on a page. Full text: the readable text (Readability on linkedom, whitespace normalised, scripts,
 * styles and navigation left out), so ads and menus churn less. Selectors: the values of the source's CSS selectors;
 * one that matches nothing (or is not valid CSS) is listed in `missing`, never read as an empty value.
 */
export class PageExtractor {
  private readonly reader = new HtmlTextExtractor();

  extract(body: Buffer, options: { url: string; charset?: string; mode: ExtractMode; selectors?: PageSelector[] }): PageExtraction {
    const html = decodePage(body, options.charset);
    if (options.mode === 'full_text' || !options.selectors?.length) {
      const text = this.reader.extract(html, options.url).text;
      return { text, fields: {}, contentHash: contentHash(text, {}), matched: [] };
    }
    const { document } = parseHTML(html);
    const fields: ExtractedFields = {};
    const missing: SelectorField[] = [];
    const matched: string[] = [];
    const lines: string[] = [];
    for (const selector of options.selectors) {
      const values = readSelector(document, selector);
      if (values.length === 0) {
        missing.push(selector.field);
        continue;
      }
      matched.push(selector.id);
      lines.push(...values);
      const first = values[0];
      switch (selector.field) {
        case 'price': {
          const parsed = parsePrice(first);
          fields.price = { raw: first, amountCents: parsed?.amountCents ?? null, currency: parsed?.currency ?? null };
          break;
        }
        case 'product_name':
          fields.productName = first;
          break;
        case 'availability':
          fields.availability = first;
          break;
        case 'product_list':
          fields.products = values;
          break;
        case 'text':
          fields.text = values.join('\n').slice(0, TEXT_FIELD_MAX_CHARS);
          break;
      }
    }
    if (missing.length) fields.missing = missing;
    const text = lines.join('\n');
    return { text, fields, contentHash: contentHash(text, fields), matched };
  }
}

/**
 * The page's text (HTML encoding sniffing), except that a page whose `<meta>` says Latin-1 while its bytes are valid
 * UTF-8 with multi-byte sequences is read as UTF-8: re-encoded templates keep their old declaration, and Latin-1 text
 * practically never forms valid UTF-8 by chance (`Â£579.99` would become a bogus price change).
 */
function decodePage(body: Buffer, charset: string | undefined): string {
  const decoded = decodeHtml(body, charset);
  if (decoded.source !== 'meta' || decoded.encoding !== 'windows-1252' || !body.some((b) => b >= 0x80)) return decoded.html;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return decoded.html;
  }
}

/** The values a selector reads: text (one line each) or the attribute, empty ones left out. */
function readSelector(document: Document, selector: PageSelector): string[] {
  let elements: Element[];
  try {
    const all = selector.field === 'product_list' || selector.multiple;
    elements = all ? [...document.querySelectorAll(selector.selector)] : [document.querySelector(selector.selector)].filter((e): e is Element => !!e);
  } catch {
    return []; // not valid CSS: nothing matches
  }
  const values: string[] = [];
  for (const element of elements.slice(0, PRODUCTS_MAX)) {
    const raw = selector.attribute ? element.getAttribute(selector.attribute) : element.textContent;
    const max = selector.field === 'text' ? TEXT_FIELD_MAX_CHARS : VALUE_MAX_CHARS;
    const clean = normaliseWhitespace(raw ?? '');
    const value = (selector.field === 'text' ? clean : clean.replace(/\s+/g, ' ')).slice(0, max).trim();
    if (value) values.push(value);
  }
  return values;
}

/** sha256 of `{ text, fields }` serialised with sorted keys (the same content always gives the same hash). */
export function contentHash(text: string, fields: ExtractedFields | Record<string, unknown>): string {
  return crypto.createHash('sha256').update(canonicalJson({ fields, text })).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
