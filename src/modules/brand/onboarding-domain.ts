import { z } from 'zod';

/** The wizard's steps, in order. `current_step` holds one of them; each has its page `/app/brand/onboarding/<step>`. */
export const ONBOARDING_STEPS = ['company', 'audio', 'questionnaire', 'documents', 'website', 'review'] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

export function isOnboardingStep(value: unknown): value is OnboardingStep {
  return typeof value === 'string' && (ONBOARDING_STEPS as readonly string[]).includes(value);
}

export function nextStep(step: OnboardingStep): OnboardingStep {
  const i = ONBOARDING_STEPS.indexOf(step);
  return ONBOARDING_STEPS[Math.min(i + 1, ONBOARDING_STEPS.length - 1)];
}

export function previousStep(step: OnboardingStep): OnboardingStep | null {
  const i = ONBOARDING_STEPS.indexOf(step);
  return i > 0 ? ONBOARDING_STEPS[i - 1] : null;
}

/** The written questionnaire: short, about what a marketer must know. Labels live in `brand.onboarding.questions.<key>`. */
export const QUESTION_KEYS = ['clients', 'difference', 'offers', 'tone', 'avoid', 'competitors', 'area'] as const;
export type QuestionKey = (typeof QUESTION_KEYS)[number];

/** Languages the business speaks to its customers in (checkboxes of the first step). */
export const BUSINESS_LANGUAGES = ['fr', 'en', 'es', 'de', 'it', 'nl', 'pt', 'ar', 'br', 'oc', 'co', 'eu'] as const;

export const INPUT_KINDS = ['audio', 'text', 'pdf', 'url', 'questionnaire'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];
export const INPUT_STATUSES = ['pending', 'processing', 'done', 'failed'] as const;
export type InputStatus = (typeof INPUT_STATUSES)[number];

/** `question_key` of the text input that carries the company basics. */
export const COMPANY_INPUT_KEY = 'company';

export type SessionStatus = 'in_progress' | 'extracting' | 'completed' | 'failed' | 'abandoned';

export interface CompanyBasics {
  name: string;
  activity: string;
  city: string;
  website: string;
  phone: string;
  email: string;
  languages: string[];
}

/** The DNA extraction launched from the review step, tracked inside the session's step_data. */
export interface ExtractionState {
  state: 'running' | 'failed' | 'done';
  attempts: number;
  /** Who asked for it (the snapshot's author). */
  requestedBy?: string;
  /** When the current attempt claimed the work (a stale claim may be taken over by the sweeper). */
  claimedAt?: string;
  errorCode?: string;
  dnaId?: string;
  version?: number;
}

/** The wizard's answers so far (the `step_data` JSONB): resumable. */
export interface StepData {
  company?: CompanyBasics;
  questionnaire?: Partial<Record<QuestionKey, string>>;
  questionnaireSavedAt?: string;
  website?: { url: string };
  extraction?: ExtractionState;
}

export interface OnboardingSession {
  id: string;
  tenantId: string;
  kind: 'initial' | 'update' | 'pipeline';
  status: SessionStatus;
  currentStep: OnboardingStep;
  stepData: StepData;
  locale: string;
  startedBy: string | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface OnboardingInput {
  id: string;
  tenantId: string;
  sessionId: string;
  kind: InputKind;
  status: InputStatus;
  questionKey: string | null;
  rawText: string | null;
  originalFilename: string | null;
  mimeType: string | null;
  sizeBytes: number | null;
  storageKey: string | null;
  sha256: string | null;
  sourceUrl: string | null;
  finalUrl: string | null;
  durationMs: number | null;
  pageCount: number | null;
  extractedText: string | null;
  extractedChars: number | null;
  aiCallId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  processedAt: Date | null;
  locale: string;
  createdAt: Date;
  updatedAt: Date;
}

export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
export const MAX_PDF_BYTES = 20 * 1024 * 1024;
export const MAX_PDFS_PER_UPLOAD = 10;
export const MAX_ANSWER_CHARS = 5_000;
/** Pages of a website read: the home page and a few linked pages. */
export const WEBSITE_MAX_PAGES = 5;
/** Text kept per input (an extracted brochure may be long; the DNA extraction budgets its own prompt). */
export const MAX_EXTRACTED_CHARS = 200_000;

/** Field messages are i18n keys (`parseInput` keeps them). */
const E = 'brand.onboarding.errors';

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `${E}.tooLong`)
    .optional()
    .transform((v) => v ?? '');

/** A site typed as `www.example.fr` or `example.fr/contact` is understood as https. */
export function normaliseWebsite(value: string): string {
  const v = value.trim();
  if (!v) return '';
  return /^[a-z][a-z0-9+.-]*:/i.test(v) ? v : `https://${v}`;
}

const websiteField = z
  .string()
  .trim()
  .max(2048, `${E}.tooLong`)
  .optional()
  .transform((v) => normaliseWebsite(v ?? ''))
  .refine((v) => v === '' || isHttpUrl(v), `${E}.websiteInvalid`);

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && Boolean(url.hostname);
  } catch {
    return false;
  }
}

const asList = (v: unknown) => (v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v]);

export const companySchema = z.object({
  name: z.string({ error: `${E}.nameRequired` }).trim().min(1, `${E}.nameRequired`).max(200, `${E}.tooLong`),
  activity: z.string({ error: `${E}.activityRequired` }).trim().min(1, `${E}.activityRequired`).max(1000, `${E}.tooLong`),
  city: optionalText(200),
  website: websiteField,
  phone: optionalText(40).refine((v) => v === '' || /^\+?[0-9 ().\-/]{6,40}$/.test(v), `${E}.phoneInvalid`),
  email: optionalText(320).refine((v) => v === '' || z.email().safeParse(v).success, `${E}.emailInvalid`),
  languages: z.preprocess(
    asList,
    z.array(z.enum(BUSINESS_LANGUAGES, { error: `${E}.languageUnknown` })).min(1, `${E}.languagesRequired`).max(BUSINESS_LANGUAGES.length),
  ),
}) satisfies z.ZodType<CompanyBasics, unknown>;

export const questionnaireSchema = z.object(
  Object.fromEntries(QUESTION_KEYS.map((k) => [k, optionalText(MAX_ANSWER_CHARS)])) as Record<QuestionKey, ReturnType<typeof optionalText>>,
);

export const websiteSchema = z.object({
  url: z
    .string({ error: `${E}.urlRequired` })
    .trim()
    .min(1, `${E}.urlRequired`)
    .max(2048, `${E}.tooLong`)
    .transform(normaliseWebsite)
    .refine(isHttpUrl, `${E}.websiteInvalid`),
});

/** The basics as one readable text input for the DNA extraction. */
export function companyText(company: CompanyBasics, label: (field: keyof CompanyBasics) => string): string {
  const lines: string[] = [];
  for (const field of ['name', 'activity', 'city', 'website', 'phone', 'email'] as const) {
    if (company[field]) lines.push(`${label(field)}: ${company[field]}`);
  }
  if (company.languages.length) lines.push(`${label('languages')}: ${company.languages.join(', ')}`);
  return lines.join('\n');
}

/** Why a file was refused at upload (before any row exists): i18n keys `brand.onboarding.errors.file.<reason>`. */
export type UploadRejection = 'empty' | 'tooLarge' | 'notPdf' | 'notAudio';

/** Accepted audio, recognised by their bytes: the transcription APIs' own list (mp3, wav, m4a/mp4, ogg/opus, webm). */
export function sniffAudio(data: Buffer): { mimeType: string; extension: string } | null {
  if (data.length < 12) return null;
  const ascii = (start: number, end: number) => data.subarray(start, end).toString('latin1');
  if (ascii(0, 3) === 'ID3' || (data[0] === 0xff && (data[1] & 0xe0) === 0xe0 && (data[1] & 0x06) !== 0)) return { mimeType: 'audio/mpeg', extension: 'mp3' };
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return { mimeType: 'audio/wav', extension: 'wav' };
  if (ascii(0, 4) === 'OggS') return { mimeType: 'audio/ogg', extension: 'ogg' };
  if (ascii(4, 8) === 'ftyp') return { mimeType: 'audio/mp4', extension: 'm4a' };
  if (data.readUInt32BE(0) === 0x1a45dfa3) return { mimeType: 'audio/webm', extension: 'webm' };
  return null;
}

/** A PDF starts with `%PDF-` (the specification tolerates a little junk before it). */
export function looksLikePdf(data: Buffer): boolean {
  return data.subarray(0, 1024).includes('%PDF-');
}

/** A filename safe to show and to store: no path, no control characters, bounded. */
export function cleanFilename(name: string | undefined, fallback: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return cleaned || fallback;
}
