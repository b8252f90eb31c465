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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  constructor(private readonly deps: { promptLayerRepository: PromptLayerRepository }) {}

  /** The resolved document, its provenance and snapshot reference, read inside the tenant's context. */
  resolve(tenantId: string, locale?: string): Promise<ResolvedPrompt> {
    return this.load(tenantId, locale, (locales) => this.deps.promptLayerRepository.findForTenant(tenantId, locales));
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
  async stablePrompt(
    tenantId: string,
    locale: string | undefined,
    options: { task: string; channel?: string },
  ): Promise<{ text: string; snapshotRef: string; stable: string; variable: string }> {
    const resolved = await this.resolve(tenantId, locale);
    const { stable, variable } = renderSystemPrompt(resolved.document, { ...options, locale: resolved.locale });
    return { text: [stable, variable].filter(Boolean).join('\n\n'), snapshotRef: resolved.snapshotRef, stable, variable };
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
    if (!UUID.test(tenantId)) throw new NotFoundError();
    if (locale !== undefined && !LOCALE_PATTERN.test(locale)) throw new ValidationError({ locale: 'prompts.errors.invalidLocale' });
    // Without a locale, every locale is read in the same query and the tenant's own locale picks the chain.
    const found = await read(locale === undefined ? null : localeChain(locale, DEFAULT_PROMPT_LOCALE));
    if (!found) throw new NotFoundError();
    const effective = locale ?? found.tenant.locale;
    return { ...resolveCascade(found.rows, { locale: effective, defaultLocale: DEFAULT_PROMPT_LOCALE }), tenant: found.tenant };
  }
}
