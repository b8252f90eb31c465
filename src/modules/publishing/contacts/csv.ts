import { parse } from 'csv-parse/sync';

/**
 * CSV in and out of the contacts. Reading: UTF-8 with or without BOM, else Windows-1252 (what French Excel
 * writes with "CSV (séparateur : point-virgule)"), `;`, `,` or tab detected from the header line. Writing: UTF-8
 * with BOM and `;` so French Excel opens it as-is, and every cell that a spreadsheet would take for a formula
 * neutralised (OWASP "CSV injection").
 */

export class CsvReadError extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = 'CsvReadError';
  }
}

export interface CsvTable {
  delimiter: string;
  encoding: 'utf-8' | 'windows-1252';
  header: string[];
  /** Data rows with their 1-based line number in the file (the header is line 1). */
  rows: { line: number; cells: string[] }[];
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

// Windows-1252's 0x80–0x9F (Node's TextDecoder reads them as C1 controls, i.e. as Latin-1); 0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

function decodeWindows1252(data: Buffer): string {
  let out = '';
  for (const byte of data) out += byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80] : String.fromCharCode(byte);
  return out;
}

export function decodeCsv(data: Buffer): { text: string; encoding: CsvTable['encoding'] } {
  // A NUL byte never appears in a text file: a spreadsheet (.xlsx is a zip), an image or a UTF-16 export.
  if (data.includes(0)) throw new CsvReadError('contacts.errors.notCsv');
  if (data.subarray(0, 3).equals(UTF8_BOM)) return { text: new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(3)), encoding: 'utf-8' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(data), encoding: 'utf-8' };
  } catch {
    return { text: decodeWindows1252(data), encoding: 'windows-1252' };
  }
}

/** The separator that splits the header line most (outside quotes). */
export function detectDelimiter(text: string): string {
  const firstLine = text.split(/\r\n|\n|\r/, 1)[0] ?? '';
  const counts = new Map<string, number>([[';', 0], [',', 0], ['\t', 0]]);
  let quoted = false;
  for (const c of firstLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = ',';
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}

export function readCsv(data: Buffer, options: { maxRows: number }): CsvTable {
  const { text, encoding } = decodeCsv(data);
  if (!text.trim()) throw new CsvReadError('contacts.errors.emptyFile');
  const delimiter = detectDelimiter(text);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
      max_record_size: 64 * 1024,
      to_line: options.maxRows + 2,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch {
    throw new CsvReadError('contacts.errors.unreadableCsv');
  }
  if (!records.length) throw new CsvReadError('contacts.errors.emptyFile');
  const [head, ...rest] = records;
  if (rest.length > options.maxRows) throw new CsvReadError('contacts.errors.tooManyRows');
  // info.lines is the line where the record ends (a quoted cell may span lines)
  return { delimiter, encoding, header: head.record, rows: rest.map((r) => ({ line: r.info.lines, cells: r.record })) };
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell as a spreadsheet must show it: a leading formula character is escaped with `'`. */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** The inverse, for re-importing our own export: `'=…` becomes `=…` again (stored data is never executed). */
export function unneutralizeCell(value: string): string {
  return value.length > 1 && value[0] === "'" && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

function quoteCell(value: string, delimiter: string): string {
  const safe = neutralizeCell(value);
  return safe.includes(delimiter) || /["\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A whole CSV document: BOM, `;`, CRLF line ends (RFC 4180). */
export function writeCsv(header: string[], rows: (string | null | undefined)[][], delimiter = ';'): string {
  const line = (cells: (string | null | undefined)[]) => cells.map((c) => quoteCell(c ?? '', delimiter)).join(delimiter);
  return '\uFEFF' + [line(header), ...rows.map(line)].join('\r\n') + '\r\n';
}
