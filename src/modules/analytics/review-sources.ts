import { GoogleBusinessReviews } from '../../adapters/social/google/reviews.js';
import type { OAuthApps } from '../publishing/engine/oauth-apps.js';
import type { OAuthCredentialKeeper } from '../publishing/engine/oauth-credentials.js';
import { PublishError, type ConnectedAccount, type OAuthApp, type SocialChannel } from '../publishing/ports.js';
import type { ReviewSource } from './review-ports.js';

/** The networks whose reviews Cadence reads and answers. */
const ADAPTERS: Partial<Record<SocialChannel, (app: OAuthApp) => ReviewSource>> = {
  google_business: (app) => new GoogleBusinessReviews(app),
};

/**
 * Runs a review call on an account's real network: the platform's OAuth app and the account's decrypted credentials,
 * refreshed first when they run out soon. A token the network refuses marks the account for reconnection, as for
 * publishing.
 */
export class ReviewSources {
  constructor(private readonly deps: { oauthApps: OAuthApps; oauthCredentialKeeper: OAuthCredentialKeeper }) {}

  async withAccount<T>(account: ConnectedAccount, work: (source: ReviewSource, ready: ConnectedAccount) => Promise<T>): Promise<T> {
    const adapter = ADAPTERS[account.channel];
    const app = adapter ? await this.deps.oauthApps.forChannel(account.channel) : null;
    if (!adapter || !app || account.sandbox) throw new PublishError('permanent', 'networkNotConfigured', `no ${account.channel} review adapter or platform app`);
    const credentials = await this.deps.oauthCredentialKeeper.fresh(account, app);
    try {
      return await work(adapter(app), { ...account, credentials });
    } catch (err) {
      if (err instanceof PublishError && err.options.status === 401) await this.deps.oauthCredentialKeeper.tokenRefused(account, err);
      throw err;
    }
  }
}
