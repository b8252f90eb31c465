import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { LocalDiskStorage } from '../../../../src/adapters/storage/local-disk-storage.js';
import { InvalidStorageKeyError, StorageObjectNotFoundError } from '../../../../src/modules/brand/media-ports.js';

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('LocalDiskStorage', () => {
  let base: string;
  let root: string;
  let storage: LocalDiskStorage;
  const tenant = '6f1c3a52-9a4e-4f53-8d1e-2b7c9e0a1f11';

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'cadence-storage-'));
    root = path.join(base, 'media');
    storage = new LocalDiskStorage({ root });
    fs.writeFileSync(path.join(base, 'outside.txt'), 'secret');
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('puts a buffer or a stream under <root>/<key>, mode 0640, and reads it back', async () => {
    await storage.put(`${tenant}/a1/original.png`, Buffer.from('png bytes'), { contentType: 'image/png' });
    await storage.put(`${tenant}/a1/thumbnail.webp`, Readable.from([Buffer.from('we'), Buffer.from('bp')]), { contentType: 'image/webp' });
    const file = path.join(root, tenant, 'a1', 'original.png');
    expect(fs.readFileSync(file, 'utf8')).to.equal('png bytes');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o640);
    expect((await read(await storage.get(`${tenant}/a1/thumbnail.webp`))).toString()).to.equal('webp');
    // no temporary file left behind
    expect(fs.readdirSync(path.join(root, tenant, 'a1')).sort()).to.deep.equal(['original.png', 'thumbnail.webp']);
  });

  it('replaces an object atomically and deletes one object or a whole prefix', async () => {
    await storage.put(`${tenant}/a1/original.png`, Buffer.from('v1'), { contentType: 'image/png' });
    await storage.put(`${tenant}/a1/original.png`, Buffer.from('v2'), { contentType: 'image/png' });
    expect((await read(await storage.get(`${tenant}/a1/original.png`))).toString()).to.equal('v2');
    await storage.put(`${tenant}/a1/thumbnail.webp`, Buffer.from('t'), { contentType: 'image/webp' });
    await storage.put(`${tenant}/a10/original.png`, Buffer.from('other'), { contentType: 'image/png' });
    await storage.delete(`${tenant}/a1/thumbnail.webp`);
    await storage.delete(`${tenant}/a1/never-stored.webp`); // nothing there: not an error
    expect(await rejection(storage.get(`${tenant}/a1/thumbnail.webp`))).to.be.instanceOf(StorageObjectNotFoundError);
    await storage.deletePrefix(`${tenant}/a1`);
    expect(fs.existsSync(path.join(root, tenant, 'a1'))).to.equal(false);
    // whole segments only: a1 never covers a10
    expect((await read(await storage.get(`${tenant}/a10/original.png`))).toString()).to.equal('other');
    await storage.deletePrefix(`${tenant}/`);
    expect(fs.existsSync(path.join(root, tenant))).to.equal(false);
    expect(fs.existsSync(root)).to.equal(true);
  });

  it('a missing object, or a directory, is not found', async () => {
    expect(await rejection(storage.get(`${tenant}/nothing`))).to.be.instanceOf(StorageObjectNotFoundError);
    await storage.put(`${tenant}/a1/original.png`, Buffer.from('x'), { contentType: 'image/png' });
    expect(await rejection(storage.get(`${tenant}/a1`))).to.be.instanceOf(StorageObjectNotFoundError);
  });

  it('refuses every key that could leave the root (path traversal), for every operation', async () => {
    const bad = [
      '../outside.txt',
      `${tenant}/../../outside.txt`,
      `${tenant}/..`,
      '..',
      '.',
      `${tenant}/./a`,
      '/etc/passwd',
      `${tenant}//a`,
      '..\\outside.txt',
      `${tenant}\\..\\..\\outside.txt`,
      `${tenant}/a\u0000.png`,
      '%2e%2e/outside.txt',
      `${tenant}/.hidden`,
      `${tenant}/a b.png`,
      '',
      'a'.repeat(1025),
    ];
    for (const key of bad) {
      for (const op of [
        () => storage.put(key, Buffer.from('x'), { contentType: 'text/plain' }),
        () => storage.get(key),
        () => storage.delete(key),
        () => storage.deletePrefix(key),
      ]) {
        const err = await rejection(op());
        expect(err, JSON.stringify(key)).to.be.instanceOf(InvalidStorageKeyError);
      }
    }
    // a trailing slash is a prefix, never an object
    for (const op of [() => storage.put(`${tenant}/a/`, Buffer.from('x'), { contentType: 'text/plain' }), () => storage.get(`${tenant}/a/`)]) {
      expect(await rejection(op())).to.be.instanceOf(InvalidStorageKeyError);
    }
    expect(fs.readFileSync(path.join(base, 'outside.txt'), 'utf8')).to.equal('secret');
    expect(fs.existsSync(path.join(base, 'x'))).to.equal(false);
  });

  it('never follows a key out of the root even through a symbolic link planted inside it', async () => {
    fs.mkdirSync(root, { recursive: true });
    fs.symlinkSync(base, path.join(root, 'link'));
    // the key syntax is fine, the file system would escape: reading through a link is the operator's choice, but
    // deleting a prefix removes the link itself, never what it points to
    await storage.deletePrefix('link');
    expect(fs.existsSync(path.join(base, 'outside.txt'))).to.equal(true);
  });
});
