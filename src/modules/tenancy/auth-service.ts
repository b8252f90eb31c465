import type { Clock } from '../../shared/clock.js';
import { DEFAULT_LOCALE, isLocale } from '../../shared/i18n.js';
import type { Viewer } from '../../shared/http/request.js';
import { normalizeEmail, type User } from './domain.js';
import type { MembershipRepository, PasswordHasher, UserRepository } from './ports.js';

export class AuthService {
  private dummyHash?: Promise<string>;

  constructor(
    private readonly deps: {
      userRepository: UserRepository;
      membershipRepository: MembershipRepository;
      passwordHasher: PasswordHasher;
      clock: Clock;
    },
  ) {}

  /** Returns the user when the password matches; spends the same time whether the email exists or not. */
  async authenticate(email: string, password: string): Promise<User | null> {
    const user = await this.deps.userRepository.findByEmail(normalizeEmail(email));
    if (!user || !user.passwordHash || user.status !== 'active') {
      this.dummyHash ??= this.deps.passwordHasher.hash('timing-equaliser');
      await this.deps.passwordHasher.verify(await this.dummyHash, password);
      return null;
    }
    if (!(await this.deps.passwordHasher.verify(user.passwordHash, password))) return null;
    await this.deps.userRepository.recordLogin(user.id, this.deps.clock.now());
    return user;
  }

  /** Who the user is for this request, working in `preferredTenantId` when they belong to it. */
  async loadViewer(userId: string, preferredTenantId?: string): Promise<Viewer | null> {
    const found = await this.deps.membershipRepository.findUserWithMemberships(userId);
    if (!found || found.user.status !== 'active') return null;
    const { user, memberships } = found;
    const tenantMemberships = memberships.filter((m) => m.scope === 'tenant' && m.tenantId);
    const current = tenantMemberships.find((m) => m.tenantId === preferredTenantId) ?? tenantMemberships[0];
    return {
      userId: user.id,
      email: user.email,
      name: user.name,
      locale: isLocale(user.locale) ? user.locale : DEFAULT_LOCALE,
      isPlatformAdmin: memberships.some((m) => m.scope === 'platform' && m.permissions.includes('platform.admin')),
      tenant: current
        ? { id: current.tenantId!, name: current.tenantName ?? '', timezone: current.tenantTimezone ?? 'Europe/Paris', roleCode: current.roleCode, permissions: current.permissions }
        : undefined,
      tenants: tenantMemberships.map((m) => ({ id: m.tenantId!, name: m.tenantName ?? '' })),
    };
  }

  /** Where a user lands after login: the super admin on /admin, everyone else in the portal. */
  landingPath(viewer: Viewer): string {
    if (viewer.tenant) return '/app';
    if (viewer.isPlatformAdmin) return '/admin';
    return '/app';
  }
}
