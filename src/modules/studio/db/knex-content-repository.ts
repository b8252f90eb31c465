import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { containsPattern } from '../../../adapters/db/like-pattern.js';
import type {
  BrandSafetyFinding,
  BrandSafetyFlag,
  BrandSafetyStatus,
  CalendarSlotRef,
  Channel,
  Content,
  ContentFilter,
  ContentMode,
  ContentStatus,
  ContentSummary,
  ContentVersion,
  VersionMeta,
  VersionSource,
} from '../domain.js';

const CONTENT_COLUMNS = [
  'id',
  'tenantId',
  'channel',
  'mode',
  'status',
  'title',
  'brief',
  'toneOverride',
  'campaignId',
  'currentVersionId',
  'dnaSnapshotId',
  'regenerationCount',
  'scheduledAt',
  'publishedAt',
  'locale',
  'createdBy',
  'createdAt',
  'updatedAt',
].map((c) => `c.${c}`);

const VERSION_COLUMNS = [
  'v.id',
  'v.contentId',
  'v.number',
  'v.title',
  'v.body',
  'v.meta',
  'v.charCount',
  'v.source',
  'v.restoredFromId',
  'v.aiCallId',
  'v.modelId',
  'v.promptTemplateId',
  'v.dnaSnapshotId',
  'v.createdBy',
  'v.brandSafetyStatus',
  'v.brandSafetyCheckedAt',
  'v.brandSafetyOverriddenBy',
  'v.locale',
  'v.createdAt',
];

export interface NewContent {
  channel: Channel;
  mode: ContentMode;
  title: string;
  brief: string;
  toneOverride: string | null;
  campaignId: string | null;
  locale: string;
  createdBy: string | null;
  /** The slot the content is proposed at (a calendar_slots row is made with it). */
  slot: { startsAt: Date; source: 'optimal' | 'manual' | 'plan' };
  /** Media of the tenant's library to publish with it, in order (ids of other tenants are refused). */
  mediaIds: string[];
  /** Where it comes from, when not typed in the studio. */
  origin?: ContentOrigin;
}

/** A content made from something else: a pipeline plan item, a watch change, an evergreen proposal (and what it recycles). */
export interface ContentOrigin {
  kind: 'pipeline' | 'watch_change' | 'evergreen';
  refId: string;
  sourceContentId?: string | null;
}

export interface NewVersion {
  title: string;
  body: string;
  meta: VersionMeta;
  source: VersionSource;
  restoredFromId?: string | null;
  aiCallId?: string | null;
  modelId?: string | null;
  promptTemplateId?: string | null;
  dnaSnapshotId?: string | null;
  createdBy?: string | null;
}

export interface VersionWrite {
  version: NewVersion;
  /** The content's status after the write. */
  status: ContentStatus;
  /** What the generation used (recorded on the content as well as on the version). */
  generation?: { dnaSnapshotId: string | null; promptLayersSnapshot: unknown };
}

function toContent(row: Record<string, unknown>): Content {
  return row as unknown as Content;
}

function toVersion(row: Record<string, unknown>): ContentVersion {
  return { ...(row as unknown as ContentVersion), meta: (row.meta as VersionMeta | null) ?? {}, authorName: (row.authorName as string | null) ?? null };
}

/** Contents and their versions, brand-safety verdicts and slots. Every method runs in the tenant's context. */
export class KnexContentRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** Null when one of the media is not the tenant's. */
  /**
   * A new draft with its slot (and media). With an `id` the creation is idempotent: a content of that id already
   * there is returned as it is (the pipeline derives ids from its idempotency keys, so a resumed run finds its own).
   */
  create(tenantId: string, input: NewContent & { id?: string }): Promise<Content | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { slot, mediaIds, origin, ...fields } = input;
      if (origin) Object.assign(fields, { origin: origin.kind, originRefId: origin.refId, sourceContentId: origin.sourceContentId ?? null });
      if (mediaIds.length) {
        const owned = await trx('mediaAssets').where({ tenantId }).whereIn('id', mediaIds).whereNot('status', 'archived').pluck('id');
        if (owned.length !== new Set(mediaIds).size) return null;
      }
      const insert = trx('contents as c').insert({ tenantId, ...fields, status: 'draft', scheduledAt: slot.startsAt });
      // with an id, one statement creates it or finds it taken: the existing one is then read
      const [row] = await (input.id ? insert.onConflict('id').ignore() : insert).returning(CONTENT_COLUMNS.map((c) => c.slice(2)));
      if (!row) {
        const existing = await trx('contents as c').where({ 'c.tenantId': tenantId, 'c.id': input.id }).first(CONTENT_COLUMNS);
        return existing ? toContent(existing) : null;
      }
      await trx('calendarSlots').insert({ tenantId, contentId: row.id, channel: input.channel, startsAt: slot.startsAt, status: 'proposed', source: slot.source });
      if (mediaIds.length) {
        await trx('contentMedia').insert(
          [...new Set(mediaIds)].map((mediaAssetId, position) => ({ tenantId, contentId: row.id, mediaAssetId, position, role: position === 0 ? 'primary' : 'gallery' })),
        );
      }
      return toContent(row);
    });
  }

  /** The model that answered a call (a nightly batch answer carries only the call). */
  callModel(tenantId: string, callId: string): Promise<{ modelId: string; provider: string; offline: boolean } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('aiCalls as a')
        .join('aiModels as m', 'm.id', 'a.modelId')
        .join('aiProviders as p', 'p.id', 'a.providerId')
        .where({ 'a.tenantId': tenantId, 'a.id': callId })
        .first('m.modelId', 'p.code as provider');
      return row ? { modelId: row.modelId, provider: row.provider, offline: row.provider === 'offline' } : null;
    });
  }

  find(tenantId: string, id: string): Promise<Content | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('contents as c').where({ 'c.tenantId': tenantId, 'c.id': id }).first(CONTENT_COLUMNS);
      return row ? toContent(row) : null;
    });
  }

  /** The content with its current version, open flags of that version, slot, campaign and prompt snapshot. */
  detail(tenantId: string, id: string) {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('contents as c')
        .leftJoin('campaigns as k', 'k.id', 'c.campaignId')
        .where({ 'c.tenantId': tenantId, 'c.id': id })
        .first([...CONTENT_COLUMNS, 'c.promptLayersSnapshot', 'k.name as campaignName']);
      if (!row) return null;
      const { promptLayersSnapshot, campaignName, ...content } = row;
      const current = content.currentVersionId ? await this.versionIn(trx, tenantId, id, content.currentVersionId) : null;
      const flags = current ? await this.flagsIn(trx, tenantId, current.id) : [];
      const slot = (await trx('calendarSlots').where({ tenantId, contentId: id }).first('id', 'startsAt', 'status', 'source')) as CalendarSlotRef | undefined;
      return {
        content: toContent(content),
        current,
        flags,
        slot: slot ?? null,
        campaign: content.campaignId ? { id: content.campaignId as string, name: campaignName as string } : null,
        promptLayersSnapshot: promptLayersSnapshot ?? null,
      };
    });
  }

  list(tenantId: string, filter: ContentFilter): Promise<ContentSummary[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = trx('contents as c')
        .leftJoin('campaigns as k', 'k.id', 'c.campaignId')
        .leftJoin('contentVersions as v', 'v.id', 'c.currentVersionId')
        .leftJoin('calendarSlots as s', 's.contentId', 'c.id')
        .where('c.tenantId', tenantId)
        .select(
          'c.id',
          'c.channel',
          'c.mode',
          'c.status',
          'c.title',
          'c.campaignId',
          'k.name as campaignName',
          'c.scheduledAt',
          's.status as slotStatus',
          'v.brandSafetyStatus',
          'v.number as versionNumber',
          'c.updatedAt',
        )
        .limit(Math.min(filter.limit ?? 200, 500));
      if (filter.status?.length) query.whereIn('c.status', filter.status);
      else query.whereNot('c.status', 'archived');
      if (filter.channel?.length) query.whereIn('c.channel', filter.channel);
      if (filter.campaignId) query.where('c.campaignId', filter.campaignId);
      if (filter.from) query.where('s.startsAt', '>=', filter.from);
      if (filter.to) query.where('s.startsAt', '<', filter.to);
      if (filter.search?.trim()) {
        const pattern = containsPattern(filter.search.trim());
        query.where((q) => q.whereILike('c.title', pattern).orWhereILike('c.brief', pattern));
      }
      query.orderBy([{ column: 'c.updatedAt', order: 'desc' }, { column: 'c.id' }]);
      return (await query) as ContentSummary[];
    });
  }

  /**
   * Moves a content from one of `from` to `to` in one conditional statement; false when its status was not one
   * of `from` (someone else got there first). Concurrent generations of one content are refused this way.
   */
  transition(tenantId: string, id: string, from: readonly ContentStatus[], to: ContentStatus, also: { mode?: ContentMode } = {}): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const count = await trx('contents')
        .where({ tenantId, id })
        .whereIn('status', from)
        .update({ status: to, ...(also.mode ? { mode: also.mode } : {}), updatedAt: trx.fn.now() });
      return count === 1;
    });
  }

  /**
   * Takes a content for a generation in one unit of work: under its row lock, moves it from one of `from` to
   * `generating`. Returns the content as it was (null when missing), whether it was taken, and whether it already has
   * a generated version (a new generation is then a regeneration).
   */
  claimForGeneration(tenantId: string, id: string, from: readonly ContentStatus[]): Promise<{ content: Content | null; claimed: boolean; hasGeneratedVersion: boolean }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('contents as c').where({ 'c.tenantId': tenantId, 'c.id': id }).forUpdate().first(CONTENT_COLUMNS);
      if (!row) return { content: null, claimed: false, hasGeneratedVersion: false };
      const content = toContent(row);
      const hasGeneratedVersion = content.currentVersionId !== null && (await hasGeneratedVersionIn(trx, tenantId, id));
      if (!from.includes(content.status)) return { content, claimed: false, hasGeneratedVersion };
      await trx('contents').where({ tenantId, id }).update({ status: 'generating', updatedAt: trx.fn.now() });
      return { content, claimed: true, hasGeneratedVersion };
    });
  }

  /** Whether the content has a version written by the AI (generation or regeneration). */
  hasGeneratedVersion(tenantId: string, contentId: string): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, (trx) => hasGeneratedVersionIn(trx, tenantId, contentId));
  }

  /**
   * What a generation's prompt is built from, in one unit of work: the prompt template, the media, the campaign's
   * name, the version it follows (if any) and, for a regeneration, the reviewer's latest comment.
   */
  generationInputs(
    tenantId: string,
    content: Pick<Content, 'id' | 'campaignId' | 'currentVersionId'>,
    options: { templateCode: string; locale: string; feedback: boolean },
  ): Promise<{
    template: { id: string; body: string } | null;
    media: { id: string; kind: string; title: string; altText: string | null }[];
    campaignName: string | null;
    current: ContentVersion | null;
    feedback: string | null;
  }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const template = await promptTemplateIn(trx, options.templateCode, options.locale);
      const media = await mediaOfIn(trx, tenantId, content.id);
      const campaign = content.campaignId ? await trx('campaigns').where({ tenantId, id: content.campaignId }).first('name') : null;
      const current = content.currentVersionId ? await this.versionIn(trx, tenantId, content.id, content.currentVersionId) : null;
      const feedback = options.feedback ? await latestFeedbackIn(trx, tenantId, content.id) : null;
      return { template, media, campaignName: (campaign?.name as string | undefined) ?? null, current, feedback };
    });
  }

  /**
   * Appends a version (numbered after the last one, under the content's row lock), makes it current and sets the
   * content's status — one transaction, so a content never points at a half-written version.
   */
  addVersion(tenantId: string, contentId: string, write: VersionWrite): Promise<{ content: Content; version: ContentVersion }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const locked = await trx('contents').where({ tenantId, id: contentId }).forUpdate().first('locale');
      if (!locked) throw new Error(`content ${contentId} vanished`);
      const { version } = write;
      // numbered under the content's row lock
      const next = trx.raw('(select coalesce(max(number), 0) + 1 from content_versions where tenant_id = ? and content_id = ?)', [tenantId, contentId]);
      const [inserted] = await trx('contentVersions')
        .insert({
          tenantId,
          contentId,
          number: next,
          title: version.title,
          body: version.body,
          meta: JSON.stringify(version.meta),
          charCount: [...version.body].length,
          source: version.source,
          restoredFromId: version.restoredFromId ?? null,
          aiCallId: version.aiCallId ?? null,
          modelId: version.modelId ?? null,
          promptTemplateId: version.promptTemplateId ?? null,
          dnaSnapshotId: version.dnaSnapshotId ?? null,
          createdBy: version.createdBy ?? null,
          locale: locked.locale,
        })
        .returning('id');
      const update: Record<string, unknown> = { currentVersionId: inserted.id, title: version.title, status: write.status, updatedAt: trx.fn.now() };
      if (write.generation) {
        update.dnaSnapshotId = write.generation.dnaSnapshotId;
        update.promptLayersSnapshot = JSON.stringify(write.generation.promptLayersSnapshot ?? null);
      }
      if (version.source === 'regeneration') update.regenerationCount = trx.raw('regeneration_count + 1');
      const [content] = await trx('contents as c').where({ tenantId, id: contentId }).update(update).returning(CONTENT_COLUMNS.map((c) => c.slice(2)));
      // A slot confirmed by an approval is only proposed again once the approved text has changed.
      if (write.status === 'draft' || write.status === 'pending_approval') {
        await trx('calendarSlots').where({ tenantId, contentId, status: 'confirmed' }).update({ status: 'proposed', updatedAt: trx.fn.now() });
      }
      return { content: toContent(content), version: (await this.versionIn(trx, tenantId, contentId, inserted.id))! };
    });
  }

  versions(tenantId: string, contentId: string): Promise<ContentVersion[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await this.versionQuery(trx, tenantId, contentId).orderBy('v.number', 'desc');
      return rows.map(toVersion);
    });
  }

  version(tenantId: string, contentId: string, versionId: string): Promise<ContentVersion | null> {
    return this.deps.database.forTenant(tenantId, (trx) => this.versionIn(trx, tenantId, contentId, versionId));
  }

  /** Records the verdict of a version's brand-safety check and its findings (replacing an earlier check's open flags). */
  recordBrandSafety(
    tenantId: string,
    version: { id: string; contentId: string },
    verdict: { status: BrandSafetyStatus; findings: BrandSafetyFinding[]; aiCallId: string | null; checkedAt: Date },
  ): Promise<BrandSafetyFlag[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('contentVersions')
        .where({ tenantId, id: version.id })
        .update({ brandSafetyStatus: verdict.status, brandSafetyAiCallId: verdict.aiCallId, brandSafetyCheckedAt: verdict.checkedAt });
      await trx('brandSafetyFlags').where({ tenantId, contentVersionId: version.id, status: 'open' }).delete();
      if (verdict.findings.length) {
        const tenant = await trx('tenants').where({ id: tenantId }).first('locale');
        await trx('brandSafetyFlags').insert(
          verdict.findings.map((f) => ({
            tenantId,
            subjectType: 'content_version',
            contentVersionId: version.id,
            contentId: version.contentId,
            kind: f.kind,
            severity: f.severity,
            detail: f.detail,
            matchedText: f.matchedText.slice(0, 1000),
            aiCallId: f.kind === 'moderation' ? verdict.aiCallId : null,
            locale: tenant.locale,
          })),
        );
      }
      return this.flagsIn(trx, tenantId, version.id);
    });
  }

  flags(tenantId: string, versionId: string): Promise<BrandSafetyFlag[]> {
    return this.deps.database.forTenant(tenantId, (trx) => this.flagsIn(trx, tenantId, versionId));
  }

  /** The campaign, if it is this tenant's. */
  findCampaign(tenantId: string, id: string): Promise<{ id: string; name: string } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => (await trx('campaigns').where({ tenantId, id }).first('id', 'name')) ?? null);
  }

  /** The tenant's settings a content starts from. */
  tenantDefaults(tenantId: string): Promise<{ locale: string; defaultContentMode: ContentMode; timezone: string }> {
    return this.deps.database.forTenant(tenantId, async (trx) => trx('tenants').where({ id: tenantId }).first('locale', 'defaultContentMode', 'timezone'));
  }

  setDefaultMode(tenantId: string, mode: ContentMode): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('tenants').where({ id: tenantId }).update({ defaultContentMode: mode, updatedAt: trx.fn.now() });
    });
  }

  setMode(tenantId: string, contentId: string, mode: ContentMode): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      return (await trx('contents').where({ tenantId, id: contentId }).update({ mode, updatedAt: trx.fn.now() })) === 1;
    });
  }

  /** The active template the tenant sees for `code`: its own, else its distributor's, else the platform's; in `locale`, else French. */
  promptTemplate(tenantId: string, code: string, locale: string): Promise<{ id: string; body: string } | null> {
    return this.deps.database.forTenant(tenantId, (trx) => promptTemplateIn(trx, code, locale));
  }

  /** The latest comment a reviewer left on the content (rejection, regeneration request or comment). */
  latestFeedback(tenantId: string, contentId: string): Promise<string | null> {
    return this.deps.database.forTenant(tenantId, (trx) => latestFeedbackIn(trx, tenantId, contentId));
  }

  /** Media attached to the content, in order (what the generation is told about). */
  mediaOf(tenantId: string, contentId: string): Promise<{ id: string; kind: string; title: string; altText: string | null }[]> {
    return this.deps.database.forTenant(tenantId, (trx) => mediaOfIn(trx, tenantId, contentId));
  }

  /** Every tenant's contents stuck in `generating` since before `before` go back to draft (platform job). */
  releaseStalledGenerations(before: Date): Promise<number> {
    return this.deps.database.asPlatform(async (trx) =>
      trx('contents').where({ status: 'generating' }).where('updatedAt', '<', before).update({ status: 'draft', updatedAt: trx.fn.now() }),
    );
  }

  private versionQuery(trx: Knex.Transaction, tenantId: string, contentId: string) {
    return trx('contentVersions as v')
      .leftJoin('users as u', 'u.id', 'v.createdBy')
      .where({ 'v.tenantId': tenantId, 'v.contentId': contentId })
      .select([...VERSION_COLUMNS, trx.raw(`coalesce(nullif(u.name, ''), u.email) as author_name`)]);
  }

  private async versionIn(trx: Knex.Transaction, tenantId: string, contentId: string, versionId: string): Promise<ContentVersion | null> {
    const row = await this.versionQuery(trx, tenantId, contentId).where('v.id', versionId).first();
    return row ? toVersion(row) : null;
  }

  private async flagsIn(trx: Knex.Transaction, tenantId: string, versionId: string): Promise<BrandSafetyFlag[]> {
    return trx('brandSafetyFlags')
      .where({ tenantId, contentVersionId: versionId })
      .whereNot('status', 'dismissed')
      .orderBy('createdAt')
      .select('id', 'contentVersionId', 'kind', 'severity', 'detail', 'matchedText', 'status', 'createdAt');
  }
}

async function promptTemplateIn(trx: Knex.Transaction, code: string, locale: string): Promise<{ id: string; body: string } | null> {
  const row = await trx('promptTemplates')
    .where({ code, active: true })
    .whereIn('locale', [...new Set([locale, 'fr'])])
    .orderByRaw(`case level when 'tenant' then 0 when 'distributor' then 1 else 2 end`)
    .orderByRaw(`(locale = ?) desc`, [locale])
    .orderBy('version', 'desc')
    .first('id', 'body');
  return row ?? null;
}

async function latestFeedbackIn(trx: Knex.Transaction, tenantId: string, contentId: string): Promise<string | null> {
  const row = await trx('approvals')
    .where({ tenantId, contentId })
    .whereIn('decision', ['rejected', 'changes_requested', 'regeneration_requested', 'commented'])
    .whereNotNull('comment')
    .orderBy('decidedAt', 'desc')
    .first('comment');
  return row?.comment ?? null;
}

function mediaOfIn(trx: Knex.Transaction, tenantId: string, contentId: string): Promise<{ id: string; kind: string; title: string; altText: string | null }[]> {
  return trx('contentMedia as cm')
    .join('mediaAssets as m', 'm.id', 'cm.mediaAssetId')
    .where({ 'cm.tenantId': tenantId, 'cm.contentId': contentId })
    .whereNot('m.status', 'archived')
    .orderBy([{ column: 'cm.position' }, { column: 'cm.createdAt' }])
    .select('m.id', 'm.kind', 'm.title', 'm.altText');
}

async function hasGeneratedVersionIn(trx: Knex.Transaction, tenantId: string, contentId: string): Promise<boolean> {
  const row = await trx('contentVersions').where({ tenantId, contentId }).whereIn('source', ['generation', 'regeneration']).first(trx.raw('1 as found'));
  return row !== undefined;
}
