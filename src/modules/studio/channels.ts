/**
 * Per-channel publishing rules, as data, and the checks the studio runs on a content before it can be
 * approved. Pure code: no I/O.
 *
 * Lengths are counted the way the strictest reader counts them, so a text we accept is never rejected:
 * - "chars": UTF-16 code units (an emoji outside the BMP counts 2), for every platform limit but X and SMS;
 * - "weighted_chars": X's weighted length (twitter-text v3 configuration, see `xWeightedLength`);
 * - "sms_units": GSM-7 septets or UCS-2 code units (see sms-segments.ts);
 * - "words": the blog, whose only size rule is a minimum number of words.
 *
 * Issue codes are i18n keys (`studio.channelRules.*`); errors block approval, warnings advise.
 */
import { AppError } from '../../shared/errors.js';
import { analyzeSms, SMS_LIMITS, toGsmFriendly, type SmsSegmentInfo } from './sms-segments.js';

export const CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

export type LengthUnit = 'chars' | 'weighted_chars' | 'sms_units' | 'words';
export type LinkPlacement = 'text' | 'profile' | 'cta_button';

export interface ChannelRules {
  channel: Channel;
  unit: LengthUnit;
  /** Hard limit of the body (error beyond); null when the channel has none. */
  maxLength: number | null;
  /** Advisable maximum (warning beyond). */
  recommendedMaxLength: number | null;
  /** Characters shown before the platform's "see more" fold. */
  foldAt: number | null;
  /** null when hashtags are not a thing on the channel (not checked). */
  hashtags: { max: number | null; recommendedMin: number; recommendedMax: number } | null;
  mentions: { max: number | null };
  links: {
    /** Where a link belongs: in the text, in the profile (bio), or in the post's call-to-action button. */
    placement: LinkPlacement;
    clickable: boolean;
    /** Fixed length a link counts for (X's t.co wrapping), or null when counted as written. */
    countedAs: number | null;
  };
  emoji: { allowed: boolean; forcesUnicode: boolean };
  phoneNumbersAllowed: boolean;
  title: { required: boolean; recommendedMax: number } | null;
  minWords: number | null;
  subject: { required: boolean; recommendedMax: number } | null;
  preheader: { recommendedMin: number; recommendedMax: number } | null;
  /** Size at which Gmail clips an email ("[Message clipped]"), in KiB of UTF-8. */
  clipAtKb: number | null;
  sms: { maxSegments: number; recommendedMaxSegments: number; requireSenderName: boolean; requireStop: boolean } | null;
}

/** X (twitter-text v3): code points in these ranges weigh 1, every other one 2; an emoji sequence weighs 2. */
export const X_RULES = {
  maxWeightedLength: 280,
  transformedUrlLength: 23,
  defaultWeight: 2,
  lightRanges: [
    [0x0000, 0x10ff],
    [0x2000, 0x200d],
    [0x2010, 0x201f],
    [0x2032, 0x2037],
  ] as ReadonlyArray<readonly [number, number]>,
  emojiWeight: 2,
} as const;

const base = {
  recommendedMaxLength: null,
  foldAt: null,
  mentions: { max: null },
  emoji: { allowed: true, forcesUnicode: false },
  phoneNumbersAllowed: true,
  title: null,
  minWords: null,
  subject: null,
  preheader: null,
  clipAtKb: null,
  sms: null,
} satisfies Partial<ChannelRules>;

export const CHANNEL_RULES: Readonly<Record<Channel, Readonly<ChannelRules>>> = Object.freeze({
  linkedin: {
    ...base,
    channel: 'linkedin',
    unit: 'chars',
    maxLength: 3000,
    foldAt: 210,
    hashtags: { max: null, recommendedMin: 3, recommendedMax: 5 },
    links: { placement: 'text', clickable: true, countedAs: null },
  },
  facebook: {
    ...base,
    channel: 'facebook',
    unit: 'chars',
    maxLength: 63206,
    recommendedMaxLength: 500,
    hashtags: { max: null, recommendedMin: 0, recommendedMax: 3 },
    links: { placement: 'text', clickable: true, countedAs: null },
  },
  instagram: {
    ...base,
    channel: 'instagram',
    unit: 'chars',
    maxLength: 2200,
    foldAt: 125,
    hashtags: { max: 30, recommendedMin: 3, recommendedMax: 5 },
    mentions: { max: 20 },
    links: { placement: 'profile', clickable: false, countedAs: null },
  },
  x: {
    ...base,
    channel: 'x',
    unit: 'weighted_chars',
    maxLength: X_RULES.maxWeightedLength,
    hashtags: { max: null, recommendedMin: 1, recommendedMax: 2 },
    links: { placement: 'text', clickable: true, countedAs: X_RULES.transformedUrlLength },
  },
  google_business: {
    ...base,
    channel: 'google_business',
    unit: 'chars',
    maxLength: 1500,
    hashtags: { max: null, recommendedMin: 0, recommendedMax: 0 },
    links: { placement: 'cta_button', clickable: false, countedAs: null },
    phoneNumbersAllowed: false,
  },
  blog: {
    ...base,
    channel: 'blog',
    unit: 'words',
    maxLength: null,
    hashtags: null,
    links: { placement: 'text', clickable: true, countedAs: null },
    title: { required: true, recommendedMax: 60 },
    minWords: 300,
  },
  newsletter: {
    ...base,
    channel: 'newsletter',
    unit: 'chars',
    maxLength: null,
    hashtags: null,
    links: { placement: 'text', clickable: true, countedAs: null },
    subject: { required: true, recommendedMax: 60 },
    preheader: { recommendedMin: 40, recommendedMax: 130 },
    clipAtKb: 102,
  },
  sms: {
    ...base,
    channel: 'sms',
    unit: 'sms_units',
    maxLength: null, // depends on the encoding: sms.maxSegments parts
    hashtags: null,
    links: { placement: 'text', clickable: true, countedAs: null },
    emoji: { allowed: true, forcesUnicode: true },
    sms: { maxSegments: 10, recommendedMaxSegments: 1, requireSenderName: true, requireStop: true },
  },
} satisfies Record<Channel, ChannelRules>);

export function channelRules(channel: string): Readonly<ChannelRules> {
  if (!isChannel(channel)) throw new AppError('studio.channelRules.unknownChannel', 400, { channel });
  return CHANNEL_RULES[channel];
}

// ---------------------------------------------------------------------------------------------------------
// Text scanning

export interface UrlMatch {
  url: string;
  start: number;
  end: number;
}

const TLDS = [
  'com', 'fr', 'net', 'org', 'eu', 'info', 'biz', 'io', 'co', 'app', 'dev', 'shop', 'store', 'online', 'site',
  'pro', 'immo', 'paris', 'bzh', 'alsace', 'corsica', 'be', 'ch', 'lu', 'mc', 'ca', 're', 'de', 'es', 'it', 'uk',
  'me', 'tv', 'ai', 'xyz', 'ly', 'gl', 'gle', 'ink', 'link', 'page',
];
const URL_PATTERN = new RegExp(
  [
    String.raw`\bhttps?:\/\/[^\s<>"«»]+`,
    String.raw`(?<![\p{L}\p{N}@._\-\/])www\.[^\s<>"«»]+`,
    String.raw`(?<![\p{L}\p{N}@._\-\/])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:${TLDS.join('|')})(?![\p{L}\p{N}_-])(?:[\/?#][^\s<>"«»]*)?`,
  ].join('|'),
  'giu',
);
const TRAILING_PUNCTUATION = /[.,;:!?'"’”»)\]]$/;

function trimUrl(url: string): string {
  let out = url;
  while (TRAILING_PUNCTUATION.test(out)) {
    const last = out[out.length - 1];
    if (last === ')' && (out.match(/\(/g)?.length ?? 0) >= (out.match(/\)/g)?.length ?? 0)) break;
    if (last === ']' && (out.match(/\[/g)?.length ?? 0) >= (out.match(/\]/g)?.length ?? 0)) break;
    out = out.slice(0, -1);
  }
  return out;
}

/** Links in a text: http(s)://…, www.…, and bare domains on common TLDs (boulangerie-martin.fr/menu). */
export function findUrls(text: string): UrlMatch[] {
  const found: UrlMatch[] = [];
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = trimUrl(match[0]);
    if (url.length === 0 || !/[\p{L}\p{N}]\.[\p{L}\p{N}]|:\/\/./u.test(url)) continue;
    found.push({ url, start: match.index, end: match.index + url.length });
  }
  return found;
}

function withoutUrls(text: string): string {
  let out = '';
  let pos = 0;
  for (const { start, end } of findUrls(text)) {
    out += text.slice(pos, start) + ' ';
    pos = end;
  }
  return out + text.slice(pos);
}

const HASHTAG = /(?<![\p{L}\p{M}\p{N}_&#\/])[#\uFF03]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}][\p{L}\p{M}\p{N}_]*)/gu;
const MENTION = /(?<![\p{L}\p{N}_.@])@([A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)/gu;

/** Hashtags (#Lyon, #faitmaison; not #1 nor a URL's fragment), in order, duplicates kept. */
export function findHashtags(text: string): string[] {
  return [...withoutUrls(text).matchAll(HASHTAG)].map((m) => `#${m[1]}`);
}

export function findMentions(text: string): string[] {
  return [...withoutUrls(text).matchAll(MENTION)].map((m) => `@${m[1]}`);
}

const SEP = String.raw`[ .\-\u00A0\u202F]?`;
const PHONE_PATTERNS = [
  // French: 06 12 34 56 78, 06.12.34.56.78, 0612345678, 0 800 123 456
  String.raw`(?<![\d+])0${SEP}[1-9](?:${SEP}\d){8}(?![\d])`,
  // French international: +33 6 12 34 56 78, +33 (0)6 12 34 56 78, 0033 6 12 34 56 78
  String.raw`(?<![\d+])(?:\+|00)${SEP}33${SEP}(?:\(0\)${SEP})?[1-9](?:${SEP}\d){8}(?![\d])`,
  // Any other international number: +32 2 123 45 67, +41 22 123 45 67
  String.raw`(?<![\d+])\+(?!33)[1-9](?:${SEP}\(?\d\)?){7,14}(?![\d])`,
  // tel: links
  String.raw`\btel:\+?[\d.\-()]{6,}`,
];
const PHONE = new RegExp(PHONE_PATTERNS.join('|'), 'gu');

/** Phone numbers in a text, in the formats French businesses write them. */
export function findPhoneNumbers(text: string): string[] {
  return [...text.matchAll(PHONE)].map((m) => m[0]);
}

/**
 * Words, for SEO length: letters/digits runs, "l'atelier" and "sur-mesure" count once; HTML tags, link
 * addresses (Markdown `[text](url)` targets, bare URLs) and e-mail addresses are not words.
 */
export function countWords(text: string): number {
  const plain = withoutUrls(text.replace(/<[^>]*>/g, ' ').replace(/\]\([^)\s]*(?:\s+"[^"]*")?\)/g, '] ')).replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, ' ');
  return plain.match(/[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*/gu)?.length ?? 0;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const EMOJI = /\p{Emoji_Presentation}|\p{Emoji}\uFE0F|\p{Regional_Indicator}|\u20E3/u;

function xCodePointWeight(codePoint: number): number {
  for (const [from, to] of X_RULES.lightRanges) if (codePoint >= from && codePoint <= to) return 1;
  return X_RULES.defaultWeight;
}

function xSpanWeight(text: string): number {
  let weight = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (EMOJI.test(segment)) {
      weight += X_RULES.emojiWeight;
      continue;
    }
    for (const cp of segment) weight += xCodePointWeight(cp.codePointAt(0)!);
  }
  return weight;
}

/**
 * X's weighted length (twitter-text v3): the text is NFC-normalised; each link counts 23 (t.co); each emoji
 * sequence (with skin tone, ZWJ, flag or keycap) counts 2; other code points count 1 in Latin/Greek/Cyrillic/
 * Hebrew/Arabic… (U+0000–U+10FF) and general punctuation (’ “ ” – — …), 2 elsewhere (CJK, €, …).
 */
export function xWeightedLength(text: string): number {
  const nfc = text.normalize('NFC');
  let weight = 0;
  let pos = 0;
  for (const { start, end } of findUrls(nfc)) {
    weight += xSpanWeight(nfc.slice(pos, start)) + X_RULES.transformedUrlLength;
    pos = end;
  }
  return weight + xSpanWeight(nfc.slice(pos));
}

function normaliseForMatch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The sender name appears as whole words, ignoring case, accents and punctuation ("Crêperie d'Yvonne"). */
export function mentionsSender(body: string, senderName: string): boolean {
  const name = normaliseForMatch(senderName);
  return name.length > 0 && ` ${normaliseForMatch(body)} `.includes(` ${name} `);
}

const STOP_WORD = /(?<![\p{L}\p{N}\-])stop(?![\p{L}\p{N}\-])/iu;
const STOP_WITH_NUMBER =
  /(?<![\p{L}\p{N}\-])stop(?![\p{L}\p{N}\-])[^\p{L}\p{N}\n]{0,4}(?:(?:sms|au|par sms|to|at)(?![\p{L}\p{N}])[^\p{L}\p{N}\n]{0,4}){0,2}\+?\d(?:[ .]?\d){3,}/iu;

/** "STOP au 36111", "Stop SMS : 36180", "STOP 36173" → 'with_number'; "Répondez STOP" → 'word_only'. */
export function findStopMention(body: string): 'with_number' | 'word_only' | 'none' {
  if (STOP_WITH_NUMBER.test(body)) return 'with_number';
  return STOP_WORD.test(body) ? 'word_only' : 'none';
}

// ---------------------------------------------------------------------------------------------------------
// Checks

export type IssueSeverity = 'error' | 'warning';
export type IssueParams = Record<string, string | number>;

export interface ChannelIssue {
  /** i18n key, `studio.channelRules.<problem>`. */
  code: string;
  severity: IssueSeverity;
  params: IssueParams;
}

export interface ContentInput {
  title?: string | null;
  body: string;
  subject?: string | null;
  preheader?: string | null;
  /** The advertiser's name as it must appear in an SMS (the brand name). */
  senderName?: string | null;
}

export interface ContentCheck {
  channel: Channel;
  /** No error: the content may be approved (warnings only advise). */
  ok: boolean;
  /** The body's size in `unit`. */
  length: number;
  /** The hard limit in `unit`, or null when there is none. */
  limit: number | null;
  unit: LengthUnit;
  issues: ChannelIssue[];
  sms?: SmsSegmentInfo;
}

/** Every issue a check can raise; each is `studio.channelRules.<problem>`, an i18n key. */
export const CHANNEL_ISSUE_PROBLEMS = [
  'empty',
  'tooLong',
  'aboveRecommendedLength',
  'tooManyHashtags',
  'hashtagsAboveRecommended',
  'hashtagsIneffective',
  'tooManyMentions',
  'linkNotClickable',
  'linkUseCtaButton',
  'phoneNumberNotAllowed',
  'titleMissing',
  'titleTooLong',
  'tooFewWords',
  'subjectMissing',
  'subjectTooLong',
  'preheaderMissing',
  'preheaderTooShort',
  'preheaderTooLong',
  'newsletterClipped',
  'smsTooManySegments',
  'smsMultipleSegments',
  'smsUnicode',
  'smsSenderUnknown',
  'smsSenderMissing',
  'smsStopMissing',
  'smsStopNumberMissing',
] as const;
type IssueProblem = (typeof CHANNEL_ISSUE_PROBLEMS)[number];

const K = 'studio.channelRules';

/** Checks a content against its channel's rules. Throws `studio.channelRules.unknownChannel` for a bad channel. */
export function checkContent(channel: string, input: ContentInput): ContentCheck {
  const rules = channelRules(channel);
  const body = typeof input.body === 'string' ? input.body : '';
  const issues: ChannelIssue[] = [];
  const error = (problem: IssueProblem, params: IssueParams = {}) => issues.push({ code: `${K}.${problem}`, severity: 'error', params });
  const warning = (problem: IssueProblem, params: IssueParams = {}) => issues.push({ code: `${K}.${problem}`, severity: 'warning', params });

  if (body.trim().length === 0) error('empty');

  let length: number;
  let limit = rules.maxLength;
  let sms: SmsSegmentInfo | undefined;
  switch (rules.unit) {
    case 'weighted_chars':
      length = xWeightedLength(body);
      break;
    case 'words':
      length = countWords(body);
      break;
    case 'sms_units': {
      sms = analyzeSms(body);
      length = sms.units;
      const maxSegments = rules.sms!.maxSegments;
      limit = maxSegments * SMS_LIMITS[sms.encoding].concatenated;
      break;
    }
    default:
      length = body.length;
  }

  if (limit !== null && length > limit && rules.unit !== 'sms_units') error('tooLong', { length, limit });
  if (rules.recommendedMaxLength !== null && length > rules.recommendedMaxLength && (limit === null || length <= limit)) {
    warning('aboveRecommendedLength', { length, recommendedMax: rules.recommendedMaxLength });
  }

  if (rules.hashtags) {
    const count = findHashtags(body).length;
    const { max, recommendedMax } = rules.hashtags;
    if (max !== null && count > max) error('tooManyHashtags', { count, max });
    else if (recommendedMax === 0 && count > 0) warning('hashtagsIneffective', { count });
    else if (count > recommendedMax) warning('hashtagsAboveRecommended', { count, recommendedMax });
  }

  if (rules.mentions.max !== null) {
    const count = findMentions(body).length;
    if (count > rules.mentions.max) error('tooManyMentions', { count, max: rules.mentions.max });
  }

  const links = findUrls(body);
  if (links.length > 0 && rules.links.placement === 'profile') warning('linkNotClickable', { count: links.length });
  if (links.length > 0 && rules.links.placement === 'cta_button') warning('linkUseCtaButton', { count: links.length });

  if (!rules.phoneNumbersAllowed) {
    const numbers = findPhoneNumbers(body);
    if (numbers.length > 0) error('phoneNumberNotAllowed', { numbers: numbers.join(', '), count: numbers.length });
  }

  if (rules.title) {
    const title = (input.title ?? '').trim();
    if (title.length === 0) {
      if (rules.title.required) error('titleMissing');
    } else if (title.length > rules.title.recommendedMax) {
      warning('titleTooLong', { length: title.length, recommendedMax: rules.title.recommendedMax });
    }
  }

  if (rules.minWords !== null && body.trim().length > 0 && length < rules.minWords) {
    warning('tooFewWords', { words: length, recommendedMin: rules.minWords });
  }

  if (rules.subject) {
    const subject = (input.subject ?? '').trim();
    if (subject.length === 0) {
      if (rules.subject.required) error('subjectMissing');
    } else if (subject.length > rules.subject.recommendedMax) {
      warning('subjectTooLong', { length: subject.length, recommendedMax: rules.subject.recommendedMax });
    }
  }

  if (rules.preheader) {
    const preheader = (input.preheader ?? '').trim();
    const { recommendedMin, recommendedMax } = rules.preheader;
    if (preheader.length === 0) warning('preheaderMissing', { recommendedMin, recommendedMax });
    else if (preheader.length < recommendedMin) warning('preheaderTooShort', { length: preheader.length, recommendedMin });
    else if (preheader.length > recommendedMax) warning('preheaderTooLong', { length: preheader.length, recommendedMax });
  }

  if (rules.clipAtKb !== null) {
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > rules.clipAtKb * 1024) warning('newsletterClipped', { kb: Math.ceil(bytes / 1024), maxKb: rules.clipAtKb });
  }

  if (rules.sms && sms) {
    const { maxSegments, recommendedMaxSegments } = rules.sms;
    if (sms.segments > maxSegments) error('smsTooManySegments', { segments: sms.segments, max: maxSegments });
    else if (sms.segments > recommendedMaxSegments) warning('smsMultipleSegments', { segments: sms.segments, recommendedMax: recommendedMaxSegments });
    if (sms.encoding === 'ucs2') {
      const friendly = analyzeSms(toGsmFriendly(body, { foldAccents: true }));
      warning('smsUnicode', { chars: sms.nonGsmChars.join(' '), segments: sms.segments, segmentsIfReplaced: friendly.segments });
    }
    if (rules.sms.requireSenderName) {
      const senderName = (input.senderName ?? '').trim();
      if (senderName.length === 0) error('smsSenderUnknown');
      else if (!mentionsSender(body, senderName)) error('smsSenderMissing', { senderName });
    }
    if (rules.sms.requireStop) {
      const stop = findStopMention(body);
      if (stop === 'none') error('smsStopMissing');
      else if (stop === 'word_only') warning('smsStopNumberMissing');
    }
  }

  return { channel: rules.channel, ok: !issues.some((i) => i.severity === 'error'), length, limit, unit: rules.unit, issues, ...(sms ? { sms } : {}) };
}

// ---------------------------------------------------------------------------------------------------------
// Guidance shown next to the editor

export interface GuidanceNote {
  /** i18n key, `studio.channelGuidance.<fact>`. */
  key: string;
  params: IssueParams;
}

export interface ChannelGuidance {
  channel: Channel;
  unit: LengthUnit;
  limit: number | null;
  recommendedMaxLength: number | null;
  foldAt: number | null;
  hashtags: ChannelRules['hashtags'];
  links: ChannelRules['links'];
  emoji: ChannelRules['emoji'];
  notes: GuidanceNote[];
}

/** Every guidance note; each is `studio.channelGuidance.<fact>`, an i18n key. */
export const CHANNEL_GUIDANCE_FACTS = [
  'limit',
  'limitWeighted',
  'recommendedLength',
  'foldAt',
  'hashtagsRecommended',
  'hashtagsMax',
  'hashtagsIneffective',
  'mentionsMax',
  'linksClickable',
  'linksFixedLength',
  'linksNotClickable',
  'linksCtaButton',
  'linksShort',
  'noPhoneNumbers',
  'titleLength',
  'minWords',
  'subjectLength',
  'preheaderLength',
  'gmailClip',
  'smsSegments',
  'smsMaxSegments',
  'smsMandatory',
  'emojiForcesUnicode',
] as const;
type GuidanceFact = (typeof CHANNEL_GUIDANCE_FACTS)[number];

const G = 'studio.channelGuidance';

/** The facts the UI shows beside the editor, structured and as translatable sentences (`notes`). */
export function channelGuidance(channel: string): ChannelGuidance {
  const rules = channelRules(channel);
  const notes: GuidanceNote[] = [];
  const note = (fact: GuidanceFact, params: IssueParams = {}) => notes.push({ key: `${G}.${fact}`, params });

  if (rules.unit === 'weighted_chars') note('limitWeighted', { limit: rules.maxLength!, urlLength: X_RULES.transformedUrlLength });
  else if (rules.maxLength !== null) note('limit', { limit: rules.maxLength });
  if (rules.recommendedMaxLength !== null) note('recommendedLength', { recommendedMax: rules.recommendedMaxLength });
  if (rules.foldAt !== null) note('foldAt', { foldAt: rules.foldAt });

  if (rules.hashtags) {
    const { max, recommendedMin, recommendedMax } = rules.hashtags;
    if (recommendedMax === 0) note('hashtagsIneffective');
    else note('hashtagsRecommended', { min: recommendedMin, max: recommendedMax });
    if (max !== null) note('hashtagsMax', { max });
  }
  if (rules.mentions.max !== null) note('mentionsMax', { max: rules.mentions.max });

  if (rules.links.placement === 'profile') note('linksNotClickable');
  else if (rules.links.placement === 'cta_button') note('linksCtaButton');
  else if (rules.links.countedAs !== null) note('linksFixedLength', { length: rules.links.countedAs });
  else if (rules.unit === 'sms_units') note('linksShort');
  else note('linksClickable');

  if (!rules.phoneNumbersAllowed) note('noPhoneNumbers');
  if (rules.title) note('titleLength', { recommendedMax: rules.title.recommendedMax });
  if (rules.minWords !== null) note('minWords', { min: rules.minWords });
  if (rules.subject) note('subjectLength', { recommendedMax: rules.subject.recommendedMax });
  if (rules.preheader) note('preheaderLength', { min: rules.preheader.recommendedMin, max: rules.preheader.recommendedMax });
  if (rules.clipAtKb !== null) note('gmailClip', { kb: rules.clipAtKb });

  if (rules.sms) {
    note('smsSegments', {
      gsmSingle: SMS_LIMITS.gsm7.single,
      gsmConcatenated: SMS_LIMITS.gsm7.concatenated,
      ucs2Single: SMS_LIMITS.ucs2.single,
      ucs2Concatenated: SMS_LIMITS.ucs2.concatenated,
    });
    note('smsMaxSegments', { max: rules.sms.maxSegments });
    note('smsMandatory');
  }
  if (rules.emoji.forcesUnicode) note('emojiForcesUnicode', { ucs2Single: SMS_LIMITS.ucs2.single });

  return {
    channel: rules.channel,
    unit: rules.unit,
    limit: rules.maxLength,
    recommendedMaxLength: rules.recommendedMaxLength,
    foldAt: rules.foldAt,
    hashtags: rules.hashtags,
    links: rules.links,
    emoji: rules.emoji,
    notes,
  };
}
