import crypto from 'node:crypto';
import type { Database } from '../../../adapters/db/database.js';
import {
  PublishError,
  type ConnectedAccount,
  type OutgoingPost,
  type PublisherRegistry,
  type PublishResult,
  type SocialChannel,
  type SocialPublisher,
} from '../ports.js';
import type { SandboxPayload } from './domain.js';

/**
 * The sandbox network: records in `sandbox_deliveries` the request a real adapter would have made, in the account's
 * tenant, and answers like a network. It deliberately does not de-duplicate on the idempotency key: every call is a
 * "post", so exactly-once is the engine's doing (and the crash tests prove it), not the sandbox's.
 */
export class SandboxPublisher implements SocialPublisher {
  constructor(
    readonly channel: SocialChannel,
    private readonly database: Database,
  ) {}

  async publish(account: ConnectedAccount, post: OutgoingPost, idempotencyKey: string): Promise<PublishResult> {
    const fakeExternalId = `sandbox-${this.channel}-${crypto.randomUUID()}`;
    const payload: SandboxPayload = {
      channel: this.channel,
      account: { id: account.id, externalAccountId: account.externalAccountId, displayName: account.displayName },
      text: post.text,
      title: post.title,
      media: post.media.map((m) => ({ filename: m.filename, mimeType: m.mimeType, altText: m.altText })),
      idempotencyKey,
    };
    await this.database.forTenant(account.tenantId, async (trx) => {
      const publication = await trx('publications').where({ tenantId: account.tenantId, idempotencyKey }).first('id');
      await trx('sandboxDeliveries').insert({
        tenantId: account.tenantId,
        channel: this.channel,
        channelAccountId: account.id,
        publicationId: publication?.id ?? null,
        recipient: account.displayName,
        payload: JSON.stringify(payload),
        fakeExternalId,
      });
    });
    return { externalPostId: fakeExternalId, url: null };
  }

  async findPublished(account: ConnectedAccount, _post: OutgoingPost, idempotencyKey: string, since: Date): Promise<PublishResult | null> {
    const row = await this.database.forTenant(account.tenantId, (trx) =>
      trx('sandboxDeliveries')
        .where({ tenantId: account.tenantId, channel: this.channel, channelAccountId: account.id })
        .where('createdAt', '>=', since)
        .whereRaw(`payload->>'idempotencyKey' = ?`, [idempotencyKey])
        .orderBy('createdAt')
        .first('fakeExternalId'),
    );
    return row ? { externalPostId: row.fakeExternalId as string, url: null } : null;
  }
}

/**
 * Which publisher an account goes out through. Sandbox accounts get the sandbox; a network account gets its real
 * adapter through `networkPublishers` (OAuth app + refreshed credentials). Without it (a registry built for the
 * sandbox only) or without an adapter for the network, a real account is refused permanently with a readable reason.
 */
export class EnginePublisherRegistry implements PublisherRegistry {
  private readonly sandboxes = new Map<SocialChannel, SandboxPublisher>();

  constructor(private readonly deps: { database: Database; networkPublishers?: Pick<PublisherRegistry, 'publisherFor'> }) {}

  publisherFor(account: ConnectedAccount): SocialPublisher {
    if (!account.sandbox) {
      const network = this.deps.networkPublishers;
      if (!network) throw new PublishError('permanent', 'networkNotConfigured', `no ${account.channel} adapter is configured on this platform`);
      return network.publisherFor(account);
    }
    let sandbox = this.sandboxes.get(account.channel);
    if (!sandbox) {
      sandbox = new SandboxPublisher(account.channel, this.deps.database);
      this.sandboxes.set(account.channel, sandbox);
    }
    return sandbox;
  }
}
