import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { NotFoundError } from '../../../shared/errors.js';
import type { Invitation } from '../domain.js';
import type { InvitationRepository } from '../ports.js';
import { InvitationModel, RoleModel } from './models.js';

function invitationQuery(trx: Knex.Transaction) {
  return trx('invitations as i')
    .join('roles as r', 'r.id', 'i.roleId')
    .select('i.id', 'i.tenantId', 'i.email', 'r.code as roleCode', 'i.expiresAt', 'i.acceptedAt', 'i.revokedAt');
}

export class KnexInvitationRepository implements InvitationRepository {
  constructor(private readonly deps: { database: Database }) {}

  create(
    tenantId: string,
    input: { email: string; roleCode: string; tokenHash: string; invitedBy: string; expiresAt: Date },
  ): Promise<Invitation> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const role = await RoleModel.query(trx).findOne({ code: input.roleCode });
      if (!role) throw new NotFoundError('tenancy.errors.unknownRole');
      const row = await InvitationModel.query(trx).insertAndFetch({
        tenantId,
        email: input.email,
        roleId: role.id,
        tokenHash: input.tokenHash,
        invitedBy: input.invitedBy,
        expiresAt: input.expiresAt,
      });
      return { id: row.id, tenantId, email: row.email, roleCode: role.code, expiresAt: row.expiresAt, acceptedAt: null, revokedAt: null };
    });
  }

  listPending(tenantId: string, now: Date): Promise<Invitation[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      invitationQuery(trx).whereNull('i.acceptedAt').whereNull('i.revokedAt').where('i.expiresAt', '>', now).orderBy('i.createdAt', 'desc'),
    );
  }

  revoke(tenantId: string, invitationId: string, at: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const n = await InvitationModel.query(trx).patch({ revokedAt: at }).where({ id: invitationId }).whereNull('acceptedAt');
      return n > 0;
    });
  }

  findByTokenHash(tokenHash: string): Promise<(Invitation & { tenantName: string }) | null> {
    return this.deps.database.asPlatform(async (trx) => {
      const row = await invitationQuery(trx)
        .join('tenants as t', 't.id', 'i.tenantId')
        .select('t.name as tenantName')
        .where('i.tokenHash', tokenHash)
        .first();
      return row ?? null;
    });
  }

  async markAccepted(tenantId: string, invitationId: string, at: Date): Promise<void> {
    await this.deps.database.forTenant(tenantId, async (trx) => { await InvitationModel.query(trx).patch({ acceptedAt: at }).where({ id: invitationId }); });
  }
}
