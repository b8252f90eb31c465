import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { ConversionInput } from '../conversions-input.js';

export type ConversionSource = 'api' | 'pixel';

export interface RecordedConversion {
  id: string;
  /** False when the (source, external_ref) pair was already recorded: nothing new was written. */
  created: boolean;
}

export interface ConversionRow {
  id: string;
  kind: string;
  source: string;
  valueCents: number | null;
  currency: string;
  utmSource: string | null;
  utmCampaign: string | null;
  externalRef: string | null;
  contentId: string | null;
  contentTitle: string | null;
  campaignName: string | null;
  shortLinkId: string | null;
  occurredAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Conversions of a tenant, attributed to our content, campaign and short link from their UTM parameters. */
export class KnexConversionRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** Whether the tenant exists and may receive conversions (the key alone does not say it still does). */
  acceptsConversions(tenantId: string): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('tenants').where({ id: tenantId }).first('status'))?.status === 'active');
  }

  /**
   * Records the conversion once per (source, external_ref): a repeat returns the first one's id. Attribution:
   * `utm_content` is the content id our tagging writes, `utm_campaign` the campaign slug (else the content's
   * campaign); the short link is the content's link for the same source and campaign, when the click came through ours.
   */
  record(tenantId: string, source: ConversionSource, input: ConversionInput & { occurredAt: Date }): Promise<RecordedConversion> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const attribution = await attribute(trx, tenantId, input);
      const row = {
        tenantId,
        kind: input.kind,
        source,
        valueCents: input.value ?? null,
        currency: input.currency,
        utmSource: input.utm_source ?? null,
        utmMedium: input.utm_medium ?? null,
        utmCampaign: input.utm_campaign ?? null,
        utmContent: input.utm_content ?? null,
        utmTerm: input.utm_term ?? null,
        externalRef: input.external_ref ?? null,
        occurredAt: input.occurredAt,
        ...attribution,
      };
      const inserted: { id: string }[] = await trx('conversions')
        .insert(row)
        .onConflict(trx.raw('(tenant_id, source, external_ref) where external_ref is not null'))
        .ignore()
        .returning('id');
      if (inserted[0]) return { id: inserted[0].id, created: true };
      const existing = await trx('conversions').where({ tenantId, source, externalRef: row.externalRef }).first('id');
      return { id: existing.id as string, created: false };
    });
  }

  latest(tenantId: string, limit: number): Promise<ConversionRow[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('conversions as cv')
        .leftJoin('contents as c', 'c.id', 'cv.contentId')
        .leftJoin('campaigns as k', 'k.id', 'cv.campaignId')
        .where('cv.tenantId', tenantId)
        .orderBy([{ column: 'cv.occurredAt', order: 'desc' }, { column: 'cv.createdAt', order: 'desc' }])
        .limit(limit)
        .select(
          'cv.id',
          'cv.kind',
          'cv.source',
          'cv.valueCents',
          'cv.currency',
          'cv.utmSource',
          'cv.utmCampaign',
          'cv.externalRef',
          'cv.contentId',
          'cv.shortLinkId',
          'cv.occurredAt',
          'c.title as contentTitle',
          'k.name as campaignName',
        );
      return rows.map((r: Record<string, any>) => ({ ...r, valueCents: r.valueCents === null ? null : Number(r.valueCents) }) as ConversionRow);
    });
  }
}

async function attribute(trx: Knex.Transaction, tenantId: string, input: ConversionInput): Promise<{ contentId: string | null; campaignId: string | null; shortLinkId: string | null }> {
  const content = input.utm_content && UUID.test(input.utm_content) ? await trx('contents').where({ tenantId, id: input.utm_content }).first('id', 'campaignId') : undefined;
  const campaign = input.utm_campaign ? await trx('campaigns').where({ tenantId, utmCampaign: input.utm_campaign.toLowerCase() }).first('id') : undefined;
  let shortLinkId: string | null = null;
  if (content) {
    const link = await trx('shortLinks')
      .where({ tenantId, contentId: content.id })
      .modify((q) => {
        if (input.utm_source) q.where('utmSource', input.utm_source);
        if (input.utm_campaign) q.where('utmCampaign', input.utm_campaign);
      })
      .orderByRaw('last_clicked_at desc nulls last, created_at desc')
      .first('id');
    shortLinkId = link?.id ?? null;
  }
  return { contentId: content?.id ?? null, campaignId: campaign?.id ?? content?.campaignId ?? null, shortLinkId };
}
