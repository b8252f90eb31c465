import { systemClock, type Clock } from '../../shared/clock.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import {
  DEFAULT_PROMPT_LOCALE,
  LOCALE_PATTERN,
  localeChain,
  renderSystemPrompt,
  resolveCascade,
  type JsonObject,
  type PromptLayerRow,
  type RenderedSystemPrompt,
  type RenderOptions,
  type ResolvedCascade,
} from './prompt-cascade.js';
import { isUuid } from '../../shared/ids.js';


export interface PromptTenant {
  id: string;
  name: string;
  distributorId: string;
  /** The tenant's own locale (used when the caller names none). */
  locale: string;
}

export interface PromptTenantSummary {
  id: string;
  name: string;
  slug: string;
  locale: string;
  distributorName: string;
}

export interface TenantLayers {
  tenant: PromptTenant;
  rows: PromptLayerRow[];
}

/** Reads `prompt_layers` (active rows, highest version per level, locale and key). */
export interface PromptLayerRepository {
  /** In the tenant's context; `locales: null` reads every locale. Null when the tenant is not visible. */
  findForTenant(tenantId: string, locales: readonly string[] | null): Promise<TenantLayers | null>;
  /** Same rows, read in the explicit platform context (super-admin inspector). */
  findForTenantAsPlatform(tenantId: string, locales: readonly string[] | null): Promise<TenantLayers | null>;
  listTenants(): Promise<PromptTenantSummary[]>;
  listLocales(): Promise<string[]>;
}

export interface ResolvedPrompt extends ResolvedCascade {
  tenant: PromptTenant;
}

/** How long a tenant's resolution is reused (per process); edits made elsewhere apply within this delay. */
export const RESOLVE_CACHE_TTL_MS = 30_000;
const RESOLVE_CACHE_MAX_ENTRIES = 1_000;

export interface StablePrompt {
  /** The cascade's whole system prompt: `stable`, then `variable` when there is one. */
  text: string;
  snapshotRef: string;
  /** Identical across a tenant's calls of one task: the best cache prefix. */
  stable: string;
  /** The channel's guidance and format; empty without a channel. */
  variable: string;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export interface PromptCradle {
  promptLayerRepository: PromptLayerRepository;
  promptLayerService: PromptLayerService;
}

/**
 * The prompt cascade for one tenant: reads its layers (one query), merges them (pure, prompt-cascade.ts)
 * and renders the system prompt. `snapshotRef` identifies the rows used; the gateway records it in
 * `ai_calls.prompt_layer_snapshot_ref`.
 */
export class PromptLayerService {
  /** Resolutions per tenant and locale, for the gateway's hot path (one query + merge ≈ 2–5 ms a call). */
  private readonly cache = new Map<string, { at: number; resolved: ResolvedPrompt; rendered: Map<string, StablePrompt> }>();

  /** `clock` (registered in the container) times the cache; without one, the system clock. */
  constructor(private readonly deps: { promptLayerRepository: PromptLayerRepository; clock?: Clock }) {}

  /**
   * The resolved document, its provenance and snapshot reference, read inside the tenant's context.
   * Cached in this process for RESOLVE_CACHE_TTL_MS per tenant and locale (the result is frozen): a layer
   * written elsewhere shows within that delay; whoever writes layers in this process calls `invalidate()`.
   */
  async resolve(tenantId: string, locale?: string): Promise<ResolvedPrompt> {
    return (await this.cached(tenantId, locale)).resolved;
  }

  /** Forgets cached resolutions: of one tenant, or all (after a platform or distributor layer changed). */
  invalidate(tenantId?: string): void {
    if (tenantId === undefined) return this.cache.clear();
    for (const key of this.cache.keys()) if (key.startsWith(`${tenantId}\u0000`)) this.cache.delete(key);
  }

  private async cached(tenantId: string, locale: string | undefined) {
    const key = `${tenantId}\u0000${locale ?? ''}`;
    const now = (this.deps.clock ?? systemClock).now().getTime();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < RESOLVE_CACHE_TTL_MS) return hit;
    const resolved = deepFreeze(await this.load(tenantId, locale, (locales) => this.deps.promptLayerRepository.findForTenant(tenantId, locales)));
    const entry = { at: now, resolved, rendered: new Map<string, StablePrompt>() };
    this.cache.delete(key);
    this.cache.set(key, entry);
    if (this.cache.size > RESOLVE_CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }

  /** The same resolution for the super admin's inspector, read in the explicit platform context. */
  inspect(tenantId: string, locale?: string): Promise<ResolvedPrompt> {
    return this.load(tenantId, locale, (locales) => this.deps.promptLayerRepository.findForTenantAsPlatform(tenantId, locales));
  }

  /**
   * The gateway's `SystemPromptSource` port (ports.ts): resolve in the tenant's context, render for the task
   * and channel. `text` is the whole system prompt of the cascade (stable part, then the channel's guidance);
   * `stable` alone is identical across the tenant's calls of one task (the best cache prefix) and `variable`
   * is the channel part, for a caller that sends them apart.
   */
  async stablePrompt(tenantId: string, locale: string | undefined, options: { task: string; channel?: string }): Promise<StablePrompt> {
    const entry = await this.cached(tenantId, locale);
    const renderKey = `${options.task}\u0000${options.channel ?? ''}`;
    let prompt = entry.rendered.get(renderKey);
    if (!prompt) {
      const { stable, variable } = renderSystemPrompt(entry.resolved.document, { ...options, locale: entry.resolved.locale });
      prompt = Object.freeze({ text: [stable, variable].filter(Boolean).join('\n\n'), snapshotRef: entry.resolved.snapshotRef, stable, variable });
      entry.rendered.set(renderKey, prompt);
    }
    return prompt;
  }

  renderSystemPrompt(document: JsonObject, options: RenderOptions): RenderedSystemPrompt {
    return renderSystemPrompt(document, options);
  }

  listTenants(): Promise<PromptTenantSummary[]> {
    return this.deps.promptLayerRepository.listTenants();
  }

  listLocales(): Promise<string[]> {
    return this.deps.promptLayerRepository.listLocales();
  }

  private async load(
    tenantId: string,
    locale: string | undefined,
    read: (locales: readonly string[] | null) => Promise<TenantLayers | null>,
  ): Promise<ResolvedPrompt> {
    if (!isUuid(tenantId)) throw new NotFoundError();
    if (locale !== undefined && !LOCALE_PATTERN.test(locale)) throw new ValidationError({ locale: 'prompts.errors.invalidLocale' });
    // Without a locale, every locale is read in the same query and the tenant's own locale picks the chain.
    const found = await read(locale === undefined ? null : localeChain(locale, DEFAULT_PROMPT_LOCALE));
    if (!found) throw new NotFoundError();
    const effective = locale ?? found.tenant.locale;
    return { ...resolveCascade(found.rows, { locale: effective, defaultLocale: DEFAULT_PROMPT_LOCALE }), tenant: found.tenant };
  }
}
