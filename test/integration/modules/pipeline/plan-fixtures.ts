import type { Cradle } from '../../../../src/container.js';
import { STEPS, type StepName } from '../../../../src/modules/pipeline/domain.js';

export interface PlannedItem {
  channel: string;
  theme: string;
  /** Slot of the item (also its planned date, in UTC). */
  slotAt: Date;
}

/** The steps before `step` marked done, as if they had run. */
export async function markStepsDone(cradle: Cradle, tenantId: string, runId: string, before: StepName): Promise<void> {
  const names = STEPS.slice(0, STEPS.indexOf(before));
  await cradle.database.forTenant(tenantId, (trx) =>
    trx('pipelineSteps').where({ tenantId, runId }).whereIn('name', names).update({ status: 'succeeded', attempts: 1, finishedAt: new Date() }),
  );
}

/** A confirmed plan for the run's month with these items, linked to the run (what step 4 produces). */
export async function insertPlan(cradle: Cradle, tenantId: string, runId: string, items: PlannedItem[]): Promise<string> {
  return cradle.database.forTenant(tenantId, async (trx) => {
    const run = await trx('pipelineRuns').where({ tenantId, id: runId }).first('month');
    const [plan] = await trx('editorialPlans').insert({ tenantId, month: run.month, status: 'confirmed', pipelineRunId: runId }).returning('id');
    await trx('editorialPlanItems').insert(
      items.map((item, position) => ({
        tenantId,
        planId: plan.id,
        channel: item.channel,
        theme: item.theme,
        angle: 'conseil pratique',
        plannedDate: item.slotAt.toISOString().slice(0, 10),
        plannedSlotAt: item.slotAt,
        position,
      })),
    );
    await trx('pipelineRuns').where({ tenantId, id: runId }).update({ editorialPlanId: plan.id, itemsPlanned: items.length });
    return plan.id as string;
  });
}

/** `count` items on `channel`, one a day from `from`, at 10:00 UTC. */
export function dailyItems(channel: string, count: number, from: Date): PlannedItem[] {
  return Array.from({ length: count }, (_, i) => ({
    channel,
    theme: `Thème ${i + 1} : le pain au levain`,
    slotAt: new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + i, 10)),
  }));
}

export function contentsOfPlan(cradle: Cradle, tenantId: string, planId: string) {
  return cradle.database.forTenant(tenantId, (trx) =>
    trx('editorialPlanItems as p')
      .join('contents as c', 'c.id', 'p.contentId')
      .where({ 'p.tenantId': tenantId, 'p.planId': planId })
      .orderBy('p.position')
      .select('c.id', 'c.status', 'c.mode', 'c.currentVersionId', 'p.status as planStatus'),
  );
}

export function versionsOf(cradle: Cradle, tenantId: string, contentIds: string[]) {
  return cradle.database.forTenant(tenantId, (trx) => trx('contentVersions').where({ tenantId }).whereIn('contentId', contentIds).select('contentId', 'source'));
}
