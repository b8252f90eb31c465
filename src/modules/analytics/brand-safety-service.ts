import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import { parseInput } from '../../shared/validation.js';
import type { KnexBrandSafetyRepository } from './db/knex-brand-safety-repository.js';
import { FLAG_ACTIONS, type BrandSafetyFlagView, type FlagFilter } from './brand-safety-domain.js';

const E = 'reputation.errors';

const actionSchema = z.object({
  action: z.enum(FLAG_ACTIONS, { error: `${E}.flagActionInvalid` }),
  note: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().max(2_000, `${E}.noteTooLong`).optional()),
});

/**
 * The brand-safety flags of a tenant and the team's decisions: resolve (fixed) or dismiss (not a problem), each
 * recording who and when. Only an open flag can be decided; another tenant's is not
 * found.
 */
export class BrandSafetyService {
  constructor(private readonly deps: { brandSafetyRepository: KnexBrandSafetyRepository; clock: Clock }) {}

  list(tenantId: string, filter: FlagFilter): Promise<BrandSafetyFlagView[]> {
    return this.deps.brandSafetyRepository.list(tenantId, filter);
  }

  async get(tenantId: string, flagId: string): Promise<BrandSafetyFlagView> {
    const flag = isUuid(flagId) ? await this.deps.brandSafetyRepository.find(tenantId, flagId) : null;
    if (!flag) throw new NotFoundError();
    return flag;
  }

  async decide(tenantId: string, userId: string, flagId: string, input: { action?: unknown; note?: unknown }): Promise<BrandSafetyFlagView> {
    const { action, note } = parseInput(actionSchema, input);
    await this.get(tenantId, flagId);
    const repo = this.deps.brandSafetyRepository;
    const now = this.deps.clock.now();
    const done = await repo.close(tenantId, flagId, action === 'resolve' ? 'resolved' : 'dismissed', userId, note ?? null, now);
    if (!done) throw new AppError(`${E}.flagClosed`, 409);
    return this.get(tenantId, flagId);
  }
}
