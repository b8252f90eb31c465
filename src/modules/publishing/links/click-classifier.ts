/**
 * What we keep of a click on a short link, read from the request: a bot flag, the referrer's host, a device
 * class and the country when a CDN in front of us gives it. Never the IP nor the user agent themselves (the
 * privacy policy promises aggregated counts only); the visitor hash is computed separately (visitor-hasher.ts).
 */

export type DeviceClass = 'desktop' | 'mobile' | 'tablet' | 'other';

/** Crawlers, link-preview fetchers (they fetch a link as soon as it is posted), monitors and HTTP libraries. */
const BOT_USER_AGENT = new RegExp(
  [
    'bot\\b',
    'bot/',
    'crawler',
    'spider',
    'slurp',
    'facebookexternalhit',
    'facebookcatalog',
    'meta-externalagent',
    'linkedinbot',
    'twitterbot',
    'slackbot',
    'slack-imgproxy',
    'discordbot',
    'telegrambot',
    'whatsapp',
    'skypeuripreview',
    'pinterest',
    'redditbot',
    'applebot',
    'googlebot',
    'google-inspectiontool',
    'googleother',
    'adsbot-google',
    'mediapartners-google',
    'feedfetcher-google',
    'google-pagerenderer',
    'bingbot',
    'bingpreview',
    'msnbot',
    'yandex',
    'baiduspider',
    'duckduckbot',
    'qwantify',
    'petalbot',
    'semrush',
    'ahrefs',
    'mj12bot',
    'dotbot',
    'embedly',
    'quora link preview',
    'outbrain',
    'vkshare',
    'w3c_validator',
    'headlesschrome',
    'phantomjs',
    'lighthouse',
    'pingdom',
    'uptimerobot',
    'statuscake',
    'preview',
    'curl/',
    'wget/',
    'python-requests',
    'python-urllib',
    'aiohttp',
    'httpx',
    'go-http-client',
    'java/',
    'okhttp',
    'apache-httpclient',
    'libwww-perl',
    'node-fetch',
    'undici',
    'axios/',
    'postmanruntime',
    'insomnia',
    'scrapy',
    'httpclient',
    'zgrab',
    'masscan',
    'nmap',
  ].join('|'),
  'i',
);

export interface ClickRequest {
  method: string;
  userAgent: string | undefined;
  referer: string | undefined;
  /** `Sec-Purpose` / `Purpose` (browser prefetch and prerender). */
  purpose: string | undefined;
  /** Country header set by a CDN in front of the app (Cloudflare, CloudFront), if any. */
  cdnCountry: string | undefined;
}

export interface ClickFacts {
  isBot: boolean;
  referrerHost: string | null;
  country: string | null;
  deviceClass: DeviceClass;
}

/**
 * A bot is anything that is not a person following the link: known crawlers and preview fetchers, HTTP
 * libraries, a missing user agent, HEAD requests (link checkers) and browser prefetches.
 */
export function isBotRequest(request: Pick<ClickRequest, 'method' | 'userAgent' | 'purpose'>): boolean {
  const ua = request.userAgent?.trim() ?? '';
  if (request.method.toUpperCase() !== 'GET') return true;
  if (/prefetch|prerender/i.test(request.purpose ?? '')) return true;
  return ua.length === 0 || BOT_USER_AGENT.test(ua);
}

export function deviceClassOf(userAgent: string | undefined): DeviceClass {
  const ua = userAgent ?? '';
  if (/iPad|Tablet|PlayBook|Silk|Kindle|Android(?!.*Mobile)/i.test(ua)) return 'tablet';
  if (/Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|Opera Mini/i.test(ua)) return 'mobile';
  if (/Windows NT|Macintosh|X11|Linux|CrOS/i.test(ua)) return 'desktop';
  return 'other';
}

/** The referrer's host only (no path, no query: they may carry personal data), for http(s) referrers. */
export function referrerHostOf(referer: string | undefined): string | null {
  if (!referer) return null;
  try {
    const url = new URL(referer);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.hostname.toLowerCase().slice(0, 253) || null;
  } catch {
    return null;
  }
}

/** ISO 3166-1 alpha-2 from the CDN's header; Cloudflare's XX (unknown) and T1 (Tor) are no country. */
export function countryOf(header: string | undefined): string | null {
  const code = header?.trim().toUpperCase() ?? '';
  return /^[A-Z]{2}$/.test(code) && code !== 'XX' && code !== 'T1' ? code : null;
}

export function classifyClick(request: ClickRequest): ClickFacts {
  const isBot = isBotRequest(request);
  return {
    isBot,
    referrerHost: referrerHostOf(request.referer),
    country: countryOf(request.cdnCountry),
    deviceClass: isBot ? 'other' : deviceClassOf(request.userAgent),
  };
}
