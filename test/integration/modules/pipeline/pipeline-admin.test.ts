import { expect } from 'chai';
import supertest from 'supertest';
import type { Cradle } from '../../../../src/container.js';
import type { PipelineRun } from '../../../../src/modules/pipeline/domain.js';
import { DEMO_OWNER, loginAs, SUPER_ADMIN, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';
import { html } from '../studio/editor-support.js';

type Session = { agent: Agent; csrf: string };

describe('Pipeline: the super admin\'s view (/admin/pipeline)', function () {
  this.timeout(60_000);
  let cradle: Cradle;
  let admin: Session;
  let adminUserId: string;

  before(async () => {
    cradle = testEnv().container.cradle;
    admin = await loginAs(testEnv().app, SUPER_ADMIN.email, SUPER_ADMIN.password);
    adminUserId = (await cradle.database.asPlatform((trx) => trx('users').whereRaw('lower(email) = ?', [SUPER_ADMIN.email]).first('id'))).id;
  });

  const tenantWithRun = async (name: string): Promise<{ tenantId: string; run: PipelineRun }> => {
    const tenant = await createTenant(cradle.database, { name });
    const run = await cradle.pipelineService.start(tenant.id, { kind: 'admin', userId: adminUserId }, { month: '2031-05-01' });
    return { tenantId: tenant.id, run };
  };
  const tileCount = (page: string, status: string) => Number(new RegExp(`<span class="tile-value" data-status="${status}">(\\d+)</span>`).exec(page)?.[1]);
  const act = (runId: string, action: string, body: Record<string, string>) =>
    admin.agent.post(`/admin/pipeline/runs/${runId}/${action}`).type('form').send({ _csrf: admin.csrf, ...body });
  const statusOf = async (tenantId: string, runId: string) => (await cradle.pipelineRepository.findRun(tenantId, runId))!.status;

  it('counts runs per state across tenants and lists the latest, failures marked with their reason', async () => {
    const healthy = await tenantWithRun(`Admin healthy ${Date.now()}`);
    const broken = await tenantWithRun(`Admin broken ${Date.now()}`);
    const reason = 'L’étape « Planning » a échoué : aucun planning n’a été produit pour ce cycle.';
    await cradle.pipelineRepository.transitionRun(broken.tenantId, broken.run.id, ['running'], 'failed', { failureCode: 'pipeline.errors.noPlan', failureReason: reason, now: new Date() });
    await cradle.database.forTenant(healthy.tenantId, (trx) => trx('pipelineRuns').where({ id: healthy.run.id }).update({ spentCredits: 42, aiCostMicros: 1_234_567 }));

    const res = await admin.agent.get('/admin/pipeline');
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/<a href="\/admin\/pipeline" aria-current="page">Cycles mensuels<\/a>/);
    const counts = await cradle.pipelineRepository.statusCounts();
    for (const status of ['running', 'failed', 'paused', 'completed']) expect(tileCount(res.text, status), status).to.equal(counts[status] ?? 0);
    expect(tileCount(res.text, 'failed')).to.be.at.least(1);

    const brokenRow = new RegExp(`<tr id="run-${broken.run.id}" class="pl-row-failed">[\\s\\S]*?</tr>`).exec(res.text)?.[0];
    expect(brokenRow, 'failed row').to.exist;
    expect(brokenRow).to.include(html(reason)).and.include('Échec').and.include(`/admin/pipeline/runs/${broken.run.id}/resume`);
    const healthyRow = new RegExp(`<tr id="run-${healthy.run.id}">[\\s\\S]*?</tr>`).exec(res.text)?.[0];
    expect(healthyRow, 'running row').to.exist;
    expect(healthyRow).to.include('En cours').and.include('Session du mois').and.include('1,2346').and.include('€');
    expect(healthyRow).to.include(`name="tenantId" value="${healthy.tenantId}"`).and.include(`/admin/pipeline/runs/${healthy.run.id}/pause`);

    const failedOnly = await admin.agent.get('/admin/pipeline?status=failed');
    expect(failedOnly.text).to.include(`id="run-${broken.run.id}"`).and.not.include(`id="run-${healthy.run.id}"`);
    expect(failedOnly.text).to.match(/<option value="failed" selected>/);
    const unknown = await admin.agent.get('/admin/pipeline?status=bogus');
    expect(unknown.status).to.equal(200);
    expect(unknown.text).to.include(`id="run-${healthy.run.id}"`);
  });

  it('pauses, resumes, retries and cancels a tenant\'s run from its row', async () => {
    const { tenantId, run } = await tenantWithRun(`Admin actions ${Date.now()}`);
    const paused = await act(run.id, 'pause', { tenantId, status: 'running' });
    expect(paused.status).to.equal(303);
    expect(paused.headers.location).to.equal(`/admin/pipeline?status=running#run-${run.id}`);
    expect(await statusOf(tenantId, run.id)).to.equal('paused');
    const page = await admin.agent.get(paused.headers.location);
    expect(page.text).to.include(html('Cycle mis en pause'));

    // a second pause is a 409: a flash, the run unchanged
    const again = await act(run.id, 'pause', { tenantId });
    expect(again.status).to.equal(303);
    expect((await admin.agent.get(again.headers.location)).text).to.include(html("Ce cycle ne peut pas être mis en pause (il n'est pas en cours)."));

    expect((await act(run.id, 'resume', { tenantId })).status).to.equal(303);
    expect(await statusOf(tenantId, run.id)).to.equal('running');

    await cradle.pipelineRepository.transitionRun(tenantId, run.id, ['running'], 'failed', { failureCode: 'pipeline.errors.unexpected', failureReason: 'boom', now: new Date() });
    expect((await act(run.id, 'resume', { tenantId })).status).to.equal(303);
    expect(await statusOf(tenantId, run.id)).to.equal('running');

    expect((await act(run.id, 'cancel', { tenantId })).status).to.equal(303);
    expect(await statusOf(tenantId, run.id)).to.equal('cancelled');
  });

  it('a run looked up in the wrong tenant is not found', async () => {
    const { tenantId, run } = await tenantWithRun(`Admin mismatch ${Date.now()}`);
    const other = await createTenant(cradle.database);
    expect((await act(run.id, 'pause', { tenantId: other.id })).status).to.equal(404);
    expect((await act(run.id, 'pause', { tenantId: 'nope' })).status).to.equal(404);
    expect(await statusOf(tenantId, run.id)).to.equal('running');
  });

  it('is for the super admin only', async () => {
    const { tenantId, run } = await tenantWithRun(`Admin guard ${Date.now()}`);
    const owner = await loginAs(testEnv().app, DEMO_OWNER.email, DEMO_OWNER.password);
    expect((await owner.agent.get('/admin/pipeline')).status).to.equal(403);
    const post = await owner.agent.post(`/admin/pipeline/runs/${run.id}/cancel`).type('form').send({ _csrf: owner.csrf, tenantId });
    expect(post.status).to.equal(403);
    expect(await statusOf(tenantId, run.id)).to.equal('running');
    const anonymous = await supertest(testEnv().app).get('/admin/pipeline');
    expect(anonymous.status).to.equal(303);
    expect(anonymous.headers.location).to.match(/^\/login\?next=/);
  });
});
