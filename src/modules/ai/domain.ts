import type { ProviderCode, Usage } from './ports.js';

export const AI_TASKS = ['planning', 'generation', 'transcription', 'embeddings', 'moderation', 'seo_analysis', 'image', 'batch', 'summarization'] as const;
export type AiTask = (typeof AI_TASKS)[number];

/** The capability a model needs to serve a task. */
export const TASK_CAPABILITY: Record<AiTask, string> = {
  planning: 'chat',
  generation: 'chat',
  seo_analysis: 'chat',
  summarization: 'chat',
  batch: 'batch',
  transcription: 'transcription',
  embeddings: 'embeddings',
  moderation: 'moderation',
  image: 'image',
};

export interface ModelPrices {
  inputPriceMicrosPerMtok: number;
  outputPriceMicrosPerMtok: number;
  cachedInputPriceMicrosPerMtok: number | null;
  cacheWritePriceMicrosPerMtok: number | null;
  audioPriceMicrosPerMinute: number;
  batchDiscountBp: number;
}

export interface CatalogueModel extends ModelPrices {
  id: string;
  modelId: string;
  displayName: string;
  tier: 'premium' | 'standard';
  capabilities: string[];
  euHosted: boolean;
  priceCurrency: string;
  maxOutputTokens: number | null;
  provider: { id: string; code: ProviderCode; euHosted: boolean };
}

/**
 * Cost of one call in integer micro-units of the model's price currency, from catalogue prices:
 * uncached input, cache reads and cache writes each at their own price, output, audio by the second,
 * then the batch discount. Rounded up once, at the end, so sums of calls never under-charge.
 */
export function costMicros(prices: ModelPrices, usage: Usage & { audioSeconds?: number }, options: { batch?: boolean } = {}): number {
  const perToken =
    usage.inputTokens * prices.inputPriceMicrosPerMtok +
    usage.cachedInputTokens * (prices.cachedInputPriceMicrosPerMtok ?? prices.inputPriceMicrosPerMtok) +
    usage.cacheWriteTokens * (prices.cacheWritePriceMicrosPerMtok ?? prices.inputPriceMicrosPerMtok) +
    usage.outputTokens * prices.outputPriceMicrosPerMtok;
  const tokens = perToken / 1_000_000;
  const audio = ((usage.audioSeconds ?? 0) * prices.audioPriceMicrosPerMinute) / 60;
  const discount = options.batch ? (10_000 - prices.batchDiscountBp) / 10_000 : 1;
  return Math.ceil((tokens + audio) * discount - 1e-9);
}

/** A rough token count before the call (≈ 4 characters a token), used to size the credit reservation. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
