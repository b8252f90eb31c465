/**
 * Decoding of HTML bytes, in the order of the HTML standard's encoding sniffing: a byte-order mark, then the
 * transport charset (Content-Type header), then a `<meta charset>` / `<meta http-equiv="Content-Type">` (or an XML
 * declaration) in the first bytes, then UTF-8 if the bytes are valid UTF-8, else windows-1252.
 */

/** How many leading bytes are searched for a `<meta charset>` (the standard says 1024; real pages put it later). */
const SNIFF_BYTES = 8192;

export interface DecodedHtml {
  html: string;
  /** The encoding actually used (a WHATWG encoding name, e.g. `utf-8`, `windows-1252`). */
  encoding: string;
  source: 'bom' | 'transport' | 'meta' | 'default';
}

/** Bytes 0x80–0x9F of windows-1252 (undefined ones stay C1 controls, as the WHATWG index says). */
const WINDOWS_1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

/**
 * Decodes with a WHATWG encoding. windows-1252 (which every `latin1` / `iso-8859-1` label means) is done here: Node 20's
 * TextDecoder decodes it as plain ISO-8859-1, turning € ’ “ ” … œ into C1 control characters.
 */
export function decodeBytes(bytes: Uint8Array, encoding: string): string {
  if (encoding !== 'windows-1252') return new TextDecoder(encoding).decode(bytes);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    .toString('latin1')
    .replace(/[\u0080-\u009F]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]);
}

/** The WHATWG name for a label, or undefined when TextDecoder does not know it. */
export function encodingFor(label: string | undefined): string | undefined {
  if (!label) return undefined;
  const clean = label.trim().replace(/^["']|["']$/g, '').toLowerCase();
  if (!clean) return undefined;
  try {
    const encoding = new TextDecoder(clean).encoding;
    // A document that declares UTF-16 in ASCII-compatible bytes is really UTF-8 (HTML standard, "prescan").
    return encoding.startsWith('utf-16') ? 'utf-8' : encoding;
  } catch {
    return clean === 'x-user-defined' ? 'windows-1252' : undefined;
  }
}

function bomEncoding(bytes: Uint8Array): { encoding: string; skip: number } | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  return undefined;
}

/** The charset declared by a `<meta>` or XML declaration in the first bytes, if any (unvalidated label). */
export function sniffMetaCharset(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SNIFF_BYTES)).toString('latin1');
  const withoutComments = head.replace(/<!--[\s\S]*?-->/g, '');
  for (const meta of withoutComments.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = meta[0];
    const direct = /\bcharset\s*=\s*["']?\s*([^\s"'/>;]+)/i.exec(tag);
    if (direct) return direct[1];
  }
  const xml = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/i.exec(withoutComments);
  return xml?.[1];
}

/** Decodes HTML bytes (see the module comment for the order). Never throws: undecodable bytes become U+FFFD. */
export function decodeHtml(bytes: Uint8Array, transportCharset?: string): DecodedHtml {
  const bom = bomEncoding(bytes);
  if (bom) {
    return { html: decodeBytes(bytes.subarray(bom.skip), bom.encoding), encoding: bom.encoding, source: 'bom' };
  }
  const transport = encodingFor(transportCharset);
  if (transport) return { html: decodeBytes(bytes, transport), encoding: transport, source: 'transport' };
  const declared = encodingFor(sniffMetaCharset(bytes));
  if (declared) return { html: decodeBytes(bytes, declared), encoding: declared, source: 'meta' };
  try {
    return { html: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8', source: 'default' };
  } catch {
    return { html: decodeBytes(bytes, 'windows-1252'), encoding: 'windows-1252', source: 'default' };
  }
}
