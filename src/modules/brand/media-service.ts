import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { z } from 'zod';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { AiRequest, AiResult } from '../ai/gateway.js';
import {
  assetPrefix,
  cleanFilename,
  detectMediaType,
  MAX_ALT_TEXT_LENGTH,
  MAX_FILE_BYTES,
  MAX_IMAGE_PIXELS,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  MAX_TITLE_LENGTH,
  originalKey,
  PAGE_SIZE,
  THUMBNAIL_SIZE,
  thumbnailKey,
  titleFromFilename,
  type MediaAsset,
  type MediaAssetDetail,
  type MediaFilter,
  type MediaPage,
  type MediaUsage,
  type StorageUsage,
} from './media-domain.js';
import { StorageObjectNotFoundError, type MediaRepository, type ObjectStorage } from './media-ports.js';

/** The part of the AI gateway the library uses (alt-text suggestions). */
export interface AltTextGateway {
  generate<T>(request: AiRequest<T>): Promise<AiResult<T>>;
}

export interface UploadInput {
  data: Buffer;
  filename?: string;
  uploadedBy?: string | null;
}

export interface UploadResult {
  asset: MediaAsset;
  /** The same bytes were already in the library: nothing new was stored. */
  duplicate: boolean;
}

export interface OpenedFile {
  stream: Readable;
  contentType: string;
  /** Known for originals (the stored size); thumbnails are streamed without it. */
  size?: number;
  asset: MediaAsset;
}

const altTextSchema = z.object({ altText: z.string().min(1).max(2_000) });

/** An upload error the form shows; byte counts in `params` are formatted in the user's language by the route. */
export class MediaUploadError extends AppError {}

export class MediaService {
  constructor(
    private readonly deps: {
      mediaRepository: MediaRepository;
      mediaStorage: ObjectStorage;
      aiGateway: AltTextGateway;
      logger: Logger;
    },
  ) {}

  /**
   * Validates by content (magic bytes), per-kind size cap, plan storage limit; sha256 dedupe per tenant; thumbnails
   * for images (EXIF orientation applied, metadata stripped). Nothing is stored when a rule refuses the file.
   */
  async upload(tenantId: string, input: UploadInput): Promise<UploadResult> {
    const { data } = input;
    if (!data || data.length === 0) throw new MediaUploadError('media.errors.empty', 422);
    const type = await detectMediaType(data);
    if (!type) throw new MediaUploadError('media.errors.unsupportedType', 422);
    const max = MAX_FILE_BYTES[type.kind];
    if (data.length > max) throw new MediaUploadError('media.errors.fileTooLarge', 413, { size: data.length, max });

    const sha256 = crypto.createHash('sha256').update(data).digest('hex');
    const existing = await this.deps.mediaRepository.findBySha256(tenantId, sha256);
    if (existing) return { asset: existing, duplicate: true };
    const usage = await this.deps.mediaRepository.storageUsage(tenantId);
    if (usage.usedBytes + data.length > usage.limitBytes) throw quotaExceeded(usage, data.length);

    const image = type.kind === 'image' ? await processImage(data) : null;
    const id = crypto.randomUUID();
    const filename = cleanFilename(input.filename);
    const storageKey = originalKey(tenantId, id, type.ext);
    const thumbKey = image ? thumbnailKey(tenantId, id) : null;
    try {
      await this.deps.mediaStorage.put(storageKey, data, { contentType: type.mime });
      if (image && thumbKey) await this.deps.mediaStorage.put(thumbKey, image.thumbnail, { contentType: 'image/webp' });
      const result = await this.deps.mediaRepository.insert(tenantId, {
        id,
        kind: type.kind,
        title: titleFromFilename(filename),
        originalFilename: filename,
        mimeType: type.mime,
        sizeBytes: data.length,
        width: image?.width ?? null,
        height: image?.height ?? null,
        storageKey,
        thumbnailKey: thumbKey,
        sha256,
        uploadedBy: input.uploadedBy ?? null,
      });
      if (result.outcome === 'created') return { asset: result.asset, duplicate: false };
      // another upload won the race: the same bytes were stored first, or the quota filled up meanwhile
      await this.removeObjects(tenantId, id);
      if (result.outcome === 'duplicate') return { asset: result.asset, duplicate: true };
      throw quotaExceeded(result.usage, data.length);
    } catch (err) {
      if (!(err instanceof AppError)) await this.removeObjects(tenantId, id);
      throw err;
    }
  }

  async list(tenantId: string, filter: MediaFilter): Promise<MediaPage> {
    const { items, total } = await this.deps.mediaRepository.list(tenantId, filter, PAGE_SIZE);
    return { items, total, page: filter.page, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
  }

  tags(tenantId: string): Promise<string[]> {
    return this.deps.mediaRepository.tags(tenantId);
  }

  storageUsage(tenantId: string): Promise<StorageUsage> {
    return this.deps.mediaRepository.storageUsage(tenantId);
  }

  async get(tenantId: string, id: string): Promise<MediaAssetDetail> {
    const asset = await this.deps.mediaRepository.findById(tenantId, id);
    if (!asset) throw new NotFoundError();
    return asset;
  }

  /**
   * Title, alt text and tags (a field left undefined keeps its value). `altTextSuggested` stays true only while the
   * saved text is exactly the gateway's suggestion (`suggestion`, sent back by the form).
   */
  async update(tenantId: string, id: string, input: { title?: string; altText?: string; tags?: string[]; suggestion?: string }): Promise<MediaAssetDetail> {
    const current = await this.get(tenantId, id);
    const clean = (v: string) => v.replace(/\s+/g, ' ').trim();
    const altText = input.altText === undefined ? (current.altText ?? '') : clean(input.altText);
    const title = input.title === undefined ? current.title : clean(input.title);
    const tags = input.tags ?? current.tags;
    const errors: Record<string, string> = {};
    if (altText.length > MAX_ALT_TEXT_LENGTH) errors.altText = 'media.errors.altTextTooLong';
    if (title.length > MAX_TITLE_LENGTH) errors.title = 'media.errors.titleTooLong';
    if (tags.length > MAX_TAGS || tags.some((t) => t.length > MAX_TAG_LENGTH)) errors.tags = 'media.errors.tagsInvalid';
    if (Object.keys(errors).length) throw new ValidationError(errors);
    const suggestion = clean(input.suggestion ?? '');
    const altTextSuggested = altText !== '' && (suggestion ? altText === suggestion : current.altTextSuggested && altText === (current.altText ?? ''));
    const updated = await this.deps.mediaRepository.update(tenantId, id, { title, altText: altText || null, altTextSuggested, tags });
    if (!updated) throw new NotFoundError();
    return updated;
  }

  /** A suggested alt text in the tenant's language, through the gateway. Nothing is saved: the user reviews it. */
  async suggestAltText(tenantId: string, id: string, userId?: string): Promise<string> {
    const asset = await this.get(tenantId, id);
    const locale = await this.deps.mediaRepository.tenantLocale(tenantId);
    const result = await this.deps.aiGateway.generate({
      tenantId,
      task: 'generation',
      prompt: describeForAltText(asset, locale),
      instructions: altTextInstructions(locale),
      schema: altTextSchema,
      maxTokens: 300,
      temperature: 0.3,
      userId,
      subject: { type: 'media_asset', id: asset.id },
    });
    const text = result.data.altText.replace(/\s+/g, ' ').replace(/^["«“'\s]+|["»”'\s]+$/g, '').trim();
    if (!text) throw new AppError('media.errors.suggestionFailed', 502);
    return text.length > MAX_ALT_TEXT_LENGTH ? `${text.slice(0, MAX_ALT_TEXT_LENGTH - 1).trimEnd()}…` : text;
  }

  /** Refused (409) while a content uses the asset; the files go after the row. */
  async delete(tenantId: string, id: string): Promise<MediaAsset> {
    const result = await this.deps.mediaRepository.deleteUnlessUsed(tenantId, id);
    if (result.outcome === 'notFound') throw new NotFoundError();
    if (result.outcome === 'inUse') throw new AppError('media.errors.inUse', 409, { count: result.usageCount });
    await this.removeObjects(tenantId, id);
    return result.asset;
  }

  /** Reuses an asset in a content (the studio's picker): one `media_asset_usages` row per asset and content. */
  async attachToContent(tenantId: string, assetId: string, contentId: string, options: { contentVersionId?: string } = {}): Promise<MediaUsage> {
    const result = await this.deps.mediaRepository.attachToContent(tenantId, assetId, contentId, options.contentVersionId ?? null);
    if (result.outcome === 'assetNotFound') throw new NotFoundError();
    if (result.outcome === 'contentNotFound') throw new NotFoundError('media.errors.contentNotFound');
    return result.usage;
  }

  /** The stored bytes of an asset of this tenant (never by a key from outside). */
  async open(tenantId: string, id: string, variant: 'original' | 'thumbnail'): Promise<OpenedFile> {
    return this.openStored(await this.get(tenantId, id), variant);
  }

  /** The bytes of an asset already loaded in its tenant's context (by `get`). */
  async openStored(asset: MediaAsset, variant: 'original' | 'thumbnail'): Promise<OpenedFile> {
    const key = variant === 'original' ? asset.storageKey : asset.thumbnailKey;
    if (!key) throw new NotFoundError();
    try {
      const stream = await this.deps.mediaStorage.get(key);
      return variant === 'original'
        ? { stream, contentType: asset.mimeType, size: asset.sizeBytes, asset }
        : { stream, contentType: 'image/webp', asset };
    } catch (err) {
      if (err instanceof StorageObjectNotFoundError) {
        this.deps.logger.warn({ tenantId: asset.tenantId, assetId: asset.id, variant }, 'media file missing from storage');
        throw new NotFoundError();
      }
      throw err;
    }
  }

  /** After the tenant's rows are gone (GDPR deletion): every file of the tenant. */
  async purgeTenantFiles(tenantId: string): Promise<void> {
    await this.deps.mediaStorage.deletePrefix(tenantId);
  }

  private async removeObjects(tenantId: string, assetId: string): Promise<void> {
    try {
      await this.deps.mediaStorage.deletePrefix(assetPrefix(tenantId, assetId));
    } catch (err) {
      this.deps.logger.warn({ err, tenantId, assetId }, 'could not remove media files (orphans left in storage)');
    }
  }
}

function quotaExceeded(usage: StorageUsage, size: number): MediaUploadError {
  return new MediaUploadError('media.errors.quotaExceeded', 413, {
    size,
    used: usage.usedBytes,
    limit: usage.limitBytes,
    available: Math.max(0, usage.limitBytes - usage.usedBytes),
  });
}

/** Oriented dimensions and a 400 px webp thumbnail without any metadata (EXIF, GPS, XMP are not copied). */
async function processImage(data: Buffer): Promise<{ width: number; height: number; thumbnail: Buffer }> {
  const options = { autoOrient: true, limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' as const };
  try {
    const meta = await sharp(data, options).metadata();
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    if (!width || !height) throw new Error('no dimensions');
    const thumbnail = await sharp(data, options)
      .resize({ width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    return { width, height, thumbnail };
  } catch {
    throw new MediaUploadError('media.errors.unreadableImage', 422);
  }
}

const KIND_WORDS: Record<string, Record<string, string>> = {
  fr: { image: 'Image', pdf: 'Document PDF', video: 'Vidéo', tags: 'mots-clés', file: 'fichier', size: 'taille' },
  en: { image: 'Image', pdf: 'PDF document', video: 'Video', tags: 'keywords', file: 'file', size: 'size' },
};

/**
 * What the gateway knows of the asset, in the tenant's language. The first sentence names the subject, so even
 * the offline composer (which echoes it) answers with a usable description.
 */
function describeForAltText(asset: MediaAsset, locale: string): string {
  const words = KIND_WORDS[locale.slice(0, 2)] ?? KIND_WORDS.en;
  const subject = asset.title || titleFromFilename(asset.originalFilename) || words[asset.kind];
  const first = `${subject.charAt(0).toUpperCase()}${subject.slice(1)}${asset.tags.length ? ` (${asset.tags.join(', ')})` : ''}.`;
  const facts = [
    `${words[asset.kind]} ${asset.mimeType}${asset.width && asset.height ? `, ${asset.width} × ${asset.height} px` : ''}.`,
    asset.originalFilename ? `${words.file}: ${asset.originalFilename}.` : '',
    asset.tags.length ? `${words.tags}: ${asset.tags.join(', ')}.` : '',
  ].filter(Boolean);
  return [first, ...facts].join('\n');
}

function altTextInstructions(locale: string): string {
  const language = locale.startsWith('fr') ? 'French' : locale.startsWith('en') ? 'English' : `the language "${locale}"`;
  return [
    `Write the alternative text (alt attribute) of this media for a small business's website and social posts, in ${language}.`,
    'Describe what it shows, concretely, in one sentence of at most 125 characters; do not start with "image of" or "photo of"; no hashtags, no quotes.',
    'You only get its title, file name and tags: do not invent details they do not support.',
    'Answer with JSON: {"altText": "..."}',
  ].join('\n');
}
