import { socialAdapters } from '../../../adapters/social/index.js';
import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import { PublishError, type AccountCredentials, type ConnectedAccount, type SocialChannel } from '../ports.js';
import type { KnexOAuthAccountRepository, StoredCredentials, TokenFailureStatus } from './oauth-accounts.js';
import type { OAuthApps, PlatformOAuthApp } from './oauth-apps.js';

/** Before a publication, a token that runs out within this margin is refreshed first. */
export const REFRESH_BEFORE_PUBLISH_MS = 5 * 60 * 1000;
/** The hourly job refreshes tokens that run out within a day. */
export const REFRESH_AHEAD_MS = 24 * 60 * 60 * 1000;

/** Token refusals that mean the client must reconnect the account, and the status the account takes. */
const TOKEN_FAILURES: Record<string, TokenFailureStatus> = { tokenExpired: 'expired', tokenRevoked: 'error' };

export interface RefreshRun {
  checked: number;
  refreshed: number;
  failed: number;
}

/**
 * Keeps OAuth accounts' tokens usable: refreshes them ahead of their expiry (before a publication and hourly) and,
 * when the network refuses a token or its refresh, marks the account (`expired` / `error` with the reason) so the
 * client sees on the channels page that it must be reconnected.
 */
export class OAuthCredentialKeeper {
  constructor(
    private readonly deps: { oauthAccountRepository: KnexOAuthAccountRepository; oauthApps: OAuthApps; clock: Clock; logger: Logger },
  ) {}

  /** The account's credentials, refreshed first when they run out within `marginMs`. */
  async fresh(account: ConnectedAccount, app: PlatformOAuthApp, marginMs = REFRESH_BEFORE_PUBLISH_MS): Promise<AccountCredentials> {
    const stored = await this.deps.oauthAccountRepository.credentials(account.tenantId, account.id);
    if (!stored) throw new PublishError('permanent', 'tokenRevoked', 'the account has no credentials: reconnect it');
    if (!expiresWithin(stored.credentials, this.deps.clock.now(), marginMs)) return stored.credentials;
    return this.refresh(stored, app);
  }

  /** A refusal of the account's token by the network (401 on a post): the account needs reconnecting. */
  async tokenRefused(account: ConnectedAccount, err: PublishError): Promise<void> {
    const status = TOKEN_FAILURES[err.code];
    if (status) await this.deps.oauthAccountRepository.markTokenFailure(account.tenantId, account.id, status, { code: err.code, message: err.message }, this.deps.clock.now());
  }

  /** The `publishing:refresh-tokens` job: every connected network account whose token runs out within a day. */
  async refreshExpiring(): Promise<RefreshRun> {
    const now = this.deps.clock.now();
    const due = await this.deps.oauthAccountRepository.expiringBefore(new Date(now.getTime() + REFRESH_AHEAD_MS));
    const run: RefreshRun = { checked: due.length, refreshed: 0, failed: 0 };
    const apps = new Map<SocialChannel, PlatformOAuthApp | null>();
    for (const { id, tenantId } of due) {
      try {
        const stored = await this.deps.oauthAccountRepository.credentials(tenantId, id);
        if (!stored || stored.status !== 'connected') continue;
        if (!apps.has(stored.channel)) apps.set(stored.channel, await this.deps.oauthApps.forChannel(stored.channel));
        const app = apps.get(stored.channel);
        if (!app) continue; // no platform app any more: nothing can refresh it; publications will say so
        // a token that cannot be refreshed (no refresh token) is only marked once it has actually run out
        if (!stored.credentials.refreshToken && !expiresWithin(stored.credentials, now, 0)) continue;
        await this.refresh(stored, app);
        run.refreshed += 1;
      } catch (err) {
        run.failed += 1;
        if (!(err instanceof PublishError)) this.deps.logger.error({ err, tenantId, accountId: id }, 'token refresh failed');
      }
    }
    return run;
  }

  private async refresh(stored: StoredCredentials, app: PlatformOAuthApp): Promise<AccountCredentials> {
    const { oauthAccountRepository: repo, clock } = this.deps;
    const connector = socialAdapters[stored.channel]?.connector;
    if (!connector) throw new PublishError('permanent', 'networkNotConfigured', `no ${stored.channel} adapter`);
    let refreshed: AccountCredentials;
    try {
      refreshed = await connector.refresh(app, stored.credentials);
    } catch (err) {
      if (err instanceof PublishError && TOKEN_FAILURES[err.code]) {
        // another worker may have refreshed (and rotated) the token meanwhile: its tokens win over our refusal
        const now = await repo.credentials(stored.tenantId, stored.id);
        if (now && now.sealed !== stored.sealed && now.status === 'connected') return now.credentials;
        await repo.markTokenFailure(stored.tenantId, stored.id, TOKEN_FAILURES[err.code]!, { code: err.code, message: err.message }, clock.now());
      }
      throw err;
    }
    if (!(await repo.replaceCredentials(stored.tenantId, stored.id, stored.sealed, refreshed, clock.now()))) {
      const current = await repo.credentials(stored.tenantId, stored.id);
      if (current) return current.credentials;
    }
    return refreshed;
  }
}

function expiresWithin(credentials: AccountCredentials, now: Date, marginMs: number): boolean {
  if (!credentials.expiresAt) return false;
  return new Date(credentials.expiresAt).getTime() - now.getTime() <= marginMs;
}
