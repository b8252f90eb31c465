import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { normalizeEmail, TEAM_ROLE_CODES, type Invitation, type TeamMember, type TeamRoleCode } from './domain.js';
import type { InvitationRepository, MembershipRepository, PasswordHasher, SessionRepository, UserRepository } from './ports.js';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
const OWNER: TeamRoleCode = 'client_owner';

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export class TeamService {
  constructor(
    private readonly deps: {
      membershipRepository: MembershipRepository;
      invitationRepository: InvitationRepository;
      userRepository: UserRepository;
      sessionRepository: SessionRepository;
      passwordHasher: PasswordHasher;
      clock: Clock;
    },
  ) {}

  async overview(tenantId: string): Promise<{ members: TeamMember[]; invitations: Invitation[] }> {
    const [members, invitations] = await Promise.all([
      this.deps.membershipRepository.listTeam(tenantId),
      this.deps.invitationRepository.listPending(tenantId, this.deps.clock.now()),
    ]);
    return { members, invitations };
  }

  /** Creates an invitation and returns the one-time token (only its hash is stored). */
  async invite(tenantId: string, invitedBy: string, email: string, roleCode: TeamRoleCode): Promise<{ invitation: Invitation; token: string }> {
    const normalized = normalizeEmail(email);
    const team = await this.deps.membershipRepository.listTeam(tenantId);
    if (team.some((m) => normalizeEmail(m.email) === normalized)) throw new ValidationError({ email: 'tenancy.errors.alreadyMember' });
    const token = crypto.randomBytes(32).toString('base64url');
    const invitation = await this.deps.invitationRepository.create(tenantId, {
      email: normalized,
      roleCode,
      tokenHash: hashToken(token),
      invitedBy,
      expiresAt: new Date(this.deps.clock.now().getTime() + INVITATION_TTL_MS),
    });
    return { invitation, token };
  }

  async revokeInvitation(tenantId: string, invitationId: string): Promise<void> {
    if (!(await this.deps.invitationRepository.revoke(tenantId, invitationId, this.deps.clock.now()))) throw new NotFoundError();
  }

  async changeRole(tenantId: string, membershipId: string, roleCode: TeamRoleCode): Promise<void> {
    const member = await this.deps.membershipRepository.findTeamMember(tenantId, membershipId);
    if (!member) throw new NotFoundError();
    await this.keepOneOwner(tenantId, member, roleCode);
    await this.deps.membershipRepository.changeRole(tenantId, membershipId, roleCode);
  }

  async remove(tenantId: string, membershipId: string): Promise<void> {
    const member = await this.deps.membershipRepository.findTeamMember(tenantId, membershipId);
    if (!member) throw new NotFoundError();
    await this.keepOneOwner(tenantId, member, null);
    await this.deps.membershipRepository.remove(tenantId, membershipId);
    await this.deps.sessionRepository.deleteForUser(member.userId);
  }

  async findInvitation(token: string): Promise<Invitation & { tenantName: string }> {
    const invitation = await this.deps.invitationRepository.findByTokenHash(hashToken(token));
    if (!invitation || invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt <= this.deps.clock.now()) {
      throw new AppError('tenancy.errors.invitationInvalid', 404);
    }
    return invitation;
  }

  /** The invitee joins the tenant: an existing account must prove its password, a new one sets it. */
  async acceptInvitation(token: string, input: { name: string; password: string; locale: string }): Promise<{ userId: string; tenantId: string }> {
    const invitation = await this.findInvitation(token);
    let user = await this.deps.userRepository.findByEmail(invitation.email);
    if (user) {
      if (!user.passwordHash || !(await this.deps.passwordHasher.verify(user.passwordHash, input.password))) {
        throw new ValidationError({ password: 'tenancy.errors.existingAccountPassword' });
      }
    } else {
      user = await this.deps.userRepository.create({
        email: invitation.email,
        name: input.name,
        passwordHash: await this.deps.passwordHasher.hash(input.password),
        locale: input.locale,
      });
    }
    await this.deps.membershipRepository.addToTenant(invitation.tenantId, user.id, invitation.roleCode);
    await this.deps.invitationRepository.markAccepted(invitation.tenantId, invitation.id, this.deps.clock.now());
    return { userId: user.id, tenantId: invitation.tenantId };
  }

  private async keepOneOwner(tenantId: string, member: TeamMember, newRole: TeamRoleCode | null): Promise<void> {
    if (member.roleCode !== OWNER || newRole === OWNER) return;
    if ((await this.deps.membershipRepository.countWithRole(tenantId, OWNER)) <= 1) {
      throw new AppError('tenancy.errors.lastOwner', 409);
    }
  }
}

export function isTeamRole(value: unknown): value is TeamRoleCode {
  return typeof value === 'string' && (TEAM_ROLE_CODES as readonly string[]).includes(value);
}
