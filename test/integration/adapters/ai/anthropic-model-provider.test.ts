import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { AnthropicModelProvider } from '../../../../src/adapters/ai/anthropic-model-provider.js';
import { ProviderError, type CompletionRequest, type ProviderErrorKind, type StreamEvent } from '../../../../src/modules/ai/ports.js';
import { FAIL_IN_BATCH } from '../../../support/ai-emulator/anthropic.js';
import { valueForSchema } from '../../../support/ai-emulator/content.js';
import { startAiEmulator, type AiEmulator, type RecordedRequest } from '../../../support/ai-emulator/index.js';

const MODEL = 'claude-haiku-4-5';

const postSchema = {
  type: 'object',
  properties: { title: { type: 'string' }, hashtags: { type: 'array', items: { type: 'string' }, minItems: 2 } },
  required: ['title', 'hashtags'],
};

function completionRequest(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    model: MODEL,
    // A fresh stable prefix per request, so the emulator's cache state of one test never leaks into another.
    system: { stable: `Plateforme Cadence. ADN de marque ${randomUUID()}.`, variable: 'Tâche : rédiger un post.' },
    messages: [{ role: 'user', content: 'Un post sur la boulangerie du quartier' }],
    maxTokens: 400,
    timeoutMs: 5_000,
    ...overrides,
  };
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

async function providerErrorOf(work: Promise<unknown>): Promise<ProviderError> {
  try {
    await work;
  } catch (error) {
    expect(error).to.be.instanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError, the call succeeded');
}

describe('AnthropicModelProvider (official SDK against the emulator)', () => {
  let emulator: AiEmulator;
  let provider: AnthropicModelProvider;

  before(async () => {
    emulator = await startAiEmulator();
    provider = new AnthropicModelProvider({ apiKey: 'sk-ant-test', baseUrl: emulator.baseUrl('anthropic') });
  });

  after(async () => {
    await emulator.stop();
  });

  afterEach(() => emulator.reset());

  const lastRequest = (): RecordedRequest => emulator.requestsTo('anthropic').at(-1)!;

  describe('complete', () => {
    it('sends the stable system part as a cacheable block, then reads it from the cache on the next call', async () => {
      const request = completionRequest();
      const first = await provider.complete(request);
      const second = await provider.complete(request);

      const body = lastRequest().body as { system: unknown[]; max_tokens: number; model: string };
      expect(body.system).to.deep.equal([
        { type: 'text', text: request.system.stable, cache_control: { type: 'ephemeral' } },
        { type: 'text', text: request.system.variable },
      ]);
      expect(body).to.include({ model: MODEL, max_tokens: 400 });
      // SDK 1.x sends the key as a bearer token; older versions used x-api-key.
      const { authorization, 'x-api-key': apiKey } = lastRequest().headers;
      expect(String(apiKey ?? authorization)).to.contain('sk-ant-test');
      expect(lastRequest().headers['anthropic-version']).to.be.a('string');

      expect(first.usage.cacheWriteTokens).to.be.greaterThan(0);
      expect(first.usage.cachedInputTokens).to.equal(0);
      expect(second.usage.cachedInputTokens).to.equal(first.usage.cacheWriteTokens);
      expect(second.usage.cacheWriteTokens).to.equal(0);
      expect(second.usage.inputTokens).to.equal(first.usage.inputTokens);
      expect(second.usage.outputTokens).to.be.greaterThan(0);
    });

    it('returns the text, the model, the finish reason and the request id', async () => {
      const result = await provider.complete(completionRequest());

      expect(result.text).to.contain('Un post sur la boulangerie du quartier');
      expect(result.model).to.equal(MODEL);
      expect(result.finishReason).to.equal('stop');
      expect(result.providerRequestId).to.match(/^req_emu_/);
    });

    it('reports a cut answer as length', async () => {
      const result = await provider.complete(completionRequest({ maxTokens: 5 }));
      expect(result.finishReason).to.equal('length');
    });

    it('asks for structured output with a forced tool call and returns its input as JSON', async () => {
      const result = await provider.complete(completionRequest({ json: { name: 'social_post', schema: postSchema } }));

      expect(JSON.parse(result.text)).to.deep.equal(valueForSchema(postSchema));
      expect(result.finishReason).to.equal('stop');
      const body = lastRequest().body as { tools: unknown[]; tool_choice: unknown };
      expect(body.tools).to.deep.equal([{ name: 'social_post', input_schema: postSchema }]);
      expect(body.tool_choice).to.deep.equal({ type: 'tool', name: 'social_post' });
    });

    it('passes through an answer that ignored the tool, for the gateway to repair', async () => {
      emulator.injectFault({ provider: 'anthropic' }, { invalidJsonContent: true, times: 1 });
      const result = await provider.complete(completionRequest({ json: { name: 'social_post', schema: postSchema } }));
      expect(() => JSON.parse(result.text)).to.throw(SyntaxError);
    });
  });

  describe('stream', () => {
    it('yields text deltas that reassemble into the final text, then the usage', async () => {
      const request = completionRequest();
      const events = await collect(provider.stream(request));

      const deltas = events.filter((event) => event.type === 'delta').map((event) => event.text);
      const done = events.at(-1);
      expect(deltas.length).to.be.greaterThan(1);
      if (done?.type !== 'done') throw new Error('the stream did not end with done');
      expect(deltas.join('')).to.equal(done.result.text);
      expect(done.result.text).to.contain('boulangerie');
      expect(done.result.finishReason).to.equal('stop');
      expect(done.result.usage.cacheWriteTokens).to.be.greaterThan(0);
      expect(done.result.usage.outputTokens).to.be.greaterThan(1);
      expect(done.result.providerRequestId).to.match(/^req_emu_/);
      expect(lastRequest().body).to.include({ stream: true });
    });

    it('streams structured output as the tool input', async () => {
      const events = await collect(provider.stream(completionRequest({ json: { name: 'social_post', schema: postSchema } })));
      const done = events.at(-1);
      if (done?.type !== 'done') throw new Error('the stream did not end with done');
      expect(JSON.parse(done.result.text)).to.deep.equal(valueForSchema(postSchema));
    });

    it('fails as overloaded when the stream is refused with 529', async () => {
      emulator.injectFault({ provider: 'anthropic' }, { status: 529, times: 1 });
      const error = await providerErrorOf(collect(provider.stream(completionRequest())));
      expect(error.kind).to.equal('overloaded');
    });

    it('fails as malformed when the body is not an event stream', async () => {
      emulator.injectFault({ provider: 'anthropic' }, { malformedBody: true, times: 1 });
      const error = await providerErrorOf(collect(provider.stream(completionRequest())));
      expect(error.kind).to.equal('malformed');
    });
  });

  describe('batches', () => {
    it('submits, polls in progress, then returns every outcome with the failed item as an error', async () => {
      const { externalId } = await provider.submitBatch(MODEL, [
        { customId: 'post-1', request: completionRequest() },
        { customId: 'post-2', request: completionRequest({ messages: [{ role: 'user', content: `Un post ${FAIL_IN_BATCH}` }] }) },
        { customId: 'post-3', request: completionRequest({ json: { name: 'social_post', schema: postSchema } }) },
      ]);
      const submitted = lastRequest().body as { requests: { custom_id: string; params: { model: string; system: unknown[] } }[] };
      expect(submitted.requests.map((item) => item.custom_id)).to.deep.equal(['post-1', 'post-2', 'post-3']);
      expect(submitted.requests[0].params.model).to.equal(MODEL);

      expect(await provider.pollBatch(externalId)).to.deep.equal({ status: 'in_progress' });

      const ended = await provider.pollBatch(externalId);
      expect(ended.status).to.equal('completed');
      const outcomes = new Map(ended.outcomes!.map((outcome) => [outcome.customId, outcome]));
      expect(outcomes.get('post-1')!.result!.text).to.contain('boulangerie');
      expect(outcomes.get('post-1')!.result!.usage.outputTokens).to.be.greaterThan(0);
      expect(outcomes.get('post-2')!.error).to.include({ code: 'bad_request' });
      expect(outcomes.get('post-2')!.result).to.equal(undefined);
      expect(JSON.parse(outcomes.get('post-3')!.result!.text)).to.deep.equal(valueForSchema(postSchema));
    });

    it('maps an unknown batch to bad_request', async () => {
      const error = await providerErrorOf(provider.pollBatch('msgbatch_missing'));
      expect(error.kind).to.equal('bad_request');
      expect(error.options.status).to.equal(404);
    });
  });

  describe('faults (the SDK must not retry: the gateway falls back)', () => {
    const cases: { name: string; fault: Parameters<AiEmulator['injectFault']>[1]; kind: ProviderErrorKind; status?: number }[] = [
      { name: '500', fault: { status: 500 }, kind: 'server', status: 500 },
      { name: '529', fault: { status: 529 }, kind: 'overloaded', status: 529 },
      { name: '503', fault: { status: 503 }, kind: 'overloaded', status: 503 },
      { name: '401', fault: { status: 401 }, kind: 'auth', status: 401 },
      { name: 'a malformed body', fault: { malformedBody: true }, kind: 'malformed' },
    ];
    for (const { name, fault, kind, status } of cases) {
      it(`maps ${name} to ${kind}, after a single attempt`, async () => {
        emulator.injectFault({ provider: 'anthropic' }, fault);
        const error = await providerErrorOf(provider.complete(completionRequest()));
        expect(error.kind).to.equal(kind);
        expect(error.options.status).to.equal(status);
        expect(emulator.requestsTo('anthropic')).to.have.length(1);
      });
    }

    it('maps 429 to rate_limited with the retry-after delay', async () => {
      emulator.injectFault({ provider: 'anthropic' }, { status: 429, retryAfterSeconds: 7 });
      const error = await providerErrorOf(provider.complete(completionRequest()));
      expect(error.kind).to.equal('rate_limited');
      expect(error.options).to.include({ status: 429, retryAfterMs: 7_000 });
      expect(error.fallsBack).to.equal(true);
      expect(emulator.requestsTo('anthropic')).to.have.length(1);
    });

    it('times out after timeoutMs when the provider hangs', async () => {
      emulator.injectFault({ provider: 'anthropic' }, { hang: true });
      const started = Date.now();
      const error = await providerErrorOf(provider.complete(completionRequest({ timeoutMs: 150 })));
      expect(error.kind).to.equal('timeout');
      expect(Date.now() - started).to.be.lessThan(2_000);
      expect(emulator.requestsTo('anthropic')).to.have.length(1);
    });

    it('stops when the caller aborts', async () => {
      emulator.injectFault({ provider: 'anthropic' }, { hang: true });
      const error = await providerErrorOf(provider.complete(completionRequest({ signal: AbortSignal.timeout(100) })));
      expect(error.kind).to.equal('timeout');
    });

    it('refuses to call without a key, without reading the environment', async () => {
      const keyless = new AnthropicModelProvider({ apiKey: null, baseUrl: emulator.baseUrl('anthropic') });
      const error = await providerErrorOf(keyless.complete(completionRequest()));
      expect(error.kind).to.equal('auth');
      expect(emulator.requestsTo('anthropic')).to.have.length(0);
    });
  });
});
