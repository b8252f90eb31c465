import { Router } from 'express';
import { z } from 'zod';
import { ValidationError } from '../../shared/errors.js';
import { requireLogin, requirePlatformAdmin } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { render } from '../../shared/http/render.js';
import { parseInput } from '../../shared/validation.js';
import { isPlainObject, LOCALE_PATTERN, PROMPT_CHANNELS, valueToText, type Json, type LayerRef } from './prompt-cascade.js';
import type { PromptLayerService, ResolvedPrompt } from './prompt-layer-service.js';

/** Tasks the inspector can render a system prompt for (the others send none). */
export const INSPECTOR_TASKS = ['generation', 'planning', 'seo_analysis', 'summarization', 'moderation'] as const;

const blankToUndefined = (v: unknown) => (v === '' || v === undefined ? undefined : v);

const inspectorQuery = z.object({
  tenant: z.preprocess(blankToUndefined, z.string().optional()),
  locale: z.preprocess(blankToUndefined, z.string().regex(LOCALE_PATTERN, 'prompts.errors.invalidLocale').optional()),
  task: z.preprocess(blankToUndefined, z.enum(INSPECTOR_TASKS, { error: 'prompts.errors.invalidTask' }).default('generation')),
  channel: z.preprocess(blankToUndefined, z.enum(PROMPT_CHANNELS, { error: 'prompts.errors.invalidChannel' }).optional()),
});

/** A value as the inspector shows it: text, a list, or JSON. */
export type DisplayValue = { kind: 'text'; text: string } | { kind: 'list'; items: string[] } | { kind: 'json'; text: string };

function display(value: Json): DisplayValue {
  if (typeof value === 'string') return { kind: 'text', text: value };
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) {
    return { kind: 'list', items: value.map((v) => String(v)) };
  }
  if (isPlainObject(value) || Array.isArray(value)) return { kind: 'json', text: JSON.stringify(value, null, 2) };
  return { kind: 'text', text: valueToText(value) };
}

/** The inspector lists keys in the order the prompt uses them: system, safety, style, seo, channels, then the rest. */
const GROUP_ORDER = ['system', 'safety', 'style', 'seo', 'channels'];
function groupRank(key: string): number {
  const rank = GROUP_ORDER.indexOf(key.split('.')[0]);
  return rank === -1 ? GROUP_ORDER.length : rank;
}

export interface InspectorEntry {
  key: string;
  value: DisplayValue;
  source: LayerRef;
  /** The source's locale is not the requested one: a key-by-key fallback. */
  fallback: boolean;
  /** For a list other layers appended to: the layer that set the base list, then the appending ones. */
  base: LayerRef | null;
  appendedBy: LayerRef[];
  overridden: { value: DisplayValue; source: LayerRef }[];
}

/** The view model of one resolution: every leaf with the layer that set it, what it overrode, what was removed. */
export function inspectorEntries(resolved: ResolvedPrompt): { entries: InspectorEntry[]; removed: { key: string; value: DisplayValue; source: LayerRef; removedBy: LayerRef }[] } {
  const entries = Object.values(resolved.provenance).map((leaf) => ({
    key: leaf.key,
    value: display(leaf.value),
    source: leaf.source,
    fallback: leaf.source.locale !== resolved.locale,
    base: leaf.contributors.length > 1 ? leaf.contributors[0] : null,
    appendedBy: leaf.contributors.length > 1 ? leaf.contributors.slice(1) : [],
    overridden: leaf.overridden.map((o) => ({ value: display(o.value), source: o.source })),
  }));
  entries.sort((a, b) => groupRank(a.key) - groupRank(b.key) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const removed = resolved.removed.map((r) => ({ key: r.key, value: display(r.value), source: r.source, removedBy: r.removedBy }));
  return { entries, removed };
}

/**
 * The super admin's "effective prompt" inspector: for a tenant and a locale, every resolved key with the
 * layer that set it (overridden values below), and the rendered system prompt. Reads in the platform context.
 */
export function promptRoutes(deps: { promptLayerService: PromptLayerService }): Router {
  const { promptLayerService } = deps;
  const router = Router();

  router.get('/admin/prompts', requireLogin, requirePlatformAdmin, async (req, res) => {
    const [tenants, knownLocales] = await Promise.all([promptLayerService.listTenants(), promptLayerService.listLocales()]);
    const raw = { tenant: req.query.tenant, locale: req.query.locale, task: req.query.task, channel: req.query.channel };
    const base = { tenants, values: raw, errors: {} as Record<string, string>, tasks: INSPECTOR_TASKS, channels: PROMPT_CHANNELS };
    const locales = (current?: string) => [...new Set(['fr', 'en', ...knownLocales, ...(current ? [current] : [])])];

    let query: z.infer<typeof inspectorQuery>;
    try {
      query = parseInput(inspectorQuery, raw);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return render(req, res, 'admin/prompts/index', { ...base, locales: locales(), errors: err.fieldErrors, resolved: null }, { status: 422, fragment: 'admin/prompts/_inspector' });
    }

    if (query.tenant === undefined) {
      return render(req, res, 'admin/prompts/index', { ...base, locales: locales(), resolved: null }, { fragment: 'admin/prompts/_inspector' });
    }
    const resolved = await promptLayerService.inspect(uuidParam(query.tenant), query.locale);
    const rendered = promptLayerService.renderSystemPrompt(resolved.document, { task: query.task, channel: query.channel, locale: resolved.locale });
    render(
      req,
      res,
      'admin/prompts/index',
      {
        ...base,
        values: { tenant: resolved.tenant.id, locale: resolved.locale, task: query.task, channel: query.channel ?? '' },
        locales: locales(resolved.locale),
        resolved,
        ...inspectorEntries(resolved),
        rendered,
      },
      { fragment: 'admin/prompts/_inspector' },
    );
  });

  return router;
}
