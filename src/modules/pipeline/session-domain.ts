import { DateTime } from 'luxon';
import { z } from 'zod';
import { monthOf } from './domain.js';

/** The client's monthly input (step 1 of the run): what they want the month to be about. */

export const SESSION_STATUSES = ['open', 'submitted', 'closed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export const ITEM_KINDS = ['news', 'offer', 'event', 'priority'] as const;
export type SessionItemKind = (typeof ITEM_KINDS)[number];
export type SessionItemSource = 'client' | 'watch_change' | 'analytics';

/** How far ahead a client may prepare a month (the current one included). */
export const MONTHS_AHEAD = 3;
export const MAX_TEXT_CHARS = 10_000;
export const MAX_TRANSCRIPT_CHARS = 50_000;
export const MAX_PRIORITIES = 10;
export const MAX_ITEMS = 40;
/** What the watch flagged in this window before the run is offered as session items. */
export const WATCH_WINDOW_DAYS = 45;

export interface Priority {
  label: string;
  weight: number;
}

export interface MonthlySession {
  id: string;
  tenantId: string;
  /** `YYYY-MM-01`. */
  month: string;
  status: SessionStatus;
  textInput: string;
  audioInputId: string | null;
  audioMediaAssetId: string | null;
  audioTranscript: string | null;
  transcriptAiCallId: string | null;
  priorities: Priority[];
  locale: string;
  deadlineAt: Date | null;
  reminderSentAt: Date | null;
  submittedBy: string | null;
  submittedAt: Date | null;
  closedAt: Date | null;
}

export interface SessionItem {
  id: string;
  sessionId: string;
  kind: SessionItemKind;
  title: string;
  detail: string;
  /** `YYYY-MM-DD`. */
  startsOn: string | null;
  endsOn: string | null;
  url: string | null;
  mediaAssetId: string | null;
  source: SessionItemSource;
  watchChangeId: string | null;
  included: boolean;
  position: number;
  /** For watch suggestions: the competitor the change was seen at. */
  origin: string | null;
}

export function hasAudio(session: Pick<MonthlySession, 'audioInputId' | 'audioMediaAssetId'>): boolean {
  return Boolean(session.audioInputId || session.audioMediaAssetId);
}

/** The months a client may prepare now: the current one (in the tenant's zone) to `MONTHS_AHEAD` later. */
export function selectableMonths(now: Date, timezone: string): string[] {
  const current = DateTime.fromISO(monthOf(now, timezone), { zone: 'utc' });
  return Array.from({ length: MONTHS_AHEAD + 1 }, (_, i) => current.plus({ months: i }).toISODate()!);
}

/** A missing field reads as blank (zod 4's `.default` would skip the field's own parsing). */
const blank = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === undefined || v === null ? '' : v), schema);
const trimmed = (max: number, tooLong: string) => blank(z.string().trim().max(max, tooLong));
const optionalDate = blank(
  z
    .string()
    .trim()
    .refine((v) => v === '' || (/^\d{4}-\d{2}-\d{2}$/.test(v) && DateTime.fromISO(v).isValid), 'session.errors.dateInvalid')
    .transform((v) => v || null),
);

/** `true` for http(s) URLs only (no javascript:, no data:). */
function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const asList = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * The session form: free text, ranked priorities (parallel `priorityLabel` / `priorityWeight` fields; blank rows
 * dropped; ranked by weight, then as typed), an optional deadline in the tenant's zone, the editable transcript.
 */
export const sessionFormSchema = z
  .object({
    textInput: trimmed(MAX_TEXT_CHARS, 'session.errors.textTooLong'),
    priorityLabel: z.preprocess(asList, z.array(z.string().trim().max(200, 'session.errors.priorityTooLong'))),
    priorityWeight: z.preprocess(asList, z.array(z.string().trim())),
    deadline: blank(
      z
        .string()
        .trim()
        .refine((v) => v === '' || /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/.test(v), 'session.errors.deadlineInvalid'),
    ),
    audioTranscript: z.string().trim().max(MAX_TRANSCRIPT_CHARS, 'session.errors.transcriptTooLong').optional(),
  })
  .transform((form, ctx) => {
    const priorities: Priority[] = [];
    form.priorityLabel.forEach((label, i) => {
      if (!label) return;
      const raw = form.priorityWeight[i] ?? '';
      const weight = raw === '' ? 1 : Number(raw);
      if (!Number.isInteger(weight) || weight < 1 || weight > 10) {
        ctx.addIssue({ code: 'custom', path: ['priorities'], message: 'session.errors.weightInvalid' });
        return;
      }
      priorities.push({ label, weight });
    });
    if (priorities.length > MAX_PRIORITIES) ctx.addIssue({ code: 'custom', path: ['priorities'], message: 'session.errors.tooManyPriorities' });
    return { textInput: form.textInput, priorities: rankPriorities(priorities), deadline: form.deadline, audioTranscript: form.audioTranscript };
  });
export type SessionForm = z.infer<typeof sessionFormSchema>;

export const itemFormSchema = z
  .object({
    kind: z.enum(ITEM_KINDS, { error: 'session.errors.kindInvalid' }),
    title: blank(z.string().trim().min(1, 'session.errors.titleRequired').max(500, 'session.errors.titleTooLong')),
    detail: trimmed(5_000, 'session.errors.detailTooLong'),
    startsOn: optionalDate,
    endsOn: optionalDate,
    url: blank(
      z
        .string()
        .trim()
        .max(2048, 'session.errors.urlInvalid')
        .refine((v) => v === '' || isWebUrl(v), 'session.errors.urlInvalid')
        .transform((v) => v || null),
    ),
  })
  .superRefine((item, ctx) => {
    if (item.startsOn && item.endsOn && item.endsOn < item.startsOn) ctx.addIssue({ code: 'custom', path: ['endsOn'], message: 'session.errors.endsBeforeStart' });
  });
export type ItemForm = z.infer<typeof itemFormSchema>;

/** Highest weight first; equal weights keep the client's order. */
export function rankPriorities(priorities: Priority[]): Priority[] {
  return priorities.map((p, i) => ({ p, i })).sort((a, b) => b.p.weight - a.p.weight || a.i - b.i).map(({ p }) => p);
}

/** A deadline typed as `YYYY-MM-DD` (end of that day) or `YYYY-MM-DDTHH:mm`, in the tenant's zone. */
export function parseDeadline(value: string, timezone: string): Date | null {
  if (!value) return null;
  const local = value.includes('T') ? DateTime.fromISO(value, { zone: timezone }) : DateTime.fromISO(value, { zone: timezone }).endOf('day');
  return local.isValid ? local.toJSDate() : null;
}

/** The deadline as the form's `datetime-local` value, in the tenant's zone. */
export function deadlineInput(deadline: Date | null, timezone: string): string {
  return deadline ? DateTime.fromJSDate(deadline, { zone: timezone }).toFormat("yyyy-LL-dd'T'HH:mm") : '';
}
