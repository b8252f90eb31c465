import { parseHTML } from 'linkedom';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import { SELECTOR_FIELDS, type ExtractMode, type SourceKind } from './domain.js';
import type { FeedDiscovery, FeedDiscoveryResult } from './feed-discovery.js';
import type { SourcePoll, WatchPoller } from './poller.js';
import type {
  ChangeDetail,
  ChangeFilter,
  ChangeView,
  Competitor,
  FetchLogEntry,
  KnexCompetitorRepository,
  PlanLimits,
  SourceSelector,
  SourceView,
} from './db/knex-competitor-repository.js';

const E = 'watch.ui.errors';
const MAX_INTERVAL_MINUTES = 30 * 1440;

/** The form as posted (urlencoded body). */
export type WatchForm = Record<string, unknown>;

const last = (v: unknown) => (Array.isArray(v) ? v.at(-1) : v);
const blankToUndefined = (v: unknown) => {
  const value = last(v);
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
};
const checkbox = (v: unknown) => ['on', 'true', '1'].includes(String(last(v) ?? ''));

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.username && !url.password;
  } catch {
    return false;
  }
}

/** The URL as stored: parsed and re-serialised (host lower-cased, default port dropped), without its fragment. */
function normaliseUrl(value: string): string {
  const url = new URL(value);
  url.hash = '';
  return url.toString();
}

/** Lower-cased host with its port when not the default: what politeness is shared on (`watch_hosts.host`). */
export function hostOf(url: string): string {
  return new URL(url).host.toLowerCase();
}

const httpUrl = z.string().trim().max(2048, `${E}.urlTooLong`).refine(isHttpUrl, `${E}.urlInvalid`).transform(normaliseUrl);

const competitorSchema = z.object({
  name: z.preprocess(last, z.string({ error: `${E}.nameRequired` }).trim().min(1, `${E}.nameRequired`).max(200, `${E}.nameTooLong`)),
  website: z.preprocess(blankToUndefined, httpUrl.optional()),
  notes: z.preprocess((v) => last(v) ?? '', z.string().trim().max(5_000, `${E}.notesTooLong`)),
});

const sourceSettingsSchema = z.object({
  title: z.preprocess(blankToUndefined, z.string().trim().max(500, `${E}.titleTooLong`).optional()),
  intervalMinutes: z.preprocess(
    (v) => String(last(v) ?? '').trim(),
    z.string().regex(/^\d{1,6}$/, `${E}.intervalInvalid`).transform(Number).pipe(z.number().min(1, `${E}.intervalInvalid`)),
  ),
  extractMode: z.preprocess((v) => last(v) ?? 'full_text', z.enum(['full_text', 'selectors'], { error: `${E}.extractModeInvalid` })),
});

const newSourceSchema = sourceSettingsSchema.extend({
  kind: z.preprocess(last, z.enum(['rss', 'page'], { error: `${E}.kindInvalid` })),
  url: z.preprocess((v) => last(v) ?? '', z.string().trim().min(1, `${E}.urlRequired`).pipe(httpUrl)),
  discoveredFromUrl: z.preprocess(blankToUndefined, httpUrl.optional()),
});

const ATTRIBUTE = /^[A-Za-z_:][-A-Za-z0-9_:.]{0,99}$/;
const { document: selectorProbe } = parseHTML('<!doctype html><html><body></body></html>');

function isValidSelector(selector: string): boolean {
  try {
    selectorProbe.querySelector(selector);
    return true;
  } catch {
    return false;
  }
}

/** Validates a form against a schema, adding its field errors to `errors`; the data when valid. */
function collect<S extends z.ZodType>(schema: S, form: WatchForm, errors: Record<string, string>): z.infer<S> | undefined {
  const result = schema.safeParse(form);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '_form');
    errors[field] ??= issue.message.startsWith('watch.') ? issue.message : 'common.errors.invalidValue';
  }
  return undefined;
}

/**
 * The selectors editor: per field (`selector.<field>`, `attribute.<field>`, `multiple.<field>`) a CSS selector,
 * an optional attribute to read instead of the text, and whether every match counts (product lists). A field left
 * blank has no selector.
 */
function parseSelectors(form: WatchForm, errors: Record<string, string>): SourceSelector[] {
  const selectors: SourceSelector[] = [];
  for (const field of SELECTOR_FIELDS) {
    const selector = String(last(form[`selector.${field}`]) ?? '').trim();
    const attribute = String(last(form[`attribute.${field}`]) ?? '').trim();
    if (!selector) {
      if (attribute) errors[`selector.${field}`] = `${E}.selectorMissing`;
      continue;
    }
    if (selector.length > 1_000 || !isValidSelector(selector)) errors[`selector.${field}`] = `${E}.selectorInvalid`;
    if (attribute && !ATTRIBUTE.test(attribute)) errors[`attribute.${field}`] = `${E}.attributeInvalid`;
    selectors.push({ field, selector, attribute: attribute || null, multiple: checkbox(form[`multiple.${field}`]) });
  }
  return selectors;
}

/** The poll interval against the plan: not below its minimum, not beyond a month. */
function checkInterval(minutes: number | undefined, limits: PlanLimits, errors: Record<string, string>): void {
  if (minutes === undefined || errors.intervalMinutes) return;
  if (minutes < limits.minIntervalMinutes) errors.intervalMinutes = `${E}.intervalBelowMinimum`;
  else if (minutes > MAX_INTERVAL_MINUTES) errors.intervalMinutes = `${E}.intervalTooLong`;
}

/**
 * Competitors and their sources (feeds and pages, within the plan's limits), the changes seen on them, feed
 * discovery and "check now" (both the poller's, called when they are wired).
 */
export class CompetitorService {
  constructor(
    private readonly deps: {
      competitorRepository: KnexCompetitorRepository;
      clock: Clock;
      feedDiscovery: Pick<FeedDiscovery, 'discover'>;
      watchPoller: Pick<WatchPoller, 'pollNow'>;
    },
  ) {}

  limits(tenantId: string): Promise<PlanLimits> {
    return this.deps.competitorRepository.planLimits(tenantId);
  }

  /** The interval a new source gets by default: six hours, or the plan's minimum when it is longer. */
  defaultInterval(limits: PlanLimits): number {
    return Math.max(360, limits.minIntervalMinutes);
  }

  competitors(tenantId: string): Promise<Competitor[]> {
    return this.deps.competitorRepository.listCompetitors(tenantId);
  }

  async competitor(tenantId: string, id: string): Promise<Competitor> {
    const competitor = isUuid(id) ? await this.deps.competitorRepository.findCompetitor(tenantId, id) : null;
    if (!competitor) throw new NotFoundError();
    return competitor;
  }

  async createCompetitor(tenantId: string, form: WatchForm): Promise<{ id: string }> {
    const errors: Record<string, string> = {};
    const data = collect(competitorSchema, form, errors);
    if (!data) throw new ValidationError(errors);
    const created = await this.deps.competitorRepository.createCompetitor(tenantId, { name: data.name, website: data.website ?? null, notes: data.notes });
    if (!created) throw new ValidationError({ name: `${E}.nameTaken` });
    return created;
  }

  async updateCompetitor(tenantId: string, id: string, form: WatchForm): Promise<void> {
    await this.competitor(tenantId, id);
    const errors: Record<string, string> = {};
    const data = collect(competitorSchema, form, errors);
    if (!data) throw new ValidationError(errors);
    const outcome = await this.deps.competitorRepository.updateCompetitor(tenantId, id, { name: data.name, website: data.website ?? null, notes: data.notes });
    if (outcome === 'notFound') throw new NotFoundError();
    if (outcome === 'nameTaken') throw new ValidationError({ name: `${E}.nameTaken` });
  }

  async setActive(tenantId: string, id: string, active: boolean): Promise<void> {
    if (!isUuid(id)) throw new NotFoundError();
    const outcome = await this.deps.competitorRepository.setCompetitorActive(tenantId, id, active, this.deps.clock.now());
    if (outcome === 'notFound') throw new NotFoundError();
    if (outcome === 'limit') {
      const { sourcesLimit } = await this.limits(tenantId);
      throw new AppError(`${E}.reactivateAboveLimit`, 422, { limit: sourcesLimit });
    }
  }

  sources(tenantId: string, competitorId: string): Promise<SourceView[]> {
    return this.deps.competitorRepository.listSources(tenantId, competitorId);
  }

  async source(tenantId: string, id: string): Promise<SourceView> {
    const source = isUuid(id) ? await this.deps.competitorRepository.findSource(tenantId, id) : null;
    if (!source) throw new NotFoundError();
    return source;
  }

  fetches(tenantId: string, sourceId: string): Promise<FetchLogEntry[]> {
    return this.deps.competitorRepository.recentFetches(tenantId, sourceId);
  }

  /**
   * A feed or a page to watch. The URL must be http(s); whether it may be fetched at all (private address,
   * robots…) is the fetcher's call at poll time, shown on the source. `_form` carries the plan's limit.
   */
  async addSource(tenantId: string, competitorId: string, form: WatchForm): Promise<{ id: string }> {
    await this.competitor(tenantId, competitorId);
    const limits = await this.limits(tenantId);
    const errors: Record<string, string> = {};
    const data = collect(newSourceSchema, form, errors);
    checkInterval(data?.intervalMinutes ?? numberOrUndefined(form.intervalMinutes), limits, errors);
    const kind = (data?.kind ?? last(form.kind)) as SourceKind;
    const mode = (data?.extractMode ?? 'full_text') as ExtractMode;
    const selectors = kind === 'page' && mode === 'selectors' ? parseSelectors(form, errors) : [];
    if (kind === 'page' && mode === 'selectors' && selectors.length === 0 && !Object.keys(errors).some((k) => k.startsWith('selector.'))) {
      errors.selectors = `${E}.selectorRequired`;
    }
    if (Object.keys(errors).length || !data) throw new ValidationError(errors);
    const created = await this.deps.competitorRepository.createSource(tenantId, {
      competitorId,
      kind: data.kind,
      url: data.url,
      host: hostOf(data.url),
      title: data.title ?? null,
      extractMode: data.extractMode,
      intervalMinutes: data.intervalMinutes,
      discoveredFromUrl: data.discoveredFromUrl ?? null,
      selectors,
      now: this.deps.clock.now(),
    });
    if (created === 'competitorNotFound') throw new NotFoundError();
    if (created === 'duplicate') throw new ValidationError({ url: `${E}.sourceDuplicate` });
    if (created === 'limit') throw new ValidationError({ _form: `${E}.sourcesLimit` });
    return created;
  }

  async updateSource(tenantId: string, id: string, form: WatchForm): Promise<void> {
    const source = await this.source(tenantId, id);
    const limits = await this.limits(tenantId);
    const errors: Record<string, string> = {};
    const data = collect(sourceSettingsSchema, form, errors);
    // an interval the plan allowed when it was set may stay; changing it must respect the plan in force
    const interval = data?.intervalMinutes ?? numberOrUndefined(form.intervalMinutes);
    if (interval !== source.intervalMinutes) checkInterval(interval, limits, errors);
    const mode = source.kind === 'page' ? ((data?.extractMode ?? 'full_text') as ExtractMode) : 'full_text';
    const selectors = mode === 'selectors' ? parseSelectors(form, errors) : [];
    if (mode === 'selectors' && selectors.length === 0 && !Object.keys(errors).some((k) => k.startsWith('selector.'))) errors.selectors = `${E}.selectorRequired`;
    if (Object.keys(errors).length || !data) throw new ValidationError(errors);
    const updated = await this.deps.competitorRepository.updateSource(tenantId, id, {
      title: data.title ?? null,
      extractMode: mode,
      intervalMinutes: data.intervalMinutes,
      selectors,
    });
    if (!updated) throw new NotFoundError();
  }

  async removeSource(tenantId: string, id: string): Promise<SourceView> {
    const source = await this.source(tenantId, id);
    if (!(await this.deps.competitorRepository.removeSource(tenantId, id))) throw new NotFoundError();
    return source;
  }

  /**
   * Feeds announced by a page (`<link rel="alternate">`), through the poller's discovery and so the safe fetcher:
   * its refusals (`fetch.errors.*`) come back as they are.
   */
  async discoverFeeds(tenantId: string, competitorId: string, form: WatchForm): Promise<FeedDiscoveryResult> {
    const competitor = await this.competitor(tenantId, competitorId);
    const errors: Record<string, string> = {};
    const data = collect(z.object({ pageUrl: z.preprocess((v) => blankToUndefined(v) ?? competitor.website ?? '', z.string().min(1, `${E}.urlRequired`).pipe(httpUrl)) }), form, errors);
    if (!data) throw new ValidationError(errors);
    return this.deps.feedDiscovery.discover(data.pageUrl);
  }

  /** Polls the source now (the poller still keeps the host's politeness: a busy host defers it). */
  async checkNow(tenantId: string, sourceId: string): Promise<SourcePoll> {
    await this.source(tenantId, sourceId);
    return this.deps.watchPoller.pollNow(tenantId, sourceId);
  }

  changes(tenantId: string, userId: string, filter: ChangeFilter): Promise<ChangeView[]> {
    return this.deps.competitorRepository.listChanges(tenantId, userId, filter);
  }

  async change(tenantId: string, userId: string, id: string): Promise<ChangeDetail> {
    const change = isUuid(id) ? await this.deps.competitorRepository.findChange(tenantId, userId, id) : null;
    if (!change) throw new NotFoundError();
    return change;
  }

  async dismiss(tenantId: string, id: string, dismissed: boolean): Promise<void> {
    if (!isUuid(id) || !(await this.deps.competitorRepository.setDismissed(tenantId, id, dismissed, this.deps.clock.now()))) throw new NotFoundError();
  }
}

function numberOrUndefined(value: unknown): number | undefined {
  const s = String(last(value) ?? '').trim();
  return /^\d{1,6}$/.test(s) ? Number(s) : undefined;
}
