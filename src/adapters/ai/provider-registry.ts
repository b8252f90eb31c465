import type { AiProviderEnv, Config } from '../../config.js';
import type { CatalogueProvider } from '../../modules/ai/db/knex-ai-catalogue-repository.js';
import type { ModelProvider, ProviderCode } from '../../modules/ai/ports.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { AnthropicModelProvider } from './anthropic-model-provider.js';
import { MistralModelProvider } from './mistral-model-provider.js';
import { OfflineModelProvider } from './offline-model-provider.js';
import { OpenAiModelProvider } from './openai-model-provider.js';

export interface ResolvedCredentials {
  apiKey: string | null;
  baseUrl: string | null;
  /** Where the key comes from: the super admin's stored key wins over the environment. */
  source: 'stored' | 'environment' | 'none';
}

/**
 * Picks the SDK adapter of a provider and gives it its key. SDK clients are kept per (provider, key, base
 * URL), so a key change in the super admin takes effect on the next call.
 */
export class ProviderRegistry {
  private readonly clients = new Map<string, ModelProvider>();
  private readonly offline = new OfflineModelProvider();

  constructor(private readonly deps: { config: Config; secretBox: SecretBox }) {}

  credentials(provider: CatalogueProvider): ResolvedCredentials {
    const env = this.deps.config.aiProviders[provider.code as keyof AiProviderEnv];
    const baseUrl = provider.baseUrl ?? env?.baseUrl ?? null;
    if (provider.apiKeyEncrypted) return { apiKey: this.deps.secretBox.open(provider.apiKeyEncrypted), baseUrl, source: 'stored' };
    if (env?.apiKey) return { apiKey: env.apiKey, baseUrl, source: 'environment' };
    return { apiKey: null, baseUrl, source: 'none' };
  }

  /** A provider is usable when switched on and keyed — or keyed by the environment (on until the variable goes). */
  isUsable(provider: CatalogueProvider): boolean {
    if (!provider.requiresApiKey) return provider.active;
    const { source } = this.credentials(provider);
    return source === 'environment' ? true : provider.active && source === 'stored';
  }

  client(provider: CatalogueProvider): ModelProvider {
    if (provider.code === 'offline') return this.offline;
    const { apiKey, baseUrl } = this.credentials(provider);
    const cacheKey = `${provider.code}|${apiKey}|${baseUrl}`;
    let client = this.clients.get(cacheKey);
    if (!client) {
      client = createClient(provider.code, apiKey ?? '', baseUrl);
      this.clients.set(cacheKey, client);
    }
    return client;
  }
}

function createClient(code: ProviderCode, apiKey: string, baseUrl: string | null): ModelProvider {
  switch (code) {
    case 'anthropic':
      return new AnthropicModelProvider({ apiKey, baseUrl });
    case 'openai':
      return new OpenAiModelProvider({ apiKey, baseUrl });
    case 'mistral':
      return new MistralModelProvider({ apiKey, baseUrl });
    default:
      return new OfflineModelProvider();
  }
}
