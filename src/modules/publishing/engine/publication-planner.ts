import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import type { KnexPublicationRepository } from './db/knex-publication-repository.js';
import { MAX_LATENESS_MS, PLANNING_HORIZON_MS } from './domain.js';

export interface PlanRun {
  tenants: number;
  created: number;
  requeued: number;
  moved: number;
}

/**
 * Gives approved (scheduled) social contents due within the hour one publication per connected account of their
 * network, with its outbox message. Runs every minute; idempotent by construction (deterministic keys). A content
 * whose network has no account stays scheduled: the portal flags it.
 */
export class PublicationPlanner {
  constructor(private readonly deps: { publicationRepository: KnexPublicationRepository; clock: Clock; logger: Logger }) {}

  async run(): Promise<PlanRun> {
    const now = this.deps.clock.now();
    const from = new Date(now.getTime() - MAX_LATENESS_MS);
    const until = new Date(now.getTime() + PLANNING_HORIZON_MS);
    const run: PlanRun = { tenants: 0, created: 0, requeued: 0, moved: 0 };
    for (const tenantId of await this.deps.publicationRepository.tenantsWithDueContents(from, until)) {
      try {
        const planned = await this.deps.publicationRepository.plan(tenantId, from, until, now);
        run.tenants += 1;
        run.created += planned.created;
        run.requeued += planned.requeued;
        run.moved += planned.moved;
      } catch (err) {
        // one tenant's failure never holds the others back
        this.deps.logger.error({ err, tenantId }, 'publication planning failed for a tenant');
      }
    }
    return run;
  }
}
