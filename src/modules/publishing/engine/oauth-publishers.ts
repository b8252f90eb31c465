import { socialAdapters } from '../../../adapters/social/index.js';
import { PublishError, type ConnectedAccount, type OutgoingPost, type PublishResult, type SocialPublisher } from '../ports.js';
import type { OAuthApps, PlatformOAuthApp } from './oauth-apps.js';
import type { OAuthCredentialKeeper } from './oauth-credentials.js';

/**
 * The real network behind a non-sandbox account: the channel's adapter (src/adapters/social) with the platform's
 * OAuth app and the account's decrypted, freshly refreshed credentials. A token the network refuses marks the
 * account for reconnection before the error reaches the relay.
 */
export class NetworkPublishers {
  constructor(private readonly deps: { oauthApps: OAuthApps; oauthCredentialKeeper: OAuthCredentialKeeper }) {}

  publisherFor(account: ConnectedAccount): SocialPublisher {
    const adapter = socialAdapters[account.channel];
    if (!adapter) throw notConfigured(account);
    const { oauthApps, oauthCredentialKeeper: keeper } = this.deps;

    const withAccount = async <T>(work: (publisher: SocialPublisher, ready: ConnectedAccount) => Promise<T>): Promise<T> => {
      const app: PlatformOAuthApp | null = await oauthApps.forChannel(account.channel);
      if (!app) throw notConfigured(account);
      const credentials = await keeper.fresh(account, app);
      try {
        return await work(adapter.publisher(app), { ...account, credentials });
      } catch (err) {
        if (err instanceof PublishError && err.options.status === 401) await keeper.tokenRefused(account, err);
        throw err;
      }
    };

    return {
      channel: account.channel,
      publish: (_account: ConnectedAccount, post: OutgoingPost, key: string): Promise<PublishResult> => withAccount((p, ready) => p.publish(ready, post, key)),
      findPublished: (_account: ConnectedAccount, post: OutgoingPost, key: string, since: Date): Promise<PublishResult | null> =>
        withAccount((p, ready) => p.findPublished(ready, post, key, since)),
    };
  }
}

function notConfigured(account: ConnectedAccount): PublishError {
  return new PublishError('permanent', 'networkNotConfigured', `no ${account.channel} adapter or platform app is configured`);
}
