import { asClass, asValue, type AwilixContainer, type Resolver } from 'awilix';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import { KnexPerformanceRepository } from '../../../../src/modules/pipeline/db/knex-performance-repository.js';
import type { PipelineRun } from '../../../../src/modules/pipeline/domain.js';
import type { StepContext } from '../../../../src/modules/pipeline/ports.js';
import { createTenant } from '../../../support/tenants.js';
import { testEnv } from '../../../support/root-hooks.js';

/**
 * Step 7 on hand-made months. Every expected figure below is computed by hand from the rows inserted here; the
 * engagement rows are cumulative totals per day, so a publication counts with its latest row of the month only.
 */

const MONTH = '2026-03-01'; // Europe/Paris: summer time from 29 March, so the month ends 2026-03-31T22:00Z
const BEFORE_MEASURABLE = new Date('2026-04-02T21:59:00Z');
const MEASURABLE = new Date('2026-04-02T22:00:00Z'); // 3 April 00:00 in Paris: month end + 2 days

class FixedClock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
}

type Channel = 'linkedin' | 'facebook' | 'instagram' | 'x' | 'google_business' | 'blog' | 'newsletter' | 'sms';
interface Counts {
  impressions?: number;
  reactions?: number;
  comments?: number;
  shares?: number;
  clicks?: number;
}

/** Inserts a tenant's rows in its own context (row-level security checks every insert). */
class Fixtures {
  private accountId: string | null = null;
  constructor(
    private readonly cradle: Cradle,
    readonly tenantId: string,
  ) {}

  private tx<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.cradle.database.forTenant(this.tenantId, work);
  }

  /** One social account carries every publication of the fixtures (the channel that counts is the content's). */
  private async account(): Promise<string> {
    if (!this.accountId) {
      const [row] = await this.tx((trx) =>
        trx('channelAccounts').insert({ tenantId: this.tenantId, channel: 'linkedin', externalAccountId: `acct-${this.tenantId}`, displayName: 'Page' }).returning('id'),
      );
      this.accountId = row.id as string;
    }
    return this.accountId!;
  }

  async campaign(name: string, endsOn: string | null): Promise<string> {
    const [row] = await this.tx((trx) =>
      trx('campaigns').insert({ tenantId: this.tenantId, name, utmCampaign: name.toLowerCase(), startsOn: '2026-01-01', endsOn }).returning('id'),
    );
    return row.id as string;
  }

  async content(
    channel: Channel,
    title: string,
    options: { status?: string; campaignId?: string; timeBound?: boolean; regenerations?: number } = {},
  ): Promise<{ id: string; versionId: string }> {
    return this.tx(async (trx) => {
      const [content] = await trx('contents')
        .insert({
          tenantId: this.tenantId,
          channel,
          title,
          status: options.status ?? 'published',
          campaignId: options.campaignId ?? null,
          isTimeBound: options.timeBound ?? false,
          validUntil: options.timeBound ? new Date('2026-02-28T22:59:00Z') : null,
          regenerationCount: options.regenerations ?? 0,
        })
        .returning('id');
      const [version] = await trx('contentVersions')
        .insert({ tenantId: this.tenantId, contentId: content.id, number: 1, title, body: `${title}.`, source: 'generation' })
        .returning('id');
      await trx('contents').where({ id: content.id }).update({ currentVersionId: version.id });
      return { id: content.id as string, versionId: version.id as string };
    });
  }

  /** A content sent at `sentAt`, with its engagement rows `{ date: totals as of that day }`. */
  async published(
    channel: Channel,
    title: string,
    sentAt: string,
    metrics: Record<string, Counts>,
    options: Parameters<Fixtures['content']>[2] = {},
  ): Promise<string> {
    const content = await this.content(channel, title, options);
    const accountId = await this.account();
    await this.tx(async (trx) => {
      const [publication] = await trx('publications')
        .insert({
          tenantId: this.tenantId,
          contentId: content.id,
          contentVersionId: content.versionId,
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
    });
    return content.id;
  }

  async link(code: string, channel: Channel | null, contentId: string | null, clicks: { at: string; bot?: boolean }[]): Promise<void> {
    await this.tx(async (trx) => {
      const [link] = await trx('shortLinks')
        .insert({ tenantId: this.tenantId, code, originalUrl: `https://example.test/${code}`, targetUrl: `https://example.test/${code}?utm_source=x`, channel, contentId })
        .returning('id');
      for (const click of clicks) {
        await trx('shortLinkClicks').insert({ tenantId: this.tenantId, shortLinkId: link.id, clickedAt: new Date(click.at), isBot: click.bot ?? false });
      }
    });
  }

  async approval(contentId: string, decision: string): Promise<void> {
    await this.tx(async (trx) => {
      const content = await trx('contents').where({ id: contentId }).first('currentVersionId');
      await trx('approvals').insert({ tenantId: this.tenantId, contentId, contentVersionId: content.currentVersionId, decision, actorKind: 'user' });
    });
  }

  /** A running run of the month whose six first steps are done, its plan holding `contentIds` (null: a skipped item). */
  async run(contentIds: (string | null)[], credits: { estimated: number; spent: number }): Promise<PipelineRun> {
    const repo = this.cradle.pipelineRepository;
    const { run } = await repo.createRun(this.tenantId, {
      month: MONTH,
      triggeredBy: 'schedule',
      triggeredByUserId: null,
      rerunOfRunId: null,
      contentMode: 'semi',
      useNightlyBatch: true,
      deadlineAt: null,
      estimatedCredits: credits.estimated,
      budgetCredits: 1000,
      locale: 'fr',
      status: 'running',
      now: new Date('2026-02-01T01:00:00Z'),
    });
    const planId = await this.tx(async (trx) => {
      const [plan] = await trx('editorialPlans').insert({ tenantId: this.tenantId, month: MONTH, status: 'confirmed', pipelineRunId: run!.id }).returning('id');
      for (const [position, contentId] of contentIds.entries()) {
        await trx('editorialPlanItems').insert({
          tenantId: this.tenantId,
          planId: plan.id,
          channel: 'linkedin',
          theme: `Thème ${position}`,
          plannedDate: '2026-03-10',
          contentId,
          status: contentId ? 'generated' : 'skipped',
          position,
        });
      }
      await trx('pipelineSteps').where({ tenantId: this.tenantId, runId: run!.id }).whereNot({ name: 'analytics' }).update({ status: 'succeeded', finishedAt: new Date('2026-02-02T00:00:00Z') });
      return plan.id as string;
    });
    await repo.updateRun(this.tenantId, run!.id, { editorialPlanId: planId });
    await repo.addRunTotals(this.tenantId, run!.id, { spentCredits: credits.spent });
    return (await repo.findRun(this.tenantId, run!.id))!;
  }

  rows(table: string, where: Record<string, unknown> = {}): Promise<Record<string, any>[]> {
    return this.tx((trx) => trx(table).where({ tenantId: this.tenantId, ...where }).orderBy('createdAt'));
  }
}

describe('pipeline step 7: analytics', () => {
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;
  const clock = new FixedClock(BEFORE_MEASURABLE);
  let a: Fixtures; // French workspace, Europe/Paris
  let b: Fixtures; // English workspace with big numbers: must never show in a's figures
  let runA: PipelineRun;
  let runB: PipelineRun;
  const ids: Record<string, string> = {};

  async function stepOf(f: Fixtures, run: PipelineRun) {
    return (await cradle.pipelineRepository.steps(f.tenantId, run.id)).find((s) => s.name === 'analytics')!;
  }

  /** The step called as the runner calls it, outside the runner (to execute it again after it succeeded). */
  async function execute(f: Fixtures, run: PipelineRun) {
    const context: StepContext = {
      tenantId: f.tenantId,
      run,
      step: await stepOf(f, run),
      now: () => clock.now(),
      progress: async () => undefined,
      shouldStop: async () => false,
    };
    return cradle.analyticsStep.execute(context);
  }

  before(async () => {
    container = buildContainer(testEnv().config, testEnv().db, { clock: asValue(clock) });
    cradle = container.cradle;
    a = new Fixtures(cradle, (await createTenant(cradle.database, { locale: 'fr' })).id);
    b = new Fixtures(cradle, (await createTenant(cradle.database, { locale: 'en' })).id);

    // ---- a: the month's publications (engagement scores: reactions + 2 comments + 3 shares + 2 clicks) ----
    ids.c1 = await a.published('linkedin', 'Atelier vitrine', '2026-03-05T09:00:00Z', {
      '2026-03-05': { impressions: 100, reactions: 10, comments: 2, shares: 1, clicks: 3 },
      '2026-03-10': { impressions: 300, reactions: 30, comments: 5, shares: 2, clicks: 8 }, // latest of March: 30+10+6+16 = 62
      '2026-04-02': { impressions: 400, reactions: 40, comments: 6, shares: 3, clicks: 10 }, // April: not March's
    }, { regenerations: 2 });
    ids.c2 = await a.published('facebook', 'Portes ouvertes', '2026-03-12T10:00:00Z', {
      '2026-03-12': { impressions: 50, reactions: 5, clicks: 1 },
      '2026-03-20': { impressions: 120, reactions: 12, comments: 3, shares: 1, clicks: 4 }, // 12+6+3+8 = 29
    });
    ids.c4 = await a.published('instagram', 'Coulisses', '2026-03-20T17:00:00Z', {
      '2026-03-21': { impressions: 200, reactions: 20, comments: 4 }, // 20+8 = 28
    });
    // Sent 1 April 00:30 in Paris: April's, whatever its UTC date says.
    ids.c3 = await a.published('facebook', 'Poisson d’avril', '2026-03-31T22:30:00Z', { '2026-04-01': { reactions: 999 } });
    // Sent in March, never measured: counted as a publication, not as a zero score.
    ids.c11 = await a.published('linkedin', 'Sans mesures', '2026-03-25T08:00:00Z', {});

    // ---- a: the run's other contents ----
    ids.c5 = (await a.content('linkedin', 'Programmé', { status: 'scheduled' })).id;
    ids.c12 = (await a.content('facebook', 'Approuvé', { status: 'approved' })).id;
    ids.c6 = (await a.content('linkedin', 'À valider', { status: 'pending_approval', regenerations: 1 })).id;
    ids.c7 = (await a.content('instagram', 'Refusé', { status: 'rejected' })).id;
    ids.c8 = (await a.content('blog', 'Brouillon', { status: 'draft' })).id;
    ids.c9 = (await a.content('linkedin', 'En rédaction', { status: 'generating' })).id;

    // ---- a: earlier contents of the 90-day window (1 January – 31 March), scored on reactions alone ----
    const endingCampaign = await a.campaign('Soldes', '2026-02-28');
    const openCampaign = await a.campaign('Marque', null);
    ids.e1 = await a.published('blog', 'Guide entretien', '2026-01-15T08:00:00Z', { '2026-01-20': { reactions: 50 } });
    ids.e2 = await a.published('sms', 'SMS soldes', '2026-02-10T09:00:00Z', { '2026-02-11': { reactions: 100 } });
    ids.e3 = await a.published('linkedin', 'Soldes J-3', '2026-02-15T09:00:00Z', { '2026-02-16': { reactions: 80 } }, { campaignId: endingCampaign });
    ids.e4 = await a.published('newsletter', 'Lettre de février', '2026-02-20T09:00:00Z', { '2026-02-21': { reactions: 90 } });
    ids.e5 = await a.published('facebook', 'Noël', '2025-12-20T09:00:00Z', { '2026-01-05': { reactions: 500 } }); // before the window
    ids.e6 = await a.published('linkedin', 'Nos 10 ans', '2026-02-01T09:00:00Z', {
      '2026-02-01': { reactions: 40 },
      '2026-02-05': { reactions: 120 }, // latest: 120 (the sum of days would be 160)
    });
    ids.e8 = await a.published('facebook', 'Notre équipe', '2026-01-20T09:00:00Z', { '2026-01-21': { reactions: 65 } }, { campaignId: openCampaign });
    ids.e9 = await a.published('google_business', 'Horaires d’été', '2026-02-25T09:00:00Z', { '2026-02-26': { reactions: 95 } });
    ids.e10 = await a.published('x', 'Vente flash', '2026-02-12T09:00:00Z', { '2026-02-13': { reactions: 200 } }, { timeBound: true });
    // Window scores: 28 29 50 62 65 80 90 95 100 120 200 → median 80; above it and recyclable: e6 (120), e9 (95).

    // ---- a: short-link clicks of March (Paris days) ----
    await a.link('lnk-a-1', 'linkedin', ids.c1, [
      { at: '2026-02-28T23:30:00Z' }, // 1 March 00:30 in Paris: counted
      { at: '2026-03-10T10:00:00Z' },
      { at: '2026-03-10T11:00:00Z' },
      { at: '2026-03-10T12:00:00Z', bot: true },
      { at: '2026-03-11T12:00:00Z', bot: true },
      { at: '2026-02-28T22:30:00Z' }, // 28 February in Paris
      { at: '2026-03-31T22:30:00Z' }, // 1 April in Paris
    ]);
    await a.link('lnk-a-2', 'facebook', ids.c2, [{ at: '2026-03-13T08:00:00Z' }, { at: '2026-03-14T08:00:00Z' }, { at: '2026-03-14T09:00:00Z', bot: true }]);
    await a.link('lnk-a-3', null, null, [{ at: '2026-03-15T08:00:00Z' }]);
    await a.link('lnk-a-4', 'blog', ids.e1, [{ at: '2026-03-16T08:00:00Z' }]);

    await a.approval(ids.c1, 'approved');
    await a.approval(ids.c2, 'approved');
    await a.approval(ids.c7, 'rejected');
    await a.approval(ids.c6, 'regeneration_requested');
    await a.approval(ids.e1, 'approved'); // not the run's
    runA = await a.run([ids.c1, ids.c2, ids.c4, ids.c5, ids.c12, ids.c6, ids.c7, ids.c8, ids.c9, null], { estimated: 150, spent: 137 });

    // ---- b: same month, far bigger figures, and a session for April already submitted ----
    ids.b1 = await b.published('linkedin', 'Big launch', '2026-03-10T09:00:00Z', { '2026-03-11': { impressions: 90_000, reactions: 1000, shares: 10 } });
    ids.b2 = await b.published('linkedin', 'Small note', '2026-03-12T09:00:00Z', { '2026-03-13': { reactions: 1 } });
    await b.link('lnk-b-1', 'linkedin', ids.b1, Array.from({ length: 50 }, (_, i) => ({ at: `2026-03-${String(10 + (i % 10)).padStart(2, '0')}T09:00:00Z` })));
    await b.approval(ids.b1, 'approved');
    runB = await b.run([ids.b1, ids.b2], { estimated: 40, spent: 31 });
    await cradle.database.forTenant(b.tenantId, (trx) =>
      trx('monthlySessions').insert({
        tenantId: b.tenantId,
        month: '2026-04-01',
        status: 'submitted',
        textInput: 'Our own words for April.',
        locale: 'en',
        submittedAt: new Date('2026-03-28T10:00:00Z'),
      }),
    );
  });

  after(async () => {
    await container.dispose();
  });

  it('waits until two days after the month ends, in the tenant’s zone, and touches nothing', async () => {
    clock.current = BEFORE_MEASURABLE;
    const result = await cradle.pipelineRunner.drive(a.tenantId, runA.id);
    expect(result.steps).to.deep.equal([{ name: 'analytics', outcome: 'waiting' }]);
    const step = await stepOf(a, runA);
    expect(step.status).to.equal('pending');
    expect(step.nextRetryAt!.toISOString()).to.equal(MEASURABLE.toISOString());
    expect(step.output).to.deep.equal({ waitingFor: 'monthEnd', until: MEASURABLE.toISOString() });
    expect(await a.rows('evergreenCandidates')).to.have.length(0);
    expect(await a.rows('monthlySessions')).to.have.length(0);
  });

  it('gathers the month’s figures exactly as computed by hand, bots and other tenants left out', async () => {
    clock.current = MEASURABLE;
    const result = await cradle.pipelineRunner.drive(a.tenantId, runA.id);
    expect(result.steps).to.deep.equal([{ name: 'analytics', outcome: 'succeeded' }]);
    expect((await cradle.pipelineRepository.findRun(a.tenantId, runA.id))!.status).to.equal('completed');

    const step = await stepOf(a, runA);
    const output = step.output as Record<string, any>;
    expect(output.month).to.equal(MONTH);
    expect(output.contents).to.deep.equal({ total: 9, published: 3, scheduled: 2, pendingApproval: 1, rejected: 1, draft: 2, failed: 0 });
    expect(output.perChannel).to.deep.equal([
      { channel: 'linkedin', publications: 2, impressions: 300, reactions: 30, comments: 5, shares: 2, clicks: 8, score: 62, linkClicks: 3 },
      { channel: 'facebook', publications: 1, impressions: 120, reactions: 12, comments: 3, shares: 1, clicks: 4, score: 29, linkClicks: 2 },
      { channel: 'instagram', publications: 1, impressions: 200, reactions: 20, comments: 4, shares: 0, clicks: 0, score: 28, linkClicks: 0 },
      { channel: 'blog', publications: 0, impressions: 0, reactions: 0, comments: 0, shares: 0, clicks: 0, score: 0, linkClicks: 1 },
    ]);
    expect(output.top.map((c: { contentId: string; score: number }) => [c.contentId, c.score])).to.deep.equal([
      [ids.c1, 62],
      [ids.c2, 29],
      [ids.c4, 28],
    ]);
    expect(output.top[0]).to.include({ title: 'Atelier vitrine', channel: 'linkedin', impressions: 300 });
    // 3 (linkedin, bots and the days outside March left out) + 2 (facebook) + 1 (blog) + 1 (a link outside any channel)
    expect(output.clicks).to.equal(7);
    expect(output.credits).to.deep.equal({ spent: 137, estimated: 150, budget: 1000 });
    expect(output.approvals).to.deep.equal({ approved: 2, rejected: 1, regenerations: 3 });
    expect(output.evergreenProposed).to.equal(2);
    expect(output.evergreenWindow).to.deep.equal({ start: '2026-01-01', end: '2026-03-31', median: 80 });
    const [session] = await a.rows('monthlySessions');
    expect(output.nextSessionId).to.equal(session.id);
    expect([step.outputRefType, step.outputRefId]).to.deep.equal(['monthly_session', session.id]);
  });

  it('proposes as evergreen only the recyclable contents above the tenant’s median', async () => {
    const candidates = await a.rows('evergreenCandidates');
    const byContent = Object.fromEntries(candidates.map((c) => [c.contentId, c]));
    // above the median but time-bound: the SMS (100), the newsletter (90), the ending campaign (80 = median anyway), the dated X post (200)
    expect(Object.keys(byContent).sort()).to.deep.equal([ids.e6, ids.e9].sort());
    expect(byContent[ids.e6]).to.include({ engagementScore: 120, tenantMedianScore: 80, status: 'proposed' });
    expect(byContent[ids.e9]).to.include({ engagementScore: 95, tenantMedianScore: 80, status: 'proposed' });
    const publication = await a.rows('publications', { contentId: ids.e6 });
    expect(byContent[ids.e6].sourcePublicationId).to.equal(publication[0].id);
    for (const candidate of candidates) {
      expect([candidate.windowStart, candidate.windowEnd].map(localDate)).to.deep.equal(['2026-01-01', '2026-03-31']);
    }
  });

  it('adds one item to next month’s session, in the tenant’s language', async () => {
    const [session] = await a.rows('monthlySessions');
    expect(localDate(session.month)).to.equal('2026-04-01');
    expect(session).to.include({ status: 'open', locale: 'fr', textInput: '' });
    const items = await a.rows('monthlySessionItems', { sessionId: session.id });
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ source: 'analytics', kind: 'priority', locale: 'fr', title: 'Ce qui a marché en mars 2026', included: true });
    expect(items[0].detail).to.equal(
      'Contenus les plus engageants : « Atelier vitrine » (LinkedIn, score 62) ; « Portes ouvertes » (Facebook, score 29) ; ' +
        '« Coulisses » (Instagram, score 28). Canaux les plus engageants : LinkedIn (score 62) ; Facebook (score 29) ; ' +
        "Instagram (score 28). Score d'engagement = réactions + 2 × commentaires + 3 × partages + 2 × clics. " +
        '7 clics sur vos liens (robots exclus).',
    );
  });

  it('executed again, gives the same figures and adds neither a proposal nor an item', async () => {
    const first = (await stepOf(a, runA)).output;
    const again = await execute(a, (await cradle.pipelineRepository.findRun(a.tenantId, runA.id))!);
    expect(again.status).to.equal('succeeded');
    expect(JSON.parse(JSON.stringify((again as { output: unknown }).output))).to.deep.equal(first);
    expect(await a.rows('evergreenCandidates')).to.have.length(2);
    expect(await a.rows('monthlySessions')).to.have.length(1);
    expect(await a.rows('monthlySessionItems')).to.have.length(1);
  });

  it('for another tenant, counts only its rows, writes in English and keeps its submitted session’s text', async () => {
    clock.current = MEASURABLE;
    const outcome = await execute(b, runB);
    expect(outcome.status).to.equal('succeeded');
    const output = (outcome as { output: Record<string, any> }).output;
    expect(output.contents).to.deep.equal({ total: 2, published: 2, scheduled: 0, pendingApproval: 0, rejected: 0, draft: 0, failed: 0 });
    expect(output.perChannel).to.deep.equal([
      { channel: 'linkedin', publications: 2, impressions: 90_000, reactions: 1001, comments: 0, shares: 10, clicks: 0, score: 1031, linkClicks: 50 },
    ]);
    expect(output.clicks).to.equal(50);
    expect(output.credits).to.deep.equal({ spent: 31, estimated: 40, budget: 1000 });
    expect(output.approvals).to.deep.equal({ approved: 1, rejected: 0, regenerations: 0 });
    // two measured contents (1030 and 1): median 515.5, b1 above it
    expect(output.evergreenProposed).to.equal(1);
    expect((await b.rows('evergreenCandidates')).map((c) => c.contentId)).to.deep.equal([ids.b1]);

    const [session] = await b.rows('monthlySessions');
    expect(session).to.include({ status: 'submitted', textInput: 'Our own words for April.', locale: 'en' });
    const items = await b.rows('monthlySessionItems');
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ sessionId: session.id, locale: 'en', title: 'What worked in March 2026', source: 'analytics' });
    expect(items[0].detail).to.match(/^Most engaging contents: “Big launch” \(LinkedIn, score 1030\); “Small note” \(LinkedIn, score 1\)\./);
    expect(items[0].detail).to.match(/50 clicks on your links \(bots excluded\)\.$/);

    // a's figures did not move with b's run
    const aOutput = (await stepOf(a, runA)).output as Record<string, any>;
    expect(aOutput.clicks).to.equal(7);
    expect(await a.rows('evergreenCandidates')).to.have.length(2);
  });

  it('does not propose again a content whose proposal the client dismissed', async () => {
    await cradle.database.forTenant(a.tenantId, (trx) =>
      trx('evergreenCandidates').where({ tenantId: a.tenantId, contentId: ids.e9 }).update({ status: 'dismissed', decidedAt: new Date('2026-04-05T09:00:00Z') }),
    );
    const outcome = await execute(a, (await cradle.pipelineRepository.findRun(a.tenantId, runA.id))!);
    expect((outcome as { output: Record<string, unknown> }).output.evergreenProposed).to.equal(1);
    const candidates = await a.rows('evergreenCandidates');
    expect(candidates.map((c) => [c.contentId, c.status]).sort()).to.deep.equal([
      [ids.e6, 'proposed'],
      [ids.e9, 'dismissed'],
    ].sort());
  });
});

/** DATE columns come back as local-midnight Dates. */
function localDate(value: Date | string): string {
  if (typeof value === 'string') return value.slice(0, 10);
  return `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`;
}
