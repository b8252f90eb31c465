import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidStorageKeyError, StorageObjectNotFoundError, type ObjectStorage } from '../../modules/brand/media-ports.js';
import { keySegments, prefixSegments } from './keys.js';

const FILE_MODE = 0o640;
const DIR_MODE = 0o750;

export interface LocalDiskStorageOptions {
  /** The directory every key lives under (the media library uses `DATA_DIR/media`). Created when missing. */
  root: string;
}

/**
 * Objects as files under one root: `<root>/<key>`. Files are written to a temporary name then renamed (a reader
 * never sees half a file), with mode 0640 in directories of mode 0750. A key can never resolve outside the root.
 */
export class LocalDiskStorage implements ObjectStorage {
  readonly root: string;

  constructor(options: LocalDiskStorageOptions) {
    this.root = path.resolve(options.root);
  }

  async put(key: string, body: Buffer | Readable, _options: { contentType: string }): Promise<void> {
    const file = this.pathOf(keySegments(key), key);
    const dir = path.dirname(file);
    await fs.promises.mkdir(dir, { recursive: true, mode: DIR_MODE });
    // temporary names start with a dot: no key segment can (see keys.ts), so they never collide with an object
    const temp = path.join(dir, `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
    try {
      const out = fs.createWriteStream(temp, { flags: 'wx', mode: FILE_MODE });
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, out);
      await fs.promises.chmod(temp, FILE_MODE); // whatever the umask
      await fs.promises.rename(temp, file);
    } catch (err) {
      await fs.promises.rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(keySegments(key), key);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch (err) {
      if (isMissing(err)) throw new StorageObjectNotFoundError(key);
      throw err;
    }
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new StorageObjectNotFoundError(key);
    }
    return handle.createReadStream();
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(keySegments(key), key);
    await fs.promises.rm(file, { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    const target = this.pathOf(prefixSegments(prefix), prefix);
    await fs.promises.rm(target, { recursive: true, force: true });
  }

  /** The file of a key, checked to lie strictly inside the root (defence in depth after the key syntax). */
  private pathOf(segments: string[], key: string): string {
    const resolved = path.resolve(this.root, ...segments);
    if (!resolved.startsWith(this.root + path.sep)) throw new InvalidStorageKeyError(key);
    return resolved;
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
