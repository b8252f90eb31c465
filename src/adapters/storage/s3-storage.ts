import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { StorageObjectNotFoundError, type ObjectStorage } from '../../modules/brand/media-ports.js';
import { keySegments, prefixSegments } from './keys.js';

export interface S3StorageOptions {
  bucket: string;
  /** e.g. `eu-west-3`; `auto` for Cloudflare R2; any value a compatible service accepts. */
  region: string;
  /** For S3-compatible services (MinIO, Scaleway, OVHcloud, R2…); omitted for AWS. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by MinIO and most self-hosted services. */
  forcePathStyle?: boolean;
  /** Static credentials; without them the SDK's default chain applies (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Prepended to every key inside the bucket (e.g. `media/`), so the bucket can be shared. */
  keyPrefix?: string;
  /** Bounds each request (connection and response headers); default 30 s. */
  requestTimeoutMs?: number;
}

/**
 * Objects in an S3-compatible bucket. Keys are checked like on disk (the same syntax everywhere), prefixed with
 * `keyPrefix`. Checksums are only sent where the API requires them, which every compatible service accepts.
 */
export class S3Storage implements ObjectStorage {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keyPrefix: string;

  constructor(options: S3StorageOptions) {
    if (!options.bucket) throw new Error('S3Storage: bucket is required');
    this.bucket = options.bucket;
    this.keyPrefix = options.keyPrefix ? (options.keyPrefix.endsWith('/') ? options.keyPrefix : `${options.keyPrefix}/`) : '';
    if (this.keyPrefix) prefixSegments(this.keyPrefix);
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
      credentials: options.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
    });
  }

  async put(key: string, body: Buffer | Readable, options: { contentType: string }): Promise<void> {
    keySegments(key);
    // PutObject needs the length up front: a stream is read into memory (uploads are bounded by the caller)
    const data = Buffer.isBuffer(body) ? body : await collect(body);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key, Body: data, ContentLength: data.length, ContentType: options.contentType }),
    );
  }

  async get(key: string): Promise<Readable> {
    keySegments(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key }));
      if (!out.Body) throw new StorageObjectNotFoundError(key);
      return out.Body instanceof Readable ? out.Body : Readable.fromWeb(out.Body.transformToWebStream() as never);
    } catch (err) {
      if (isNotFound(err)) throw new StorageObjectNotFoundError(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    keySegments(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyPrefix + key }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    const full = `${this.keyPrefix}${prefixSegments(prefix).join('/')}/`;
    // list the first page again after each deletion (no continuation token: some compatible services use offsets)
    let previousFirst: string | undefined;
    for (;;) {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, MaxKeys: 1000 }));
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => Boolean(k));
      if (!keys.length) return;
      if (keys[0] === previousFirst) throw new Error(`S3 deletion under ${full} makes no progress (${keys[0]} still listed)`);
      previousFirst = keys[0];
      const out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length) throw new Error(`S3 deletion failed for ${failed.length} object(s) under ${full}: ${failed[0].Code} ${failed[0].Message ?? ''}`);
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function isNotFound(err: unknown): boolean {
  if (err instanceof StorageObjectNotFoundError) return true;
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.name === 'NoSuchBucket' || e?.Code === 'NoSuchBucket') return false; // a configuration error, not a missing object
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.Code === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}
