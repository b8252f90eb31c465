import type { Knex } from 'knex';

/**
 * The active members of a tenant whose role grants `permission` — the people a tenant's e-mails go to (reminders,
 * alerts, failures). Callers add what they select (`u.email`, `u.name`, `u.id`…) and the order.
 */
export function membersWithPermission(trx: Knex.Transaction, tenantId: string, permission: string): Knex.QueryBuilder {
  return trx('memberships as m')
    .join('users as u', 'u.id', 'm.userId')
    .join('roles as r', 'r.id', 'm.roleId')
    .where({ 'm.scope': 'tenant', 'm.tenantId': tenantId, 'u.status': 'active' })
    .whereRaw('? = any(r.permissions)', [permission]);
}

/**
 * Keeps a platform job's rows to tenants that are active: a workspace suspended or awaiting deletion gets nothing
 * published, sent or generated. `tenantIdColumn` is the job's table's column (`outbox_messages.tenant_id`).
 */
export function ofActiveTenant(trx: Knex.Transaction, tenantIdColumn: string): Knex.QueryBuilder {
  return trx('tenants as active_tenant').whereRaw('active_tenant.id = ??', [tenantIdColumn]).where('active_tenant.status', 'active').select(trx.raw('1'));
}
