import crypto from 'node:crypto';
import type {
  CompletionRequest,
  CompletionResult,
  EmbeddingResult,
  ModelProvider,
  ModerationResult,
  StreamEvent,
  Usage,
} from '../../modules/ai/ports.js';

/**
 * The provider of a machine with no AI key: composes content deterministically, in-process, from what the
 * gateway gives it — the tenant's stable context (brand DNA in `<brand_dna>` JSON, when present) and the
 * brief. Nothing leaves the machine; the UI and the call log say "offline". Same input, same output.
 */
export class OfflineModelProvider implements ModelProvider {
  readonly code = 'offline' as const;

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const brief = lastUserMessage(request);
    const text = request.json
      ? JSON.stringify(valueForSchema(request.json.schema, brief, 'root'))
      : composePost(brief, brandOf(request.system.stable), request.maxTokens);
    return { text, usage: usageOf(request, text), model: request.model, finishReason: 'stop' };
  }

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const result = await this.complete(request);
    for (const piece of result.text.match(/\S+\s*/g) ?? []) yield { type: 'delta', text: piece };
    yield { type: 'done', result };
  }

  async embed(request: { model: string; inputs: string[] }): Promise<EmbeddingResult> {
    const vectors = request.inputs.map((input) => {
      const digest = crypto.createHash('sha256').update(input).digest();
      return Array.from({ length: 16 }, (_, i) => (digest[i] - 128) / 128);
    });
    const tokens = request.inputs.reduce((n, s) => n + Math.ceil(s.length / 4), 0);
    return { vectors, usage: { inputTokens: tokens, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 } };
  }

  /** No model behind it: nothing is flagged here; the brand-safety rules (banned words, claims) still run in code. */
  async moderate(): Promise<ModerationResult> {
    return { flagged: false, categories: {} };
  }
}

interface BrandHints {
  name?: string;
  offers: string[];
  keywords: string[];
  callToAction?: string;
}

// Cadence's generation templates give context first, then the client's brief, then a closing instruction.
const BRIEF_HEADING = /(?:Brief du client|Client's brief|Brief initial|Original brief)\s*:\s*\n/;

/** What the client asked for: the brief section of a generation template, else the whole last user message. */
function lastUserMessage(request: CompletionRequest): string {
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  const text = (user?.content ?? '').trim();
  const heading = BRIEF_HEADING.exec(text);
  if (!heading) return text;
  const paragraphs = text.slice(heading.index + heading[0].length).trim().split(/\n\s*\n/);
  // the template's last paragraph is its instruction ("Rédige le contenu final…"), not the brief
  return (paragraphs.length > 1 ? paragraphs.slice(0, -1) : paragraphs).join('\n\n').trim();
}

function brandOf(stable: string): BrandHints {
  const match = /<brand_dna>([\s\S]*?)<\/brand_dna>/.exec(stable);
  if (!match) return { offers: [], keywords: [] };
  try {
    const dna = JSON.parse(match[1]) as Record<string, unknown>;
    const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
    const names = (v: unknown): string[] =>
      Array.isArray(v)
        ? v.map((o) => (typeof o === 'string' ? o : text((o as Record<string, unknown>)?.name))).filter((s): s is string => Boolean(s))
        : [];
    const identity = (dna.identity ?? {}) as Record<string, unknown>;
    const seo = (dna.seo ?? {}) as Record<string, unknown>;
    return {
      name: text(identity.name) ?? text(dna.name),
      offers: names(dna.offers),
      keywords: names(dna.keywords ?? seo.keywords),
      callToAction: text(dna.callToAction),
    };
  } catch {
    return { offers: [], keywords: [] };
  }
}

function composePost(brief: string, brand: BrandHints, maxTokens: number): string {
  const topic = firstSentence(brief) || 'notre actualité';
  const lines = [
    brand.name ? `${brand.name} — ${topic}` : topic,
    '',
    brand.offers.length ? `Au programme : ${brand.offers.slice(0, 3).join(', ')}.` : `Tout ce qu'il faut savoir : ${lowerFirst(topic)}`,
    brand.callToAction ?? 'Passez nous voir ou écrivez-nous pour en savoir plus.',
  ];
  if (brand.keywords.length) lines.push('', brand.keywords.slice(0, 4).map((k) => `#${k.replace(/[^\p{L}\p{N}]+/gu, '')}`).join(' '));
  return lines.join('\n').slice(0, Math.max(200, maxTokens * 4));
}

function firstSentence(text: string): string {
  return text.split(/(?<=[.!?])\s/)[0]?.slice(0, 160).trim() ?? '';
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  minItems?: number;
  minimum?: number;
  anyOf?: JsonSchema[];
  format?: string;
};

/** A value that satisfies the schema, built from the brief's own words. */
function valueForSchema(schema: JsonSchema, brief: string, key: string): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.anyOf?.length) return valueForSchema(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0], brief, key);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, valueForSchema(s, brief, k)]));
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => valueForSchema(schema.items ?? { type: 'string' }, brief, key));
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return schema.format === 'uri' ? 'https://example.com/' : firstSentence(brief) || key;
  }
}

function usageOf(request: CompletionRequest, text: string): Usage {
  const input = [request.system.stable, request.system.variable ?? '', ...request.messages.map((m) => m.content)].join('\n');
  return { inputTokens: Math.ceil(input.length / 4), outputTokens: Math.ceil(text.length / 4), cachedInputTokens: 0, cacheWriteTokens: 0 };
}
