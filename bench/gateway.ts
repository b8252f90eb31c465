import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { Knex } from 'knex';
import type { CompletionRequest, CompletionResult } from '../src/modules/ai/ports.js';
import { startAiEmulator, type AiEmulator } from '../test/support/ai-emulator/index.js';
import { createTenant } from '../test/support/tenants.js';
import { startContainer } from './support/container.js';

/**
 * `gateway`: the overhead of one `AiGateway.generate` call (routing, credit reservation, the provider call
 * through the Anthropic adapter, the `ai_calls` log, settlement) against the same request sent directly with
 * the official `@anthropic-ai/sdk` client, both to the provider emulator answering with no added latency.
 * Sequential calls, in alternating blocks, in the same process and run.
 */

const settings = {
  calls: Number(process.env.BENCH_GATEWAY_CALLS ?? 300),
  warmup_calls: Number(process.env.BENCH_GATEWAY_WARMUP ?? 30),
  block: Number(process.env.BENCH_GATEWAY_BLOCK ?? 10),
  max_tokens: 200,
};

const MODEL = 'claude-sonnet-4-6';
const PROMPT = 'Annonce Instagram : notre nouvelle tarte aux pommes caramélisées, disponible dès samedi matin en boutique.';
const TENANT_CREDITS = 100_000_000;

interface GatewaySample {
  total: number;
  beforeProvider: number;
  provider: number;
  afterProvider: number;
}

export async function run() {
  // The SDK warns on every request for a model with an announced end of life (claude-sonnet-4-6 has one): both
  // paths would print it on each call. It is counted and kept off the terminal while the benchmark runs.
  const warn = console.warn;
  let deprecationWarnings = 0;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('is deprecated and will reach end-of-life')) deprecationWarnings++;
    else warn(...args);
  };
  const emulator = await startAiEmulator();
  try {
    emulator.latencyMs = [0, 0];
    const bench = await startContainer({
      ANTHROPIC_API_KEY: 'sk-ant-bench',
      ANTHROPIC_BASE_URL: emulator.baseUrl('anthropic'),
      OPENAI_API_KEY: 'sk-openai-bench',
      OPENAI_BASE_URL: `${emulator.baseUrl('openai')}/v1`,
      MISTRAL_API_KEY: 'mistral-bench',
      MISTRAL_BASE_URL: emulator.baseUrl('mistral'),
    });
    try {
      const figures = await measure(emulator, bench.container.cradle);
      return { ...figures, sdk_deprecation_warnings: deprecationWarnings };
    } finally {
      await bench.stop();
    }
  } finally {
    await emulator.stop();
    console.warn = warn;
  }
}

async function measure(emulator: AiEmulator, cradle: Awaited<ReturnType<typeof startContainer>>['container']['cradle']) {
  const { aiGateway, database } = cradle;
  const tenant = await createTenant(database, { plan: 'growth', credits: TENANT_CREDITS });
  let charged = 0;
  let gatewayCalls = 0;

  // Times the provider call inside the gateway: the adapter instance the gateway uses (the registry keeps one
  // per provider, key and base URL) is wrapped, so each gateway call splits into before / provider / after.
  const catalogue = await cradle.aiCatalogueRepository.loadCatalogue();
  const anthropic = catalogue.providers.get('anthropic');
  if (!anthropic) throw new Error('no anthropic provider in the catalogue');
  const adapter = cradle.providerRegistry.client(anthropic);
  const complete = adapter.complete.bind(adapter);
  let providerSpan: { start: number; end: number } | undefined;
  adapter.complete = async (request: CompletionRequest): Promise<CompletionResult> => {
    const start = performance.now();
    try {
      return await complete(request);
    } finally {
      providerSpan = { start, end: performance.now() };
    }
  };

  const gatewayCall = async (): Promise<GatewaySample> => {
    providerSpan = undefined;
    const start = performance.now();
    const result = await aiGateway.generate({ tenantId: tenant.id, task: 'generation', prompt: PROMPT, maxTokens: settings.max_tokens });
    const end = performance.now();
    if (result.model.modelId !== MODEL || result.fallbackUsed || !result.text) {
      throw new Error(`gateway answered with ${result.model.modelId} (fallback: ${result.fallbackUsed}), text: ${JSON.stringify(result.text.slice(0, 80))}`);
    }
    if (!providerSpan) throw new Error('the gateway did not call the wrapped Anthropic adapter');
    const span: { start: number; end: number } = providerSpan;
    charged += result.credits;
    gatewayCalls++;
    return { total: end - start, beforeProvider: span.start - start, provider: span.end - span.start, afterProvider: end - span.end };
  };

  // One gateway call, to replay its exact request body with the SDK directly.
  emulator.requests.length = 0;
  await gatewayCall();
  const sent = emulator.requestsTo('anthropic').find((r) => r.path === '/v1/messages');
  if (!sent) throw new Error('the gateway sent nothing to the emulator’s /v1/messages');
  const body = sent.body as MessageCreateParamsNonStreaming;
  if (body.model !== MODEL) throw new Error(`the gateway sent model ${body.model}`);
  const client = new Anthropic({ apiKey: 'sk-ant-bench', baseURL: emulator.baseUrl('anthropic'), maxRetries: 0 });
  const directCall = async (): Promise<number> => {
    const start = performance.now();
    const message = await client.messages.create(body);
    const end = performance.now();
    if (!message.content.length) throw new Error('the direct call got an empty message');
    return end - start;
  };

  // Round trips to the database, counted on the container's knex (BEGIN, SET, COMMIT included).
  const queries = new QueryCounter(cradle.knex);

  const direct: number[] = [];
  const gateway: GatewaySample[] = [];
  const blocks = Math.ceil((settings.warmup_calls + settings.calls) / settings.block);
  for (let b = 0; b < blocks; b++) {
    const warm = b * settings.block < settings.warmup_calls;
    if (!warm && !queries.counting) queries.start();
    // ABBA: each kind goes first in every other block, so neither always follows the other.
    const order = b % 2 === 0 ? (['direct', 'gateway'] as const) : (['gateway', 'direct'] as const);
    for (const kind of order) {
      for (let i = 0; i < settings.block; i++) {
        if (kind === 'direct') {
          const ms = await directCall();
          if (!warm) direct.push(ms);
        } else {
          const sample = await gatewayCall();
          if (!warm) gateway.push(sample);
        }
      }
    }
    emulator.requests.length = 0; // the emulator records every request: keep memory flat
  }
  // The model-health write is scheduled after each answer (setImmediate): let the last one land before counting.
  await new Promise((resolve) => setTimeout(resolve, 100));
  queries.stop();

  // The ledger must tell the same story: every call logged, every reservation settled, every credit accounted for.
  const checks = await database.forTenant(tenant.id, async (trx) => {
    const account = await trx('creditAccounts').where({ tenantId: tenant.id }).first('balance', 'reserved');
    const calls = await trx('aiCalls').where({ tenantId: tenant.id, status: 'ok' }).count<{ n: number }[]>('* as n');
    const reservations = await trx('creditReservations').where({ tenantId: tenant.id }).select('status').count<{ status: string; n: number }[]>('* as n').groupBy('status');
    return { account, calls: Number(calls[0].n), reservations: Object.fromEntries(reservations.map((r) => [r.status, Number(r.n)])) };
  });
  if (checks.calls !== gatewayCalls) throw new Error(`${gatewayCalls} gateway calls but ${checks.calls} ok row(s) in ai_calls`);
  if (checks.account.reserved !== 0 || (checks.reservations.settled ?? 0) !== gatewayCalls) {
    throw new Error(`reservations not all settled: ${JSON.stringify(checks)}`);
  }
  if (checks.account.balance !== TENANT_CREDITS - charged) {
    throw new Error(`balance ${checks.account.balance}, expected ${TENANT_CREDITS - charged} (${charged} credits charged)`);
  }

  const directMs = summary(direct);
  const gatewayMs = summary(gateway.map((s) => s.total));
  const calls = gateway.length;
  return {
    calls,
    direct: directMs,
    gateway: gatewayMs,
    p50_added_ms: round(gatewayMs.p50_ms - directMs.p50_ms),
    p95_added_ms: round(gatewayMs.p95_ms - directMs.p95_ms),
    ratio: round(gatewayMs.p50_ms / directMs.p50_ms, 3),
    target_p50_added_ms: 1,
    target_met: gatewayMs.p50_ms - directMs.p50_ms < 1,
    db_queries_per_call: round(queries.total / calls),
    db_transactions_per_call: round((queries.byKind.begin ?? 0) / calls),
    db_queries_by_kind: Object.fromEntries(Object.entries(queries.byKind).map(([k, n]) => [k, round(n / calls)])),
    db_time_ms_per_call: round(queries.totalMs / calls),
    gateway_phases: {
      before_provider: summary(gateway.map((s) => s.beforeProvider)),
      provider: summary(gateway.map((s) => s.provider)),
      after_provider: summary(gateway.map((s) => s.afterProvider)),
    },
    checks: { ai_calls_logged: checks.calls, reservations: checks.reservations, credits_charged: charged },
    settings: {
      ...settings,
      model: MODEL,
      task: 'generation',
      order: `alternating blocks of ${settings.block} (ABBA), warm-up not counted`,
      emulator_latency_ms: 0,
      system_prompt_chars: JSON.stringify(body.system ?? '').length,
      prompt_chars: PROMPT.length,
      db_pool_max: cradle.config.dbPoolMax,
      direct_client: '@anthropic-ai/sdk messages.create, maxRetries 0, the gateway’s request body replayed',
    },
  };
}

/** Classifies the SQL the gateway sends, so the count per call says which round trips it pays for. */
function kindOf(sql: string): string {
  const s = sql.trim().toLowerCase();
  if (/^begin/.test(s)) return 'begin';
  if (/^commit/.test(s)) return 'commit';
  if (/^rollback/.test(s)) return 'rollback';
  if (s.includes('set_config')) return 'set_role_and_tenant';
  if (s.includes('ai_model_health')) return 'model_health_upsert';
  if (s.includes('insert into "ai_calls"')) return 'ai_calls_insert';
  if (s.includes('from "plan_ai_models"') || s.includes('plan_ai_models')) return 'tenant_policy';
  if (s.includes('insert into credit_reservations')) return 'reserve_write';
  if (s.includes('"credit_accounts"') && s.includes('for update')) return 'reserve_lock_account';
  if (s.includes('for update of a, r')) return 'settle_lock';
  if (s.includes("status = 'settled'")) return 'settle_write';
  if (s.includes('credit_rates')) return 'credit_rate';
  if (/"ai_(providers|models|task_routes|route_fallbacks)"/.test(s)) return 'catalogue';
  if (s.includes('prompt_layers')) return 'prompt_layers';
  return `other: ${s.slice(0, 60)}`;
}

class QueryCounter {
  counting = false;
  total = 0;
  totalMs = 0;
  readonly byKind: Record<string, number> = {};
  private readonly started = new Map<string, number>();

  constructor(private readonly knex: Knex) {}

  private readonly onQuery = (q: { sql: string; __knexQueryUid?: string }) => {
    this.total++;
    const kind = kindOf(q.sql);
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    if (q.__knexQueryUid) this.started.set(q.__knexQueryUid, performance.now());
  };

  private readonly onDone = (_response: unknown, q: { __knexQueryUid?: string }) => {
    const at = q.__knexQueryUid ? this.started.get(q.__knexQueryUid) : undefined;
    if (at === undefined) return;
    this.totalMs += performance.now() - at;
    this.started.delete(q.__knexQueryUid!);
  };

  start(): void {
    this.counting = true;
    this.knex.on('query', this.onQuery).on('query-response', this.onDone).on('query-error', this.onDone);
  }

  stop(): void {
    this.counting = false;
    this.knex.off('query', this.onQuery).off('query-response', this.onDone).off('query-error', this.onDone);
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50_ms: round(percentile(sorted, 50)), p95_ms: round(percentile(sorted, 95)) };
}

function round(n: number, digits = 2): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}
