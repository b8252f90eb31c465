import type { IncomingMessage } from 'node:http';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { FetchRefusedError } from '../../shared/url-fetcher.js';

/**
 * Streams a response body into memory with a hard cap, decoding `Content-Encoding` (gzip, deflate, br) on
 * the way. The cap applies to the raw bytes AND to the decoded bytes, so a few kilobytes of gzip that
 * inflate to gigabytes (a zip bomb) stop at the cap: nothing beyond `maxBytes + one chunk` is ever held.
 */

export interface ReadBodyOptions {
  maxBytes: number;
  /** Keep the first `maxBytes` and stop reading instead of refusing (robots.txt: RFC 9309 parses the first 500 KiB). */
  truncate?: boolean;
  signal?: AbortSignal;
}

/** Raised by the sink when the cap is reached; turned into `tooLarge` (or a truncated body). */
class CapReached extends Error {
  constructor() {
    super('body cap reached');
  }
}

/** Content codings in the order they were applied, lower-cased, without `identity`. */
export function contentCodings(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

// Tolerate truncated streams like browsers do (a missing gzip trailer is common), but never a corrupt one.
const LENIENT = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

/**
 * `deflate` is meant to be zlib-wrapped (RFC 9110) but some servers send raw deflate: look at the first
 * byte, then delegate to the right inflater while keeping its backpressure.
 */
class DeflateDecoder extends Transform {
  private inner?: zlib.Inflate | zlib.InflateRaw;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.inner) {
      const zlibWrapped = chunk.length >= 2 && (chunk[0] & 0x0f) === 8 && ((chunk[0] << 8) | chunk[1]) % 31 === 0;
      this.inner = zlibWrapped ? zlib.createInflate(LENIENT) : zlib.createInflateRaw(LENIENT);
      this.inner.on('data', (out: Buffer) => {
        if (!this.push(out)) this.inner?.pause();
      });
      this.inner.on('error', (err) => this.destroy(err));
    }
    if (this.inner.write(chunk)) callback();
    else this.inner.once('drain', () => callback());
  }

  override _read(size: number): void {
    this.inner?.resume();
    super._read(size);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.inner) return callback();
    this.inner.once('end', () => callback());
    this.inner.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner?.destroy();
    callback(error);
  }
}

function decoderFor(coding: string): Transform | undefined {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip(LENIENT);
    case 'deflate':
      return new DeflateDecoder();
    case 'br':
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      return undefined;
  }
}

function counter(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) return callback(new CapReached());
      callback(null, chunk);
    },
  });
}

export async function readBody(res: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const { maxBytes, truncate = false, signal } = options;
  const codings = contentCodings(res.headers['content-encoding']);
  const decoders: Transform[] = [];
  for (const coding of [...codings].reverse()) {
    const decoder = decoderFor(coding);
    if (!decoder) {
      res.destroy();
      throw new FetchRefusedError('contentType', { contentType: `content-encoding: ${coding}` });
    }
    decoders.push(decoder);
  }

  const declared = Number(res.headers['content-length']);
  if (!truncate && codings.length === 0 && Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw new CapReached();
  }

  const chunks: Buffer[] = [];
  let total = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const room = maxBytes - total;
      if (chunk.length > room) {
        if (truncate && room > 0) chunks.push(chunk.subarray(0, room));
        total = maxBytes;
        return callback(new CapReached());
      }
      chunks.push(chunk);
      total += chunk.length;
      callback();
    },
  });

  try {
    // The raw bytes are capped too: no legitimate compressed body is larger than what it decodes to.
    await pipeline([res, counter(maxBytes), ...decoders, sink], { signal });
  } catch (err) {
    if (err instanceof CapReached && truncate) return Buffer.concat(chunks);
    throw err;
  }
  return Buffer.concat(chunks);
}

/** Is this the cap error (so the caller maps it to `tooLarge`)? */
export function isCapReached(err: unknown): boolean {
  return err instanceof CapReached;
}
