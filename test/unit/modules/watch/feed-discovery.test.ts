import { expect } from 'chai';
import { SafeFetcher } from '../../../../src/adapters/fetch/safe-fetcher.js';
import { FeedDiscovery } from '../../../../src/modules/watch/feed-discovery.js';
import { FeedReader } from '../../../../src/modules/watch/feed-reader.js';
import { FetchRefusedError } from '../../../../src/shared/url-fetcher.js';
import { WatchFixtureSite } from '../../../support/watch-fixture-site.js';

/** Feed discovery against a local site, through the real safe fetcher. */
describe('FeedDiscovery', () => {
  let site: WatchFixtureSite;
  let discovery: FeedDiscovery;

  before(async () => {
    site = await WatchFixtureSite.start();
    discovery = new FeedDiscovery({ urlFetcher: new SafeFetcher({ allowLoopbackPorts: [site.port] }), feedReader: new FeedReader() });
  });
  afterEach(() => site.reset());
  after(() => site.close());

  it("finds the feeds a page declares (relative hrefs resolved, other alternates ignored) and tries nothing else", async () => {
    site.serve(
      '/blog/',
      `<!doctype html><html><head>
        <link rel="alternate" type="application/rss+xml" title="Articles  du blog" href="feed.xml">
        <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="${site.url('/atom')}">
        <link rel="alternate" type="application/feed+json" title="JSON" href="/feed.json#top">
        <link rel="alternate" hreflang="en" href="/en/blog/">
        <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
        <link rel="stylesheet" type="application/rss+xml" href="/not-alternate.xml">
        <link rel="alternate" type="application/rss+xml" title="Doublon" href="/blog/feed.xml">
      </head><body><h1>Blog</h1></body></html>`,
    );
    const result = await discovery.discover(site.url('/blog/'));
    expect(result.siteUrl).to.equal(site.url('/blog/'));
    expect(result.feeds).to.deep.equal([
      { url: site.url('/blog/feed.xml'), title: 'Articles du blog', type: 'rss', origin: 'declared' },
      { url: site.url('/atom'), title: null, type: 'atom', origin: 'declared' },
      { url: site.url('/feed.json'), title: 'JSON', type: 'json', origin: 'declared' },
    ]);
    expect(site.server.requests.map((r) => r.path).filter((p) => p !== '/robots.txt')).to.deep.equal(['/blog/']);
  });

  it('resolves declared feeds against <base href> and after redirects', async () => {
    site.redirect('/', '/accueil');
    site.serve('/accueil', '<html><head><base href="/static/"><link rel="alternate" type="application/atom+xml" title="Nouveautés" href="atom.xml"></head></html>');
    const result = await discovery.discover(site.url('/'));
    expect(result.siteUrl).to.equal(site.url('/accueil'));
    expect(result.feeds).to.deep.equal([{ url: site.url('/static/atom.xml'), title: 'Nouveautés', type: 'atom', origin: 'declared' }]);
  });

  it('falls back to the usual addresses when none is declared, keeping only real feeds, once each', async () => {
    site.serve('/', '<html><head><title>Boutique</title></head><body>Bienvenue</body></html>');
    site.serveCorpus('/feed', 'feeds/real/fr-pcinpact.rss', 'application/rss+xml; charset=utf-8');
    site.redirect('/feed.xml', '/feed');
    site.serve('/atom.xml', '<html><body>Page introuvable</body></html>'); // a soft 404
    site.serveCorpus('/index.xml', 'feeds/edge/rss-unclosed-root.xml', 'application/xml');
    const result = await discovery.discover(site.url('/'));
    expect(result.feeds).to.deep.equal([{ url: site.url('/feed'), title: 'PC INpact', type: 'rss', origin: 'fallback' }]);
    expect(site.responsesTo('/rss.xml')).to.have.length(0); // not routed: a 404 from the fixture server
    expect(site.server.requestsTo('/rss.xml')).to.have.length(1);
  });

  it('returns the URL itself when it is a feed, and nothing when it is neither a page with feeds nor a feed', async () => {
    site.serveCorpus('/flux.json', 'feeds/real/inessential-jsonfeed.json', 'application/feed+json');
    expect((await discovery.discover(site.url('/flux.json'))).feeds).to.deep.equal([{ url: site.url('/flux.json'), title: 'inessential.com', type: 'json', origin: 'direct' }]);
    site.serve('/plain', '<html><body>Rien</body></html>');
    expect((await discovery.discover(site.url('/plain'))).feeds).to.deep.equal([]);
  });

  it('refuses private addresses like every fetch', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:80/', 'http://[::]:80/']) {
      try {
        await discovery.discover(url);
        expect.fail(`${url} was fetched`);
      } catch (err) {
        expect(err).to.be.instanceOf(FetchRefusedError);
        expect((err as FetchRefusedError).code).to.equal('fetch.errors.forbiddenAddress');
      }
    }
  });
});
