import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import {
  EXPORT_MAX_ATTEMPTS,
  isSecretColumn,
  isStorageKeyColumn,
  type DataExport,
  type DeletionSchedule,
  type TenantTable,
} from '../gdpr-domain.js';

const EXPORT_COLUMNS = ['id', 'status', 'requestedBy', 'sizeBytes', 'tableCount', 'rowCount', 'fileCount', 'createdAt', 'completedAt', 'expiresAt'];

const DELETE_RULES: Record<string, TenantTable['onTenantDelete']> = {
  c: 'CASCADE',
  n: 'SET NULL',
  r: 'RESTRICT',
  a: 'NO ACTION',
  d: 'SET DEFAULT',
};

export interface ClaimedExport {
  id: string;
  tenantId: string;
  attempts: number;
}

/** One page of a table: each row as PostgreSQL's own JSON of it (secret columns removed) and the key to go on from. */
export interface TablePage {
  rows: string[];
  after: unknown[] | null;
}

export interface TenantDeletionOutcome {
  deletedUsers: number;
  /** Tables whose rows outlive the tenant by design (`ON DELETE SET NULL`: invoices kept for the accounting law). */
  retainedTables: string[];
}

/**
 * Persistence of the GDPR self-service: the catalogue of tenant tables (read from PostgreSQL, never a hand-kept
 * list), paged reads of a tenant's rows in its own context, the `data_exports` queue, and the deletion schedule and
 * the deletion itself (platform context, one transaction).
 */
export class KnexGdprRepository {
  private catalogue?: Promise<TenantTable[]>;

  constructor(private readonly deps: { database: Database }) {}

  // ---- catalogue ----

  /** Every base table with a `tenant_id` column, its columns, primary key and what deleting a tenant does to it. */
  tenantTables(): Promise<TenantTable[]> {
    // The schema does not change while the process runs.
    this.catalogue ??= this.deps.database
      .asPlatform(async (trx) => {
        const columns: { table_name: string; column_name: string; data_type: string }[] = (
          await trx.raw(
            `select c.table_name, c.column_name, c.data_type
               from information_schema.columns c
               join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
              where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
                and exists (select 1 from information_schema.columns k
                             where k.table_schema = c.table_schema and k.table_name = c.table_name and k.column_name = 'tenant_id')
              order by c.table_name, c.ordinal_position`,
          )
        ).rows;
        const keys: { table_name: string; column_name: string }[] = (
          await trx.raw(
            `select cl.relname as table_name, a.attname as column_name
               from pg_index i
               join pg_class cl on cl.oid = i.indrelid
               cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
               join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
              where i.indisprimary and cl.relnamespace = current_schema()::regnamespace
              order by cl.relname, k.ord`,
          )
        ).rows;
        const rules: { table_name: string; rule: string }[] = (
          await trx.raw(
            `select cl.relname as table_name, con.confdeltype::text as rule
               from pg_constraint con
               join pg_class cl on cl.oid = con.conrelid
               join pg_attribute a on a.attrelid = con.conrelid and a.attnum = con.conkey[1]
              where con.contype = 'f' and con.confrelid = 'tenants'::regclass and cardinality(con.conkey) = 1 and a.attname = 'tenant_id'`,
          )
        ).rows;
        const tables = new Map<string, TenantTable>();
        for (const c of columns) {
          const table = tables.get(c.table_name) ?? { name: c.table_name, columns: [], primaryKey: [], onTenantDelete: 'NONE' as const };
          table.columns.push({ name: c.column_name, type: c.data_type });
          tables.set(c.table_name, table);
        }
        for (const k of keys) tables.get(k.table_name)?.primaryKey.push(k.column_name);
        for (const r of rules) {
          const table = tables.get(r.table_name);
          if (table) table.onTenantDelete = DELETE_RULES[r.rule] ?? 'NONE';
        }
        return [...tables.values()];
      })
      .catch((err) => {
        this.catalogue = undefined;
        throw err;
      });
    return this.catalogue;
  }

  // ---- reading a tenant's data (its own context: row-level security applies) ----

  /** The tenant's own row. */
  tenantRow(tenantId: string): Promise<string | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { rows } = await trx.raw(`select to_jsonb(t)::text as row from tenants t where t.id = ?`, [tenantId]);
      return (rows[0]?.row as string | undefined) ?? null;
    });
  }

  /** The profile of each member of the tenant (name, e-mail, language): nothing else of their account. */
  memberProfiles(tenantId: string): Promise<string[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { rows } = await trx.raw(
        `select json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'locale', u.locale, 'created_at', u.created_at)::text as row
           from users u
          where u.id in (select m.user_id from memberships m where m.tenant_id = ?)
          order by u.email`,
        [tenantId],
      );
      return (rows as { row: string }[]).map((r) => r.row);
    });
  }

  /**
   * Up to `limit` rows of `table` after the key `after` (keyset paging on the primary key, `ctid` when there is
   * none), each as JSON text in PostgreSQL's own formats (dates `YYYY-MM-DD`, timestamps ISO with offset), secret
   * columns removed. Each page is its own short transaction.
   */
  readPage(tenantId: string, table: TenantTable, after: unknown[] | null, limit: number): Promise<TablePage> {
    const secrets = table.columns.filter((c) => isSecretColumn(c.name)).map((c) => c.name);
    const keys = table.primaryKey.length ? table.primaryKey : ['ctid'];
    const keyList = keys.map(() => '??').join(', ');
    const keySelect = keys.map((_, i) => `t.?? as k${i}`).join(', ');
    const keyRefs = keys.map((k) => `t.${k}`);
    const paramList = keys.map(() => (keys[0] === 'ctid' ? '?::tid' : '?')).join(', ');
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const bindings: Knex.RawBinding[] = [secrets, ...keys, table.name, tenantId];
      let where = 't.tenant_id = ?';
      if (after) {
        where += ` and (${keyList}) > (${paramList})`;
        bindings.push(...keyRefs, ...(after as Knex.RawBinding[]));
      }
      bindings.push(...keyRefs, limit);
      const { rows } = await trx.raw(
        `select (to_jsonb(t) - ?::text[])::text as row, ${keySelect} from ?? t where ${where} order by ${keyList} limit ?`,
        bindings,
      );
      const page = rows as Record<string, unknown>[];
      const last = page.at(-1);
      return {
        rows: page.map((r) => r.row as string),
        after: page.length === limit && last ? keys.map((_, i) => (keys[0] === 'ctid' ? String(last[`k${i}`]) : last[`k${i}`])) : null,
      };
    });
  }

  /** Every storage key the tenant's rows name, table by table (read in the tenant's context). */
  storageKeys(tenantId: string, tables: TenantTable[]): Promise<{ table: string; key: string }[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const found: { table: string; key: string }[] = [];
      for (const table of tables) {
        for (const column of table.columns.filter((c) => isStorageKeyColumn(c.name))) {
          const rows: { key: string }[] = (
            await trx.raw(`select distinct ?? as key from ?? where tenant_id = ? and ?? is not null order by 1`, [column.name, table.name, tenantId, column.name])
          ).rows;
          for (const r of rows) found.push({ table: table.name, key: r.key });
        }
      }
      return found;
    });
  }

  // ---- exports ----

  /** A new pending export, unless one is already waiting or being built (a second click changes nothing). */
  requestExport(tenantId: string, userId: string): Promise<DataExport> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      // one request at a time per tenant, even from two tabs at once
      await trx.raw(`select pg_advisory_xact_lock(hashtext('data_exports:' || ?))`, [tenantId]);
      const open = await trx('dataExports').where({ tenantId }).whereIn('status', ['pending', 'building']).orderBy('createdAt', 'desc').first(EXPORT_COLUMNS);
      if (open) return open as DataExport;
      const [created] = await trx('dataExports').insert({ tenantId, requestedBy: userId }).returning(EXPORT_COLUMNS);
      return created as DataExport;
    });
  }

  listExports(tenantId: string, limit: number): Promise<DataExport[]> {
    return this.deps.database.forTenant(tenantId, (trx) => trx('dataExports').where({ tenantId }).orderBy('createdAt', 'desc').limit(limit).select(EXPORT_COLUMNS));
  }

  async findExport(tenantId: string, id: string): Promise<(DataExport & { storageKey: string | null }) | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('dataExports').where({ tenantId, id }).first([...EXPORT_COLUMNS, 'storageKey'])) ?? null);
  }

  /**
   * Claims exports to build (platform context: the job serves every tenant): pending ones, and builds whose worker
   * stopped (lease passed). `SKIP LOCKED` keeps two workers off the same row.
   */
  claimExports(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedExport[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const due: { id: string }[] = await trx('dataExports')
        .where((q) => q.where('status', 'pending').orWhere((b) => b.where('status', 'building').where('lockedUntil', '<', now)))
        .orderBy('createdAt')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .select('id');
      if (due.length === 0) return [];
      return trx('dataExports')
        .whereIn('id', due.map((d) => d.id))
        .update({ status: 'building', lockedUntil: leaseUntil, attempts: trx.raw('attempts + 1'), updatedAt: now })
        .returning(['id', 'tenantId', 'attempts']);
    });
  }

  async markExportReady(
    tenantId: string,
    id: string,
    result: { storageKey: string; sizeBytes: number; tableCount: number; rowCount: number; fileCount: number; completedAt: Date; expiresAt: Date },
  ): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const n = await trx('dataExports')
        .where({ tenantId, id, status: 'building' })
        .update({ ...result, status: 'ready', lockedUntil: null, errorMessage: null, updatedAt: result.completedAt });
      return n > 0;
    });
  }

  /** A failed build goes back to the queue, or fails for good after the last attempt. */
  async markExportFailed(tenantId: string, id: string, message: string, now: Date): Promise<void> {
    await this.deps.database.forTenant(tenantId, (trx) =>
      trx('dataExports')
        .where({ tenantId, id, status: 'building' })
        .update({
          status: trx.raw(`case when attempts >= ? then 'failed' else 'pending' end`, [EXPORT_MAX_ATTEMPTS]),
          lockedUntil: null,
          errorMessage: message.slice(0, 2000),
          updatedAt: now,
        }),
    );
  }

  /** Ready exports whose link has run out (platform context). */
  expiredExports(now: Date): Promise<{ id: string; tenantId: string; storageKey: string | null }[]> {
    return this.deps.database.asPlatform((trx) => trx('dataExports').where('status', 'ready').where('expiresAt', '<=', now).select('id', 'tenantId', 'storageKey'));
  }

  async markExportExpired(tenantId: string, id: string, now: Date): Promise<void> {
    await this.deps.database.forTenant(tenantId, (trx) =>
      trx('dataExports').where({ tenantId, id, status: 'ready' }).update({ status: 'expired', storageKey: null, updatedAt: now }),
    );
  }

  // ---- deletion ----

  async tenantState(tenantId: string): Promise<{ name: string; locale: string; timezone: string; status: string; deletion: DeletionSchedule | null } | null> {
    const row = await this.deps.database.forTenant(tenantId, (trx) =>
      trx('tenants').where({ id: tenantId }).first('name', 'locale', 'timezone', 'status', 'deletionRequestedAt', 'deletionScheduledFor'),
    );
    if (!row) return null;
    const deletion = row.status === 'pending_deletion' && row.deletionScheduledFor ? { requestedAt: row.deletionRequestedAt, scheduledFor: row.deletionScheduledFor } : null;
    return { name: row.name, locale: row.locale, timezone: row.timezone, status: row.status, deletion };
  }

  /** Active → pending deletion (conditional: a second request changes nothing), with an audit entry naming who asked. */
  requestDeletion(tenantId: string, userId: string, requestedAt: Date, scheduledFor: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const n = await trx('tenants')
        .where({ id: tenantId, status: 'active' })
        .update({ status: 'pending_deletion', deletionRequestedAt: requestedAt, deletionScheduledFor: scheduledFor, updatedAt: requestedAt });
      if (n === 0) return false;
      await trx('auditLog').insert({
        tenantId,
        actorUserId: userId,
        action: 'tenant.deletion_requested',
        subjectType: 'tenant',
        subjectId: tenantId,
        details: { scheduledFor: scheduledFor.toISOString() },
        createdAt: requestedAt,
      });
      return true;
    });
  }

  /** Back to active, only while the grace period runs (once due, the deletion job owns the tenant). */
  cancelDeletion(tenantId: string, userId: string, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const n = await trx('tenants')
        .where({ id: tenantId, status: 'pending_deletion' })
        .where('deletionScheduledFor', '>', now)
        .update({ status: 'active', deletionRequestedAt: null, deletionScheduledFor: null, updatedAt: now });
      if (n === 0) return false;
      await trx('auditLog').insert({ tenantId, actorUserId: userId, action: 'tenant.deletion_cancelled', subjectType: 'tenant', subjectId: tenantId, createdAt: now });
      return true;
    });
  }

  /** Members whose role lets them manage the team (the owners), to be told about the deletion. */
  owners(tenantId: string): Promise<{ email: string; name: string }[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('memberships as m')
        .join('users as u', 'u.id', 'm.userId')
        .join('roles as r', 'r.id', 'm.roleId')
        .where({ 'm.tenantId': tenantId, 'u.status': 'active' })
        .whereRaw(`'team.manage' = any(r.permissions)`)
        .orderBy('u.email')
        .select('u.email', 'u.name'),
    );
  }

  /** Tenants whose grace period is over (platform context). */
  tenantsDueForDeletion(now: Date): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) =>
      (
        await trx('tenants').where('status', 'pending_deletion').where('deletionScheduledFor', '<=', now).orderBy('deletionScheduledFor').select('id')
      ).map((r: { id: string }) => r.id),
    );
  }

  /**
   * Deletes the tenant for good, in one platform transaction: rows of tables whose link to the tenant would not
   * cascade are deleted first; then the tenant row (every other tenant table cascades); then the users who belong
   * nowhere else, and the sessions still pointing at the tenant. A platform audit entry without personal data stays:
   * the tenant id, when, and who asked. Returns null when the tenant is no longer due (cancelled, already deleted).
   */
  deleteTenant(tenantId: string, now: Date, tables: TenantTable[]): Promise<TenantDeletionOutcome | null> {
    return this.deps.database.asPlatform(async (trx) => {
      const tenant = await trx('tenants')
        .where({ id: tenantId, status: 'pending_deletion' })
        .where('deletionScheduledFor', '<=', now)
        .forUpdate()
        .first('id', 'deletionRequestedAt', 'deletionScheduledFor');
      if (!tenant) return null;
      const request = await trx('auditLog').where({ tenantId, action: 'tenant.deletion_requested' }).orderBy('createdAt', 'desc').first('actorUserId');
      const members: string[] = (await trx('memberships').where({ tenantId }).distinct('userId')).map((m: { userId: string }) => m.userId);

      for (const table of tables.filter((t) => !['CASCADE', 'SET NULL'].includes(t.onTenantDelete))) {
        await trx(table.name).where({ tenantId }).delete();
      }
      await trx('tenants').where({ id: tenantId }).delete();
      const deletedUsers = await deleteOrphanUsers(trx, members);
      await trx('sessions').whereRaw(`sess->>'tenantId' = ?`, [tenantId]).delete();

      const requestedBy: string | null = request?.actorUserId ?? null;
      const requesterStillExists = requestedBy ? Boolean(await trx('users').where({ id: requestedBy }).first('id')) : false;
      await trx('auditLog').insert({
        tenantId: null,
        actorUserId: requesterStillExists ? requestedBy : null,
        action: 'tenant.deleted',
        subjectType: 'tenant',
        subjectId: tenantId,
        details: {
          requestedBy,
          requestedAt: tenant.deletionRequestedAt?.toISOString() ?? null,
          scheduledFor: tenant.deletionScheduledFor?.toISOString() ?? null,
          deletedUsers,
        },
        createdAt: now,
      });
      return { deletedUsers, retainedTables: tables.filter((t) => t.onTenantDelete === 'SET NULL').map((t) => t.name) };
    });
  }
}

/** Users left without any membership (tenant, distributor or platform) are deleted; their sessions cascade. */
async function deleteOrphanUsers(trx: Knex.Transaction, userIds: string[]): Promise<number> {
  if (userIds.length === 0) return 0;
  return trx('users')
    .whereIn('id', userIds)
    .whereNotExists(trx('memberships as m').whereRaw('m.user_id = users.id'))
    .delete();
}
