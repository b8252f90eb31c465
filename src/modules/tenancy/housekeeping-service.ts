import type { Database } from '../../adapters/db/database.js';
import type { Clock } from '../../shared/clock.js';
import type { SessionRepository } from './ports.js';

const INVITATION_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** Removes what has expired: sessions, and invitations long past their date. */
export class HousekeepingService {
  constructor(private readonly deps: { sessionRepository: SessionRepository; database: Database; clock: Clock }) {}

  async purgeExpired(): Promise<{ sessions: number; invitations: number }> {
    const now = this.deps.clock.now();
    const sessions = await this.deps.sessionRepository.deleteExpired(now);
    const cutoff = new Date(now.getTime() - INVITATION_RETENTION_MS);
    const invitations = await this.deps.database.asPlatform((trx) =>
      trx('invitations').where('expiresAt', '<', cutoff).orWhere('revokedAt', '<', cutoff).delete(),
    );
    return { sessions, invitations };
  }
}
