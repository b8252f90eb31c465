import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { AppError } from '../../../shared/errors.js';
import type {
  ExtractionState,
  InputKind,
  OnboardingInput,
  OnboardingSession,
  OnboardingStep,
  QuestionKey,
  StepData,
} from '../onboarding-domain.js';

const OPEN = ['in_progress', 'extracting'] as const;

/** A new input row, before any processing. */
export interface NewInput {
  kind: InputKind;
  status?: 'pending' | 'done' | 'failed';
  questionKey?: string | null;
  rawText?: string | null;
  originalFilename?: string | null;
  mimeType?: string | null;
  sizeBytes?: number | null;
  storageKey?: string | null;
  sha256?: string | null;
  sourceUrl?: string | null;
  extractedText?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
}

/** What a processing attempt produced. */
export type InputOutcome =
  | {
      status: 'done';
      extractedText: string;
      pageCount?: number | null;
      durationMs?: number | null;
      finalUrl?: string | null;
      aiCallId?: string | null;
    }
  | { status: 'failed'; errorCode: string; errorMessage: string };

/** A pending or stalled piece of work, found across tenants by the sweeper (platform context). */
export interface StalledWork {
  tenantId: string;
  id: string;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

export class KnexOnboardingRepository {
  constructor(private readonly deps: { database: Database }) {}

  private get db() {
    return this.deps.database;
  }

  /** The tenant's open wizard, or a new one (one open wizard per tenant: a concurrent creation resumes the winner's). */
  async openSession(tenantId: string, input: { userId: string; locale: string }): Promise<OnboardingSession> {
    const existing = await this.findOpenSession(tenantId);
    if (existing) return existing;
    try {
      return await this.db.forTenant(tenantId, async (trx) => {
        const completed = await trx('onboardingSessions').where({ tenantId, status: 'completed' }).whereNot('kind', 'pipeline').first('id');
        const [row] = await trx('onboardingSessions')
          .insert({ tenantId, kind: completed ? 'update' : 'initial', startedBy: input.userId, locale: input.locale, stepData: json({}) })
          .returning('*');
        return row as OnboardingSession;
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const winner = await this.findOpenSession(tenantId);
      if (!winner) throw err;
      return winner;
    }
  }

  findOpenSession(tenantId: string): Promise<OnboardingSession | null> {
    return this.db.forTenant(tenantId, async (trx) => {
      const row = await trx('onboardingSessions').where({ tenantId }).whereNot('kind', 'pipeline').whereIn('status', OPEN).first();
      return (row as OnboardingSession | undefined) ?? null;
    });
  }

  /** The open wizard, else the last one that ended (so the progress of a finished extraction can still be shown). */
  latestSession(tenantId: string): Promise<OnboardingSession | null> {
    return this.db.forTenant(tenantId, async (trx) => {
      const row = await trx('onboardingSessions')
        .where({ tenantId })
        .whereNot('kind', 'pipeline')
        .whereNot('status', 'abandoned')
        .orderByRaw(`(status IN ('in_progress', 'extracting')) DESC, created_at DESC`)
        .first();
      return (row as OnboardingSession | undefined) ?? null;
    });
  }

  getSession(tenantId: string, sessionId: string): Promise<OnboardingSession | null> {
    return this.db.forTenant(tenantId, async (trx) => {
      const row = await trx('onboardingSessions').where({ id: sessionId }).first();
      return (row as OnboardingSession | undefined) ?? null;
    });
  }

  async setCurrentStep(tenantId: string, sessionId: string, step: OnboardingStep): Promise<void> {
    await this.db.forTenant(tenantId, (trx) =>
      trx('onboardingSessions').where({ id: sessionId }).whereIn('status', OPEN).whereNot('currentStep', step).update({ currentStep: step, updatedAt: trx.fn.now() }),
    );
  }

  /** Saves the basics (answers and their text input) and moves on; the session row is locked so concurrent saves serialise. */
  async saveCompany(tenantId: string, sessionId: string, company: StepData['company'], text: string, next: OnboardingStep): Promise<void> {
    await this.db.forTenant(tenantId, async (trx) => {
      const session = await this.lockOpen(trx, sessionId);
      await trx('onboardingSessions')
        .where({ id: sessionId })
        .update({
          stepData: trx.raw(`step_data || jsonb_build_object('company', ?::jsonb)`, [json(company)]),
          currentStep: next,
          updatedAt: trx.fn.now(),
        });
      await this.upsertTextInput(trx, session, 'text', 'company', text);
    });
  }

  /**
   * Saves the questionnaire (autosave): the answers in step_data for the form, and one `questionnaire` input per
   * non-empty answer (an emptied answer removes its input).
   */
  async saveQuestionnaire(
    tenantId: string,
    sessionId: string,
    answers: Record<QuestionKey, string>,
    savedAt: Date,
    next?: OnboardingStep,
  ): Promise<void> {
    await this.db.forTenant(tenantId, async (trx) => {
      const session = await this.lockOpen(trx, sessionId);
      await trx('onboardingSessions')
        .where({ id: sessionId })
        .update({
          stepData: trx.raw(`step_data || jsonb_build_object('questionnaire', ?::jsonb, 'questionnaireSavedAt', ?::text)`, [json(answers), savedAt.toISOString()]),
          ...(next ? { currentStep: next } : {}),
          updatedAt: trx.fn.now(),
        });
      for (const [key, answer] of Object.entries(answers)) await this.upsertTextInput(trx, session, 'questionnaire', key, answer);
    });
  }

  async saveWebsite(tenantId: string, sessionId: string, url: string): Promise<void> {
    await this.db.forTenant(tenantId, async (trx) => {
      await this.lockOpen(trx, sessionId);
      await trx('onboardingSessions')
        .where({ id: sessionId })
        .update({ stepData: trx.raw(`step_data || jsonb_build_object('website', jsonb_build_object('url', ?::text))`, [url]), updatedAt: trx.fn.now() });
    });
  }

  private async lockOpen(trx: Knex.Transaction, sessionId: string): Promise<OnboardingSession> {
    // answers and inputs change only while the wizard is open and not generating the DNA
    const session = await trx('onboardingSessions').where({ id: sessionId, status: 'in_progress' }).forUpdate().first();
    if (!session) throw new SessionClosedError();
    return session as OnboardingSession;
  }

  private async upsertTextInput(trx: Knex.Transaction, session: OnboardingSession, kind: 'text' | 'questionnaire', key: string, text: string): Promise<void> {
    const existing = await trx('onboardingInputs').where({ sessionId: session.id, kind, questionKey: key }).first('id', 'rawText');
    if (!text.trim()) {
      if (existing) await trx('onboardingInputs').where({ id: existing.id }).delete();
      return;
    }
    if (existing) {
      if (existing.rawText !== text) {
        await trx('onboardingInputs')
          .where({ id: existing.id })
          .update({ rawText: text, extractedText: text, extractedChars: text.length, processedAt: trx.fn.now(), updatedAt: trx.fn.now() });
      }
      return;
    }
    await trx('onboardingInputs').insert({
      tenantId: session.tenantId,
      sessionId: session.id,
      kind,
      status: 'done',
      questionKey: key,
      rawText: text,
      extractedText: text,
      extractedChars: text.length,
      processedAt: trx.fn.now(),
      locale: session.locale,
    });
  }

  async addInput(tenantId: string, sessionId: string, input: NewInput): Promise<OnboardingInput> {
    return this.db.forTenant(tenantId, async (trx) => {
      const session = await this.lockOpen(trx, sessionId);
      const [row] = await trx('onboardingInputs')
        .insert({
          tenantId,
          sessionId,
          locale: session.locale,
          ...input,
          status: input.status ?? 'pending',
          ...(input.extractedText ? { extractedChars: input.extractedText.length } : {}),
          ...(input.status === 'failed' || input.status === 'done' ? { processedAt: trx.fn.now() } : {}),
        })
        .returning('*');
      await trx('onboardingSessions').where({ id: sessionId }).update({ updatedAt: trx.fn.now() });
      return row as OnboardingInput;
    });
  }

  listInputs(tenantId: string, sessionId: string, kinds?: readonly InputKind[]): Promise<OnboardingInput[]> {
    return this.db.forTenant(tenantId, async (trx) => {
      const q = trx('onboardingInputs').where({ sessionId }).orderBy([{ column: 'createdAt' }, { column: 'id' }]);
      if (kinds?.length) q.whereIn('kind', kinds);
      return (await q) as OnboardingInput[];
    });
  }

  getInput(tenantId: string, inputId: string): Promise<OnboardingInput | null> {
    return this.db.forTenant(tenantId, async (trx) => {
      const row = await trx('onboardingInputs').where({ id: inputId }).first();
      return (row as OnboardingInput | undefined) ?? null;
    });
  }

  /** Removes an input of the open wizard (not while it is being processed); returns it for its file to be deleted. */
  deleteInput(tenantId: string, sessionId: string, inputId: string): Promise<OnboardingInput | null> {
    return this.db.forTenant(tenantId, async (trx) => {
      await this.lockOpen(trx, sessionId);
      const [row] = await trx('onboardingInputs')
        .where({ id: inputId, sessionId })
        .whereIn('kind', ['audio', 'pdf', 'url'])
        .whereNot('status', 'processing')
        .delete()
        .returning('*');
      return (row as OnboardingInput | undefined) ?? null;
    });
  }

  /**
   * Claims an input for processing: pending, or processing whose claim is older than `staleBefore` (a worker
   * that died). Returns null when another worker holds it or it is finished — a re-run never redoes the work.
   */
  claimInput(tenantId: string, inputId: string, staleBefore: Date): Promise<OnboardingInput | null> {
    return this.db.forTenant(tenantId, async (trx) => {
      const [row] = await trx('onboardingInputs')
        .where({ id: inputId })
        .where((q) => q.where('status', 'pending').orWhere((s) => s.where('status', 'processing').where('updatedAt', '<', staleBefore)))
        .update({ status: 'processing', attempts: trx.raw('attempts + 1'), updatedAt: trx.fn.now() })
        .returning('*');
      return (row as OnboardingInput | undefined) ?? null;
    });
  }

  /** Records the outcome of the attempt that holds the claim (`attempts` identifies it); a superseded attempt writes nothing. */
  async finishInput(tenantId: string, inputId: string, attempt: number, outcome: InputOutcome): Promise<boolean> {
    const patch =
      outcome.status === 'done'
        ? {
            status: 'done',
            extractedText: outcome.extractedText,
            extractedChars: outcome.extractedText.length,
            pageCount: outcome.pageCount ?? null,
            durationMs: outcome.durationMs ?? null,
            finalUrl: outcome.finalUrl ?? null,
            aiCallId: outcome.aiCallId ?? null,
            errorCode: null,
            errorMessage: null,
          }
        : { status: 'failed', errorCode: outcome.errorCode, errorMessage: outcome.errorMessage.slice(0, 2000), extractedText: null, extractedChars: null };
    return this.db.forTenant(tenantId, async (trx) => {
      const n = await trx('onboardingInputs')
        .where({ id: inputId, status: 'processing', attempts: attempt })
        .update({ ...patch, processedAt: trx.fn.now(), updatedAt: trx.fn.now() });
      return n > 0;
    });
  }

  /** Starts the DNA extraction: only from an open wizard that is not already extracting. */
  startExtraction(tenantId: string, sessionId: string, requestedBy: string, now: Date): Promise<boolean> {
    return this.db.forTenant(tenantId, async (trx) => {
      const state: ExtractionState = { state: 'running', attempts: 0, requestedBy };
      const n = await trx('onboardingSessions')
        .where({ id: sessionId, status: 'in_progress' })
        .update({
          status: 'extracting',
          currentStep: 'review',
          stepData: trx.raw(`step_data || jsonb_build_object('extraction', ?::jsonb)`, [json({ ...state, queuedAt: now.toISOString() })]),
          updatedAt: trx.fn.now(),
        });
      return n > 0;
    });
  }

  /** Claims the extraction of an `extracting` session (first claim, or one older than `staleBefore`). */
  claimExtraction(tenantId: string, sessionId: string, now: Date, staleBefore: Date): Promise<OnboardingSession | null> {
    return this.db.forTenant(tenantId, async (trx) => {
      const session = (await trx('onboardingSessions').where({ id: sessionId, status: 'extracting' }).forUpdate().first()) as OnboardingSession | undefined;
      if (!session) return null;
      const current = session.stepData.extraction ?? { state: 'running', attempts: 0 };
      if (current.claimedAt && new Date(current.claimedAt) >= staleBefore) return null;
      const next: ExtractionState = { ...current, state: 'running', attempts: current.attempts + 1, claimedAt: now.toISOString() };
      await trx('onboardingSessions')
        .where({ id: sessionId })
        .update({ stepData: trx.raw(`step_data || jsonb_build_object('extraction', ?::jsonb)`, [json(next)]), updatedAt: trx.fn.now() });
      return { ...session, stepData: { ...session.stepData, extraction: next } };
    });
  }

  /** The extraction produced a snapshot: the wizard is completed. */
  async completeExtraction(tenantId: string, sessionId: string, attempt: number, dna: { id: string; version: number }, now: Date): Promise<boolean> {
    return this.db.forTenant(tenantId, async (trx) => {
      const state: ExtractionState = { state: 'done', attempts: attempt, dnaId: dna.id, version: dna.version };
      const n = await trx('onboardingSessions')
        .where({ id: sessionId, status: 'extracting' })
        .whereRaw(`(step_data #>> '{extraction,attempts}')::int = ?`, [attempt])
        .update({
          status: 'completed',
          completedAt: now,
          stepData: trx.raw(`step_data || jsonb_build_object('extraction', ?::jsonb)`, [json(state)]),
          updatedAt: trx.fn.now(),
        });
      return n > 0;
    });
  }

  /** The extraction failed: the wizard reopens on the review step with the reason, nothing entered is lost. */
  async failExtraction(tenantId: string, sessionId: string, attempt: number, errorCode: string): Promise<boolean> {
    return this.db.forTenant(tenantId, async (trx) => {
      const state: ExtractionState = { state: 'failed', attempts: attempt, errorCode };
      const n = await trx('onboardingSessions')
        .where({ id: sessionId, status: 'extracting' })
        .whereRaw(`(step_data #>> '{extraction,attempts}')::int = ?`, [attempt])
        .update({ status: 'in_progress', stepData: trx.raw(`step_data || jsonb_build_object('extraction', ?::jsonb)`, [json(state)]), updatedAt: trx.fn.now() });
      return n > 0;
    });
  }

  /** Start over: the open wizard is abandoned (kept for the record); the next visit opens a new one. */
  async abandon(tenantId: string, sessionId: string, now: Date): Promise<void> {
    await this.db.forTenant(tenantId, (trx) =>
      trx('onboardingSessions').where({ id: sessionId, status: 'in_progress' }).update({ status: 'abandoned', abandonedAt: now, updatedAt: trx.fn.now() }),
    );
  }

  /** Platform context (fan-out sweeper): inputs still pending after `pendingBefore`, or processing with a stale claim. */
  stalledInputs(pendingBefore: Date, staleBefore: Date, limit: number): Promise<StalledWork[]> {
    return this.db.asPlatform((trx) =>
      trx('onboardingInputs')
        .where((q) => q.where('status', 'pending').where('createdAt', '<', pendingBefore))
        .orWhere((q) => q.where('status', 'processing').where('updatedAt', '<', staleBefore))
        .orderBy('createdAt')
        .limit(limit)
        .select('tenantId', 'id'),
    );
  }

  /** Platform context (fan-out sweeper): extractions not claimed since `unclaimedBefore`, or whose claim is stale. */
  stalledExtractions(unclaimedBefore: Date, staleBefore: Date, limit: number): Promise<StalledWork[]> {
    return this.db.asPlatform((trx) =>
      trx('onboardingSessions')
        .where('status', 'extracting')
        .where((q) =>
          q
            .whereRaw(`step_data #>> '{extraction,claimedAt}' IS NULL AND updated_at < ?`, [unclaimedBefore])
            .orWhereRaw(`(step_data #>> '{extraction,claimedAt}')::timestamptz < ?`, [staleBefore]),
        )
        .orderBy('updatedAt')
        .limit(limit)
        .select('tenantId', 'id'),
    );
  }
}

/** The wizard was finished, or is generating the DNA, or was abandoned meanwhile (another tab). */
export class SessionClosedError extends AppError {
  constructor() {
    super('brand.onboarding.errors.sessionClosed', 409);
    this.name = 'SessionClosedError';
  }
}
