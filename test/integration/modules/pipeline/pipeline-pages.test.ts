import { expect } from 'chai';
import type { Cradle } from '../../../../src/container.js';
import type { PipelineRun } from '../../../../src/modules/pipeline/domain.js';
import { startableMonths } from '../../../../src/modules/pipeline/run-view.js';
import { DEMO_OWNER, loginAs, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import { addTeamMember } from '../../../support/team.js';
import { freshTenantOwner, html } from '../studio/editor-support.js';

type Session = { agent: Agent; csrf: string };
const htmx = { 'HX-Request': 'true' };
const TRIGGER = 'hx-trigger="every 3s"';

describe('Pipeline: the client\'s month page (/app/pipeline)', function () {
  this.timeout(60_000);
  let cradle: Cradle;

  before(() => {
    cradle = testEnv().container.cradle;
  });

  const owner = () => freshTenantOwner(cradle, testEnv().app);
  const start = (tenantId: string, userId: string, month = '2031-03-01'): Promise<PipelineRun> =>
    cradle.pipelineService.start(tenantId, { kind: 'client', userId }, { month });
  const setStep = (tenantId: string, runId: string, name: string, fields: Record<string, unknown>) =>
    cradle.database.forTenant(tenantId, (trx) => trx('pipelineSteps').where({ tenantId, runId, name }).update(fields));
  const runRow = (tenantId: string, runId: string) => cradle.pipelineRepository.findRun(tenantId, runId);
  const post = (session: Session, url: string, body: Record<string, string> = {}) => session.agent.post(url).type('form').send({ _csrf: session.csrf, ...body });
  /** The flash shown on the page a POST redirected to. */
  const flashAfter = async (session: Session, res: { status: number; headers: Record<string, string> }) => {
    expect(res.status).to.equal(303);
    const page = await session.agent.get(res.headers.location);
    return /<div class="alert alert-(\w+)" role="status">([^<]*)<\/div>/.exec(page.text);
  };

  it('renders for the demo owner, with its navigation entry and the link to the monthly session', async () => {
    const demo = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    const res = await demo.agent.get('/app/pipeline');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('<h1>Mon mois</h1>');
    expect(res.text).to.match(/<a href="\/app\/pipeline" aria-current="page">Mon mois<\/a>/);
    expect(res.text).to.include('href="/app/pipeline/session"').and.include('href="/app/pipeline/settings"');
    // between the studio and the calendar in the navigation
    expect(res.text.indexOf('href="/app/studio"')).to.be.below(res.text.indexOf('href="/app/pipeline"'));
    expect(res.text.indexOf('href="/app/pipeline"')).to.be.below(res.text.indexOf('href="/app/calendar"'));
  });

  it('without any run: says so, and offers to start one with the estimate and next month selected', async () => {
    const session = await owner();
    const res = await session.agent.get('/app/pipeline');
    expect(res.status).to.equal(200);
    expect(res.text).to.include(html("Aucun cycle n'a encore été lancé pour votre espace."));
    expect(res.text).not.to.include(TRIGGER);
    const estimate = await cradle.pipelineService.estimate(session.tenantId);
    expect(estimate.perChannel.length).to.be.above(0);
    expect(res.text).to.include('Estimation').and.include('LinkedIn');
    expect(res.text).to.include(html(estimate.fits ? 'Le cycle tient dans votre budget.' : 'il ne pourra pas démarrer'));
    // no AI key in the suite's app: the page says the month would be written offline, at no cost
    expect(estimate).to.include({ offline: true, credits: 0 });
    expect(res.text).to.include('id="pipeline-offline"');
    const months = startableMonths(cradle.clock.now(), 'Europe/Paris');
    expect(res.text).to.match(new RegExp(`<option value="${months.next}" selected>`));
    expect(res.text).to.include(`<option value="${months.current}">`);
  });

  it('a live run: steps with progress bars, why a step waits, output summaries, and the page polls its fragment', async () => {
    const session = await owner();
    const run = await start(session.tenantId, session.userId);
    await setStep(session.tenantId, run.id, 'session', { status: 'succeeded', attempts: 1, durationMs: 1500, output: JSON.stringify({ sources: 3, secret: 'not shown' }) });
    await setStep(session.tenantId, run.id, 'ingestion', { status: 'succeeded', attempts: 1, output: JSON.stringify({ perChannel: { linkedin: 4, blog: 2 } }) });
    await setStep(session.tenantId, run.id, 'dna_merge', { status: 'succeeded', attempts: 2 });
    await setStep(session.tenantId, run.id, 'planning', { status: 'succeeded', attempts: 1, output: JSON.stringify({ items: 10 }) });
    await setStep(session.tenantId, run.id, 'generation', {
      status: 'pending',
      attempts: 1,
      itemsTotal: 10,
      itemsDone: 4,
      nextRetryAt: new Date('2031-02-20T00:00:00Z'),
      output: JSON.stringify({ waitingFor: 'nightlyBatch' }),
    });

    const page = await session.agent.get('/app/pipeline');
    expect(page.status).to.equal(200);
    expect(page.text).to.include(TRIGGER).and.include(`hx-get="/app/pipeline/runs/${run.id}/progress?from=index"`);
    expect(page.text).to.include('En cours').and.include('Fresh Owner');
    expect(page.text).to.include('<progress max="10" value="4"');
    expect(page.text).to.include('3 sources citées').and.include('Article de blog 2 · LinkedIn 4').and.include('10 contenus planifiés');
    expect(page.text).not.to.include('not shown');
    expect(page.text).to.include(html('En attente de la rédaction de nuit (tarif -50 %), prévue le'));
    expect(page.text).to.include('essai 2 / 3');
    // a live run offers pause and cancel, not a re-run
    expect(page.text).to.include(`action="/app/pipeline/runs/${run.id}/pause"`).and.include(`action="/app/pipeline/runs/${run.id}/cancel"`);
    expect(page.text).not.to.include(`/runs/${run.id}/rerun`);

    const fragment = await session.agent.get(`/app/pipeline/runs/${run.id}/progress`);
    expect(fragment.status).to.equal(200);
    expect(fragment.text.trimStart()).to.match(/^<section id="run-progress"/);
    expect(fragment.text).not.to.include('<html');
    expect(fragment.text).to.include(TRIGGER).and.include('<progress max="10" value="4"');

    const runPage = await session.agent.get(`/app/pipeline/runs/${run.id}`);
    expect(runPage.status).to.equal(200);
    expect(runPage.text).to.include('<html').and.include(`hx-get="/app/pipeline/runs/${run.id}/progress"`);
  });

  it('a finished run: no polling, and its fragment comes back without the trigger', async () => {
    const session = await owner();
    const run = await start(session.tenantId, session.userId);
    await cradle.pipelineService.cancel(session.tenantId, run.id);
    const page = await session.agent.get(`/app/pipeline/runs/${run.id}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Annulé');
    expect(page.text).not.to.include(TRIGGER);
    expect(page.text).to.include(`action="/app/pipeline/runs/${run.id}/rerun"`);
    const fragment = await session.agent.get(`/app/pipeline/runs/${run.id}/progress`);
    expect(fragment.text.trimStart()).to.match(/^<section id="run-progress"/);
    expect(fragment.text).not.to.include('hx-trigger');
  });

  it('a run stopped by its budget shows the reason prominently, with the top-up link and resume', async () => {
    const session = await owner();
    const started = await start(session.tenantId, session.userId);
    // as the runner records it when the generation step runs out of credits
    const failureReason = cradle.i18n.t('pipeline.errors.budgetExhausted', { lng: 'fr', step: 'Génération', done: 3, total: 10, spent: 120, budget: 120 });
    await cradle.pipelineRepository.transitionRun(session.tenantId, started.id, ['running'], 'budget_exhausted', { failureCode: 'pipeline.errors.budgetExhausted', failureReason, now: new Date() });
    const run = (await runRow(session.tenantId, started.id))!;
    const page = await session.agent.get('/app/pipeline');
    const alert = /<div class="alert alert-error pl-failure" role="alert">([\s\S]*?)<\/div>/.exec(page.text);
    expect(alert, 'failure alert').to.exist;
    expect(alert![1]).to.include(html(run.failureReason!)).and.include('href="/app/credits"');
    expect(page.text).to.include(`action="/app/pipeline/runs/${run.id}/resume"`);
    expect(page.text).not.to.include(TRIGGER);
  });

  it('lists the items generated so far with their content, linked to the studio', async () => {
    const session = await owner();
    const run = await start(session.tenantId, session.userId);
    const { planId, contentId } = await cradle.database.forTenant(session.tenantId, async (trx) => {
      const [plan] = await trx('editorialPlans').insert({ tenantId: session.tenantId, month: '2031-03-01', pipelineRunId: run.id }).returning('id');
      const [content] = await trx('contents').insert({ tenantId: session.tenantId, channel: 'linkedin', title: 'Nos croissants de printemps', origin: 'pipeline' }).returning('id');
      await trx('editorialPlanItems').insert([
        { tenantId: session.tenantId, planId: plan.id, channel: 'linkedin', theme: 'Printemps', plannedDate: '2031-03-04', contentId: content.id, status: 'generated', position: 1 },
        { tenantId: session.tenantId, planId: plan.id, channel: 'blog', theme: 'Recette du mois', plannedDate: '2031-03-10', status: 'planned', position: 2 },
      ]);
      return { planId: plan.id as string, contentId: content.id as string };
    });
    await cradle.pipelineRepository.updateRun(session.tenantId, run.id, { editorialPlanId: planId, itemsPlanned: 2 });
    const fragment = await session.agent.get(`/app/pipeline/runs/${run.id}/progress`);
    expect(fragment.text).to.include(`<a href="/app/studio/${contentId}">Nos croissants de printemps</a>`);
    expect(fragment.text).to.include('Brouillon').and.include('Recette du mois').and.include('Planifié');
    expect(fragment.text).to.include('2 prévus');
  });

  describe('controls', () => {
    it('start (next month by default) → the run; a second start of that month → a flash, not an error page', async () => {
      const session = await owner();
      const { next, current } = startableMonths(cradle.clock.now(), 'Europe/Paris');
      const first = await post(session, '/app/pipeline/runs', { month: next });
      expect(first.headers.location).to.equal('/app/pipeline');
      const started = await flashAfter(session, first);
      expect(started![1]).to.equal('success');
      const [run] = await cradle.pipelineService.history(session.tenantId);
      expect(run).to.include({ month: next, triggeredBy: 'client', triggeredByUserId: session.userId, status: 'running' });

      const again = await post(session, '/app/pipeline/runs', { month: next });
      const conflict = await flashAfter(session, again);
      expect(conflict![1]).to.equal('error');
      expect(conflict![2]).to.equal(html('Le mois a déjà un cycle en cours.'));
      expect(await cradle.pipelineService.history(session.tenantId)).to.have.length(1);

      // the current month is startable too (what is left of it); any other month is refused with the form kept
      expect((await flashAfter(session, await post(session, '/app/pipeline/runs', { month: current })))![1]).to.equal('success');
      const invalid = await post(session, '/app/pipeline/runs', { month: '2019-01-01' });
      expect(invalid.status).to.equal(422);
      expect(invalid.text).to.include('Choisissez un mois valide.');
      expect(await cradle.pipelineService.history(session.tenantId)).to.have.length(2);
    });

    it('pause, pause again (409 → flash), resume over HTMX (fragment), cancel with and without confirmation, re-run', async () => {
      const session = await owner();
      const run = await start(session.tenantId, session.userId);
      expect(run.status).to.equal('running');

      const paused = await post(session, `/app/pipeline/runs/${run.id}/pause`, { from: 'index' });
      expect(paused.headers.location).to.equal('/app/pipeline');
      expect((await flashAfter(session, paused))![2]).to.include('Cycle mis en pause');
      expect((await runRow(session.tenantId, run.id))!.status).to.equal('paused');

      const again = await post(session, `/app/pipeline/runs/${run.id}/pause`);
      expect(again.headers.location).to.equal(`/app/pipeline/runs/${run.id}`);
      const conflict = await flashAfter(session, again);
      expect(conflict![1]).to.equal('error');
      expect(conflict![2]).to.equal(html("Ce cycle ne peut pas être mis en pause (il n'est pas en cours)."));

      const resumed = await session.agent.post(`/app/pipeline/runs/${run.id}/resume`).set(htmx).set('X-CSRF-Token', session.csrf).type('form').send({ from: 'run' });
      expect(resumed.status).to.equal(200);
      expect(resumed.text.trimStart()).to.match(/^<section id="run-progress"/);
      expect(resumed.text).to.include('Cycle repris.').and.include(TRIGGER);
      expect((await runRow(session.tenantId, run.id))!.status).to.equal('running');

      // without JavaScript, cancelling asks first and changes nothing
      const ask = await post(session, `/app/pipeline/runs/${run.id}/cancel`);
      expect(ask.status).to.equal(200);
      expect(ask.text).to.include('name="confirmed" value="1"');
      expect((await runRow(session.tenantId, run.id))!.status).to.equal('running');
      const cancelled = await post(session, `/app/pipeline/runs/${run.id}/cancel`, { confirmed: '1' });
      expect((await flashAfter(session, cancelled))![2]).to.equal('Cycle annulé.');
      expect((await runRow(session.tenantId, run.id))!.status).to.equal('cancelled');

      const rerun = await post(session, `/app/pipeline/runs/${run.id}/rerun`);
      expect(rerun.status).to.equal(303);
      const [latest] = await cradle.pipelineService.history(session.tenantId);
      expect(latest.runNumber).to.equal(2);
      expect(latest.rerunOfRunId).to.equal(run.id);
      expect(rerun.headers.location).to.equal(`/app/pipeline/runs/${latest.id}`);
      // a live month cannot be re-run
      expect(latest.status).to.equal('running');
      const conflictRerun = await post(session, `/app/pipeline/runs/${latest.id}/rerun`);
      expect((await flashAfter(session, conflictRerun))![2]).to.equal(html('Le mois a déjà un cycle en cours.'));
    });

    it('a viewer sees the run but no controls, and may not use them', async () => {
      const session = await owner();
      const run = await start(session.tenantId, session.userId);
      const viewer = await addTeamMember(testEnv().app, session, 'client_viewer');
      const page = await viewer.agent.get('/app/pipeline');
      expect(page.status).to.equal(200);
      expect(page.text).not.to.include(`/runs/${run.id}/pause`);
      expect(page.text).not.to.include('id="start-form"');
      expect((await post(viewer, `/app/pipeline/runs/${run.id}/pause`)).status).to.equal(403);
      expect((await post(viewer, '/app/pipeline/runs', { month: startableMonths(cradle.clock.now(), 'Europe/Paris').next })).status).to.equal(403);
    });
  });

  it("another tenant's run is not found: page, fragment and controls", async () => {
    const mine = await owner();
    const theirs = await owner();
    const run = await start(theirs.tenantId, theirs.userId);
    expect((await mine.agent.get(`/app/pipeline/runs/${run.id}`)).status).to.equal(404);
    expect((await mine.agent.get(`/app/pipeline/runs/${run.id}/progress`)).status).to.equal(404);
    expect((await post(mine, `/app/pipeline/runs/${run.id}/pause`)).status).to.equal(404);
    expect((await post(mine, `/app/pipeline/runs/${run.id}/cancel`, { confirmed: '1' })).status).to.equal(404);
    expect((await mine.agent.get('/app/pipeline/runs/not-a-uuid')).status).to.equal(404);
    expect((await runRow(theirs.tenantId, run.id))!.status).to.equal('running');
  });

  describe('settings', () => {
    const form = (targets: { channel: string; quota: number }[], overrides: Record<string, string> = {}) => {
      const body = new URLSearchParams({ enabled: 'on', runDay: '12', runHour: '6', reminderDaysBefore: '3', contentMode: 'auto', useNightlyBatch: 'on' });
      for (const t of targets) {
        body.append('channel', t.channel);
        body.set(`items.${t.channel}`, String(Math.min(2, t.quota)));
        body.set(`active.${t.channel}`, 'on');
      }
      for (const [k, v] of Object.entries(overrides)) body.set(k, v);
      return body;
    };
    const send = (session: Session, body: URLSearchParams, headers: Record<string, string> = {}) =>
      session.agent.post('/app/pipeline/settings').set(headers).type('form').send(`${body.toString()}&_csrf=${encodeURIComponent(session.csrf)}`);

    it('shows the settings with each channel of the plan and its quota', async () => {
      const session = await owner();
      const targets = await cradle.pipelineRepository.channelTargets(session.tenantId);
      const res = await session.agent.get('/app/pipeline/settings');
      expect(res.status).to.equal(200);
      for (const t of targets) expect(res.text).to.include(`name="items.${t.channel}"`).and.include(`max="${t.quota}"`);
      expect(res.text).to.include('name="maxCreditsPerRun"');
    });

    it('saves valid settings; above a quota → 422 with what was typed and a clear message', async () => {
      const session = await owner();
      const targets = await cradle.pipelineRepository.channelTargets(session.tenantId);
      const linkedin = targets.find((t) => t.channel === 'linkedin')!;
      const saved = await send(session, form(targets, { maxCreditsPerRun: '500' }));
      expect(saved.status).to.equal(303);
      expect(saved.headers.location).to.equal('/app/pipeline/settings');
      const settings = await cradle.pipelineRepository.settings(session.tenantId);
      expect(settings).to.include({ runDay: 12, runHour: 6, reminderDaysBefore: 3, contentMode: 'auto', maxCreditsPerRun: 500, enabled: true });
      expect((await cradle.pipelineRepository.channelTargets(session.tenantId)).find((t) => t.channel === 'linkedin')).to.include({ chosen: Math.min(2, linkedin.quota), active: true });

      const tooMany = linkedin.quota + 5;
      const refused = await send(session, form(targets, { [`items.linkedin`]: String(tooMany), runDay: '27' }), htmx);
      expect(refused.status).to.equal(422);
      expect(refused.text.trimStart()).to.match(/^<div id="settings-form">/);
      expect(refused.text).to.include(`value="${tooMany}"`).and.include('value="27"');
      expect(refused.text).to.include(html(`Au-delà de votre offre : ${linkedin.quota} contenus par mois au maximum.`));
      expect((await cradle.pipelineRepository.settings(session.tenantId)).runDay).to.equal(12);

      const badDay = await send(session, form(targets, { runDay: '31' }));
      expect(badDay.status).to.equal(422);
      expect(badDay.text).to.include('Choisissez un jour entre 1 et 28.').and.include('value="31"');
    });

    it('the credit cap needs billing.manage: an editor saves the rest, never the cap', async () => {
      const session = await owner();
      const editor = await addTeamMember(testEnv().app, session, 'client_editor');
      const targets = await cradle.pipelineRepository.channelTargets(session.tenantId);
      const page = await editor.agent.get('/app/pipeline/settings');
      expect(page.text).not.to.include('name="maxCreditsPerRun"');
      expect(page.text).to.include(html('(modifiable par les membres qui gèrent la facturation)'));
      expect((await send(editor, form(targets))).status).to.equal(303);
      expect((await cradle.pipelineRepository.settings(session.tenantId)).maxCreditsPerRun).to.equal(null);
      const forbidden = await send(editor, form(targets, { maxCreditsPerRun: '10' }));
      expect(forbidden.status).to.equal(403);
      expect((await cradle.pipelineRepository.settings(session.tenantId)).maxCreditsPerRun).to.equal(null);
    });
  });
});
