import type { Readable } from 'node:stream';
import type { MediaAsset, MediaAssetDetail, MediaFilter, MediaKind, MediaUsage, StorageUsage } from './media-domain.js';

/**
 * Where files live (local disk by default, an S3-compatible bucket at scale). Keys are relative, `/`-separated,
 * made of `[A-Za-z0-9._-]` segments, never `.` or `..`; the media library prefixes every key with the tenant id
 * (`<tenantId>/<assetId>/…`), so storage is tenant-scoped like the database. Keys come from the database, never
 * from a URL.
 */
export interface ObjectStorage {
  put(key: string, body: Buffer | Readable, options: { contentType: string }): Promise<void>;
  /** Rejects with `StorageObjectNotFoundError` when nothing is stored under `key`. */
  get(key: string): Promise<Readable>;
  /** Removes one object; nothing stored under `key` is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every object whose key lies under `prefix` (whole segments: `t/a` covers `t/a/x`, never `t/ab`). */
  deletePrefix(prefix: string): Promise<void>;
}

export class StorageObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no stored object under ${key}`);
    this.name = 'StorageObjectNotFoundError';
  }
}

export class InvalidStorageKeyError extends Error {
  constructor(readonly key: string) {
    super(`invalid storage key ${JSON.stringify(key).slice(0, 200)}`);
    this.name = 'InvalidStorageKeyError';
  }
}

export interface NewMediaAsset {
  id: string;
  kind: MediaKind;
  title: string;
  originalFilename: string | null;
  mimeType: string;
  sizeBytes: number;
  width: number | null;
  height: number | null;
  storageKey: string;
  thumbnailKey: string | null;
  sha256: string;
  uploadedBy: string | null;
}

export type InsertOutcome =
  | { outcome: 'created'; asset: MediaAsset }
  | { outcome: 'duplicate'; asset: MediaAsset }
  | { outcome: 'overQuota'; usage: StorageUsage };

/** Persistence of the library. Every method is one unit of work in the tenant's context. */
export interface MediaRepository {
  storageUsage(tenantId: string): Promise<StorageUsage>;
  findById(tenantId: string, id: string): Promise<MediaAssetDetail | null>;
  findBySha256(tenantId: string, sha256: string): Promise<MediaAsset | null>;
  /**
   * Inserts under the tenant's media lock: an asset with the same sha256 already there wins (duplicate), and the
   * plan's storage limit is checked against the stored total at that moment.
   */
  insert(tenantId: string, asset: NewMediaAsset): Promise<InsertOutcome>;
  list(tenantId: string, filter: MediaFilter, pageSize: number): Promise<{ items: MediaAsset[]; total: number }>;
  /** Every tag the tenant uses, sorted. */
  tags(tenantId: string): Promise<string[]>;
  update(tenantId: string, id: string, patch: { title: string; altText: string | null; altTextSuggested: boolean; tags: string[] }): Promise<MediaAssetDetail | null>;
  /** Deletes the row unless something uses the asset. */
  deleteUnlessUsed(tenantId: string, id: string): Promise<{ outcome: 'deleted'; asset: MediaAsset } | { outcome: 'inUse'; usageCount: number } | { outcome: 'notFound' }>;
  attachToContent(
    tenantId: string,
    assetId: string,
    contentId: string,
    contentVersionId: string | null,
  ): Promise<{ outcome: 'attached'; usage: MediaUsage; created: boolean } | { outcome: 'assetNotFound' } | { outcome: 'contentNotFound' }>;
  tenantLocale(tenantId: string): Promise<string>;
}
