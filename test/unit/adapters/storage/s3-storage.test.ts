import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { S3Storage } from '../../../../src/adapters/storage/s3-storage.js';
import { InvalidStorageKeyError, StorageObjectNotFoundError } from '../../../../src/modules/brand/media-ports.js';

/** The few S3 REST operations the adapter uses (path style), in memory, with a request log. */
function fakeS3(bucket: string) {
  const objects = new Map<string, { body: Buffer; contentType?: string }>();
  const log: { method: string; key: string; query: string; auth: boolean }[] = [];
  const xml = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'Content-Type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, b, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    log.push({ method: req.method ?? '', key, query: url.search, auth: /^AWS4-HMAC-SHA256 Credential=test-key\//.test(req.headers.authorization ?? '') });
    if (b !== bucket) return xml(res, 404, '<Error><Code>NoSuchBucket</Code><Message>no bucket</Message></Error>');
    if (req.method === 'PUT' && key) {
      objects.set(key, { body, contentType: req.headers['content-type'] });
      res.writeHead(200, { ETag: '"etag"' });
      return res.end();
    }
    if (req.method === 'GET' && key) {
      const o = objects.get(key);
      if (!o) return xml(res, 404, `<Error><Code>NoSuchKey</Code><Message>missing</Message><Key>${key}</Key></Error>`);
      res.writeHead(200, { 'Content-Type': o.contentType ?? 'application/octet-stream', 'Content-Length': o.body.length });
      return res.end(o.body);
    }
    if (req.method === 'DELETE' && key) {
      objects.delete(key);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Number(url.searchParams.get('max-keys') ?? 1000);
      const after = url.searchParams.get('continuation-token') ?? ''; // opaque to clients: here, the last key listed
      const all = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
      const page = all.slice(0, Math.min(max, 2)); // tiny pages: pagination is exercised
      const truncated = page.length < all.length;
      return xml(
        res,
        200,
        `<ListBucketResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${
          truncated ? `<NextContinuationToken>${page[page.length - 1]}</NextContinuationToken>` : ''
        }${page.map((k) => `<Contents><Key>${k}</Key><Size>${objects.get(k)!.body.length}</Size></Contents>`).join('')}</ListBucketResult>`,
      );
    }
    if (req.method === 'POST' && url.searchParams.has('delete')) {
      const keys = [...body.toString().matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
      for (const k of keys) objects.delete(k);
      return xml(res, 200, `<DeleteResult>${keys.map((k) => `<Deleted><Key>${k}</Key></Deleted>`).join('')}</DeleteResult>`);
    }
    xml(res, 400, '<Error><Code>NotImplemented</Code></Error>');
  });
  return { server, objects, log };
}

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe('S3Storage (against a local S3-compatible endpoint)', () => {
  const tenant = '6f1c3a52-9a4e-4f53-8d1e-2b7c9e0a1f11';
  let fake: ReturnType<typeof fakeS3>;
  let storage: S3Storage;

  before(async () => {
    fake = fakeS3('cadence-media');
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as AddressInfo;
    storage = new S3Storage({
      bucket: 'cadence-media',
      region: 'eu-west-3',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test-key', secretAccessKey: 'test-secret' },
      keyPrefix: 'media',
    });
  });
  after(async () => {
    storage.destroy();
    await new Promise((resolve) => fake.server.close(resolve));
  });
  beforeEach(() => {
    fake.objects.clear();
    fake.log.length = 0;
  });

  it('puts (buffer or stream) under the key prefix with its content type, signed, and gets it back as a stream', async () => {
    await storage.put(`${tenant}/a1/original.png`, Buffer.from('png bytes'), { contentType: 'image/png' });
    await storage.put(`${tenant}/a1/thumbnail.webp`, Readable.from([Buffer.from('we'), Buffer.from('bp')]), { contentType: 'image/webp' });
    expect([...fake.objects.keys()].sort()).to.deep.equal([`media/${tenant}/a1/original.png`, `media/${tenant}/a1/thumbnail.webp`]);
    expect(fake.objects.get(`media/${tenant}/a1/original.png`)!.contentType).to.equal('image/png');
    expect(fake.log.every((r) => r.auth)).to.equal(true);
    expect((await read(await storage.get(`${tenant}/a1/original.png`))).toString()).to.equal('png bytes');
    expect((await read(await storage.get(`${tenant}/a1/thumbnail.webp`))).toString()).to.equal('webp');
  });

  it('a missing object is StorageObjectNotFoundError; deleting one is idempotent', async () => {
    const err = await storage.get(`${tenant}/nothing`).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StorageObjectNotFoundError);
    await storage.put(`${tenant}/a1/original.png`, Buffer.from('x'), { contentType: 'image/png' });
    await storage.delete(`${tenant}/a1/original.png`);
    await storage.delete(`${tenant}/a1/original.png`);
    expect(fake.objects.size).to.equal(0);
  });

  it('deletes every object under a prefix (whole segments, across list pages), and nothing else', async () => {
    for (const name of ['original.png', 'thumbnail.webp', 'x1', 'x2', 'x3']) {
      await storage.put(`${tenant}/a1/${name}`, Buffer.from(name), { contentType: 'application/octet-stream' });
    }
    await storage.put(`${tenant}/a10/original.png`, Buffer.from('keep'), { contentType: 'image/png' });
    await storage.deletePrefix(`${tenant}/a1`);
    expect([...fake.objects.keys()]).to.deep.equal([`media/${tenant}/a10/original.png`]);
    expect(fake.log.filter((r) => r.method === 'GET' && r.query.includes('list-type=2')).length).to.be.greaterThan(1);
  });

  it('refuses unsafe keys before any request', async () => {
    for (const key of ['../x', `${tenant}/../other/x`, '/abs', 'a//b', '', 'a\\b']) {
      const err = await storage.put(key, Buffer.from('x'), { contentType: 'text/plain' }).catch((e: unknown) => e);
      expect(err, key).to.be.instanceOf(InvalidStorageKeyError);
      expect(await storage.deletePrefix(key).catch((e: unknown) => e), key).to.be.instanceOf(InvalidStorageKeyError);
    }
    expect(fake.log).to.have.length(0);
  });
});
