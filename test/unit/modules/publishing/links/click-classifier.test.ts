import { expect } from 'chai';
import { classifyClick, countryOf, deviceClassOf, isBotRequest, referrerHostOf } from '../../../../../src/modules/publishing/links/click-classifier.js';
import { isShortCode, newShortCode } from '../../../../../src/modules/publishing/links/short-code.js';
import { redirectLocation } from '../../../../../src/modules/publishing/links/short-link-service.js';
import { appBaseUrl } from '../../../../../src/shared/http/public-url.js';
import { VisitorHasher } from '../../../../../src/modules/publishing/links/visitor-hasher.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const IPAD = 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const ANDROID_TABLET = 'Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('Links: click classification', () => {
  const get = (userAgent: string | undefined) => ({ method: 'GET', userAgent, purpose: undefined });

  it('counts browsers as humans', () => {
    for (const ua of [CHROME, IPHONE, IPAD, ANDROID_TABLET, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0']) {
      expect(isBotRequest(get(ua)), ua).to.equal(false);
    }
  });

  it('flags crawlers, link-preview fetchers, HTTP libraries and empty user agents as bots', () => {
    for (const ua of [
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
      'Twitterbot/1.0',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'WhatsApp/2.23.20.0 A',
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0',
      'TelegramBot (like TwitterBot)',
      'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
      'curl/8.5.0',
      'Wget/1.21.4',
      'python-requests/2.32.3',
      'Go-http-client/2.0',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36',
      '',
      '   ',
    ]) {
      expect(isBotRequest(get(ua)), ua).to.equal(true);
    }
    expect(isBotRequest(get(undefined))).to.equal(true);
  });

  it('flags HEAD requests and browser prefetches as bots', () => {
    expect(isBotRequest({ method: 'HEAD', userAgent: CHROME, purpose: undefined })).to.equal(true);
    expect(isBotRequest({ method: 'GET', userAgent: CHROME, purpose: 'prefetch' })).to.equal(true);
    expect(isBotRequest({ method: 'GET', userAgent: CHROME, purpose: 'prefetch;prerender' })).to.equal(true);
  });

  it('classifies devices', () => {
    expect(deviceClassOf(CHROME)).to.equal('desktop');
    expect(deviceClassOf(IPHONE)).to.equal('mobile');
    expect(deviceClassOf(IPAD)).to.equal('tablet');
    expect(deviceClassOf(ANDROID_TABLET)).to.equal('tablet');
    expect(deviceClassOf('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36')).to.equal('mobile');
    expect(deviceClassOf('SomethingElse/1.0')).to.equal('other');
  });

  it('keeps only the referrer host, for http(s) referrers', () => {
    expect(referrerHostOf('https://www.LinkedIn.com/feed/update/urn:li:activity:1?trk=abc')).to.equal('www.linkedin.com');
    expect(referrerHostOf('android-app://com.linkedin.android/')).to.equal(null);
    expect(referrerHostOf('not a url')).to.equal(null);
    expect(referrerHostOf(undefined)).to.equal(null);
  });

  it('takes a country only from a well-formed CDN header', () => {
    expect(countryOf('fr')).to.equal('FR');
    expect(countryOf('XX')).to.equal(null);
    expect(countryOf('T1')).to.equal(null);
    expect(countryOf('FRA')).to.equal(null);
    expect(countryOf(undefined)).to.equal(null);
  });

  it('gives bots no device class', () => {
    expect(classifyClick({ method: 'GET', userAgent: 'Twitterbot/1.0', referer: 'https://t.co/x', purpose: undefined, cdnCountry: 'US' })).to.deep.equal({
      isBot: true,
      referrerHost: 't.co',
      country: 'US',
      deviceClass: 'other',
    });
  });
});

describe('Links: codes, visitor hashes and redirect targets', () => {
  it('draws 8-character base62 codes that the schema accepts', () => {
    const codes = new Set(Array.from({ length: 2000 }, () => newShortCode()));
    expect(codes.size).to.equal(2000);
    for (const code of codes) {
      expect(code).to.match(/^[0-9A-Za-z]{8}$/);
      expect(isShortCode(code)).to.equal(true);
    }
    expect(isShortCode('abc')).to.equal(false);
    expect(isShortCode('abc/def')).to.equal(false);
    expect(isShortCode('a'.repeat(33))).to.equal(false);
  });

  it('hashes a visitor the same way within a day, differently the next day and per tenant, never as the IP', () => {
    let now = new Date('2026-11-20T10:00:00Z');
    const hasher = new VisitorHasher({ clock: { now: () => now } });
    const a = hasher.hash('t1', '203.0.113.7', CHROME);
    expect(a).to.match(/^[0-9a-f]{64}$/);
    expect(a).to.not.include('203');
    expect(hasher.hash('t1', '203.0.113.7', CHROME)).to.equal(a);
    expect(hasher.hash('t2', '203.0.113.7', CHROME)).to.not.equal(a);
    expect(hasher.hash('t1', '203.0.113.8', CHROME)).to.not.equal(a);
    now = new Date('2026-11-21T00:00:01Z');
    expect(hasher.hash('t1', '203.0.113.7', CHROME)).to.not.equal(a);
  });

  it('redirects only to http(s), serialised in ASCII', () => {
    expect(redirectLocation('https://bäckerei.de/brötchen?a=1#x')).to.equal('https://xn--bckerei-5wa.de/br%C3%B6tchen?a=1#x');
    expect(redirectLocation('https://ex.com/p?q=a%20b&utm_source=x')).to.equal('https://ex.com/p?q=a%20b&utm_source=x');
    expect(redirectLocation('javascript:alert(1)')).to.equal(null);
    expect(redirectLocation('data:text/html,x')).to.equal(null);
    expect(redirectLocation('//evil.example/')).to.equal(null);
    expect(redirectLocation('https://')).to.equal(null);
  });

  it('uses PUBLIC_URL as the base of short links, else the local address', () => {
    expect(appBaseUrl({ publicUrl: 'https://app.cadence.fr/', port: 3000 })).to.equal('https://app.cadence.fr');
    expect(appBaseUrl({ publicUrl: undefined, port: 3000 })).to.equal('http://localhost:3000');
  });
});
