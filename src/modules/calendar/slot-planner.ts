import { DateTime } from 'luxon';
import { AppError } from '../../shared/errors.js';
import type { Clock } from '../../shared/clock.js';
import type { Channel } from '../studio/channels.js';
import { DEFAULT_AUDIENCE } from './calendar-domain.js';
import type { CalendarRepository } from './calendar-ports.js';
import { localDateParts, parseIsoDate } from './calendar-view.js';
import type { SlotPlanner } from './ports.js';
import {
  CALENDAR_ERRORS,
  CHANNEL_SPACING,
  DEFAULT_HORIZON_DAYS,
  isSlotChannel,
  localToInstant,
  MAX_HORIZON_DAYS,
  MAX_SLOT_AHEAD_YEARS,
  nextSlots,
  validateSlot,
} from './slots.js';

const DAY_MS = 86_400_000;
/** Taken slots are read this far around the searched period: the widest channel spacing, and a day of margin. */
const TAKEN_MARGIN_MS = (Math.max(...Object.values(CHANNEL_SPACING).map((s) => s.minGapHours)) + 24) * 3_600_000;

export interface SuggestOptions {
  after?: Date;
  onDate?: string;
  excludeContentId?: string;
  count: number;
}

/**
 * The tenant's slot planner: its time zone, its `channel_slot_preferences` rows for the channel (any rows replace the
 * defaults), else `DEFAULT_SLOTS[channel][DEFAULT_AUDIENCE]`; spacing is kept against the tenant's other slots on the
 * channel (cancelled slots and archived contents excluded). The pure rules live in slots.ts.
 */
export class TenantSlotPlanner implements SlotPlanner {
  constructor(private readonly deps: { calendarRepository: CalendarRepository; clock: Clock }) {}

  async nextFreeSlot(tenantId: string, channel: Channel, options: { after?: Date; onDate?: string; excludeContentId?: string } = {}): Promise<Date> {
    const [slot] = await this.suggestions(tenantId, channel, { ...options, count: 1 });
    if (!slot) throw new AppError('calendar.errors.noFreeSlot', 422, { channel });
    return slot;
  }

  /**
   * The next `count` free optimal slots (chronological), each valid under `validateSlot`. The first four weeks are
   * searched, then up to a year when they hold too few.
   */
  async suggestions(tenantId: string, channel: Channel, options: SuggestOptions): Promise<Date[]> {
    if (!isSlotChannel(channel)) throw new AppError(CALENDAR_ERRORS.unknownChannel, 422, { channel: String(channel) });
    const onDate = options.onDate === undefined ? undefined : parseIsoDate(options.onDate);
    if (onDate === null) throw new AppError(CALENDAR_ERRORS.invalidSlot, 422);
    if (options.after !== undefined && !Number.isFinite(options.after.getTime())) throw new AppError(CALENDAR_ERRORS.invalidSlot, 422);
    const now = this.deps.clock.now();
    let from = Math.max(now.getTime(), options.after?.getTime() ?? 0);
    // Local midnight is within a day of UTC midnight in any zone: enough to read the taken slots before knowing the zone.
    const lowest = onDate ? Math.min(from, Date.parse(`${onDate}T00:00:00Z`) - DAY_MS) : from;
    const window = { from: new Date(lowest - TAKEN_MARGIN_MS), to: new Date(Math.max(from, lowest) + (MAX_HORIZON_DAYS + 2) * DAY_MS + TAKEN_MARGIN_MS) };
    const data = await this.deps.calendarRepository.planningData(tenantId, channel, window, options.excludeContentId);
    if (onDate) from = Math.max(from, localToInstant(localDateParts(onDate), '00:00', data.timezone).getTime() - 1);

    const limit = DateTime.fromJSDate(now, { zone: data.timezone }).plus({ years: MAX_SLOT_AHEAD_YEARS }).toMillis();
    if (from >= limit) return [];
    let found: Date[] = [];
    for (const horizonDays of [DEFAULT_HORIZON_DAYS, MAX_HORIZON_DAYS]) {
      found = nextSlots({
        channel,
        audience: DEFAULT_AUDIENCE,
        timezone: data.timezone,
        from: new Date(from),
        count: options.count,
        preferences: data.preferences,
        taken: data.taken,
        horizonDays,
      }).filter((at) => validateSlot(at, { now, timezone: data.timezone, channel }) === null);
      if (found.length >= options.count) break;
    }
    return found;
  }

  async assertSlot(tenantId: string, channel: Channel, instant: Date): Promise<void> {
    if (!isSlotChannel(channel)) throw new AppError(CALENDAR_ERRORS.unknownChannel, 422, { channel: String(channel) });
    const { timezone } = await this.deps.calendarRepository.settings(tenantId);
    const error = validateSlot(instant, { now: this.deps.clock.now(), timezone, channel });
    if (error) throw new AppError(error.code, 422, error.params);
  }
}
