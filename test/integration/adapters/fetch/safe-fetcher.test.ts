import net from 'node:net';
import { expect } from 'chai';
import { DEFAULT_MAX_BYTES, SafeFetcher, USER_AGENT, type SafeFetcherOptions } from '../../../../src/adapters/fetch/safe-fetcher.js';
import { FetchRefusedError, type FetchOptions, type FetchRefusal } from '../../../../src/shared/url-fetcher.js';
import { HttpFixtureServer, respond } from '../../../support/http-fixture-server.js';

async function refusal(promise: Promise<unknown>): Promise<FetchRefusedError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(FetchRefusedError);
    return err as FetchRefusedError;
  }
  expect.fail('the fetch was not refused');
}

async function expectRefused(promise: Promise<unknown>, reason: FetchRefusal): Promise<FetchRefusedError> {
  const err = await refusal(promise);
  expect(err.reason).to.equal(reason);
  expect(err.code).to.equal(`fetch.errors.${reason}`);
  return err;
}

/** A port on 127.0.0.1 with nothing listening. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('SafeFetcher (against the local fixture server)', () => {
  let server: HttpFixtureServer;
  /** A second server on another loopback port: the one redirects must never reach. */
  let other: HttpFixtureServer;
  let fetcher: SafeFetcher;
  const page = '<!doctype html><html lang="fr"><title>Boulangerie Martin</title><h1>Pains et viennoiseries</h1></html>';

  function make(options: SafeFetcherOptions = {}): SafeFetcher {
    return new SafeFetcher({ allowLoopbackPorts: [server.port], ...options });
  }

  before(async () => {
    server = await HttpFixtureServer.start();
    other = await HttpFixtureServer.start();
    fetcher = make();
  });
  after(async () => {
    await server.close();
    await other.close();
  });
  afterEach(() => {
    server.reset();
    other.reset();
  });

  const noRobots: FetchOptions = { respectRobots: false };

  describe('plain fetches', () => {
    it('fetches a page and says what it got', async () => {
      server.route('/', respond.html(page, { headers: { 'x-served-by': 'fixture' } }));
      const res = await fetcher.fetch(server.url('/'), { accept: ['text/html'] });
      expect(res.status).to.equal(200);
      expect(res.url).to.equal(server.url('/'));
      expect(res.contentType).to.equal('text/html');
      expect(res.charset).to.equal('utf-8');
      expect(res.notModified).to.equal(false);
      expect(res.body.toString('utf8')).to.equal(page);
      expect(res.headers['x-served-by']).to.equal('fixture');

      const [request] = server.requestsTo('/');
      expect(request.headers['user-agent']).to.equal(USER_AGENT);
      expect(request.headers.host).to.equal(`127.0.0.1:${server.port}`);
      expect(request.headers.accept).to.equal('text/html');
      expect(request.headers['accept-encoding']).to.equal('gzip, deflate, br');
      expect(request.headers.cookie).to.equal(undefined);
    });

    it('refuses the fixture server itself without the test-only option (off by default)', async () => {
      server.route('/', respond.html(page));
      const err = await expectRefused(new SafeFetcher().fetch(server.url('/'), noRobots), 'forbiddenAddress');
      expect(err.params).to.deep.equal({ host: '127.0.0.1' });
      expect(server.requests).to.have.length(0);
    });

    it('decodes gzip, deflate (zlib and raw) and brotli bodies', async () => {
      for (const encoding of ['gzip', 'deflate', 'deflate-raw', 'br'] as const) {
        server.route(`/${encoding}`, respond.html(page, { encoding }));
        const res = await fetcher.fetch(server.url(`/${encoding}`), noRobots);
        expect(res.body.toString('utf8'), encoding).to.equal(page);
      }
    });

    it('forwards caller headers but not the ones the fetcher owns', async () => {
      server.route('/', respond.html(page));
      await fetcher.fetch(server.url('/'), {
        ...noRobots,
        headers: { 'Accept-Language': 'fr-FR', Host: 'evil.example', 'User-Agent': 'curl/8', Connection: 'keep-alive' },
      });
      const [request] = server.requestsTo('/');
      expect(request.headers['accept-language']).to.equal('fr-FR');
      expect(request.headers.host).to.equal(`127.0.0.1:${server.port}`);
      expect(request.headers['user-agent']).to.equal(USER_AGENT);
    });

    it('rejects header injection as a programming error', async () => {
      let thrown: unknown;
      try {
        await fetcher.fetch(server.url('/'), { headers: { 'x-a': 'b\r\nx-injected: 1' } });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(TypeError);
      expect(server.requests).to.have.length(0);
    });
  });

  describe('URL rules', () => {
    it('refuses credentials, other schemes, privileged ports and garbage', async () => {
      await expectRefused(fetcher.fetch(`http://user:pass@127.0.0.1:${server.port}/`), 'invalidUrl');
      await expectRefused(fetcher.fetch(`ftp://127.0.0.1:${server.port}/`), 'badScheme');
      await expectRefused(fetcher.fetch('not a url'), 'invalidUrl');
      await expectRefused(fetcher.fetch('www.example.com'), 'invalidUrl');
      const err = await expectRefused(make({ resolve: async () => ['93.184.215.14'] }).fetch('http://example.com:22/'), 'invalidUrl');
      expect(err.params).to.deep.equal({});
      expect(server.requests).to.have.length(0);
    });

    it('does not open loopback on other ports, nor other loopback forms on the allowed port', async () => {
      other.route('/', respond.html('secret'));
      for (const url of [
        other.url('/'),
        `http://localhost:${server.port}/`,
        `http://127.0.0.2:${server.port}/`,
        `http://[::ffff:127.0.0.1]:${server.port}/`,
        `http://0x7f.1:${other.port}/`,
        `http://2130706433:${other.port}/`,
        'http://[::1]/',
      ]) {
        await expectRefused(fetcher.fetch(url, noRobots), 'forbiddenAddress');
      }
      expect(other.requests).to.have.length(0);
      expect(server.requests).to.have.length(0);
    });

    it('refuses to build the test-only option with a privileged port', () => {
      expect(() => new SafeFetcher({ allowLoopbackPorts: [80] })).to.throw(/unprivileged/);
    });
  });

  describe('redirects', () => {
    it('follows absolute and relative Locations and reports the final URL', async () => {
      server.route('/start', respond.redirect(server.url('/dir/one'), 301));
      server.route('/dir/one', respond.redirect('two', 302));
      server.route('/dir/two', respond.redirect('/final?x=1', 307));
      server.route('/final', respond.html(page));
      const res = await fetcher.fetch(server.url('/start'), noRobots);
      expect(res.url).to.equal(server.url('/final?x=1'));
      expect(res.body.toString()).to.equal(page);
    });

    it('refuses a redirect to 127.0.0.1 on another port (the other server is never reached)', async () => {
      other.route('/admin', respond.html('internal admin'));
      server.route('/go', respond.redirect(other.url('/admin')));
      const err = await expectRefused(fetcher.fetch(server.url('/go'), noRobots), 'forbiddenAddress');
      expect(err.params).to.deep.equal({ host: '127.0.0.1' });
      expect(other.requests).to.have.length(0);
    });

    it('refuses redirects to metadata, IPv6 loopback and private targets', async () => {
      const targets = [
        'http://169.254.169.254/latest/meta-data/iam/security-credentials',
        'http://metadata.google.internal/computeMetadata/v1/',
        'http://[fd00:ec2::254]/latest/meta-data/',
        'http://[::1]/',
        `http://[::1]:${other.port}/`,
        'http://[::ffff:169.254.169.254]/',
        'http://0xa9fea9fe/',
        'http://10.0.0.1/',
        'http://192.168.1.1:8080/',
      ];
      for (const [i, target] of targets.entries()) {
        server.route(`/r${i}`, respond.redirect(target));
        await expectRefused(fetcher.fetch(server.url(`/r${i}`), noRobots), 'forbiddenAddress');
      }
    });

    it('refuses redirects to other schemes and to URLs with credentials', async () => {
      server.route('/file', respond.redirect('file:///etc/passwd'));
      server.route('/gopher', respond.redirect('gopher://127.0.0.1:6379/_save'));
      server.route('/creds', respond.redirect(`http://a:b@127.0.0.1:${server.port}/`));
      await expectRefused(fetcher.fetch(server.url('/file'), noRobots), 'badScheme');
      await expectRefused(fetcher.fetch(server.url('/gopher'), noRobots), 'badScheme');
      await expectRefused(fetcher.fetch(server.url('/creds'), noRobots), 'invalidUrl');
    });

    it('stops after maxRedirects (default 5)', async () => {
      for (let i = 0; i < 7; i++) server.route(`/hop${i}`, respond.redirect(`/hop${i + 1}`));
      server.route('/hop7', respond.html(page));
      server.route('/loop', respond.redirect('/loop'));

      const err = await expectRefused(fetcher.fetch(server.url('/hop0'), noRobots), 'tooManyRedirects');
      expect(err.params).to.deep.equal({ max: 5 });
      expect(server.requests).to.have.length(6);
      await expectRefused(fetcher.fetch(server.url('/loop'), noRobots), 'tooManyRedirects');
      expect((await fetcher.fetch(server.url('/hop0'), { ...noRobots, maxRedirects: 7 })).url).to.equal(server.url('/hop7'));
      expect((await fetcher.fetch(server.url('/hop2'), noRobots)).url).to.equal(server.url('/hop7'));
      await expectRefused(fetcher.fetch(server.url('/hop6'), { ...noRobots, maxRedirects: 0 }), 'tooManyRedirects');
    });

    it('drops Authorization and Cookie when a redirect leaves the origin', async () => {
      const both = make({ allowLoopbackPorts: [server.port, other.port] });
      server.route('/away', respond.redirect(other.url('/landing')));
      server.route('/here', respond.redirect('/landing'));
      server.route('/landing', respond.html(page));
      other.route('/landing', respond.html(page));
      const headers = { authorization: 'Bearer t0ken', cookie: 'sid=1', 'accept-language': 'fr' };
      await both.fetch(server.url('/away'), { ...noRobots, headers });
      await both.fetch(server.url('/here'), { ...noRobots, headers });
      const [away] = other.requestsTo('/landing');
      expect(away.headers.authorization).to.equal(undefined);
      expect(away.headers.cookie).to.equal(undefined);
      expect(away.headers['accept-language']).to.equal('fr');
      const [here] = server.requestsTo('/landing');
      expect(here.headers.authorization).to.equal('Bearer t0ken');
    });
  });

  describe('timeouts and sizes', () => {
    it('gives up on a slow body at the deadline', async () => {
      server.route('/slow', respond.drip({ chunk: 'x', intervalMs: 50, count: 10_000 }));
      const started = Date.now();
      const err = await expectRefused(fetcher.fetch(server.url('/slow'), { ...noRobots, timeoutMs: 400 }), 'timeout');
      expect(Date.now() - started).to.be.within(350, 2000);
      expect(err.params).to.deep.equal({ seconds: 1 });
    });

    it('gives up on a server that never answers', async () => {
      server.route('/hang', respond.hang());
      const started = Date.now();
      await expectRefused(fetcher.fetch(server.url('/hang'), { ...noRobots, timeoutMs: 300 }), 'timeout');
      expect(Date.now() - started).to.be.below(2000);
    });

    it('counts redirects and robots.txt inside the same deadline', async () => {
      server.route('/robots.txt', respond.drip({ chunk: '#', intervalMs: 50 }));
      server.route('/page', respond.html(page));
      const started = Date.now();
      await expectRefused(make().fetch(server.url('/page'), { timeoutMs: 400 }), 'timeout');
      expect(Date.now() - started).to.be.below(2000);
      expect(server.requestsTo('/page')).to.have.length(0);
    });

    it('stops a huge streamed body at the cap', async () => {
      server.route('/huge', respond.huge(200 * 1024 * 1024));
      const err = await expectRefused(fetcher.fetch(server.url('/huge'), { ...noRobots, maxBytes: 1024 * 1024 }), 'tooLarge');
      expect(err.params).to.deep.equal({ megabytes: 1 });
    });

    it('refuses a declared Content-Length over the cap before reading, and applies the 5 MB default', async () => {
      server.route('/declared', respond.huge(50 * 1024 * 1024, { declareLength: true }));
      server.route('/six', respond.huge(6 * 1024 * 1024));
      server.route('/four', respond.huge(4 * 1024 * 1024));
      await expectRefused(fetcher.fetch(server.url('/declared'), noRobots), 'tooLarge');
      const err = await expectRefused(fetcher.fetch(server.url('/six'), noRobots), 'tooLarge');
      expect(err.params).to.deep.equal({ megabytes: DEFAULT_MAX_BYTES / 1024 / 1024 });
      expect((await fetcher.fetch(server.url('/four'), noRobots)).body.length).to.equal(4 * 1024 * 1024);
    });

    it('caps the DECODED size of gzip, deflate and brotli bombs', async () => {
      for (const encoding of ['gzip', 'deflate', 'br'] as const) {
        server.route(`/bomb-${encoding}`, respond.bomb(100 * 1024 * 1024, { encoding }));
        await expectRefused(fetcher.fetch(server.url(`/bomb-${encoding}`), noRobots), 'tooLarge');
      }
    });

    it('refuses content codings it did not ask for', async () => {
      server.route('/zstd', respond.body('xxxx', { contentType: 'text/html', headers: { 'content-encoding': 'zstd' } }));
      const err = await expectRefused(fetcher.fetch(server.url('/zstd'), noRobots), 'contentType');
      expect(err.params).to.deep.equal({ contentType: 'content-encoding: zstd' });
    });
  });

  describe('content types and statuses', () => {
    it('refuses a content type outside `accept`, before reading the body', async () => {
      server.route('/doc', respond.body('%PDF-1.7', { contentType: 'application/pdf' }));
      server.route('/bare', respond.body('??'));
      const err = await expectRefused(fetcher.fetch(server.url('/doc'), { ...noRobots, accept: ['text/html'] }), 'contentType');
      expect(err.params).to.deep.equal({ contentType: 'application/pdf' });
      await expectRefused(fetcher.fetch(server.url('/bare'), { ...noRobots, accept: ['text/'] }), 'contentType');
      const pdf = await fetcher.fetch(server.url('/doc'), { ...noRobots, accept: ['text/html', 'application/pdf'] });
      expect(pdf.contentType).to.equal('application/pdf');
      const any = await fetcher.fetch(server.url('/bare'), noRobots);
      expect(any.contentType).to.equal('application/octet-stream');
    });

    it('accepts prefixes such as text/ and application/rss', async () => {
      server.route('/feed', respond.body('<rss/>', { contentType: 'application/rss+xml; charset=ISO-8859-1' }));
      const res = await fetcher.fetch(server.url('/feed'), { ...noRobots, accept: ['application/rss', 'text/*'] });
      expect(res.contentType).to.equal('application/rss+xml');
      expect(res.charset).to.equal('iso-8859-1');
    });

    it('turns non-2xx answers into httpStatus with the status', async () => {
      server.route('/gone', respond.status(410));
      server.route('/boom', respond.status(500));
      const notFound = await expectRefused(fetcher.fetch(server.url('/missing'), noRobots), 'httpStatus');
      expect(notFound.params).to.deep.equal({ status: 404 });
      expect((await expectRefused(fetcher.fetch(server.url('/gone'), noRobots), 'httpStatus')).params).to.deep.equal({ status: 410 });
      expect((await expectRefused(fetcher.fetch(server.url('/boom'), noRobots), 'httpStatus')).params).to.deep.equal({ status: 500 });
    });

    it('answers 304 to a conditional GET as notModified (If-None-Match, If-Modified-Since)', async () => {
      const lastModified = 'Tue, 01 Apr 2025 08:00:00 GMT';
      server.route('/feed', respond.body('<rss/>', { contentType: 'application/rss+xml', etag: '"v2"', lastModified }));

      const fresh = await fetcher.fetch(server.url('/feed'), { ...noRobots, ifNoneMatch: '"v2"' });
      expect(fresh.notModified).to.equal(true);
      expect(fresh.status).to.equal(304);
      expect(fresh.body.length).to.equal(0);
      expect(server.requestsTo('/feed')[0].headers['if-none-match']).to.equal('"v2"');

      const changed = await fetcher.fetch(server.url('/feed'), { ...noRobots, ifNoneMatch: '"v1"' });
      expect(changed.notModified).to.equal(false);
      expect(changed.headers.etag).to.equal('"v2"');
      expect(changed.body.toString()).to.equal('<rss/>');

      const since = await fetcher.fetch(server.url('/feed'), { ...noRobots, ifModifiedSince: lastModified });
      expect(since.notModified).to.equal(true);
      const older = await fetcher.fetch(server.url('/feed'), { ...noRobots, ifModifiedSince: 'Mon, 01 Jan 2024 00:00:00 GMT' });
      expect(older.notModified).to.equal(false);
    });

    it('treats a 304 to an unconditional request as an error status', async () => {
      server.route('/odd', (_req, res) => void res.writeHead(304).end());
      expect((await expectRefused(fetcher.fetch(server.url('/odd'), noRobots), 'httpStatus')).params).to.deep.equal({ status: 304 });
    });

    it('reports a closed port as unreachable', async () => {
      const port = await closedPort();
      const err = await expectRefused(make({ allowLoopbackPorts: [port] }).fetch(`http://127.0.0.1:${port}/`, noRobots), 'unreachable');
      expect(err.params).to.deep.equal({ host: '127.0.0.1' });
    });
  });

  describe('robots.txt', () => {
    it('refuses a disallowed page without requesting it, and fetches an allowed one', async () => {
      const robotsFetcher = make();
      server.route('/robots.txt', respond.robots('User-agent: *\nDisallow: /private\n'));
      server.route('/private/prices', respond.html(page));
      server.route('/public', respond.html(page));
      const err = await expectRefused(robotsFetcher.fetch(server.url('/private/prices')), 'robots');
      expect(err.params).to.deep.equal({ host: '127.0.0.1' });
      expect(server.requestsTo('/private/prices')).to.have.length(0);
      expect((await robotsFetcher.fetch(server.url('/public'))).status).to.equal(200);
      expect(server.requestsTo('/robots.txt')[0].headers['user-agent']).to.equal(USER_AGENT);
    });

    it('follows the CadenceBot group over `*`', async () => {
      const robotsFetcher = make();
      server.route('/robots.txt', respond.robots('User-agent: *\nDisallow: /\n\nUser-agent: CadenceBot\nDisallow: /admin\n'));
      server.route('/', respond.html(page));
      expect((await robotsFetcher.fetch(server.url('/'))).status).to.equal(200);
      await expectRefused(robotsFetcher.fetch(server.url('/admin')), 'robots');
    });

    it('caches robots.txt per origin for an hour', async () => {
      let now = Date.parse('2025-06-01T10:00:00Z');
      const robotsFetcher = make({ now: () => now });
      server.route('/robots.txt', respond.robots('User-agent: *\nDisallow: /private\n'));
      server.route('/a', respond.html(page));
      server.route('/b', respond.html(page));
      await robotsFetcher.fetch(server.url('/a'));
      await robotsFetcher.fetch(server.url('/b'));
      await expectRefused(robotsFetcher.fetch(server.url('/private')), 'robots');
      expect(server.requestsTo('/robots.txt')).to.have.length(1);
      now += 59 * 60 * 1000;
      await robotsFetcher.fetch(server.url('/a'));
      expect(server.requestsTo('/robots.txt')).to.have.length(1);
      now += 2 * 60 * 1000;
      await robotsFetcher.fetch(server.url('/a'));
      expect(server.requestsTo('/robots.txt')).to.have.length(2);
    });

    it('allows everything when robots.txt is missing (4xx), disallows when it errors (5xx)', async () => {
      server.route('/page', respond.html(page));
      expect((await make().fetch(server.url('/page'))).status).to.equal(200);
      server.route('/robots.txt', respond.status(503));
      await expectRefused(make().fetch(server.url('/page')), 'robots');
    });

    it('is skipped with respectRobots: false (feeds the user subscribed to)', async () => {
      server.route('/robots.txt', respond.robots('User-agent: *\nDisallow: /\n'));
      server.route('/feed.xml', respond.body('<rss/>', { contentType: 'application/rss+xml' }));
      expect((await make().fetch(server.url('/feed.xml'), { respectRobots: false })).status).to.equal(200);
      expect(server.requestsTo('/robots.txt')).to.have.length(0);
    });

    it('checks robots.txt of every origin a redirect reaches', async () => {
      const both = make({ allowLoopbackPorts: [server.port, other.port] });
      server.route('/moved', respond.redirect(other.url('/blocked')));
      other.route('/robots.txt', respond.robots('User-agent: *\nDisallow: /blocked\n'));
      other.route('/blocked', respond.html(page));
      await expectRefused(both.fetch(server.url('/moved')), 'robots');
      expect(other.requestsTo('/blocked')).to.have.length(0);
    });
  });

  describe('DNS: resolved by the fetcher, connection pinned to the validated answer', () => {
    it('connects to the validated IP only, even if the name rebinds afterwards', async () => {
      server.route('/', respond.html(page));
      const calls: string[] = [];
      const answers = [['127.0.0.1'], ['169.254.169.254'], ['10.0.0.1']];
      const rebinding = make({
        resolve: async (host) => {
          calls.push(host);
          return answers[Math.min(calls.length - 1, answers.length - 1)];
        },
      });
      const host = `rebind.cadence.test:${server.port}`;
      const res = await rebinding.fetch(`http://${host}/`, noRobots);
      expect(res.body.toString()).to.equal(page);
      // One lookup for the one connection: nothing resolved the name a second time.
      expect(calls).to.deep.equal(['rebind.cadence.test']);
      const [request] = server.requestsTo('/');
      expect(request.headers.host).to.equal(host);

      // The next fetch sees the rebound answer and is refused before connecting.
      await expectRefused(rebinding.fetch(`http://${host}/`, noRobots), 'forbiddenAddress');
      expect(server.requestsTo('/')).to.have.length(1);
    });

    it('public answer first, then 127.0.0.1: the socket only ever targets the validated public IP', async () => {
      // No packet may leave the machine: the socket layer is stubbed to record its target and fail at once.
      const targets: string[] = [];
      const original = net.Socket.prototype.connect;
      const stub = function (this: net.Socket, ...args: unknown[]) {
        const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
        const options = first as { host?: string; port?: number };
        targets.push(`${options.host}:${options.port}`);
        process.nextTick(() => this.destroy(Object.assign(new Error('connect ECONNREFUSED (stubbed)'), { code: 'ECONNREFUSED' })));
        return this;
      };
      net.Socket.prototype.connect = stub as unknown as typeof original;
      try {
        let calls = 0;
        const rebinding = make({ resolve: async () => (++calls === 1 ? ['93.184.215.14'] : ['127.0.0.1']) });
        await expectRefused(rebinding.fetch(`http://rebind.cadence.test:${server.port}/`, noRobots), 'unreachable');
        expect(calls).to.equal(1);
        expect(targets).to.deep.equal([`93.184.215.14:${server.port}`]);
      } finally {
        net.Socket.prototype.connect = original;
      }
      expect(server.requests).to.have.length(0);
    });

    it('resolves once for robots.txt and the page of the same origin: both go to the checked answer', async () => {
      server.route('/robots.txt', respond.robots('User-agent: *\nAllow: /\n'));
      server.route('/', respond.html(page));
      let calls = 0;
      const rebinding = make({ resolve: async () => (++calls === 1 ? ['127.0.0.1'] : ['169.254.169.254']) });
      const res = await rebinding.fetch(`http://rebind.cadence.test:${server.port}/`);
      expect(res.status).to.equal(200);
      expect(calls).to.equal(1);
      expect(server.requestsTo('/robots.txt')).to.have.length(1);
      expect(server.requestsTo('/')).to.have.length(1);
    });

    it('refuses a name when ANY answer is private, whatever the order (nothing is contacted)', async () => {
      server.route('/', respond.html(page));
      const mixedAnswers = [
        ['93.184.215.14', '127.0.0.1'],
        ['127.0.0.1', '93.184.215.14'],
        ['93.184.215.14', '10.0.0.1'],
        ['2606:4700::1', 'fe80::1'],
        ['8.8.8.8', '::ffff:169.254.169.254'],
      ];
      for (const answers of mixedAnswers) {
        // Without the test-only option, exactly as in production.
        const mixed = new SafeFetcher({ resolve: async () => answers });
        const err = await expectRefused(mixed.fetch(`http://mixed.cadence.test:${server.port}/`, noRobots), 'forbiddenAddress');
        expect(err.params).to.deep.equal({ host: 'mixed.cadence.test' });
      }
      // With it, loopback on the fixture port is admitted but any other private answer still refuses the name.
      const flagged = make({ resolve: async () => ['127.0.0.1', '10.0.0.1'] });
      await expectRefused(flagged.fetch(`http://mixed.cadence.test:${server.port}/`, noRobots), 'forbiddenAddress');
      expect(server.requests).to.have.length(0);
    });

    it('refuses resolver answers that are not strict IP literals', async () => {
      for (const answers of [['0x7f.1'], ['2130706433'], ['0177.0.0.1'], ['localhost']]) {
        const odd = make({ resolve: async () => answers });
        await expectRefused(odd.fetch(`http://odd.cadence.test:${server.port}/`, noRobots), 'forbiddenAddress');
      }
    });

    it('reports lookup failures and empty answers as dnsFailure', async () => {
      const failing = make({ resolve: async (host) => Promise.reject(Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' })) });
      const err = await expectRefused(failing.fetch('http://nowhere.cadence.test/', noRobots), 'dnsFailure');
      expect(err.params).to.deep.equal({ host: 'nowhere.cadence.test' });
      await expectRefused(make({ resolve: async () => [] }).fetch('http://empty.cadence.test/', noRobots), 'dnsFailure');
    });

    it('bounds a resolver that never answers by the deadline', async () => {
      const stuck = make({ resolve: () => new Promise<string[]>(() => undefined) });
      await expectRefused(stuck.fetch('http://stuck.cadence.test/', { ...noRobots, timeoutMs: 200 }), 'timeout');
    });
  });
});
