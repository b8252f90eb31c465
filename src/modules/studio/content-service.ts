import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { Logger } from '../../shared/logger.js';
import { parseInput } from '../../shared/validation.js';
import type { AiGateway, AiRequest } from '../ai/gateway.js';
import type { CreditLedger } from '../billing/ports.js';
import type { DnaService } from '../brand/dna-service.js';
import type { BrandDna } from '../brand/domain.js';
import type { MediaService } from '../brand/media-service.js';
import type { ApprovalGate, SlotPlanner } from '../calendar/ports.js';
import { moderationFindings, ruleFindings } from './brand-safety.js';
import { findHashtags } from './channels.js';
import type { ContentOrigin, KnexContentRepository } from './db/knex-content-repository.js';
import {
  CHANNELS,
  CONTENT_MODES,
  EDITABLE_STATUSES,
  type Channel,
  type BrandSafetyFinding,
  type Content,
  type ContentDetail,
  type ContentFilter,
  type ContentMode,
  type ContentStatus,
  type ContentSummary,
  type ContentVersion,
  type GenerationEvent,
  type VersionMeta,
} from './domain.js';
import { FALLBACK_TEMPLATES, generationPrompt, maxTokensFor, splitGeneratedText } from './generation-prompt.js';
import type { SeoRecorder } from './ports.js';
import { channelProfile } from './seo/analyzer.js';
import { diffWords, type DiffPart } from './version-diff.js';

export const BRIEF_MAX = 5_000;
export const BODY_MAX = 100_000;
const E = 'studio.errors';

const optionalText = (max: number, tooLong: string) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().max(max, tooLong).optional());

/** A new content, as the studio's form and the pipeline send it. */
export const newContentSchema = z.object({
  channel: z.enum(CHANNELS, { error: `${E}.unknownChannel` }),
  brief: z.string({ error: `${E}.briefRequired` }).trim().min(1, `${E}.briefRequired`).max(BRIEF_MAX, `${E}.briefTooLong`),
  title: optionalText(300, `${E}.titleTooLong`),
  toneOverride: optionalText(1_000, `${E}.toneTooLong`),
  campaignId: z.preprocess((v) => (v === '' ? undefined : v), z.string().refine(isUuid, `${E}.campaignNotFound`).optional()),
  mode: z.preprocess((v) => (v === '' ? undefined : v), z.enum(CONTENT_MODES, { error: `${E}.invalidMode` }).optional()),
  /** Local date `YYYY-MM-DD`: the content takes that day's best slot. */
  plannedDate: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, `${E}.plannedDateInvalid`).optional()),
  mediaIds: z.preprocess(
    (v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
    z.array(z.string().refine(isUuid, `${E}.mediaNotFound`)).max(10, `${E}.tooManyMedia`),
  ),
});
/** What the edge sends (a form body): validated here. */
export type NewContentInput = Partial<Record<keyof z.input<typeof newContentSchema>, unknown>>;

export const versionEditSchema = z.object({
  title: optionalText(300, `${E}.titleTooLong`),
  body: z.string({ error: `${E}.bodyRequired` }).max(BODY_MAX, `${E}.bodyTooLong`).refine((s) => s.trim().length > 0, `${E}.bodyRequired`),
  targetKeyword: optionalText(200, `${E}.fieldTooLong`),
  metaDescription: optionalText(400, `${E}.fieldTooLong`),
  slug: optionalText(200, `${E}.fieldTooLong`),
  subject: optionalText(300, `${E}.fieldTooLong`),
  preheader: optionalText(300, `${E}.fieldTooLong`),
});
export type VersionEditInput = Partial<Record<keyof z.input<typeof versionEditSchema>, unknown>>;

/** After a human edit or a restore: an approval was for the old text, so it is asked again. */
function statusAfterEdit(status: ContentStatus): ContentStatus {
  return status === 'draft' || status === 'rejected' ? 'draft' : 'pending_approval';
}

/** After a generation: manual → the suggestion waits as a draft; semi → approval; auto → approval gate decides. */
function statusAfterGeneration(mode: ContentMode): ContentStatus {
  return mode === 'manual' ? 'draft' : 'pending_approval';
}

// A generation that has not finished within this delay is considered dead (the process stopped mid-way).
export const STALLED_GENERATION_MS = 10 * 60_000;

/** What a generation sends to the AI gateway (also what the nightly batch queues). */
export type GenerationRequest = AiRequest<string> & { channel: Channel; maxTokens: number; tenantContext: string };

interface PreparedGeneration {
  request: GenerationRequest;
  templateId: string | null;
  dnaSnapshotId: string | null;
  /** The DNA the prompt was built from: the new version's brand checks use the same. */
  dna: BrandDna | null;
}

/**
 * The studio's use cases: create a content, generate it (streamed) or write it, keep every version, compare and
 * restore them, check brand safety on each, and hand it to approval. Statuses change only here and in the
 * approval gate (calendar module).
 */
export class ContentService {
  constructor(
    private readonly deps: {
      contentRepository: KnexContentRepository;
      aiGateway: AiGateway;
      dnaService: DnaService;
      creditLedger: CreditLedger;
      mediaService: MediaService;
      slotPlanner: SlotPlanner;
      approvalGate: ApprovalGate;
      seoService: SeoRecorder;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** A new draft on its channel's next optimal slot (or the planned day's); `origin` when made from a watch change or an evergreen proposal. */
  async create(tenantId: string, userId: string, input: NewContentInput, origin?: ContentOrigin): Promise<Content> {
    const data = parseInput(newContentSchema, input);
    const defaults = await this.deps.contentRepository.tenantDefaults(tenantId);
    if (data.campaignId && !(await this.deps.contentRepository.findCampaign(tenantId, data.campaignId))) {
      throw new AppError(`${E}.campaignNotFound`, 422);
    }
    const startsAt = await this.deps.slotPlanner.nextFreeSlot(tenantId, data.channel, data.plannedDate ? { onDate: data.plannedDate } : {});
    const content = await this.deps.contentRepository.create(tenantId, {
      channel: data.channel,
      mode: data.mode ?? defaults.defaultContentMode,
      title: data.title ?? '',
      brief: data.brief,
      toneOverride: data.toneOverride ?? null,
      campaignId: data.campaignId ?? null,
      locale: defaults.locale,
      createdBy: userId,
      slot: { startsAt, source: data.plannedDate ? 'manual' : 'optimal' },
      mediaIds: data.mediaIds,
      origin,
    });
    if (!content) throw new AppError(`${E}.mediaNotFound`, 422);
    // the library shows where each asset is used
    for (const id of data.mediaIds) await this.deps.mediaService.attachToContent(tenantId, id, content.id);
    return content;
  }

  /**
   * A content of the month's plan (pipeline), on the plan's slot. Idempotent on `id`. It is held as a manual draft —
   * a generation leaves it a draft — until the pipeline's publication step gives it the run's mode, so nothing of an
   * unfinished run reaches the approval queue.
   */
  async createPlanned(
    tenantId: string,
    input: { id: string; channel: Channel; brief: string; title: string; campaignId: string | null; startsAt: Date; locale?: string; runId?: string },
  ): Promise<Content> {
    const locale = input.locale ?? (await this.deps.contentRepository.tenantDefaults(tenantId)).locale;
    const content = await this.deps.contentRepository.create(tenantId, {
      id: input.id,
      channel: input.channel,
      mode: 'manual',
      title: input.title.slice(0, 300),
      brief: input.brief.slice(0, BRIEF_MAX),
      toneOverride: null,
      campaignId: input.campaignId,
      locale,
      createdBy: null,
      slot: { startsAt: input.startsAt, source: 'plan' },
      mediaIds: [],
      origin: input.runId ? { kind: 'pipeline', refId: input.runId } : undefined,
    });
    if (!content) throw new Error(`pipeline content ${input.id} not created`);
    return content;
  }

  async detail(tenantId: string, contentId: string): Promise<ContentDetail> {
    if (!isUuid(contentId)) throw new NotFoundError();
    const detail = await this.deps.contentRepository.detail(tenantId, contentId);
    if (!detail) throw new NotFoundError();
    return detail;
  }

  list(tenantId: string, filter: ContentFilter = {}): Promise<ContentSummary[]> {
    return this.deps.contentRepository.list(tenantId, filter);
  }

  async versions(tenantId: string, contentId: string): Promise<ContentVersion[]> {
    await this.requireContent(tenantId, contentId);
    return this.deps.contentRepository.versions(tenantId, contentId);
  }

  async version(tenantId: string, contentId: string, versionId: string): Promise<ContentVersion> {
    if (!isUuid(contentId) || !isUuid(versionId)) throw new NotFoundError();
    const version = await this.deps.contentRepository.version(tenantId, contentId, versionId);
    if (!version) throw new NotFoundError();
    return version;
  }

  /** How many regenerations the plan still allows for this content. */
  regenerationsLeft(tenantId: string, contentId: string) {
    return this.deps.creditLedger.regenerationsLeft(tenantId, contentId);
  }

  /**
   * Writes the content with the tenant's AI, streaming the text as it comes. The first generation is free of the
   * plan's regeneration cap; every later one counts (and is given back if the call fails). The call is built from
   * this tenant's rows only: its current DNA snapshot, the prompt cascade (recorded with the version), the brief,
   * its campaign and media descriptions.
   */
  async *generate(tenantId: string, contentId: string, userId: string | null): AsyncIterable<GenerationEvent> {
    if (!isUuid(contentId)) throw new NotFoundError();
    const claim = await this.deps.contentRepository.claimForGeneration(tenantId, contentId, EDITABLE_STATUSES);
    const content = claim.content;
    if (!content) throw new NotFoundError();
    if (!claim.claimed) throw new AppError(content.status === 'generating' ? `${E}.generationInProgress` : `${E}.notEditable`, 409);
    const isRegeneration = claim.hasGeneratedVersion;
    let counted = false;
    try {
      if (isRegeneration) {
        await this.deps.creditLedger.countRegeneration(tenantId, contentId);
        counted = true;
      }
      const prepared = await this.prepareGeneration(tenantId, content, isRegeneration);
      let result;
      for await (const event of this.deps.aiGateway.stream({ ...prepared.request, userId: userId ?? undefined })) {
        if (event.type === 'delta') yield { type: 'delta', text: event.text };
        else result = event.result;
      }
      if (!result) throw new AppError('ai.errors.noAnswer', 502);
      const model = { modelId: result.model.modelId, provider: result.model.provider, offline: result.model.offline };
      const saved = await this.saveGeneration(tenantId, content, prepared, { text: result.text, callId: result.callId, snapshotRef: result.promptLayerSnapshotRef, model }, isRegeneration);
      counted = false;
      const checked = await this.afterNewVersion(tenantId, saved.content, saved.version, { moderate: true, userId, dna: prepared.dna });
      const left = isRegeneration || content.currentVersionId ? (await this.regenerationsLeft(tenantId, contentId)).left : null;
      yield { type: 'done', content: checked.content, version: checked.version, regenerationsLeft: left };
    } catch (err) {
      if (counted) await this.deps.creditLedger.releaseRegeneration(tenantId, contentId).catch(() => undefined);
      await this.deps.contentRepository.transition(tenantId, contentId, ['generating'], content.status);
      throw err;
    }
  }

  /**
   * The request a first generation of this content would send (same prompt as `generate`), for the nightly batch:
   * the pipeline queues it and hands the answer to `applyGeneratedText`.
   */
  async generationRequest(tenantId: string, contentId: string): Promise<GenerationRequest> {
    const content = await this.requireContent(tenantId, contentId);
    return (await this.prepareGeneration(tenantId, content, false)).request;
  }

  /**
   * Records an answer obtained elsewhere (the nightly batch) as the content's first generated version, then runs the
   * brand checks like `generate`. Idempotent: a content that already has a generated version, or is being generated,
   * is left as it is (null).
   */
  async applyGeneratedText(tenantId: string, contentId: string, answer: { text: string; callId: string | null }): Promise<{ content: Content; version: ContentVersion } | null> {
    const content = await this.requireContent(tenantId, contentId);
    if (content.status !== 'draft' || (await this.deps.contentRepository.hasGeneratedVersion(tenantId, contentId))) return null;
    if (!(await this.deps.contentRepository.transition(tenantId, contentId, ['draft'], 'generating'))) return null;
    try {
      const prepared = await this.prepareGeneration(tenantId, content, false);
      const call = answer.callId ? await this.deps.contentRepository.callModel(tenantId, answer.callId) : null;
      const saved = await this.saveGeneration(
        tenantId,
        content,
        prepared,
        { text: answer.text, callId: answer.callId, snapshotRef: null, model: call ?? { modelId: null, provider: null, offline: false } },
        false,
      );
      return await this.afterNewVersion(tenantId, saved.content, saved.version, { moderate: true, userId: null, dna: prepared.dna });
    } catch (err) {
      await this.deps.contentRepository.transition(tenantId, contentId, ['generating'], content.status);
      throw err;
    }
  }

  /** Generates without streaming (no-JS form post, pipeline): the finished version. */
  async generateNow(tenantId: string, contentId: string, userId: string | null): Promise<Extract<GenerationEvent, { type: 'done' }>> {
    for await (const event of this.generate(tenantId, contentId, userId)) if (event.type === 'done') return event;
    throw new AppError('ai.errors.noAnswer', 502);
  }

  /** A human edit: a new version (never an overwrite), checked against the brand rules. */
  async edit(tenantId: string, contentId: string, userId: string, input: VersionEditInput): Promise<{ content: Content; version: ContentVersion }> {
    const data = parseInput(versionEditSchema, input);
    const content = await this.requireEditable(tenantId, contentId);
    const meta: VersionMeta = {
      targetKeyword: data.targetKeyword,
      metaDescription: data.metaDescription,
      slug: data.slug,
      subject: data.subject,
      preheader: data.preheader,
      hashtags: findHashtags(data.body),
    };
    for (const key of Object.keys(meta) as (keyof VersionMeta)[]) if (meta[key] === undefined) delete meta[key];
    const written = await this.deps.contentRepository.addVersion(tenantId, contentId, {
      version: { title: data.title ?? content.title, body: data.body, meta, source: 'edit', createdBy: userId },
      status: statusAfterEdit(content.status),
    });
    return this.afterNewVersion(tenantId, written.content, written.version, { moderate: false, userId });
  }

  /** Restoring makes a new version with the old text (history is never rewritten). */
  async restore(tenantId: string, contentId: string, versionId: string, userId: string): Promise<{ content: Content; version: ContentVersion }> {
    const content = await this.requireEditable(tenantId, contentId);
    const source = await this.version(tenantId, contentId, versionId);
    const written = await this.deps.contentRepository.addVersion(tenantId, contentId, {
      version: { title: source.title, body: source.body, meta: source.meta, source: 'restore', restoredFromId: source.id, createdBy: userId },
      status: statusAfterEdit(content.status),
    });
    return this.afterNewVersion(tenantId, written.content, written.version, { moderate: false, userId });
  }

  async compare(tenantId: string, contentId: string, aId: string, bId: string): Promise<{ a: ContentVersion; b: ContentVersion; title: DiffPart[]; body: DiffPart[] }> {
    const [a, b] = await Promise.all([this.version(tenantId, contentId, aId), this.version(tenantId, contentId, bId)]);
    return { a, b, title: diffWords(a.title, b.title), body: diffWords(a.body, b.body) };
  }

  /** Draft → awaiting approval (the text must be there and within the channel's hard limits). */
  /** With `mode`, the content takes that mode in the same write (the pipeline's publication step). */
  async submitForApproval(tenantId: string, contentId: string, options: { mode?: string } = {}): Promise<void> {
    if (options.mode !== undefined && !(CONTENT_MODES as readonly string[]).includes(options.mode)) throw new AppError(`${E}.invalidMode`, 422);
    const mode = options.mode as ContentMode | undefined;
    const detail = await this.detail(tenantId, contentId);
    if (!detail.current || !detail.current.body.trim()) throw new AppError(`${E}.nothingToSubmit`, 422);
    if (!(await this.deps.contentRepository.transition(tenantId, contentId, ['draft', 'rejected'], 'pending_approval', { mode }))) {
      throw new AppError(`${E}.cannotSubmit`, 409, { status: detail.content.status });
    }
    if ((mode ?? detail.content.mode) === 'auto') await this.approveIfSafe(tenantId, { ...detail.content, mode: mode ?? detail.content.mode }, detail.current);
  }

  async setMode(tenantId: string, contentId: string, mode: string): Promise<void> {
    if (!(CONTENT_MODES as readonly string[]).includes(mode)) throw new AppError(`${E}.invalidMode`, 422);
    await this.requireContent(tenantId, contentId);
    await this.deps.contentRepository.setMode(tenantId, contentId, mode as ContentMode);
  }

  async setDefaultMode(tenantId: string, mode: string): Promise<void> {
    if (!(CONTENT_MODES as readonly string[]).includes(mode)) throw new AppError(`${E}.invalidMode`, 422);
    await this.deps.contentRepository.setDefaultMode(tenantId, mode as ContentMode);
  }

  tenantDefaults(tenantId: string) {
    return this.deps.contentRepository.tenantDefaults(tenantId);
  }

  /** Runs the brand checks again on the current version (e.g. after the DNA's banned words changed, or moderation was down). */
  async recheck(tenantId: string, contentId: string, userId: string): Promise<ContentDetail> {
    const detail = await this.detail(tenantId, contentId);
    if (!detail.current) throw new AppError(`${E}.nothingToCheck`, 422);
    await this.checkBrandSafety(tenantId, detail.content, detail.current, { moderate: detail.current.aiCallId !== null, userId });
    return this.detail(tenantId, contentId);
  }

  /**
   * Brand safety for a current version that never got its verdict (its process stopped between writing the version
   * and checking it): the pipeline calls this when it resumes. A version already checked is left as it is.
   */
  async checkIfUnchecked(tenantId: string, contentId: string): Promise<void> {
    const detail = await this.detail(tenantId, contentId);
    if (!detail.current || detail.current.brandSafetyCheckedAt) return;
    await this.checkBrandSafety(tenantId, detail.content, detail.current, { moderate: detail.current.aiCallId !== null, userId: null });
  }

  /**
   * One content left `generating` by a worker known to be dead (the pipeline took its lease over) goes back to a
   * draft at once, without waiting for the stalled-generation delay.
   */
  async releaseGeneration(tenantId: string, contentId: string): Promise<void> {
    await this.deps.contentRepository.transition(tenantId, contentId, ['generating'], 'draft');
  }

  /** Contents left in `generating` by a process that stopped go back to what they were (draft if they have no text). */
  releaseStalledGenerations(now: Date = this.deps.clock.now()) {
    return this.deps.contentRepository.releaseStalledGenerations(new Date(now.getTime() - STALLED_GENERATION_MS));
  }

  // ---- internals ----

  /** The prompt of a (re)generation, built from this tenant's rows only. The DNA is read once, for the prompt and the brand checks. */
  private async prepareGeneration(tenantId: string, content: Content, isRegeneration: boolean): Promise<PreparedGeneration> {
    const contentId = content.id;
    const [dna, inputs] = await Promise.all([
      this.deps.dnaService.current(tenantId),
      this.deps.contentRepository.generationInputs(tenantId, content, {
        templateCode: isRegeneration ? 'studio.regenerate_content' : 'studio.generate_content',
        locale: content.locale,
        feedback: isRegeneration,
      }),
    ]);
    const brand = this.deps.dnaService.contextOf(dna);
    const { template, current } = inputs;
    const prompt = generationPrompt(template ?? FALLBACK_TEMPLATES[isRegeneration ? 'regenerate' : 'generate'], {
      content,
      brandTone: dna?.content.tone?.summary ?? null,
      keywords: dna?.content.seo?.keywords ?? [],
      campaignName: inputs.campaignName,
      media: inputs.media.map((a) => [a.kind, a.title, a.altText].filter(Boolean).join(' — ')),
      previousVersion: current ? [current.title, current.body].filter(Boolean).join('\n\n') : undefined,
      feedback: inputs.feedback,
    });
    return {
      templateId: template?.id ?? null,
      dnaSnapshotId: brand.snapshotId,
      dna: dna?.content ?? null,
      request: {
        tenantId,
        task: 'generation',
        channel: content.channel,
        prompt,
        tenantContext: brand.text,
        maxTokens: maxTokensFor(content.channel),
        subject: { type: 'content', id: contentId },
        dnaSnapshotId: brand.snapshotId ?? undefined,
      },
    };
  }

  /** The answer becomes the content's new version; the status follows the content's mode. */
  private saveGeneration(
    tenantId: string,
    content: Content,
    prepared: PreparedGeneration,
    answer: { text: string; callId: string | null; snapshotRef: string | null; model: { modelId: string | null; provider: string | null; offline: boolean } },
    isRegeneration: boolean,
  ): Promise<{ content: Content; version: ContentVersion }> {
    const { title, body } = splitGeneratedText(content.channel, answer.text, content.title);
    const meta: VersionMeta = { hashtags: findHashtags(body) };
    if (content.channel === 'newsletter') meta.subject = title;
    return this.deps.contentRepository.addVersion(tenantId, content.id, {
      version: {
        title,
        body,
        meta,
        source: isRegeneration ? 'regeneration' : 'generation',
        aiCallId: answer.callId,
        modelId: answer.model.modelId,
        promptTemplateId: prepared.templateId,
        dnaSnapshotId: prepared.dnaSnapshotId,
        createdBy: null,
      },
      status: statusAfterGeneration(content.mode),
      generation: {
        dnaSnapshotId: prepared.dnaSnapshotId,
        promptLayersSnapshot: { ref: answer.snapshotRef, model: answer.model.modelId, provider: answer.model.provider, offline: answer.model.offline },
      },
    });
  }


  /** Brand safety, SEO record and — in auto mode — the approval gate, after any new version. */
  private async afterNewVersion(
    tenantId: string,
    content: Content,
    version: ContentVersion,
    options: { moderate: boolean; userId: string | null; dna?: BrandDna | null },
  ): Promise<{ content: Content; version: ContentVersion }> {
    const checked = await this.checkBrandSafety(tenantId, content, version, options);
    if (channelProfile(content.channel) !== 'social') {
      await this.deps.seoService
        .recordForVersion(tenantId, { contentId: content.id, versionId: version.id, channel: content.channel, locale: version.locale, title: version.title, body: version.body, meta: version.meta })
        .catch((err) => this.deps.logger.warn({ err, contentId: content.id }, 'seo analysis not recorded'));
    }
    let current = content;
    if (content.mode === 'auto' && content.status === 'pending_approval') current = (await this.approveIfSafe(tenantId, content, checked)) ?? content;
    return { content: current, version: checked };
  }

  private async approveIfSafe(tenantId: string, content: Content, version: ContentVersion): Promise<Content | null> {
    if (version.brandSafetyStatus !== 'ok') return null;
    await this.deps.approvalGate.approveAutomatically(tenantId, content.id, version.id);
    return this.deps.contentRepository.find(tenantId, content.id);
  }

  private async checkBrandSafety(
    tenantId: string,
    content: Content,
    version: ContentVersion,
    options: { moderate: boolean; userId: string | null; dna?: BrandDna | null },
  ): Promise<ContentVersion> {
    const dna = options.dna !== undefined ? options.dna : ((await this.deps.dnaService.current(tenantId))?.content ?? null);
    const text = `${version.title}\n\n${version.body}`;
    const findings: BrandSafetyFinding[] = ruleFindings(text, dna, version.locale === 'en' ? 'en' : 'fr');
    let aiCallId: string | null = null;
    let moderated = !options.moderate;
    if (options.moderate) {
      try {
        const result = await this.deps.aiGateway.moderate({ tenantId, userId: options.userId ?? undefined, subject: { type: 'content_version', id: version.id } }, text);
        aiCallId = result.callId;
        findings.push(...moderationFindings(result.data.categories));
        moderated = true;
      } catch (err) {
        // No moderation model answered: the version stays unchecked, so approving it needs an explicit override.
        this.deps.logger.warn({ err, contentId: content.id }, 'moderation unavailable');
      }
    }
    const status = findings.length ? 'flagged' : moderated ? 'ok' : 'unchecked';
    await this.deps.contentRepository.recordBrandSafety(tenantId, version, { status, findings, aiCallId, checkedAt: this.deps.clock.now() });
    return { ...version, brandSafetyStatus: status, brandSafetyCheckedAt: this.deps.clock.now() };
  }

  private async requireContent(tenantId: string, contentId: string): Promise<Content> {
    if (!isUuid(contentId)) throw new NotFoundError();
    const content = await this.deps.contentRepository.find(tenantId, contentId);
    if (!content) throw new NotFoundError();
    return content;
  }

  private async requireEditable(tenantId: string, contentId: string): Promise<Content> {
    const content = await this.requireContent(tenantId, contentId);
    if (content.status === 'generating') throw new AppError(`${E}.generationInProgress`, 409);
    if (!EDITABLE_STATUSES.includes(content.status)) throw new AppError(`${E}.notEditable`, 409, { status: content.status });
    return content;
  }
}
