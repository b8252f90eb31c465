import type { Database } from '../../../../adapters/db/database.js';
import type { ConnectorKind } from '../kinds.js';

export interface ConnectorRow {
  id: string;
  kind: ConnectorKind;
  name: string;
  settings: Record<string, unknown>;
  secretsEncrypted: string | null;
  active: boolean;
  isDefault: boolean;
  lastTestedAt: Date | null;
  lastTestResult: 'ok' | 'failed' | null;
  lastTestMessage: string | null;
  updatedAt: Date;
}

export interface ConnectorWrite {
  kind: ConnectorKind;
  name: string;
  settings: Record<string, unknown>;
  secretsEncrypted: string | null;
  active: boolean;
}

export interface PlanRow {
  id: string;
  code: string;
  name: string;
  active: boolean;
  connectors: { connectorCode: string; inclusion: 'included' | 'addon' }[];
}

export interface TenantPlanRow {
  plan: { code: string; name: string } | null;
  /** plan_connectors of the current plan. */
  planConnectors: { connectorCode: string; inclusion: 'included' | 'addon' }[];
  /** Active subscription_connectors (what the plan includes and the add-ons bought). */
  subscribed: string[];
}

const COLUMNS = ['id', 'kind', 'name', 'settings', 'secretsEncrypted', 'active', 'isDefault', 'lastTestedAt', 'lastTestResult', 'lastTestMessage', 'updatedAt'];

/**
 * Platform connectors (`distributor_id` null: the platform's own; distributors' connectors are V2) and the plans'
 * connector lists, in the platform context; the tenant's plan in its own context.
 */
export class KnexPlatformConnectorRepository {
  constructor(private readonly deps: { database: Database }) {}

  list(): Promise<ConnectorRow[]> {
    return this.deps.database.asPlatform((trx) =>
      trx('platformConnectors').whereNull('distributorId').orderBy([{ column: 'kind' }, { column: 'name' }]).select<ConnectorRow[]>(COLUMNS),
    );
  }

  find(id: string): Promise<ConnectorRow | undefined> {
    return this.deps.database.asPlatform((trx) => trx('platformConnectors').where({ id }).whereNull('distributorId').first<ConnectorRow | undefined>(COLUMNS));
  }

  /** Inserts; the first connector of its kind becomes the default. */
  insert(row: ConnectorWrite, now: Date): Promise<string> {
    return this.deps.database.asPlatform(async (trx) => {
      const existingDefault = await trx('platformConnectors').where({ kind: row.kind, isDefault: true }).whereNull('distributorId').first('id');
      const [inserted] = (await trx('platformConnectors')
        .insert({ ...row, settings: JSON.stringify(row.settings), isDefault: !existingDefault, createdAt: now, updatedAt: now })
        .returning('id')) as { id: string }[];
      return inserted.id;
    });
  }

  async update(id: string, patch: Partial<ConnectorWrite> & Partial<Pick<ConnectorRow, 'lastTestedAt' | 'lastTestResult' | 'lastTestMessage'>>, now: Date): Promise<void> {
    const values: Record<string, unknown> = { ...patch, updatedAt: now };
    if (patch.settings) values.settings = JSON.stringify(patch.settings);
    await this.deps.database.asPlatform((trx) => trx('platformConnectors').where({ id }).whereNull('distributorId').update(values));
  }

  /** The test outcome only: a test is not an edit, so `updated_at` (which the readers order by) stays. */
  async recordTest(id: string, result: { at: Date; ok: boolean; message: string }): Promise<void> {
    await this.deps.database.asPlatform((trx) =>
      trx('platformConnectors').where({ id }).update({ lastTestedAt: result.at, lastTestResult: result.ok ? 'ok' : 'failed', lastTestMessage: result.message }),
    );
  }

  /** Makes this connector the default (and active) of its kind; the previous default stops being it. */
  async makeDefault(id: string, kind: ConnectorKind, now: Date): Promise<void> {
    await this.deps.database.asPlatform(async (trx) => {
      await trx('platformConnectors').where({ kind, isDefault: true }).whereNull('distributorId').whereNot({ id }).update({ isDefault: false, updatedAt: now });
      await trx('platformConnectors').where({ id }).update({ isDefault: true, active: true, updatedAt: now });
    });
  }

  async delete(id: string): Promise<void> {
    await this.deps.database.asPlatform((trx) => trx('platformConnectors').where({ id }).whereNull('distributorId').delete());
  }

  /** Connected client accounts (all tenants) that go through this connector. */
  async accountsUsing(id: string): Promise<number> {
    const row = await this.deps.database.asPlatform((trx) => trx('channelAccounts').where({ platformConnectorId: id }).count<{ count: string | number }[]>('* as count').first());
    return Number(row?.count ?? 0);
  }

  /** Kinds with an active default connector: what the platform can serve now. */
  async configuredKinds(): Promise<Set<string>> {
    const rows = await this.deps.database.asPlatform((trx) =>
      trx('platformConnectors').where({ active: true, isDefault: true }).whereNull('distributorId').distinct<{ kind: string }[]>('kind'),
    );
    return new Set(rows.map((r) => r.kind));
  }

  // Plans

  plans(): Promise<PlanRow[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const plans = await trx('plans').orderBy([{ column: 'sortOrder' }, { column: 'name' }]).select<Omit<PlanRow, 'connectors'>[]>('id', 'code', 'name', 'active');
      const links = await trx('planConnectors').select<{ planId: string; connectorCode: string; inclusion: 'included' | 'addon' }[]>('planId', 'connectorCode', 'inclusion');
      return plans.map((p) => ({ ...p, connectors: links.filter((l) => l.planId === p.id).map(({ connectorCode, inclusion }) => ({ connectorCode, inclusion })) }));
    });
  }

  /**
   * Sets which of the `managed` codes the plan includes. A paid add-on row of a code left unticked stays (it is
   * the billing's offer); ticking it makes it included.
   */
  async setPlanConnectors(planId: string, included: string[], managed: string[], now: Date): Promise<boolean> {
    return this.deps.database.asPlatform(async (trx) => {
      const plan = await trx('plans').where({ id: planId }).first('id', 'currency');
      if (!plan) return false;
      const existing = await trx('planConnectors').where({ planId }).whereIn('connectorCode', managed).select<{ connectorCode: string; inclusion: string }[]>('connectorCode', 'inclusion');
      const removed = existing.filter((e) => e.inclusion === 'included' && !included.includes(e.connectorCode)).map((e) => e.connectorCode);
      if (removed.length) await trx('planConnectors').where({ planId }).whereIn('connectorCode', removed).delete();
      for (const code of included) {
        const row = existing.find((e) => e.connectorCode === code);
        if (!row) await trx('planConnectors').insert({ planId, connectorCode: code, inclusion: 'included', addonPriceCents: 0, currency: plan.currency, createdAt: now, updatedAt: now });
        else if (row.inclusion !== 'included') await trx('planConnectors').where({ planId, connectorCode: code }).update({ inclusion: 'included', addonPriceCents: 0, updatedAt: now });
      }
      return true;
    });
  }

  /** The tenant's current plan (its subscription that is not cancelled) and what it includes. */
  tenantPlan(tenantId: string): Promise<TenantPlanRow> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const sub = await trx('subscriptions as s')
        .join('plans as p', 'p.id', 's.planId')
        .where('s.tenantId', tenantId)
        .whereNot('s.status', 'cancelled')
        .orderBy('s.createdAt', 'desc')
        .first<{ id: string; planId: string; code: string; name: string } | undefined>('s.id', 's.planId', 'p.code', 'p.name');
      if (!sub) return { plan: null, planConnectors: [], subscribed: [] };
      const planConnectors = await trx('planConnectors').where({ planId: sub.planId }).select<TenantPlanRow['planConnectors']>('connectorCode', 'inclusion');
      const subscribed = await trx('subscriptionConnectors').where({ tenantId, subscriptionId: sub.id, status: 'active' }).pluck('connectorCode');
      return { plan: { code: sub.code, name: sub.name }, planConnectors, subscribed };
    });
  }
}
