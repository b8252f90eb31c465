import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SafeFetcher } from '../../../../src/adapters/fetch/safe-fetcher.js';
import { FetchRefusedError, type FetchRefusal } from '../../../../src/shared/url-fetcher.js';
import { HttpFixtureServer, respond } from '../../../support/http-fixture-server.js';

/**
 * Every entry of the shared SSRF corpus (`../shared/corpus/security/ssrf.txt` and `ssrf.json`, never edited)
 * goes through the real `SafeFetcher.fetch`, with no network:
 *
 * - URLs that do not parse, use another scheme or carry credentials are refused statically;
 * - IP literals (in every encoding the WHATWG parser folds) and forbidden names are refused BEFORE any DNS
 *   lookup: the stub resolver must not even be called;
 * - names that need DNS (`*.nip.io`, `localtest.me`, `1u.ms` rebinding…) are answered by a stub resolver with
 *   the addresses the corpus says they resolve to (`intended_target`), and refused on those answers;
 * - open redirectors (`r3dir.me`, `nicob.net`, `ssrf.localdomain.pw`) are replayed through the local fixture
 *   server, which answers the redirect the real service sends; the fetcher must refuse the hop;
 * - two entries name a PUBLIC host once parsed by a WHATWG parser (`ⓔⓧⓐⓜⓟⓛⓔ.ⓒⓞⓜ` is example.com, and
 *   `google.com:80\\@127.88.23.245:22/` is google.com with an odd path): the trick does not work on this
 *   parser, so there is nothing to refuse. The test checks the fetcher targets that public name and never the
 *   hidden address (the stub resolver then fails the lookup, so nothing leaves the machine).
 */

const corpusDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/corpus/security');

interface CorpusEntry {
  url: string;
  category: string;
  intended_target: string | null;
  source: string;
  note?: string;
}

const txtEntries = fs
  .readFileSync(path.join(corpusDir, 'ssrf.txt'), 'utf8')
  .split('\n')
  .map((line) => line.replace(/\r$/, ''))
  .filter((line) => line.trim() !== '' && !line.startsWith('#'));
const jsonEntries = JSON.parse(fs.readFileSync(path.join(corpusDir, 'ssrf.json'), 'utf8')) as CorpusEntry[];

const DNS_CATEGORIES = new Set(['dns-to-loopback', 'dns-to-metadata', 'dns-rebinding']);
/** Parsed by WHATWG into a public host: the bypass does not apply (see above). */
const PUBLIC_ONCE_PARSED = new Map([
  ['http://ⓔⓧⓐⓜⓟⓛⓔ.ⓒⓞⓜ', 'example.com'],
  ['http://google.com:80\\\\@127.88.23.245:22/', 'google.com'],
]);

/** IPv4 and IPv6 literals mentioned in an `intended_target` ("alternates 1.2.3.4 / 169.254.169.254"). */
function addressesIn(text: string | null): string[] {
  if (!text) return [];
  const v4 = text.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? [];
  const v6 = text.match(/(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}/gi) ?? [];
  return [...v4, ...v6];
}

/** An independent oracle: what the fetcher must answer for a (non-redirect) entry. */
function expectedReason(raw: string): FetchRefusal {
  if (PUBLIC_ONCE_PARSED.has(raw)) return 'dnsFailure';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'invalidUrl';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'badScheme';
  if (url.username || url.password) return 'invalidUrl';
  return 'forbiddenAddress';
}

async function refusal(promise: Promise<unknown>): Promise<FetchRefusedError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(FetchRefusedError);
    return err as FetchRefusedError;
  }
  expect.fail('the fetch was not refused');
}

describe('SafeFetcher against the SSRF corpus (every entry)', () => {
  const asked: string[] = [];
  const dnsAnswers = new Map<string, string[]>();
  for (const entry of jsonEntries) {
    if (!DNS_CATEGORIES.has(entry.category)) continue;
    dnsAnswers.set(new URL(entry.url).hostname, addressesIn(entry.intended_target));
  }
  const resolve = async (host: string): Promise<string[]> => {
    asked.push(host);
    const answers = dnsAnswers.get(host);
    if (answers) return answers;
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };
  const fetcher = new SafeFetcher({ resolve, connectTimeoutMs: 1000 });

  beforeEach(() => {
    asked.length = 0;
  });

  it('reads 154 entries, the same in ssrf.txt and ssrf.json', () => {
    expect(txtEntries).to.have.length(154);
    expect(jsonEntries).to.have.length(154);
    expect(jsonEntries.map((e) => e.url)).to.deep.equal(txtEntries);
  });

  it('has stub DNS answers for every entry that needs DNS, each naming a forbidden address', () => {
    for (const entry of jsonEntries.filter((e) => DNS_CATEGORIES.has(e.category))) {
      expect(addressesIn(entry.intended_target), entry.url).not.to.be.empty;
    }
  });

  describe('refused statically or on the resolved answers', () => {
    for (const entry of jsonEntries.filter((e) => e.category !== 'open-redirect')) {
      const expected = expectedReason(entry.url);
      it(`${entry.category}: ${entry.url} → ${expected}`, async () => {
        const err = await refusal(fetcher.fetch(entry.url, { timeoutMs: 2000 }));
        expect(err.reason).to.equal(expected);
        expect(err.code).to.equal(`fetch.errors.${expected}`);
        expect(err.status).to.equal(422);
        if (DNS_CATEGORIES.has(entry.category)) {
          // Refused on the stub's answers: the name itself looked public.
          expect(asked).to.deep.equal([new URL(entry.url).hostname]);
        } else if (PUBLIC_ONCE_PARSED.has(entry.url)) {
          // The only lookup is for the public name; the hidden 127.88.23.245 is never a target.
          expect(asked).to.deep.equal([PUBLIC_ONCE_PARSED.get(entry.url)]);
        } else {
          // Literal addresses, bad schemes, forbidden names: no lookup at all.
          expect(asked).to.deep.equal([]);
        }
      });
    }
  });

  it('refuses a rebinding name whether the forbidden answer comes first or second', async () => {
    const rebinding = jsonEntries.find((e) => e.category === 'dns-rebinding' && e.url.includes('1u.ms'));
    expect(rebinding).to.not.equal(undefined);
    const host = new URL(rebinding!.url).hostname;
    for (const answers of [['1.2.3.4', '169.254.169.254'], ['169.254.169.254', '1.2.3.4'], ['169.254.169.254']]) {
      const stub = new SafeFetcher({ resolve: async () => answers });
      const err = await refusal(stub.fetch(rebinding!.url));
      expect(err.reason, answers.join(',')).to.equal('forbiddenAddress');
      expect(err.params).to.deep.equal({ host });
    }
  });

  describe('open redirects, replayed by the local fixture server', () => {
    let server: HttpFixtureServer;
    let replayer: SafeFetcher;

    before(async () => {
      server = await HttpFixtureServer.start();
      replayer = new SafeFetcher({ allowLoopbackPorts: [server.port] });
    });
    after(async () => server.close());
    afterEach(() => server.reset());

    /** The Location and status the real redirector answers, from the entry and its `intended_target`. */
    function redirectOf(entry: CorpusEntry): { location: string; status: number } {
      const target = entry.intended_target ?? '';
      const absolute = target.match(/https?:\/\/\S+/)?.[0];
      const location = absolute ?? `http://${addressesIn(target)[0]}/`;
      const code = entry.url.match(/[?&]code=(\d{3})/)?.[1] ?? entry.url.match(/(?:^|[./-])(30[1-8])[./-]/)?.[1] ?? '302';
      return { location, status: Number(code) };
    }

    for (const entry of jsonEntries.filter((e) => e.category === 'open-redirect')) {
      it(`open-redirect: ${entry.url}`, async () => {
        const { location, status } = redirectOf(entry);
        const original = new URL(entry.url);
        server.route(original.pathname, respond.redirect(location, status));
        const err = await refusal(replayer.fetch(`${server.origin}${original.pathname}${original.search}`, { timeoutMs: 3000 }));
        // A 30x to the private target is refused at the hop; `code=332` is no redirect status, so it is not followed.
        expect(err.reason).to.equal(status === 332 ? 'httpStatus' : 'forbiddenAddress');
        expect(server.requestsTo(original.pathname)).to.have.length(1);
      });
    }
  });
});
