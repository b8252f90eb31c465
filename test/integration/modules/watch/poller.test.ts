import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { SafeFetcher } from '../../../../src/adapters/fetch/safe-fetcher.js';
import { prepareSchema } from '../../../../src/adapters/db/bootstrap.js';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import type { ChangeSink, DetectionInput } from '../../../../src/modules/watch/domain.js';
import { WatchPoller } from '../../../../src/modules/watch/poller.js';
import { NotFoundError } from '../../../../src/shared/errors.js';
import { createLogger } from '../../../../src/shared/logger.js';
import { CORPUS_DIR } from '../../../support/corpus.js';
import { testConfig } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';
import { createTestDatabase, type TestDatabase } from '../../../support/test-database.js';
import { WatchFixtureSite } from '../../../support/watch-fixture-site.js';

/**
 * The polling engine end to end: real SafeFetcher (loopback allowed on the fixture site's port only), real database
 * (a database of its own, so `pollDue` claims only this suite's sources), a recording change sink. Times are passed
 * explicitly (`now`): a frozen run never waits for a busy host, it defers the source.
 */

class RecordingSink implements ChangeSink {
  readonly inputs: DetectionInput[] = [];
  failNext = false;

  async detect(input: DetectionInput): Promise<{ changeIds: string[] }> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('detector down');
    }
    this.inputs.push(input);
    return { changeIds: [] };
  }

  last(): DetectionInput {
    const input = this.inputs.at(-1);
    if (!input) throw new Error('nothing detected');
    return input;
  }
}

const corpus = (file: string) => fs.readFileSync(path.join(CORPUS_DIR, file));
const T0 = new Date('2026-03-02T08:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe('WatchPoller (polling engine)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;
  let site: WatchFixtureSite;
  const sink = new RecordingSink();

  before(async () => {
    site = await WatchFixtureSite.start();
    const config = testConfig();
    db = await createTestDatabase();
    await prepareSchema(db.url, config, createLogger('silent'));
    container = buildContainer(config, db, {
      urlFetcher: asValue(new SafeFetcher({ allowLoopbackPorts: [site.port] })),
      changeSink: asValue(sink),
    });
    cradle = container.cradle;
  });
  afterEach(async () => {
    site.reset();
    sink.inputs.length = 0;
    // every test starts with no source due and a free host
    await cradle.database.asPlatform(async (trx) => {
      await trx('watchSources').update({ active: false });
      await trx('watchHosts').update({ nextFetchAt: null, leaseOwner: null, leaseExpiresAt: null });
    });
  });
  after(async () => {
    await container?.dispose();
    await db?.drop();
    await site?.close();
  });

  async function addSource(
    tenantId: string,
    url: string,
    options: { kind?: 'rss' | 'page'; extractMode?: 'full_text' | 'selectors'; intervalMinutes?: number; selectors?: { field: string; selector: string; attribute?: string; multiple?: boolean }[] } = {},
  ): Promise<string> {
    return cradle.database.forTenant(tenantId, async (trx) => {
      const [competitor] = await trx('competitors').insert({ tenantId, name: `Concurrent ${crypto.randomBytes(3).toString('hex')}`, website: site.url('/') }).returning('id');
      const [source] = await trx('watchSources')
        .insert({
          tenantId,
          competitorId: competitor.id,
          kind: options.kind ?? 'page',
          url,
          host: new URL(url).host,
          extractMode: options.extractMode ?? 'full_text',
          intervalMinutes: options.intervalMinutes ?? 60,
        })
        .returning('id');
      for (const s of options.selectors ?? []) {
        await trx('watchSelectors').insert({ tenantId, sourceId: source.id, field: s.field, selector: s.selector, attribute: s.attribute ?? null, multiple: s.multiple ?? false });
      }
      return source.id as string;
    });
  }

  const sourceRow = (tenantId: string, id: string) => cradle.database.forTenant(tenantId, (trx) => trx('watchSources').where({ id }).first());
  const snapshots = (tenantId: string, sourceId: string) => cradle.database.forTenant(tenantId, (trx) => trx('watchSnapshots').where({ sourceId }).orderBy('fetchedAt'));
  const fetchLog = (tenantId: string, sourceId: string) => cradle.database.forTenant(tenantId, (trx) => trx('watchFetchLog').where({ sourceId }).orderBy('fetchedAt'));

  it('first poll is a baseline; a 304 records the bytes saved; a change is a new snapshot handed on; a revert makes the older snapshot current', async () => {
    const tenant = await createTenant(cradle.database);
    const article = corpus('html/readability-lemonde-1/source.html');
    site.serve('/article', article, { contentType: 'text/html; charset=utf-8' });
    const sourceId = await addSource(tenant.id, site.url('/article'));

    const first = await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(0) });
    expect(first.outcome).to.equal('changed');
    expect(sink.inputs).to.have.length(1);
    expect(sink.last()).to.include({ tenantId: tenant.id, firstPoll: true, previous: null });
    expect(sink.last().newEntries).to.deep.equal([]);
    expect(sink.last().current?.text).to.include('Les députés ont, sans surprise, adopté');
    expect(sink.last().source).to.include({ id: sourceId, kind: 'page', host: site.host });
    const [baseline] = await snapshots(tenant.id, sourceId);
    expect(baseline.bytes).to.equal(article.length);

    // unchanged: the stored validators come back, the server answers 304
    const second = await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(60) });
    expect(second.outcome).to.equal('not_modified');
    expect(site.responsesTo('/article').map((r) => r.status)).to.deep.equal([200, 304]);
    expect(site.responsesTo('/article')[1].ifNoneMatch).to.match(/^"v\d+-/);
    expect(site.responsesTo('/article')[1].ifModifiedSince).to.be.a('string');
    const log = await fetchLog(tenant.id, sourceId);
    expect(log.map((l) => [l.outcome, l.httpStatus, l.bytesReceived, l.bytesSaved])).to.deep.equal([
      ['changed', 200, article.length, 0],
      ['not_modified', 304, 0, article.length],
    ]);
    expect(sink.inputs).to.have.length(1);

    // the article changes
    const edited = Buffer.from(article.toString('utf8').replace('Les députés ont, sans surprise, adopté', 'Les députés ont, après un long débat, adopté'));
    site.serve('/article', edited, { contentType: 'text/html; charset=utf-8' });
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(120) })).outcome).to.equal('changed');
    const change = sink.last();
    expect(change.firstPoll).to.equal(false);
    expect(change.previous?.id).to.equal(baseline.id);
    expect(change.current?.text).to.include('après un long débat');
    expect(await snapshots(tenant.id, sourceId)).to.have.length(2);

    // and goes back: no third snapshot, the first one is current again
    site.serve('/article', article, { contentType: 'text/html; charset=utf-8' });
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(180) })).outcome).to.equal('changed');
    expect(sink.last().current?.id).to.equal(baseline.id);
    expect(sink.last().previous?.id).to.equal(change.current?.id);
    const all = await snapshots(tenant.id, sourceId);
    expect(all).to.have.length(2);
    expect(all.find((s) => s.id === baseline.id).lastSeenAt.toISOString()).to.equal(at(180).toISOString());
    const row = await sourceRow(tenant.id, sourceId);
    expect(row.lastContentHash).to.equal(baseline.contentHash);
    expect(row.nextPollAt.toISOString()).to.equal(at(180 + 60).toISOString());
    expect(row.health).to.equal('healthy');

    // a server that ignores conditional GET: the same body again is "unchanged", downloaded in full
    site.serve('/article', article, { contentType: 'text/html; charset=utf-8', validators: 'none' });
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(240) })).outcome).to.equal('unchanged');
    expect((await fetchLog(tenant.id, sourceId)).at(-1)).to.include({ outcome: 'unchanged', bytesReceived: article.length, bytesSaved: 0 });
    expect((await sourceRow(tenant.id, sourceId)).etag).to.equal(null);
    expect(sink.inputs).to.have.length(3);
  });

  it('follows redirects (resolved_url) and hands on only the entries never seen, none on the first poll', async () => {
    const tenant = await createTenant(cradle.database);
    const full = corpus('feeds/real/fr-sametmax-wordpress.rss').toString('utf8');
    const items = full.match(/<item>[\s\S]*?<\/item>/g)!;
    expect(items).to.have.length(10);
    const older = full.replace(items[0], '').replace(items[1], '');
    site.redirect('/rss', '/feed/', 301);
    site.serve('/feed/', older, { contentType: 'application/rss+xml; charset=UTF-8' });
    const sourceId = await addSource(tenant.id, site.url('/rss'), { kind: 'rss' });

    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(0) })).outcome).to.equal('changed');
    expect(sink.last()).to.include({ firstPoll: true, previous: null, current: null });
    expect(sink.last().newEntries).to.deep.equal([]);
    const row = await sourceRow(tenant.id, sourceId);
    expect(row.resolvedUrl).to.equal(site.url('/feed/'));
    expect((await fetchLog(tenant.id, sourceId))[0].redirects).to.equal(1);
    expect(await cradle.database.forTenant(tenant.id, (trx) => trx('watchFeedItems').where({ sourceId }).count({ n: '*' }).first())).to.deep.equal({ n: 8 });

    site.serve('/feed/', full, { contentType: 'application/rss+xml; charset=UTF-8' });
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(60) })).outcome).to.equal('changed');
    const detected = sink.last();
    expect(detected.firstPoll).to.equal(false);
    expect(detected.newEntries.map((e) => e.title)).to.deep.equal(['Les mensonges des DSL', detected.newEntries[1].title]);
    expect(detected.newEntries).to.have.length(2);
    expect(detected.newEntries[0]).to.include({ guid: 'http://sametmax.com/?p=8327', url: 'http://sametmax.com/les-mensonges-des-dsl/' });
    expect(detected.newEntries[0].feedItemId).to.match(/^[0-9a-f-]{36}$/);

    // the same feed again (no validators honoured this time): nothing new
    site.serve('/feed/', full, { contentType: 'application/rss+xml; charset=UTF-8', validators: 'none' });
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(120) })).outcome).to.equal('unchanged');
    expect(sink.inputs).to.have.length(2);
  });

  it('a feed that becomes an HTML page: notAFeed, degraded after 3 failures, unhealthy after 6, backed off, then healed', async () => {
    const tenant = await createTenant(cradle.database);
    site.serveCorpus('/feed.xml', 'feeds/real/heise-developer-de.atom', 'application/atom+xml');
    const sourceId = await addSource(tenant.id, site.url('/feed.xml'), { kind: 'rss', intervalMinutes: 30 });
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(0) })).outcome).to.equal('changed');

    site.serveCorpus('/feed.xml', 'feeds/edge/marketwatch-redirect-html.rss', 'text/html');
    const health: string[] = [];
    const delays: number[] = [];
    let now = at(10);
    for (let i = 1; i <= 6; i++) {
      const poll = await cradle.watchPoller.pollNow(tenant.id, sourceId, { now });
      expect(poll).to.include({ outcome: 'error', errorCode: 'watch.errors.notAFeed' });
      const row = await sourceRow(tenant.id, sourceId);
      expect(row.consecutiveFailures).to.equal(i);
      expect(row).to.include({ lastErrorCode: 'watch.errors.notAFeed', lastErrorMessage: '{}', lastHttpStatus: 200 });
      health.push(row.health);
      delays.push((row.nextPollAt.getTime() - now.getTime()) / 60_000);
      now = new Date(row.nextPollAt.getTime());
    }
    expect(health).to.deep.equal(['healthy', 'healthy', 'degraded', 'degraded', 'degraded', 'unhealthy']);
    expect(delays).to.deep.equal([30, 60, 120, 240, 480, 960]);
    const errors = (await fetchLog(tenant.id, sourceId)).filter((l) => l.outcome === 'error');
    expect(errors).to.have.length(6);
    expect(errors[0]).to.include({ errorCode: 'watch.errors.notAFeed', httpStatus: 200 });

    // an HTTP error keeps the status; the cap is 24 h
    site.status('/feed.xml', 503);
    await cradle.watchPoller.pollNow(tenant.id, sourceId, { now });
    let row = await sourceRow(tenant.id, sourceId);
    expect(row).to.include({ lastErrorCode: 'fetch.errors.httpStatus', lastHttpStatus: 503, consecutiveFailures: 7, health: 'unhealthy' });
    expect(JSON.parse(row.lastErrorMessage)).to.deep.equal({ status: 503 });
    expect(row.nextPollAt.getTime() - now.getTime()).to.equal(24 * 60 * 60_000);

    site.serveCorpus('/feed.xml', 'feeds/real/heise-developer-de.atom', 'application/atom+xml');
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: new Date(now.getTime() + 60_000) })).outcome).to.be.oneOf(['unchanged', 'not_modified']);
    row = await sourceRow(tenant.id, sourceId);
    expect(row).to.include({ health: 'healthy', consecutiveFailures: 0, lastErrorCode: null, lastErrorMessage: null });
  });

  it('a selector that stops matching is recorded missing; no empty price is handed on as a change', async () => {
    const tenant = await createTenant(cradle.database);
    const html = corpus('prices/pages/farah-polo-shirt.html').toString('latin1');
    site.serve('/polo', Buffer.from(html, 'latin1'), { contentType: 'text/html' });
    const sourceId = await addSource(tenant.id, site.url('/polo'), {
      extractMode: 'selectors',
      selectors: [
        { field: 'price', selector: '.productinfo .salesprice' },
        { field: 'product_name', selector: 'h1[itemprop="name"]' },
      ],
    });
    await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(0) });
    expect(sink.last().current?.fields).to.deep.equal({
      price: { raw: '£40.00', amountCents: 4000, currency: 'GBP' },
      productName: 'THE JUDE SHORT SLEEVE POLO SHIRT',
    });

    // redesign: the price block loses its microdata
    site.serve('/polo', Buffer.from(html.replace('<div class="salesprice " itemprop="lowPrice">', '<div class="sales-price-v2">'), 'latin1'), { contentType: 'text/html' });
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(60) })).outcome).to.equal('changed');
    const input = sink.last();
    expect(input.previous?.fields.price?.amountCents).to.equal(4000);
    expect(input.current?.fields).to.deep.equal({ productName: 'THE JUDE SHORT SLEEVE POLO SHIRT', missing: ['price'] });
    const selectors = await cradle.database.forTenant(tenant.id, (trx) => trx('watchSelectors').where({ sourceId }).orderBy('field'));
    const byField = Object.fromEntries(selectors.map((s) => [s.field, s]));
    expect(byField.price.missingSince.toISOString()).to.equal(at(60).toISOString());
    expect(byField.price.lastMatchedAt.toISOString()).to.equal(at(0).toISOString());
    expect(byField.product_name.missingSince).to.equal(null);
    expect(byField.product_name.lastMatchedAt.toISOString()).to.equal(at(60).toISOString());
    // still missing on the next poll: the date it went missing is kept
    site.serve('/polo', Buffer.from(html.replace('<div class="salesprice " itemprop="lowPrice">', '<div class="sales-price-v2">'), 'latin1'), { contentType: 'text/html', validators: 'none' });
    await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(120) });
    const again = await cradle.database.forTenant(tenant.id, (trx) => trx('watchSelectors').where({ sourceId, field: 'price' }).first());
    expect(again.missingSince.toISOString()).to.equal(at(60).toISOString());
    expect((await sourceRow(tenant.id, sourceId)).health).to.equal('healthy');
  });

  it('refuses SSRF URLs of the corpus (nothing is fetched) and ends unhealthy after repeats', async () => {
    const tenant = await createTenant(cradle.database);
    // IP literals only (no DNS needed): loopback, unspecified, metadata, in their odd encodings
    const samples = fs
      .readFileSync(path.join(CORPUS_DIR, 'security/ssrf.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^https?:\/\//.test(l))
      .filter((l) => {
        try {
          return /^(?:\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\])$/i.test(new URL(l).hostname);
        } catch {
          return false;
        }
      });
    expect(samples.length).to.be.above(20);
    const picked = samples.filter((_, i) => i % Math.ceil(samples.length / 12) === 0);
    for (const [i, url] of picked.entries()) {
      const sourceId = await addSource(tenant.id, url);
      const poll = await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(i) });
      // credentials in the URL are refused before the address is even looked at
      const code = new URL(url).username || new URL(url).password ? 'fetch.errors.invalidUrl' : 'fetch.errors.forbiddenAddress';
      expect(poll, url).to.include({ outcome: 'error', errorCode: code });
    }
    const metadata = await addSource(tenant.id, 'http://169.254.169.254/latest/meta-data/iam/security-credentials/');
    for (let i = 0; i < 6; i++) await cradle.watchPoller.pollNow(tenant.id, metadata, { now: at(100 + i * 2000) });
    const row = await sourceRow(tenant.id, metadata);
    expect(row).to.include({ health: 'unhealthy', consecutiveFailures: 6, lastErrorCode: 'fetch.errors.forbiddenAddress' });
    expect(JSON.parse(row.lastErrorMessage)).to.deep.equal({ host: '169.254.169.254' });
    expect(site.server.requests).to.have.length(0);
  });

  it('two tenants watching the same host: their own sources and snapshots, one fetch at a time, both polled', async () => {
    const [a, b] = [await createTenant(cradle.database), await createTenant(cradle.database)];
    site.serveCorpus('/catalogue', 'prices/pages/playcom-samsung-tv.html', 'text/html', { delayMs: 100 });
    const sourceA = await addSource(a.id, site.url('/catalogue'));
    const sourceB = await addSource(b.id, site.url('/catalogue'));

    // one frozen run: the second source of the host is put back until the host's next fetch
    const run = await cradle.watchPoller.pollDue({ now: at(0) });
    expect(run).to.deep.equal({ claimed: 2, outcomes: { changed: 1, unchanged: 0, not_modified: 0, error: 0, deferred: 1 } });
    const host = await cradle.database.asPlatform((trx) => trx('watchHosts').where({ host: site.host }).first());
    expect(host.leaseOwner).to.equal(null);
    expect(host.nextFetchAt.toISOString()).to.equal(new Date(at(0).getTime() + host.crawlDelayMs).toISOString());
    const deferred = sink.inputs[0].tenantId === a.id ? { tenant: b, source: sourceB } : { tenant: a, source: sourceA };
    expect((await sourceRow(deferred.tenant.id, deferred.source)).nextPollAt.toISOString()).to.equal(host.nextFetchAt.toISOString());

    // the next run polls it
    expect((await cradle.watchPoller.pollDue({ now: at(1) })).outcomes.changed).to.equal(1);
    expect(sink.inputs.map((i) => i.tenantId).sort()).to.deep.equal([a.id, b.id].sort());
    expect(await snapshots(a.id, sourceA)).to.have.length(1);
    expect(await snapshots(b.id, sourceB)).to.have.length(1);
    // row-level security: each tenant sees only its own
    expect(await cradle.database.forTenant(a.id, (trx) => trx('watchSnapshots').select('sourceId'))).to.deep.equal([{ sourceId: sourceA }]);
    expect(await cradle.database.forTenant(b.id, (trx) => trx('watchSources').select('id'))).to.deep.equal([{ id: sourceB }]);
    expect(site.maxInFlight).to.equal(1);
  });

  it('two workers polling the same host at once never have two fetches in flight there, and both finish their sources', async () => {
    const [a, b] = [await createTenant(cradle.database), await createTenant(cradle.database)];
    await cradle.database.asPlatform((trx) => trx('watchHosts').insert({ host: site.host, crawlDelayMs: 20 }).onConflict('host').merge(['crawlDelayMs']));
    const sources: string[] = [];
    for (const [i, tenant] of [a, a, a, b, b, b].entries()) {
      site.serve(`/p/${i}`, `<html><body><main><h1>Produit ${i}</h1><p>${'Texte '.repeat(50)}</p></main></body></html>`, { delayMs: 60 });
      sources.push(await addSource(tenant.id, site.url(`/p/${i}`)));
    }
    // a second worker: another poller on the same database (its own worker id)
    const other = new WatchPoller(cradle);
    const runs = await Promise.all([cradle.watchPoller.pollDue({ limit: 3 }), other.pollDue({ limit: 3 })]);
    expect(runs.map((r) => r.claimed)).to.deep.equal([3, 3]);
    expect(runs.map((r) => r.outcomes.changed)).to.deep.equal([3, 3]);
    expect(site.maxInFlight).to.equal(1);
    expect(new Set(site.responses.map((r) => r.path)).size).to.equal(6);
    await cradle.database.asPlatform((trx) => trx('watchHosts').where({ host: site.host }).update({ crawlDelayMs: 2000 }));
  });

  it('reads every malformed feed of the corpus: readable ones polled, the others refused with their reason', async () => {
    const tenant = await createTenant(cradle.database);
    const expected: Record<string, string> = {
      'marketwatch-redirect-html.rss': 'watch.errors.notAFeed',
      'not-a-feed.html': 'watch.errors.notAFeed',
      'rss-unclosed-root.xml': 'watch.errors.malformedFeed',
      'rss-incomplete-cdata.xml': 'watch.errors.malformedFeed',
      'rss-empty-document.xml': 'watch.errors.malformedFeed',
      'rss-invalid-utf8-with-bom.xml': 'watch.errors.malformedFeed',
    };
    const files = fs.readdirSync(path.join(CORPUS_DIR, 'feeds/edge')).filter((f) => !f.startsWith('expected-'));
    expect(files).to.have.length(15);
    for (const [i, file] of files.entries()) {
      site.serveCorpus(`/edge/${file}`, `feeds/edge/${file}`, file.endsWith('.html') ? 'text/html' : 'application/xml');
      const sourceId = await addSource(tenant.id, site.url(`/edge/${file}`), { kind: 'rss' });
      const poll = await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(i) });
      if (expected[file]) expect(poll, file).to.include({ outcome: 'error', errorCode: expected[file] });
      else expect(poll.outcome, file).to.equal('changed');
    }
    const items = await cradle.database.forTenant(tenant.id, (trx) => trx('watchFeedItems').count({ n: '*' }).first());
    expect(items).to.deep.equal({ n: 1 + 2 + 3 + 10 + 10 + 1 + 7 }); // atom-missing-fields, invalid-date, ampersand, gzip, pcmag, iso-8859-15, cerclepsy
  });

  it('when detection fails, the new state is rolled back and the next poll hands on the same entries', async () => {
    const tenant = await createTenant(cradle.database);
    const full = corpus('feeds/real/fr-jeuxlinux-spip.rss').toString('latin1');
    const first = full.match(/<item[\s>][\s\S]*?<\/item>/)![0];
    site.serve('/news', Buffer.from(full.replace(first, ''), 'latin1'), { contentType: 'application/rss+xml' });
    const sourceId = await addSource(tenant.id, site.url('/news'), { kind: 'rss' });
    await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(0) });

    site.serve('/news', Buffer.from(full, 'latin1'), { contentType: 'application/rss+xml' });
    sink.failNext = true;
    expect(await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(60) })).to.include({ outcome: 'error', errorCode: 'watch.errors.detectionFailed' });
    expect((await sourceRow(tenant.id, sourceId)).etag).to.equal(null);
    expect((await cradle.watchPoller.pollNow(tenant.id, sourceId, { now: at(120) })).outcome).to.equal('changed');
    expect(sink.last().newEntries.map((e) => e.title)).to.deep.equal(['Le renouveau de LinuxConsole']);
    expect(site.responsesTo('/news').map((r) => r.status)).to.deep.equal([200, 200, 200]);
  });

  it("answers 404 for another tenant's source on a manual check", async () => {
    const [a, b] = [await createTenant(cradle.database), await createTenant(cradle.database)];
    const sourceId = await addSource(a.id, site.url('/x'));
    try {
      await cradle.watchPoller.pollNow(b.id, sourceId, { now: at(0) });
      expect.fail('polled');
    } catch (err) {
      expect(err).to.be.instanceOf(NotFoundError);
    }
    expect(site.server.requests).to.have.length(0);
  });

  it('registers the job watch:poll-sources every minute', async () => {
    const { watchJobs } = await import('../../../../src/modules/watch/index.js');
    expect(watchJobs(cradle).find((j) => j.name === 'watch:poll-sources')).to.include({ every: '1 minute' });
  });
});
