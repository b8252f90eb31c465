import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { Cradle } from '../../../../src/container.js';
import { resolvePeriods } from '../../../../src/modules/analytics/cockpit-period.js';
import type { CockpitData } from '../../../../src/modules/analytics/cockpit-service.js';
import { DEMO_OWNER, loginAs } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

/**
 * The cockpit's figures on hand-made data. Every expected number below is computed by hand from the rows inserted
 * here. The period is March 2026 in Paris (summer time from 29 March: the period ends 2026-03-31T22:00Z); a custom
 * period of 31 days is compared with the 31 days before it (29 January – 28 February).
 */

const NOW = new Date('2026-11-25T10:00:00Z');
const MARCH = { period: 'custom', from: '2026-03-01', to: '2026-03-31' };
const ZONE = 'Europe/Paris';

type Counts = { impressions?: number; reactions?: number; comments?: number; shares?: number; clicks?: number };

/** A tenant's rows, inserted in its own context (row-level security checks every insert). */
class Fixtures {
  private accountId: string | null = null;
  constructor(
    private readonly cradle: Cradle,
    readonly tenantId: string,
  ) {}

  tx<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.cradle.database.forTenant(this.tenantId, work);
  }

  private async account(): Promise<string> {
    if (!this.accountId) {
      const [row] = await this.tx((trx) =>
        trx('channelAccounts').insert({ tenantId: this.tenantId, channel: 'facebook', externalAccountId: `acct-${this.tenantId}`, displayName: 'Page', sandbox: true }).returning('id'),
      );
      this.accountId = row.id as string;
    }
    return this.accountId!;
  }

  /** A content published at `sentAt` with its cumulative engagement rows `{ day: totals as of that day }`. */
  async published(channel: string, title: string, sentAt: string, metrics: Record<string, Counts>): Promise<{ contentId: string; versionId: string }> {
    const accountId = await this.account();
    return this.tx(async (trx) => {
      const [content] = await trx('contents').insert({ tenantId: this.tenantId, channel, title, status: 'published', publishedAt: new Date(sentAt) }).returning('id');
      const [version] = await trx('contentVersions').insert({ tenantId: this.tenantId, contentId: content.id, number: 1, title, body: `${title}.`, source: 'generation' }).returning('id');
      await trx('contents').where({ id: content.id }).update({ currentVersionId: version.id });
      const [publication] = await trx('publications')
        .insert({
          tenantId: this.tenantId,
          contentId: content.id,
          contentVersionId: version.id,
          channelAccountId: accountId,
          idempotencyKey: `pub:${content.id}:${accountId}`,
          status: 'sent',
          scheduledFor: new Date(sentAt),
          sentAt: new Date(sentAt),
        })
        .returning('id');
      for (const [metricDate, counts] of Object.entries(metrics)) {
        await trx('engagementMetrics').insert({ tenantId: this.tenantId, publicationId: publication.id, contentId: content.id, channel, metricDate, ...counts });
      }
      return { contentId: content.id as string, versionId: version.id as string };
    });
  }

  async campaign(name: string, utmCampaign: string): Promise<string> {
    const [row] = await this.tx((trx) => trx('campaigns').insert({ tenantId: this.tenantId, name, utmCampaign }).returning('id'));
    return row.id as string;
  }

  async link(channel: string, utmCampaign: string, contentId: string, clicks: { at: string; bot?: boolean }[]): Promise<string> {
    return this.tx(async (trx) => {
      const code = `c${crypto.randomBytes(6).toString('hex')}`;
      const [link] = await trx('shortLinks')
        .insert({ tenantId: this.tenantId, code, originalUrl: `https://example.test/${code}`, targetUrl: `https://example.test/${code}?utm_source=${channel}`, channel, utmSource: channel, utmCampaign, contentId })
        .returning('id');
      if (clicks.length) {
        await trx('shortLinkClicks').insert(clicks.map((c) => ({ tenantId: this.tenantId, shortLinkId: link.id, clickedAt: new Date(c.at), isBot: c.bot ?? false })));
      }
      return link.id as string;
    });
  }

  async conversion(row: Record<string, unknown>): Promise<void> {
    await this.tx((trx) => trx('conversions').insert({ tenantId: this.tenantId, kind: 'purchase', source: 'pixel', ...row }));
  }

  async insert(table: string, rows: Record<string, unknown>[]): Promise<void> {
    await this.tx((trx) => trx(table).insert(rows.map((r) => ({ tenantId: this.tenantId, ...r }))));
  }
}

async function createOwner(cradle: Cradle, tenantId: string, locale = 'fr'): Promise<{ userId: string; email: string; password: string }> {
  const email = `owner-${crypto.randomBytes(4).toString('hex')}@cockpit.test`;
  const password = 'correct horse battery staple';
  const passwordHash = await cradle.passwordHasher.hash(password);
  const userId = await cradle.database.asPlatform(async (trx) => {
    const [user] = await trx('users').insert({ email, name: 'Propriétaire', passwordHash, locale }).returning('id');
    const role = await trx('roles').where({ code: 'client_owner' }).first('id');
    await trx('memberships').insert({ userId: user.id, scope: 'tenant', tenantId, roleId: role.id });
    return user.id as string;
  });
  return { userId, email, password };
}

describe('Cockpit', function () {
  this.timeout(60_000);
  let cradle: Cradle;
  let tenantId: string;
  let otherId: string;
  let alpha: { contentId: string; versionId: string };
  let beta: { contentId: string; versionId: string };
  let data: CockpitData;

  before(async () => {
    cradle = testEnv().container.cradle;
    tenantId = (await createTenant(cradle.database)).id;
    otherId = (await createTenant(cradle.database)).id;
    const f = new Fixtures(cradle, tenantId);

    // Engagement (cumulative totals per day).
    alpha = await f.published('facebook', 'Alpha', '2026-02-20T11:00:00Z', {
      '2026-02-20': { impressions: 100, reactions: 10, comments: 2, shares: 1, clicks: 3 },
      '2026-02-27': { impressions: 150, reactions: 14, comments: 3, shares: 1, clicks: 4 },
      '2026-03-01': { impressions: 200, reactions: 20, comments: 4, shares: 2, clicks: 5 },
      '2026-03-10': { impressions: 260, reactions: 25, comments: 5, shares: 3, clicks: 6 },
      '2026-04-01': { impressions: 300, reactions: 30, comments: 6, shares: 3, clicks: 7 },
    });
    beta = await f.published('instagram', 'Beta', '2026-03-05T17:00:00Z', {
      '2026-03-05': { impressions: 500, reactions: 40, comments: 10, shares: 5, clicks: 8 },
      '2026-03-31': { impressions: 800, reactions: 60, comments: 12, shares: 9, clicks: 10 },
    });
    await f.published('instagram', 'Gamma', '2026-02-28T10:00:00Z', { '2026-02-28': { impressions: 50, reactions: 5 } });

    // Clicks: period edges in Paris time, bots.
    await f.campaign('Printemps', 'printemps');
    const l1 = await f.link('facebook', 'printemps', alpha.contentId, [
      { at: '2026-02-28T23:30:00Z' }, // 1 March 00:30 in Paris: current
      { at: '2026-02-28T22:59:00Z' }, // 28 February 23:59: previous
      { at: '2026-03-31T21:59:00Z' }, // 31 March 23:59 (summer time): current
      { at: '2026-03-31T22:00:00Z' }, // 1 April: outside
      { at: '2026-03-15T10:00:00Z' },
      { at: '2026-03-15T10:05:00Z' },
      { at: '2026-03-10T10:00:00Z', bot: true },
    ]);
    await f.link('instagram', '2026-03', beta.contentId, [
      { at: '2026-03-06T10:00:00Z' },
      { at: '2026-03-06T11:00:00Z' },
      { at: '2026-03-06T12:00:00Z' },
      { at: '2026-03-06T12:30:00Z', bot: true },
    ]);
    // Conversions: through a link (no UTM of its own), by UTM only, in the previous period, without a value.
    await f.conversion({ shortLinkId: l1, valueCents: 2500, occurredAt: new Date('2026-03-15T11:00:00Z') });
    await f.conversion({ utmSource: 'newsletter', utmCampaign: 'printemps', contentId: beta.contentId, valueCents: 1000, occurredAt: new Date('2026-03-20T09:00:00Z') });
    await f.conversion({ utmSource: 'facebook', valueCents: 500, occurredAt: new Date('2026-02-10T09:00:00Z') });
    await f.conversion({ kind: 'lead', utmSource: 'facebook', occurredAt: new Date('2026-03-25T09:00:00Z') });

    await f.insert('reviews', [
      { source: 'manual', rating: 5, reviewedAt: new Date('2026-03-02T10:00:00Z') },
      { source: 'manual', rating: 4, reviewedAt: new Date('2026-03-20T10:00:00Z') },
      { source: 'manual', rating: 2, reviewedAt: new Date('2026-03-21T10:00:00Z'), removedAt: new Date('2026-03-22T10:00:00Z') },
      { source: 'manual', rating: 3, reviewedAt: new Date('2026-02-15T10:00:00Z') },
    ]);
    const flag = (version: { contentId: string; versionId: string }, extra: Record<string, unknown>) => ({
      subjectType: 'content_version',
      contentVersionId: version.versionId,
      contentId: version.contentId,
      kind: 'claim',
      severity: 'high',
      createdAt: new Date('2026-03-12T10:00:00Z'),
      ...extra,
    });
    await f.insert('brandSafetyFlags', [
      flag(alpha, {}),
      flag(beta, { createdAt: new Date('2026-01-05T10:00:00Z') }),
      flag(beta, { kind: 'moderation', severity: 'low', status: 'resolved', resolvedAt: new Date('2026-03-13T10:00:00Z') }),
    ]);
    await f.insert('evergreenCandidates', [
      { contentId: beta.contentId, engagementScore: 131, tenantMedianScore: 25, windowStart: '2026-01-01', windowEnd: '2026-03-31' },
      { contentId: alpha.contentId, engagementScore: 25, tenantMedianScore: 25, windowStart: '2026-01-01', windowEnd: '2026-03-31', status: 'dismissed' },
    ]);
    await f.insert('creditReservations', [
      { amountHeld: 50, amountSettled: 40, status: 'settled', idempotencyKey: 'r1', expiresAt: new Date('2026-03-11T00:00:00Z'), settledAt: new Date('2026-03-10T10:00:00Z') },
      { amountHeld: 20, amountSettled: 15, status: 'settled', idempotencyKey: 'r2', expiresAt: new Date('2026-02-16T00:00:00Z'), settledAt: new Date('2026-02-15T10:00:00Z') },
      { amountHeld: 20, status: 'refunded', idempotencyKey: 'r3', expiresAt: new Date('2026-03-16T00:00:00Z'), refundedAt: new Date('2026-03-15T10:00:00Z') },
      { amountHeld: 20, amountSettled: 20, status: 'settled', idempotencyKey: 'r4', expiresAt: new Date('2026-04-16T00:00:00Z'), settledAt: new Date('2026-04-15T10:00:00Z') },
    ]);
    await f.insert('businessMetrics', [
      { month: '2026-01-01', kind: 'revenue', value: 100_000, unit: 'cents', currency: 'EUR', source: 'manual' },
      { month: '2026-01-01', kind: 'revenue', value: 120_000, unit: 'cents', currency: 'EUR', source: 'csv' }, // the manual value wins
      { month: '2026-02-01', kind: 'revenue', value: 200_000, unit: 'cents', currency: 'EUR', source: 'manual' },
      { month: '2026-03-01', kind: 'revenue', value: 150_000, unit: 'cents', currency: 'EUR', source: 'manual' },
      { month: '2026-03-01', kind: 'orders', value: 180, unit: 'count', source: 'manual' },
    ]);

    // Another tenant's March: never counted.
    const other = new Fixtures(cradle, otherId);
    const secret = await other.published('facebook', 'Secret-B', '2026-03-03T10:00:00Z', { '2026-03-04': { impressions: 9999, reactions: 999 } });
    await other.link('facebook', 'printemps', secret.contentId, [{ at: '2026-03-04T10:00:00Z' }]);
    await other.conversion({ utmSource: 'facebook', valueCents: 99_900, occurredAt: new Date('2026-03-04T11:00:00Z') });
    await other.insert('reviews', [{ source: 'manual', rating: 1, reviewedAt: new Date('2026-03-04T10:00:00Z') }]);

    data = await cradle.cockpitService.cockpit(tenantId, crypto.randomUUID(), resolvePeriods(MARCH, NOW, ZONE), { unread: 0 });
  });

  describe('periods', () => {
    it('a custom period is compared with as many days just before it, in the tenant’s zone', () => {
      const p = resolvePeriods(MARCH, NOW, ZONE);
      expect(p.current.from.toISOString()).to.equal('2026-02-28T23:00:00.000Z');
      expect(p.current.to.toISOString()).to.equal('2026-03-31T22:00:00.000Z');
      expect([p.previous.firstDay, p.previous.lastDay]).to.deep.equal(['2026-01-29', '2026-02-28']);
      expect(p.bucket).to.equal('day');
      expect(p.months[0]).to.equal('2025-04-01');
      expect(p.months[11]).to.equal('2026-03-01');
    });

    it('presets follow the calendar of the zone', () => {
      const lastMonth = resolvePeriods({ period: 'last_month' }, new Date('2026-03-31T22:30:00Z'), ZONE); // 1 April in Paris
      expect([lastMonth.current.firstDay, lastMonth.current.lastDay]).to.deep.equal(['2026-03-01', '2026-03-31']);
      expect([lastMonth.previous.firstDay, lastMonth.previous.lastDay]).to.deep.equal(['2026-02-01', '2026-02-28']);
      const week = resolvePeriods({}, NOW, ZONE);
      expect(week.preset).to.equal('30d');
      expect([week.current.firstDay, week.current.lastDay]).to.deep.equal(['2026-10-27', '2026-11-25']);
      const year = resolvePeriods({ period: '12m' }, NOW, ZONE);
      expect([year.current.firstDay, year.previous.firstDay, year.bucket]).to.deep.equal(['2025-12-01', '2024-12-01', 'month']);
    });
  });

  describe('aggregations (hand-computed)', () => {
    it('tiles: what the period brought against the previous one', () => {
      expect(data.tiles.impressions).to.deep.equal({ current: 910, previous: 200 });
      expect(data.tiles.engagements).to.deep.equal({ current: 96, previous: 23 });
      expect(data.tiles.clicks).to.deep.equal({ current: 7, previous: 1 });
      expect(data.tiles.conversions).to.deep.equal({ current: 3, previous: 1 });
      expect(data.tiles.conversionValue).to.deep.equal([{ currency: 'EUR', current: 3500, previous: 500 }]);
      expect(data.tiles.rating).to.deep.equal({ current: 4.5, previous: 3, count: 2 });
      expect(data.tiles.credits).to.deep.equal({ current: 40, previous: 15 });
    });

    it('engagement per channel and day, and the top contents by the engagement score', () => {
      const byChannel = Object.fromEntries(data.engagement.perChannel.map((c) => [c.channel, c]));
      expect(byChannel.facebook.current).to.deep.equal({ impressions: 110, reactions: 11, comments: 2, shares: 2, clicks: 2 });
      expect(byChannel.facebook.previous).to.deep.equal({ impressions: 150, reactions: 14, comments: 3, shares: 1, clicks: 4 });
      expect(byChannel.instagram.current).to.deep.equal({ impressions: 800, reactions: 60, comments: 12, shares: 9, clicks: 10 });
      expect(byChannel.instagram.previous).to.deep.equal({ impressions: 50, reactions: 5, comments: 0, shares: 0, clicks: 0 });
      expect(data.engagement.buckets).to.have.length(31);
      const series = Object.fromEntries(data.engagement.series.map((s) => [s.channel, s.values]));
      expect(series.facebook[0]).to.equal(8);
      expect(series.facebook[9]).to.equal(7);
      expect(series.facebook.reduce((a, b) => a + b, 0)).to.equal(15);
      expect(series.instagram[4]).to.equal(55);
      expect(series.instagram[30]).to.equal(26);
      expect(data.engagement.topContents.map((c) => [c.title, c.score])).to.deep.equal([
        ['Beta', 131],
        ['Alpha', 25],
      ]);
    });

    it('clicks and conversions per channel, campaign and content (UTM first, then the link)', () => {
      const lines = (list: { key: string | null; clicks: number; conversions: number; value: Record<string, number> }[]) =>
        Object.fromEntries(list.map((l) => [l.key ?? 'none', [l.clicks, l.conversions, l.value.EUR ?? 0]]));
      expect(lines(data.attribution.byChannel)).to.deep.equal({ facebook: [4, 2, 2500], instagram: [3, 0, 0], newsletter: [0, 1, 1000] });
      expect(lines(data.attribution.byCampaign)).to.deep.equal({ printemps: [4, 2, 3500], '2026-03': [3, 0, 0], none: [0, 1, 0] });
      expect(data.attribution.byCampaign.find((l) => l.key === 'printemps')!.label).to.equal('Printemps');
      expect(lines(data.attribution.byContent)).to.deep.equal({ [alpha.contentId]: [4, 1, 2500], [beta.contentId]: [3, 1, 1000] });
    });

    it('revenue overlay: the preferred source per month, and the coefficient with its number of months', () => {
      const r = data.revenue;
      const at = (m: string) => r.months.indexOf(m);
      expect(r.revenue[at('2026-01-01')]).to.equal(100_000);
      expect(r.revenue[at('2026-02-01')]).to.equal(200_000);
      expect(r.revenue[at('2025-12-01')]).to.equal(null);
      expect(r.orders[at('2026-03-01')]).to.equal(180);
      expect([r.engagements[at('2026-01-01')], r.engagements[at('2026-02-01')], r.engagements[at('2026-03-01')]]).to.deep.equal([0, 23, 96]);
      expect([r.clicks[at('2026-02-01')], r.clicks[at('2026-03-01')]]).to.deep.equal([1, 7]);
      // x = (0, 23, 96), y = (1000, 2000, 1500) €: Sxy = 1 150 000 (cents), Sxx = 15 074 / 3, Syy = 5·10⁹
      expect(r.correlation.engagements!.n).to.equal(3);
      expect(r.correlation.engagements!.r).to.be.closeTo(1_150_000 / Math.sqrt((15_074 / 3) * 5e9), 1e-9);
      expect(r.correlation.clicks!.n).to.equal(3);
    });

    it('reviews, brand safety, evergreen, watch and pipeline', () => {
      expect(data.reputation.months).to.deep.equal([
        { month: '2026-02-01', count: 1, average: 3 },
        { month: '2026-03-01', count: 2, average: 4.5 },
      ]);
      expect(data.safety.open).to.deep.equal([{ kind: 'claim', severity: 'high', count: 2 }]);
      expect(data.safety.raised.map((r) => [r.status, r.count]).sort()).to.deep.equal([
        ['open', 1],
        ['resolved', 1],
      ]);
      expect(data.safety.latest.map((l) => l.contentTitle)).to.deep.equal(['Alpha', 'Beta']);
      expect(data.evergreen.proposed).to.equal(1);
      expect(data.evergreen.top).to.deep.equal([{ contentId: beta.contentId, title: 'Beta', channel: 'instagram', score: 131, medianScore: 25 }]);
      expect(data.watch).to.deep.equal({ unread: 0, changes: [] });
      expect(data.pipeline).to.equal(null);
    });

    it('another tenant sees none of it, and its own figures only', async () => {
      const other = await cradle.cockpitService.cockpit(otherId, crypto.randomUUID(), resolvePeriods(MARCH, NOW, ZONE), { unread: 0 });
      expect(other.tiles.impressions.current).to.equal(9999);
      expect(other.tiles.clicks.current).to.equal(1);
      expect(other.tiles.conversionValue).to.deep.equal([{ currency: 'EUR', current: 99_900, previous: 0 }]);
      expect(other.tiles.rating).to.deep.equal({ current: 1, previous: null, count: 1 });
      expect(other.engagement.topContents.map((c) => c.title)).to.deep.equal(['Secret-B']);
      expect(other.evergreen.proposed).to.equal(0);
    });
  });

  describe('GET /app', () => {
    it('renders the demo owner’s year with charts and French numbers', async () => {
      const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
      const res = await owner.agent.get('/app?period=12m');
      expect(res.status).to.equal(200);
      expect(res.text).to.include('<link rel="stylesheet" href="/assets/cockpit.css">');
      expect(res.text).to.include('aria-current="page"');
      for (const id of ['tile-impressions', 'cockpit-engagement', 'cockpit-attribution', 'cockpit-revenue', 'cockpit-reputation', 'cockpit-safety', 'cockpit-evergreen', 'cockpit-activity', 'cockpit-reports']) {
        expect(res.text, id).to.include(`id="${id}"`);
      }
      expect(res.text).to.match(/<svg class="chart chart-line"/);
      expect(res.text).to.match(/<svg class="chart chart-bar"/);
      // thousands with a narrow no-break space, the French way
      expect(/id="tile-impressions"[\s\S]*?<p class="tile-value">([^<]+)<\/p>/.exec(res.text)![1]).to.match(/^\d{1,3}(\u202f\d{3})+$/);
      expect(res.text).to.include('coefficient de corrélation');
      expect(res.text).to.include('href="/app/revenue"');
      expect(res.text).to.include('href="/app/reputation"');
      expect(res.text).to.include('href="/app/evergreen"');
      expect(res.text).to.include('href="/app/reports"');
    });

    it('renders an empty workspace, in English for an English reader', async () => {
      const empty = await createTenant(cradle.database);
      const user = await createOwner(cradle, empty.id, 'en');
      const { agent } = await loginAs(testEnv().app, user.email, user.password);
      const res = await agent.get('/app');
      expect(res.status).to.equal(200);
      expect(res.text).to.include('id="tile-impressions"');
      expect(res.text).to.include('No engagement measured over this period');
      expect(res.text).to.include('No click and no conversion over this period.');
      expect(res.text).to.include('No pipeline run yet.');
    });

    it('shows the tenant’s own figures and never another tenant’s', async () => {
      const user = await createOwner(cradle, tenantId);
      const { agent } = await loginAs(testEnv().app, user.email, user.password);
      const res = await agent.get('/app').query(MARCH);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Beta');
      expect(res.text).not.to.include('Secret-B');
      expect(/id="tile-impressions"[\s\S]*?<p class="tile-value">([^<]+)<\/p>/.exec(res.text)![1]).to.equal('910');
    });

    it('a bad custom period answers 422 with what was typed and the error, as a fragment to HTMX', async () => {
      const user = await createOwner(cradle, tenantId);
      const { agent } = await loginAs(testEnv().app, user.email, user.password);
      const res = await agent.get('/app').query({ period: 'custom', from: '2026-03-10', to: '2026-03-01' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('value="2026-03-10"');
      expect(res.text).to.include('value="2026-03-01"');
      expect(res.text).to.include('Le dernier jour doit être après le premier.');
      expect(res.text).not.to.include('id="tile-impressions"');

      const fragment = await agent.get('/app').set('HX-Request', 'true').query({ period: 'custom', from: '2026-02-30', to: '' });
      expect(fragment.status).to.equal(422);
      expect(fragment.text).not.to.include('<html');
      expect(fragment.text).to.include('id="cockpit-body"');
      expect(fragment.text).to.include('Cette date n&#39;est pas valide');
      expect(fragment.text).to.include('Indiquez le dernier jour de la période.');

      const unknown = await agent.get('/app').query({ period: 'forever' });
      expect(unknown.status).to.equal(422);
      expect(unknown.text).to.include('Choisissez une période dans la liste.');
    });

    it('changing the period over HTMX returns the body alone', async () => {
      const user = await createOwner(cradle, tenantId);
      const { agent } = await loginAs(testEnv().app, user.email, user.password);
      const res = await agent.get('/app').set('HX-Request', 'true').query({ period: '7d' });
      expect(res.status).to.equal(200);
      expect(res.text).not.to.include('<html');
      expect(res.text.trimStart()).to.match(/^<div id="cockpit-body"/);
      expect(res.text).to.include('<option value="7d" selected>');
    });
  });
});
