import crypto from 'node:crypto';
import type { SecretBox } from '../../../adapters/crypto/secret-box.js';
import { socialAdapters } from '../../../adapters/social/index.js';
import { AppError } from '../../../shared/errors.js';
import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/logger.js';
import { isSocialChannel, PublishError, type DiscoveredAccount, type SocialChannel } from '../ports.js';
import type { KnexOAuthAccountRepository } from './oauth-accounts.js';
import type { OAuthApps } from './oauth-apps.js';

/** How long the user has to come back from the network's consent screen. */
export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000;
const MAX_PENDING = 5;

/** A connection started in this browser session: the CSRF `state` of OAuth, PKCE verifier and tenant it is for. */
export interface PendingConnection {
  channel: SocialChannel;
  tenantId: string;
  codeVerifier: string;
  redirectUri: string;
  expiresAt: number;
}

/** Accounts discovered at the callback, waiting for the user to choose (sealed: they carry tokens). */
export interface PendingChoice {
  channel: SocialChannel;
  tenantId: string;
  connectorId: string;
  sealedAccounts: string;
  expiresAt: number;
}

export interface ChoosableAccount {
  externalAccountId: string;
  accountType: string;
  displayName: string;
}

export type CallbackOutcome =
  | { kind: 'connected'; names: string[] }
  | { kind: 'choose'; choice: PendingChoice; accounts: ChoosableAccount[] };

const E = 'publishing.oauth.errors';

/**
 * Connecting a network account with OAuth 2: the authorisation redirect (state + PKCE), the callback (state check,
 * code exchange, discovered accounts) and saving the chosen accounts encrypted. Session handling stays in the routes.
 */
export class ChannelConnectService {
  constructor(
    private readonly deps: { oauthApps: OAuthApps; oauthAccountRepository: KnexOAuthAccountRepository; secretBox: SecretBox; clock: Clock; logger: Logger },
  ) {}

  /** Networks whose "Connect with …" button works: a real adapter and an active platform app. */
  async connectable(): Promise<SocialChannel[]> {
    const channels = Object.keys(socialAdapters).filter(isSocialChannel);
    const ready = await Promise.all(channels.map(async (c) => ((await this.deps.oauthApps.forChannel(c)) ? c : null)));
    return ready.filter((c): c is SocialChannel => c !== null);
  }

  async start(tenantId: string, channelParam: string, redirectUri: string): Promise<{ state: string; pending: PendingConnection; url: string }> {
    const channel = this.channel(channelParam);
    const app = await this.deps.oauthApps.forChannel(channel);
    if (!app) throw new AppError(`${E}.notConfigured`, 409);
    const state = crypto.randomBytes(24).toString('base64url');
    const codeVerifier = crypto.randomBytes(48).toString('base64url');
    const codeChallenge = crypto.createHash('sha256').update(codeVerifier).digest('base64url');
    const url = socialAdapters[channel]!.connector.authorizationUrl(app, { state, redirectUri, codeChallenge });
    return { state, url, pending: { channel, tenantId, codeVerifier, redirectUri, expiresAt: this.deps.clock.now().getTime() + OAUTH_STATE_TTL_MS } };
  }

  /**
   * The network sent the user back. `pending` is what the session held for the returned state (already removed
   * from it): a missing, expired or foreign one is refused, as is a refusal on the network's side.
   */
  async finish(
    tenantId: string,
    userId: string,
    channelParam: string,
    pending: PendingConnection | undefined,
    query: { code?: unknown; error?: unknown },
  ): Promise<CallbackOutcome> {
    const channel = this.channel(channelParam);
    const now = this.deps.clock.now();
    if (!pending || pending.channel !== channel || pending.tenantId !== tenantId || pending.expiresAt < now.getTime()) throw new AppError(`${E}.stateInvalid`, 400);
    if (typeof query.error === 'string' && query.error) throw new AppError(`${E}.denied`, 400);
    if (typeof query.code !== 'string' || !query.code) throw new AppError(`${E}.stateInvalid`, 400);
    const app = await this.deps.oauthApps.forChannel(channel);
    if (!app) throw new AppError(`${E}.notConfigured`, 409);
    let accounts: DiscoveredAccount[];
    try {
      accounts = await socialAdapters[channel]!.connector.connect(app, { code: query.code, redirectUri: pending.redirectUri, codeVerifier: pending.codeVerifier });
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      this.deps.logger.warn({ err: err.message, tenantId, channel }, 'oauth connection refused by the network');
      throw new AppError(`${E}.exchangeFailed`, 502);
    }
    if (!accounts.length) throw new AppError(`${E}.noAccounts`, 400);
    if (accounts.length === 1) {
      await this.deps.oauthAccountRepository.saveConnected(tenantId, { channel, connectorId: app.connectorId, account: accounts[0]!, userId, now });
      return { kind: 'connected', names: [accounts[0]!.displayName] };
    }
    return {
      kind: 'choose',
      choice: { channel, tenantId, connectorId: app.connectorId, sealedAccounts: this.deps.secretBox.seal(JSON.stringify(accounts)), expiresAt: now.getTime() + OAUTH_STATE_TTL_MS },
      accounts: accounts.map(({ externalAccountId, accountType, displayName }) => ({ externalAccountId, accountType, displayName })),
    };
  }

  choosable(choice: PendingChoice): ChoosableAccount[] {
    return this.open(choice).map(({ externalAccountId, accountType, displayName }) => ({ externalAccountId, accountType, displayName }));
  }

  /** Saves the accounts the user ticked among those discovered (others are dropped with their tokens). */
  async choose(tenantId: string, userId: string, channelParam: string, choice: PendingChoice | undefined, picked: unknown): Promise<string[]> {
    const channel = this.channel(channelParam);
    const now = this.deps.clock.now();
    if (!choice || choice.channel !== channel || choice.tenantId !== tenantId || choice.expiresAt < now.getTime()) throw new AppError(`${E}.stateInvalid`, 400);
    const wanted = new Set((Array.isArray(picked) ? picked : [picked]).filter((v): v is string => typeof v === 'string'));
    const accounts = this.open(choice).filter((a) => wanted.has(a.externalAccountId));
    if (!accounts.length) throw new AppError(`${E}.noneChosen`, 422);
    for (const account of accounts) {
      await this.deps.oauthAccountRepository.saveConnected(tenantId, { channel, connectorId: choice.connectorId, account, userId, now });
    }
    return accounts.map((a) => a.displayName);
  }

  /** Pending connections kept in a session: the live ones, newest last, at most a few (several tabs). */
  prune<T extends { expiresAt: number }>(pending: Record<string, T> | undefined): Record<string, T> {
    const now = this.deps.clock.now().getTime();
    const live = Object.entries(pending ?? {}).filter(([, p]) => p.expiresAt >= now);
    return Object.fromEntries(live.slice(-MAX_PENDING));
  }

  private open(choice: PendingChoice): DiscoveredAccount[] {
    return JSON.parse(this.deps.secretBox.open(choice.sealedAccounts)) as DiscoveredAccount[];
  }

  private channel(value: string): SocialChannel {
    if (!isSocialChannel(value) || !socialAdapters[value]) throw new AppError(`${E}.notConfigured`, 404);
    return value;
  }
}
