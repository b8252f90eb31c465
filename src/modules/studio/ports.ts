import type { VersionMeta } from './domain.js';

/** Records the SEO/GEO analysis of a new version (the studio's SeoService). */
export interface SeoRecorder {
  recordForVersion(
    tenantId: string,
    version: { contentId: string; versionId: string; channel: string; locale: string; title: string; body: string; meta: VersionMeta },
  ): Promise<unknown>;
}
