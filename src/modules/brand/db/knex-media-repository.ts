import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import type { MediaAsset, MediaAssetDetail, MediaFilter, MediaUsage, StorageUsage } from '../media-domain.js';
import type { InsertOutcome, MediaRepository, NewMediaAsset } from '../media-ports.js';
import { containsPattern } from '../../../adapters/db/like-pattern.js';

const COLUMNS = [
  'id',
  'tenantId',
  'kind',
  'status',
  'title',
  'originalFilename',
  'mimeType',
  'sizeBytes',
  'width',
  'height',
  'durationMs',
  'storageKey',
  'thumbnailKey',
  'sha256',
  'altText',
  'altTextSuggested',
  'locale',
  'tags',
  'source',
  'uploadedBy',
  'createdAt',
  'updatedAt',
] as const;

function toAsset(row: Record<string, unknown>): MediaAsset {
  return { ...(row as unknown as MediaAsset), tags: (row.tags as string[] | null) ?? [] };
}

/** The tenant's current plan limit and stored total, read in the same transaction. */
async function usageIn(trx: Knex.Transaction, tenantId: string): Promise<StorageUsage> {
  const plan = await trx('subscriptions as s')
    .join('plans as p', 'p.id', 's.planId')
    .where('s.tenantId', tenantId)
    .whereNot('s.status', 'cancelled')
    .first('p.mediaStorageLimitBytes');
  const [{ used }] = await trx('mediaAssets').where({ tenantId }).select(trx.raw('coalesce(sum(size_bytes), 0)::bigint as used'));
  return { usedBytes: Number(used), limitBytes: plan ? Number(plan.mediaStorageLimitBytes) : 0 };
}

export class KnexMediaRepository implements MediaRepository {
  constructor(private readonly deps: { database: Database }) {}

  storageUsage(tenantId: string): Promise<StorageUsage> {
    return this.deps.database.forTenant(tenantId, (trx) => usageIn(trx, tenantId));
  }

  findById(tenantId: string, id: string): Promise<MediaAssetDetail | null> {
    return this.deps.database.forTenant(tenantId, (trx) => this.detail(trx, tenantId, id));
  }

  findBySha256(tenantId: string, sha256: string): Promise<MediaAsset | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('mediaAssets').where({ tenantId, sha256 }).whereNot('status', 'archived').orderBy('createdAt').first(COLUMNS);
      return row ? toAsset(row) : null;
    });
  }

  insert(tenantId: string, asset: NewMediaAsset): Promise<InsertOutcome> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      // One upload of a tenant at a time past this point: the dedupe and the quota see every committed asset.
      await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`media:${tenantId}`]);
      const existing = await trx('mediaAssets').where({ tenantId, sha256: asset.sha256 }).whereNot('status', 'archived').orderBy('createdAt').first(COLUMNS);
      if (existing) return { outcome: 'duplicate', asset: toAsset(existing) };
      const usage = await usageIn(trx, tenantId);
      if (usage.usedBytes + asset.sizeBytes > usage.limitBytes) return { outcome: 'overQuota', usage };
      const tenant = await trx('tenants').where({ id: tenantId }).first('locale');
      const [row] = await trx('mediaAssets')
        .insert({
          id: asset.id,
          tenantId,
          kind: asset.kind,
          status: 'ready',
          title: asset.title,
          originalFilename: asset.originalFilename,
          mimeType: asset.mimeType,
          sizeBytes: asset.sizeBytes,
          width: asset.width,
          height: asset.height,
          storageKey: asset.storageKey,
          thumbnailKey: asset.thumbnailKey,
          sha256: asset.sha256,
          locale: tenant?.locale ?? 'fr',
          tags: [],
          source: 'upload',
          uploadedBy: asset.uploadedBy,
        })
        .returning(COLUMNS);
      return { outcome: 'created', asset: toAsset(row) };
    });
  }

  list(tenantId: string, filter: MediaFilter, pageSize: number): Promise<{ items: MediaAsset[]; total: number }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const base = trx('mediaAssets').where({ tenantId }).whereNot('status', 'archived');
      if (filter.kind) base.where('kind', filter.kind);
      if (filter.tag) base.whereRaw('tags @> ARRAY[?]::text[]', [filter.tag]);
      if (filter.q) {
        const pattern = containsPattern(filter.q);
        base.where((w) =>
          w
            .whereRaw(`original_filename ILIKE ? ESCAPE '\\'`, [pattern])
            .orWhereRaw(`title ILIKE ? ESCAPE '\\'`, [pattern])
            .orWhereRaw(`alt_text ILIKE ? ESCAPE '\\'`, [pattern])
            .orWhereRaw(`array_to_string(tags, ' ') ILIKE ? ESCAPE '\\'`, [pattern]),
        );
      }
      const [{ n }] = await base.clone().count('* as n');
      const rows = await base
        .clone()
        .orderBy([{ column: 'createdAt', order: 'desc' }, { column: 'id', order: 'desc' }])
        .limit(pageSize)
        .offset((filter.page - 1) * pageSize)
        .select(COLUMNS);
      return { items: rows.map(toAsset), total: Number(n) };
    });
  }

  tags(tenantId: string): Promise<string[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx
        .select('tag')
        .from(trx('mediaAssets').where({ tenantId }).whereNot('status', 'archived').select(trx.raw('distinct unnest(tags) as tag')).as('t'))
        .orderBy('tag')
        .limit(500);
      return rows.map((r: { tag: string }) => r.tag);
    });
  }

  update(
    tenantId: string,
    id: string,
    patch: { title: string; altText: string | null; altTextSuggested: boolean; tags: string[] },
  ): Promise<MediaAssetDetail | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const n = await trx('mediaAssets')
        .where({ tenantId, id })
        .update({ title: patch.title, altText: patch.altText, altTextSuggested: patch.altTextSuggested, tags: patch.tags, updatedAt: trx.fn.now() });
      return n ? this.detail(trx, tenantId, id) : null;
    });
  }

  deleteUnlessUsed(
    tenantId: string,
    id: string,
  ): Promise<{ outcome: 'deleted'; asset: MediaAsset } | { outcome: 'inUse'; usageCount: number } | { outcome: 'notFound' }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('mediaAssets').where({ tenantId, id }).forUpdate().first(COLUMNS);
      if (!row) return { outcome: 'notFound' };
      const [{ n }] = await trx('mediaAssetUsages').where({ tenantId, mediaAssetId: id }).count('* as n');
      if (Number(n) > 0) return { outcome: 'inUse', usageCount: Number(n) };
      await trx('mediaAssets').where({ tenantId, id }).delete();
      return { outcome: 'deleted', asset: toAsset(row) };
    });
  }

  attachToContent(
    tenantId: string,
    assetId: string,
    contentId: string,
    contentVersionId: string | null,
  ): Promise<{ outcome: 'attached'; usage: MediaUsage; created: boolean } | { outcome: 'assetNotFound' } | { outcome: 'contentNotFound' }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      // FOR SHARE: a concurrent delete waits, or has already removed the row (then: not found, never an FK error)
      const asset = await trx('mediaAssets').where({ tenantId, id: assetId }).whereNot('status', 'archived').forShare().first('id');
      if (!asset) return { outcome: 'assetNotFound' };
      const content = await trx('contents').where({ tenantId, id: contentId }).first('id');
      if (!content) return { outcome: 'contentNotFound' };
      if (contentVersionId && !(await trx('contentVersions').where({ tenantId, id: contentVersionId, contentId }).first('id'))) {
        return { outcome: 'contentNotFound' };
      }
      const columns = ['id', 'mediaAssetId', 'contentId', 'usage', 'usedAt'];
      const existing = await trx('mediaAssetUsages').where({ tenantId, mediaAssetId: assetId, contentId, usage: 'content' }).first(columns);
      if (existing) {
        if (contentVersionId) await trx('mediaAssetUsages').where({ id: existing.id }).update({ contentVersionId, usedAt: trx.fn.now(), updatedAt: trx.fn.now() });
        return { outcome: 'attached', usage: existing as MediaUsage, created: false };
      }
      const [usage] = await trx('mediaAssetUsages')
        .insert({ tenantId, mediaAssetId: assetId, contentId, contentVersionId, usage: 'content' })
        .returning(columns);
      return { outcome: 'attached', usage: usage as MediaUsage, created: true };
    });
  }

  tenantLocale(tenantId: string): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('tenants').where({ id: tenantId }).first('locale');
      return (row?.locale as string | undefined) ?? 'fr';
    });
  }

  private async detail(trx: Knex.Transaction, tenantId: string, id: string): Promise<MediaAssetDetail | null> {
    const row = await trx('mediaAssets')
      .where({ tenantId, id })
      .whereNot('status', 'archived')
      .first([...COLUMNS, trx.raw('(select count(*) from media_asset_usages u where u.media_asset_id = media_assets.id)::int as usage_count')]);
    return row ? { ...toAsset(row), usageCount: Number(row.usageCount) } : null;
  }
}
