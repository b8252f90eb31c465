import type { OutgoingMedia } from '../../../modules/publishing/ports.js';

/**
 * Instagram and Google Business Profile do not take uploaded bytes: they download each image from a public URL
 * at publish time. Cadence serves media to logged-in users only, so a media can go to these networks only when
 * the engine gives it a public, time-limited URL through this optional member (proposed addition to
 * `OutgoingMedia` in ports.ts). A media without it is refused (`mediaNeedsPublicUrl`) rather than sent without image.
 */
export type MediaWithPublicUrl = OutgoingMedia & { publicUrl?: () => Promise<string> };

export async function publicUrlOf(media: OutgoingMedia): Promise<string | null> {
  const provider = (media as MediaWithPublicUrl).publicUrl;
  if (typeof provider !== 'function') return null;
  const url = await provider.call(media);
  return /^https?:\/\//i.test(url) ? url : null;
}

/** The first http(s) link of a text (Facebook shows it as a preview card; GBP uses it for the call to action). */
export function firstLink(text: string): string | undefined {
  return /https?:\/\/[^\s<>"']+/i.exec(text)?.[0]?.replace(/[).,;:!?]+$/, '');
}

export function isImage(media: OutgoingMedia): boolean {
  return /^image\//i.test(media.mimeType);
}
