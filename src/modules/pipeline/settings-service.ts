import { z } from 'zod';
import { ForbiddenError, ValidationError } from '../../shared/errors.js';
import { parseInput } from '../../shared/validation.js';
import type { ChannelTarget, KnexPipelineRepository, PipelineSettings } from './db/knex-pipeline-repository.js';

const E = 'pipeline.settings.errors';

export interface PipelineSettingsView {
  settings: PipelineSettings;
  /** The channels of the plan, with their quota and the client's choice. */
  targets: ChannelTarget[];
}

/** The form as posted: flat fields, the channels as `channel` (repeated), `items.<channel>` and `active.<channel>`. */
export type SettingsForm = Record<string, unknown>;

const last = (v: unknown) => (Array.isArray(v) ? v.at(-1) : v);
const checkbox = z.preprocess(last, z.unknown()).transform((v) => v === 'on' || v === 'true' || v === '1');
const integer = (min: number, max: number, message: string) =>
  z.preprocess((v) => String(last(v) ?? '').trim(), z.string().regex(/^\d{1,9}$/, message).transform(Number).pipe(z.number().min(min, message).max(max, message)));

const settingsSchema = z.object({
  enabled: checkbox,
  runDay: integer(1, 28, `${E}.runDay`),
  runHour: integer(0, 23, `${E}.runHour`),
  reminderDaysBefore: integer(0, 27, `${E}.reminderDaysBefore`),
  contentMode: z.preprocess(last, z.enum(['', 'manual', 'semi', 'auto'], { error: `${E}.contentMode` })).transform((v) => (v === '' ? null : v)),
  useNightlyBatch: checkbox,
});

const capSchema = z.preprocess(
  (v) => String(last(v) ?? '').trim(),
  z.union([z.literal('').transform(() => null), z.string().regex(/^\d{1,9}$/, `${E}.maxCredits`).transform(Number)], { error: `${E}.maxCredits` }),
);

/**
 * The client's settings of the monthly run: when it starts, how its contents are published, the credits it may
 * spend (only for members who manage billing) and how many items per channel, within the plan's quotas.
 */
export class PipelineSettingsService {
  constructor(private readonly deps: { pipelineRepository: KnexPipelineRepository }) {}

  async view(tenantId: string): Promise<PipelineSettingsView> {
    const repo = this.deps.pipelineRepository;
    const [settings, targets] = await Promise.all([repo.settings(tenantId), repo.channelTargets(tenantId)]);
    return { settings, targets };
  }

  /**
   * Validates and saves the whole form. Field errors are `ValidationError` (`items.<channel>` above its quota…);
   * changing the credit cap without `billing.manage` is forbidden (the form does not offer it).
   */
  async update(tenantId: string, form: SettingsForm, actor: { canManageBilling: boolean }): Promise<PipelineSettingsView> {
    const { settings: current, targets } = await this.view(tenantId);
    const errors: Record<string, string> = {};
    let base: Omit<PipelineSettings, 'maxCreditsPerRun'> | undefined;
    try {
      base = parseInput(settingsSchema, form);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      Object.assign(errors, err.fieldErrors);
    }

    let maxCreditsPerRun = current.maxCreditsPerRun;
    if (form.maxCreditsPerRun !== undefined) {
      const parsed = capSchema.safeParse(form.maxCreditsPerRun);
      const changed = !parsed.success || parsed.data !== current.maxCreditsPerRun;
      if (changed && !actor.canManageBilling) throw new ForbiddenError(`${E}.capNeedsBilling`);
      if (parsed.success) maxCreditsPerRun = parsed.data;
      else errors.maxCreditsPerRun = `${E}.maxCredits`;
    }

    const posted = new Set([form.channel].flat().filter((c): c is string => typeof c === 'string'));
    const channels: { channel: string; itemsPerMonth: number; active: boolean }[] = [];
    for (const target of targets.filter((t) => posted.has(t.channel))) {
      const field = `items.${target.channel}`;
      const parsed = integer(0, target.quota, `${E}.aboveQuota`).safeParse(form[field]);
      if (!parsed.success) {
        errors[field] = /^\d+$/.test(String(last(form[field]) ?? '').trim()) ? `${E}.aboveQuota` : `${E}.items`;
        continue;
      }
      channels.push({ channel: target.channel, itemsPerMonth: parsed.data, active: checkbox.parse(form[`active.${target.channel}`]) });
    }

    if (Object.keys(errors).length > 0 || !base) throw new ValidationError(errors);
    const repo = this.deps.pipelineRepository;
    await repo.saveSettings(tenantId, { ...base, maxCreditsPerRun });
    if (channels.length) await repo.saveChannelTargets(tenantId, channels);
    return this.view(tenantId);
  }
}
