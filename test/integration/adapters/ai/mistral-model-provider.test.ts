import path from 'node:path';
import fs from 'node:fs';
import { expect } from 'chai';
import { MistralModelProvider } from '../../../../src/adapters/ai/mistral-model-provider.js';
import { ProviderError, type CompletionRequest, type ProviderErrorKind, type StreamEvent } from '../../../../src/modules/ai/ports.js';
import { valueForSchema } from '../../../support/ai-emulator/content.js';
import { startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { INVALID_JSON_CONTENT } from '../../../support/ai-emulator/openai-compatible.js';
import { CORPUS_DIR } from '../../../support/corpus.js';

const CORPUS = path.join(CORPUS_DIR, 'audio');
const MODEL = 'mistral-small-latest';

function completionRequest(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    model: MODEL,
    system: { stable: 'Tu es l’assistant marketing de la boulangerie Dupont.', variable: 'Canal : Instagram.' },
    messages: [{ role: 'user', content: 'Annonce le retour du pain aux figues ce samedi.' }],
    maxTokens: 200,
    timeoutMs: 5_000,
    ...overrides,
  };
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ProviderError);
    return error as ProviderError;
  }
  expect.fail('expected a ProviderError');
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('MistralModelProvider (official SDK against the emulator)', function () {
  let emulator: AiEmulator;
  let provider: MistralModelProvider;

  before(async () => {
    emulator = await startAiEmulator();
    provider = new MistralModelProvider({ apiKey: 'mistral-test', baseUrl: emulator.baseUrl('mistral') });
  });
  afterEach(() => emulator.reset());
  after(() => emulator.stop());

  describe('chat', () => {
    it('completes with usage, the system prompt being stable + variable', async () => {
      const result = await provider.complete(completionRequest({ temperature: 0.3 }));

      expect(result.text).to.include('pain aux figues');
      expect(result.model).to.equal(MODEL);
      expect(result.finishReason).to.equal('stop');
      expect(result.usage.inputTokens).to.be.greaterThan(0);
      expect(result.usage.outputTokens).to.be.greaterThan(0);
      expect(result.usage).to.include({ cachedInputTokens: 0, cacheWriteTokens: 0 });
      expect(result.providerRequestId).to.match(/^cmpl-/);

      const [sent] = emulator.requestsTo('mistral');
      const body = sent!.body as { messages: { role: string; content: string }[]; max_tokens: number; temperature: number; prompt_cache_key: string };
      expect(sent!.path).to.equal('/v1/chat/completions');
      expect(sent!.headers.authorization).to.equal('Bearer mistral-test');
      expect(body.messages[0]).to.deep.equal({ role: 'system', content: 'Tu es l’assistant marketing de la boulangerie Dupont.\n\nCanal : Instagram.' });
      expect(body).to.include({ max_tokens: 200, temperature: 0.3 });
      expect(body.prompt_cache_key).to.match(/^cadence-[0-9a-f]{32}$/);
    });

    it('reports prefix cache reads apart from the full-price input', async () => {
      const request = completionRequest({ system: { stable: 'Charte de marque. '.repeat(400), variable: 'Canal : Facebook.' } });
      const first = await provider.complete(request);
      const second = await provider.complete(request);

      expect(first.usage.cachedInputTokens).to.equal(0);
      expect(second.usage.cachedInputTokens).to.be.greaterThan(1000);
      expect(second.usage.inputTokens + second.usage.cachedInputTokens).to.equal(first.usage.inputTokens);
    });

    it('reports a cut answer as length', async () => {
      const result = await provider.complete(completionRequest({ maxTokens: 5 }));
      expect(result.finishReason).to.equal('length');
    });

    it('streams deltas whose concatenation is the final text, with usage', async () => {
      const events = await collect(provider.stream(completionRequest()));

      const deltas = events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text);
      const done = events.at(-1);
      expect(deltas.length).to.be.greaterThan(2);
      expect(done?.type).to.equal('done');
      if (done?.type !== 'done') return;
      expect(deltas.join('')).to.equal(done.result.text);
      expect(done.result.text).to.include('pain aux figues');
      expect(done.result.usage.inputTokens).to.be.greaterThan(0);
      expect(done.result.usage.outputTokens).to.be.greaterThan(0);
      expect(done.result.finishReason).to.equal('stop');
      expect(done.result.model).to.equal(MODEL);
      expect((emulator.requestsTo('mistral')[0]!.body as { stream: boolean }).stream).to.equal(true);
    });

    it('asks for structured output with a JSON schema', async () => {
      const schema = { type: 'object', properties: { title: { type: 'string' }, hashtags: { type: 'array', items: { type: 'string' }, minItems: 2 } }, required: ['title', 'hashtags'] };
      const result = await provider.complete(completionRequest({ json: { name: 'instagram_post', schema } }));

      expect(JSON.parse(result.text)).to.deep.equal(valueForSchema(schema));
      const body = emulator.requestsTo('mistral')[0]!.body as { response_format: unknown };
      expect(body.response_format).to.deep.equal({ type: 'json_schema', json_schema: { name: 'instagram_post', schema, strict: false } });
    });

    it('passes invalid structured content through for the gateway to repair', async () => {
      emulator.injectFault({ provider: 'mistral' }, { invalidJsonContent: true, times: 1 });
      const result = await provider.complete(completionRequest({ json: { name: 'post', schema: { type: 'object', properties: { title: { type: 'string' } } } } }));
      expect(result.text).to.equal(INVALID_JSON_CONTENT);
    });
  });

  describe('transcription (Voxtral)', () => {
    const transcript = fs.readFileSync(`${CORPUS}/jfk.transcript.txt`, 'utf8').trim();

    it('transcribes an mp3: text, and the duration from the segments', async () => {
      const audio = fs.readFileSync(`${CORPUS}/jfk.mp3`);
      const result = await provider.transcribe({ model: 'voxtral-mini-latest', audio, filename: 'jfk.mp3', mimeType: 'audio/mpeg', language: 'en', timeoutMs: 5_000 });

      expect(result.text).to.equal(transcript);
      expect(result.durationSeconds).to.be.within(8, 14);
      const [sent] = emulator.requestsTo('mistral');
      expect(sent!.path).to.equal('/v1/audio/transcriptions');
      expect(sent!.model).to.equal('voxtral-mini-latest');
      expect(sent!.raw.toString('latin1')).to.include('filename="jfk.mp3"').and.include('name="language"\r\n\r\nen');
    });

    it('refuses an empty file as a bad request', async () => {
      const error = await providerError(
        provider.transcribe({ model: 'voxtral-mini-latest', audio: Buffer.alloc(0), filename: 'empty.mp3', mimeType: 'audio/mpeg', timeoutMs: 5_000 }),
      );
      expect(error.kind).to.equal('bad_request');
      expect(error.options.status).to.equal(400);
      expect(error.fallsBack).to.equal(false);
    });
  });

  describe('embeddings and moderation', () => {
    it('embeds several inputs, deterministically', async () => {
      const result = await provider.embed({ model: 'mistral-embed', inputs: ['pain aux figues', 'croissant', 'pain aux figues'], timeoutMs: 5_000 });

      expect(result.vectors).to.have.length(3);
      expect(result.vectors[0]).to.have.length(8);
      expect(result.vectors[0]).to.deep.equal(result.vectors[2]);
      expect(result.vectors[0]).to.not.deep.equal(result.vectors[1]);
      expect(result.usage.inputTokens).to.be.greaterThan(0);
      expect((emulator.requestsTo('mistral')[0]!.body as { input: string[] }).input).to.have.length(3);
    });

    it('flags violent content: flagged when any category is', async () => {
      const flagged = await provider.moderate({ model: 'mistral-moderation-latest', input: 'Un texte VIOLENCE_TEST.', timeoutMs: 5_000 });
      const clean = await provider.moderate({ model: 'mistral-moderation-latest', input: 'Des croissants chauds.', timeoutMs: 5_000 });

      expect(flagged.flagged).to.equal(true);
      expect(flagged.categories).to.include({ violence_and_threats: true, hate_and_discrimination: false });
      expect(clean.flagged).to.equal(false);
    });
  });

  describe('batch jobs', () => {
    it('uploads a JSONL, polls until done and maps outputs and errors', async () => {
      const items = [
        { customId: 'post-1', request: completionRequest({ messages: [{ role: 'user', content: 'Annonce la galette des rois.' }] }) },
        { customId: 'post-2', request: completionRequest({ messages: [{ role: 'user', content: 'FAIL_IN_BATCH : refusé.' }] }) },
        { customId: 'post-3', request: completionRequest({ messages: [{ role: 'user', content: 'Annonce les horaires d’été.' }] }) },
      ];
      const { externalId } = await provider.submitBatch('mistral-small-latest', items);

      const upload = emulator.requestsTo('mistral').find((r) => r.path === '/v1/files')!;
      const lines = upload.raw.toString('utf8').split(/\r?\n/).filter((line) => line.startsWith('{"custom_id"')).map((line) => JSON.parse(line));
      expect(lines.map((line) => line.custom_id)).to.deep.equal(['post-1', 'post-2', 'post-3']);
      expect(lines[0].body).to.include({ max_tokens: 200 }).and.not.have.property('model');
      expect(lines[0].body.messages[0].role).to.equal('system');
      const create = emulator.requestsTo('mistral').find((r) => r.path === '/v1/batch/jobs')!;
      expect(create.body).to.deep.include({ endpoint: '/v1/chat/completions', model: 'mistral-small-latest' });

      expect(await provider.pollBatch(externalId)).to.deep.equal({ status: 'in_progress' });
      const poll = await provider.pollBatch(externalId);

      expect(poll.status).to.equal('completed');
      const byId = new Map(poll.outcomes!.map((outcome) => [outcome.customId, outcome]));
      expect(byId.size).to.equal(3);
      expect(byId.get('post-1')!.result!.text).to.include('galette des rois');
      expect(byId.get('post-1')!.result!.model).to.equal('mistral-small-latest');
      expect(byId.get('post-3')!.result!.usage.outputTokens).to.be.greaterThan(0);
      expect(byId.get('post-2')!.error).to.deep.include({ code: 'bad_request' });
      expect(byId.get('post-2')!.error!.message).to.include('FAIL_IN_BATCH');
    });
  });

  describe('faults', () => {
    async function failureOf(fault: Parameters<AiEmulator['injectFault']>[1], request = completionRequest()): Promise<ProviderError> {
      emulator.injectFault({ provider: 'mistral', path: /chat\/completions/ }, fault);
      return providerError(provider.complete(request));
    }

    it('429 with retry-after → rate_limited with retryAfterMs, and the SDK does not retry', async () => {
      const error = await failureOf({ status: 429, retryAfterSeconds: 7 });
      expect(error).to.deep.include({ kind: 'rate_limited' });
      expect(error.options).to.include({ status: 429, retryAfterMs: 7000 });
      expect(error.fallsBack).to.equal(true);
      expect(emulator.requestsTo('mistral')).to.have.length(1);
    });

    const statuses: [number, ProviderErrorKind][] = [
      [500, 'server'],
      [502, 'server'],
      [503, 'overloaded'],
      [401, 'auth'],
      [403, 'auth'],
      [400, 'bad_request'],
      [404, 'bad_request'],
      [422, 'bad_request'],
    ];
    for (const [status, kind] of statuses) {
      it(`${status} → ${kind}`, async () => {
        const error = await failureOf({ status });
        expect(error.kind).to.equal(kind);
        expect(error.options.status).to.equal(status);
        expect(emulator.requestsTo('mistral')).to.have.length(1);
      });
    }

    it('a hang beyond timeoutMs → timeout', async () => {
      const started = Date.now();
      const error = await failureOf({ hang: true }, completionRequest({ timeoutMs: 150 }));
      expect(error.kind).to.equal('timeout');
      expect(Date.now() - started).to.be.lessThan(2_000);
    });

    it('a hang beyond timeoutMs → timeout, even when the caller passes its own signal', async () => {
      const error = await failureOf({ hang: true }, completionRequest({ timeoutMs: 150, signal: new AbortController().signal }));
      expect(error.kind).to.equal('timeout');
    });

    it('the caller aborting → timeout', async () => {
      emulator.injectFault({ provider: 'mistral' }, { hang: true });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const error = await providerError(provider.complete(completionRequest({ signal: controller.signal })));
      expect(error.kind).to.equal('timeout');
    });

    it('a malformed body → malformed', async () => {
      const error = await failureOf({ malformedBody: true });
      expect(error.kind).to.equal('malformed');
    });

    it('a stream answered with a non-SSE body → malformed', async () => {
      emulator.injectFault({ provider: 'mistral' }, { malformedBody: true });
      const error = await providerError(collect(provider.stream(completionRequest())));
      expect(error.kind).to.equal('malformed');
    });

    it('a fault on a stream surfaces from the iterator', async () => {
      emulator.injectFault({ provider: 'mistral' }, { status: 429, retryAfterSeconds: 2 });
      const error = await providerError(collect(provider.stream(completionRequest())));
      expect(error.kind).to.equal('rate_limited');
      expect(error.options.retryAfterMs).to.equal(2000);
    });

    it('a fault on another endpoint maps the same way (embeddings 503)', async () => {
      emulator.injectFault({ provider: 'mistral', path: /embeddings/ }, { status: 503, retryAfterSeconds: 1 });
      const error = await providerError(provider.embed({ model: 'mistral-embed', inputs: ['x'], timeoutMs: 5_000 }));
      expect(error.kind).to.equal('overloaded');
      expect(error.options.retryAfterMs).to.equal(1000);
    });

    it('a connection refused → network', async () => {
      const unreachable = new MistralModelProvider({ apiKey: 'mistral-test', baseUrl: 'http://127.0.0.1:9' });
      const error = await providerError(unreachable.complete(completionRequest()));
      expect(error.kind).to.equal('network');
    });

    it('no key → auth, without calling out', async () => {
      const keyless = new MistralModelProvider({ apiKey: null, baseUrl: emulator.baseUrl('mistral') });
      const error = await providerError(keyless.complete(completionRequest()));
      expect(error.kind).to.equal('auth');
      expect(emulator.requestsTo('mistral')).to.have.length(0);
    });
  });
});
