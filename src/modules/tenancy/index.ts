import { asClass, asFunction, type AwilixContainer } from 'awilix';
import type { Config } from '../../config.js';
import type { Database } from '../../adapters/db/database.js';
import { Argon2PasswordHasher } from '../../adapters/crypto/argon2-password-hasher.js';
import type { JobDefinition } from '../../shared/jobs.js';
import { AuthService } from './auth-service.js';
import { KnexInvitationRepository } from './db/knex-invitation-repository.js';
import { KnexMembershipRepository } from './db/knex-membership-repository.js';
import { KnexSessionStore } from './db/knex-session-store.js';
import { KnexUserRepository } from './db/knex-user-repository.js';
import { HousekeepingService } from './housekeeping-service.js';
import { KnexGdprRepository } from './db/knex-gdpr-repository.js';
import { GdprDeletionService } from './gdpr-deletion-service.js';
import { GdprExportService } from './gdpr-export-service.js';
import { gdprRoutes } from './gdpr-routes.js';
import { PlatformDirectory } from './platform-directory.js';
import type { InvitationRepository, MembershipRepository, PasswordHasher, UserRepository } from './ports.js';
import { tenancyRoutes } from './routes.js';
import { TeamService } from './team-service.js';

export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export interface TenancyCradle {
  userRepository: UserRepository;
  membershipRepository: MembershipRepository;
  invitationRepository: InvitationRepository;
  sessionStore: KnexSessionStore;
  sessionRepository: KnexSessionStore;
  passwordHasher: PasswordHasher;
  authService: AuthService;
  teamService: TeamService;
  platformDirectory: PlatformDirectory;
  housekeepingService: HousekeepingService;
  gdprRepository: KnexGdprRepository;
  gdprExportService: GdprExportService;
  gdprDeletionService: GdprDeletionService;
}

export function registerTenancy(container: AwilixContainer): void {
  container.register({
    userRepository: asClass(KnexUserRepository).singleton(),
    membershipRepository: asClass(KnexMembershipRepository).singleton(),
    invitationRepository: asClass(KnexInvitationRepository).singleton(),
    sessionStore: asFunction(({ database }: { database: Database }) => new KnexSessionStore(database.knex, SESSION_TTL_MS)).singleton(),
    sessionRepository: asFunction(({ sessionStore }: { sessionStore: KnexSessionStore }) => sessionStore).singleton(),
    passwordHasher: asClass(Argon2PasswordHasher).singleton(),
    authService: asClass(AuthService).singleton(),
    teamService: asClass(TeamService).singleton(),
    platformDirectory: asClass(PlatformDirectory).singleton(),
    housekeepingService: asClass(HousekeepingService).singleton(),
    gdprRepository: asClass(KnexGdprRepository).singleton(),
    gdprExportService: asClass(GdprExportService).singleton(),
    gdprDeletionService: asClass(GdprDeletionService).singleton(),
  });
}

export function tenancyJobs(cradle: TenancyCradle): JobDefinition[] {
  return [
    { name: 'tenancy:purge-expired', every: '1 hour', run: () => cradle.housekeepingService.purgeExpired() },
    { name: 'tenancy:build-data-exports', every: '1 minute', run: () => cradle.gdprExportService.buildDue() },
    { name: 'tenancy:delete-due-tenants', every: '0 3 * * *', timezone: 'Europe/Paris', run: () => cradle.gdprDeletionService.deleteDue() },
  ];
}

export function tenancyRouter(cradle: TenancyCradle & { config: Config }) {
  const router = tenancyRoutes(cradle);
  router.use(gdprRoutes(cradle));
  return router;
}
