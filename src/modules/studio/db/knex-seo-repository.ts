import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { NotFoundError } from '../../../shared/errors.js';
import type { BreakdownItem, JsonLd, OwnPage } from '../seo/index.js';

/** What the analysis needs to know about a tenant besides its brand DNA. */
export interface TenantSiteFacts {
  tenantName: string;
  /** The tenant's default content language (`fr`, `en`, `fr-BE`…). */
  tenantLocale: string;
  /** The website given in the onboarding (website step, else the company step), if any. */
  website: string | null;
  /** The phone number given in the onboarding's company step, if any. */
  phone: string | null;
  /** Pages of the website read during the onboarding (title and address of each). */
  sitePages: OwnPage[];
  /** Active contacts with a phone number who consented to SMS and never sent STOP. */
  smsRecipients: number;
}

export interface NewSeoAnalysis {
  contentId: string;
  contentVersionId: string;
  score: number;
  geoScore: number | null;
  breakdown: BreakdownItem[];
  targetKeyword: string | null;
  relatedKeywords: string[];
  readabilityScore: number | null;
  readabilityFormula: 'kandel_moles' | 'flesch' | null;
  suggestedTitle: string | null;
  suggestedMetaDescription: string | null;
  suggestedSlug: string | null;
  jsonLd: JsonLd[] | null;
  scorerVersion: string;
  locale: string;
}

/** The content's primary keyword, upserted into the tenant's keyword list. */
export interface PrimaryKeyword {
  keyword: string;
  locale: string;
  source: 'dna' | 'manual';
  isLocal: boolean;
  localZone: string | null;
  dnaSnapshotId: string | null;
}

export interface SeoAnalysisRow extends NewSeoAnalysis {
  id: string;
  tenantId: string;
  createdAt: Date;
}

const ANALYSIS_COLUMNS = [
  'id',
  'tenantId',
  'contentId',
  'contentVersionId',
  'score',
  'geoScore',
  'breakdown',
  'targetKeyword',
  'relatedKeywords',
  'readabilityScore',
  'readabilityFormula',
  'suggestedTitle',
  'suggestedMetaDescription',
  'suggestedSlug',
  'jsonLd',
  'scorerVersion',
  'locale',
  'createdAt',
] as const;

/** A page header written by the website reader into the `url` input's text: `# Title` then the page's address. */
const PAGE_HEADER = String.raw`^# ([^\n]+)\n(https?://[^\s]+)$`;
const MAX_SITE_PAGES = 50;

function toRow(row: Record<string, unknown>): SeoAnalysisRow {
  return {
    ...(row as unknown as SeoAnalysisRow),
    // numeric comes back as a string (exact); the score is shown rounded anyway
    readabilityScore: row.readabilityScore === null || row.readabilityScore === undefined ? null : Number(row.readabilityScore),
    relatedKeywords: (row.relatedKeywords as string[] | null) ?? [],
    breakdown: (row.breakdown as BreakdownItem[] | null) ?? [],
    jsonLd: (row.jsonLd as JsonLd[] | null) ?? null,
  };
}

export class KnexSeoRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** Tenant name and language, onboarding website/phone and pages read, SMS audience: one short unit of work. */
  siteFacts(tenantId: string): Promise<TenantSiteFacts> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('name', 'locale');
      if (!tenant) throw new NotFoundError();
      const sessions: { website: string | null; companyWebsite: string | null; phone: string | null }[] = await trx('onboardingSessions')
        .where({ tenantId })
        .orderBy('createdAt', 'desc')
        .limit(10)
        .select(
          trx.raw(`step_data->'website'->>'url' as website`),
          trx.raw(`step_data->'company'->>'website' as company_website`),
          trx.raw(`step_data->'company'->>'phone' as phone`),
        );
      const firstOf = (pick: (s: (typeof sessions)[number]) => string | null) =>
        sessions.map(pick).find((v): v is string => typeof v === 'string' && v.trim() !== '')?.trim() ?? null;
      const urlInput = await trx('onboardingInputs')
        .where({ tenantId, kind: 'url' })
        .whereIn('status', ['done', 'processing', 'pending'])
        .orderBy('createdAt', 'desc')
        .first('finalUrl', 'sourceUrl');
      const pages = await trx.raw<{ rows: { title: string; url: string }[] }>(
        `select distinct on (m.parts[2]) m.parts[1] as title, m.parts[2] as url, i.created_at
           from onboarding_inputs i
           cross join lateral regexp_matches(i.extracted_text, ?, 'gn') as m(parts)
          where i.tenant_id = ? and i.kind = 'url' and i.status = 'done' and i.extracted_text is not null
          order by m.parts[2], i.created_at desc
          limit ?`,
        [PAGE_HEADER, tenantId, MAX_SITE_PAGES],
      );
      const [{ count }] = await trx('contacts')
        .where({ tenantId, smsConsent: true, status: 'active' })
        .whereNotNull('phoneE164')
        .whereNull('smsOptedOutAt')
        .count({ count: '*' });
      return {
        tenantName: tenant.name as string,
        tenantLocale: tenant.locale as string,
        website: firstOf((s) => s.website) ?? firstOf((s) => s.companyWebsite) ?? (urlInput?.finalUrl as string | null) ?? (urlInput?.sourceUrl as string | null) ?? null,
        phone: firstOf((s) => s.phone),
        sitePages: pages.rows.filter((p) => p.url.length <= 2048).map((p) => ({ title: p.title.trim().slice(0, 300), url: p.url })),
        smsRecipients: Number(count),
      };
    });
  }

  /**
   * Stores the analysis of a version (replacing an earlier one of the same version) and, when given, makes the
   * keyword the content's primary one. The version must belong to the content, in this tenant: a foreign key
   * alone would accept another tenant's ids (its check does not see row-level security).
   */
  record(tenantId: string, analysis: NewSeoAnalysis, keyword: PrimaryKeyword | null): Promise<SeoAnalysisRow> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const version = await trx('contentVersions as v')
        .join('contents as c', 'c.id', 'v.contentId')
        .where({ 'v.id': analysis.contentVersionId, 'v.contentId': analysis.contentId, 'c.tenantId': tenantId })
        .first('v.id');
      if (!version) throw new NotFoundError();
      await trx('seoAnalyses').where({ tenantId, contentVersionId: analysis.contentVersionId }).delete();
      const [row] = await trx('seoAnalyses')
        .insert({
          ...analysis,
          tenantId,
          breakdown: JSON.stringify(analysis.breakdown),
          jsonLd: analysis.jsonLd === null ? null : JSON.stringify(analysis.jsonLd),
        })
        .returning(ANALYSIS_COLUMNS);
      if (keyword) await this.linkPrimaryKeyword(trx, tenantId, analysis.contentId, keyword);
      return toRow(row);
    });
  }

  private async linkPrimaryKeyword(trx: Knex.Transaction, tenantId: string, contentId: string, keyword: PrimaryKeyword): Promise<void> {
    const { rows } = await trx.raw<{ rows: { id: string }[] }>(
      `insert into keywords (tenant_id, keyword, source, status, is_local, local_zone, dna_snapshot_id, locale)
       values (?, ?, ?, 'active', ?, ?, ?, ?)
       on conflict (tenant_id, locale, lower(keyword)) do update set status = 'active', updated_at = now()
       returning id`,
      [tenantId, keyword.keyword, keyword.source, keyword.isLocal, keyword.localZone, keyword.dnaSnapshotId, keyword.locale],
    );
    const keywordId = rows[0].id;
    // One primary keyword per content: the previous target gives way.
    await trx('contentKeywords').where({ tenantId, contentId, role: 'primary' }).whereNot({ keywordId }).delete();
    await trx('contentKeywords')
      .insert({ tenantId, contentId, keywordId, role: 'primary' })
      .onConflict(['contentId', 'keywordId'])
      .merge({ role: 'primary', updatedAt: trx.fn.now() });
  }

  /** The analysis of the content's newest analysed version (a re-analysis of an older version does not replace it). */
  latestForContent(tenantId: string, contentId: string): Promise<SeoAnalysisRow | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('seoAnalyses as a')
        .join('contentVersions as v', 'v.id', 'a.contentVersionId')
        .where({ 'a.tenantId': tenantId, 'a.contentId': contentId })
        .orderBy([{ column: 'v.number', order: 'desc' }, { column: 'a.createdAt', order: 'desc' }])
        .first(ANALYSIS_COLUMNS.map((c) => `a.${c}`));
      return row ? toRow(row) : null;
    });
  }

  /** The content's primary keyword, as stored in the tenant's keyword list. */
  primaryKeyword(tenantId: string, contentId: string): Promise<{ id: string; keyword: string; source: string; isLocal: boolean } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('contentKeywords as ck')
        .join('keywords as k', 'k.id', 'ck.keywordId')
        .where({ 'ck.tenantId': tenantId, 'ck.contentId': contentId, 'ck.role': 'primary' })
        .first('k.id', 'k.keyword', 'k.source', 'k.isLocal');
      return row ?? null;
    });
  }
}
