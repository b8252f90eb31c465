import crypto from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { NotFoundError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import { parseInput } from '../../shared/validation.js';
import { CsvReadError, readCsv } from '../publishing/contacts/csv.js';
import type { KnexReviewRepository } from './db/knex-review-repository.js';
import { REVIEW_TEXT_MAX, type MonthRating, type NewReview, type Review, type ReviewFilter, type ReviewSummary } from './review-domain.js';
import { guessLanguage } from './review-language.js';

const E = 'reputation.errors';
export const MAX_REVIEW_IMPORT_BYTES = 2 * 1024 * 1024;
export const MAX_REVIEW_IMPORT_ROWS = 5_000;
/** The report lists this many refused lines; the count covers them all. */
const MAX_REPORTED_REJECTIONS = 200;
const TREND_MONTHS = 12;

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** A date as a day (`YYYY-MM-DD`, or `DD/MM/YYYY` as French spreadsheets write it), kept at noon UTC. */
function parseDay(value: string): Date | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  const fr = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$/.exec(value.trim());
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : fr ? [fr[3], fr[2], fr[1]] : [];
  if (!y) return null;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d), 12));
  return date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d) ? date : null;
}

/** "4", "4/5", "4,0", "4 étoiles" → 4; "7" → 7 (refused by the schema, not as missing). */
function parseRating(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  const match = /^\s*(\d+(?:[.,]\d+)?)\s*(?:\/\s*5|★+|étoiles?|stars?)?\s*$/i.exec(value);
  return match ? Number(match[1]!.replace(',', '.')) : Number.NaN;
}

export const reviewSchema = (now: Date) =>
  z.object({
    authorName: z.preprocess((v) => (typeof v === 'string' ? v.trim() : ''), z.string().max(200, `${E}.authorTooLong`)),
    rating: z.preprocess(parseRating, z.number({ error: (issue) => (issue.input === undefined ? `${E}.ratingRequired` : `${E}.ratingInvalid`) }).int(`${E}.ratingInvalid`).min(1, `${E}.ratingInvalid`).max(5, `${E}.ratingInvalid`)),
    text: z.preprocess((v) => (typeof v === 'string' ? v.trim() : ''), z.string().max(REVIEW_TEXT_MAX, `${E}.textTooLong`)),
    locale: z.preprocess(blankToUndefined, z.string().trim().toLowerCase().regex(/^[a-z]{2}$/, `${E}.localeInvalid`).optional()),
    url: z.preprocess(blankToUndefined, z.string().trim().max(2048, `${E}.urlInvalid`).regex(/^https?:\/\/\S+$/i, `${E}.urlInvalid`).optional()),
    reviewedAt: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() ? (parseDay(v) ?? 'invalid') : undefined),
      z.date({ error: (issue) => (issue.input === undefined ? `${E}.dateRequired` : `${E}.dateInvalid`) }).max(new Date(now.getTime() + 24 * 3_600_000), `${E}.dateInFuture`),
    ),
  });

export type ReviewInput = Partial<Record<keyof z.input<ReturnType<typeof reviewSchema>>, unknown>>;

export interface ReviewImportReport {
  fileName: string;
  total: number;
  imported: number;
  /** Lines already imported (same date, author, rating and text). */
  duplicates: number;
  rejectedCount: number;
  rejected: { line: number; field: string; code: string }[];
  /** Why the whole file was refused (unreadable, empty, no rating column…). */
  errorCode: string | null;
}

/** Header names understood by the import, normalised (lower case, no accents or punctuation). */
const HEADERS: Record<keyof ReviewInput, string[]> = {
  reviewedAt: ['date', 'reviewedat', 'reviewdate', 'datedelavis', 'dateavis', 'publiele', 'datedepublication'],
  rating: ['rating', 'note', 'stars', 'etoiles', 'score', 'notesur5'],
  authorName: ['author', 'auteur', 'name', 'nom', 'reviewer', 'client'],
  text: ['text', 'texte', 'avis', 'comment', 'commentaire', 'review', 'contenu', 'message'],
  locale: ['language', 'langue', 'locale', 'lang'],
  url: ['url', 'lien', 'link'],
};

const normaliseHeader = (h: string) => h.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Reviews as the client sees them: the list (filters), the rating's average and monthly trend, and the reviews of
 * sources Cadence does not read itself, entered one by one or imported from a CSV file (Excel's `;` and Windows-1252
 * included) with a report of the refused lines.
 */
export class ReviewService {
  constructor(private readonly deps: { reviewRepository: KnexReviewRepository; clock: Clock }) {}

  list(tenantId: string, filter: ReviewFilter): Promise<Review[]> {
    return this.deps.reviewRepository.list(tenantId, filter);
  }

  async get(tenantId: string, id: string): Promise<Review> {
    const review = isUuid(id) ? await this.deps.reviewRepository.find(tenantId, id) : null;
    if (!review) throw new NotFoundError();
    return review;
  }

  async summary(tenantId: string, timezone: string): Promise<ReviewSummary> {
    const months = lastMonths(this.deps.clock.now(), timezone, TREND_MONTHS);
    const since = new Date(Date.UTC(Number(months[0]!.slice(0, 4)), Number(months[0]!.slice(5)) - 1, 1) - 14 * 3_600_000);
    const found = await this.deps.reviewRepository.summary(tenantId, timezone, since);
    const byMonth = new Map(found.months.map((m) => [m.month, m]));
    return {
      count: found.count,
      average: found.average,
      months: months.map((month): MonthRating => byMonth.get(month) ?? { month, count: 0, average: null }),
    };
  }

  async add(tenantId: string, input: ReviewInput): Promise<string> {
    const data = parseInput(reviewSchema(this.deps.clock.now()), input);
    return this.deps.reviewRepository.insertManual(tenantId, this.newReview(data, await this.deps.reviewRepository.tenantLocale(tenantId)));
  }

  async import(tenantId: string, fileName: string, data: Buffer): Promise<ReviewImportReport> {
    const report: ReviewImportReport = { fileName: fileName.slice(0, 255) || 'reviews.csv', total: 0, imported: 0, duplicates: 0, rejectedCount: 0, rejected: [], errorCode: null };
    let table;
    try {
      table = readCsv(data, { maxRows: MAX_REVIEW_IMPORT_ROWS });
    } catch (err) {
      if (!(err instanceof CsvReadError)) throw err;
      return { ...report, errorCode: `${E}.${err.code.split('.').pop()}` };
    }
    const columns = new Map<keyof ReviewInput, number>();
    table.header.forEach((h, i) => {
      const name = normaliseHeader(h);
      for (const [field, names] of Object.entries(HEADERS) as [keyof ReviewInput, string[]][]) if (!columns.has(field) && names.includes(name)) columns.set(field, i);
    });
    report.total = table.rows.length;
    if (!columns.has('rating') || !columns.has('reviewedAt')) return { ...report, errorCode: `${E}.importColumnsMissing` };

    const schema = reviewSchema(this.deps.clock.now());
    const fallback = await this.deps.reviewRepository.tenantLocale(tenantId);
    const valid: (NewReview & { externalId: string })[] = [];
    for (const row of table.rows) {
      const input = Object.fromEntries([...columns].map(([field, i]) => [field, row.cells[i] ?? ''])) as ReviewInput;
      const parsed = schema.safeParse(input);
      if (!parsed.success) {
        report.rejectedCount += 1;
        const issue = parsed.error.issues[0]!;
        if (report.rejected.length < MAX_REPORTED_REJECTIONS) report.rejected.push({ line: row.line, field: String(issue.path[0] ?? ''), code: issue.message.startsWith(E) ? issue.message : `${E}.lineInvalid` });
        continue;
      }
      const review = this.newReview(parsed.data, fallback);
      const digest = crypto.createHash('sha256').update([review.reviewedAt.toISOString().slice(0, 10), review.authorName, review.rating, review.text].join('\u0000')).digest('hex');
      valid.push({ ...review, externalId: `csv:${digest}` });
    }
    const { inserted, duplicates } = await this.deps.reviewRepository.insertImported(tenantId, valid);
    return { ...report, imported: inserted, duplicates };
  }

  private newReview(data: z.infer<ReturnType<typeof reviewSchema>>, fallbackLocale: string): NewReview {
    return {
      authorName: data.authorName,
      rating: data.rating,
      text: data.text,
      locale: data.locale ?? guessLanguage(data.text, fallbackLocale),
      url: data.url ?? null,
      reviewedAt: data.reviewedAt,
    };
  }
}

/** `YYYY-MM` of the last `count` months up to now's, in the time zone, oldest first. */
export function lastMonths(now: Date, timezone: string, count: number): string[] {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit' }).formatToParts(now);
  let year = Number(parts.find((p) => p.type === 'year')!.value);
  let month = Number(parts.find((p) => p.type === 'month')!.value);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.unshift(`${year}-${String(month).padStart(2, '0')}`);
    month -= 1;
    if (month === 0) [year, month] = [year - 1, 12];
  }
  return out;
}
