import type { Clock } from '../../shared/clock.js';
import type { ConversionKeys } from './conversions-key.js';
import { parseConversion } from './conversions-input.js';
import type { ConversionRow, ConversionSource, KnexConversionRepository } from './db/knex-conversion-repository.js';

export const LATEST_CONVERSIONS = 20;

export type ConversionOutcome =
  | { kind: 'recorded'; id: string; created: boolean }
  | { kind: 'invalid'; field: string; code: string }
  | { kind: 'unknownKey' };

/** Conversions reported by the client's site (endpoint or pixel) under the tenant's signed key, and their settings page. */
export class ConversionService {
  constructor(private readonly deps: { conversionKeys: ConversionKeys; conversionRepository: KnexConversionRepository; clock: Clock }) {}

  /** Validates and records; an unknown or forged key, or a tenant no longer active, records nothing. */
  async record(key: string, raw: unknown, source: ConversionSource): Promise<ConversionOutcome> {
    const tenantId = this.deps.conversionKeys.tenantOf(key);
    if (!tenantId || !(await this.deps.conversionRepository.acceptsConversions(tenantId))) return { kind: 'unknownKey' };
    const parsed = parseConversion(raw, this.deps.clock.now());
    if (!parsed.ok) return { kind: 'invalid', field: parsed.field, code: parsed.code };
    return { kind: 'recorded', ...(await this.deps.conversionRepository.record(tenantId, source, parsed.value)) };
  }

  async settings(tenantId: string, baseUrl: string): Promise<{ key: string; endpoint: string; pixel: string; latest: ConversionRow[] }> {
    const key = this.deps.conversionKeys.keyOf(tenantId);
    return {
      key,
      endpoint: `${baseUrl}/c/${key}`,
      pixel: `${baseUrl}/c/${key}/pixel.gif`,
      latest: await this.deps.conversionRepository.latest(tenantId, LATEST_CONVERSIONS),
    };
  }
}
