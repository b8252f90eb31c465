import { AppError } from '../../../shared/errors.js';
import type { SystemPromptSource } from '../../ai/ports.js';
import type { DnaService } from '../../brand/dna-service.js';
import type { KnexPipelineRepository } from '../db/knex-pipeline-repository.js';
import type { KnexMonthlySessionRepository } from '../db/knex-session-repository.js';
import type { GenerationContext } from '../domain.js';
import type { StepContext, StepHandler, StepOutcome } from '../ports.js';
import { rankPriorities } from '../session-domain.js';

const HIGHLIGHT_KINDS = new Set(['news', 'offer', 'event']);

/**
 * Step "dna_merge" (no AI call): the current brand DNA snapshot, the month brief, the session's priorities and
 * included items, and the prompt cascade reference of every channel the month will use, recorded on the run as its
 * generation context — what every generation of the month is built from, so the month can be reproduced. Once
 * recorded it is kept: running the step again returns the same context.
 */
export class DnaMergeStep implements StepHandler {
  readonly name = 'dna_merge' as const;

  constructor(
    private readonly deps: {
      pipelineRepository: KnexPipelineRepository;
      monthlySessionRepository: KnexMonthlySessionRepository;
      dnaService: DnaService;
      systemPromptSource: SystemPromptSource;
    },
  ) {}

  async execute(context: StepContext): Promise<StepOutcome> {
    const { tenantId } = context;
    const repo = this.deps.pipelineRepository;
    const run = (await repo.findRun(tenantId, context.run.id)) ?? context.run;
    if (run.generationContext && run.dnaSnapshotId) return this.outcome(run.generationContext);

    const dna = await this.deps.dnaService.current(tenantId);
    if (!dna) throw new AppError('pipeline.errors.noDna', 422);
    const sessions = this.deps.monthlySessionRepository;
    const brief = await sessions.brief(tenantId, run.id);
    if (!brief) throw new Error(`pipeline: run ${run.id} has no brief (step ingestion not done?)`);
    const session = run.sessionId ? await sessions.get(tenantId, run.sessionId) : await sessions.find(tenantId, run.month);
    const items = session ? (await sessions.items(tenantId, session.id)).filter((i) => i.included) : [];

    const ranked = rankPriorities(session?.priorities ?? []);
    const fromItems = items.filter((i) => i.kind === 'priority' && !ranked.some((p) => p.label === i.title)).map((i) => ({ label: i.title, weight: 1 }));
    const channels = (await repo.channelTargets(tenantId)).filter((t) => t.items > 0).map((t) => t.channel);
    const promptRefs: Record<string, string> = {};
    for (const channel of channels) {
      promptRefs[channel] = (await this.deps.systemPromptSource.stablePrompt(tenantId, run.locale, { task: 'generation', channel })).snapshotRef;
    }
    const generationContext: GenerationContext = {
      v: 1,
      month: run.month,
      locale: run.locale,
      dna: { snapshotId: dna.id, version: dna.version },
      brief: { id: brief.id, body: brief.body },
      priorities: [...ranked, ...fromItems],
      highlights: items
        .filter((i) => HIGHLIGHT_KINDS.has(i.kind))
        .map((i) => ({ kind: i.kind, title: i.title, detail: i.detail, startsOn: i.startsOn, endsOn: i.endsOn })),
      promptRefs,
      mergedAt: context.now().toISOString(),
    };
    await repo.updateRun(tenantId, run.id, { generationContext, dnaSnapshotId: dna.id });
    await context.progress({ total: 1, done: 1 });
    return this.outcome(generationContext);
  }

  private outcome(generationContext: GenerationContext): StepOutcome {
    return {
      status: 'succeeded',
      output: {
        dnaSnapshotId: generationContext.dna.snapshotId,
        dnaVersion: generationContext.dna.version,
        briefId: generationContext.brief.id,
        priorities: generationContext.priorities.length,
        highlights: generationContext.highlights.length,
        channels: Object.keys(generationContext.promptRefs).sort(),
      },
    };
  }
}
