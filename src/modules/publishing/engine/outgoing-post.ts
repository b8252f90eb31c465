import { StorageObjectNotFoundError, type ObjectStorage } from '../../brand/media-ports.js';
import type { MediaPublicLinks } from '../../brand/media-public-links.js';
import { PublishError, type LinkTagger, type OutgoingPost } from '../ports.js';
import type { KnexPublicationRepository, PublishContext } from './db/knex-publication-repository.js';

/** `2026-11`: the campaign name of links in a content without a campaign, in the tenant's calendar. */
export function monthCampaign(instant: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, year: 'numeric', month: '2-digit' }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}`;
}

async function readAll(storage: ObjectStorage, key: string): Promise<Buffer> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.get(key)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks);
  } catch (err) {
    if (err instanceof StorageObjectNotFoundError) throw new PublishError('permanent', 'mediaMissing', `media file missing: ${key}`);
    throw err;
  }
}

/**
 * What goes out for one version: its text with every link tagged and shortened (the tagger is idempotent, so a
 * resumed attempt sends the same text), its title, and the content's media, read from storage only if the adapter
 * uploads them. Images also get a signed public link (24 h), made only if the adapter asks for one (networks that
 * download images themselves).
 */
export async function buildOutgoingPost(
  deps: { publicationRepository: KnexPublicationRepository; linkTagger: LinkTagger; mediaStorage: ObjectStorage; mediaPublicLinks: Pick<MediaPublicLinks, 'urlFor'> },
  context: PublishContext,
  versionId: string,
): Promise<OutgoingPost> {
  const { content, account, publication } = context;
  const version = await deps.publicationRepository.versionText(account.tenantId, versionId);
  if (!version) throw new PublishError('permanent', 'versionMissing', `content version ${versionId} not found`);
  const campaign = content.utmCampaign ?? monthCampaign(content.scheduledAt ?? publication.scheduledFor, context.timezone);
  const text = await deps.linkTagger.tagText(version.body, { tenantId: account.tenantId, channel: content.channel, contentId: content.id, campaign });
  const media = await deps.publicationRepository.media(account.tenantId, content.id);
  return {
    text,
    title: version.title || content.title,
    media: media.map((m) => ({
      mimeType: m.mimeType,
      altText: m.altText,
      filename: m.filename,
      read: () => readAll(deps.mediaStorage, m.storageKey),
      ...(/^image\//i.test(m.mimeType) ? { publicUrl: async () => deps.mediaPublicLinks.urlFor(account.tenantId, m.id) } : {}),
    })),
  };
}
