import type { Invitation, Membership, TeamMember, User } from './domain.js';

export interface UserRepository {
  /** Platform context: login happens before any tenant is known. */
  findByEmail(email: string): Promise<User | null>;
  create(input: { email: string; name: string; passwordHash: string; locale: string }): Promise<User>;
  setLocale(userId: string, locale: string): Promise<void>;
  setPassword(userId: string, passwordHash: string): Promise<void>;
  recordLogin(userId: string, at: Date): Promise<void>;
}

export interface MembershipRepository {
  /** Platform context: the user and every scope they belong to, with role and permissions (one round trip). */
  findUserWithMemberships(userId: string): Promise<{ user: User; memberships: Membership[] } | null>;
  grantPlatformRole(userId: string, roleCode: string): Promise<void>;
  listTeam(tenantId: string): Promise<TeamMember[]>;
  findTeamMember(tenantId: string, membershipId: string): Promise<TeamMember | null>;
  addToTenant(tenantId: string, userId: string, roleCode: string): Promise<void>;
  changeRole(tenantId: string, membershipId: string, roleCode: string): Promise<void>;
  remove(tenantId: string, membershipId: string): Promise<void>;
  countWithRole(tenantId: string, roleCode: string): Promise<number>;
}

export interface InvitationRepository {
  create(tenantId: string, input: { email: string; roleCode: string; tokenHash: string; invitedBy: string; expiresAt: Date }): Promise<Invitation>;
  listPending(tenantId: string, now: Date): Promise<Invitation[]>;
  revoke(tenantId: string, invitationId: string, at: Date): Promise<boolean>;
  /** Platform context: the invitee has no session yet; the token is the proof. */
  findByTokenHash(tokenHash: string): Promise<(Invitation & { tenantName: string }) | null>;
  markAccepted(tenantId: string, invitationId: string, at: Date): Promise<void>;
}

export interface SessionRepository {
  deleteExpired(now: Date): Promise<number>;
  deleteForUser(userId: string): Promise<number>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}
