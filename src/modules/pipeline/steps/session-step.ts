import type { Logger } from '../../../shared/logger.js';
import type { KnexPipelineRepository } from '../db/knex-pipeline-repository.js';
import type { KnexMonthlySessionRepository } from '../db/knex-session-repository.js';
import type { StepContext, StepHandler, StepOutcome } from '../ports.js';
import { hasAudio, WATCH_WINDOW_DAYS } from '../session-domain.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Step "session": the month's session (created if the client never opened it), linked to the run, completed with
 * what the watch flagged in the 45 days before the run started, then closed — from now on it is the record of
 * what the month was built from. A session never submitted is used as it is: the month then rests on the brand
 * DNA, the watch and last month's performance. Idempotent: the session is unique per month, watch items per
 * (session, change), closing keeps the first `closed_at`.
 */
export class SessionStep implements StepHandler {
  readonly name = 'session' as const;

  constructor(private readonly deps: { pipelineRepository: KnexPipelineRepository; monthlySessionRepository: KnexMonthlySessionRepository; logger: Logger }) {}

  async execute(context: StepContext): Promise<StepOutcome> {
    const { tenantId, run } = context;
    const sessions = this.deps.monthlySessionRepository;
    const profile = await this.deps.pipelineRepository.tenantProfile(tenantId);
    const session = await sessions.ensure(tenantId, run.month, profile.locale);
    await this.deps.pipelineRepository.updateRun(tenantId, run.id, { sessionId: session.id, ...(session.deadlineAt ? { deadlineAt: session.deadlineAt } : {}) });

    const until = run.startedAt ?? context.now();
    const added = session.status === 'closed' ? 0 : await sessions.addWatchItems(tenantId, session.id, { since: new Date(until.getTime() - WATCH_WINDOW_DAYS * DAY_MS), until }, session.locale);
    await sessions.close(tenantId, session.id, context.now());

    const items = await sessions.items(tenantId, session.id);
    const included = items.filter((i) => i.included);
    const submitted = session.submittedAt !== null;
    await context.progress({ total: 1, done: 1 });
    return {
      status: 'succeeded',
      output: {
        sessionId: session.id,
        submitted,
        // never submitted: the month is built from the DNA, the watch and the performance alone
        ...(submitted ? {} : { basis: 'dna_watch_performance' }),
        items: included.length,
        fromWatch: included.filter((i) => i.source === 'watch_change').length,
        watchAdded: added,
        hasText: session.textInput.trim() !== '',
        hasAudio: hasAudio(session),
        priorities: session.priorities.length,
      },
      outputRef: { type: 'monthly_session', id: session.id },
    };
  }
}
