import { fileTypeFromBuffer } from 'file-type';

/** What the media library accepts, and the rules every upload follows. */

export const MEDIA_KINDS = ['image', 'pdf', 'video'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** Accepted types, recognised by their magic bytes (never by name or declared type). */
export const ACCEPTED_TYPES: Record<string, { kind: MediaKind; ext: string; label: string }> = {
  'image/jpeg': { kind: 'image', ext: 'jpg', label: 'JPEG' },
  'image/png': { kind: 'image', ext: 'png', label: 'PNG' },
  'image/webp': { kind: 'image', ext: 'webp', label: 'WebP' },
  'image/gif': { kind: 'image', ext: 'gif', label: 'GIF' },
  'application/pdf': { kind: 'pdf', ext: 'pdf', label: 'PDF' },
  'video/mp4': { kind: 'video', ext: 'mp4', label: 'MP4' },
  'video/webm': { kind: 'video', ext: 'webm', label: 'WebM' },
  'video/quicktime': { kind: 'video', ext: 'mov', label: 'MOV' },
};

export const ACCEPT_ATTRIBUTE = Object.keys(ACCEPTED_TYPES).join(',');

const MIB = 1024 * 1024;

/** Per-file caps by kind (the plan's storage limit applies on top). */
export const MAX_FILE_BYTES: Record<MediaKind, number> = { image: 25 * MIB, pdf: 25 * MIB, video: 100 * MIB };

/** The hard byte limit of the upload body: the largest per-kind cap. */
export const MAX_UPLOAD_BYTES = Math.max(...Object.values(MAX_FILE_BYTES));

/** Images larger than this many pixels are refused (decompression bombs). */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Thumbnails: webp, fitted inside this box, never enlarged. */
export const THUMBNAIL_SIZE = 400;

export const PAGE_SIZE = 24;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;
export const MAX_ALT_TEXT_LENGTH = 500;
export const MAX_TITLE_LENGTH = 255;

export interface MediaAsset {
  id: string;
  tenantId: string;
  kind: MediaKind;
  status: string;
  title: string;
  originalFilename: string | null;
  mimeType: string;
  sizeBytes: number;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  storageKey: string;
  thumbnailKey: string | null;
  sha256: string;
  altText: string | null;
  altTextSuggested: boolean;
  locale: string;
  tags: string[];
  source: string;
  uploadedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MediaAssetDetail extends MediaAsset {
  /** Contents (and landing pages…) the asset is used in: it cannot be deleted while used. */
  usageCount: number;
}

export interface MediaUsage {
  id: string;
  mediaAssetId: string;
  contentId: string | null;
  usage: string;
  usedAt: Date;
}

export interface MediaFilter {
  kind?: MediaKind;
  tag?: string;
  q?: string;
  page: number;
}

export interface MediaPage {
  items: MediaAsset[];
  total: number;
  page: number;
  pages: number;
}

export interface StorageUsage {
  usedBytes: number;
  /** The current plan's media storage limit; 0 without a current subscription. */
  limitBytes: number;
}

export interface DetectedType {
  mime: string;
  ext: string;
  kind: MediaKind;
  label: string;
}

/** The file's real type from its first bytes, or null when it is not one the library accepts. */
export async function detectMediaType(data: Uint8Array): Promise<DetectedType | null> {
  const found = await fileTypeFromBuffer(data);
  if (!found) return null;
  const accepted = ACCEPTED_TYPES[found.mime];
  return accepted ? { mime: found.mime, ...accepted } : null;
}

export function isMediaKind(value: unknown): value is MediaKind {
  return typeof value === 'string' && (MEDIA_KINDS as readonly string[]).includes(value);
}

/** A comma (or newline) separated list of tags: trimmed, `#` dropped, lower-cased, deduplicated, bounded. */
export function parseTags(input: string | string[] | undefined): string[] {
  const raw = Array.isArray(input) ? input.join(',') : (input ?? '');
  const tags: string[] = [];
  for (const piece of raw.split(/[,\n]/)) {
    const tag = normalizeTag(piece);
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

export function normalizeTag(value: string): string {
  return value
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .replace(/^#+\s*/, '')
    .replace(/\s+/g, ' ')
    .toLocaleLowerCase('fr');
}

/** The name as the user's machine gave it, reduced to a harmless base name (no path, no control characters). */
export function cleanFilename(name: string | undefined): string | null {
  if (!name) return null;
  const base = name.normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\p{Cc}\p{Cf}]/gu, '').replace(/\s+/g, ' ').trim();
  if (!cleaned || cleaned === '.' || cleaned === '..') return null;
  return cleaned.length > 255 ? cleaned.slice(cleaned.length - 255) : cleaned;
}

/** A title from a file name: no extension, separators as spaces. */
export function titleFromFilename(name: string | null): string {
  if (!name) return '';
  const stem = name.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return stem.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_LENGTH);
}

/**
 * The download name: the original name with its extension forced to the detected type (a PNG uploaded as
 * `photo.exe` downloads as `photo.exe.png`), so a browser or desktop never treats it as something else.
 */
export function downloadName(asset: Pick<MediaAsset, 'originalFilename' | 'title' | 'mimeType' | 'id'>): string {
  const ext = ACCEPTED_TYPES[asset.mimeType]?.ext ?? 'bin';
  const base = asset.originalFilename || asset.title || asset.id;
  const current = /\.([A-Za-z0-9]{1,5})$/.exec(base)?.[1]?.toLowerCase();
  const same = current === ext || (ext === 'jpg' && current === 'jpeg');
  return same ? base : `${base}.${ext}`;
}

/** `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987); never breaks the header. */
export function contentDisposition(type: 'inline' | 'attachment', filename: string): string {
  const ascii = filename
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\%;]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** 12 345 678 → "11,8 Mo" (fr) / "11.8 MB" (en). */
export function formatBytes(bytes: number, locale: string): string {
  const fr = locale.startsWith('fr');
  const units = fr ? ['o', 'ko', 'Mo', 'Go', 'To'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits })} ${units[unit]}`;
}

/** Tenant-scoped storage keys: `<tenantId>/<assetId>/<name>`, as in the database. */
export function assetPrefix(tenantId: string, assetId: string): string {
  return `${tenantId}/${assetId}`;
}

export function originalKey(tenantId: string, assetId: string, ext: string): string {
  return `${assetPrefix(tenantId, assetId)}/original.${ext}`;
}

export function thumbnailKey(tenantId: string, assetId: string): string {
  return `${assetPrefix(tenantId, assetId)}/thumbnail.webp`;
}
