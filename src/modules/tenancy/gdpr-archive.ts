import { PassThrough, type Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { neutralizeCell } from '../publishing/contacts/csv.js';

/**
 * A zip archive written as a stream, one entry after the other, with back-pressure: the bytes go to `stream` (handed
 * to object storage) and a writer waits whenever the reader is behind, so a large table or file never sits whole in
 * memory. fflate writes no Zip64 records: an archive stays under 4 GiB.
 */
export class ZipArchiveWriter {
  readonly stream = new PassThrough();
  private readonly zip: Zip;
  private bytes = 0;

  constructor() {
    this.zip = new Zip((err, chunk, final) => {
      if (err) {
        this.stream.destroy(err);
        return;
      }
      this.bytes += chunk.length;
      this.stream.write(chunk);
      if (final) this.stream.end();
    });
  }

  get size(): number {
    return this.bytes;
  }

  /** Opens an entry; `compress` is off for files that are compressed already (images, audio, PDFs). */
  entry(name: string, options: { compress: boolean } = { compress: true }): ZipEntryWriter {
    const file = options.compress ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
    this.zip.add(file);
    return new ZipEntryWriter(file, () => this.drained());
  }

  async addStream(name: string, source: Readable, options: { compress: boolean }): Promise<void> {
    const entry = this.entry(name, options);
    for await (const chunk of source) await entry.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    await entry.end();
  }

  async finish(): Promise<void> {
    this.zip.end();
    await this.drained();
  }

  /** The archive could not be completed: the reader gets the error (and storage drops the object). */
  abort(err: Error): void {
    this.zip.terminate();
    this.stream.destroy(err);
  }

  private drained(): Promise<void> {
    const stream = this.stream;
    if (!stream.writableNeedDrain || stream.destroyed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        stream.off('drain', onDrain);
        stream.off('close', onClose);
        stream.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(stream.errored ?? undefined);
      stream.on('drain', onDrain);
      stream.on('close', onClose);
      stream.on('error', done);
    });
  }
}

export class ZipEntryWriter {
  private pending: Uint8Array | null = null;

  constructor(
    private readonly file: ZipDeflate | ZipPassThrough,
    private readonly drained: () => Promise<void>,
  ) {}

  /** Text is written as UTF-8. The last chunk is held back so that `end()` can mark it final. */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length === 0) return;
    if (this.pending) {
      this.file.push(this.pending);
      await this.drained();
    }
    this.pending = bytes;
  }

  async end(): Promise<void> {
    this.file.push(this.pending ?? new Uint8Array(0), true);
    this.pending = null;
    await this.drained();
  }
}

/**
 * CSV for French Excel, as the contacts export writes it: `;` between cells, CRLF, and every cell a spreadsheet
 * would run as a formula neutralised (`neutralizeCell`). The BOM goes first in the file (`CSV_BOM`).
 */
export const CSV_BOM = '\uFEFF';

const NUMBER = /^-?\d+(\.\d+)?$/;

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvCell).join(';') + '\r\n';
}

function csvCell(value: string): string {
  // a plain number (a negative amount) is no formula: only text is neutralised
  const safe = NUMBER.test(value) ? value : neutralizeCell(value);
  return safe.includes(';') || /["\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A JSON value as one CSV cell: text as is, nested values as JSON, null as empty. */
export function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
