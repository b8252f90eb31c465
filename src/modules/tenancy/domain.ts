/** The closed vocabulary of permissions; roles are rows that list some of them. */
export const TENANT_PERMISSIONS = [
  'workspace.view',
  'brand.manage',
  'content.write',
  'content.approve',
  'publishing.manage',
  'media.manage',
  'watch.manage',
  'team.manage',
  'billing.manage',
] as const;
export const PLATFORM_PERMISSIONS = ['platform.admin'] as const;
export const DISTRIBUTOR_PERMISSIONS = ['distributor.view', 'distributor.manage'] as const;

export type Permission =
  | (typeof TENANT_PERMISSIONS)[number]
  | (typeof PLATFORM_PERMISSIONS)[number]
  | (typeof DISTRIBUTOR_PERMISSIONS)[number];

export type Scope = 'platform' | 'distributor' | 'tenant';

/** Roles a tenant owner can give to team members (by code), highest first. */
export const TEAM_ROLE_CODES = ['client_owner', 'client_editor', 'client_viewer'] as const;
export type TeamRoleCode = (typeof TEAM_ROLE_CODES)[number];

export interface Membership {
  id: string;
  userId: string;
  scope: Scope;
  tenantId: string | null;
  tenantName: string | null;
  /** The tenant's IANA time zone (dates on its pages are shown in it). */
  tenantTimezone?: string | null;
  distributorId: string | null;
  roleCode: string;
  permissions: string[];
}

export interface User {
  id: string;
  email: string;
  name: string;
  locale: string;
  status: 'active' | 'disabled';
  passwordHash: string | null;
  lastLoginAt: Date | null;
}

export interface TeamMember {
  membershipId: string;
  userId: string;
  email: string;
  name: string;
  roleCode: string;
  lastLoginAt: Date | null;
}

export interface Invitation {
  id: string;
  tenantId: string;
  email: string;
  roleCode: string;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
