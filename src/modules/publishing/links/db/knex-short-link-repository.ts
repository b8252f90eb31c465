import type { Knex } from 'knex';
import type { Database } from '../../../../adapters/db/database.js';
import { NotFoundError } from '../../../../shared/errors.js';
import type { ClickRow, LinkToShorten, ResolvedShortLink, ShortLinkOwner, ShortLinkRepository, ShortLinksOverview } from '../link-ports.js';

/** How many fresh codes are drawn before giving up (a collision at 62^8 is already improbable). */
const CODE_ATTEMPTS = 5;
/** The utm_* columns are varchar(100); a longer value the author wrote stays in the URL, truncated here. */
const UTM_COLUMN_MAX = 100;

const clip = (value: string | undefined): string | null => (value === undefined ? null : value.slice(0, UTM_COLUMN_MAX));

async function existingCode(trx: Knex.Transaction, tenantId: string, owner: ShortLinkOwner, originalUrl: string): Promise<string | null> {
  const row = await trx('shortLinks')
    .where({ tenantId, contentId: owner.contentId })
    .andWhere((q) => (owner.channel === null ? q.whereNull('channel') : q.where('channel', owner.channel)))
    // the expression of the unique index, so the lookup uses it; the equality guards against an md5 collision
    .whereRaw('md5(original_url) = md5(?)', [originalUrl])
    .andWhere('originalUrl', originalUrl)
    .first('code');
  return row ? (row.code as string) : null;
}

export class KnexShortLinkRepository implements ShortLinkRepository {
  constructor(private readonly deps: { database: Database }) {}

  ensureLinks(tenantId: string, owner: ShortLinkOwner, links: LinkToShorten[], newCode: () => string): Promise<Map<string, string>> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const content = await trx('contents').where({ tenantId, id: owner.contentId }).first('campaignId');
      if (!content) throw new NotFoundError();
      const codes = new Map<string, string>();
      for (const link of links) {
        if (codes.has(link.originalUrl)) continue;
        codes.set(link.originalUrl, await this.ensureOne(trx, tenantId, owner, content.campaignId ?? null, link, newCode));
      }
      return codes;
    });
  }

  private async ensureOne(
    trx: Knex.Transaction,
    tenantId: string,
    owner: ShortLinkOwner,
    campaignId: string | null,
    link: LinkToShorten,
    newCode: () => string,
  ): Promise<string> {
    for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
      const existing = await existingCode(trx, tenantId, owner, link.originalUrl);
      if (existing) return existing;
      // DO NOTHING on either unique index: a concurrent writer of the same link (found on the next turn) or
      // a code already taken, by any tenant (a new code is drawn).
      const [inserted] = await trx('shortLinks')
        .insert({
          tenantId,
          code: newCode(),
          originalUrl: link.originalUrl,
          targetUrl: link.targetUrl,
          utmSource: clip(link.utm.utm_source),
          utmMedium: clip(link.utm.utm_medium),
          utmCampaign: clip(link.utm.utm_campaign),
          utmContent: clip(link.utm.utm_content),
          utmTerm: clip(link.utm.utm_term),
          contentId: owner.contentId,
          channel: owner.channel,
          campaignId,
        })
        .onConflict()
        .ignore()
        .returning('code');
      if (inserted) return inserted.code as string;
    }
    throw new Error(`no free short link code after ${CODE_ATTEMPTS} attempts`);
  }

  findByCode(code: string): Promise<ResolvedShortLink | null> {
    return this.deps.database.asPlatform(async (trx) => {
      const row = await trx('shortLinks').where({ code }).first('id', 'tenantId', 'targetUrl', 'expiresAt', 'disabledAt');
      return (row as ResolvedShortLink | undefined) ?? null;
    });
  }

  recordClick(tenantId: string, shortLinkId: string, click: ClickRow): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('shortLinkClicks').insert({ tenantId, shortLinkId, ...click });
      if (!click.isBot) {
        await trx('shortLinks')
          .where({ tenantId, id: shortLinkId })
          .update({ clickCount: trx.raw('click_count + 1'), lastClickedAt: click.clickedAt });
      }
    });
  }

  overview(tenantId: string, limit: number): Promise<ShortLinksOverview> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('timezone');
      const [{ count }] = await trx('shortLinks').where({ tenantId }).count({ count: '*' });
      const bots = trx('shortLinkClicks')
        .where({ tenantId, isBot: true })
        .groupBy('shortLinkId')
        .select('shortLinkId', trx.raw('count(*)::int as bot_clicks'))
        .as('b');
      const rows = await trx('shortLinks as l')
        .leftJoin('contents as c', 'c.id', 'l.contentId')
        .leftJoin(bots, 'b.shortLinkId', 'l.id')
        .where('l.tenantId', tenantId)
        .orderBy([
          { column: 'l.createdAt', order: 'desc' },
          { column: 'l.id', order: 'desc' },
        ])
        .limit(limit)
        .select(
          'l.id',
          'l.code',
          'l.originalUrl',
          'l.targetUrl',
          'l.channel',
          'l.contentId',
          'c.title as contentTitle',
          'l.clickCount',
          'l.lastClickedAt',
          'l.createdAt',
          trx.raw('coalesce(b.bot_clicks, 0) as bot_clicks'),
        );
      const links = rows.map((row: Record<string, unknown>) => ({
        id: row.id as string,
        code: row.code as string,
        originalUrl: row.originalUrl as string,
        targetUrl: row.targetUrl as string,
        channel: (row.channel as string | null) ?? null,
        contentId: (row.contentId as string | null) ?? null,
        contentTitle: (row.contentTitle as string | null) ?? null,
        humanClicks: Number(row.clickCount),
        botClicks: Number(row.botClicks),
        lastClickedAt: (row.lastClickedAt as Date | null) ?? null,
        createdAt: row.createdAt as Date,
      }));
      return { links, total: Number(count), timezone: (tenant?.timezone as string | undefined) ?? 'Europe/Paris' };
    });
  }
}
