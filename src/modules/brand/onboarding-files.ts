import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { StorageObjectNotFoundError, type ObjectStorage } from './media-ports.js';
import type { OnboardingFileStore } from './onboarding-ports.js';

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/ogg': 'ogg',
  'audio/mp4': 'm4a',
  'audio/webm': 'webm',
};

/**
 * Uploaded originals (interview recordings, PDFs) in the media library's object storage, tenant-scoped like every
 * stored file: `<tenantId>/onboarding/<kind>/<uuid>.<ext>` (so deleting a tenant's prefix removes them too). Kept
 * after extraction: the text can be extracted again, and the client keeps what they gave.
 */
export class ObjectStorageOnboardingFileStore implements OnboardingFileStore {
  readonly durable = true;

  constructor(private readonly storage: ObjectStorage) {}

  async put(tenantId: string, data: Buffer, meta: { kind: 'audio' | 'pdf'; filename: string; mimeType: string }): Promise<string> {
    const key = `${tenantId}/onboarding/${meta.kind}/${crypto.randomUUID()}.${EXTENSIONS[meta.mimeType] ?? 'bin'}`;
    await this.storage.put(key, data, { contentType: meta.mimeType });
    return key;
  }

  async get(tenantId: string, key: string): Promise<Buffer | null> {
    if (!this.owns(tenantId, key)) return null;
    let stream: Readable;
    try {
      stream = await this.storage.get(key);
    } catch (err) {
      if (err instanceof StorageObjectNotFoundError) return null;
      throw err;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks);
  }

  async delete(tenantId: string, key: string): Promise<void> {
    if (this.owns(tenantId, key)) await this.storage.delete(key);
  }

  /** A key is read only under its own tenant's prefix (keys come from the database, but never trust one blindly). */
  private owns(tenantId: string, key: string): boolean {
    return key.startsWith(`${tenantId}/onboarding/`);
  }
}
