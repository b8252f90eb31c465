import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Cradle } from '../../../../src/container.js';
import type { RevenueCradle } from '../../../../src/modules/analytics/revenue-module.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';
import { session, type Session } from '../calendar/approval-support.js';

/** Shared set-up of the revenue, business-metric and report tests: a tenant of their own and its marketing rows. */

export const cradle = (): Cradle & RevenueCradle => testEnv().container.cradle as Cradle & RevenueCradle;
export const app = () => testEnv().app;
export const tag = () => crypto.randomBytes(4).toString('hex');

export interface RevenueTeam {
  tenantId: string;
  owner: Session;
  viewer: Session;
}

export async function revenueTeam(options: { locale?: string; name?: string; createdAt?: Date } = {}): Promise<RevenueTeam> {
  const tenant = await createTenant(cradle().database, { locale: options.locale, name: options.name });
  if (options.createdAt) await cradle().database.asPlatform((trx) => trx('tenants').where({ id: tenant.id }).update({ createdAt: options.createdAt }));
  const [owner, viewer] = await Promise.all([session(tenant.id, 'client_owner', 'Olivia Owner'), session(tenant.id, 'client_viewer', 'Victor Viewer')]);
  return { tenantId: tenant.id, owner, viewer };
}

export interface Counts {
  impressions?: number;
  reactions?: number;
  comments?: number;
  shares?: number;
  clicks?: number;
}

/** Inserts a tenant's marketing rows in its own context (row-level security checks every insert). */
export class MarketingFixtures {
  private accountId: string | null = null;
  constructor(readonly tenantId: string) {}

  tx<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return cradle().database.forTenant(this.tenantId, work);
  }

  private async account(): Promise<string> {
    if (!this.accountId) {
      const [row] = await this.tx((trx) =>
        trx('channelAccounts').insert({ tenantId: this.tenantId, channel: 'linkedin', externalAccountId: `acct-${this.tenantId}`, displayName: 'Page' }).returning('id'),
      );
      this.accountId = row.id as string;
    }
    return this.accountId!;
  }

  /** A content of `channel` sent at `sentAt`, with its engagement rows `{ day: totals as of that day }`. */
  async published(channel: string, title: string, sentAt: string, metrics: Record<string, Counts> = {}): Promise<string> {
    const accountId = await this.account();
    return this.tx(async (trx) => {
      const [content] = await trx('contents').insert({ tenantId: this.tenantId, channel, title, status: 'published' }).returning('id');
      const [version] = await trx('contentVersions').insert({ tenantId: this.tenantId, contentId: content.id, number: 1, title, body: `${title}.`, source: 'generation' }).returning('id');
      await trx('contents').where({ id: content.id }).update({ currentVersionId: version.id });
      const [publication] = await trx('publications')
        .insert({
          tenantId: this.tenantId,
          contentId: content.id,
          contentVersionId: version.id,
          channelAccountId: accountId,
          idempotencyKey: `pub:${content.id}:${accountId}`,
          status: 'sent',
          scheduledFor: new Date(sentAt),
          sentAt: new Date(sentAt),
        })
        .returning('id');
      for (const [metricDate, counts] of Object.entries(metrics)) {
        await trx('engagementMetrics').insert({ tenantId: this.tenantId, publicationId: publication.id, contentId: content.id, channel, metricDate, ...counts });
      }
      return content.id as string;
    });
  }

  /** A short link with its clicks (`bot` clicks are recorded but never counted). */
  async link(options: { channel: string | null; utmSource?: string | null; utmCampaign?: string | null; clicks: { at: string; count?: number; bot?: boolean }[] }): Promise<string> {
    const code = `t${tag()}${tag()}`;
    return this.tx(async (trx) => {
      const [link] = await trx('shortLinks')
        .insert({
          tenantId: this.tenantId,
          code,
          originalUrl: `https://example.test/${code}`,
          targetUrl: `https://example.test/${code}?utm_source=${options.utmSource ?? ''}`,
          channel: options.channel,
          utmSource: options.utmSource ?? null,
          utmCampaign: options.utmCampaign ?? null,
        })
        .returning('id');
      const rows = options.clicks.flatMap((c) => Array.from({ length: c.count ?? 1 }, () => ({ tenantId: this.tenantId, shortLinkId: link.id, clickedAt: new Date(c.at), isBot: c.bot ?? false })));
      if (rows.length) await trx('shortLinkClicks').insert(rows);
      return link.id as string;
    });
  }

  async conversion(options: { at: string; valueCents?: number | null; currency?: string; utmSource?: string; utmCampaign?: string; shortLinkId?: string }): Promise<void> {
    await this.tx((trx) =>
      trx('conversions').insert({
        tenantId: this.tenantId,
        kind: 'purchase',
        source: 'manual',
        valueCents: options.valueCents ?? null,
        currency: options.currency ?? 'EUR',
        utmSource: options.utmSource ?? null,
        utmCampaign: options.utmCampaign ?? null,
        shortLinkId: options.shortLinkId ?? null,
        occurredAt: new Date(options.at),
      }),
    );
  }

  async review(at: string, rating: number, removed = false): Promise<void> {
    await this.tx((trx) =>
      trx('reviews').insert({ tenantId: this.tenantId, source: 'manual', authorName: 'Client', rating, text: 'Très bien', reviewedAt: new Date(at), removedAt: removed ? new Date(at) : null }),
    );
  }

  async metric(row: { month: string; kind: string; name?: string; value: number; unit?: string; currency?: string | null; source?: string }): Promise<void> {
    const unit = row.unit ?? (row.kind === 'revenue' ? 'cents' : 'count');
    await this.tx((trx) =>
      trx('businessMetrics').insert({
        tenantId: this.tenantId,
        month: row.month,
        kind: row.kind,
        name: row.name ?? '',
        value: row.value,
        unit,
        currency: unit === 'cents' ? (row.currency ?? 'EUR') : null,
        source: row.source ?? 'manual',
      }),
    );
  }
}

export const frozenClock = (iso: string) => ({ now: () => new Date(iso) });
