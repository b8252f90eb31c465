import type { Knex } from 'knex';

/**
 * The AI catalogue: providers, models with their prices, one route per task with ordered fallbacks, and which
 * models each plan may use.
 *
 * Prices are micro-USD per million tokens (or per audio minute), as published by the providers in 2026:
 * $3 / MTok is 3_000_000. Verify them against the providers' pricing pages before billing real money.
 *
 * Idempotent, and safe to run at every start: the super admin owns keys, switches, prices and routes once they
 * exist, so existing providers, models, routes and plan availabilities are never overwritten — only missing rows
 * are created (providers and models merge only catalogue facts the admin does not edit).
 */

type Tier = 'premium' | 'standard';
type Capability = 'chat' | 'streaming' | 'structured' | 'batch' | 'transcription' | 'embeddings' | 'moderation' | 'image';
type Task =
  | 'planning'
  | 'generation'
  | 'transcription'
  | 'embeddings'
  | 'moderation'
  | 'seo_analysis'
  | 'image'
  | 'batch'
  | 'summarization';

const PROVIDERS = [
  { code: 'anthropic', name: 'Anthropic', requiresApiKey: true, active: false, euHosted: false },
  { code: 'openai', name: 'OpenAI', requiresApiKey: true, active: false, euHosted: false },
  { code: 'mistral', name: 'Mistral AI', requiresApiKey: true, active: false, euHosted: true },
  // Runs in-process: deterministic composition from the tenant's brand DNA and brief, no key, no data leaves.
  { code: 'offline', name: 'Cadence hors ligne', requiresApiKey: false, active: true, euHosted: true },
] as const;

interface ModelSeed {
  provider: (typeof PROVIDERS)[number]['code'];
  modelId: string;
  displayName: string;
  description: string;
  tier: Tier;
  capabilities: Capability[];
  contextWindow: number | null;
  maxOutputTokens: number | null;
  input?: number;
  output?: number;
  cachedInput?: number | null;
  cacheWrite?: number | null;
  audioPerMinute?: number;
  batchDiscountBp?: number;
  euHosted: boolean;
  retiresAt?: string;
  sortOrder: number;
}

const TEXT: Capability[] = ['chat', 'streaming', 'structured', 'batch'];

const MODELS: readonly ModelSeed[] = [
  // Anthropic
  {
    provider: 'anthropic',
    modelId: 'claude-sonnet-4-6',
    displayName: 'Claude Sonnet 4.6',
    description: 'Rédaction soignée et planification éditoriale fine, pour les contenus qui comptent le plus.',
    tier: 'premium',
    capabilities: TEXT,
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    input: 3_000_000,
    output: 15_000_000,
    cachedInput: 300_000,
    cacheWrite: 3_750_000,
    batchDiscountBp: 5000,
    euHosted: false,
    sortOrder: 10,
  },
  {
    provider: 'anthropic',
    modelId: 'claude-sonnet-4-5',
    displayName: 'Claude Sonnet 4.5',
    description: 'Version précédente, retirée le 30 novembre 2026 : n’est plus utilisée par défaut.',
    tier: 'premium',
    capabilities: TEXT,
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    input: 3_000_000,
    output: 15_000_000,
    cachedInput: 300_000,
    cacheWrite: 3_750_000,
    batchDiscountBp: 5000,
    euHosted: false,
    // Anthropic lists Sonnet 4.5 as deprecated, retiring on 30 November 2026.
    retiresAt: '2026-11-30T00:00:00Z',
    sortOrder: 15,
  },
  {
    provider: 'anthropic',
    modelId: 'claude-haiku-4-5',
    displayName: 'Claude Haiku 4.5',
    description: 'Rapide et économique, pour les publications courantes et les résumés.',
    tier: 'standard',
    capabilities: TEXT,
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    input: 1_000_000,
    output: 5_000_000,
    cachedInput: 100_000,
    cacheWrite: 1_250_000,
    batchDiscountBp: 5000,
    euHosted: false,
    sortOrder: 20,
  },
  // OpenAI
  {
    provider: 'openai',
    modelId: 'gpt-5',
    displayName: 'GPT-5',
    description: 'Polyvalent et précis, pour la planification et les contenus longs.',
    tier: 'premium',
    capabilities: TEXT,
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    input: 1_250_000,
    output: 10_000_000,
    cachedInput: 125_000,
    batchDiscountBp: 5000,
    euHosted: false,
    sortOrder: 30,
  },
  {
    provider: 'openai',
    modelId: 'gpt-5-mini',
    displayName: 'GPT-5 mini',
    description: 'Version légère de GPT-5, rapide pour les textes courts.',
    tier: 'standard',
    capabilities: TEXT,
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    input: 250_000,
    output: 2_000_000,
    cachedInput: 25_000,
    batchDiscountBp: 5000,
    euHosted: false,
    sortOrder: 40,
  },
  {
    provider: 'openai',
    modelId: 'gpt-4o-mini-transcribe',
    displayName: 'GPT-4o mini Transcribe',
    description: 'Transcription de vos messages vocaux en texte.',
    tier: 'standard',
    capabilities: ['transcription'],
    contextWindow: null,
    maxOutputTokens: null,
    audioPerMinute: 3_000,
    euHosted: false,
    sortOrder: 50,
  },
  {
    provider: 'openai',
    modelId: 'whisper-1',
    displayName: 'Whisper',
    description: 'Transcription de vos messages vocaux en texte.',
    tier: 'standard',
    capabilities: ['transcription'],
    contextWindow: null,
    maxOutputTokens: null,
    audioPerMinute: 6_000,
    euHosted: false,
    sortOrder: 51,
  },
  {
    provider: 'openai',
    modelId: 'text-embedding-3-small',
    displayName: 'OpenAI Embeddings (small)',
    description: 'Recherche par le sens dans vos contenus et votre veille.',
    tier: 'standard',
    capabilities: ['embeddings', 'batch'],
    contextWindow: 8_191,
    maxOutputTokens: null,
    input: 20_000,
    batchDiscountBp: 5000,
    euHosted: false,
    sortOrder: 60,
  },
  {
    provider: 'openai',
    modelId: 'omni-moderation-latest',
    displayName: 'OpenAI Moderation',
    description: 'Vérifie que les contenus respectent la sécurité de votre marque.',
    tier: 'standard',
    capabilities: ['moderation'],
    contextWindow: null,
    maxOutputTokens: null,
    euHosted: false,
    sortOrder: 70,
  },
  // Mistral (hosted in the EU)
  {
    provider: 'mistral',
    modelId: 'mistral-large-latest',
    displayName: 'Mistral Large',
    description: 'Modèle européen haut de gamme, hébergé dans l’Union européenne.',
    tier: 'premium',
    capabilities: TEXT,
    contextWindow: 256_000,
    maxOutputTokens: null,
    input: 500_000,
    output: 1_500_000,
    batchDiscountBp: 5000,
    euHosted: true,
    sortOrder: 80,
  },
  {
    provider: 'mistral',
    modelId: 'mistral-small-latest',
    displayName: 'Mistral Small',
    description: 'Modèle européen rapide et économique, hébergé dans l’Union européenne.',
    tier: 'standard',
    capabilities: TEXT,
    contextWindow: 128_000,
    maxOutputTokens: null,
    input: 100_000,
    output: 300_000,
    batchDiscountBp: 5000,
    euHosted: true,
    sortOrder: 90,
  },
  {
    provider: 'mistral',
    modelId: 'mistral-embed',
    displayName: 'Mistral Embed',
    description: 'Recherche par le sens, traitée dans l’Union européenne.',
    tier: 'standard',
    capabilities: ['embeddings', 'batch'],
    contextWindow: 8_192,
    maxOutputTokens: null,
    input: 100_000,
    batchDiscountBp: 5000,
    euHosted: true,
    sortOrder: 100,
  },
  {
    provider: 'mistral',
    modelId: 'mistral-moderation-latest',
    displayName: 'Mistral Moderation',
    description: 'Contrôle de sécurité des contenus, traité dans l’Union européenne.',
    tier: 'standard',
    capabilities: ['moderation'],
    contextWindow: null,
    maxOutputTokens: null,
    input: 100_000,
    euHosted: true,
    sortOrder: 110,
  },
  {
    provider: 'mistral',
    modelId: 'voxtral-mini-latest',
    displayName: 'Voxtral Mini',
    description: 'Transcription de vos messages vocaux, traitée dans l’Union européenne.',
    tier: 'standard',
    capabilities: ['transcription'],
    contextWindow: null,
    maxOutputTokens: null,
    audioPerMinute: 3_000,
    euHosted: true,
    sortOrder: 120,
  },
  // Offline
  {
    provider: 'offline',
    modelId: 'offline-composer',
    displayName: 'Cadence hors ligne',
    description:
      'Composition automatique à partir de votre ADN de marque, sans IA externe : utilisée quand aucun moteur n’est disponible.',
    tier: 'standard',
    capabilities: ['chat', 'streaming', 'structured'],
    contextWindow: null,
    maxOutputTokens: null,
    euHosted: true,
    sortOrder: 1000,
  },
];

const PREMIUM_TEXT = ['claude-sonnet-4-6', 'gpt-5', 'mistral-large-latest'];
const STANDARD_TEXT = ['claude-haiku-4-5', 'gpt-5-mini', 'mistral-small-latest'];

/**
 * Primary model first, then fallbacks in order. Premium models come first where quality matters; standard ones
 * follow so that plans without the premium tier still have a route, and the offline composer closes the text
 * routes. Embeddings fall back across providers only for availability and EU residency: vectors are specific to
 * the model that made them, so their consumers must record and pin the model.
 */
const ROUTES: { task: Task; timeoutMs: number; models: string[] }[] = [
  { task: 'planning', timeoutMs: 120_000, models: [...PREMIUM_TEXT, ...STANDARD_TEXT, 'offline-composer'] },
  { task: 'generation', timeoutMs: 90_000, models: [...PREMIUM_TEXT, ...STANDARD_TEXT, 'offline-composer'] },
  { task: 'seo_analysis', timeoutMs: 60_000, models: [...STANDARD_TEXT, 'offline-composer'] },
  { task: 'summarization', timeoutMs: 60_000, models: [...STANDARD_TEXT, 'offline-composer'] },
  { task: 'transcription', timeoutMs: 300_000, models: ['gpt-4o-mini-transcribe', 'voxtral-mini-latest', 'whisper-1'] },
  { task: 'embeddings', timeoutMs: 30_000, models: ['text-embedding-3-small', 'mistral-embed'] },
  { task: 'moderation', timeoutMs: 15_000, models: ['omni-moderation-latest', 'mistral-moderation-latest'] },
  // Nightly batch: only models with a provider batch API; failed items are retried singly on their own route.
  { task: 'batch', timeoutMs: 60_000, models: [...PREMIUM_TEXT, ...STANDARD_TEXT] },
  // V3: routed, no engine yet.
  { task: 'image', timeoutMs: 120_000, models: [] },
];

/** Plan code → tiers of models it may use (starter: standard only). */
const PLAN_TIERS: Record<string, Tier[]> = {
  starter: ['standard'],
  growth: ['premium', 'standard'],
  scale: ['premium', 'standard'],
};

export async function seed(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    const providerIds = new Map<string, string>();
    for (const p of PROVIDERS) {
      const [row] = (await trx('aiProviders')
        .insert(p)
        .onConflict('code')
        .merge(['name', 'requiresApiKey'])
        .returning(['id', 'code'])) as { id: string; code: string }[];
      providerIds.set(row.code, row.id);
    }

    const modelIds = new Map<string, string>();
    for (const m of MODELS) {
      const [row] = (await trx('aiModels')
        .insert({
          providerId: providerIds.get(m.provider),
          modelId: m.modelId,
          displayName: m.displayName,
          description: m.description,
          locale: 'fr',
          tier: m.tier,
          capabilities: m.capabilities,
          contextWindow: m.contextWindow,
          maxOutputTokens: m.maxOutputTokens,
          inputPriceMicrosPerMtok: m.input ?? 0,
          outputPriceMicrosPerMtok: m.output ?? 0,
          cachedInputPriceMicrosPerMtok: m.cachedInput ?? null,
          cacheWritePriceMicrosPerMtok: m.cacheWrite ?? null,
          audioPriceMicrosPerMinute: m.audioPerMinute ?? 0,
          priceCurrency: 'USD',
          batchDiscountBp: m.batchDiscountBp ?? 0,
          euHosted: m.euHosted,
          active: true,
          retiresAt: m.retiresAt ? new Date(m.retiresAt) : null,
          sortOrder: m.sortOrder,
        })
        .onConflict(['providerId', 'modelId'])
        .merge(['retiresAt'])
        .returning(['id', 'modelId'])) as { id: string; modelId: string }[];
      modelIds.set(row.modelId, row.id);
    }
    const modelId = (id: string): string => {
      const found = modelIds.get(id);
      if (!found) throw new Error(`03_ai_catalogue: unknown model ${id}`);
      return found;
    };

    await trx('aiModelHealth')
      .insert([...modelIds.values()].map((id) => ({ modelId: id, state: 'closed' })))
      .onConflict('modelId')
      .ignore();

    for (const route of ROUTES) {
      const [primary, ...fallbacks] = route.models;
      const inserted = (await trx('aiTaskRoutes')
        .insert({
          task: route.task,
          primaryModelId: primary ? modelId(primary) : null,
          timeoutMs: route.timeoutMs,
          active: primary !== undefined,
        })
        .onConflict('task')
        .ignore()
        .returning('id')) as { id: string }[];
      // Only a route created now gets the default fallbacks; an existing route belongs to the super admin.
      if (inserted.length === 0 || fallbacks.length === 0) continue;
      await trx('aiRouteFallbacks')
        .insert(fallbacks.map((m, i) => ({ routeId: inserted[0].id, modelId: modelId(m), position: i + 1 })))
        .onConflict(['routeId', 'position'])
        .ignore();
    }

    const plans = (await trx('plans').whereIn('code', Object.keys(PLAN_TIERS)).select('id', 'code')) as { id: string; code: string }[];
    const availability = plans.flatMap((plan) =>
      MODELS.filter((m) => PLAN_TIERS[plan.code].includes(m.tier)).map((m) => ({ planId: plan.id, modelId: modelId(m.modelId) })),
    );
    if (availability.length > 0) {
      await trx('planAiModels').insert(availability).onConflict(['planId', 'modelId']).ignore();
    }
  });
}
