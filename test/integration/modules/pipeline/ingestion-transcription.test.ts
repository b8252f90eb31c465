import type { AwilixContainer } from 'awilix';
import { expect } from 'chai';
import type { Express } from 'express';
import { createApp } from '../../../../src/app.js';
import { EMULATED_TRANSCRIPT } from '../../../support/ai-emulator/audio.js';
import { providerEnv, startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { loginAs } from '../../../support/http.js';
import { corpus, createMember, executeStep, html, newRun, newTenant, sessionContainer, stepOf, type Wired } from './session-support.js';

describe('pipeline/session audio and its transcription (AI emulator)', function () {
  this.timeout(120_000);
  let emulator: AiEmulator;
  let container: AwilixContainer<Wired>;
  let c: Wired;
  let app: Express;

  before(async () => {
    emulator = await startAiEmulator();
    container = sessionContainer({ configOverrides: providerEnv(emulator) });
    c = container.cradle;
    app = createApp(c);
  });
  after(async () => {
    await c?.onboardingProcessor.idle();
    await container?.dispose();
    await emulator?.stop();
  });

  it('transcribes an uploaded recording right away and lets the client correct the transcript', async () => {
    const tenantId = await newTenant(c);
    const member = await createMember(c, tenantId, 'client_owner');
    const { agent, csrf } = await loginAs(app, member.email, member.password);
    const page = await agent.get('/app/pipeline/session');
    expect(page.status).to.equal(200);
    const session = (await c.database.forTenant(tenantId, (trx) => trx('monthlySessions').where({ tenantId }).first('id', 'month')))!;

    const notAudio = await agent.post(`/app/pipeline/session/${session.id}/audio`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').attach('file', corpus('pdfs/minimal-hello-world.pdf'), 'message.mp3');
    expect(notAudio.status).to.equal(422);
    expect(notAudio.text).to.include(html(c.i18n.getFixedT('fr')('session.errors.notAudio')));

    const res = await agent.post(`/app/pipeline/session/${session.id}/audio`).set('X-CSRF-Token', csrf).set('HX-Request', 'true').attach('file', corpus('audio/jfk.mp3'), 'message-juin.mp3');
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/^<section id="session-audio"/);
    expect(res.text).to.include('message-juin.mp3');
    expect(res.text).to.include(html(EMULATED_TRANSCRIPT));
    const row = (await c.monthlySessionRepository.get(tenantId, session.id))!;
    expect(row.audioTranscript).to.equal(EMULATED_TRANSCRIPT);
    expect(row.audioInputId).to.be.a('string');
    const call = await c.database.forTenant(tenantId, (trx) => trx('aiCalls').where({ id: row.transcriptAiCallId }).first());
    expect(call).to.include({ task: 'transcription', status: 'ok' });

    const corrected = await agent.post(`/app/pipeline/session/${session.id}`).type('form').send({ _csrf: csrf, textInput: '', audioTranscript: 'Demandez ce que vous pouvez faire pour votre quartier.' });
    expect(corrected.status).to.equal(303);
    expect((await c.monthlySessionRepository.get(tenantId, session.id))!.audioTranscript).to.equal('Demandez ce que vous pouvez faire pour votre quartier.');
  });

  it('transcribes in the ingestion step an audio left without transcript, once, and cites it in the brief', async () => {
    const tenantId = await newTenant(c);
    const startedAt = new Date('2031-04-25T08:00:00Z');
    const session = await c.monthlySessionRepository.ensure(tenantId, '2031-05-01', 'fr');
    // a recording stored but never transcribed (the upload's transcription failed, or the process stopped)
    const holder = await c.monthlySessionRepository.audioHolder(tenantId, session.id, (await createMember(c, tenantId, 'client_owner')).userId, 'fr');
    const data = corpus('audio/jfk.mp3');
    const storageKey = await c.onboardingFileStore.put(tenantId, data, { kind: 'audio', filename: 'mai.mp3', mimeType: 'audio/mpeg' });
    const input = await c.onboardingRepository.addInput(tenantId, holder, { kind: 'audio', originalFilename: 'mai.mp3', mimeType: 'audio/mpeg', sizeBytes: data.length, storageKey });
    await c.monthlySessionRepository.update(tenantId, session.id, { audioInputId: input.id });

    const run = await newRun(c, tenantId, '2031-05-01', startedAt);
    const sessionStep = await executeStep(c, stepOf(c, 'session'), tenantId, run.id, startedAt);
    expect((sessionStep.outcome as { output: Record<string, unknown> }).output).to.deep.include({ hasAudio: true });
    const first = await executeStep(c, stepOf(c, 'ingestion'), tenantId, run.id, startedAt);
    expect((first.outcome as { output: Record<string, unknown> }).output).to.deep.include({ transcribed: true, audio: 'transcribed' });

    const row = (await c.monthlySessionRepository.get(tenantId, session.id))!;
    expect(row.audioTranscript).to.equal(EMULATED_TRANSCRIPT);
    const calls = await c.database.forTenant(tenantId, (trx) => trx('aiCalls').where({ tenantId, subjectType: 'pipeline_run', subjectId: run.id, status: 'ok' }).orderBy('createdAt'));
    expect(calls.map((call) => call.task).sort()).to.deep.equal(['summarization', 'transcription']);
    expect(row.transcriptAiCallId).to.equal(calls.find((call) => call.task === 'transcription').id);
    const brief = (await c.monthlySessionRepository.brief(tenantId, run.id))!;
    expect(brief.sources.map((s) => [s.type, s.sourceId])).to.deep.equal([['session_audio', input.id]]);

    const charged = calls.reduce((n, call) => n + call.creditsCharged, 0);
    expect(first.progress.reduce((n, p) => n + (p.costCredits ?? 0), 0)).to.equal(charged);
    expect((await c.pipelineRepository.findRun(tenantId, run.id))!.spentCredits).to.equal(charged);

    // again: nothing transcribed or summarised twice
    await executeStep(c, stepOf(c, 'ingestion'), tenantId, run.id, startedAt);
    expect(await c.database.forTenant(tenantId, (trx) => trx('aiCalls').where({ tenantId, subjectType: 'pipeline_run', subjectId: run.id }))).to.have.length(calls.length);
    expect((await c.pipelineRepository.findRun(tenantId, run.id))!.spentCredits).to.equal(charged);
  });
});
