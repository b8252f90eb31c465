import type { i18n } from 'i18next';
import { DateTime } from 'luxon';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { AiGateway } from '../../ai/gateway.js';
import { brandDnaBlock, type DnaService } from '../../brand/dna-service.js';
import type { DnaSnapshot } from '../../brand/domain.js';
import type { TenantSlotPlanner } from '../../calendar/slot-planner.js';
import { isChannel, type Channel } from '../../studio/channels.js';
import type { KnexContentRepository } from '../../studio/db/knex-content-repository.js';
import type { KnexPipelineRepository } from '../db/knex-pipeline-repository.js';
import type { KnexPlanRepository, StoredPlan, WantedCampaign } from '../db/knex-plan-repository.js';
import type { GenerationContext } from '../domain.js';
import { assignSlots, cleanText, normalisePlan, planWindow, validIsoDate, type PlanTarget } from '../plan-normaliser.js';
import { FALLBACK_PLAN_TEMPLATES, planAnswerSchema, planPrompt } from '../plan-prompt.js';
import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

const E = 'planning.errors';
/** Free slots asked of the slot planner per channel: more than a month can hold, so the whole month is searched. */
const SLOT_SEARCH = 100;

/**
 * Step "planning": the month's editorial plan. One planning call built from the run's generation context, the
 * month's campaigns (its offers and events become campaigns), the proposed evergreen contents and the DNA; the
 * answer is normalised (plan-normaliser.ts), every item gets a free optimal slot, and the plan is saved with its
 * items in one transaction. A plan already linked to the run is returned as it is: no second call.
 */
export class PlanningStep implements StepHandler {
  readonly name = 'planning' as const;

  constructor(
    private readonly deps: {
      pipelineRepository: KnexPipelineRepository;
      planRepository: KnexPlanRepository;
      aiGateway: AiGateway;
      dnaService: DnaService;
      contentRepository: KnexContentRepository;
      slotPlanner: TenantSlotPlanner;
      i18n: i18n;
      logger: Logger;
    },
  ) {}

  async execute(context: StepContext): Promise<StepOutcome> {
    const { tenantId, run } = context;
    const existing = await this.deps.planRepository.planOfRun(tenantId, run.id);
    if (existing) return this.finish(context, existing, {});

    const generation = run.generationContext;
    if (!generation) throw new AppError(`${E}.noContext`, 409);
    const locale = run.locale === 'en' ? 'en' : 'fr';
    const { timezone } = await this.deps.pipelineRepository.tenantProfile(tenantId);
    const today = DateTime.fromJSDate(context.now(), { zone: timezone }).toISODate()!;
    const window = planWindow(run.month, today);
    if (!window) throw new AppError(`${E}.monthOver`, 422, { month: run.month.slice(0, 7) });

    const targets: PlanTarget[] = (await this.deps.pipelineRepository.channelTargets(tenantId))
      .filter((t) => t.items > 0 && isChannel(t.channel))
      .map((t) => ({ channel: t.channel as Channel, items: t.items }));
    const t = (key: string, options: Record<string, unknown> = {}) => this.deps.i18n.t(key, { lng: locale, ...options });
    const brand = await this.brand(tenantId, generation);
    const dnaSnapshotId = run.dnaSnapshotId ?? generation.dna.snapshotId ?? brand.snapshot?.id ?? null;

    if (!targets.length) {
      const saved = await this.deps.planRepository.savePlan(tenantId, {
        runId: run.id,
        month: run.month,
        dnaSnapshotId,
        aiCallId: null,
        summary: t('planning.summary.noChannels'),
        locale,
        items: [],
      });
      return this.finish(context, saved.plan, { empty: true });
    }

    const { campaigns, created: campaignsCreated } = await this.deps.planRepository.ensureCampaigns(tenantId, {
      wanted: wantedCampaigns(generation, run.month, window),
      month: { firstDay: run.month, lastDay: window.lastDay },
      locale,
    });
    const evergreen = (await this.deps.planRepository.evergreenCandidates(tenantId)).filter((e) => isChannel(e.channel));
    const slots = await this.freeSlots(tenantId, targets, window, timezone);
    const dna = brand.snapshot?.content;
    const keywords = dna?.seo?.keywords ?? [];

    const template = (await this.deps.contentRepository.promptTemplate(tenantId, 'pipeline.plan_month', locale)) ?? FALLBACK_PLAN_TEMPLATES[locale];
    const { prompt, instructions } = planPrompt(template, { locale, month: run.month, ...window, targets, campaigns, evergreen, context: generation, keywords });
    const total = targets.reduce((n, target) => n + target.items, 0);
    await context.progress({ total });
    const result = await this.deps.aiGateway.generate({
      tenantId,
      task: 'planning',
      prompt,
      instructions,
      tenantContext: brand.text,
      schema: planAnswerSchema,
      maxTokens: Math.min(8_000, 600 + 90 * total),
      subject: { type: 'pipeline_run', id: run.id },
      dnaSnapshotId: dnaSnapshotId ?? undefined,
    });
    // Counted as soon as it is spent: a crash before the plan is saved means a second call, counted too.
    const aiCostMicros = await this.deps.planRepository.callCostMicros(tenantId, result.callId);
    await context.progress({ costCredits: result.credits, aiCostMicros });
    await this.deps.pipelineRepository.addRunTotals(tenantId, run.id, { spentCredits: result.credits, aiCostMicros });

    const plan = normalisePlan(result.data, {
      ...window,
      targets,
      campaigns,
      evergreen,
      fillThemes: fillThemes(generation, dna),
      keywords,
      labels: { generic: t('planning.fill.generic'), refreshPrefix: t('planning.fill.refreshPrefix') },
      slotDays: Object.fromEntries(Object.entries(slots).map(([channel, list]) => [channel, list.map((at) => localDay(at, timezone))])),
    });
    const items = assignSlots(plan.items, slots, timezone);
    const summary =
      plan.summary ||
      t('planning.summary.default', { count: items.length, channels: Object.keys(plan.perChannel).length, from: window.firstDay, to: window.lastDay });
    const saved = await this.deps.planRepository.savePlan(tenantId, {
      runId: run.id,
      month: run.month,
      dnaSnapshotId,
      aiCallId: result.callId,
      summary,
      locale,
      items,
    });
    if (plan.dropped || plan.filled || plan.unplaceable.length) {
      this.deps.logger.info({ tenantId, runId: run.id, dropped: plan.dropped, filled: plan.filled, unplaceable: plan.unplaceable }, 'pipeline: plan answer normalised');
    }
    return this.finish(context, saved.plan, {
      campaignsCreated,
      filled: plan.filled,
      dropped: plan.dropped,
      unplaceable: plan.unplaceable,
      window,
      offline: result.model.offline,
    });
  }

  /** Links the plan to the run and reports it (also when the plan was found already made, after a crash). */
  private async finish(context: StepContext, plan: StoredPlan, extra: Record<string, unknown>): Promise<StepOutcome> {
    await this.deps.pipelineRepository.updateRun(context.tenantId, context.run.id, { editorialPlanId: plan.id, itemsPlanned: plan.items });
    await context.progress({ total: plan.items, done: Math.max(0, plan.items - context.step.itemsDone) });
    return {
      status: 'succeeded',
      output: { planId: plan.id, items: plan.items, perChannel: plan.perChannel, summary: plan.summary, evergreen: plan.evergreen, ...extra },
      outputRef: { type: 'editorial_plan', id: plan.id },
    };
  }

  /** The DNA snapshot the month was merged with (step 3), else the current one, and its `<brand_dna>` block. */
  private async brand(tenantId: string, generation: GenerationContext): Promise<{ snapshot: DnaSnapshot | null; text: string }> {
    const version = generation.dna.version;
    const recorded = version ? await this.deps.dnaService.get(tenantId, version).catch(() => null) : null;
    const snapshot = recorded ?? (await this.deps.dnaService.current(tenantId));
    return { snapshot, text: snapshot ? brandDnaBlock(snapshot.content) : '' };
  }

  /** Each channel's free optimal slots inside the window (the slot planner knows the calendar's taken slots). */
  private async freeSlots(
    tenantId: string,
    targets: PlanTarget[],
    window: { firstDay: string; lastDay: string },
    timezone: string,
  ): Promise<Partial<Record<Channel, Date[]>>> {
    const out: Partial<Record<Channel, Date[]>> = {};
    for (const target of targets) {
      const found = await this.deps.slotPlanner.suggestions(tenantId, target.channel, { onDate: window.firstDay, count: SLOT_SEARCH });
      out[target.channel] = found.filter((at) => {
        const day = localDay(at, timezone);
        return day >= window.firstDay && day <= window.lastDay;
      });
    }
    return out;
  }
}

function localDay(at: Date, timezone: string): string {
  return DateTime.fromJSDate(at, { zone: timezone }).toISODate()!;
}

/** Themes for items the answer lacks: the client's priorities, the month's highlights, then the DNA's values and offers. */
function fillThemes(generation: GenerationContext, dna: DnaSnapshot['content'] | undefined): string[] {
  const themes = [
    ...[...generation.priorities].sort((a, b) => b.weight - a.weight).map((p) => p.label),
    ...generation.highlights.map((h) => h.title),
    ...(dna?.values ?? []),
    ...(dna?.offers ?? []).map((o) => o.name),
  ];
  const unique = new Map<string, string>();
  for (const theme of themes.map((t) => cleanText(t, 300))) if (theme && !unique.has(theme.toLowerCase())) unique.set(theme.toLowerCase(), theme);
  return [...unique.values()];
}

/**
 * The month's offers and events as campaigns: an offer runs over its dates (the month by default), an event's
 * campaign leads up to it (from the month's start to its end).
 */
function wantedCampaigns(generation: GenerationContext, month: string, window: { firstDay: string; lastDay: string }): WantedCampaign[] {
  return generation.highlights
    .filter((h) => h.kind === 'offer' || h.kind === 'event')
    .map((h) => {
      const name = cleanText(h.title, 200);
      const startsOn = validIsoDate(h.startsOn);
      const endsOn = validIsoDate(h.endsOn);
      const from = h.kind === 'offer' ? (startsOn ?? month) : month;
      const to = endsOn ?? (h.kind === 'event' ? startsOn : null) ?? window.lastDay;
      return {
        name,
        objective: cleanText(h.detail, 2_000),
        startsOn: from <= to ? from : to,
        endsOn: from <= to ? to : from,
        fallbackSlug: `${h.kind === 'offer' ? 'offre' : 'evenement'}-${month.slice(0, 7)}`,
      };
    })
    .filter((c) => c.name !== '');
}
