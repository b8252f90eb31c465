import type { OutgoingMedia } from '../../../modules/publishing/ports.js';

/**
 * Instagram and Google Business Profile do not take uploaded bytes: they download each image from a public URL
 * at publish time, which the engine gives through `OutgoingMedia.publicUrl` (a signed, time-limited link). A media
 * without one is refused (`mediaNeedsPublicUrl`) rather than sent without image.
 */
export async function publicUrlOf(media: OutgoingMedia): Promise<string | null> {
  if (typeof media.publicUrl !== 'function') return null;
  const url = await media.publicUrl();
  return /^https?:\/\//i.test(url) ? url : null;
}

/** The first http(s) link of a text (Facebook shows it as a preview card; GBP uses it for the call to action). */
export function firstLink(text: string): string | undefined {
  return /https?:\/\/[^\s<>"']+/i.exec(text)?.[0]?.replace(/[).,;:!?]+$/, '');
}

export function isImage(media: OutgoingMedia): boolean {
  return /^image\//i.test(media.mimeType);
}
