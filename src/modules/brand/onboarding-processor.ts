import type { i18n } from 'i18next';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { InputOutcome, KnexOnboardingRepository } from './db/knex-onboarding-repository.js';
import {
  companyText,
  COMPANY_INPUT_KEY,
  MAX_EXTRACTED_CHARS,
  QUESTION_KEYS,
  WEBSITE_MAX_PAGES,
  type CompanyBasics,
  type OnboardingInput,
  type OnboardingSession,
} from './onboarding-domain.js';
import type { DnaExtractorPort, DnaInput, OnboardingFileStore, PdfExtractorPort, TranscriberPort, WebsiteReaderPort } from './onboarding-ports.js';

/** A claim older than this belongs to a worker that died: another may take the work over. */
export const PROCESSING_LEASE_MS = 10 * 60 * 1000;
/** Inputs still pending this long after their upload were missed by the in-process dispatch (restart): the sweeper takes them. */
const PENDING_GRACE_MS = 60 * 1000;
const MAX_ATTEMPTS = 3;
const CONCURRENCY = 4;

/** Gateway errors meaning "no speech-to-text model can serve this tenant". */
const NO_TRANSCRIPTION = new Set(['ai.errors.noModelAvailable', 'ai.errors.noEuModel', 'ai.errors.taskUnavailable']);

const PDF_REASONS = new Set(['encrypted', 'corrupt', 'noText', 'notPdf', 'tooManyPages', 'tooLarge', 'tooComplex']);

/**
 * A user-facing error, recognised by its shape: the PDF extractor is loaded lazily (see onboarding.ts), so under
 * the test runner its errors may come from another instance of the AppError class.
 */
function asAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as Partial<AppError> | null;
  return e && typeof e === 'object' && typeof e.code === 'string' && typeof e.status === 'number' && typeof e.params === 'object' ? (e as AppError) : null;
}

/** The reason of an `ExtractionError` (adapter error, recognised by shape so the module does not import the adapter). */
function extractionReason(err: unknown): string | null {
  const appError = asAppError(err);
  if (!appError || appError.name !== 'ExtractionError') return null;
  const reason = (appError as AppError & { reason?: unknown }).reason;
  return typeof reason === 'string' && PDF_REASONS.has(reason) ? reason : null;
}

export interface OnboardingProcessorDeps {
  onboardingRepository: KnexOnboardingRepository;
  onboardingFileStore: OnboardingFileStore;
  pdfTextExtractor: PdfExtractorPort;
  websiteReader: WebsiteReaderPort;
  aiGateway: TranscriberPort;
  dnaService: DnaExtractorPort;
  i18n: i18n;
  clock: Clock;
  logger: Logger;
}

/**
 * Turns inputs into text (transcription, PDF extraction, website reading) and runs the DNA extraction, each in the
 * tenant's context. Work is claimed in the database before it is done, so running it twice (the in-process dispatch
 * and the sweeper job, or a job re-run) never does it twice; outcomes are written only by the attempt holding the claim.
 */
export class OnboardingProcessor {
  private readonly running = new Set<Promise<unknown>>();
  private readonly queue: (() => Promise<unknown>)[] = [];
  private active = 0;

  constructor(private readonly deps: OnboardingProcessorDeps) {}

  /** Processes an input in the background of this process (the web request answers at once). */
  dispatchInput(tenantId: string, inputId: string): void {
    this.schedule(() => this.processInput(tenantId, inputId));
  }

  dispatchExtraction(tenantId: string, sessionId: string): void {
    this.schedule(() => this.runExtraction(tenantId, sessionId));
  }

  /** Resolves once every dispatched piece of work has finished (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size || this.queue.length) await Promise.allSettled([...this.running]);
  }

  private schedule(work: () => Promise<unknown>): void {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    this.running.add(done);
    this.queue.push(async () => {
      try {
        await work();
      } catch (err) {
        this.deps.logger.error({ err }, 'onboarding work failed');
      } finally {
        this.running.delete(done);
        release();
      }
    });
    this.pump();
  }

  private pump(): void {
    while (this.active < CONCURRENCY && this.queue.length) {
      const next = this.queue.shift()!;
      this.active++;
      setImmediate(() => {
        void next().finally(() => {
          this.active--;
          this.pump();
        });
      });
    }
  }

  /** Claims and processes one input; `skipped` when it is finished or held by another worker. */
  async processInput(tenantId: string, inputId: string): Promise<'done' | 'failed' | 'skipped'> {
    const { onboardingRepository: repo, clock } = this.deps;
    const input = await repo.claimInput(tenantId, inputId, new Date(clock.now().getTime() - PROCESSING_LEASE_MS));
    if (!input) return 'skipped';
    let outcome: InputOutcome;
    if (input.attempts > MAX_ATTEMPTS) {
      outcome = this.failure(input, new AppError('brand.onboarding.errors.processingFailed'));
    } else {
      try {
        outcome = await this.perform(tenantId, input);
      } catch (err) {
        outcome = this.failure(input, err);
      }
    }
    await repo.finishInput(tenantId, input.id, input.attempts, outcome);
    return outcome.status;
  }

  private async perform(tenantId: string, input: OnboardingInput): Promise<InputOutcome> {
    switch (input.kind) {
      case 'audio': {
        const data = await this.original(tenantId, input);
        const result = await this.deps.aiGateway.transcribe(
          { tenantId },
          { data, filename: input.originalFilename ?? 'interview', mimeType: input.mimeType ?? 'audio/mpeg' },
        );
        const text = result.text.trim();
        if (!text) throw new AppError('brand.onboarding.errors.audioSilent');
        return { status: 'done', extractedText: text.slice(0, MAX_EXTRACTED_CHARS), durationMs: Math.round(result.durationSeconds * 1000), aiCallId: result.callId ?? null };
      }
      case 'pdf': {
        const data = await this.original(tenantId, input);
        const result = await this.deps.pdfTextExtractor.extract(data);
        return { status: 'done', extractedText: result.text.slice(0, MAX_EXTRACTED_CHARS), pageCount: result.pages };
      }
      case 'url': {
        const result = await this.deps.websiteReader.read(input.sourceUrl!, { maxPages: WEBSITE_MAX_PAGES });
        const pages = result.pages.filter((p) => p.text.trim());
        if (!pages.length) throw new AppError('brand.onboarding.errors.websiteNoText');
        const text = pages.map((p) => `# ${p.title?.trim() || p.url}\n${p.url}\n\n${p.text.trim()}`).join('\n\n');
        return { status: 'done', extractedText: text.slice(0, MAX_EXTRACTED_CHARS), pageCount: pages.length, finalUrl: result.pages[0]?.url ?? null };
      }
      default:
        // text and questionnaire inputs are written done
        return { status: 'done', extractedText: input.rawText ?? '' };
    }
  }

  private async original(tenantId: string, input: OnboardingInput): Promise<Buffer> {
    const data = input.storageKey ? await this.deps.onboardingFileStore.get(tenantId, input.storageKey) : null;
    if (!data) throw new AppError('brand.onboarding.errors.fileUnavailable');
    return data;
  }

  /** A failure the user can read: the error's own code when it is a user-facing one, else a generic one per kind. */
  private failure(input: OnboardingInput, err: unknown): InputOutcome {
    let code: string;
    let params: Record<string, unknown> = {};
    const reason = extractionReason(err);
    const appError = asAppError(err);
    if (reason) {
      // the PDF's own failure, worded for the wizard (what to do about it)
      code = `brand.onboarding.errors.pdf.${reason}`;
      params = appError!.params;
    } else if (appError) {
      code = input.kind === 'audio' && NO_TRANSCRIPTION.has(appError.code) ? 'brand.onboarding.errors.transcriptionUnavailable' : appError.code;
      params = appError.params;
    } else {
      this.deps.logger.warn({ err, inputId: input.id, kind: input.kind }, 'onboarding input failed');
      code = input.kind === 'audio' ? 'brand.onboarding.errors.transcriptionFailed' : 'brand.onboarding.errors.processingFailed';
    }
    const t = this.deps.i18n.getFixedT(input.locale.slice(0, 2));
    const message = t([code, 'brand.onboarding.errors.processingFailed'], params);
    return { status: 'failed', errorCode: code, errorMessage: message };
  }

  /** Claims the DNA extraction of an `extracting` session and runs it with every usable input. */
  async runExtraction(tenantId: string, sessionId: string): Promise<'done' | 'failed' | 'skipped'> {
    const { onboardingRepository: repo, clock } = this.deps;
    const session = await repo.claimExtraction(tenantId, sessionId, clock.now(), new Date(clock.now().getTime() - PROCESSING_LEASE_MS));
    if (!session) return 'skipped';
    const attempt = session.stepData.extraction!.attempts;
    try {
      if (attempt > MAX_ATTEMPTS) throw new AppError('brand.onboarding.errors.extractionFailed');
      const inputs = await this.dnaInputs(tenantId, session);
      if (!inputs.length) throw new AppError('brand.onboarding.errors.nothingToExtract');
      const dna = await this.deps.dnaService.extract(tenantId, {
        inputs,
        locale: session.locale,
        userId: session.stepData.extraction?.requestedBy ?? session.startedBy ?? undefined,
        onboardingSessionId: session.id,
      });
      await repo.completeExtraction(tenantId, sessionId, attempt, { id: dna.id, version: dna.version }, clock.now());
      return 'done';
    } catch (err) {
      if (!(err instanceof AppError)) this.deps.logger.error({ err, tenantId, sessionId }, 'brand DNA extraction failed');
      await repo.failExtraction(tenantId, sessionId, attempt, err instanceof AppError ? err.code : 'brand.onboarding.errors.extractionFailed');
      return 'failed';
    }
  }

  /** The basics and the questionnaire (as text), then every successful audio, PDF and website input. */
  async dnaInputs(tenantId: string, session: OnboardingSession): Promise<DnaInput[]> {
    const t = this.deps.i18n.getFixedT(session.locale.slice(0, 2));
    const rows = await this.deps.onboardingRepository.listInputs(tenantId, session.id);
    const inputs: DnaInput[] = [];
    const byKey = (kind: string, key: string) => rows.find((r) => r.kind === kind && r.questionKey === key);
    const company = byKey('text', COMPANY_INPUT_KEY);
    if (company && session.stepData.company) {
      const basics: CompanyBasics = session.stepData.company;
      inputs.push({ id: company.id, kind: 'text', label: t('brand.onboarding.company.title'), text: companyText(basics, (f) => t(`brand.onboarding.company.${f}`)) });
    }
    for (const key of QUESTION_KEYS) {
      const answer = byKey('questionnaire', key);
      if (answer?.rawText?.trim()) inputs.push({ id: answer.id, kind: 'questionnaire', label: t(`brand.onboarding.questions.${key}.label`), text: answer.rawText.trim() });
    }
    for (const row of rows) {
      if (row.status !== 'done' || !row.extractedText?.trim()) continue;
      if (row.kind === 'audio') inputs.push({ id: row.id, kind: 'audio', label: t('brand.onboarding.dnaLabels.audio', { name: row.originalFilename ?? '' }), text: row.extractedText });
      if (row.kind === 'pdf') inputs.push({ id: row.id, kind: 'pdf', label: t('brand.onboarding.dnaLabels.pdf', { name: row.originalFilename ?? '' }), text: row.extractedText });
      if (row.kind === 'url') inputs.push({ id: row.id, kind: 'url', label: t('brand.onboarding.dnaLabels.url', { url: row.finalUrl ?? row.sourceUrl ?? '' }), text: row.extractedText });
    }
    return inputs;
  }

  /** Fan-out sweeper: inputs the in-process dispatch missed (a restart) or whose worker died, and stalled extractions. */
  async sweep(limit = 50): Promise<{ inputs: number; extractions: number }> {
    const now = this.deps.clock.now().getTime();
    const repo = this.deps.onboardingRepository;
    const inputs = await repo.stalledInputs(new Date(now - PENDING_GRACE_MS), new Date(now - PROCESSING_LEASE_MS), limit);
    for (const work of inputs) await this.processInput(work.tenantId, work.id);
    const extractions = await repo.stalledExtractions(new Date(now - PENDING_GRACE_MS), new Date(now - PROCESSING_LEASE_MS), limit);
    for (const work of extractions) await this.runExtraction(work.tenantId, work.id);
    return { inputs: inputs.length, extractions: extractions.length };
  }
}
