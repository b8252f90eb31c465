import {
  ConnectionError,
  InvalidRequestError,
  MistralError,
  RequestAbortedError,
  RequestTimeoutError,
  ResponseValidationError,
  SDKValidationError,
} from '@mistralai/mistralai/models/errors';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ProviderError, type ProviderErrorKind } from '../../modules/ai/ports.js';
import { parseRetryAfter } from '../../shared/http/retry-after.js';

/**
 * Normalises what the OpenAI and Mistral SDKs throw into the gateway's vocabulary. Both speak plain HTTP
 * with JSON bodies, so the status decides; the SDK classes tell connection failures from answers.
 */
export function toProviderError(provider: 'openai' | 'mistral', error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const describe = (message: string) => `${provider}: ${message}`;
  return openAiError(error, describe) ?? mistralError(error, describe) ?? runtimeError(error, describe);
}

type Describe = (message: string) => string;

function openAiError(error: unknown, describe: Describe): ProviderError | undefined {
  // Order matters: the timeout and abort errors are subclasses of APIConnectionError, itself an APIError.
  if (error instanceof APIConnectionTimeoutError) return new ProviderError('timeout', describe('request timed out'));
  if (error instanceof APIUserAbortError) return new ProviderError('timeout', describe('request aborted'));
  if (error instanceof APIConnectionError) return new ProviderError('network', describe(error.message));
  if (!(error instanceof APIError)) return undefined;
  const requestId = error.requestID ?? undefined;
  // An `error` event in the middle of a stream has no status.
  if (error.status === undefined) return new ProviderError('server', describe(error.message), { ...(requestId && { providerRequestId: requestId }) });
  // OpenAI answers an exhausted account with a 429 too; waiting will not help, it is a billing problem.
  if (error.status === 429 && error.code === 'insufficient_quota') {
    return new ProviderError('auth', describe(error.message), { status: 429, ...(requestId && { providerRequestId: requestId }) });
  }
  return fromHttpStatus(error.status, error.headers, describe(error.message), requestId);
}

function mistralError(error: unknown, describe: Describe): ProviderError | undefined {
  if (error instanceof RequestTimeoutError) return new ProviderError('timeout', describe('request timed out'));
  if (error instanceof RequestAbortedError) return new ProviderError('timeout', describe('request aborted'));
  if (error instanceof ConnectionError) return new ProviderError('network', describe(error.message));
  // A 200 whose JSON does not match the SDK's schema (a subclass of MistralError, so before it).
  if (error instanceof ResponseValidationError) return new ProviderError('malformed', describe(error.message), { status: error.statusCode });
  if (error instanceof MistralError) {
    // A 2xx the SDK could not match (e.g. JSON where it expects an event stream) is the body's fault.
    if (error.statusCode < 400) return new ProviderError('malformed', describe(error.message), { status: error.statusCode });
    const requestId = error.headers.get('x-request-id') ?? error.headers.get('request-id') ?? undefined;
    return fromHttpStatus(error.statusCode, error.headers, describe(error.message), requestId);
  }
  // Both are raised before anything is sent: our request does not fit the SDK's schema.
  if (error instanceof InvalidRequestError || error instanceof SDKValidationError) return new ProviderError('bad_request', describe(error.message));
  return undefined;
}

/** What fetch and the SDKs' parsers let through (JSON.parse, zod on SSE chunks, AbortSignal.timeout…). */
function runtimeError(error: unknown, describe: Describe): ProviderError {
  if (error instanceof SyntaxError) return new ProviderError('malformed', describe(`unparseable response (${error.message})`));
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ZodError' || name === '$ZodError') return new ProviderError('malformed', describe(`unexpected response shape (${message})`));
  if (name === 'TimeoutError') return new ProviderError('timeout', describe('request timed out'));
  if (name === 'AbortError') return new ProviderError('timeout', describe('request aborted'));
  return new ProviderError('network', describe(message));
}

function fromHttpStatus(status: number, headers: Headers | undefined, message: string, requestId: string | undefined): ProviderError {
  const kind = kindOfStatus(status);
  const retryAfterMs = kind === 'rate_limited' || kind === 'overloaded' ? retryAfterMsOf(headers) : undefined;
  return new ProviderError(kind, message, {
    status,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(requestId && { providerRequestId: requestId }),
  });
}

export function kindOfStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server';
  // 402 is billing: this account cannot answer, but another provider may.
  if (status === 401 || status === 402 || status === 403) return 'auth';
  return 'bad_request';
}

/** `retry-after-ms` (OpenAI's, more precise) or the standard `retry-after`, in seconds or as an HTTP date. */
export function retryAfterMsOf(headers: Headers | undefined): number | undefined {
  const millis = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(millis) && millis >= 0) return millis;
  return parseRetryAfter(headers?.get('retry-after'));
}
