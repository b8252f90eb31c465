import crypto from 'node:crypto';
import type { CompletionRequest } from '../../modules/ai/ports.js';

/**
 * The system prompt for APIs without explicit cache markers (OpenAI, Mistral): stable prefix first, so the
 * provider's automatic prefix cache can reuse it across a tenant's calls.
 */
export function systemPrompt(system: CompletionRequest['system']): string {
  return [system.stable, system.variable].filter(Boolean).join('\n\n');
}

/**
 * `prompt_cache_key` routes requests that share the stable prefix to the same cache. A digest of the
 * prefix, so no tenant content travels in it.
 */
export function promptCacheKey(stablePrefix: string): string {
  return `cadence-${crypto.createHash('sha256').update(stablePrefix).digest('hex').slice(0, 32)}`;
}
