/**
 * SMS encoding and segmentation (3GPP TS 23.038, formerly GSM 03.38; concatenation per TS 23.040).
 *
 * - A text made only of characters of the GSM 7-bit default alphabet (plus its extension table) is sent as
 *   GSM-7: 160 septets in a single SMS, 153 per part once concatenated (the 6-octet UDH takes 7 septets).
 *   Extension-table characters are sent as ESC + code and cost 2 septets; the pair is never split across parts.
 * - Any other character forces UCS-2 for the whole message: 70 UTF-16 code units single, 67 per part.
 *   Characters outside the BMP (most emoji) take 2 code units; a surrogate pair is never split across parts.
 *
 * The tables follow TS 23.038 v16 §6.2.1 exactly. Note for French: 0x09 is the CAPITAL C cedilla (Ç); the
 * lowercase ç is NOT in the default alphabet (the old unicode.org GSM0338.TXT mapped 0x09 to ç, the
 * standard does not), so "français" forces UCS-2 — we count it that way so an estimate never comes out low.
 */

/** Basic character set, in code order 0x00–0x7F; 0x1B (escape to the extension table) is left out. */
const GSM7_BASIC_TABLE =
  '@\u00A3$\u00A5\u00E8\u00E9\u00F9\u00EC\u00F2\u00C7\n\u00D8\u00F8\r\u00C5\u00E5' + // 0x00 @ £ $ ¥ è é ù ì ò Ç LF Ø ø CR Å å
  '\u0394_\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398\u039E\u00C6\u00E6\u00DF\u00C9' + // 0x10 Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ (ESC) Æ æ ß É
  ' !"#\u00A4%&\'()*+,-./' + // 0x20 (¤ at 0x24, not $)
  '0123456789:;<=>?' + // 0x30
  '\u00A1ABCDEFGHIJKLMNO' + // 0x40 ¡
  'PQRSTUVWXYZ\u00C4\u00D6\u00D1\u00DC\u00A7' + // 0x50 Ä Ö Ñ Ü §
  '\u00BFabcdefghijklmno' + // 0x60 ¿ (no backtick in GSM-7)
  'pqrstuvwxyz\u00E4\u00F6\u00F1\u00FC\u00E0'; // 0x70 ä ö ñ ü à

/** Extension table (each sent as ESC + code, 2 septets): FF ^ { } \ [ ~ ] | €. */
const GSM7_EXTENSION_TABLE = '\f^{}\\[~]|\u20AC';

const GSM7_BASIC = new Set(Array.from(GSM7_BASIC_TABLE));
const GSM7_EXTENSION = new Set(Array.from(GSM7_EXTENSION_TABLE));

export const SMS_LIMITS = {
  gsm7: { single: 160, concatenated: 153 },
  ucs2: { single: 70, concatenated: 67 },
} as const;

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsSegmentInfo {
  encoding: SmsEncoding;
  /** Septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2, emoji count 2). */
  units: number;
  /** Number of SMS billed; 0 for an empty text. */
  segments: number;
  /** Capacity of one segment for this message: 160/70 when it fits in one SMS, 153/67 once concatenated. */
  perSegment: number;
  /** Units still free in the last segment before another one is needed. */
  remainingInSegment: number;
  /** The characters (graphemes, in order of first appearance, once each) that forced UCS-2. */
  nonGsmChars: string[];
}

/** Septets one code point takes in GSM-7: 1 (basic), 2 (extension) or null (not encodable). */
export function gsm7Septets(codePoint: string): 1 | 2 | null {
  if (GSM7_BASIC.has(codePoint)) return 1;
  if (GSM7_EXTENSION.has(codePoint)) return 2;
  return null;
}

export function isGsm7Char(char: string): boolean {
  return Array.from(char).every((cp) => gsm7Septets(cp) !== null);
}

export function isGsm7Text(text: string): boolean {
  for (const cp of text) if (gsm7Septets(cp) === null) return false;
  return true;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Distinct graphemes holding at least one code point outside GSM-7, in order of first appearance. */
export function nonGsmCharacters(text: string): string[] {
  const found = new Set<string>();
  for (const { segment } of graphemes.segment(text)) {
    if (!found.has(segment) && !isGsm7Char(segment)) found.add(segment);
  }
  return [...found];
}

/** Greedy packing of indivisible widths into parts, as the SMS centre does. */
function pack(widths: number[], single: number, concatenated: number): Pick<SmsSegmentInfo, 'units' | 'segments' | 'perSegment' | 'remainingInSegment'> {
  const units = widths.reduce((sum, w) => sum + w, 0);
  if (units <= single) return { units, segments: units === 0 ? 0 : 1, perSegment: single, remainingInSegment: single - units };
  let segments = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > concatenated) {
      segments += 1;
      used = 0;
    }
    used += width;
  }
  return { units, segments, perSegment: concatenated, remainingInSegment: concatenated - used };
}

/** Encoding, size and segment count of an SMS body, exactly as it would be sent (no normalisation). */
export function analyzeSms(text: string): SmsSegmentInfo {
  const codePoints = Array.from(text);
  const septets = codePoints.map(gsm7Septets);
  if (septets.every((s): s is 1 | 2 => s !== null)) {
    return { encoding: 'gsm7', ...pack(septets, SMS_LIMITS.gsm7.single, SMS_LIMITS.gsm7.concatenated), nonGsmChars: [] };
  }
  const codeUnits = codePoints.map((cp) => cp.length);
  return { encoding: 'ucs2', ...pack(codeUnits, SMS_LIMITS.ucs2.single, SMS_LIMITS.ucs2.concatenated), nonGsmChars: nonGsmCharacters(text) };
}

/**
 * Meaning-preserving replacements: typography that has a plain GSM-7 equivalent. French typography
 * (’ « » … – and the narrow no-break spaces before ; : ! ?) is the usual reason a French SMS goes UCS-2.
 */
const SAFE_REPLACEMENTS: Readonly<Record<string, string>> = {
  '\u2018': "'", // ‘
  '\u2019': "'", // ’
  '\u201A': "'", // ‚
  '\u201B': "'", // ‛
  '\u2032': "'", // ′
  '\u00B4': "'", // ´
  '`': "'",
  '\u2039': "'", // ‹
  '\u203A': "'", // ›
  '\u201C': '"', // “
  '\u201D': '"', // ”
  '\u201E': '"', // „
  '\u201F': '"', // ‟
  '\u2033': '"', // ″
  '\u00AB': '"', // «
  '\u00BB': '"', // »
  '\u2026': '...', // …
  '\u2010': '-', // ‐
  '\u2011': '-', // ‑
  '\u2012': '-', // ‒
  '\u2013': '-', // –
  '\u2014': '-', // —
  '\u2015': '-', // ―
  '\u2212': '-', // −
  '\u2022': '-', // •
  '\u00D7': 'x', // ×
  '\u00A0': ' ', // no-break space
  '\u202F': ' ', // narrow no-break space
  '\u2007': ' ',
  '\u2009': ' ',
  '\u200A': ' ',
  '\u2002': ' ',
  '\u2003': ' ',
  '\u2004': ' ',
  '\u2005': ' ',
  '\u2006': ' ',
  '\u2008': ' ',
  '\t': ' ',
  '\u200B': '', // zero-width space
  '\u2060': '', // word joiner
  '\uFEFF': '', // BOM / zero-width no-break space
};

/** Letters folded to their base letter (lossy: the spelling changes), only for letters not in GSM-7. */
const LIGATURES: Readonly<Record<string, string>> = { '\u0153': 'oe', '\u0152': 'OE' };

function foldLetter(char: string): string | null {
  if (LIGATURES[char]) return LIGATURES[char];
  const base = char.normalize('NFD').replace(/\p{M}+/gu, '');
  return base !== char && base.length > 0 && isGsm7Text(base) ? base : null;
}

export interface GsmReplacement {
  replacement: string;
  /** true when the replacement changes the spelling (ê → e, ç → c, œ → oe). */
  lossy: boolean;
}

/** What the UI can suggest for one of `nonGsmChars`; null when there is no sensible GSM-7 stand-in (emoji…). */
export function suggestGsmReplacement(char: string): GsmReplacement | null {
  const nfc = char.normalize('NFC');
  if (nfc !== char && isGsm7Text(nfc)) return { replacement: nfc, lossy: false };
  const safe = SAFE_REPLACEMENTS[nfc];
  if (safe !== undefined) return { replacement: safe, lossy: false };
  const folded = foldLetter(nfc);
  return folded === null ? null : { replacement: folded, lossy: true };
}

export interface GsmFriendlyOptions {
  /** Also replace accented letters that GSM-7 lacks by their base letter (â → a, ê → e, ç → c, œ → oe). */
  foldAccents?: boolean;
}

/**
 * Rewrites what has a GSM-7 equivalent: NFC composition (e + ◌́ → é), typographic quotes and apostrophes,
 * guillemets (with the spaces inside them), ellipsis, dashes, special spaces, tabs, CRLF → LF. With
 * `foldAccents`, also folds accented letters missing from GSM-7. Emoji and anything else are left as they are.
 */
export function toGsmFriendly(text: string, options: GsmFriendlyOptions = {}): string {
  let out = text.normalize('NFC').replace(/\r\n/g, '\n');
  out = out.replace(/\u00AB[ \u00A0\u202F\u2009]*/g, '"').replace(/[ \u00A0\u202F\u2009]*\u00BB/g, '"');
  let result = '';
  for (const cp of out) {
    if (gsm7Septets(cp) !== null) {
      result += cp;
      continue;
    }
    const safe = SAFE_REPLACEMENTS[cp];
    if (safe !== undefined) {
      result += safe;
      continue;
    }
    const folded = options.foldAccents ? foldLetter(cp) : null;
    result += folded ?? cp;
  }
  return result;
}

export interface SmsCostEstimate {
  segments: number;
  recipients: number;
  /** segments × recipients: what the provider bills. */
  billableSegments: number;
  unitPriceMicros: number;
  totalMicros: number;
}

/** Cost of sending a message of `segments` SMS to `recipients` at `unitPriceMicros` per SMS (integers). */
export function smsCostEstimate(segments: number, recipients: number, unitPriceMicros: number): SmsCostEstimate {
  for (const [name, value] of [['segments', segments], ['recipients', recipients], ['unitPriceMicros', unitPriceMicros]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
  }
  const billableSegments = segments * recipients;
  const totalMicros = billableSegments * unitPriceMicros;
  if (!Number.isSafeInteger(totalMicros)) throw new RangeError('cost estimate out of range');
  return { segments, recipients, billableSegments, unitPriceMicros, totalMicros };
}
