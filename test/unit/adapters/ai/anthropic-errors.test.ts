import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { finishReasonOf, providerErrorFromAnthropic, systemBlocks } from '../../../../src/adapters/ai/anthropic-model-provider.js';
import { ProviderError } from '../../../../src/modules/ai/ports.js';

function body(type: string): object {
  return { type: 'error', error: { type, message: `emulated ${type}` } };
}

function headers(values: Record<string, string> = {}): Headers {
  return new Headers({ 'request-id': 'req_unit', ...values });
}

describe('providerErrorFromAnthropic', () => {
  it('maps 429 to rate_limited with retry-after in milliseconds', () => {
    const error = providerErrorFromAnthropic(new RateLimitError(429, body('rate_limit_error'), undefined, headers({ 'retry-after': '12' })));
    expect(error.kind).to.equal('rate_limited');
    expect(error.options).to.deep.equal({ status: 429, retryAfterMs: 12_000, providerRequestId: 'req_unit' });
  });

  it('prefers retry-after-ms when the API sends it', () => {
    const error = providerErrorFromAnthropic(new RateLimitError(429, body('rate_limit_error'), undefined, headers({ 'retry-after': '12', 'retry-after-ms': '1500' })));
    expect(error.options.retryAfterMs).to.equal(1_500);
  });

  it('leaves retryAfterMs out when there is no header', () => {
    const error = providerErrorFromAnthropic(new RateLimitError(429, body('rate_limit_error'), undefined, headers()));
    expect(error.options).to.not.have.property('retryAfterMs');
  });

  const byStatus: [string, APIError, string][] = [
    ['529', new OverloadedError(529, body('overloaded_error'), undefined, headers()), 'overloaded'],
    ['503', new ServiceUnavailableError(503, body('api_error'), undefined, headers()), 'overloaded'],
    ['500', new InternalServerError(500, body('api_error'), undefined, headers()), 'server'],
    ['502', new InternalServerError(502, body('api_error'), undefined, headers()), 'server'],
    ['401', new AuthenticationError(401, body('authentication_error'), undefined, headers()), 'auth'],
    ['403', new PermissionDeniedError(403, body('permission_error'), undefined, headers()), 'auth'],
    ['400', new BadRequestError(400, body('invalid_request_error'), undefined, headers()), 'bad_request'],
    ['404', new NotFoundError(404, body('not_found_error'), undefined, headers()), 'bad_request'],
    ['422', new UnprocessableEntityError(422, body('invalid_request_error'), undefined, headers()), 'bad_request'],
  ];
  for (const [status, sdkError, kind] of byStatus) {
    it(`maps ${status} to ${kind}`, () => {
      const error = providerErrorFromAnthropic(sdkError);
      expect(error.kind).to.equal(kind);
      expect(error.options.status).to.equal(Number(status));
    });
  }

  it('maps an error event in the middle of a stream by its type', () => {
    const error = providerErrorFromAnthropic(new APIError(undefined, body('overloaded_error'), undefined, headers(), 'overloaded_error'));
    expect(error.kind).to.equal('overloaded');
  });

  it('tells a timeout from a connection failure', () => {
    expect(providerErrorFromAnthropic(new APIConnectionTimeoutError()).kind).to.equal('timeout');
    expect(providerErrorFromAnthropic(new APIConnectionError({ message: 'ECONNREFUSED' })).kind).to.equal('network');
  });

  it('maps the caller aborting to timeout', () => {
    expect(providerErrorFromAnthropic(new APIUserAbortError()).kind).to.equal('timeout');
  });

  it('maps an unparseable body to malformed', () => {
    expect(providerErrorFromAnthropic(new SyntaxError('Unexpected end of JSON input')).kind).to.equal('malformed');
  });

  it('keeps a ProviderError as it is', () => {
    const original = new ProviderError('auth', 'no key');
    expect(providerErrorFromAnthropic(original)).to.equal(original);
  });
});

describe('finishReasonOf', () => {
  it('maps Anthropic stop reasons', () => {
    expect(finishReasonOf('end_turn')).to.equal('stop');
    expect(finishReasonOf('tool_use')).to.equal('stop');
    expect(finishReasonOf('max_tokens')).to.equal('length');
    expect(finishReasonOf('refusal')).to.equal('content_filter');
    expect(finishReasonOf('pause_turn')).to.equal('other');
    expect(finishReasonOf(null)).to.equal('other');
  });
});

describe('systemBlocks', () => {
  it('marks only the stable part cacheable and leaves empty parts out', () => {
    expect(systemBlocks({ stable: 'platform + brand', variable: 'task' })).to.deep.equal([
      { type: 'text', text: 'platform + brand', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'task' },
    ]);
    expect(systemBlocks({ stable: '', variable: 'task' })).to.deep.equal([{ type: 'text', text: 'task' }]);
  });
});
