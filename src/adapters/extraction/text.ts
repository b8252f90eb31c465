/** Text clean-up shared by the PDF and HTML extractors. Pure functions. */

/** Horizontal whitespace, including NBSP, the Unicode spaces and the ideographic space (not line breaks). */
const HSPACE = /[ \t\f\v\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g;
/** C0/C1 controls except tab and newline, zero-width characters, BOM, and replacement/private-use noise left by broken fonts. */
const JUNK = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F\u200B-\u200D\u2060\uFEFF\uFFFD]/g;
/** Runs of dot leaders in tables of contents (". . . . ." or "......"). */
const LEADERS = /(?:\s?[.·…]){5,}/g;

/**
 * Normalises whitespace: NFC, CRLF → LF, control and zero-width characters removed, spaces collapsed, lines trimmed,
 * at most one blank line in a row, dot leaders shortened to " … ".
 */
export function normaliseWhitespace(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?|\u2028|\u2029|\u0085/g, '\n')
    .replace(JUNK, '')
    .replace(HSPACE, ' ')
    .replace(LEADERS, ' … ')
    .replace(/ *\n */g, '\n')
    .replace(/ {2,}/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const WORD = /\p{L}+(?:['’-]\p{L}+)*/gu;

/**
 * Joins words hyphenated at line ends ("Ex-\nisting" → "Existing"), where it is obvious: a letter before the hyphen,
 * a lower-case letter starting the next line. The hyphen is kept ("state-of-the-\nart" → "state-of-the-art",
 * "porte-\nmonnaie" → "porte-monnaie") when the word already holds a hyphen, or when the document spells the
 * hyphenated form elsewhere but never the joined one. Soft hyphens (U+00AD) are always removed.
 */
export function joinHyphenatedLines(text: string): string {
  const known = new Map<string, number>();
  for (const match of text.replace(/\u00AD/g, '').matchAll(WORD)) {
    const word = match[0].toLowerCase();
    known.set(word, (known.get(word) ?? 0) + 1);
  }
  const joined = text.replace(
    /(\p{L}[\p{L}'’-]{0,60}?)(\p{L})[-\u00AD\u2010] *\n *(\p{Ll}\p{L}{0,60})/gu,
    (_all, head: string, last: string, tail: string) => {
      const left = head + last;
      if (/[-‐]/u.test(left)) return `${left}-${tail}`;
      const hyphenated = `${left}-${tail}`.toLowerCase();
      const solid = `${left}${tail}`.toLowerCase();
      if ((known.get(hyphenated) ?? 0) > 0 && !known.has(solid)) return `${left}-${tail}`;
      return `${left}${tail}`;
    },
  );
  return joined.replace(/\u00AD/g, '');
}

export interface Capped {
  text: string;
  truncated: boolean;
}

/** Cuts `text` to at most `maxChars`, at the last line or word boundary when there is one in the final 10 %. */
export function capText(text: string, maxChars: number): Capped {
  if (text.length <= maxChars) return { text, truncated: false };
  let cut = text.slice(0, maxChars);
  const floor = Math.floor(maxChars * 0.9);
  const boundary = Math.max(cut.lastIndexOf('\n'), cut.lastIndexOf(' '));
  if (boundary >= floor) cut = cut.slice(0, boundary);
  // Never leave half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return { text: cut.trimEnd(), truncated: true };
}

/** Letters and digits in `text` (what "near-empty" is measured with). */
export function countAlphanumerics(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(/[\p{L}\p{N}]/gu)) count++;
  return count;
}
