import { asClass, asFunction, type AwilixContainer } from 'awilix';
import type { Router } from 'express';
import type { Config } from '../../config.js';
import { createMediaStorage } from '../../adapters/storage/index.js';
import { KnexMediaRepository } from './db/knex-media-repository.js';
import type { MediaRepository, ObjectStorage } from './media-ports.js';
import { MediaPublicLinks } from './media-public-links.js';
import { mediaRoutes as buildMediaRoutes } from './media-routes.js';
import { MediaService } from './media-service.js';

export type { MediaStorageConfig } from '../../adapters/storage/index.js';
export type { MediaAsset, MediaAssetDetail, MediaKind, MediaUsage } from './media-domain.js';
export type { MediaRepository, ObjectStorage } from './media-ports.js';
export { MediaService } from './media-service.js';
export { mediaPublicRoutes } from './media-public-routes.js';
export { MediaPublicLinks, PUBLIC_LINK_LIFETIME_MS, type MediaPublicLink, type PublicLinkCheck } from './media-public-links.js';

export interface MediaCradle {
  /** Files of the media library: local disk under DATA_DIR/media, or an S3-compatible bucket (`config.mediaStorage`). */
  mediaStorage: ObjectStorage;
  mediaRepository: MediaRepository;
  mediaService: MediaService;
  /** Signed, time-limited public links `/m/<token>` to a media's original (for networks that fetch media themselves). */
  mediaPublicLinks: MediaPublicLinks;
}

/**
 * Registers the media library. The storage is read from `config.mediaStorage` when the configuration carries it
 * (`{ kind: 's3', s3: S3StorageOptions }`), else local disk under `config.dataDir/media`.
 */
export function registerMedia(container: AwilixContainer): void {
  container.register({
    mediaStorage: asFunction(({ config }: { config: Config }) =>
      createMediaStorage(config.mediaStorage, config.dataDir),
    )
      .singleton()
      .disposer((storage) => (storage as { destroy?: () => void }).destroy?.()),
    mediaRepository: asClass(KnexMediaRepository).singleton(),
    mediaService: asClass(MediaService).singleton(),
    mediaPublicLinks: asClass(MediaPublicLinks).singleton(),
  });
}

export function mediaRoutes(cradle: Pick<MediaCradle, 'mediaService'>): Router {
  return buildMediaRoutes(cradle);
}
