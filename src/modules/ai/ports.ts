/**
 * The ai module's outbound port: one ModelProvider per vendor (Anthropic, OpenAI, Mistral, offline),
 * implemented in src/adapters/ai on the official SDKs. Providers are stateless apart from their client;
 * the gateway decides which model to call, logs, charges and falls back.
 */

export type ProviderCode = 'anthropic' | 'openai' | 'mistral' | 'offline';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  /** The provider's model identifier (e.g. `claude-haiku-4-5`). */
  model: string;
  /**
   * System prompt in two parts: `stable` is the cacheable prefix (platform prompt + brand DNA), identical
   * across a tenant's calls; `variable` is specific to this call. Providers that cache prompts mark the
   * stable part as cacheable (Anthropic `cache_control`); others send both concatenated.
   */
  system: { stable: string; variable?: string };
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
  /** Structured output: the provider is asked for JSON matching this JSON Schema (validated by the gateway). */
  json?: { name: string; schema: Record<string, unknown> };
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface Usage {
  /**
   * Input tokens billed at the full input price: EXCLUDING cache reads and cache writes (Anthropic's
   * `input_tokens`; OpenAI's and Mistral's `prompt_tokens` minus their cached tokens).
   */
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the provider's prompt cache (billed at the cached price). */
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache (Anthropic bills them at the cache-write price). */
  cacheWriteTokens: number;
}

export interface CompletionResult {
  text: string;
  usage: Usage;
  /** The model that answered, as the provider names it. */
  model: string;
  finishReason: 'stop' | 'length' | 'content_filter' | 'other';
  providerRequestId?: string;
}

export type StreamEvent = { type: 'delta'; text: string } | { type: 'done'; result: CompletionResult };

export interface TranscriptionRequest {
  model: string;
  audio: Buffer;
  filename: string;
  mimeType: string;
  language?: string;
  timeoutMs: number;
}

export interface TranscriptionResult {
  text: string;
  durationSeconds: number;
  providerRequestId?: string;
}

export interface EmbeddingResult {
  vectors: number[][];
  usage: Usage;
}

export interface ModerationResult {
  flagged: boolean;
  /** Category → flagged, in the provider's vocabulary. */
  categories: Record<string, boolean>;
}

export interface BatchRequestItem {
  customId: string;
  request: CompletionRequest;
}

export type BatchStatus = 'submitted' | 'in_progress' | 'completed' | 'failed' | 'expired' | 'cancelled';

export interface BatchItemOutcome {
  customId: string;
  result?: CompletionResult;
  error?: { code: string; message: string };
}

export interface BatchPoll {
  status: BatchStatus;
  /** Present once the batch has ended. */
  outcomes?: BatchItemOutcome[];
}

export interface ModelProvider {
  readonly code: ProviderCode;
  complete(request: CompletionRequest): Promise<CompletionResult>;
  stream(request: CompletionRequest): AsyncIterable<StreamEvent>;
  transcribe?(request: TranscriptionRequest): Promise<TranscriptionResult>;
  embed?(request: { model: string; inputs: string[]; timeoutMs: number }): Promise<EmbeddingResult>;
  moderate?(request: { model: string; input: string; timeoutMs: number }): Promise<ModerationResult>;
  /** Provider batch APIs (-50%): submit once, poll until ended. */
  submitBatch?(model: string, items: BatchRequestItem[]): Promise<{ externalId: string }>;
  pollBatch?(externalId: string): Promise<BatchPoll>;
}

export interface ProviderCredentials {
  apiKey: string | null;
  /** Override of the SDK's default base URL (regional endpoint, proxy, the test emulator). */
  baseUrl: string | null;
}

/** Builds a provider client from its credentials (an adapter per vendor). */
export type ProviderFactory = (code: ProviderCode, credentials: ProviderCredentials) => ModelProvider;

/**
 * What went wrong at the provider, normalised for the gateway.
 */
export type ProviderErrorKind =
  | 'rate_limited' // 429
  | 'overloaded' // 529 / 503
  | 'server' // other 5xx
  | 'timeout'
  | 'network'
  | 'malformed' // unparseable body
  | 'auth' // 401/403: key missing or revoked
  | 'bad_request' // 400/404/422
  | 'content_filter'
  | 'unsupported';

// A revoked or missing key on one provider is no reason not to try the next model.
const FALLS_BACK: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'overloaded', 'server', 'timeout', 'network', 'malformed', 'auth']);

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly options: { status?: number; retryAfterMs?: number; providerRequestId?: string } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** The gateway tries the next model (and counts a failure against this one's circuit breaker). */
  get fallsBack(): boolean {
    return FALLS_BACK.has(this.kind);
  }
}

/** What the gateway needs from billing: credits reserved before a call, settled on its real cost, refunded on failure. */
export interface CreditCharger {
  /** `ttlMs`: how long the hold lives (billing's default is minutes; a nightly batch item holds up to 48 h). */
  reserve(tenantId: string, input: { amount: number; task: string; idempotencyKey: string; ttlMs?: number }): Promise<{ reservationId: string }>;
  settle(tenantId: string, reservationId: string, actualCredits: number, options?: { aiCallId?: string }): Promise<unknown>;
  refund(tenantId: string, reservationId: string, reason: string): Promise<unknown>;
  creditsForCost(costMicros: number, currency: string): Promise<number>;
}

/**
 * The system prompt of a tenant from the prompt cascade (platform → distributor → tenant): `stable` is the
 * same for every call of the tenant (cached by the providers), `variable` depends on the task or channel;
 * `snapshotRef` identifies the layers used, to reproduce the call.
 */
export interface SystemPromptSource {
  stablePrompt(tenantId: string, locale: string, options: { task: string; channel?: string }): Promise<{ stable: string; variable: string; snapshotRef: string }>;
}
