/**
 * The competitors' web sites of the `watch` benchmark, in a child process (so serving them does not count in the
 * poller's CPU): one HTTP server on 127.0.0.1 answering for every host name, `/s/<n>` being source n. Bodies are real
 * corpus files (RSS feeds, product pages, articles); every response waits 50–300 ms; 95 % of the sources send ETag and
 * Last-Modified and answer conditional requests with 304, the other 5 % ignore them. The parent changes sources
 * between passes (`mutate`) and reads the counters (`stats`) over IPC.
 *
 *   node --import tsx bench/support/watch-site.ts '{"sources":1000}'
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type SiteKind = 'feed' | 'product' | 'article';

export type SiteCommand = { type: 'mutate'; sources: number[] } | { type: 'stats' } | { type: 'stop' };
export type SiteMessage =
  | { type: 'ready'; port: number }
  | { type: 'mutated'; count: number }
  | { type: 'stats'; requests: number; statuses: Record<string, number>; bytesSent: number; maxInFlightPerHost: number };

const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');
/** Bytes as latin1 strings, so edits never re-encode the files. */
const read = (file: string) => fs.readFileSync(path.join(CORPUS, file)).toString('latin1');

export const FEEDS = ['guardian-us.rss', 'fr-pcinpact.rss', 'fr-rue89.rss', 'fr-sametmax-wordpress.rss', 'fr-jeuxlinux-spip.rss', 'medium-tagged-food.rss', 'itunes-podcast-sample.rss'];
export const PRODUCTS = ['farah-polo-shirt.html', 'farah-long-sleeve-checked-shirt.html', 'farah-long-sleeve-shirt-price-range.html'];
export const ARTICLES = ['readability-lemonde-1', 'readability-liberation-1', 'readability-gitlab-blog', 'readability-wordpress', 'readability-topicseed-1', 'graby-framablog-fr', 'readability-iab-1'];

/** 40 % feeds, 30 % product pages (selectors), 30 % articles (full text). */
export function kindOf(source: number): SiteKind {
  const slot = source % 10;
  return slot < 4 ? 'feed' : slot < 7 ? 'product' : 'article';
}

/** One source in twenty ignores conditional GET. */
export function sendsValidators(source: number): boolean {
  return source % 20 !== 7;
}

function template(source: number): string {
  const kind = kindOf(source);
  if (kind === 'feed') return read(`feeds/real/${FEEDS[source % FEEDS.length]}`);
  if (kind === 'product') return read(`prices/pages/${PRODUCTS[source % PRODUCTS.length]}`);
  return read(`html/${ARTICLES[source % ARTICLES.length]}/source.html`);
}

/** Version v of a source: v new feed items, a price moved v times, or v sentences added to an article paragraph. */
function body(base: string, kind: SiteKind, source: number, version: number): Buffer {
  if (version === 0) return Buffer.from(base, 'latin1');
  let text = base;
  if (kind === 'feed') {
    const items = Array.from({ length: version }, (_, k) => `<item><guid isPermaLink="false">bench-${source}-${k + 1}</guid><title>Nouveauté ${k + 1} du concurrent ${source}</title><link>https://shop.example/${source}/${k + 1}</link><description>Offre de lancement n°${k + 1}</description></item>`).join('');
    const at = text.indexOf('<item');
    text = text.slice(0, at) + items + text.slice(at);
  } else if (kind === 'product') {
    text = text.replace(/(itemprop="lowPrice"[^>]*>\s*&pound;)\d+\.\d\d/, `$1${40 + version}.00`);
  } else {
    const at = text.indexOf('</p>', Math.floor(text.length / 2));
    text = `${text.slice(0, at)} Mise à jour ${version} de cet article.${text.slice(at)}`;
  }
  return Buffer.from(text, 'latin1');
}

const EPOCH = Date.UTC(2026, 0, 5, 9, 0, 0);

function delayMs(source: number, version: number, request: number): number {
  const digest = crypto.createHash('sha256').update(`${source}:${version}:${request}`).digest();
  return 50 + (digest.readUInt32BE(0) % 251);
}

function main(): void {
  const { sources } = JSON.parse(process.argv[2] ?? '{}') as { sources: number };
  const templates = Array.from({ length: sources }, (_, i) => template(i));
  const versions = new Array<number>(sources).fill(0);
  const bodies = new Map<number, Buffer>();
  const bodyOf = (i: number) => {
    let cached = bodies.get(i);
    if (!cached) bodies.set(i, (cached = body(templates[i], kindOf(i), i, versions[i])));
    return cached;
  };
  const stats = { requests: 0, statuses: {} as Record<string, number>, bytesSent: 0, maxInFlightPerHost: 0 };
  const inFlight = new Map<string, number>();

  const server = http.createServer((req, res) => {
    stats.requests++;
    const host = req.headers.host ?? '';
    const now = (inFlight.get(host) ?? 0) + 1;
    inFlight.set(host, now);
    stats.maxInFlightPerHost = Math.max(stats.maxInFlightPerHost, now);
    const send = (status: number, headers: Record<string, string>, data?: Buffer) => {
      stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
      stats.bytesSent += data?.length ?? 0;
      res.writeHead(status, headers).end(data);
    };
    res.once('close', () => inFlight.set(host, (inFlight.get(host) ?? 1) - 1));
    const match = /^\/s\/(\d+)$/.exec(req.url ?? '');
    const source = match ? Number(match[1]) : -1;
    if (source < 0 || source >= sources) {
      send(404, { 'content-type': 'text/plain' }, Buffer.from('not found'));
      return;
    }
    const version = versions[source];
    setTimeout(() => {
      const kind = kindOf(source);
      const headers: Record<string, string> = { 'content-type': kind === 'feed' ? 'application/rss+xml' : 'text/html' };
      if (sendsValidators(source)) {
        const etag = `"${source}-${version}"`;
        const lastModified = new Date(EPOCH + version * 60_000).toUTCString();
        headers.etag = etag;
        headers['last-modified'] = lastModified;
        const inm = req.headers['if-none-match'];
        const ims = req.headers['if-modified-since'];
        if (inm ? inm === etag : ims ? Date.parse(ims) >= Date.parse(lastModified) : false) {
          send(304, headers);
          return;
        }
      }
      const data = bodyOf(source);
      headers['content-length'] = String(data.length);
      send(200, headers, data);
    }, delayMs(source, version, stats.requests));
  });

  process.on('message', (command: SiteCommand) => {
    if (command.type === 'mutate') {
      for (const i of command.sources) {
        versions[i]++;
        bodies.delete(i);
      }
      process.send!({ type: 'mutated', count: command.sources.length } satisfies SiteMessage);
    } else if (command.type === 'stats') {
      process.send!({ type: 'stats', ...stats } satisfies SiteMessage);
    } else {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
  server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies SiteMessage));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
