import type { Knex } from 'knex';
import { APP_ROLE, PLATFORM_ROLE } from './roles.js';

export type DatabaseKind = 'embedded' | 'postgres';

/**
 * Units of work. Every query on tenant data runs in a short transaction that first sets the role and
 * the tenant (`app.tenant_id`), so row-level security filters whatever the query forgets to.
 * Never hold one open across a network call.
 */
export class Database {
  constructor(
    readonly knex: Knex,
    readonly kind: DatabaseKind,
  ) {}

  forTenant<T>(tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.knex.transaction(async (trx) => {
      await trx.raw(`select set_config('role', ?, true), set_config('app.tenant_id', ?, true)`, [APP_ROLE, tenantId]);
      return work(trx);
    });
  }

  /** Explicit platform context: cross-tenant reads and writes (super admin, fan-out jobs, seeds of the platform). */
  asPlatform<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.knex.transaction(async (trx) => {
      await trx.raw(`select set_config('role', ?, true)`, [PLATFORM_ROLE]);
      return work(trx);
    });
  }

  async ping(): Promise<boolean> {
    try {
      await this.knex.raw('select 1');
      return true;
    } catch {
      return false;
    }
  }
}
