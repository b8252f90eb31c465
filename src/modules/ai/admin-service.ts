import { z } from 'zod';
import type { AiProviderEnv, Config } from '../../config.js';
import type { ProviderRegistry } from '../../adapters/ai/provider-registry.js';
import type { SecretBox } from '../../adapters/crypto/secret-box.js';
import type { Clock } from '../../shared/clock.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { parseInput } from '../../shared/validation.js';
import type {
  AdminModelRow,
  AdminProviderRow,
  AdminRouteRow,
  KnexAiAdminRepository,
  ModelHealthRow,
  ModelUpdate,
  UsageReport,
} from './db/knex-ai-admin-repository.js';
import type { CatalogueProvider, KnexAiCatalogueRepository } from './db/knex-ai-catalogue-repository.js';
import { AI_TASKS, TASK_CAPABILITY, type AiTask } from './domain.js';
import { ProviderError, type ProviderErrorKind } from './ports.js';
import { eligibleModels } from './routing.js';

export const CAPABILITIES = ['chat', 'streaming', 'structured', 'batch', 'transcription', 'embeddings', 'moderation', 'image'] as const;
export const TIERS = ['premium', 'standard'] as const;
/** Largest price the integer columns hold, in micro-units. */
const MAX_MICROS = 2_147_483_647;
const TEST_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------------------------
// Money and numbers: exact, locale-aware, both ways

/**
 * Parses an amount typed in currency units into integer micro-units, exactly (string arithmetic, no floats).
 * Accepts the French decimal comma, spaces as thousands separators and a currency sign; in English a comma
 * is a thousands separator when it groups by three. Returns an error code when the amount is not exact.
 */
export function parseDecimal(raw: string, locale: string, decimals: number): { ok: true; value: number } | { ok: false; error: 'invalid' | 'tooPrecise' } {
  let s = raw.trim().replace(/[\s\u00a0\u202f']/g, '').replace(/^(US\$|\$|€|£)|(US\$|\$|€|£|%)$/g, '');
  if (!s) return { ok: false, error: 'invalid' };
  const hasComma = s.includes(',');
  const hasDot = s.includes('.');
  if (hasComma && hasDot) {
    const decimal = s.lastIndexOf(',') > s.lastIndexOf('.') ? ',' : '.';
    s = s.split(decimal === ',' ? '.' : ',').join('').replace(',', '.');
  } else if (hasComma) {
    s = locale.startsWith('en') && /^\d{1,3}(,\d{3})+$/.test(s) ? s.replace(/,/g, '') : s.replace(',', '.');
  }
  const match = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!match || (!match[1] && !match[2])) return { ok: false, error: 'invalid' };
  const whole = match[1] || '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > decimals) return { ok: false, error: 'tooPrecise' };
  const scale = 10 ** decimals;
  const value = Number(whole) * scale + Number(fraction.padEnd(decimals, '0') || '0');
  if (!Number.isSafeInteger(value)) return { ok: false, error: 'invalid' };
  return { ok: true, value };
}

/** Micro-units as a plain decimal for a form field: `800000` → "0,80" in French, "0.80" in English. */
export function microsForInput(micros: number | null, locale: string): string {
  if (micros === null || micros === undefined) return '';
  return scaledForInput(micros, 6, 2, locale);
}

/** Basis points as a percentage for a form field: `5000` → "50". */
export function bpForInput(bp: number, locale: string): string {
  return scaledForInput(bp, 2, 0, locale);
}

function scaledForInput(value: number, decimals: number, minDecimals: number, locale: string): string {
  const scale = 10 ** decimals;
  const whole = Math.floor(value / scale);
  let fraction = String(value % scale).padStart(decimals, '0').replace(/0+$/, '');
  if (fraction.length < minDecimals) fraction = fraction.padEnd(minDecimals, '0');
  return fraction ? `${whole}${decimalSeparator(locale)}${fraction}` : String(whole);
}

function decimalSeparator(locale: string): string {
  return new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
}

/** Formatting for the views, in the viewer's language. */
export class Formats {
  private readonly integer: Intl.NumberFormat;
  private readonly percentFormat: Intl.NumberFormat;
  private readonly dateTimeFormat: Intl.DateTimeFormat;
  private readonly moneyFormats = new Map<string, Intl.NumberFormat>();

  constructor(readonly locale: string) {
    this.integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    this.percentFormat = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
    this.dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' });
  }

  /** Micro-units in the currency's units: 3_000_000 USD → "3,00 $". */
  money(micros: number | null | undefined, currency: string): string {
    if (micros === null || micros === undefined) return '—';
    let format = this.moneyFormats.get(currency);
    if (!format) {
      format = new Intl.NumberFormat(this.locale, { style: 'currency', currency, currencyDisplay: 'narrowSymbol', minimumFractionDigits: 2, maximumFractionDigits: 6 });
      this.moneyFormats.set(currency, format);
    }
    return format.format(micros / 1_000_000);
  }

  /** Costs per currency, one after the other ("—" when nothing was spent). */
  costs(cost: Record<string, number>): string {
    const entries = Object.entries(cost).filter(([, v]) => v > 0);
    return entries.length ? entries.map(([currency, micros]) => this.money(micros, currency)).join(' + ') : this.money(0, Object.keys(cost)[0] ?? 'USD');
  }

  number(n: number | null | undefined): string {
    return n === null || n === undefined ? '—' : this.integer.format(n);
  }

  percent(part: number, whole: number): string {
    return whole > 0 ? this.percentFormat.format(part / whole) : '—';
  }

  bp(bp: number): string {
    return this.percentFormat.format(bp / 10_000);
  }

  ms(n: number | null | undefined): string {
    return n === null || n === undefined ? '—' : `${this.integer.format(Math.round(n))} ms`;
  }

  dateTime(d: Date | string | null | undefined): string {
    return d ? `${this.dateTimeFormat.format(new Date(d))} UTC` : '—';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Edge validation

const checkbox = z.preprocess((v) => (Array.isArray(v) ? v.at(-1) : v), z.union([z.literal('on'), z.literal('true'), z.literal('1'), z.literal('false'), z.literal('0'), z.literal('')]).optional())
  .transform((v) => v === 'on' || v === 'true' || v === '1');

const text = (max: number) => z.preprocess((v) => (v === undefined || v === null ? '' : Array.isArray(v) ? String(v.at(-1)) : String(v)), z.string().max(max, 'ai.errors.tooLong'));

function money(locale: string, options: { optional: boolean }) {
  return text(64).transform((raw, ctx): number | null => {
    if (!raw.trim()) {
      if (options.optional) return null;
      ctx.addIssue({ code: 'custom', message: 'ai.errors.priceRequired' });
      return z.NEVER;
    }
    const parsed = parseDecimal(raw, locale, 6);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.error === 'tooPrecise' ? 'ai.errors.priceTooPrecise' : 'ai.errors.priceInvalid' });
      return z.NEVER;
    }
    if (parsed.value > MAX_MICROS) {
      ctx.addIssue({ code: 'custom', message: 'ai.errors.priceTooLarge' });
      return z.NEVER;
    }
    return parsed.value;
  });
}

export function modelSchema(locale: string) {
  return z.object({
    tier: z.enum(TIERS, { error: 'ai.errors.tierInvalid' }),
    capabilities: z
      .preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.enum(CAPABILITIES, { error: 'ai.errors.capabilityInvalid' })))
      .refine((list) => list.length > 0, 'ai.errors.capabilitiesRequired')
      .transform((list) => CAPABILITIES.filter((c) => list.includes(c))),
    inputPrice: money(locale, { optional: false }),
    outputPrice: money(locale, { optional: false }),
    cachedInputPrice: money(locale, { optional: true }),
    cacheWritePrice: money(locale, { optional: true }),
    audioPrice: money(locale, { optional: false }),
    batchDiscount: text(16).transform((raw, ctx) => {
      const parsed = parseDecimal(raw.trim() || '0', locale, 2);
      if (!parsed.ok || parsed.value > 10_000) {
        ctx.addIssue({ code: 'custom', message: 'ai.errors.discountInvalid' });
        return z.NEVER;
      }
      return parsed.value;
    }),
    euHosted: checkbox,
    active: checkbox,
  });
}

const apiKeySchema = z.object({
  apiKey: text(1024)
    .transform((v) => v.trim())
    .pipe(z.string().min(1, 'ai.errors.keyRequired').min(8, 'ai.errors.keyInvalid').max(512, 'ai.errors.keyInvalid').regex(/^[\x21-\x7e]+$/, 'ai.errors.keyInvalid')),
});

const baseUrlSchema = z.object({
  baseUrl: text(2048)
    .transform((v) => v.trim())
    .pipe(z.union([z.literal(''), z.url({ protocol: /^https?$/, hostname: z.regexes.hostname, error: 'ai.errors.baseUrlInvalid' })], { error: 'ai.errors.baseUrlInvalid' }))
    .transform((v) => (v === '' ? null : v.replace(/\/+$/, ''))),
});

const activeSchema = z.object({ active: z.enum(['true', 'false'], { error: 'common.errors.invalidValue' }).transform((v) => v === 'true') });

const routeSettingsSchema = z.object({
  timeoutSeconds: text(16)
    .transform((v) => v.trim())
    .pipe(z.string().regex(/^\d{1,4}$/, 'ai.errors.timeoutInvalid'))
    .transform(Number)
    .pipe(z.number().int().min(1, 'ai.errors.timeoutInvalid').max(3600, 'ai.errors.timeoutInvalid')),
  active: checkbox,
});

const periodSchema = z.object({
  period: z.enum(['24h', '7d', '30d', 'custom'], { error: 'ai.errors.periodInvalid' }).default('30d'),
  from: text(10).optional(),
  to: text(10).optional(),
});

// ---------------------------------------------------------------------------------------------------------------
// Views

export type KeyState = 'stored' | 'environment' | 'none' | 'notRequired';

export interface ProviderView {
  id: string;
  code: string;
  name: string;
  active: boolean;
  requiresApiKey: boolean;
  keyState: KeyState;
  keyLast4: string | null;
  keyUpdatedAt: Date | null;
  baseUrl: string | null;
  /** The base URL from the environment, used when no override is set. */
  environmentBaseUrl: string | null;
  euHosted: boolean;
  /** Routing may use it now (switched on and keyed, or keyed by the environment). */
  usable: boolean;
  lastTest: { at: Date; ok: boolean; kind: string | null; message: string | null } | null;
}

export interface RouteView {
  task: AiTask;
  capability: string;
  timeoutMs: number;
  active: boolean;
  chain: (AdminModelRow & { health: HealthView })[];
  /** Models with the task's capability, not yet in the chain. */
  addable: AdminModelRow[];
}

export interface HealthView {
  open: boolean;
  openUntil: Date | null;
  consecutiveFailures: number;
  lastErrorCode: string | null;
  lastError: string | null;
  lastFailureAt: Date | null;
}

export interface UsagePeriod {
  preset: '24h' | '7d' | '30d' | 'custom';
  from: Date;
  to: Date;
  /** Form values (YYYY-MM-DD, the custom dates, inclusive). */
  values: { period: string; from: string; to: string };
}

export interface TestOutcome {
  ok: boolean;
  kind: string | null;
  message: string | null;
}

export interface EnginesView {
  plan: { code: string; name: string } | null;
  tiers: { tier: 'premium' | 'standard'; models: { id: string; displayName: string; description: string; available: boolean }[] }[];
  tasks: { task: AiTask; model: { displayName: string; offline: boolean } | null }[];
  offlineOnly: boolean;
  noEngine: boolean;
  requiresEu: boolean;
}

/** Tasks shown to clients, in the order they meet them. */
const CLIENT_TASKS: AiTask[] = ['planning', 'generation', 'seo_analysis', 'summarization', 'transcription', 'moderation', 'embeddings', 'batch', 'image'];

/**
 * The super admin's management of the AI platform (provider keys and switches, model catalogue, task routes,
 * global usage) and the client's read-only view of its engines. Every change invalidates the gateway's
 * cached catalogue, so the next call routes with it.
 */
export class AiAdminService {
  constructor(
    private readonly deps: {
      aiAdminRepository: KnexAiAdminRepository;
      aiCatalogueRepository: KnexAiCatalogueRepository;
      providerRegistry: ProviderRegistry;
      secretBox: SecretBox;
      aiGateway: { invalidateCatalogue(): void };
      config: Config;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  // Providers

  async providers(): Promise<ProviderView[]> {
    return (await this.deps.aiAdminRepository.listProviders()).map((p) => this.providerView(p));
  }

  async provider(id: string): Promise<ProviderView> {
    return this.providerView(await this.requireProvider(id));
  }

  async setApiKey(id: string, input: unknown): Promise<void> {
    const provider = await this.requireProvider(id);
    if (!provider.requiresApiKey) throw new ValidationError({ apiKey: 'ai.errors.keyNotRequired' });
    const { apiKey } = parseInput(apiKeySchema, input);
    const now = this.deps.clock.now();
    await this.deps.aiAdminRepository.updateProvider(
      id,
      {
        apiKeyEncrypted: this.deps.secretBox.seal(apiKey),
        apiKeyLast4: apiKey.slice(-4),
        apiKeyUpdatedAt: now,
        // a new key has not been tested yet
        lastTestedAt: null,
        lastTestOk: null,
        lastTestError: null,
      },
      now,
    );
    this.changed({ provider: provider.code, action: 'key set' });
  }

  async removeApiKey(id: string): Promise<void> {
    const provider = await this.requireProvider(id);
    const now = this.deps.clock.now();
    await this.deps.aiAdminRepository.updateProvider(
      id,
      { apiKeyEncrypted: null, apiKeyLast4: null, apiKeyUpdatedAt: now, lastTestedAt: null, lastTestOk: null, lastTestError: null },
      now,
    );
    this.changed({ provider: provider.code, action: 'key removed' });
  }

  async setActive(id: string, input: unknown): Promise<void> {
    const provider = await this.requireProvider(id);
    const { active } = parseInput(activeSchema, input);
    await this.deps.aiAdminRepository.updateProvider(id, { active }, this.deps.clock.now());
    this.changed({ provider: provider.code, action: active ? 'switched on' : 'switched off' });
  }

  async setBaseUrl(id: string, input: unknown): Promise<void> {
    const provider = await this.requireProvider(id);
    if (provider.code === 'offline') throw new ValidationError({ baseUrl: 'ai.errors.baseUrlNotApplicable' });
    const { baseUrl } = parseInput(baseUrlSchema, input);
    await this.deps.aiAdminRepository.updateProvider(id, { baseUrl }, this.deps.clock.now());
    this.changed({ provider: provider.code, action: 'base url set' });
  }

  /**
   * A tiny real call (a few tokens) through the provider's adapter with the stored or environment key, with
   * a short deadline; the outcome is kept on the provider. Never inside a database transaction.
   */
  async testConnection(id: string): Promise<TestOutcome> {
    const provider = await this.requireProvider(id);
    const model = await this.deps.aiAdminRepository.testModelOf(id);
    let outcome: TestOutcome;
    try {
      if (!model) throw new ProviderError('unsupported', 'no chat model in the catalogue for this provider');
      const client = this.clientOf(provider);
      await withDeadline(
        client.complete({
          model: model.modelId,
          system: { stable: 'Connection test. Answer with one word.' },
          messages: [{ role: 'user', content: 'ping' }],
          maxTokens: 8,
          timeoutMs: TEST_TIMEOUT_MS,
          signal: AbortSignal.timeout(TEST_TIMEOUT_MS),
        }),
        TEST_TIMEOUT_MS + 1_000,
      );
      outcome = { ok: true, kind: null, message: null };
    } catch (err) {
      const kind: string = err instanceof ProviderError ? err.kind : err instanceof KeyUnreadableError ? 'key_unreadable' : 'network';
      const message = String((err as Error)?.message ?? err).slice(0, 500);
      outcome = { ok: false, kind, message };
    }
    await this.deps.aiAdminRepository.updateProvider(
      id,
      {
        lastTestedAt: this.deps.clock.now(),
        lastTestOk: outcome.ok,
        lastTestError: outcome.ok ? null : `${outcome.kind}: ${outcome.message}`,
      },
      this.deps.clock.now(),
    );
    this.deps.logger.info({ provider: provider.code, ok: outcome.ok, kind: outcome.kind }, 'ai provider connection tested');
    return outcome;
  }

  // Models

  models(): Promise<AdminModelRow[]> {
    return this.deps.aiAdminRepository.listModels();
  }

  async model(id: string): Promise<AdminModelRow> {
    const model = await this.deps.aiAdminRepository.findModel(id);
    if (!model) throw new NotFoundError();
    return model;
  }

  async updateModel(id: string, input: unknown, locale: string): Promise<AdminModelRow> {
    const model = await this.model(id);
    const parsed = parseInput(modelSchema(locale), input);
    const update: ModelUpdate = {
      tier: parsed.tier,
      capabilities: parsed.capabilities,
      inputPriceMicrosPerMtok: parsed.inputPrice!,
      outputPriceMicrosPerMtok: parsed.outputPrice!,
      cachedInputPriceMicrosPerMtok: parsed.cachedInputPrice,
      cacheWritePriceMicrosPerMtok: parsed.cacheWritePrice,
      audioPriceMicrosPerMinute: parsed.audioPrice!,
      batchDiscountBp: parsed.batchDiscount,
      euHosted: parsed.euHosted,
      active: parsed.active,
    };
    await this.deps.aiAdminRepository.updateModel(id, update, this.deps.clock.now());
    this.changed({ model: model.modelId, action: 'model updated' });
    return this.model(id);
  }

  // Routes

  async routes(): Promise<RouteView[]> {
    const routes = await this.deps.aiAdminRepository.listRoutes();
    const models = await this.deps.aiAdminRepository.listModels();
    const health = await this.deps.aiAdminRepository.modelHealth();
    const now = this.deps.clock.now();
    const modelById = new Map(models.map((m) => [m.id, m]));
    const healthById = new Map(health.map((h) => [h.modelId, h]));
    return AI_TASKS.map((task) => {
      const route: AdminRouteRow = routes.find((r) => r.task === task) ?? { id: '', task, timeoutMs: 60_000, active: false, modelIds: [] };
      const capability = TASK_CAPABILITY[task];
      const chain = route.modelIds
        .map((id) => modelById.get(id))
        .filter((m): m is AdminModelRow => Boolean(m))
        .map((m) => ({ ...m, health: healthView(healthById.get(m.id), now) }));
      const addable = models.filter((m) => m.capabilities.includes(capability) && !route.modelIds.includes(m.id));
      return { task, capability, timeoutMs: route.timeoutMs, active: route.active, chain, addable };
    });
  }

  async route(task: AiTask): Promise<RouteView> {
    return (await this.routes()).find((r) => r.task === task)!;
  }

  async addRouteModel(task: AiTask, input: unknown): Promise<void> {
    const { modelId } = parseInput(z.object({ modelId: z.uuid('ai.errors.modelRequired') }), input);
    const model = await this.deps.aiAdminRepository.findModel(modelId);
    if (!model) throw new ValidationError({ modelId: 'ai.errors.modelRequired' });
    if (!model.capabilities.includes(TASK_CAPABILITY[task])) throw new ValidationError({ modelId: 'ai.errors.modelLacksCapability' });
    const route = await this.currentRoute(task);
    if (route.modelIds.includes(modelId)) throw new ValidationError({ modelId: 'ai.errors.modelAlreadyInRoute' });
    await this.saveRoute(task, { ...route, modelIds: [...route.modelIds, modelId] });
  }

  async removeRouteModel(task: AiTask, modelId: string): Promise<void> {
    const route = await this.currentRoute(task);
    if (!route.modelIds.includes(modelId)) throw new NotFoundError();
    const modelIds = route.modelIds.filter((id) => id !== modelId);
    if (!modelIds.length && route.active) throw new ValidationError({ _form: 'ai.errors.lastModelOfActiveRoute' });
    await this.saveRoute(task, { ...route, modelIds });
  }

  async moveRouteModel(task: AiTask, modelId: string, direction: 'up' | 'down'): Promise<void> {
    const route = await this.currentRoute(task);
    const index = route.modelIds.indexOf(modelId);
    if (index < 0) throw new NotFoundError();
    const target = direction === 'up' ? index - 1 : index + 1;
    if (target < 0 || target >= route.modelIds.length) return;
    const modelIds = [...route.modelIds];
    [modelIds[index], modelIds[target]] = [modelIds[target], modelIds[index]];
    await this.saveRoute(task, { ...route, modelIds });
  }

  async updateRouteSettings(task: AiTask, input: unknown): Promise<void> {
    const { timeoutSeconds, active } = parseInput(routeSettingsSchema, input);
    const route = await this.currentRoute(task);
    if (active && !route.modelIds.length) throw new ValidationError({ active: 'ai.errors.routeWithoutModel' });
    await this.saveRoute(task, { ...route, timeoutMs: timeoutSeconds * 1000, active });
  }

  // Usage

  /** The period of the usage page from its query: a preset (default 30 days) or custom dates (UTC, inclusive). */
  usagePeriod(query: Record<string, unknown>): UsagePeriod {
    const raw = { period: first(query.period) || '30d', from: first(query.from), to: first(query.to) };
    const values = { period: raw.period, from: raw.from, to: raw.to };
    const parsed = periodSchema.safeParse(raw);
    if (!parsed.success) throw new ValidationError({ period: 'ai.errors.periodInvalid' });
    const now = this.deps.clock.now();
    const hours = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24 } as const;
    if (parsed.data.period !== 'custom') {
      const from = new Date(now.getTime() - hours[parsed.data.period] * 3_600_000);
      return { preset: parsed.data.period, from, to: now, values: { ...values, from: isoDay(from), to: isoDay(now) } };
    }
    const errors: Record<string, string> = {};
    const from = parseDay(raw.from);
    const to = parseDay(raw.to);
    if (!from) errors.from = 'ai.errors.dateInvalid';
    if (!to) errors.to = 'ai.errors.dateInvalid';
    if (from && to && from > to) errors.to = 'ai.errors.dateOrder';
    if (from && to && to.getTime() - from.getTime() > 366 * 86_400_000) errors.to = 'ai.errors.periodTooLong';
    if (Object.keys(errors).length) throw new ValidationError(errors);
    return { preset: 'custom', from: from!, to: new Date(to!.getTime() + 86_400_000), values };
  }

  usage(period: UsagePeriod): Promise<UsageReport> {
    return this.deps.aiAdminRepository.usage(period.from, period.to);
  }

  // The client's page

  /** The models of the tenant's plan by tier, which one serves each task for it now, and whether AI runs offline. */
  async engines(tenantId: string): Promise<EnginesView> {
    const row = await this.deps.aiAdminRepository.tenantEngines(tenantId);
    const policy = await this.deps.aiCatalogueRepository.tenantPolicy(tenantId);
    const catalogue = await this.deps.aiCatalogueRepository.loadCatalogue();
    const usableCodes = new Set<string>();
    for (const provider of catalogue.providers.values()) if (this.isUsable(provider)) usableCodes.add(provider.code);
    const tasks = CLIENT_TASKS.map((task) => {
      // the gateway's order and filters, without the transient cooldowns
      const [first] = eligibleModels(catalogue, policy, task, (p) => this.isUsable(p)).models;
      return { task, model: first ? { displayName: first.model.displayName, offline: first.provider.code === 'offline' } : null };
    });
    const tiers = TIERS.map((tier) => ({
      tier,
      models: row.models
        .filter((m) => m.tier === tier)
        .map((m) => ({ id: m.id, displayName: m.displayName, description: m.description, available: usableCodes.has(m.providerCode) })),
    })).filter((t) => t.models.length > 0);
    return {
      plan: row.plan,
      tiers,
      tasks,
      offlineOnly: usableCodes.size > 0 && [...usableCodes].every((code) => code === 'offline'),
      noEngine: usableCodes.size === 0,
      requiresEu: policy.requiresEu,
    };
  }

  // Internals

  private async requireProvider(id: string): Promise<AdminProviderRow> {
    const provider = await this.deps.aiAdminRepository.findProvider(id);
    if (!provider) throw new NotFoundError();
    return provider;
  }

  private async currentRoute(task: AiTask): Promise<AdminRouteRow> {
    const routes = await this.deps.aiAdminRepository.listRoutes();
    return routes.find((r) => r.task === task) ?? { id: '', task, timeoutMs: 60_000, active: false, modelIds: [] };
  }

  private async saveRoute(task: AiTask, route: AdminRouteRow): Promise<void> {
    await this.deps.aiAdminRepository.saveRoute(task, { modelIds: route.modelIds, timeoutMs: route.timeoutMs, active: route.active }, this.deps.clock.now());
    this.changed({ task, action: 'route saved' });
  }

  private changed(details: Record<string, unknown>): void {
    this.deps.aiGateway.invalidateCatalogue();
    this.deps.logger.info(details, 'ai catalogue changed by the super admin');
  }

  private clientOf(provider: AdminProviderRow) {
    try {
      this.deps.providerRegistry.credentials(provider);
    } catch (err) {
      throw new KeyUnreadableError(String((err as Error)?.message ?? err));
    }
    return this.deps.providerRegistry.client(provider);
  }

  private isUsable(provider: CatalogueProvider): boolean {
    try {
      return this.deps.providerRegistry.isUsable(provider);
    } catch {
      return false; // a stored key that no longer opens (master key changed)
    }
  }

  private providerView(p: AdminProviderRow): ProviderView {
    const env = this.deps.config.aiProviders[p.code as keyof AiProviderEnv];
    const keyState: KeyState = !p.requiresApiKey ? 'notRequired' : p.apiKeyEncrypted ? 'stored' : env?.apiKey ? 'environment' : 'none';
    const lastTest = p.lastTestedAt
      ? { at: p.lastTestedAt, ok: Boolean(p.lastTestOk), ...splitTestError(p.lastTestError) }
      : null;
    return {
      id: p.id,
      code: p.code,
      name: p.name,
      active: p.active,
      requiresApiKey: p.requiresApiKey,
      keyState,
      keyLast4: keyState === 'stored' ? p.apiKeyLast4 : null,
      keyUpdatedAt: p.apiKeyUpdatedAt,
      baseUrl: p.baseUrl,
      environmentBaseUrl: env?.baseUrl ?? null,
      euHosted: p.euHosted,
      usable: this.isUsable(p),
      lastTest,
    };
  }
}

/** The error kinds a test may show, translated (`ai.errorKinds.<kind>`). */
export const TEST_ERROR_KINDS: readonly (ProviderErrorKind | 'key_unreadable')[] = [
  'rate_limited',
  'overloaded',
  'server',
  'timeout',
  'network',
  'malformed',
  'auth',
  'bad_request',
  'content_filter',
  'unsupported',
  'key_unreadable',
];

class KeyUnreadableError extends Error {}

function splitTestError(stored: string | null): { kind: string | null; message: string | null } {
  if (!stored) return { kind: null, message: null };
  const match = /^([a-z_]+): ([\s\S]*)$/.exec(stored);
  return match && (TEST_ERROR_KINDS as readonly string[]).includes(match[1]) ? { kind: match[1], message: match[2] } : { kind: null, message: stored };
}

function healthView(h: ModelHealthRow | undefined, now: Date): HealthView {
  const open = Boolean(h && h.state !== 'closed' && h.openUntil && new Date(h.openUntil) > now);
  return {
    open,
    openUntil: open ? h!.openUntil : null,
    consecutiveFailures: h?.consecutiveFailures ?? 0,
    lastErrorCode: h?.lastErrorCode ?? null,
    lastError: h?.lastError ?? null,
    lastFailureAt: h?.lastFailureAt ?? null,
  };
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProviderError('timeout', `no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function first(value: unknown): string {
  return Array.isArray(value) ? String(value.at(-1) ?? '') : typeof value === 'string' ? value : '';
}

function parseDay(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || isoDay(date) !== value ? null : date;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function isTask(value: unknown): value is AiTask {
  return typeof value === 'string' && (AI_TASKS as readonly string[]).includes(value);
}
