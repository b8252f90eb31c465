import type { LinkContext, LinkTagger } from '../ports.js';
import type { ShortLinkService } from './short-link-service.js';
import { findLinks } from './utm.js';

/**
 * The `LinkTagger` the engine publishes through: every http(s) link of the text is tagged with UTM parameters
 * and replaced by the tenant's short link. Links that are already our short links are left as they are, so a
 * text processed twice comes out the same; everything else in the text is untouched.
 */
export class ShortLinkTagger implements LinkTagger {
  constructor(private readonly deps: { shortLinkService: ShortLinkService }) {}

  async tagText(text: string, context: LinkContext): Promise<string> {
    const { shortLinkService } = this.deps;
    const links = findLinks(text).filter((link) => !shortLinkService.isShortUrl(link.url));
    if (links.length === 0) return text;
    const shortUrls = await shortLinkService.shortUrlsFor(
      context,
      links.map((link) => link.url),
    );
    let out = '';
    let pos = 0;
    for (const link of links) {
      out += text.slice(pos, link.start) + (shortUrls.get(link.url) ?? link.url);
      pos = link.end;
    }
    return out + text.slice(pos);
  }
}
