import type { i18n } from 'i18next';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { AiGateway } from '../../ai/gateway.js';
import type { KnexOnboardingRepository } from '../../brand/db/knex-onboarding-repository.js';
import type { DnaService } from '../../brand/dna-service.js';
import type { MediaService } from '../../brand/media-service.js';
import type { OnboardingFileStore, PdfExtractorPort } from '../../brand/onboarding-ports.js';
import type { KnexContentRepository } from '../../studio/db/knex-content-repository.js';
import { BRIEF_MAX_TOKENS, BRIEF_TEMPLATE_CODE, briefPrompt, briefSchema, langOf, normaliseBrief, wordCount, type BriefInput } from '../brief-prompt.js';
import type { KnexPipelineRepository } from '../db/knex-pipeline-repository.js';
import type { KnexMonthlySessionRepository, MonthlyBrief } from '../db/knex-session-repository.js';
import type { PipelineRun } from '../domain.js';
import type { StepContext, StepHandler, StepOutcome } from '../ports.js';
import { MAX_TRANSCRIPT_CHARS, type MonthlySession, type SessionItem } from '../session-domain.js';

/** Documents attached to the month's items: how many are read, and how much of each is kept. */
const MAX_DOCUMENTS = 5;
const MAX_DOCUMENT_CHARS = 8_000;
const MAX_PERFORMANCE_CHARS = 4_000;
const STREAM_LIMIT_BYTES = 25 * 1024 * 1024;

/** Gateway errors meaning "no model can serve this call": the month goes on without that input. */
const UNAVAILABLE = new Set(['ai.errors.noModelAvailable', 'ai.errors.noEuModel', 'ai.errors.taskUnavailable', 'ai.errors.requestRefused']);

export interface IngestionDeps {
  pipelineRepository: KnexPipelineRepository;
  monthlySessionRepository: KnexMonthlySessionRepository;
  onboardingRepository: KnexOnboardingRepository;
  onboardingFileStore: OnboardingFileStore;
  mediaService: MediaService;
  pdfTextExtractor: PdfExtractorPort;
  contentRepository: KnexContentRepository;
  dnaService: DnaService;
  aiGateway: AiGateway;
  i18n: i18n;
  logger: Logger;
}

/**
 * Step "ingestion": the session's audio transcribed (when not yet), then the session's text, its included items
 * (with their PDF), what the watch flagged and last month's performance, numbered and delimited as untrusted data,
 * summarised by ONE call into the month's short, sourced brief (`monthly_briefs`, unique per run: a second
 * execution returns the first brief and spends nothing). The brief cites only sources that exist.
 */
export class IngestionStep implements StepHandler {
  readonly name = 'ingestion' as const;

  constructor(private readonly deps: IngestionDeps) {}

  async execute(context: StepContext): Promise<StepOutcome> {
    const { tenantId, run } = context;
    const sessions = this.deps.monthlySessionRepository;
    const existing = await sessions.brief(tenantId, run.id);
    if (existing) return this.outcome(existing, { reused: true });

    const session = await this.session(run);
    let credits = 0;
    const transcription = await this.transcribe(tenantId, run, session);
    credits += transcription.credits;
    const transcript = transcription.text ?? session.audioTranscript;
    const items = (await sessions.items(tenantId, session.id)).filter((i) => i.included);
    const inputs = await this.inputs(tenantId, run, session, transcript, items);

    const t = this.deps.i18n.getFixedT(langOf(run.locale));
    const fromClient = inputs.some((i) => i.type === 'session_text' || i.type === 'session_audio' || i.type === 'session_item' || i.type === 'document');
    const statement = t('session.brief.noClientInput');
    let body = statement;
    let aiCallId: string | null = null;
    let cited: number[] = [];
    if (inputs.length) {
      const [template, dna] = await Promise.all([this.deps.contentRepository.promptTemplate(tenantId, BRIEF_TEMPLATE_CODE, run.locale), this.deps.dnaService.tenantContext(tenantId)]);
      const { prompt, instructions } = briefPrompt({ month: run.month, locale: run.locale, priorities: session.priorities, inputs, template: template?.body ?? null });
      const result = await this.deps.aiGateway.generate({
        tenantId,
        task: 'summarization',
        prompt,
        instructions,
        tenantContext: dna.text || undefined,
        dnaSnapshotId: dna.snapshotId ?? undefined,
        schema: briefSchema,
        maxTokens: BRIEF_MAX_TOKENS,
        temperature: 0.3,
        subject: { type: 'pipeline_run', id: run.id },
        idempotencyKey: `pipeline:${run.id}:brief`,
      });
      credits += result.credits;
      aiCallId = result.callId;
      const normalised = normaliseBrief(result.data, inputs.length, statement);
      cited = normalised.cited;
      body = fromClient ? normalised.body : `${statement}\n\n${normalised.body}`;
    }

    const { brief } = await sessions.createBrief(
      tenantId,
      { runId: run.id, sessionId: session.id, body, locale: run.locale, aiCallId },
      inputs.map(({ type, label, sourceId }) => ({ type, label, sourceId })),
    );
    await context.progress({ total: 1, done: 1, costCredits: credits });
    if (credits) await this.deps.pipelineRepository.addRunTotals(tenantId, run.id, { spentCredits: credits });
    return this.outcome(brief, { reused: false, cited, transcribed: transcription.text !== null, audio: transcription.status });
  }

  private outcome(brief: MonthlyBrief, extra: Record<string, unknown>): StepOutcome {
    return {
      status: 'succeeded',
      output: { briefId: brief.id, sources: brief.sources.length, words: wordCount(brief.body), ...extra },
      outputRef: { type: 'monthly_brief', id: brief.id },
    };
  }

  private async session(run: PipelineRun): Promise<MonthlySession> {
    const sessions = this.deps.monthlySessionRepository;
    const session = run.sessionId ? await sessions.get(run.tenantId, run.sessionId) : await sessions.find(run.tenantId, run.month);
    if (!session) throw new Error(`pipeline: run ${run.id} has no session (step session not done?)`);
    return session;
  }

  /**
   * Transcribes the session's audio when it has none yet; the transcript is kept on the session. A transcription
   * no model can serve leaves the month without it (said in the output) rather than failing the run.
   */
  private async transcribe(tenantId: string, run: PipelineRun, session: MonthlySession): Promise<{ text: string | null; credits: number; status: string }> {
    if (session.audioTranscript?.trim()) return { text: null, credits: 0, status: 'transcript' };
    if (!session.audioInputId && !session.audioMediaAssetId) return { text: null, credits: 0, status: 'none' };
    try {
      const input = session.audioInputId ? await this.deps.onboardingRepository.getInput(tenantId, session.audioInputId) : null;
      if (input?.status === 'done' && input.extractedText?.trim()) {
        // transcribed when it was uploaded, not copied yet
        const text = input.extractedText.trim().slice(0, MAX_TRANSCRIPT_CHARS);
        await this.deps.monthlySessionRepository.setTranscript(tenantId, session.id, text, input.aiCallId ?? null);
        return { text, credits: 0, status: 'transcript' };
      }
      const audio = await this.audio(tenantId, session);
      if (!audio) return { text: null, credits: 0, status: 'missing' };
      const result = await this.deps.aiGateway.transcribe({ tenantId, subject: { type: 'pipeline_run', id: run.id } }, { ...audio, language: langOf(session.locale) });
      const text = result.text.trim().slice(0, MAX_TRANSCRIPT_CHARS);
      await this.deps.monthlySessionRepository.setTranscript(tenantId, session.id, text, result.callId ?? null);
      return { text: text || null, credits: result.credits, status: text ? 'transcribed' : 'silent' };
    } catch (err) {
      if (err instanceof AppError && UNAVAILABLE.has(err.code)) {
        this.deps.logger.warn({ tenantId, runId: run.id, code: err.code }, 'pipeline: the session audio could not be transcribed');
        return { text: null, credits: 0, status: 'unavailable' };
      }
      throw err;
    }
  }

  private async audio(tenantId: string, session: MonthlySession): Promise<{ data: Buffer; filename: string; mimeType: string } | null> {
    if (session.audioInputId) {
      const input = await this.deps.onboardingRepository.getInput(tenantId, session.audioInputId);
      const data = input?.storageKey ? await this.deps.onboardingFileStore.get(tenantId, input.storageKey) : null;
      return input && data ? { data, filename: input.originalFilename ?? 'session', mimeType: input.mimeType ?? 'audio/mpeg' } : null;
    }
    const file = await this.deps.mediaService.open(tenantId, session.audioMediaAssetId!, 'original');
    return { data: await readAll(file.stream), filename: file.asset.originalFilename ?? 'session', mimeType: file.contentType };
  }

  /** The month's sources, numbered in this order: text, audio, items (with their documents), performance. */
  private async inputs(tenantId: string, run: PipelineRun, session: MonthlySession, transcript: string | null, items: SessionItem[]): Promise<BriefInput[]> {
    const t = this.deps.i18n.getFixedT(langOf(run.locale));
    const inputs: BriefInput[] = [];
    if (session.textInput.trim()) inputs.push({ type: 'session_text', label: t('session.brief.sources.text'), sourceId: session.id, text: session.textInput });
    if (transcript?.trim()) {
      inputs.push({ type: 'session_audio', label: t('session.brief.sources.audio'), sourceId: session.audioInputId ?? session.audioMediaAssetId, text: transcript });
    }
    let documents = 0;
    for (const item of items) {
      const text = itemText(item, (k) => t(`session.kinds.${k}`), t('session.brief.dates'));
      if (item.source === 'watch_change') inputs.push({ type: 'watch_change', label: item.title, sourceId: item.watchChangeId, text });
      else if (item.source === 'analytics') inputs.push({ type: 'performance', label: item.title, sourceId: item.id, text });
      else inputs.push({ type: 'session_item', label: item.title, sourceId: item.id, text });
      if (item.mediaAssetId && documents < MAX_DOCUMENTS) {
        const document = await this.document(tenantId, item.mediaAssetId);
        if (document) {
          documents++;
          inputs.push({ type: 'document', label: document.label, sourceId: item.mediaAssetId, text: document.text });
        }
      }
    }
    const previous = await this.deps.monthlySessionRepository.previousAnalytics(tenantId, run.id);
    if (previous) {
      inputs.push({
        type: 'performance',
        label: t('session.brief.sources.performance', { month: previous.month.slice(0, 7) }),
        sourceId: previous.runId,
        text: JSON.stringify(previous.output).slice(0, MAX_PERFORMANCE_CHARS),
      });
    }
    return inputs;
  }

  /** The text of a PDF attached to an item (bounded); anything else, or an unreadable file, is left out. */
  private async document(tenantId: string, assetId: string): Promise<{ label: string; text: string } | null> {
    try {
      const asset = await this.deps.mediaService.get(tenantId, assetId);
      if (asset.kind !== 'pdf' || asset.sizeBytes > STREAM_LIMIT_BYTES) return null;
      const file = await this.deps.mediaService.openStored(asset, 'original');
      const { text } = await this.deps.pdfTextExtractor.extract(await readAll(file.stream));
      const trimmed = text.trim();
      return trimmed ? { label: asset.originalFilename ?? asset.title, text: trimmed.slice(0, MAX_DOCUMENT_CHARS) } : null;
    } catch (err) {
      this.deps.logger.warn({ err, tenantId, assetId }, 'pipeline: a session document could not be read');
      return null;
    }
  }
}

function itemText(item: SessionItem, kindName: (kind: string) => string, datesLabel: string): string {
  const dates = item.startsOn || item.endsOn ? `${datesLabel} ${[item.startsOn, item.endsOn].filter(Boolean).join(' → ')}` : '';
  return [`${kindName(item.kind)} — ${item.title}`, dates, item.detail, item.url ?? ''].filter((s) => s.trim()).join('\n');
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > STREAM_LIMIT_BYTES) throw new Error('pipeline: file too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
