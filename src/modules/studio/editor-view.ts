import type { TFunction } from 'i18next';
import { escapeHtml } from '../../shared/http/html.js';
import { CHANNEL_RULES, type Channel } from './channels.js';
import type { BrandSafetyFinding, ContentVersion, VersionMeta } from './domain.js';
import type { DiffPart } from './version-diff.js';

/** The text fields of the editor form, as shown (from a version, or as the user typed them). */
export interface VersionFormValues {
  title: string;
  body: string;
  targetKeyword: string;
  metaDescription: string;
  slug: string;
  subject: string;
  preheader: string;
}

export const VERSION_FIELDS = ['title', 'body', 'targetKeyword', 'metaDescription', 'slug', 'subject', 'preheader'] as const;

/** The fields beside title and body that a channel's editor shows (and the analysis panel reads). */
export function channelFields(channel: Channel): (keyof VersionMeta & keyof VersionFormValues)[] {
  if (channel === 'blog') return ['targetKeyword', 'metaDescription', 'slug'];
  if (channel === 'newsletter') return ['subject', 'preheader'];
  return [];
}

export function formValuesOf(version: ContentVersion | null, title = ''): VersionFormValues {
  const meta = version?.meta ?? {};
  return {
    title: version?.title ?? title,
    body: version?.body ?? '',
    targetKeyword: meta.targetKeyword ?? '',
    metaDescription: meta.metaDescription ?? '',
    slug: meta.slug ?? '',
    subject: meta.subject ?? '',
    preheader: meta.preheader ?? '',
  };
}

export function formValuesFromBody(body: Record<string, unknown>): VersionFormValues {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return Object.fromEntries(VERSION_FIELDS.map((f) => [f, text(body[f])])) as unknown as VersionFormValues;
}

/** Counts of words added and removed (for the compare page's summary). */
export function diffStats(parts: DiffPart[]): { added: number; removed: number } {
  const words = (s: string) => (s.match(/\S+/g) ?? []).length;
  return {
    added: parts.filter((p) => p.kind === 'added').reduce((n, p) => n + words(p.text), 0),
    removed: parts.filter((p) => p.kind === 'removed').reduce((n, p) => n + words(p.text), 0),
  };
}

/**
 * Formatting and labels for the studio's pages, in the reader's language; dates and slots in the tenant's time
 * zone (a slot is where the post goes out, so it is shown in the business's local time, with the zone named).
 */
export function studioViewHelpers(t: TFunction, locale: string, timezone: string) {
  const number = (n: number) => new Intl.NumberFormat(locale).format(n);
  const zone = safeZone(timezone);
  const date = (d: Date | string) => new Date(d).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone });
  const slot = (d: Date | string) =>
    new Date(d).toLocaleString(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: zone, timeZoneName: 'short' });
  const shortSlot = (d: Date | string) => new Date(d).toLocaleString(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: zone });
  /** The slot's local day `YYYY-MM-DD` (the calendar's `date` parameter). */
  const slotDay = (d: Date | string) => new Date(d).toLocaleDateString('sv-SE', { timeZone: zone });
  const channel = (c: string) => t(`studio.channels.${c}`);
  /** A calendar day `YYYY-MM-DD` (campaign dates), as a day: no zone applies. */
  const day = (iso: string) => new Date(`${iso}T12:00:00Z`).toLocaleDateString(locale, { dateStyle: 'medium', timeZone: 'UTC' });

  /** The key limits of a channel, in one line (shown beside the channel picker). */
  const limits = (c: Channel): string => {
    const rules = CHANNEL_RULES[c];
    const parts: string[] = [];
    if (rules.unit === 'sms_units') parts.push(t('studio.new.limits.sms'));
    else if (rules.unit === 'words' && rules.minWords) parts.push(t('studio.new.limits.minWords', { count: rules.minWords, n: number(rules.minWords) }));
    else if (rules.maxLength !== null) parts.push(t('studio.new.limits.maxChars', { n: number(rules.maxLength) }));
    else parts.push(t('studio.new.limits.noMax'));
    if (rules.foldAt) parts.push(t('studio.new.limits.fold', { n: number(rules.foldAt) }));
    if (rules.subject) parts.push(t('studio.new.limits.subject', { n: number(rules.subject.recommendedMax) }));
    if (rules.hashtags) {
      const { recommendedMin: min, recommendedMax: max } = rules.hashtags;
      parts.push(max === 0 ? t('studio.new.limits.noHashtags') : t('studio.new.limits.hashtags', { min, max }));
    }
    parts.push(t(`studio.new.limits.links.${rules.links.placement}`));
    return parts.join(' · ');
  };

  return {
    number,
    date,
    slot,
    shortSlot,
    slotDay,
    day,
    channel,
    limits,
    status: (s: string) => t(`studio.status.${s}`),
    mode: (m: string) => t(`studio.modes.${m}`),
    modeHelp: (m: string) => t(`studio.modeHelp.${m}`),
    source: (s: string) => t(`studio.versionSource.${s}`),
    safety: (s: string | null) => t(`studio.brandSafety.status.${s ?? 'unchecked'}`),
    findingKind: (k: string) => t(`studio.brandSafety.kind.${k}`),
    /** What a finding's `detail` means depends on its kind: a count of matches, the claim it breaks, a moderation category. */
    findingDetail: (f: BrandSafetyFinding): string => {
      if (f.kind === 'banned_word') return t('studio.editor.safety.occurrences', { count: Number(f.detail) || 1 });
      if (f.kind === 'claim') return t('studio.editor.safety.breaksClaim', { claim: f.detail });
      return t('studio.editor.safety.category', { category: f.detail });
    },
    author: (v: ContentVersion) => v.authorName ?? (v.source === 'generation' || v.source === 'regeneration' ? t('studio.editor.versions.ai') : t('studio.editor.versions.unknownAuthor')),
    zone,
    /** For the compare page, which writes <ins>/<del> around escaped text. */
    escape: escapeHtml,
  };
}

export type StudioViewHelpers = ReturnType<typeof studioViewHelpers>;

function safeZone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return timezone;
  } catch {
    return 'Europe/Paris';
  }
}
