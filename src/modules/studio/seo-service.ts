/**
 * The studio's SEO/GEO service: live analysis of a draft (channel rules, SMS segments and cost, SEO/GEO score)
 * and the analysis recorded for every new version of an article or a long post. Scores are computed in code
 * (seo/analyzer.ts); nothing here calls a model.
 *
 * What it reads about the tenant (see `brandContextFrom`):
 * - the current brand DNA: identity (name, city), seo.keywords and seo.localZone, offers (names as related
 *   terms, their URLs as own pages), channels (the blog's URL as an own page), legal.address;
 * - the onboarding: the website (website step, else company step, else the website input read), the phone of
 *   the company step, and the pages of the website read (each page's title and address) — the client's own pages;
 * - the workspace's name and language (fallbacks for the business name and the content language);
 * - the number of contacts reachable by SMS (for the cost estimate).
 */
import { AppError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { BrandDna } from '../brand/domain.js';
import type { DnaService } from '../brand/dna-service.js';
import { channelGuidance, checkContent, isChannel, type Channel, type ChannelGuidance, type ContentCheck } from './channels.js';
import type { KnexSeoRepository, PrimaryKeyword, SeoAnalysisRow, TenantSiteFacts } from './db/knex-seo-repository.js';
import type { VersionMeta } from './domain.js';
import { analyzeSeo, channelProfile, SCORER_VERSION, type BreakdownItem, type BusinessInfo, type OwnPage, type SeoAnalysis } from './seo/index.js';
import { fold, type SeoLocale } from './seo/text.js';
import { analyzeSms, smsCostEstimate, suggestGsmReplacement, toGsmFriendly, type SmsCostEstimate, type SmsSegmentInfo } from './sms-segments.js';

/** Longest body the live analysis accepts (characters). */
export const MAX_ANALYSED_BODY = 100_000;
/**
 * Indicative price of one SMS sent in France (EUR, micro-units) until a provider's price list is connected:
 * the order of magnitude of the main French providers' public prices.
 */
export const SMS_INDICATIVE_PRICE_MICROS = 50_000;
export const SMS_PRICE_CURRENCY = 'EUR';
const MAX_OWN_PAGES = 60;
const MAX_BRAND_KEYWORDS = 40;

export interface DraftInput {
  channel: string;
  /** The content's language (`fr`, `en`, `fr-BE`…); the tenant's by default. */
  locale?: string | null;
  title: string;
  body: string;
  meta: VersionMeta;
}

/** What the analysis knows about the brand, read once per request. */
export interface SeoBrandContext {
  /** The content language used when the draft does not say. */
  locale: SeoLocale;
  /** The name an SMS must show (the DNA's identity name, else the workspace's name). */
  senderName: string | null;
  brandKeywords: string[];
  ownPages: OwnPage[];
  business: BusinessInfo;
  /** The DNA's local zone (else the business's town), to mark a keyword as local. */
  localZone: { city: string; areas: string[] } | null;
  /** Lower-cased DNA keywords, to tell a DNA keyword from one typed by hand. */
  dnaKeywords: string[];
  dnaSnapshotId: string | null;
  smsRecipients: number;
}

export interface GsmCharacter {
  char: string;
  /** `U+2019` (several for an emoji sequence). */
  codePoints: string;
  replacement: string | null;
  /** The replacement changes the spelling (ê → e). */
  lossy: boolean;
}

export interface SmsReport {
  info: SmsSegmentInfo;
  senderName: string | null;
  characters: GsmCharacter[];
  /** The text with typography replaced (meaning kept), when that changes anything. */
  friendly: { text: string; info: SmsSegmentInfo } | null;
  /** Also with accented letters missing from GSM-7 folded (â → a), when that changes more. */
  folded: { text: string; info: SmsSegmentInfo } | null;
  cost: {
    unitPriceMicros: number;
    currency: string;
    /** Contacts reachable by SMS today, and what one send to all of them costs (null without contacts). */
    recipients: number;
    total: SmsCostEstimate | null;
    per1000: SmsCostEstimate;
  };
}

export interface GroupScores {
  /** Points over the maximum of the checks of the group that apply, 0–100; null when none applies. */
  seo: number | null;
  geo: number | null;
}

export interface ScoredSeoAnalysis extends SeoAnalysis {
  groupScores: GroupScores;
}

export interface DraftAnalysis {
  channel: ContentCheck;
  sms: SmsReport | null;
  guidance: ChannelGuidance;
  /** null where the SEO profile does not apply (short social posts, SMS). */
  seo: ScoredSeoAnalysis | null;
  locale: SeoLocale;
}

export interface VersionToRecord {
  contentId: string;
  versionId: string;
  channel: string;
  locale: string;
  title: string;
  body: string;
  meta: VersionMeta;
}

export interface SeoAnalysisRecord extends SeoAnalysisRow {
  /** The SEO group's score, recomputed from the stored breakdown. */
  seoScore: number | null;
}

// ── Pure parts ───────────────────────────────────────────────────────────────────────────────────────

/** `fr`, `fr-BE` → `fr`; `en-GB` → `en`; anything else → null. */
export function seoLocaleOf(locale: string | null | undefined): SeoLocale | null {
  const base = (locale ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return base === 'fr' || base === 'en' ? base : null;
}

/** Whether the SEO/GEO analysis applies to a channel: articles and long posts, not short social posts. */
export function seoApplies(channel: string): boolean {
  return channelProfile(channel) !== 'social';
}

export function groupScore(breakdown: readonly BreakdownItem[], group: 'seo' | 'geo'): number | null {
  const items = breakdown.filter((i) => i.group === group);
  const max = items.reduce((n, i) => n + i.max, 0);
  if (max === 0) return null;
  const points = items.reduce((n, i) => n + i.points, 0);
  return Math.max(0, Math.min(100, Math.round((Math.max(0, points) * 100) / max)));
}

function clean(value: string | null | undefined): string | undefined {
  const v = value?.replace(/\s+/g, ' ').trim();
  return v ? v : undefined;
}

/** `12 rue de la République, 69002 Lyon` → street, postal code and town; otherwise the whole line as the street. */
export function splitFrenchAddress(address: string): { street: string; postalCode?: string; locality?: string; country?: string } {
  const line = address.replace(/\s*\n\s*/g, ', ').replace(/\s+/g, ' ').trim();
  const match = /^(.*?)[,\s]+(\d{5})\s+([^,\d][^,]*?)(?:,\s*(France))?\s*$/i.exec(line);
  if (!match || !match[1].trim()) return { street: line };
  return { street: match[1].replace(/[,\s]+$/, ''), postalCode: match[2], locality: match[3].trim(), ...(match[4] ? { country: 'FR' } : {}) };
}

function normalisedUrl(url: string): string {
  return url.trim().replace(/^http:\/\//i, 'https://').replace(/^https:\/\/www\./i, 'https://').replace(/[/#?]+$/, '').toLowerCase();
}

function isHttpUrl(value: string | null | undefined): value is string {
  if (!value) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The brand context of the analysis, from the current DNA (if any) and the tenant's other facts. */
export function brandContextFrom(dna: BrandDna | null, facts: TenantSiteFacts, dnaSnapshotId: string | null = null): SeoBrandContext {
  const identityName = clean(dna?.identity?.name);
  const name = identityName ?? clean(facts.tenantName) ?? '';
  const address = clean(dna?.legal?.address);
  const parsed = address ? splitFrenchAddress(address) : null;
  const city = clean(dna?.identity?.city) ?? clean(dna?.seo?.localZone?.city) ?? parsed?.locality ?? '';
  const blogUrl = dna?.channels?.find((c) => c.channel === 'blog' && c.url)?.url;
  const website = isHttpUrl(facts.website) ? facts.website : blogUrl;

  const pages: OwnPage[] = [];
  const seen = new Set<string>();
  const addPage = (url: string | null | undefined, title: string | undefined) => {
    if (!isHttpUrl(url) || pages.length >= MAX_OWN_PAGES) return;
    const key = normalisedUrl(url);
    if (seen.has(key)) return;
    seen.add(key);
    pages.push({ url, title: title ?? name });
  };
  for (const page of facts.sitePages) addPage(page.url, clean(page.title));
  addPage(website, name);
  for (const offer of dna?.offers ?? []) addPage(offer.url, clean(offer.name));
  for (const use of dna?.channels ?? []) if (use.channel === 'blog') addPage(use.url, clean(`${name} blog`));

  const brandKeywords: string[] = [];
  const keywordSeen = new Set<string>();
  for (const term of [...(dna?.seo?.keywords ?? []), ...(dna?.offers ?? []).map((o) => o.name)]) {
    const t = clean(term);
    if (!t || keywordSeen.has(fold(t)) || brandKeywords.length >= MAX_BRAND_KEYWORDS) continue;
    keywordSeen.add(fold(t));
    brandKeywords.push(t);
  }

  const business: BusinessInfo = {
    name,
    city,
    ...(parsed ? { address: parsed.street } : {}),
    ...(parsed?.postalCode ? { postalCode: parsed.postalCode } : {}),
    ...(parsed?.country ? { country: parsed.country } : {}),
    ...(clean(facts.phone) ? { phone: clean(facts.phone) } : {}),
    ...(website ? { url: website } : {}),
  };
  const zone = dna?.seo?.localZone;
  return {
    locale: seoLocaleOf(facts.tenantLocale) ?? 'fr',
    senderName: identityName ?? clean(facts.tenantName) ?? null,
    brandKeywords,
    ownPages: pages,
    business,
    localZone: zone ? { city: zone.city, areas: zone.areas ?? [] } : city ? { city, areas: [] } : null,
    dnaKeywords: (dna?.seo?.keywords ?? []).map((k) => fold(k.trim())),
    dnaSnapshotId,
    smsRecipients: facts.smsRecipients,
  };
}

function codePointsOf(char: string): string {
  return Array.from(char, (cp) => `U+${cp.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
}

export function smsReport(body: string, context: Pick<SeoBrandContext, 'senderName' | 'smsRecipients'>, info: SmsSegmentInfo = analyzeSms(body)): SmsReport {
  const characters = info.nonGsmChars.map((char) => {
    const suggestion = suggestGsmReplacement(char);
    return { char, codePoints: codePointsOf(char), replacement: suggestion?.replacement ?? null, lossy: suggestion?.lossy ?? false };
  });
  const friendlyText = toGsmFriendly(body);
  const foldedText = toGsmFriendly(body, { foldAccents: true });
  const friendly = friendlyText !== body ? { text: friendlyText, info: analyzeSms(friendlyText) } : null;
  const folded = foldedText !== friendlyText ? { text: foldedText, info: analyzeSms(foldedText) } : null;
  const recipients = context.smsRecipients;
  return {
    info,
    senderName: context.senderName,
    characters,
    friendly,
    folded,
    cost: {
      unitPriceMicros: SMS_INDICATIVE_PRICE_MICROS,
      currency: SMS_PRICE_CURRENCY,
      recipients,
      total: recipients > 0 ? smsCostEstimate(info.segments, recipients, SMS_INDICATIVE_PRICE_MICROS) : null,
      per1000: smsCostEstimate(info.segments, 1000, SMS_INDICATIVE_PRICE_MICROS),
    },
  };
}

/** The SEO/GEO analysis of a text with the brand's context; null where the SEO profile does not apply. */
export function scoreSeo(input: DraftInput, locale: SeoLocale, context: SeoBrandContext): ScoredSeoAnalysis | null {
  if (!seoApplies(input.channel)) return null;
  const analysis = analyzeSeo({
    locale,
    channel: input.channel,
    title: input.title.trim() || (input.meta.subject ?? ''),
    body: input.body,
    metaDescription: input.meta.metaDescription,
    slug: input.meta.slug,
    targetKeyword: input.meta.targetKeyword,
    brandKeywords: context.brandKeywords,
    ownPages: context.ownPages,
    business: context.business,
  });
  return { ...analysis, groupScores: { seo: groupScore(analysis.breakdown, 'seo'), geo: groupScore(analysis.breakdown, 'geo') } };
}

/** Channel rules, SMS details, guidance and SEO/GEO score of a draft, given the brand context. */
export function analyzeWithContext(input: DraftInput, context: SeoBrandContext): DraftAnalysis {
  if (!isChannel(input.channel)) throw new AppError('studio.channelRules.unknownChannel', 422, { channel: input.channel });
  const channel: Channel = input.channel;
  const check = checkContent(channel, {
    title: input.title,
    body: input.body,
    subject: input.meta.subject,
    preheader: input.meta.preheader,
    senderName: context.senderName,
  });
  const locale = seoLocaleOf(input.locale) ?? context.locale;
  return {
    channel: check,
    sms: check.sms ? smsReport(input.body, context, check.sms) : null,
    guidance: channelGuidance(channel),
    seo: scoreSeo(input, locale, context),
    locale,
  };
}

/** The keyword row a target keyword becomes: from the DNA or typed by hand; local when it names the local zone. */
export function primaryKeywordOf(target: string, locale: string, context: SeoBrandContext): PrimaryKeyword {
  const folded = fold(target);
  const towns = context.localZone ? [context.localZone.city, ...context.localZone.areas] : [];
  const town = towns.find((t) => t.trim() && ` ${folded} `.includes(` ${fold(t.trim())} `));
  const fromDna = context.dnaKeywords.includes(folded);
  return {
    keyword: target,
    locale,
    source: fromDna ? 'dna' : 'manual',
    isLocal: Boolean(town),
    localZone: town ? town.trim() : null,
    dnaSnapshotId: fromDna ? context.dnaSnapshotId : null,
  };
}

function cut(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : chars.slice(0, max).join('');
}

/** A readability score fits numeric(6,2) whatever the text (a 10 000-word sentence scores about −10 000). */
function storableReadability(score: number): number {
  return Math.max(-9999.99, Math.min(9999.99, Math.round(score * 100) / 100));
}

function recordOf(row: SeoAnalysisRow): SeoAnalysisRecord {
  return { ...row, seoScore: groupScore(row.breakdown, 'seo') };
}

// ── Service ──────────────────────────────────────────────────────────────────────────────────────────

export class SeoService {
  constructor(private readonly deps: { seoRepository: KnexSeoRepository; dnaService: DnaService }) {}

  /** What the analysis knows about the tenant's brand, read fresh (the DNA may have just changed). */
  async brandContext(tenantId: string): Promise<SeoBrandContext> {
    const [snapshot, facts] = await Promise.all([this.deps.dnaService.current(tenantId), this.deps.seoRepository.siteFacts(tenantId)]);
    return brandContextFrom(snapshot?.content ?? null, facts, snapshot?.id ?? null);
  }

  /** The live analysis of a draft: reads the DNA, computes, stores nothing. Unknown channel → 422 `studio.channelRules.unknownChannel`. */
  async analyzeDraft(tenantId: string, input: DraftInput): Promise<DraftAnalysis> {
    if (!isChannel(input.channel)) throw new AppError('studio.channelRules.unknownChannel', 422, { channel: input.channel });
    return analyzeWithContext(input, await this.brandContext(tenantId));
  }

  /**
   * Scores a new version and stores it (a second call for the same version replaces the first); a target keyword
   * joins the tenant's keyword list and becomes the content's primary keyword. Returns null, storing nothing, for
   * channels the SEO profile does not cover. Another tenant's (or a wrong) content/version → NotFoundError.
   */
  async recordForVersion(tenantId: string, version: VersionToRecord): Promise<SeoAnalysisRecord | null> {
    if (!isChannel(version.channel)) throw new AppError('studio.channelRules.unknownChannel', 422, { channel: version.channel });
    if (!seoApplies(version.channel)) return null;
    const context = await this.brandContext(tenantId);
    const locale = seoLocaleOf(version.locale) ?? context.locale;
    const analysis = scoreSeo({ ...version, meta: version.meta ?? {} }, locale, context)!;
    const storedLocale = /^[a-z]{2}(-[A-Z]{2})?$/.test(version.locale ?? '') ? version.locale : locale;
    const target = analysis.keyword.target ? cut(analysis.keyword.target, 200) : null;
    const words = analysis.readability.words;
    const row = await this.deps.seoRepository.record(
      tenantId,
      {
        contentId: version.contentId,
        contentVersionId: version.versionId,
        score: analysis.score,
        geoScore: analysis.groupScores.geo,
        breakdown: analysis.breakdown,
        targetKeyword: target,
        relatedKeywords: analysis.keyword.relatedTerms.map((t) => cut(t.term, 200)),
        readabilityScore: words > 0 ? storableReadability(analysis.readability.score) : null,
        readabilityFormula: words > 0 ? (analysis.readability.formula === 'kandel-moles' ? 'kandel_moles' : 'flesch') : null,
        suggestedTitle: cut(analysis.suggestions.title.value, 300) || null,
        suggestedMetaDescription: cut(analysis.suggestions.metaDescription.value, 400) || null,
        suggestedSlug: cut(analysis.suggestions.slug.value, 200) || null,
        jsonLd: analysis.jsonLd.length ? analysis.jsonLd : null,
        scorerVersion: SCORER_VERSION,
        locale: storedLocale,
      },
      target ? primaryKeywordOf(target, storedLocale, context) : null,
    );
    return recordOf(row);
  }

  /** The latest recorded analysis of a content, or null (none yet, another tenant's content, a malformed id). */
  async latestForContent(tenantId: string, contentId: string): Promise<SeoAnalysisRecord | null> {
    if (!isUuid(contentId)) return null;
    const row = await this.deps.seoRepository.latestForContent(tenantId, contentId);
    return row ? recordOf(row) : null;
  }
}
