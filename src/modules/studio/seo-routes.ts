import { Router, type Request, type Response } from 'express';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { render } from '../../shared/http/render.js';
import { isChannel, type ContentCheck } from './channels.js';
import { DENSITY_RANGE, jsonLdScript } from './seo/index.js';
import { MAX_ANALYSED_BODY, type DraftAnalysis, type SeoService } from './seo-service.js';

/** The editor's field names, each with the longest value the live analysis takes. */
const FIELD_LIMITS = {
  channel: 40,
  locale: 16,
  title: 1_000,
  body: MAX_ANALYSED_BODY,
  targetKeyword: 200,
  metaDescription: 1_000,
  slug: 300,
  subject: 1_000,
  preheader: 1_000,
} as const;
type Field = keyof typeof FIELD_LIMITS;
type Form = Record<Field, string>;

const VIEW = 'studio/_analysis';

/** The posted fields as strings ('' when absent); a repeated or non-text field is invalid. */
function readForm(body: unknown): { form: Form; invalid: Field[] } {
  const source = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const form = {} as Form;
  const invalid: Field[] = [];
  for (const field of Object.keys(FIELD_LIMITS) as Field[]) {
    const value = source[field];
    if (value === undefined || value === null) form[field] = '';
    else if (typeof value === 'string') form[field] = value.replace(/\r\n?/g, '\n');
    else {
      form[field] = '';
      invalid.push(field);
    }
  }
  for (const field of Object.keys(FIELD_LIMITS) as Field[]) {
    if (field !== 'body' && form[field].length > FIELD_LIMITS[field] && !invalid.includes(field)) invalid.push(field);
  }
  return { form, invalid };
}

function numberFormat(req: Request, maximumFractionDigits = 0) {
  const format = new Intl.NumberFormat(req.locale, { maximumFractionDigits });
  return (n: number) => format.format(n);
}

/** Helpers the fragment uses: messages with their numbers written the reader's way, units, money. */
function helpers(req: Request) {
  const integer = numberFormat(req);
  const decimal = numberFormat(req, 1);
  const money = new Intl.NumberFormat(req.locale, { style: 'currency', currency: 'EUR', minimumFractionDigits: 2, maximumFractionDigits: 3 });
  const unitOf = (check: ContentCheck) =>
    req.t(check.unit === 'sms_units' ? `studio.analysis.units.sms_units_${check.sms?.encoding ?? 'gsm7'}` : `studio.analysis.units.${check.unit}`);
  return {
    n: (value: number) => integer(value),
    d: (value: number) => decimal(value),
    /** Micro-units of a currency → `0,05 €`. */
    money: (micros: number) => money.format(micros / 1_000_000),
    unitOf,
    /** An issue, fix or note: `count` stays a number (it picks the plural form), other numbers are formatted. */
    msg: (code: string, params: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => {
      const formatted: Record<string, unknown> = {};
      for (const [key, value] of Object.entries({ ...params, ...extra })) {
        formatted[key] = typeof value === 'number' && key !== 'count' ? (Number.isInteger(value) ? integer(value) : decimal(value)) : value;
      }
      return req.t(code, formatted);
    },
  };
}

/** What the fragment shows, besides the analysis itself. */
function viewOf(analysis: DraftAnalysis) {
  const check = analysis.channel;
  const errors = check.issues.filter((i) => i.severity === 'error').length;
  const warnings = check.issues.length - errors;
  const rules = analysis.guidance;
  let meter: { value: number; max: number; high: number } | null = null;
  if (check.sms) {
    const capacity = check.sms.perSegment * Math.max(1, check.sms.segments);
    meter = { value: check.sms.units, max: capacity, high: capacity };
  } else if (check.limit !== null) {
    const high = rules.recommendedMaxLength ?? Math.round(check.limit * 0.9);
    meter = { value: check.length, max: check.limit, high };
  }
  const jsonLd = analysis.seo?.jsonLd.length ? { script: jsonLdScript(analysis.seo.jsonLd, 2), types: analysis.seo.jsonLd.map((j) => j['@type']).join(', ') } : null;
  return { analysis, check, errors, warnings, meter, jsonLd, densityRange: DENSITY_RANGE, error: null };
}

function renderError(req: Request, res: Response, message: string): void {
  render(req, res, VIEW, { ...helpers(req), analysis: null, error: message }, { status: 422 });
}

/**
 * `POST /app/studio/analysis`: the live analysis panel of the editor (its form posts here on input, debounced).
 * Nothing is stored; the fragment's root is `<section id="analysis">`.
 */
export function seoAnalysisRoutes(deps: { seoService: SeoService }): Router {
  const router = Router();

  router.post('/app/studio/analysis', requireLogin, requireTenantPermission('content.write'), async (req, res) => {
    const { form, invalid } = readForm(req.body);
    if (form.body.length > MAX_ANALYSED_BODY) {
      const n = numberFormat(req);
      return renderError(req, res, req.t('studio.analysis.errors.bodyTooLong', { length: n(form.body.length), max: n(MAX_ANALYSED_BODY) }));
    }
    if (invalid.length) {
      return renderError(req, res, invalid.map((f) => req.t('studio.analysis.errors.invalidField', { field: req.t(`studio.analysis.fieldNames.${f}`) })).join(' '));
    }
    const channel = form.channel.trim();
    if (!channel) return renderError(req, res, req.t('studio.analysis.errors.channelMissing'));
    if (!isChannel(channel)) return renderError(req, res, req.t('studio.channelRules.unknownChannel', { channel }));

    const analysis = await deps.seoService.analyzeDraft(tenantIdOf(req), {
      channel,
      locale: form.locale.trim() || null,
      title: form.title,
      body: form.body,
      meta: {
        targetKeyword: form.targetKeyword.trim() || undefined,
        metaDescription: form.metaDescription.trim() || undefined,
        slug: form.slug.trim() || undefined,
        subject: form.subject.trim() || undefined,
        preheader: form.preheader.trim() || undefined,
      },
    });
    render(req, res, VIEW, { ...helpers(req), ...viewOf(analysis) });
  });

  return router;
}
