import fs from 'node:fs';
import zlib from 'node:zlib';
import { FetchRefusedError, type FetchOptions, type FetchedResource, type UrlFetcher } from '../../../../src/shared/url-fetcher.js';

/** The shared real-world corpus (`/work/shared/corpus`, a sibling of the repository). */
export const CORPUS = new URL('../../../../../shared/corpus/', import.meta.url);

export function corpusFile(relative: string): Buffer {
  return fs.readFileSync(new URL(relative, CORPUS));
}

export function corpusDirs(relative: string): string[] {
  return fs.readdirSync(new URL(relative, CORPUS), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
}

/** Whitespace collapsed to single spaces. */
export function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export type Route =
  | { status?: number; contentType: string; charset?: string; body: string | Buffer; redirectTo?: string }
  | { refuse: FetchRefusedError['reason'] };

/**
 * An in-memory `UrlFetcher` serving fixed routes (exact URL → response). Like the real adapter it refuses unknown
 * URLs (`httpStatus`), non-2xx statuses and content types outside `accept`, and reports the final URL after a redirect.
 */
export class InMemoryUrlFetcher implements UrlFetcher {
  readonly requests: { url: string; options?: FetchOptions }[] = [];

  constructor(private readonly routes: Record<string, Route>) {}

  async fetch(url: string, options?: FetchOptions): Promise<FetchedResource> {
    this.requests.push({ url, options });
    let current = url;
    for (let hops = 0; hops <= (options?.maxRedirects ?? 5); hops++) {
      const route = this.routes[current];
      if (!route) throw new FetchRefusedError('httpStatus', { status: 404 });
      if ('refuse' in route) throw new FetchRefusedError(route.refuse);
      if (route.redirectTo) {
        current = new URL(route.redirectTo, current).href;
        continue;
      }
      const status = route.status ?? 200;
      if (status < 200 || status > 299) throw new FetchRefusedError('httpStatus', { status });
      const contentType = route.contentType.toLowerCase();
      if (options?.accept && !options.accept.some((prefix) => contentType.startsWith(prefix))) {
        throw new FetchRefusedError('contentType', { contentType });
      }
      return {
        url: current,
        status,
        contentType,
        ...(route.charset ? { charset: route.charset } : {}),
        headers: { 'content-type': route.charset ? `${contentType}; charset=${route.charset}` : contentType },
        body: Buffer.isBuffer(route.body) ? route.body : Buffer.from(route.body, 'utf8'),
        notModified: false,
      };
    }
    throw new FetchRefusedError('tooManyRedirects');
  }
}

/**
 * A small, valid PDF (correct xref) with `pages` pages sharing one content stream, optionally deflated: the way to
 * make a page-count bomb or a decompression bomb without shipping one.
 */
export function buildPdf(pages: number, content: string, deflate = false): Buffer {
  const objects: Buffer[] = [];
  const add = (body: string | Buffer) => objects.push(Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'));
  add('<< /Type /Catalog /Pages 2 0 R >>');
  const kids = Array.from({ length: pages }, (_, i) => `${5 + i} 0 R`).join(' ');
  add(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`);
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const raw = Buffer.from(content, 'latin1');
  const stream = deflate ? zlib.deflateSync(raw, { level: 9 }) : raw;
  add(
    Buffer.concat([
      Buffer.from(`<< /Length ${stream.length}${deflate ? ' /Filter /FlateDecode' : ''} >>\nstream\n`),
      stream,
      Buffer.from('\nendstream'),
    ]),
  );
  for (let i = 0; i < pages; i++) {
    add('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>');
  }
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0].length;
  objects.forEach((body, i) => {
    const object = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    offsets.push(length);
    parts.push(object);
    length += object.length;
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}
