import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { ChangeFacts, ChangeKind, ExtractMode, SelectorField, Significance, SourceHealth, SourceKind } from '../domain.js';

export interface Competitor {
  id: string;
  name: string;
  website: string | null;
  notes: string;
  active: boolean;
  createdAt: Date;
  sourceCount: number;
  unhealthySourceCount: number;
}

export interface CompetitorInput {
  name: string;
  website: string | null;
  notes: string;
}

export interface SourceSelector {
  field: SelectorField;
  selector: string;
  attribute: string | null;
  multiple: boolean;
  lastMatchedAt?: Date | null;
  missingSince?: Date | null;
}

/** A source as the screens show it: what is watched, how often, and how its polls went. */
export interface SourceView {
  id: string;
  competitorId: string;
  kind: SourceKind;
  url: string;
  host: string;
  title: string | null;
  extractMode: ExtractMode;
  intervalMinutes: number;
  discoveredFromUrl: string | null;
  resolvedUrl: string | null;
  lastPolledAt: Date | null;
  lastChangedAt: Date | null;
  nextPollAt: Date | null;
  lastHttpStatus: number | null;
  consecutiveFailures: number;
  health: SourceHealth;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  lastErrorAt: Date | null;
  active: boolean;
  createdAt: Date;
  selectors: SourceSelector[];
}

export interface NewSource {
  competitorId: string;
  kind: SourceKind;
  url: string;
  host: string;
  title: string | null;
  extractMode: ExtractMode;
  intervalMinutes: number;
  discoveredFromUrl: string | null;
  selectors: SourceSelector[];
  now: Date;
}

export interface SourceUpdate {
  title: string | null;
  extractMode: ExtractMode;
  intervalMinutes: number;
  selectors: SourceSelector[];
}

export interface FetchLogEntry {
  fetchedAt: Date;
  outcome: 'changed' | 'unchanged' | 'not_modified' | 'error';
  httpStatus: number | null;
  bytesReceived: number;
  errorCode: string | null;
}

export interface PlanLimits {
  sourcesLimit: number;
  minIntervalMinutes: number;
}

export interface ChangeFilter {
  competitorId?: string;
  kind?: ChangeKind;
  significance?: Significance;
  unreadOnly?: boolean;
  /** Dismissed changes are hidden unless asked for. */
  includeDismissed?: boolean;
  limit: number;
  offset: number;
}

/** A change as the overview lists it, with whether the reader still has it unread. */
export interface ChangeView extends ChangeFacts {
  id: string;
  sourceId: string;
  competitorId: string | null;
  competitorName: string | null;
  sourceKind: SourceKind;
  sourceUrl: string;
  sourceTitle: string | null;
  kind: ChangeKind;
  significance: Significance;
  summary: string | null;
  summaryStatus: 'pending' | 'ready' | 'failed' | 'skipped';
  respondedContentId: string | null;
  respondedAt: Date | null;
  dismissedAt: Date | null;
  detectedAt: Date;
  unread: boolean;
}

export interface ChangeDetail extends ChangeView {
  diffText: string | null;
  previousSnapshotAt: Date | null;
  newSnapshotAt: Date | null;
  feedItem: { title: string | null; url: string | null; summary: string | null; publishedAt: Date | null } | null;
  respondedByName: string | null;
}

export type ResponseClaim = { state: 'claimed' } | { state: 'exists'; contentId: string } | { state: 'busy' };

const SOURCE_COLUMNS = [
  'id', 'competitorId', 'kind', 'url', 'host', 'title', 'extractMode', 'intervalMinutes', 'discoveredFromUrl', 'resolvedUrl',
  'lastPolledAt', 'lastChangedAt', 'nextPollAt', 'lastHttpStatus', 'consecutiveFailures', 'health', 'lastErrorCode',
  'lastErrorMessage', 'lastErrorAt', 'active', 'createdAt',
];

const CHANGE_COLUMNS = [
  'c.id', 'c.sourceId', 'c.competitorId', 'co.name as competitorName', 's.kind as sourceKind', 's.url as sourceUrl',
  's.title as sourceTitle', 'c.kind', 'c.productName', 'c.oldPriceCents', 'c.newPriceCents', 'c.currency', 'c.priceChangeBp',
  'c.oldValue', 'c.newValue', 'c.title', 'c.url', 'c.significance', 'c.summary', 'c.summaryStatus', 'c.respondedContentId',
  'c.respondedAt', 'c.dismissedAt', 'c.detectedAt',
];

/** Two clicks on "Respond" within this delay: the second waits for the first rather than making a second content. */
const RESPONSE_LEASE_MS = 2 * 60_000;

/**
 * The watch's screens: competitors and their sources (CRUD; polling state belongs to the source repository of the
 * poller), the changes as the overview and the detail read them, dismissing, and the "Respond" claim.
 */
export class KnexCompetitorRepository {
  constructor(private readonly deps: { database: Database }) {}

  planLimits(tenantId: string): Promise<PlanLimits> {
    return this.deps.database.forTenant(tenantId, (trx) => limitsIn(trx, tenantId));
  }

  /** The tenant's language (what a brief answering a change is written in). */
  tenantLocale(tenantId: string): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('tenants').where({ id: tenantId }).first('locale');
      return (row?.locale as string | undefined) ?? 'fr';
    });
  }

  // ---- competitors ----

  listCompetitors(tenantId: string): Promise<Competitor[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('competitors as co')
        .leftJoin('watchSources as s', (j) => j.on('s.competitorId', 'co.id').andOn('s.tenantId', 'co.tenantId'))
        .where('co.tenantId', tenantId)
        .groupBy('co.id')
        .orderBy([{ column: 'co.active', order: 'desc' }, { column: 'co.name' }])
        .select(
          'co.id', 'co.name', 'co.website', 'co.notes', 'co.active', 'co.createdAt',
          trx.raw('count(s.id)::int as source_count'),
          trx.raw(`count(s.id) filter (where s.health = 'unhealthy')::int as unhealthy_source_count`),
        );
      return rows as Competitor[];
    });
  }

  findCompetitor(tenantId: string, id: string): Promise<Competitor | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('competitors as co')
        .leftJoin('watchSources as s', (j) => j.on('s.competitorId', 'co.id').andOn('s.tenantId', 'co.tenantId'))
        .where({ 'co.tenantId': tenantId, 'co.id': id })
        .groupBy('co.id')
        .first(
          'co.id', 'co.name', 'co.website', 'co.notes', 'co.active', 'co.createdAt',
          trx.raw('count(s.id)::int as source_count'),
          trx.raw(`count(s.id) filter (where s.health = 'unhealthy')::int as unhealthy_source_count`),
        );
      return (row as Competitor | undefined) ?? null;
    });
  }

  /** null when another competitor of the tenant already has this name (case ignored). */
  createCompetitor(tenantId: string, input: CompetitorInput): Promise<{ id: string } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await lockCompetitors(trx, tenantId);
      if (await nameTaken(trx, tenantId, input.name)) return null;
      const [row] = await trx('competitors').insert({ tenantId, ...input }).returning('id');
      return { id: row.id as string };
    });
  }

  /** 'notFound', 'nameTaken' or 'ok'. */
  updateCompetitor(tenantId: string, id: string, input: CompetitorInput): Promise<'ok' | 'notFound' | 'nameTaken'> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await lockCompetitors(trx, tenantId);
      if (await nameTaken(trx, tenantId, input.name, id)) return 'nameTaken';
      const updated = await trx('competitors').where({ tenantId, id }).update({ ...input, updatedAt: trx.fn.now() });
      return updated ? 'ok' : 'notFound';
    });
  }

  /**
   * A deactivated competitor's sources stop being polled (and stop counting against the plan); reactivating it
   * brings them back due at once, provided the plan still has room for them ('limit' otherwise).
   */
  setCompetitorActive(tenantId: string, id: string, active: boolean, now: Date): Promise<'ok' | 'notFound' | 'limit'> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await lockSources(trx, tenantId);
      const competitor = await trx('competitors').where({ tenantId, id }).first('id', 'active');
      if (!competitor) return 'notFound';
      if (competitor.active === active) return 'ok';
      if (active) {
        const { sourcesLimit } = await limitsIn(trx, tenantId);
        const [{ count: returning }] = await trx('watchSources').where({ tenantId, competitorId: id, active: false }).count<{ count: string }[]>('id as count');
        if ((await activeSourceCount(trx, tenantId)) + Number(returning) > sourcesLimit) return 'limit';
        await trx('watchSources').where({ tenantId, competitorId: id, active: false }).update({ active: true, nextPollAt: now, updatedAt: trx.fn.now() });
      } else {
        await trx('watchSources').where({ tenantId, competitorId: id, active: true }).update({ active: false, updatedAt: trx.fn.now() });
      }
      await trx('competitors').where({ tenantId, id }).update({ active, updatedAt: trx.fn.now() });
      return 'ok';
    });
  }

  // ---- sources ----

  /** Sources of one competitor, or of every competitor of the tenant, with their selectors. */
  listSources(tenantId: string, competitorId?: string): Promise<SourceView[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = trx('watchSources').where({ tenantId }).whereNotNull('competitorId').orderBy([{ column: 'kind' }, { column: 'createdAt' }]);
      if (competitorId) query.andWhere({ competitorId });
      const rows = (await query.select(SOURCE_COLUMNS)) as Omit<SourceView, 'selectors'>[];
      return withSelectors(trx, tenantId, rows);
    });
  }

  findSource(tenantId: string, id: string): Promise<SourceView | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('watchSources').where({ tenantId, id }).whereNotNull('competitorId').first(SOURCE_COLUMNS);
      if (!row) return null;
      const [source] = await withSelectors(trx, tenantId, [row as Omit<SourceView, 'selectors'>]);
      return source;
    });
  }

  /** Counted and inserted under one per-tenant lock, so two concurrent additions cannot pass the plan's limit. */
  createSource(tenantId: string, input: NewSource): Promise<{ id: string } | 'competitorNotFound' | 'limit' | 'duplicate'> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await lockSources(trx, tenantId);
      const competitor = await trx('competitors').where({ tenantId, id: input.competitorId }).first('active');
      if (!competitor) return 'competitorNotFound';
      if (await trx('watchSources').where({ tenantId, kind: input.kind, url: input.url }).first('id')) return 'duplicate';
      const { sourcesLimit } = await limitsIn(trx, tenantId);
      if (competitor.active && (await activeSourceCount(trx, tenantId)) >= sourcesLimit) return 'limit';
      const [row] = await trx('watchSources')
        .insert({
          tenantId,
          competitorId: input.competitorId,
          kind: input.kind,
          url: input.url,
          host: input.host,
          title: input.title,
          extractMode: input.kind === 'page' ? input.extractMode : 'full_text',
          intervalMinutes: input.intervalMinutes,
          discoveredFromUrl: input.discoveredFromUrl,
          active: Boolean(competitor.active),
          nextPollAt: input.now,
        })
        .returning('id');
      await insertSelectors(trx, tenantId, row.id, input.kind === 'page' && input.extractMode === 'selectors' ? input.selectors : []);
      return { id: row.id as string };
    });
  }

  /** The settings of a source; its selectors are replaced (a field kept as it was keeps its match history). */
  updateSource(tenantId: string, id: string, update: SourceUpdate): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const source = await trx('watchSources').where({ tenantId, id }).whereNotNull('competitorId').first('kind');
      if (!source) return false;
      const mode: ExtractMode = source.kind === 'page' ? update.extractMode : 'full_text';
      await trx('watchSources').where({ tenantId, id }).update({ title: update.title, extractMode: mode, intervalMinutes: update.intervalMinutes, updatedAt: trx.fn.now() });
      const wanted = mode === 'selectors' ? update.selectors : [];
      const current: SourceSelector[] = await trx('watchSelectors').where({ tenantId, sourceId: id }).select('field', 'selector', 'attribute', 'multiple');
      const same = (a: SourceSelector, b: SourceSelector) => a.selector === b.selector && (a.attribute ?? null) === (b.attribute ?? null) && a.multiple === b.multiple;
      const stale = current.filter((c) => !wanted.some((w) => w.field === c.field && same(w, c))).map((c) => c.field);
      if (stale.length) await trx('watchSelectors').where({ tenantId, sourceId: id }).whereIn('field', stale).delete();
      await insertSelectors(trx, tenantId, id, wanted.filter((w) => !current.some((c) => c.field === w.field && same(w, c))));
      return true;
    });
  }

  /** Removes the source with everything recorded about it (snapshots, changes, alerts: cascade). */
  removeSource(tenantId: string, id: string): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('watchSources').where({ tenantId, id }).whereNotNull('competitorId').delete()) > 0);
  }

  recentFetches(tenantId: string, sourceId: string, limit = 10): Promise<FetchLogEntry[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('watchFetchLog').where({ tenantId, sourceId }).orderBy('fetchedAt', 'desc').limit(limit).select('fetchedAt', 'outcome', 'httpStatus', 'bytesReceived', 'errorCode'),
    );
  }

  // ---- changes ----

  listChanges(tenantId: string, userId: string, filter: ChangeFilter): Promise<ChangeView[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = changesQuery(trx, tenantId, userId)
        .orderBy([{ column: 'c.detectedAt', order: 'desc' }, { column: 'c.id', order: 'desc' }])
        .limit(filter.limit)
        .offset(filter.offset);
      if (filter.competitorId) query.andWhere('c.competitorId', filter.competitorId);
      if (filter.kind) query.andWhere('c.kind', filter.kind);
      if (filter.significance) query.andWhere('c.significance', filter.significance);
      if (filter.unreadOnly) query.whereNotNull('a.id');
      if (!filter.includeDismissed) query.whereNull('c.dismissedAt');
      return (await query.select([...CHANGE_COLUMNS, trx.raw('(a.id is not null) as unread')])) as ChangeView[];
    });
  }

  findChange(tenantId: string, userId: string, id: string): Promise<ChangeDetail | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await changesQuery(trx, tenantId, userId)
        .leftJoin('watchSnapshots as ps', 'ps.id', 'c.previousSnapshotId')
        .leftJoin('watchSnapshots as ns', 'ns.id', 'c.newSnapshotId')
        .leftJoin('watchFeedItems as fi', 'fi.id', 'c.feedItemId')
        .leftJoin('users as u', 'u.id', 'c.respondedBy')
        .where('c.id', id)
        .first([
          ...CHANGE_COLUMNS,
          trx.raw('(a.id is not null) as unread'),
          'c.diffText',
          'ps.fetchedAt as previousSnapshotAt',
          'ns.fetchedAt as newSnapshotAt',
          'fi.id as feedItemId',
          'fi.title as feedItemTitle',
          'fi.url as feedItemUrl',
          'fi.summary as feedItemSummary',
          'fi.publishedAt as feedItemPublishedAt',
          'u.name as respondedByName',
        ]);
      if (!row) return null;
      const { feedItemId, feedItemTitle, feedItemUrl, feedItemSummary, feedItemPublishedAt, ...change } = row;
      return {
        ...(change as Omit<ChangeDetail, 'feedItem'>),
        feedItem: feedItemId ? { title: feedItemTitle, url: feedItemUrl, summary: feedItemSummary, publishedAt: feedItemPublishedAt } : null,
      };
    });
  }

  /** Dismissing also reads everyone's portal alert about the change: nobody needs to look at it any more. */
  setDismissed(tenantId: string, id: string, dismissed: boolean, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const updated = await trx('watchChanges').where({ tenantId, id }).update({ dismissedAt: dismissed ? now : null, updatedAt: trx.fn.now() });
      if (updated && dismissed) await trx('watchAlerts').where({ tenantId, changeId: id, channel: 'portal' }).whereNull('readAt').update({ readAt: now, updatedAt: trx.fn.now() });
      return updated > 0;
    });
  }

  // ---- "Respond" ----

  /**
   * Claims the right to create the content answering a change: `exists` when it was made already, `busy` while
   * another click is making it (a claim older than the lease is taken over: that click died), null if not found.
   */
  claimResponse(tenantId: string, changeId: string, userId: string, now: Date): Promise<ResponseClaim | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const change = await trx('watchChanges').where({ tenantId, id: changeId }).forUpdate().first('respondedContentId', 'respondedAt');
      if (!change) return null;
      if (change.respondedContentId) return { state: 'exists', contentId: change.respondedContentId as string };
      const respondedAt = change.respondedAt as Date | null;
      if (respondedAt && now.getTime() - respondedAt.getTime() < RESPONSE_LEASE_MS) return { state: 'busy' };
      await trx('watchChanges').where({ tenantId, id: changeId }).update({ respondedBy: userId, respondedAt: now, updatedAt: trx.fn.now() });
      return { state: 'claimed' };
    });
  }

  /** Links the change to the content made for it (the content already names the change as its origin). */
  completeResponse(tenantId: string, changeId: string, contentId: string): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('watchChanges').where({ tenantId, id: changeId }).whereNull('respondedContentId').update({ respondedContentId: contentId, updatedAt: trx.fn.now() });
    });
  }

  /** Gives the claim back after a failure, so the next click can try again at once. */
  releaseResponse(tenantId: string, changeId: string, userId: string): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('watchChanges').where({ tenantId, id: changeId, respondedBy: userId }).whereNull('respondedContentId').update({ respondedBy: null, respondedAt: null, updatedAt: trx.fn.now() });
    });
  }
}

async function limitsIn(trx: Knex.Transaction, tenantId: string): Promise<PlanLimits> {
  const plan = await trx('subscriptions as s')
    .join('plans as p', 'p.id', 's.planId')
    .where('s.tenantId', tenantId)
    .whereNot('s.status', 'cancelled')
    .orderBy('s.createdAt', 'desc')
    .first('p.watchSourcesLimit', 'p.watchMinPollIntervalMinutes');
  return plan
    ? { sourcesLimit: Number(plan.watchSourcesLimit), minIntervalMinutes: Number(plan.watchMinPollIntervalMinutes) }
    : { sourcesLimit: 0, minIntervalMinutes: 1440 };
}

async function activeSourceCount(trx: Knex.Transaction, tenantId: string): Promise<number> {
  const [{ count }] = await trx('watchSources').where({ tenantId, active: true }).count<{ count: string }[]>('id as count');
  return Number(count);
}

const lockSources = (trx: Knex.Transaction, tenantId: string) => trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`watch_sources:${tenantId}`]);
const lockCompetitors = (trx: Knex.Transaction, tenantId: string) => trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`competitors:${tenantId}`]);

async function nameTaken(trx: Knex.Transaction, tenantId: string, name: string, exceptId?: string): Promise<boolean> {
  const query = trx('competitors').where({ tenantId }).whereRaw('lower(name) = lower(?)', [name]);
  if (exceptId) query.whereNot({ id: exceptId });
  return Boolean(await query.first('id'));
}

async function withSelectors(trx: Knex.Transaction, tenantId: string, rows: Omit<SourceView, 'selectors'>[]): Promise<SourceView[]> {
  if (!rows.length) return [];
  const selectors = await trx('watchSelectors')
    .where({ tenantId })
    .whereIn('sourceId', rows.map((r) => r.id))
    .select('sourceId', 'field', 'selector', 'attribute', 'multiple', 'lastMatchedAt', 'missingSince');
  return rows.map((row) => ({
    ...row,
    selectors: selectors.filter((s) => s.sourceId === row.id).map(({ sourceId: _sourceId, ...s }) => s as SourceSelector),
  }));
}

async function insertSelectors(trx: Knex.Transaction, tenantId: string, sourceId: string, selectors: SourceSelector[]): Promise<void> {
  if (!selectors.length) return;
  await trx('watchSelectors').insert(
    selectors.map((s) => ({ tenantId, sourceId, field: s.field, selector: s.selector, attribute: s.attribute, multiple: s.multiple })),
  );
}

/** Changes of the tenant with their source and competitor, and the reader's unread portal alert if any. */
function changesQuery(trx: Knex.Transaction, tenantId: string, userId: string) {
  return trx('watchChanges as c')
    .join('watchSources as s', 's.id', 'c.sourceId')
    .leftJoin('competitors as co', 'co.id', 'c.competitorId')
    .leftJoin('watchAlerts as a', (j) =>
      j.on('a.changeId', 'c.id').andOnVal('a.userId', userId).andOnVal('a.channel', 'portal').andOnNull('a.readAt'),
    )
    .where('c.tenantId', tenantId);
}
