import type { ContentService } from '../../studio/content-service.js';
import type { KnexPipelineRepository } from '../db/knex-pipeline-repository.js';
import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/**
 * Step 6: the month's written items leave the pipeline's hold and take the run's content mode — semi: they enter the
 * approval queue; auto: approved and scheduled when brand safety is `ok`, otherwise queued for a human; manual: they
 * stay drafts for the client to write or adapt. An item the client already took over (edited, approved, archived) is
 * left alone. Publishing itself is the publishing engine's (exactly once, at the slot).
 */
export class PublicationStep implements StepHandler {
  readonly name = 'publication' as const;

  constructor(private readonly deps: { pipelineRepository: KnexPipelineRepository; contentService: ContentService }) {}

  async execute(context: StepContext): Promise<StepOutcome> {
    const { run, step, tenantId } = context;
    const repo = this.deps.pipelineRepository;
    const planItems = run.editorialPlanId ? await repo.planItems(tenantId, run.editorialPlanId) : [];
    const generated = new Map(planItems.filter((p) => p.contentId && p.status === 'generated').map((p) => [p.id, p]));
    const items = await repo.ensureStepItems(
      tenantId,
      run.id,
      step.id,
      [...generated.keys()].map((id) => ({ planItemId: id, idempotencyKey: `pipeline:${run.id}:publication:${id}` })),
    );
    await context.progress({ total: items.length });

    for (const item of items) {
      if (item.status === 'succeeded' || item.status === 'skipped') continue;
      if (await context.shouldStop()) return { status: 'stopped' };
      const planItem = generated.get(item.planItemId ?? '');
      let outcome: 'succeeded' | 'skipped' = 'skipped';
      if (planItem?.contentStatus === 'draft' && planItem.contentVersionId) {
        const contentId = planItem.contentId!;
        // the mode changes with the submission, in the same write
        if (run.contentMode !== 'manual') await this.deps.contentService.submitForApproval(tenantId, contentId, { mode: run.contentMode });
        else if (planItem.contentMode !== run.contentMode) await this.deps.contentService.setMode(tenantId, contentId, run.contentMode);
        outcome = 'succeeded';
      }
      const { owned } = await repo.finishItem(tenantId, {
        runId: run.id,
        stepId: step.id,
        workerId: step.workerId ?? '',
        stepItemId: item.id,
        status: outcome,
        contentId: planItem?.contentId ?? undefined,
        now: context.now(),
      });
      if (!owned) return { status: 'stopped' };
    }

    // Counted from the contents as they are now, so a resumed step reports the whole month.
    const counts = { scheduled: 0, queuedForApproval: 0, drafts: 0, leftToClient: 0 };
    const now = run.editorialPlanId ? await repo.planItems(tenantId, run.editorialPlanId) : [];
    for (const p of now) {
      if (!generated.has(p.id)) continue;
      if (p.contentStatus === 'scheduled' || p.contentStatus === 'approved') counts.scheduled++;
      else if (p.contentStatus === 'pending_approval') counts.queuedForApproval++;
      else if (p.contentStatus === 'draft') counts.drafts++;
      else counts.leftToClient++;
    }
    return { status: 'succeeded', output: { mode: run.contentMode, items: generated.size, ...counts } };
  }
}
