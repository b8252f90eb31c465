import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { decodeXml, FeedError, FeedReader, parseXmlFeed, repairXml, type ParsedFeed } from '../../../../src/modules/watch/feed-reader.js';
import { CORPUS_DIR } from '../../../support/corpus.js';

/**
 * Every feed of `../shared/corpus/feeds/` (real captures and malformed inputs) through the watch's feed reader, and
 * rss-parser's own goldens (`expected-rss-parser/`) against what it parses from bytes decoded by the reader.
 */

const REAL = path.join(CORPUS_DIR, 'feeds/real');
const EDGE = path.join(CORPUS_DIR, 'feeds/edge');
const bytes = (dir: string, file: string) => fs.readFileSync(path.join(dir, file));
const reader = new FeedReader();

async function failure(promise: Promise<unknown>): Promise<FeedError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(FeedError);
    return err as FeedError;
  }
  throw new Error('expected a FeedError');
}

/** Entries every reader promise holds: a guid each (unique), http(s) URLs only, titles without markup. */
function expectWellFormed(feed: ParsedFeed): void {
  const guids = feed.entries.map((e) => e.guid);
  expect(new Set(guids).size, 'unique guids').to.equal(guids.length);
  for (const entry of feed.entries) {
    expect(entry.guid).to.be.a('string').and.not.equal('');
    if (entry.url) expect(entry.url).to.match(/^https?:\/\//);
    if (entry.title) expect(entry.title).not.to.match(/<\/?[a-z][^>]*>/i);
    if (entry.summary) {
      expect(entry.summary).not.to.match(/<\/?(?:p|div|a|img|br|b|strong|span|iframe)\b[^>]*>/i);
      expect(entry.summary.length).to.be.at.most(2000);
    }
    if (entry.publishedAt) expect(Number.isNaN(entry.publishedAt.getTime())).to.equal(false);
  }
}

describe('FeedReader', () => {
  describe('real feeds (feeds/real)', () => {
    const expectations: Record<string, { format: ParsedFeed['format']; entries: number; check?: (feed: ParsedFeed) => void }> = {
      'guardian-us.rss': {
        format: 'rss',
        entries: 55,
        check: (feed) => {
          expect(feed.title).to.equal('The Guardian');
          expect(feed.entries[0].title).to.equal('Trump State of the Union address promised unity but emphasized discord');
          expect(feed.entries[0].publishedAt?.toISOString()).to.equal('2018-01-31T07:26:05.000Z');
        },
      },
      'heise-developer-de.atom': { format: 'atom', entries: 15, check: (feed) => expect(feed.entries.map((e) => e.summary).join(' ')).to.match(/verfügbare/) },
      'sciencemag-twis.rss1.rdf': { format: 'rss', entries: 69, check: (feed) => expect(feed.entries[0].title).to.equal('Food for fungi') },
      'jn-pt-iso-8859-1.rss': {
        format: 'rss',
        entries: 40,
        check: (feed) => {
          expect(feed.title).to.equal('Jornal de Notícias - Últimas Notícias');
          expect(feed.entries[0].title).to.equal('Mãe de utente é a nova presidente da Raríssimas');
        },
      },
      'medium-tagged-food.rss': { format: 'rss', entries: 7, check: (feed) => expect(feed.entries[0].title).to.equal('THE CREATIVE FORAGER') },
      'blogger-feedburner.atom': { format: 'atom', entries: 25 },
      'aws-blog.atom': { format: 'atom', entries: 10, check: (feed) => expect(feed.entries[0].title).to.equal('AWS Job: Architect & Designer Position in Turkey') },
      'youtube-channel.atom': { format: 'atom', entries: 15, check: (feed) => expect(feed.entries[0].guid).to.equal('yt:video:5shykyfmb28') },
      'google-alerts.atom': {
        format: 'atom',
        entries: 20,
        // titles carry <b> markup upstream
        check: (feed) => expect(feed.entries[0].title).to.equal('Report offers Prediction of Automotive Slack Market by Top key players like Haldex, Meritor, Bendix ...'),
      },
      'inessential-jsonfeed.json': {
        format: 'json',
        entries: 20,
        check: (feed) => {
          expect(feed.title).to.equal('inessential.com');
          expect(feed.entries[0].publishedAt?.toISOString()).to.equal('2017-06-03T05:05:47.000Z');
        },
      },
      'itunes-podcast-sample.rss': { format: 'rss', entries: 3 },
      'intertwingly-samruby.atom': {
        format: 'atom',
        entries: 20,
        check: (feed) => expect(feed.entries[0].url).to.equal('http://intertwingly.net/blog/2012/07/16/Inhibiting-Suspend'),
      },
      'heise-online-rss090.rdf': { format: 'rss', entries: 60, check: (feed) => expect(feed.entries[0].title).to.equal('Facebook f8: Künstliche Intelligenz räumt den Newsfeed auf') },
      'fr-pcinpact.rss': { format: 'rss', entries: 30, check: (feed) => expect(feed.entries[0].title).to.equal('La DCRI purge Wikipedia par la menace, un bel effet Streisand à la clé') },
      'fr-rue89.rss': {
        format: 'rss',
        entries: 25,
        check: (feed) => {
          expect(feed.entries[0].title).to.equal('Quand Jérôme Cahuzac trouvait que « sa présence finissait par rejaillir sur... »');
          // FeedSportal's share buttons and tracking pixels are markup, not text
          expect(feed.entries.map((e) => e.summary ?? '').join(' ')).not.to.match(/<img|feedsportal\.com\/r\//);
        },
      },
      'fr-sametmax-wordpress.rss': { format: 'rss', entries: 10, check: (feed) => expect(feed.title).to.equal('Sam & Max: Python, Django, Git et du cul') },
      'fr-universfreebox-rss092-iso-8859-1.rss': {
        format: 'rss',
        entries: 30,
        check: (feed) => expect(feed.entries[0].title).to.equal('Retour de Xavier Niel sur Twitter, « sans initiative privée, pas de révolution #Born2code »'),
      },
      'fr-jeuxlinux-spip.rss': {
        format: 'rss',
        entries: 20,
        check: (feed) => {
          expect(feed.entries[0].title).to.equal('Le renouveau de LinuxConsole');
          expect(feed.entries[0].publishedAt?.toISOString()).to.equal('2013-12-30T12:16:44.000Z');
        },
      },
    };

    it('covers every file of the folder', () => {
      const files = fs.readdirSync(REAL).filter((f) => fs.statSync(path.join(REAL, f)).isFile());
      expect(files.sort()).to.deep.equal(Object.keys(expectations).sort());
    });

    for (const [file, expected] of Object.entries(expectations)) {
      it(`reads ${file}`, async () => {
        const feed = await reader.read(bytes(REAL, file), { url: 'https://feeds.example.com/feed' });
        expect(feed.format).to.equal(expected.format);
        expect(feed.entries).to.have.length(expected.entries);
        expect(feed.recovered).to.equal(false);
        expectWellFormed(feed);
        expected.check?.(feed);
      });
    }

    it('decodes Latin-1 the same whether the charset comes from the declaration or from the transport', async () => {
      const declared = await reader.read(bytes(REAL, 'jn-pt-iso-8859-1.rss'));
      const transport = await reader.read(bytes(REAL, 'jn-pt-iso-8859-1.rss'), { charset: 'latin1' });
      expect(transport.entries.map((e) => e.title)).to.deep.equal(declared.entries.map((e) => e.title));
      // servers that label everything utf-8 are not believed when the bytes say otherwise
      const mislabelled = await reader.read(bytes(REAL, 'fr-universfreebox-rss092-iso-8859-1.rss'), { charset: 'utf-8' });
      expect(mislabelled.entries[0].title).to.include('« sans initiative privée');
    });
  });

  describe("rss-parser's goldens (feeds/real/expected-rss-parser)", () => {
    const goldens: Record<string, { feed: string; options?: ConstructorParameters<typeof import('rss-parser')>[0]; latin1?: boolean }> = {
      'heise-developer-de.json': { feed: 'heise-developer-de.atom' },
      'blogger-feedburner.json': { feed: 'blogger-feedburner.atom' },
      'medium-tagged-food.json': { feed: 'medium-tagged-food.rss' },
      'sciencemag-twis.rss1.json': { feed: 'sciencemag-twis.rss1.rdf' },
      'jn-pt-iso-8859-1.json': { feed: 'jn-pt-iso-8859-1.rss', latin1: true },
      'guardian-us.json': { feed: 'guardian-us.rss', options: { customFields: { item: [['media:content', 'media:content', { keepArray: true }]] } } },
    };

    it('covers every golden', () => {
      expect(fs.readdirSync(path.join(REAL, 'expected-rss-parser')).sort()).to.deep.equal(Object.keys(goldens).sort());
    });

    for (const [golden, { feed, options, latin1 }] of Object.entries(goldens)) {
      it(`matches ${golden}`, async () => {
        const raw = fs.readFileSync(path.join(REAL, 'expected-rss-parser', golden));
        const expected = JSON.parse(raw.toString(latin1 ? 'latin1' : 'utf8')) as { feed: { items: Record<string, unknown>[] } };
        if (golden === 'guardian-us.json') {
          // written by an older rss-parser that also derived `mediaContent` from media:content (kept as such above)
          for (const item of expected.feed.items) delete item.mediaContent;
        }
        const parsed = await parseXmlFeed(decodeXml(bytes(REAL, feed), latin1 ? 'latin1' : undefined), options);
        expect(JSON.parse(JSON.stringify({ feed: parsed }))).to.deep.equal(expected);
      });
    }

    it('matches expected-rss-parser-atom-missing-fields.json (edge)', async () => {
      const expected = JSON.parse(fs.readFileSync(path.join(EDGE, 'expected-rss-parser-atom-missing-fields.json'), 'utf8'));
      const parsed = await parseXmlFeed(decodeXml(bytes(EDGE, 'atom-missing-fields.atom')));
      expect(JSON.parse(JSON.stringify({ feed: parsed }))).to.deep.equal(expected);
    });
  });

  describe('malformed and awkward feeds (feeds/edge)', () => {
    type Expectation = { error: 'notAFeed' | 'malformedFeed' } | { entries: number; recovered?: boolean; check?: (feed: ParsedFeed) => void };
    const expectations: Record<string, Expectation> = {
      'marketwatch-redirect-html.rss': { error: 'notAFeed' },
      'not-a-feed.html': { error: 'notAFeed' },
      'atom-missing-fields.atom': {
        entries: 1,
        check: (feed) => expect(feed.entries[0]).to.deep.equal({ guid: 'tag:github.com,2008:Repository/11167738/v3.9.0', url: null, title: null, summary: null, publishedAt: null }),
      },
      'rss-invalid-date-format.xml': {
        // cut off before </rss>: read from a repaired copy; the unix-timestamp dc:date does not override pubDate
        entries: 2,
        recovered: true,
        check: (feed) => {
          expect(feed.entries.map((e) => e.publishedAt?.toISOString())).to.deep.equal(['2017-10-16T15:10:00.000Z', '2017-10-17T12:17:00.000Z']);
        },
      },
      'rss-unescaped-ampersand.xml': {
        entries: 3,
        recovered: true,
        check: (feed) => {
          expect(feed.entries.map((e) => e.title)).to.deep.equal(['Good Item', 'Bad Item', 'Item After Error']);
          expect(feed.entries[1].url).to.equal('http://example.com/bad?foo=1&bar=2');
        },
      },
      'gzip-compressed-body.xml': {
        entries: 10,
        check: (feed) => {
          expect(feed.title).to.equal('Новости Оренбурга и области / Раздел Новости');
          expect(feed.entries[0].title).to.equal('В Бузулуке главные стройплощадки – детсад и Ледовый дворец');
        },
      },
      'pcmag-illegally-nested.rss': { entries: 10, check: (feed) => expect(feed.entries[0].title).to.equal('My Professional Armchair Analysis of CES') },
      'rss-unclosed-root.xml': { error: 'malformedFeed' },
      'rss-incomplete-cdata.xml': { error: 'malformedFeed' },
      'rss-empty-document.xml': { error: 'malformedFeed' },
      // well-formed XML, an unbound prefix only in the channel: a feed with nothing in it
      'rss-undeclared-namespace.xml': { entries: 0 },
      'rss-invalid-utf8-with-bom.xml': { error: 'malformedFeed' },
      'rss-utf16le-bom.xml': { entries: 0 },
      'rss-iso-8859-15.xml': { entries: 1, check: (feed) => expect(feed.entries[0].summary).to.equal('éàùç€@ïî') },
      'fr-cerclepsy-no-xml-decl-latin1.rss': {
        entries: 7,
        check: (feed) => expect(feed.entries[0].title).to.equal("Stéphane Gumpper : Qu'est-ce que la psychologie des religions ?"),
      },
    };

    it('covers every input of the folder', () => {
      const inputs = fs.readdirSync(EDGE).filter((f) => !f.startsWith('expected-'));
      expect(inputs.sort()).to.deep.equal(Object.keys(expectations).sort());
    });

    for (const [file, expected] of Object.entries(expectations)) {
      it(`${file} → ${'error' in expected ? `watch.errors.${expected.error}` : `${expected.entries} entries`}`, async () => {
        if ('error' in expected) {
          const err = await failure(reader.read(bytes(EDGE, file)));
          expect(err.code).to.equal(`watch.errors.${expected.error}`);
          return;
        }
        const feed = await reader.read(bytes(EDGE, file));
        expect(feed.entries).to.have.length(expected.entries);
        expect(feed.recovered).to.equal(expected.recovered ?? false);
        expectWellFormed(feed);
        expected.check?.(feed);
      });
    }
  });

  describe('details', () => {
    it('falls back from id/guid to the link, then to the title and date, for the entry key', async () => {
      const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><guid isPermaLink="false">g-1</guid><link>https://a.example/1</link><title>One</title></item>
        <item><link>/2</link><title>Two</title><pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate></item>
        <item><title>Three</title><pubDate>not a date</pubDate></item>
        <item><description>nothing to key on</description></item>
      </channel></rss>`;
      const feed = await reader.read(Buffer.from(xml), { url: 'https://a.example/feed.xml' });
      expect(feed.entries.map((e) => e.guid)).to.deep.equal(['g-1', '/2', 'title:Three|']);
      expect(feed.entries[1].url).to.equal('https://a.example/2');
      expect(feed.entries[1].publishedAt?.toISOString()).to.equal('2026-01-05T10:00:00.000Z');
      expect(feed.entries[2].publishedAt).to.equal(null);
    });

    it('strips markup and scripts from summaries, and decodes entities', async () => {
      const xml = `<rss version="2.0"><channel><item><guid>x</guid><title>A &amp; B</title>
        <description><![CDATA[<p>Nouveaux <b>prix</b>&nbsp;: <script>alert(1)</script>-20 % sur tout</p><img src="x.gif">]]></description></item></channel></rss>`;
      const [entry] = (await reader.read(Buffer.from(xml))).entries;
      expect(entry.title).to.equal('A & B');
      expect(entry.summary).to.equal('Nouveaux prix : -20 % sur tout');
    });

    it('reads JSON Feed by hand, and refuses JSON that is no feed', async () => {
      const doc = { version: 'https://jsonfeed.org/version/1.1', title: 'Blog', home_page_url: 'https://b.example/', items: [{ id: 1, url: '/p/1', content_html: '<p>Hello <em>world</em></p>', date_published: '2026-02-01T08:00:00+01:00' }] };
      const feed = await reader.read(Buffer.from(JSON.stringify(doc)));
      expect(feed.entries).to.deep.equal([{ guid: '1', url: 'https://b.example/p/1', title: null, summary: 'Hello world', publishedAt: new Date('2026-02-01T07:00:00Z') }]);
      expect((await failure(reader.read(Buffer.from('{"hello":"world"}')))).code).to.equal('watch.errors.notAFeed');
      expect((await failure(reader.read(Buffer.from('{"version":"https://jsonfeed.org/version/1",')))).code).to.equal('watch.errors.malformedFeed');
    });

    it('says notAFeed for XML that is not a feed, malformedFeed for bytes that are not XML', async () => {
      expect((await failure(reader.read(Buffer.from('<?xml version="1.0"?><urlset><url><loc>https://a.example/</loc></url></urlset>')))).code).to.equal('watch.errors.notAFeed');
      expect((await failure(reader.read(Buffer.from('%PDF-1.7 binary')))).code).to.equal('watch.errors.malformedFeed');
      expect((await failure(reader.read(zlib.gzipSync(Buffer.from('plain text'))))).code).to.equal('watch.errors.malformedFeed');
    });

    it('repairs only what it can: a bare ampersand, a document cut after complete entries', () => {
      expect(repairXml('<rss version="2.0"><channel><item><title>a & b</title></item><item><title>cut')).to.equal(
        '<rss version="2.0"><channel><item><title>a &amp; b</title></item></channel></rss>',
      );
      expect(repairXml('<feed><entry><id>1</id></entry><entry><id>2')).to.equal('<feed><entry><id>1</id></entry></feed>');
      const intact = '<rss version="2.0"><channel></channel></rss>';
      expect(repairXml(intact)).to.equal(intact);
    });
  });
});
