import crypto from 'node:crypto';
import type { i18n } from 'i18next';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { KnexOnboardingRepository } from './db/knex-onboarding-repository.js';
import {
  cleanFilename,
  companyText,
  looksLikePdf,
  MAX_AUDIO_BYTES,
  MAX_PDF_BYTES,
  nextStep,
  sniffAudio,
  type CompanyBasics,
  type InputKind,
  type OnboardingInput,
  type OnboardingSession,
  type OnboardingStep,
  type QuestionKey,
  type UploadRejection,
} from './onboarding-domain.js';
import type { OnboardingProcessor } from './onboarding-processor.js';
import type { OnboardingFileStore } from './onboarding-ports.js';

/** A file as received by the upload middleware (capped: beyond its limit the bytes are drained, not kept). */
export interface UploadedFile {
  originalname: string;
  buffer: Buffer;
  size: number;
  tooLarge: boolean;
}

export interface RejectedFile {
  filename: string;
  reason: UploadRejection;
}

/** The use cases of the onboarding wizard; the routes and the jobs call these. */
export class OnboardingService {
  constructor(
    private readonly deps: {
      onboardingRepository: KnexOnboardingRepository;
      onboardingProcessor: OnboardingProcessor;
      onboardingFileStore: OnboardingFileStore;
      i18n: i18n;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  private get repo() {
    return this.deps.onboardingRepository;
  }

  /** The tenant's open wizard, created on the first visit; coming back resumes it. */
  open(tenantId: string, userId: string, locale: string): Promise<OnboardingSession> {
    return this.repo.openSession(tenantId, { userId, locale });
  }

  /** The open wizard, else the last finished one (the progress fragment still answers after completion). */
  latest(tenantId: string): Promise<OnboardingSession | null> {
    return this.repo.latestSession(tenantId);
  }

  async visit(tenantId: string, session: OnboardingSession, step: OnboardingStep): Promise<void> {
    if (session.status === 'in_progress' && session.currentStep !== step) {
      await this.repo.setCurrentStep(tenantId, session.id, step);
      session.currentStep = step;
    }
  }

  inputs(tenantId: string, sessionId: string, kinds?: readonly InputKind[]): Promise<OnboardingInput[]> {
    return this.repo.listInputs(tenantId, sessionId, kinds);
  }

  async saveCompany(tenantId: string, session: OnboardingSession, company: CompanyBasics): Promise<OnboardingStep> {
    const t = this.deps.i18n.getFixedT(session.locale.slice(0, 2));
    const next = nextStep('company');
    await this.repo.saveCompany(tenantId, session.id, company, companyText(company, (f) => t(`brand.onboarding.company.${f}`)), next);
    return next;
  }

  async saveQuestionnaire(tenantId: string, session: OnboardingSession, answers: Record<QuestionKey, string>, moveOn: boolean): Promise<Date> {
    const savedAt = this.deps.clock.now();
    await this.repo.saveQuestionnaire(tenantId, session.id, answers, savedAt, moveOn ? nextStep('questionnaire') : 'questionnaire');
    return savedAt;
  }

  /** An interview recording: checked by its bytes, kept, transcribed in the background. */
  async addAudio(tenantId: string, session: OnboardingSession, file: UploadedFile): Promise<{ input?: OnboardingInput; rejected?: RejectedFile }> {
    const filename = cleanFilename(file.originalname, 'interview');
    if (file.tooLarge || file.size > MAX_AUDIO_BYTES) return { rejected: { filename, reason: 'tooLarge' } };
    if (file.size === 0) return { rejected: { filename, reason: 'empty' } };
    const audio = sniffAudio(file.buffer);
    if (!audio) return { rejected: { filename, reason: 'notAudio' } };
    const input = await this.storeAndAdd(tenantId, session, 'audio', file.buffer, filename, audio.mimeType);
    await this.visit(tenantId, session, 'audio');
    return { input };
  }

  /** PDFs: each checked by its bytes; the accepted ones are extracted in the background, the refused ones say why. */
  async addPdfs(tenantId: string, session: OnboardingSession, files: UploadedFile[]): Promise<{ inputs: OnboardingInput[]; rejected: RejectedFile[] }> {
    const inputs: OnboardingInput[] = [];
    const rejected: RejectedFile[] = [];
    for (const file of files) {
      const filename = cleanFilename(file.originalname, 'document.pdf');
      if (file.tooLarge || file.size > MAX_PDF_BYTES) rejected.push({ filename, reason: 'tooLarge' });
      else if (file.size === 0) rejected.push({ filename, reason: 'empty' });
      else if (!looksLikePdf(file.buffer)) rejected.push({ filename, reason: 'notPdf' });
      else inputs.push(await this.storeAndAdd(tenantId, session, 'pdf', file.buffer, filename, 'application/pdf'));
    }
    await this.visit(tenantId, session, 'documents');
    return { inputs, rejected };
  }

  private async storeAndAdd(tenantId: string, session: OnboardingSession, kind: 'audio' | 'pdf', data: Buffer, filename: string, mimeType: string): Promise<OnboardingInput> {
    const sha256 = crypto.createHash('sha256').update(data).digest('hex');
    // the same file sent twice (a double click, a second tab) is kept once; after a failure it is tried again
    const same = (await this.repo.listInputs(tenantId, session.id, [kind])).find((i) => i.sha256 === sha256);
    if (same && same.status !== 'failed') return same;
    if (same) await this.removeInput(tenantId, session, same.id);
    const storageKey = await this.deps.onboardingFileStore.put(tenantId, data, { kind, filename, mimeType });
    try {
      const input = await this.repo.addInput(tenantId, session.id, { kind, originalFilename: filename, mimeType, sizeBytes: data.length, storageKey, sha256 });
      this.deps.onboardingProcessor.dispatchInput(tenantId, input.id);
      return input;
    } catch (err) {
      await this.deps.onboardingFileStore.delete(tenantId, storageKey).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The website: remembered in the answers, read in the background through the SSRF-safe fetcher. Sending the same
   * address again while it is pending or read adds nothing; after a failure it is tried again.
   */
  async addWebsite(tenantId: string, session: OnboardingSession, url: string): Promise<OnboardingInput> {
    await this.repo.saveWebsite(tenantId, session.id, url);
    await this.visit(tenantId, session, 'website');
    const existing = (await this.repo.listInputs(tenantId, session.id, ['url'])).filter((i) => i.sourceUrl === url);
    const kept = existing.find((i) => i.status !== 'failed');
    if (kept) return kept;
    for (const failed of existing) await this.repo.deleteInput(tenantId, session.id, failed.id);
    const input = await this.repo.addInput(tenantId, session.id, { kind: 'url', sourceUrl: url });
    this.deps.onboardingProcessor.dispatchInput(tenantId, input.id);
    return input;
  }

  async removeInput(tenantId: string, session: OnboardingSession, inputId: string): Promise<OnboardingInput | null> {
    const removed = await this.repo.deleteInput(tenantId, session.id, inputId);
    if (removed?.storageKey) await this.deps.onboardingFileStore.delete(tenantId, removed.storageKey).catch(() => undefined);
    return removed;
  }

  /**
   * "Generate my brand DNA": needs the basics, and waits for inputs still being read. Runs in the background;
   * the review page polls the session's progress.
   */
  async generate(tenantId: string, session: OnboardingSession, userId: string): Promise<void> {
    if (session.status === 'extracting') return;
    if (!session.stepData.company) throw new AppError('brand.onboarding.errors.companyMissing', 422);
    const inputs = await this.repo.listInputs(tenantId, session.id);
    if (inputs.some((i) => i.status === 'pending' || i.status === 'processing')) throw new AppError('brand.onboarding.errors.stillProcessing', 409);
    if (await this.repo.startExtraction(tenantId, session.id, userId, this.deps.clock.now())) {
      this.deps.onboardingProcessor.dispatchExtraction(tenantId, session.id);
    }
  }

  async abandon(tenantId: string, session: OnboardingSession): Promise<void> {
    await this.repo.abandon(tenantId, session.id, this.deps.clock.now());
  }
}
