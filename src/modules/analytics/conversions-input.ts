import { z } from 'zod';

/** What a site may report (`conversions.kind` values). */
export const CONVERSION_KINDS = ['purchase', 'lead', 'signup', 'booking', 'call', 'form_submission', 'custom'] as const;
export type ConversionKind = (typeof CONVERSION_KINDS)[number];

/** How far ahead of our clock an `occurred_at` may be (the site's clock may run a little fast). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

const text = (max: number) =>
  z.preprocess((v) => (typeof v === 'string' ? v.trim() : v) || undefined, z.string().max(max, { message: 'tooLong' }).optional());

/** A money amount in currency units ("49.90", 49.9) as exact cents; never through floating point arithmetic. */
const amount = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : v) || undefined,
  z
    .string()
    .regex(/^\d{1,10}(\.\d{1,2})?$/, { message: 'invalidValue' })
    .transform((s) => {
      const [units, decimals = ''] = s.split('.');
      return Number(units) * 100 + Number(decimals.padEnd(2, '0'));
    })
    .optional(),
);

/**
 * One conversion as posted (JSON or form) or carried by the pixel's query string. Unknown fields are ignored;
 * messages are i18n keys under `conversions.errors`.
 */
export const conversionInput = z.object({
  kind: z.enum(CONVERSION_KINDS, { message: 'invalidKind' }),
  value: amount,
  currency: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() ? v.trim().toUpperCase() : undefined),
    z.string().regex(/^[A-Z]{3}$/, { message: 'invalidCurrency' }).default('EUR'),
  ),
  external_ref: text(255),
  utm_source: text(100),
  utm_medium: text(100),
  utm_campaign: text(100),
  utm_content: text(100),
  utm_term: text(100),
  occurred_at: z.preprocess((v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined), z.iso.datetime({ offset: true, message: 'invalidDate' }).optional()),
});

export type ConversionInput = z.output<typeof conversionInput>;

/** The input, or the first problem as `{ field, code }` (code = `conversions.errors.<…>`). */
export function parseConversion(raw: unknown, now: Date): { ok: true; value: ConversionInput & { occurredAt: Date } } | { ok: false; field: string; code: string } {
  const parsed = conversionInput.safeParse(raw && typeof raw === 'object' ? raw : {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? 'kind');
    const code = /^[a-zA-Z]+$/.test(issue.message) && issue.message !== 'Required' ? issue.message : field === 'kind' ? 'invalidKind' : 'invalidField';
    return { ok: false, field, code: `conversions.errors.${code}` };
  }
  const occurredAt = parsed.data.occurred_at ? new Date(parsed.data.occurred_at) : now;
  if (occurredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) return { ok: false, field: 'occurred_at', code: 'conversions.errors.futureDate' };
  return { ok: true, value: { ...parsed.data, occurredAt } };
}
