/** Deterministic content for the emulator: the same prompt always gets the same answer. */

/** A rough token count (≈ 4 characters a token), as providers report usage. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

// Cadence's generation templates put the client's brief after the context: a plausible answer is about the brief.
const BRIEF_HEADING = /(?:Brief du client|Client's brief|Brief initial|Original brief)\s*:\s*\n/;

/** A short, plausible answer that quotes the start of the last user message (or of its brief), cut to `maxTokens`. */
export function composeText(prompt: string, maxTokens = 256): string {
  const brief = BRIEF_HEADING.exec(prompt);
  const about = brief ? prompt.slice(brief.index + brief[0].length) : prompt;
  const subject = about.replace(/\s+/g, ' ').trim().slice(0, 120);
  const text = `Réponse de l'émulateur. Sujet : ${subject}. Ce texte est généré de façon déterministe pour les tests.`;
  return text.slice(0, maxTokens * 4);
}

/** Splits a text into streaming chunks of a few words. */
export function chunks(text: string, wordsPerChunk = 3): string[] {
  const words = text.split(/(?<=\s)/);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerChunk) out.push(words.slice(i, i + wordsPerChunk).join(''));
  return out;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  minItems?: number;
  minimum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
};

/** A value that satisfies a (simple) JSON Schema: what a well-behaved model returns for structured output. */
export function valueForSchema(schema: JsonSchema, key = 'value'): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const variant = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (variant) return valueForSchema(variant, key);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(schema.properties ?? {})) out[k] = valueForSchema(s, k);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => valueForSchema(schema.items ?? { type: 'string' }, key));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return schema.format === 'uri' ? 'https://example.com/' : `${key} (émulateur)`;
  }
}
