import { asValue, type AwilixContainer } from 'awilix';
import { expect } from 'chai';
import { DateTime } from 'luxon';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import type { AiGateway, AiRequest, AiResult } from '../../../../src/modules/ai/gateway.js';
import { isFrenchPublicHoliday } from '../../../../src/modules/calendar/slots.js';
import { CHANNELS } from '../../../../src/modules/studio/channels.js';
import type { GenerationContext, PipelineRun } from '../../../../src/modules/pipeline/domain.js';
import type { RawPlan } from '../../../../src/modules/pipeline/plan-normaliser.js';
import type { StepContext, StepOutcome, StepProgress } from '../../../../src/modules/pipeline/ports.js';
import { PlanningStep } from '../../../../src/modules/pipeline/steps/planning-step.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

const ZONE = 'Europe/Paris';
const MONTH = '2027-05-01';
/** Tuesday 20 April 2027, 10:00 in Paris: a run preparing May ahead. */
const BEFORE_MONTH = new Date('2027-04-20T08:00:00Z');


interface PlanRow {
  id: string;
  status: string;
  pipelineRunId: string;
  aiCallId: string | null;
  dnaSnapshotId: string | null;
  summary: string;
  locale: string;
}

interface ItemRow {
  channel: string;
  theme: string;
  position: number;
  plannedDate: string;
  plannedSlotAt: Date | null;
  campaignId: string | null;
  evergreenSourceContentId: string | null;
  status: string;
  locale: string;
}

describe('Pipeline step 4: planning (database, offline model)', function () {
  this.timeout(120_000);
  let container: AwilixContainer<Cradle>;
  let cradle: Cradle;
  let now = BEFORE_MONTH;

  before(() => {
    const { config, db } = testEnv();
    container = buildContainer(config, db, { clock: asValue({ now: () => now }) });
    cradle = container.cradle;
  });

  after(async () => {
    await container.dispose();
  });

  beforeEach(() => {
    now = BEFORE_MONTH;
  });

  // ---- fixtures ----

  /** A tenant on `plan` whose choice is `choices`; every channel not listed is chosen at zero. */
  async function tenantWithChoices(choices: { channel: string; itemsPerMonth: number; active: boolean }[], options: { plan?: string; locale?: string } = {}) {
    const tenant = await createTenant(cradle.database, { plan: options.plan ?? 'scale', locale: options.locale });
    const listed = new Set(choices.map((c) => c.channel));
    const others = CHANNELS.filter((channel) => !listed.has(channel)).map((channel) => ({ channel, itemsPerMonth: 0, active: true }));
    await cradle.pipelineRepository.saveChannelTargets(tenant.id, [...choices, ...others]);
    const snapshot = await cradle.brandDnaRepository.create(tenant.id, {
      content: { identity: { name: 'Boulangerie Martin' }, values: ['Fait maison'], seo: { keywords: ['boulangerie lyon', 'pain au levain'] } },
      sources: {},
      reason: 'onboarding',
    });
    return { tenantId: tenant.id, snapshot };
  }

  const SCALE_CHOICES = [
    { channel: 'linkedin', itemsPerMonth: 5, active: true },
    { channel: 'facebook', itemsPerMonth: 0, active: true }, // the client chose zero
    { channel: 'instagram', itemsPerMonth: 10, active: false }, // switched off
    { channel: 'x', itemsPerMonth: 40, active: true }, // more items than May has days
    { channel: 'google_business', itemsPerMonth: 0, active: true },
    { channel: 'blog', itemsPerMonth: 99, active: true }, // above the plan's quota (8)
    { channel: 'newsletter', itemsPerMonth: 0, active: true },
    { channel: 'sms', itemsPerMonth: 4, active: true },
  ];

  function generationContext(overrides: Partial<GenerationContext> = {}): GenerationContext {
    return {
      v: 1,
      month: MONTH,
      locale: 'fr',
      dna: { snapshotId: null, version: null },
      brief: { id: null, body: 'Mai : fête des mères, nouvelle gamme de pains au levain, portes ouvertes le 22.' },
      priorities: [
        { label: 'Faire connaître le pain au levain', weight: 3 },
        { label: 'Remplir les portes ouvertes', weight: 2 },
      ],
      highlights: [],
      promptRefs: {},
      mergedAt: '2027-04-20T08:00:00Z',
      ...overrides,
    };
  }

  async function startRun(tenantId: string, context: GenerationContext, month = MONTH): Promise<PipelineRun> {
    const run = await cradle.pipelineService.start(tenantId, { kind: 'schedule' }, { month });
    await cradle.pipelineRepository.updateRun(tenantId, run.id, { generationContext: context });
    return (await cradle.pipelineRepository.findRun(tenantId, run.id))!;
  }

  async function finishRun(tenantId: string, runId: string): Promise<void> {
    expect(await cradle.pipelineRepository.transitionRun(tenantId, runId, ['running', 'budget_exhausted'], 'completed', { now })).to.equal(true);
  }

  /** Executes the step as the runner would, recording the progress it reports. */
  async function execute(tenantId: string, runId: string, step: PlanningStep = cradle.planningStep): Promise<{ outcome: StepOutcome; progress: StepProgress[] }> {
    const run = (await cradle.pipelineRepository.findRun(tenantId, runId))!;
    const steps = await cradle.pipelineRepository.steps(tenantId, runId);
    const progress: StepProgress[] = [];
    const context: StepContext = {
      tenantId,
      run,
      step: steps.find((s) => s.name === 'planning')!,
      now: () => now,
      progress: async (update) => {
        progress.push(update);
      },
      shouldStop: async () => false,
    };
    return { outcome: await step.execute(context), progress };
  }

  function plansOf(tenantId: string): Promise<PlanRow[]> {
    return cradle.database.forTenant(tenantId, (trx) =>
      trx('editorialPlans').where({ tenantId }).orderBy('createdAt').select('id', 'status', 'pipelineRunId', 'aiCallId', 'dnaSnapshotId', 'summary', 'locale'),
    );
  }

  function itemsOf(tenantId: string, planId: string): Promise<ItemRow[]> {
    return cradle.database.forTenant(tenantId, (trx) =>
      trx('editorialPlanItems')
        .where({ tenantId, planId })
        .orderBy('position')
        .select(
          'channel', 'theme', 'position', trx.raw(`to_char(planned_date, 'YYYY-MM-DD') as planned_date`), 'plannedSlotAt', 'campaignId',
          'evergreenSourceContentId', 'status', 'locale',
        ),
    );
  }

  function planningCalls(tenantId: string, runId: string): Promise<number> {
    return cradle.database.forTenant(tenantId, async (trx) => {
      const row = await trx('aiCalls').where({ tenantId, subjectType: 'pipeline_run', subjectId: runId, task: 'planning' }).count('* as n').first();
      return Number(row?.n ?? 0);
    });
  }

  async function createEvergreen(tenantId: string, channel: string, title: string): Promise<string> {
    return cradle.database.forTenant(tenantId, async (trx) => {
      const [content] = await trx('contents').insert({ tenantId, channel, title, status: 'published' }).returning('id');
      await trx('evergreenCandidates').insert({
        tenantId,
        contentId: content.id,
        engagementScore: 120,
        tenantMedianScore: 40,
        windowStart: '2027-01-01',
        windowEnd: '2027-03-31',
      });
      return content.id as string;
    });
  }

  const sundayOrHoliday = (isoDate: string) => new Date(`${isoDate}T00:00:00Z`).getUTCDay() === 0 || isFrenchPublicHoliday(isoDate);

  // ---- tests ----

  it('plans each channel’s count (plan quota ∩ client choice) inside the month, on distinct free slots, SMS never on Sundays or holidays', async () => {
    const { tenantId, snapshot } = await tenantWithChoices(SCALE_CHOICES);
    const targets = (await cradle.pipelineRepository.channelTargets(tenantId)).filter((t) => t.items > 0);
    expect(Object.fromEntries(targets.map((t) => [t.channel, t.items]))).to.deep.equal({ blog: 8, linkedin: 5, sms: 4, x: 40 });
    const run = await startRun(tenantId, generationContext({ dna: { snapshotId: snapshot.id, version: snapshot.version } }));

    const { outcome, progress } = await execute(tenantId, run.id);

    expect(outcome.status).to.equal('succeeded');
    const [plan] = await plansOf(tenantId);
    expect(plan).to.include({ status: 'confirmed', pipelineRunId: run.id, dnaSnapshotId: snapshot.id, locale: 'fr' });
    expect(plan.aiCallId).to.be.a('string');
    expect(plan.summary).to.not.equal('');
    const items = await itemsOf(tenantId, plan.id);
    const perChannel: Record<string, number> = {};
    for (const item of items) perChannel[item.channel] = (perChannel[item.channel] ?? 0) + 1;
    expect(perChannel).to.deep.equal({ blog: 8, linkedin: 5, sms: 4, x: 40 });
    expect(items.map((i) => i.position)).to.deep.equal(items.map((_, i) => i + 1));

    for (const item of items) {
      expect(item.plannedDate >= '2027-05-01' && item.plannedDate <= '2027-05-31', item.plannedDate).to.equal(true);
      expect(item).to.include({ status: 'planned', locale: 'fr' });
      expect(item.theme).to.not.equal('');
      if (item.channel === 'sms') expect(sundayOrHoliday(item.plannedDate), item.plannedDate).to.equal(false);
      if (item.plannedSlotAt) {
        const local = DateTime.fromJSDate(item.plannedSlotAt, { zone: ZONE });
        expect(local.toISODate()! >= '2027-05-01' && local.toISODate()! <= '2027-05-31').to.equal(true);
        if (item.channel === 'sms') expect(sundayOrHoliday(local.toISODate()!)).to.equal(false);
      }
    }
    for (const channel of ['blog', 'linkedin', 'sms']) {
      const dates = items.filter((i) => i.channel === channel).map((i) => i.plannedDate);
      expect(new Set(dates).size, channel).to.equal(dates.length);
    }
    // 40 posts on X in 31 days: two on some days, never more
    const xPerDay: Record<string, number> = {};
    for (const i of items.filter((i) => i.channel === 'x')) xPerDay[i.plannedDate] = (xPerDay[i.plannedDate] ?? 0) + 1;
    expect(Math.max(...Object.values(xPerDay))).to.equal(2);
    // slots: never one slot twice on a channel; the few channels with enough optimal days get one on their very day
    for (const channel of ['blog', 'linkedin', 'sms', 'x']) {
      const slots = items.filter((i) => i.channel === channel && i.plannedSlotAt).map((i) => i.plannedSlotAt!.getTime());
      expect(new Set(slots).size, channel).to.equal(slots.length);
    }
    for (const item of items.filter((i) => i.channel === 'linkedin' || i.channel === 'sms')) {
      expect(item.plannedSlotAt, `${item.channel} ${item.plannedDate}`).to.be.an.instanceOf(Date);
      expect(DateTime.fromJSDate(item.plannedSlotAt!, { zone: ZONE }).toISODate()).to.equal(item.plannedDate);
    }
    // blog articles get a target keyword from the DNA
    const blog = await cradle.database.forTenant(tenantId, (trx) => trx('editorialPlanItems').where({ planId: plan.id, channel: 'blog' }).select('targetKeyword'));
    expect(blog).to.have.length(8);
    for (const row of blog) expect(['boulangerie lyon', 'pain au levain']).to.include(row.targetKeyword);

    const after = (await cradle.pipelineRepository.findRun(tenantId, run.id))!;
    expect(after).to.include({ editorialPlanId: plan.id, itemsPlanned: 57 });
    expect(outcome).to.deep.include({ outputRef: { type: 'editorial_plan', id: plan.id } });
    const output = (outcome as { output: Record<string, unknown> }).output;
    expect(output).to.include({ planId: plan.id, items: 57, evergreen: 0 });
    expect(output.perChannel).to.deep.equal({ blog: 8, linkedin: 5, sms: 4, x: 40 });
    expect(progress.some((p) => p.total === 57)).to.equal(true);
    expect(await planningCalls(tenantId, run.id)).to.equal(1);
    // the call's cost is on the run and on the step
    const call = await cradle.database.forTenant(tenantId, (trx) => trx('aiCalls').where({ id: plan.aiCallId! }).first('creditsCharged', 'costMicros'));
    expect(after).to.include({ spentCredits: call.creditsCharged, aiCostMicros: Number(call.costMicros) });
    const reported = progress.reduce((n, p) => n + (p.costCredits ?? 0), 0);
    expect(reported).to.equal(call.creditsCharged);
  });

  it('normalises the offline model’s answer (one item, no real date) into the full plan, with themes from the month', async () => {
    const { tenantId } = await tenantWithChoices([{ channel: 'linkedin', itemsPerMonth: 6, active: true }], { plan: 'starter' });
    const run = await startRun(tenantId, generationContext());

    const { outcome } = await execute(tenantId, run.id);

    const output = (outcome as { output: Record<string, unknown> }).output;
    expect(output).to.include({ offline: true, filled: 5 });
    const [plan] = await plansOf(tenantId);
    const items = await itemsOf(tenantId, plan.id);
    expect(items.map((i) => i.channel)).to.deep.equal(['linkedin', 'linkedin', 'linkedin', 'linkedin', 'linkedin', 'linkedin']);
    const themes = items.map((i) => i.theme);
    expect(themes).to.include('Faire connaître le pain au levain');
    expect(themes).to.include('Remplir les portes ouvertes');
    expect(new Set(items.map((i) => i.plannedDate)).size).to.equal(6);
    for (const item of items) expect(item.plannedDate >= '2027-05-01' && item.plannedDate <= '2027-05-31').to.equal(true);
  });

  it('started mid-month, plans only the rest of the month (from tomorrow in the tenant’s zone)', async () => {
    now = new Date('2027-05-12T22:30:00Z'); // still the 12th in UTC, already Thursday 13 May (00:30) in Paris
    const { tenantId } = await tenantWithChoices([
      { channel: 'linkedin', itemsPerMonth: 4, active: true },
      { channel: 'sms', itemsPerMonth: 4, active: true },
    ]);
    const run = await startRun(tenantId, generationContext());

    await execute(tenantId, run.id);

    const [plan] = await plansOf(tenantId);
    const items = await itemsOf(tenantId, plan.id);
    expect(items).to.have.length(8);
    for (const item of items) {
      expect(item.plannedDate >= '2027-05-14' && item.plannedDate <= '2027-05-31', item.plannedDate).to.equal(true);
      if (item.plannedSlotAt) expect(item.plannedSlotAt.getTime()).to.be.greaterThan(now.getTime());
      if (item.channel === 'sms') expect(sundayOrHoliday(item.plannedDate), item.plannedDate).to.equal(false);
    }
  });

  it('is idempotent: executed again, it returns the same plan without a second AI call', async () => {
    const { tenantId } = await tenantWithChoices([{ channel: 'linkedin', itemsPerMonth: 3, active: true }], { plan: 'starter' });
    const run = await startRun(tenantId, generationContext());

    const first = await execute(tenantId, run.id);
    const second = await execute(tenantId, run.id);

    expect((second.outcome as { outputRef: unknown }).outputRef).to.deep.equal((first.outcome as { outputRef: unknown }).outputRef);
    const plans = await plansOf(tenantId);
    expect(plans).to.have.length(1);
    expect(await itemsOf(tenantId, plans[0].id)).to.have.length(3);
    expect(await planningCalls(tenantId, run.id)).to.equal(1);
    expect((await cradle.pipelineRepository.findRun(tenantId, run.id))!.itemsPlanned).to.equal(3);
  });

  it('a re-run of the month archives the previous plan and keeps one live plan', async () => {
    const { tenantId } = await tenantWithChoices([{ channel: 'linkedin', itemsPerMonth: 3, active: true }], { plan: 'starter' });
    const first = await startRun(tenantId, generationContext());
    await execute(tenantId, first.id);
    await finishRun(tenantId, first.id);

    const rerun = await cradle.pipelineService.rerun(tenantId, first.id, { kind: 'admin', userId: await anyUserId() });
    await cradle.pipelineRepository.updateRun(tenantId, rerun.id, { generationContext: generationContext() });
    await execute(tenantId, rerun.id);

    const plans = await plansOf(tenantId);
    expect(plans.map((p) => [p.pipelineRunId, p.status])).to.deep.equal([
      [first.id, 'archived'],
      [rerun.id, 'confirmed'],
    ]);
    expect((await cradle.pipelineRepository.findRun(tenantId, rerun.id))!.editorialPlanId).to.equal(plans[1].id);
    // the archived plan keeps its items
    expect(await itemsOf(tenantId, plans[0].id)).to.have.length(3);
  });

  it('turns the month’s offers and events into campaigns once, and leaves an existing campaign of that name alone', async () => {
    const { tenantId } = await tenantWithChoices([{ channel: 'linkedin', itemsPerMonth: 4, active: true }], { plan: 'starter' });
    await cradle.database.forTenant(tenantId, (trx) =>
      trx('campaigns').insert({ tenantId, name: 'Fête des mères', utmCampaign: 'fete-des-meres', status: 'active', startsOn: '2027-05-01', endsOn: '2027-05-30' }),
    );
    const highlights: GenerationContext['highlights'] = [
      { kind: 'offer', title: 'Soldes de printemps', detail: '-20 % sur les viennoiseries', startsOn: '2027-05-10', endsOn: '2027-05-20' },
      { kind: 'event', title: 'Portes ouvertes', detail: 'Visite du fournil', startsOn: '2027-05-22', endsOn: null },
      { kind: 'offer', title: 'fête des MÈRES', detail: 'Coffret', startsOn: null, endsOn: null },
      { kind: 'news', title: 'Nouveau four', detail: '', startsOn: null, endsOn: null },
    ];
    const first = await startRun(tenantId, generationContext({ highlights }));
    const { outcome } = await execute(tenantId, first.id);
    expect((outcome as { output: Record<string, unknown> }).output).to.include({ campaignsCreated: 2 });
    await finishRun(tenantId, first.id);
    // another run of the month reads the same highlights: nothing new
    const second = await startRun(tenantId, generationContext({ highlights }));
    const again = await execute(tenantId, second.id);
    expect((again.outcome as { output: Record<string, unknown> }).output).to.include({ campaignsCreated: 0 });

    const campaigns = await cradle.database.forTenant(tenantId, (trx) =>
      trx('campaigns')
        .where({ tenantId })
        .orderBy('name')
        .select('name', 'utmCampaign', 'status', trx.raw(`to_char(starts_on, 'YYYY-MM-DD') as starts_on`), trx.raw(`to_char(ends_on, 'YYYY-MM-DD') as ends_on`)),
    );
    expect(campaigns).to.deep.equal([
      { name: 'Fête des mères', utmCampaign: 'fete-des-meres', status: 'active', startsOn: '2027-05-01', endsOn: '2027-05-30' },
      { name: 'Portes ouvertes', utmCampaign: 'portes-ouvertes', status: 'active', startsOn: '2027-05-01', endsOn: '2027-05-22' },
      { name: 'Soldes de printemps', utmCampaign: 'soldes-de-printemps', status: 'active', startsOn: '2027-05-10', endsOn: '2027-05-20' },
    ]);
  });

  it('never uses another tenant’s campaigns or evergreen contents, even when the answer names them', async () => {
    const a = await tenantWithChoices([{ channel: 'linkedin', itemsPerMonth: 4, active: true }], { plan: 'starter' });
    const b = await tenantWithChoices([{ channel: 'linkedin', itemsPerMonth: 4, active: true }], { plan: 'starter' });
    const [campaignA] = await cradle.database.forTenant(a.tenantId, (trx) =>
      trx('campaigns').insert({ tenantId: a.tenantId, name: 'Campagne A', utmCampaign: 'campagne-a', status: 'active', startsOn: '2027-05-01', endsOn: '2027-05-31' }).returning('id'),
    );
    await cradle.database.forTenant(b.tenantId, (trx) =>
      trx('campaigns').insert({ tenantId: b.tenantId, name: 'Campagne B', utmCampaign: 'campagne-b', status: 'active', startsOn: '2027-05-01', endsOn: '2027-05-31' }),
    );
    const evergreenA = await createEvergreen(a.tenantId, 'linkedin', 'Nos 5 conseils pour un bon levain');
    const evergreenB = await createEvergreen(b.tenantId, 'linkedin', 'Secret de B');

    expect((await cradle.planRepository.evergreenCandidates(a.tenantId)).map((e) => e.contentId)).to.deep.equal([evergreenA]);

    // The real gateway makes (and records) the call; the answer is replaced by one naming the other tenant's rows.
    const hostile: RawPlan = {
      summary: 'Plan',
      items: [
        { channel: 'linkedin', planned_date: '2027-05-04', theme: 'B’s campaign', campaign_utm: 'campagne-b', evergreen_source_content_id: evergreenB },
        { channel: 'linkedin', planned_date: '2027-05-11', theme: 'A’s campaign', campaign_utm: 'campagne-a', evergreen_source_content_id: null },
        { channel: 'linkedin', planned_date: '2027-05-18', theme: 'Conseils levain', campaign_utm: null, evergreen_source_content_id: evergreenA },
      ],
    };
    const gateway = cradle.aiGateway;
    const answering = {
      generate: async <T>(request: AiRequest<T>): Promise<AiResult<T>> => ({ ...(await gateway.generate(request)), data: hostile as T }),
    } as unknown as AiGateway;
    const step = new PlanningStep({
      pipelineRepository: cradle.pipelineRepository,
      planRepository: cradle.planRepository,
      aiGateway: answering,
      dnaService: cradle.dnaService,
      contentRepository: cradle.contentRepository,
      slotPlanner: cradle.slotPlanner,
      i18n: cradle.i18n,
      logger: cradle.logger,
    });
    const run = await startRun(a.tenantId, generationContext());
    await execute(a.tenantId, run.id, step);

    const [plan] = await plansOf(a.tenantId);
    const items = await itemsOf(a.tenantId, plan.id);
    const byTheme = Object.fromEntries(items.map((i) => [i.theme, i]));
    expect(byTheme['B’s campaign']).to.include({ campaignId: null, evergreenSourceContentId: null });
    expect(byTheme['A’s campaign']).to.include({ campaignId: campaignA.id });
    expect(byTheme['Mise à jour d\'un contenu qui a bien marché : Conseils levain']).to.include({ evergreenSourceContentId: evergreenA });
    for (const item of items) {
      expect([campaignA.id, null]).to.include(item.campaignId);
      expect([evergreenA, null]).to.include(item.evergreenSourceContentId);
    }
    expect(await plansOf(b.tenantId)).to.have.length(0);
  });

  it('succeeds with an empty plan when no channel has items this month', async () => {
    const { tenantId } = await tenantWithChoices([], { plan: 'starter', locale: 'en' });
    const run = await startRun(tenantId, generationContext({ locale: 'en' }));

    const { outcome } = await execute(tenantId, run.id);

    expect(outcome.status).to.equal('succeeded');
    const output = (outcome as { output: Record<string, unknown> }).output;
    expect(output).to.include({ items: 0, empty: true });
    expect(output.summary).to.match(/No channel has posts planned/);
    const [plan] = await plansOf(tenantId);
    expect(plan).to.include({ status: 'confirmed', aiCallId: null });
    expect(await itemsOf(tenantId, plan.id)).to.have.length(0);
    expect(await planningCalls(tenantId, run.id)).to.equal(0);
    expect((await cradle.pipelineRepository.findRun(tenantId, run.id))!).to.include({ editorialPlanId: plan.id, itemsPlanned: 0 });
  });

  it('fails for good without the generation context of step 3', async () => {
    const { tenantId } = await tenantWithChoices([{ channel: 'linkedin', itemsPerMonth: 3, active: true }], { plan: 'starter' });
    const run = await cradle.pipelineService.start(tenantId, { kind: 'schedule' }, { month: MONTH });
    const error = await execute(tenantId, run.id).catch((err: unknown) => err);
    expect(error).to.include({ code: 'planning.errors.noContext', status: 409 });
    expect(await plansOf(tenantId)).to.have.length(0);
  });

  async function anyUserId(): Promise<string> {
    const row = await cradle.database.asPlatform((trx) => trx('users').where({ email: 'admin@cadence.test' }).first('id'));
    return row.id;
  }
});
