import { BaseModel } from '../../../adapters/db/base-model.js';

export class UserModel extends BaseModel {
  static override tableName = 'users';
  id!: string;
  email!: string;
  name!: string;
  locale!: string;
  status!: 'active' | 'disabled';
  passwordHash!: string | null;
  lastLoginAt!: Date | null;
}

export class RoleModel extends BaseModel {
  static override tableName = 'roles';
  id!: string;
  code!: string;
  scope!: string;
  permissions!: string[];
}

export class MembershipModel extends BaseModel {
  static override tableName = 'memberships';
  id!: string;
  userId!: string;
  scope!: 'platform' | 'distributor' | 'tenant';
  tenantId!: string | null;
  distributorId!: string | null;
  roleId!: string;
}

export class InvitationModel extends BaseModel {
  static override tableName = 'invitations';
  id!: string;
  tenantId!: string;
  email!: string;
  roleId!: string;
  tokenHash!: string;
  invitedBy!: string | null;
  expiresAt!: Date;
  acceptedAt!: Date | null;
  revokedAt!: Date | null;
}

export class TenantModel extends BaseModel {
  static override tableName = 'tenants';
  id!: string;
  distributorId!: string;
  name!: string;
  slug!: string;
  status!: string;
  locale!: string;
  timezone!: string;
  createdAt!: Date;
}

export class DistributorModel extends BaseModel {
  static override tableName = 'distributors';
  id!: string;
  parentId!: string | null;
  code!: string;
  name!: string;
  kind!: string;
  status!: string;
  createdAt!: Date;
}
