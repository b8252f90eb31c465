import crypto from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { AiGateway } from '../ai/gateway.js';
import type { KnexOnboardingRepository } from '../brand/db/knex-onboarding-repository.js';
import { cleanFilename, MAX_AUDIO_BYTES, sniffAudio } from '../brand/onboarding-domain.js';
import type { OnboardingFileStore } from '../brand/onboarding-ports.js';
import type { OnboardingProcessor } from '../brand/onboarding-processor.js';
import type { KnexPipelineRepository } from './db/knex-pipeline-repository.js';
import type { KnexMonthlySessionRepository } from './db/knex-session-repository.js';
import { isMonth, monthOf, nextMonth } from './domain.js';
import { MAX_TRANSCRIPT_CHARS, parseDeadline, selectableMonths, type ItemForm, type MonthlySession, type SessionForm, type SessionItem } from './session-domain.js';

export interface SessionPage {
  session: MonthlySession;
  items: SessionItem[];
  months: string[];
  timezone: string;
  /** Why the audio has no transcript yet, as an i18n key, when the last attempt failed. */
  audioError: string | null;
  audioFilename: string | null;
}

const E = 'session.errors';

/**
 * The client's monthly session: what they want next month to be about (free text or a recording, ranked
 * priorities, news, offers and events), plus what the watch suggested. Editable until a run uses it.
 */
export class MonthlySessionService {
  constructor(
    private readonly deps: {
      monthlySessionRepository: KnexMonthlySessionRepository;
      pipelineRepository: KnexPipelineRepository;
      onboardingRepository: KnexOnboardingRepository;
      onboardingFileStore: OnboardingFileStore;
      onboardingProcessor: OnboardingProcessor;
      aiGateway: AiGateway;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  private get repo() {
    return this.deps.monthlySessionRepository;
  }

  /** The month's session page (next month by default); only the current month to three months ahead. */
  async page(tenantId: string, month?: string): Promise<SessionPage> {
    const profile = await this.deps.pipelineRepository.tenantProfile(tenantId);
    const months = selectableMonths(this.deps.clock.now(), profile.timezone);
    const chosen = month ?? nextMonth(monthOf(this.deps.clock.now(), profile.timezone));
    if (!isMonth(chosen) || !months.includes(chosen)) throw new AppError(`${E}.monthUnavailable`, 404);
    const session = await this.repo.ensure(tenantId, chosen, profile.locale);
    return this.pageOf(tenantId, session, months, profile.timezone);
  }

  /** The page of a session given by id (a form post): another tenant's id is not found. */
  async pageById(tenantId: string, sessionId: string): Promise<SessionPage> {
    const session = await this.require(tenantId, sessionId);
    const profile = await this.deps.pipelineRepository.tenantProfile(tenantId);
    return this.pageOf(tenantId, session, selectableMonths(this.deps.clock.now(), profile.timezone), profile.timezone);
  }

  private async pageOf(tenantId: string, session: MonthlySession, months: string[], timezone: string): Promise<SessionPage> {
    const items = await this.repo.items(tenantId, session.id);
    const input = session.audioInputId ? await this.deps.onboardingRepository.getInput(tenantId, session.audioInputId) : null;
    return {
      session,
      items,
      months,
      timezone,
      audioError: input?.status === 'failed' && !session.audioTranscript ? (input.errorCode ?? `${E}.transcriptionFailed`) : null,
      audioFilename: input?.originalFilename ?? null,
    };
  }

  async require(tenantId: string, sessionId: string): Promise<MonthlySession> {
    const session = await this.repo.get(tenantId, sessionId);
    if (!session) throw new NotFoundError();
    return session;
  }

  /** Saves the form; `submit` also marks the month's input ready. A closed session refuses both (409). */
  async save(tenantId: string, sessionId: string, form: SessionForm, options: { submitBy?: string } = {}): Promise<MonthlySession> {
    const session = await this.require(tenantId, sessionId);
    const { timezone } = await this.deps.pipelineRepository.tenantProfile(tenantId);
    const deadlineAt = parseDeadline(form.deadline, timezone);
    if (form.deadline && !deadlineAt) throw new ValidationError({ deadline: `${E}.deadlineInvalid` });
    if (deadlineAt && deadlineAt.getTime() <= this.deps.clock.now().getTime()) throw new ValidationError({ deadline: `${E}.deadlinePast` });
    const transcript = form.audioTranscript !== undefined && (session.audioInputId || session.audioMediaAssetId) ? { audioTranscript: form.audioTranscript || null } : {};
    const saved = await this.repo.update(tenantId, session.id, { textInput: form.textInput, priorities: form.priorities, deadlineAt, ...transcript });
    if (!saved) throw new AppError(`${E}.closed`, 409);
    if (options.submitBy && !(await this.repo.submit(tenantId, session.id, options.submitBy, this.deps.clock.now()))) throw new AppError(`${E}.closed`, 409);
    return this.require(tenantId, session.id);
  }

  async addItem(tenantId: string, sessionId: string, item: ItemForm): Promise<SessionItem> {
    const session = await this.require(tenantId, sessionId);
    if (session.status === 'closed') throw new AppError(`${E}.closed`, 409);
    const added = await this.repo.addItem(tenantId, session.id, item, session.locale);
    if (!added) throw new AppError(`${E}.tooManyItems`, 422);
    return added;
  }

  async removeItem(tenantId: string, sessionId: string, itemId: string): Promise<void> {
    await this.requireOpen(tenantId, sessionId);
    if (!(await this.repo.removeItem(tenantId, sessionId, itemId))) throw new NotFoundError();
  }

  /** Keeps or leaves out an item (the way to refuse a watch suggestion). */
  async setIncluded(tenantId: string, sessionId: string, itemId: string, included: boolean): Promise<void> {
    await this.requireOpen(tenantId, sessionId);
    if (!(await this.repo.setIncluded(tenantId, sessionId, itemId, included))) throw new NotFoundError();
  }

  private async requireOpen(tenantId: string, sessionId: string): Promise<MonthlySession> {
    const session = await this.require(tenantId, sessionId);
    if (session.status === 'closed') throw new AppError(`${E}.closed`, 409);
    return session;
  }

  /** Whether speech-to-text can serve this tenant now (the offline provider cannot). */


  /**
   * A recording of the month's input: checked by its bytes, stored with the onboarding's files, transcribed right
   * away (claimed first, like the onboarding's, so the sweeper never does it twice), and its transcript put in
   * the session for the client to correct. A failed transcription keeps the recording: the run tries again.
   */
  async addAudio(tenantId: string, sessionId: string, userId: string, file: { originalname: string; buffer: Buffer; size: number }): Promise<MonthlySession> {
    const session = await this.requireOpen(tenantId, sessionId);
    const filename = cleanFilename(file.originalname, 'session');
    if (file.size > MAX_AUDIO_BYTES) throw new ValidationError({ audio: `${E}.audioTooLarge` });
    if (file.size === 0) throw new ValidationError({ audio: `${E}.audioEmpty` });
    const audio = sniffAudio(file.buffer);
    if (!audio) throw new ValidationError({ audio: `${E}.notAudio` });
    if (!(await this.deps.aiGateway.canTranscribe(tenantId))) throw new AppError(`${E}.transcriptionUnavailable`, 422);

    const holder = await this.repo.audioHolder(tenantId, session.id, userId, session.locale);
    const storageKey = await this.deps.onboardingFileStore.put(tenantId, file.buffer, { kind: 'audio', filename, mimeType: audio.mimeType });
    const sha256 = crypto.createHash('sha256').update(file.buffer).digest('hex');
    const input = await this.deps.onboardingRepository.addInput(tenantId, holder, { kind: 'audio', originalFilename: filename, mimeType: audio.mimeType, sizeBytes: file.size, storageKey, sha256 });
    if (!(await this.repo.update(tenantId, session.id, { audioInputId: input.id, audioTranscript: null, transcriptAiCallId: null }))) throw new AppError(`${E}.closed`, 409);
    await this.deps.onboardingProcessor.processInput(tenantId, input.id);
    const done = await this.deps.onboardingRepository.getInput(tenantId, input.id);
    if (done?.status === 'done' && done.extractedText) {
      await this.repo.update(tenantId, session.id, { audioTranscript: done.extractedText.slice(0, MAX_TRANSCRIPT_CHARS), transcriptAiCallId: done.aiCallId ?? null });
    }
    return this.require(tenantId, session.id);
  }
}
