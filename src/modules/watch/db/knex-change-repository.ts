import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { NewChange } from '../change-detector.js';
import type { ChangeFacts, ChangeKind, Significance, WatchSource } from '../domain.js';

/** A stored change with what a summary or an e-mail needs about its source and competitor. */
export interface ChangeRecord extends ChangeFacts {
  id: string;
  sourceId: string;
  competitorId: string | null;
  competitorName: string | null;
  sourceUrl: string;
  sourceKind: 'rss' | 'page';
  kind: ChangeKind;
  significance: Significance;
  diffText: string | null;
  feedSummary: string | null;
  summary: string | null;
  summaryStatus: 'pending' | 'ready' | 'failed' | 'skipped';
  locale: string;
  detectedAt: Date;
}

export function changeColumns() {
  return [
    'c.id',
    'c.sourceId',
    'c.competitorId',
    'k.name as competitorName',
    's.url as sourceUrl',
    's.kind as sourceKind',
    'c.kind',
    'c.significance',
    'c.productName',
    'c.oldPriceCents',
    'c.newPriceCents',
    'c.currency',
    'c.priceChangeBp',
    'c.oldValue',
    'c.newValue',
    'c.title',
    'c.url',
    'c.diffText',
    'f.summary as feedSummary',
    'c.summary',
    'c.summaryStatus',
    'c.locale',
    'c.detectedAt',
  ];
}

/** `watch_changes`: idempotent inserts of detected changes, and the summary queue. */
export class KnexChangeRepository {
  constructor(private readonly deps: { database: Database }) {}

  /**
   * Inserts the changes of one source, each at most once (ON CONFLICT (source_id, fingerprint) DO NOTHING), in
   * the tenant's language. Returns the ids inserted now and the ids of every given fingerprint (new or not).
   */
  insertChanges(tenantId: string, source: Pick<WatchSource, 'id' | 'competitorId'>, changes: NewChange[], detectedAt: Date): Promise<{ inserted: string[]; all: string[] }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      if (!changes.length) return { inserted: [], all: [] };
      const tenant = await trx('tenants').where({ id: tenantId }).first('locale');
      const locale = tenant?.locale === 'en' ? 'en' : 'fr';
      const rows = changes.map((change) => ({
        tenantId,
        sourceId: source.id,
        competitorId: source.competitorId,
        previousSnapshotId: change.previousSnapshotId,
        newSnapshotId: change.newSnapshotId,
        feedItemId: change.feedItemId,
        kind: change.kind,
        fingerprint: change.fingerprint,
        productName: change.productName,
        oldPriceCents: change.oldPriceCents,
        newPriceCents: change.newPriceCents,
        currency: change.currency,
        priceChangeBp: change.priceChangeBp,
        oldValue: change.oldValue,
        newValue: change.newValue,
        title: change.title,
        url: change.url,
        diffText: change.diffText,
        significance: change.significance,
        summaryStatus: change.significance === 'low' ? 'skipped' : 'pending',
        locale,
        detectedAt,
      }));
      const inserted: { id: string }[] = await trx('watchChanges').insert(rows).onConflict(['sourceId', 'fingerprint']).ignore().returning('id');
      const all: { id: string }[] = await trx('watchChanges')
        .where({ tenantId, sourceId: source.id })
        .whereIn(
          'fingerprint',
          changes.map((c) => c.fingerprint),
        )
        .orderBy('detectedAt')
        .select('id');
      return { inserted: inserted.map((r) => r.id), all: all.map((r) => r.id) };
    });
  }

  /** Tenants with summaries to write (platform scan; the work is then done per tenant). */
  tenantsWithPendingSummaries(): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) =>
      (await trx('watchChanges as c').join('tenants as t', 't.id', 'c.tenantId').where('t.status', 'active').where('c.summaryStatus', 'pending').distinct('c.tenantId')).map(
        (r: { tenantId: string }) => r.tenantId,
      ),
    );
  }

  /** Changes waiting for a summary, oldest first; low ones are marked `skipped` on the way (nothing to summarise). */
  pendingSummaries(tenantId: string, limit: number): Promise<ChangeRecord[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('watchChanges').where({ tenantId, summaryStatus: 'pending', significance: 'low' }).update({ summaryStatus: 'skipped', updatedAt: trx.fn.now() });
      return (await changesQuery(trx, tenantId).where('c.summaryStatus', 'pending').orderBy('c.detectedAt').limit(limit)) as ChangeRecord[];
    });
  }

  /** Calls already made for this change's summary (one `ai_calls` row per attempt, any outcome). */
  summaryAttempts(tenantId: string, changeId: string): Promise<number> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('aiCalls').where({ tenantId, subjectType: 'watch_change', subjectId: changeId }).count<{ count: string }>({ count: '*' }).first();
      return Number(row?.count ?? 0);
    });
  }

  /** Stores a summary unless another run already did (conditional on `pending`). */
  recordSummary(tenantId: string, changeId: string, summary: string, aiCallId: string | null): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const updated = await trx('watchChanges')
        .where({ tenantId, id: changeId, summaryStatus: 'pending' })
        .update({ summary, summaryAiCallId: aiCallId, summaryStatus: 'ready', updatedAt: trx.fn.now() });
      return updated > 0;
    });
  }

  markSummaryFailed(tenantId: string, changeId: string): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const updated = await trx('watchChanges').where({ tenantId, id: changeId, summaryStatus: 'pending' }).update({ summaryStatus: 'failed', updatedAt: trx.fn.now() });
      return updated > 0;
    });
  }
}

function changesQuery(trx: Knex.Transaction, tenantId: string) {
  return trx('watchChanges as c')
    .join('watchSources as s', 's.id', 'c.sourceId')
    .leftJoin('competitors as k', 'k.id', 'c.competitorId')
    .leftJoin('watchFeedItems as f', 'f.id', 'c.feedItemId')
    .where('c.tenantId', tenantId)
    .select(changeColumns());
}
