import { z } from 'zod';
import { AppError, NotFoundError } from '../../../shared/errors.js';
import type { Clock } from '../../../shared/clock.js';
import { parseInput } from '../../../shared/validation.js';
import { isSocialChannel, SOCIAL_CHANNELS, type SocialChannel } from '../ports.js';
import type { KnexChannelAccountRepository } from './db/knex-channel-account-repository.js';
import type { KnexPublicationRepository } from './db/knex-publication-repository.js';
import { DISPLAY_NAME_MAX, type ChannelAccount, type PublicationView, type UnplannedContent } from './domain.js';

const E = 'publishing.errors';

const sandboxAccountSchema = z.object({
  channel: z.string().refine(isSocialChannel, `${E}.channelInvalid`),
  displayName: z
    .string(`${E}.displayNameRequired`)
    .transform((s) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(1, `${E}.displayNameRequired`).max(DISPLAY_NAME_MAX, `${E}.displayNameTooLong`)),
});

export interface ChannelsOverview {
  networks: { channel: SocialChannel; accounts: ChannelAccount[]; waiting: UnplannedContent[] }[];
  publications: PublicationView[];
  failed: PublicationView[];
  tenant: { timezone: string; locale: string };
}

export interface ContentPublications {
  content: { id: string; channel: string; status: string; scheduledAt: Date | null };
  publications: PublicationView[];
  /** A social content approved for a network where the tenant has no connected account. */
  noAccount: boolean;
  social: boolean;
  timezone: string;
}

const RECENT = 50;

/** The channels page and the content panel: accounts, sandbox connection, disconnection, retries. */
export class ChannelAccountService {
  constructor(private readonly deps: { channelAccountRepository: KnexChannelAccountRepository; publicationRepository: KnexPublicationRepository; clock: Clock }) {}

  async overview(tenantId: string): Promise<ChannelsOverview> {
    const now = this.deps.clock.now();
    const [accounts, waiting, publications, tenant] = await Promise.all([
      this.deps.channelAccountRepository.list(tenantId),
      this.deps.channelAccountRepository.unplanned(tenantId, now),
      this.deps.publicationRepository.recent(tenantId, RECENT),
      this.deps.channelAccountRepository.tenantSettings(tenantId),
    ]);
    return {
      networks: SOCIAL_CHANNELS.map((channel) => ({
        channel,
        accounts: accounts.filter((a) => a.channel === channel),
        waiting: waiting.filter((w) => w.channel === channel),
      })),
      publications,
      failed: publications.filter((p) => p.status === 'failed'),
      tenant,
    };
  }

  /** A sandbox account of `channel` named as the user typed it; publications to it are recorded, never sent. */
  async connectSandbox(tenantId: string, userId: string, input: unknown): Promise<{ id: string; channel: SocialChannel; displayName: string }> {
    const { channel, displayName } = parseInput(sandboxAccountSchema, input);
    const id = await this.deps.channelAccountRepository.createSandbox(tenantId, { channel: channel as SocialChannel, displayName, userId });
    return { id, channel: channel as SocialChannel, displayName };
  }

  async disconnect(tenantId: string, accountId: string): Promise<{ cancelled: number }> {
    const outcome = await this.deps.channelAccountRepository.revoke(tenantId, accountId, this.deps.clock.now());
    if (!outcome.revoked) throw new NotFoundError();
    return { cancelled: outcome.cancelled };
  }

  async retry(tenantId: string, publicationId: string): Promise<void> {
    const outcome = await this.deps.publicationRepository.requeue(tenantId, publicationId, this.deps.clock.now());
    if (outcome === 'notFound') throw new NotFoundError();
    if (outcome !== 'requeued') throw new AppError(`${E}.retry.${outcome}`, 409);
  }

  async forContent(tenantId: string, contentId: string): Promise<ContentPublications> {
    const content = await this.deps.publicationRepository.contentSummary(tenantId, contentId);
    if (!content) throw new NotFoundError();
    const [publications, tenant] = await Promise.all([
      this.deps.publicationRepository.forContent(tenantId, contentId),
      this.deps.channelAccountRepository.tenantSettings(tenantId),
    ]);
    const social = isSocialChannel(content.channel);
    const waiting = social && ['scheduled', 'approved'].includes(content.status) && publications.every((p) => p.status === 'cancelled');
    const noAccount = waiting && (await this.deps.publicationRepository.connectedAccountCount(tenantId, content.channel)) === 0;
    return { content, publications, noAccount, social, timezone: tenant.timezone };
  }
}
