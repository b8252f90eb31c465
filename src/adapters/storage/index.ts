import path from 'node:path';
import type { ObjectStorage } from '../../modules/brand/media-ports.js';
import { LocalDiskStorage } from './local-disk-storage.js';
import { S3Storage, type S3StorageOptions } from './s3-storage.js';

export { LocalDiskStorage, type LocalDiskStorageOptions } from './local-disk-storage.js';
export { S3Storage, type S3StorageOptions } from './s3-storage.js';

/** Where the media library keeps its files: the local disk under `DATA_DIR/media` (default) or an S3-compatible bucket. */
export type MediaStorageConfig = { kind: 'local'; root?: string } | { kind: 's3'; s3: S3StorageOptions };

export function createMediaStorage(config: MediaStorageConfig | undefined, dataDir: string): ObjectStorage {
  if (config?.kind === 's3') return new S3Storage(config.s3);
  return new LocalDiskStorage({ root: config?.root ?? path.join(dataDir, 'media') });
}
