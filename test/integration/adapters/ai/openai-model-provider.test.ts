import path from 'node:path';
import fs from 'node:fs';
import { expect } from 'chai';
import { OpenAiModelProvider } from '../../../../src/adapters/ai/openai-model-provider.js';
import { ProviderError, type CompletionRequest, type ProviderErrorKind, type StreamEvent } from '../../../../src/modules/ai/ports.js';
import { valueForSchema } from '../../../support/ai-emulator/content.js';
import { startAiEmulator, type AiEmulator } from '../../../support/ai-emulator/index.js';
import { INVALID_JSON_CONTENT } from '../../../support/ai-emulator/openai-compatible.js';
import { CORPUS_DIR } from '../../../support/corpus.js';

const CORPUS = path.join(CORPUS_DIR, 'audio');
const MODEL = 'gpt-4.1-mini';

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

describe('OpenAiModelProvider (official SDK against the emulator)', function () {
  let emulator: AiEmulator;
  let provider: OpenAiModelProvider;

  before(async () => {
    emulator = await startAiEmulator();
    provider = new OpenAiModelProvider({ apiKey: 'sk-test', baseUrl: `${emulator.baseUrl('openai')}/v1` });
  });
  afterEach(() => emulator.reset());
  after(() => emulator.stop());

  describe('chat completions', () => {
    it('completes with usage, the system prompt being stable + variable', async () => {
      const result = await provider.complete(completionRequest());

      expect(result.text).to.include('pain aux figues');
      expect(result.model).to.equal(MODEL);
      expect(result.finishReason).to.equal('stop');
      expect(result.usage.inputTokens).to.be.greaterThan(0);
      expect(result.usage.outputTokens).to.be.greaterThan(0);
      expect(result.usage).to.include({ cachedInputTokens: 0, cacheWriteTokens: 0 });
      expect(result.providerRequestId).to.match(/^req_/);

      const [sent] = emulator.requestsTo('openai');
      const body = sent!.body as { messages: { role: string; content: string }[]; max_completion_tokens: number; prompt_cache_key: string };
      expect(sent!.headers.authorization).to.equal('Bearer sk-test');
      expect(body.messages[0]).to.deep.equal({ role: 'system', content: 'Tu es l’assistant marketing de la boulangerie Dupont.\n\nCanal : Instagram.' });
      expect(body.max_completion_tokens).to.equal(200);
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
      expect(result.text).to.have.length(20);
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
      expect(done.result.usage.outputTokens).to.be.greaterThan(0);
      expect(done.result.finishReason).to.equal('stop');
      expect(done.result.model).to.equal(MODEL);
      expect((emulator.requestsTo('openai')[0]!.body as { stream_options: unknown }).stream_options).to.deep.equal({ include_usage: true });
    });

    it('asks for structured output with a (non-strict) JSON schema', async () => {
      const schema = { type: 'object', properties: { title: { type: 'string' }, hashtags: { type: 'array', items: { type: 'string' }, minItems: 2 } }, required: ['title', 'hashtags'] };
      const result = await provider.complete(completionRequest({ json: { name: 'instagram.post', schema } }));

      expect(JSON.parse(result.text)).to.deep.equal(valueForSchema(schema));
      const body = emulator.requestsTo('openai')[0]!.body as { response_format: unknown };
      expect(body.response_format).to.deep.equal({ type: 'json_schema', json_schema: { name: 'instagram_post', schema, strict: false } });
    });

    it('passes invalid structured content through for the gateway to repair', async () => {
      emulator.injectFault({ provider: 'openai' }, { invalidJsonContent: true, times: 1 });
      const result = await provider.complete(completionRequest({ json: { name: 'post', schema: { type: 'object', properties: { title: { type: 'string' } } } } }));
      expect(result.text).to.equal(INVALID_JSON_CONTENT);
    });
  });

  describe('transcription', () => {
    const transcript = fs.readFileSync(`${CORPUS}/jfk.transcript.txt`, 'utf8').trim();

    it('transcribes an mp3 with whisper (verbose_json: text and duration)', async () => {
      const audio = fs.readFileSync(`${CORPUS}/jfk.mp3`);
      const result = await provider.transcribe({ model: 'whisper-1', audio, filename: 'jfk.mp3', mimeType: 'audio/mpeg', language: 'en', timeoutMs: 5_000 });

      expect(result.text).to.equal(transcript);
      expect(result.durationSeconds).to.be.within(8, 14);
      const raw = emulator.requestsTo('openai')[0]!.raw.toString('latin1');
      expect(raw).to.include('filename="jfk.mp3"').and.include('verbose_json').and.include('whisper-1');
    });

    it('asks gpt-4o transcribers for json and reads the duration from the usage', async () => {
      const audio = fs.readFileSync(`${CORPUS}/jfk.wav`);
      const result = await provider.transcribe({ model: 'gpt-4o-mini-transcribe', audio, filename: 'jfk.wav', mimeType: 'audio/wav', timeoutMs: 5_000 });

      expect(result.text).to.equal(transcript);
      expect(result.durationSeconds).to.equal(11);
      expect(emulator.requestsTo('openai')[0]!.raw.toString('latin1')).to.not.include('verbose_json');
    });

    it('refuses an empty file as a bad request', async () => {
      const error = await providerError(
        provider.transcribe({ model: 'whisper-1', audio: Buffer.alloc(0), filename: 'empty.mp3', mimeType: 'audio/mpeg', timeoutMs: 5_000 }),
      );
      expect(error.kind).to.equal('bad_request');
      expect(error.options.status).to.equal(400);
      expect(error.fallsBack).to.equal(false);
    });
  });

  describe('embeddings and moderation', () => {
    it('embeds several inputs, deterministically', async () => {
      const result = await provider.embed({ model: 'text-embedding-3-small', inputs: ['pain aux figues', 'croissant', 'pain aux figues'], timeoutMs: 5_000 });

      expect(result.vectors).to.have.length(3);
      expect(result.vectors[0]).to.have.length(8);
      expect(result.vectors[0]).to.deep.equal(result.vectors[2]);
      expect(result.vectors[0]).to.not.deep.equal(result.vectors[1]);
      expect(Math.hypot(...result.vectors[0]!)).to.be.closeTo(1, 1e-5);
      expect(result.usage.inputTokens).to.be.greaterThan(0);
    });

    it('flags violent content with its categories', async () => {
      const flagged = await provider.moderate({ model: 'omni-moderation-latest', input: 'Un texte VIOLENCE_TEST.', timeoutMs: 5_000 });
      const clean = await provider.moderate({ model: 'omni-moderation-latest', input: 'Des croissants chauds.', timeoutMs: 5_000 });

      expect(flagged.flagged).to.equal(true);
      expect(flagged.categories).to.include({ violence: true, hate: false });
      expect(clean.flagged).to.equal(false);
      expect(Object.values(clean.categories).some(Boolean)).to.equal(false);
    });
  });

  describe('Batch API', () => {
    it('uploads a JSONL, polls until completed and maps outputs and errors', async () => {
      const items = [
        { customId: 'post-1', request: completionRequest({ messages: [{ role: 'user', content: 'Annonce la galette des rois.' }] }) },
        { customId: 'post-2', request: completionRequest({ messages: [{ role: 'user', content: 'FAIL_IN_BATCH : refusé.' }] }) },
        { customId: 'post-3', request: completionRequest({ messages: [{ role: 'user', content: 'Annonce les horaires d’été.' }] }) },
      ];
      const { externalId } = await provider.submitBatch('gpt-4.1-nano', items);

      const upload = emulator.requestsTo('openai').find((r) => r.path === '/v1/files')!;
      const lines = upload.raw.toString('utf8').split(/\r?\n/).filter((line) => line.startsWith('{"custom_id"')).map((line) => JSON.parse(line));
      expect(lines.map((line) => line.custom_id)).to.deep.equal(['post-1', 'post-2', 'post-3']);
      expect(lines[0]).to.deep.include({ method: 'POST', url: '/v1/chat/completions' });
      expect(lines[0].body.model).to.equal('gpt-4.1-nano');
      expect(upload.raw.toString('utf8')).to.include('name="purpose"\r\n\r\nbatch');

      expect(await provider.pollBatch(externalId)).to.deep.equal({ status: 'in_progress' });
      const poll = await provider.pollBatch(externalId);

      expect(poll.status).to.equal('completed');
      const byId = new Map(poll.outcomes!.map((outcome) => [outcome.customId, outcome]));
      expect(byId.size).to.equal(3);
      expect(byId.get('post-1')!.result!.text).to.include('galette des rois');
      expect(byId.get('post-1')!.result!.model).to.equal('gpt-4.1-nano');
      expect(byId.get('post-3')!.result!.usage.outputTokens).to.be.greaterThan(0);
      expect(byId.get('post-2')!.error).to.deep.include({ code: 'bad_request' });
      expect(byId.get('post-2')!.result).to.equal(undefined);
    });
  });

  describe('faults', () => {
    async function failureOf(fault: Parameters<AiEmulator['injectFault']>[1], request = completionRequest()): Promise<ProviderError> {
      emulator.injectFault({ provider: 'openai', path: /chat\/completions/ }, fault);
      return providerError(provider.complete(request));
    }

    it('429 with retry-after → rate_limited with retryAfterMs, and the SDK does not retry', async () => {
      const error = await failureOf({ status: 429, retryAfterSeconds: 7 });
      expect(error).to.deep.include({ kind: 'rate_limited' });
      expect(error.options).to.include({ status: 429, retryAfterMs: 7000 });
      expect(error.fallsBack).to.equal(true);
      expect(emulator.requestsTo('openai')).to.have.length(1);
    });

    const statuses: [number, ProviderErrorKind][] = [
      [500, 'server'],
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
        expect(emulator.requestsTo('openai')).to.have.length(1);
      });
    }

    it('a hang beyond timeoutMs → timeout', async () => {
      const started = Date.now();
      const error = await failureOf({ hang: true }, completionRequest({ timeoutMs: 150 }));
      expect(error.kind).to.equal('timeout');
      expect(Date.now() - started).to.be.lessThan(2_000);
    });

    it('the caller aborting → timeout', async () => {
      emulator.injectFault({ provider: 'openai' }, { hang: true });
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
      emulator.injectFault({ provider: 'openai' }, { malformedBody: true });
      const error = await providerError(collect(provider.stream(completionRequest())));
      expect(error.kind).to.equal('malformed');
    });

    it('a fault on a stream surfaces from the iterator', async () => {
      emulator.injectFault({ provider: 'openai' }, { status: 429, retryAfterSeconds: 2 });
      const error = await providerError(collect(provider.stream(completionRequest())));
      expect(error.kind).to.equal('rate_limited');
      expect(error.options.retryAfterMs).to.equal(2000);
    });

    it('a connection refused → network', async () => {
      const unreachable = new OpenAiModelProvider({ apiKey: 'sk-test', baseUrl: 'http://127.0.0.1:9/v1' });
      const error = await providerError(unreachable.complete(completionRequest()));
      expect(error.kind).to.equal('network');
    });

    it('no key → auth, without calling out', async () => {
      const keyless = new OpenAiModelProvider({ apiKey: null, baseUrl: `${emulator.baseUrl('openai')}/v1` });
      const error = await providerError(keyless.complete(completionRequest()));
      expect(error.kind).to.equal('auth');
      expect(emulator.requestsTo('openai')).to.have.length(0);
    });
  });
});
