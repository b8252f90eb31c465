import { DateTime } from 'luxon';
import { isFrenchPublicHoliday, type HolidayCalendar } from '../calendar/slots.js';
import { utmSlug } from '../studio/campaign-service.js';
import { isChannel, type Channel } from '../studio/channels.js';

/**
 * Step 4's answer made safe: whatever the model said (one item, 500 items, dates in another year, campaigns or
 * evergreen ids it made up), the plan that comes out has exactly the month's count per channel, dates inside the
 * planning window, spread over it, SMS never on a Sunday or a public holiday, and only ids of this tenant.
 * Pure code: no I/O, dates are local calendar dates `YYYY-MM-DD` in the tenant's zone.
 */

const DAY_MS = 86_400_000;
const THEME_MAX = 300;
const ANGLE_MAX = 2_000;
const KEYWORD_MAX = 200;
const SUMMARY_MAX = 2_000;

/** An item as the model may send it (already shaped by the answer schema, not yet trusted). */
export interface RawPlanItem {
  channel: Channel;
  planned_date: string;
  theme: string;
  angle?: string;
  target_keyword?: string | null;
  campaign_utm?: string | null;
  evergreen_source_content_id?: string | null;
}

export interface RawPlan {
  summary: string;
  items: (RawPlanItem | null)[];
}

export interface PlanTarget {
  channel: Channel;
  items: number;
}

export interface PlanCampaign {
  id: string;
  name: string;
  utmCampaign: string;
}

export interface PlanEvergreen {
  contentId: string;
  channel: Channel;
  title: string;
}

export interface PlanFrame {
  /** First and last day that may be planned (see `planWindow`). */
  firstDay: string;
  lastDay: string;
  /** Channels with at least one item this month. */
  targets: PlanTarget[];
  /** The tenant's campaigns of the month: the only ones an item may link to. */
  campaigns: PlanCampaign[];
  /** The tenant's proposed evergreen candidates: the only contents an item may recycle. */
  evergreen: PlanEvergreen[];
  /** Themes for the items the answer lacks, in order of importance (priorities, highlights, DNA). */
  fillThemes: string[];
  /** The DNA's keywords: articles without a target keyword get one. */
  keywords: string[];
  labels: {
    /** Theme when there is nothing else to say. */
    generic: string;
    /** Put before the theme of an item recycling an evergreen content. */
    refreshPrefix: string;
  };
  /** Per channel, the days that still have a free optimal slot: preferred when there are enough of them. */
  slotDays?: Partial<Record<Channel, readonly string[]>>;
  holidays?: HolidayCalendar;
}

export interface PlannedItem {
  position: number;
  channel: Channel;
  theme: string;
  angle: string;
  targetKeyword: string | null;
  campaignId: string | null;
  evergreenSourceContentId: string | null;
  plannedDate: string;
  /** True when the answer did not provide the item and it was filled in. */
  filled: boolean;
}

export interface NormalisedPlan {
  summary: string;
  items: PlannedItem[];
  perChannel: Partial<Record<Channel, number>>;
  /** Items added because the answer lacked them. */
  filled: number;
  /** Items of the answer left out (unknown channel, beyond the count, unreadable). */
  dropped: number;
  /** Channels whose items could not be placed at all (e.g. SMS in a window of Sundays and holidays). */
  unplaceable: Channel[];
}

// ---- dates ----

function dayNumber(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS;
}

function isoOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** A real calendar date `YYYY-MM-DD`, or null. */
export function validIsoDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return null;
  const ms = Date.parse(`${trimmed}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(trimmed) ? trimmed : null;
}

/**
 * The days a run may plan for `month` (`YYYY-MM-01`) when it is `today` in the tenant's zone: the month, from
 * tomorrow at the earliest (a run started mid-month plans the rest of it). Null when no day is left.
 */
export function planWindow(month: string, today: string): { firstDay: string; lastDay: string } | null {
  const start = dayNumber(month);
  const lastDay = DateTime.fromISO(month, { zone: 'utc' }).endOf('month').toISODate()!;
  const firstDay = isoOf(Math.max(start, dayNumber(today) + 1));
  return firstDay <= lastDay ? { firstDay, lastDay } : null;
}

function daysBetween(firstDay: string, lastDay: string): string[] {
  const out: string[] = [];
  for (let d = dayNumber(firstDay); d <= dayNumber(lastDay); d++) out.push(isoOf(d));
  return out;
}

function isSunday(isoDate: string): boolean {
  return new Date(`${isoDate}T00:00:00Z`).getUTCDay() === 0;
}

/** The days a channel may use: the window, without Sundays and public holidays for SMS. */
export function channelDays(channel: Channel, firstDay: string, lastDay: string, holidays: HolidayCalendar = isFrenchPublicHoliday): string[] {
  const days = daysBetween(firstDay, lastDay);
  return channel === 'sms' ? days.filter((d) => !isSunday(d) && !holidays(d)) : days;
}

/**
 * Dates for `requested.length` items of one channel over `days` (sorted): evenly spread, at most
 * ceil(n / days) per day. A requested date is kept when it is one of `days`, its day is not full and — so a
 * model cannot bunch a channel's few items into one week — it is at least half the even spacing away from the
 * dates already kept. The other items take the points of an even grid over the days that no kept date claimed.
 */
export function spreadDates(requested: readonly (string | null)[], days: readonly string[]): (string | null)[] {
  const n = requested.length;
  if (n === 0) return [];
  if (days.length === 0) return requested.map(() => null);
  const cap = Math.ceil(n / days.length);
  const allowed = new Set(days);
  const load = new Map<string, number>();
  const span = dayNumber(days[days.length - 1]) - dayNumber(days[0]) + 1;
  const minGap = cap > 1 ? 0 : Math.max(1, Math.floor(span / n / 2));
  const grid = Array.from({ length: n }, (_, i) => days[Math.min(days.length - 1, Math.floor(((i + 0.5) * days.length) / n))]);
  const claimed = new Set<number>();
  const out: (string | null)[] = requested.map(() => null);
  const kept: number[] = [];

  requested.forEach((date, i) => {
    if (!date || !allowed.has(date) || (load.get(date) ?? 0) >= cap) return;
    const day = dayNumber(date);
    if (kept.some((k) => k !== day && Math.abs(k - day) < minGap)) return;
    out[i] = date;
    kept.push(day);
    load.set(date, (load.get(date) ?? 0) + 1);
    // the kept date stands for the nearest grid point
    let best = -1;
    grid.forEach((g, gi) => {
      if (claimed.has(gi)) return;
      if (best < 0 || Math.abs(dayNumber(g) - day) < Math.abs(dayNumber(grid[best]) - day)) best = gi;
    });
    if (best >= 0) claimed.add(best);
  });

  const free = grid.filter((_, gi) => !claimed.has(gi));
  out.forEach((date, i) => {
    if (date) return;
    const wanted = free.shift() ?? days[0];
    const chosen = nearestWithRoom(wanted, days, load, cap);
    out[i] = chosen;
    load.set(chosen, (load.get(chosen) ?? 0) + 1);
  });
  return out;
}

/** `wanted`, or the nearest day (earlier first on a tie) whose load is under `cap`. One always exists: n ≤ cap × days. */
function nearestWithRoom(wanted: string, days: readonly string[], load: Map<string, number>, cap: number): string {
  const index = days.indexOf(wanted);
  for (let offset = 0; offset < days.length; offset++) {
    for (const j of [index - offset, index + offset]) {
      if (j >= 0 && j < days.length && (load.get(days[j]) ?? 0) < cap) return days[j];
    }
  }
  return wanted;
}

// ---- text ----

/** One line of model or client text: no control characters, single spaces, bounded. */
export function cleanText(value: unknown, max: number): string {
  if (typeof value !== 'string') return '';
  return value
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max)
    .trim();
}

function refreshTheme(theme: string, prefix: string): string {
  const p = prefix.trim();
  const body = theme.toLowerCase().startsWith(p.toLowerCase()) ? theme.slice(p.length).trim() : theme;
  return `${p} ${body}`.slice(0, THEME_MAX).trim();
}

// ---- the plan ----

interface Draft {
  channel: Channel;
  theme: string;
  angle: string;
  targetKeyword: string | null;
  campaignId: string | null;
  evergreenSourceContentId: string | null;
  requestedDate: string | null;
  filled: boolean;
  order: number;
}

/** The plan to persist, built from the model's answer and the month's frame (see the module comment). */
export function normalisePlan(answer: RawPlan | null | undefined, frame: PlanFrame): NormalisedPlan {
  const rawItems = Array.isArray(answer?.items) ? answer.items : [];
  const targets = frame.targets.filter((t) => isChannel(t.channel) && Number.isInteger(t.items) && t.items > 0);
  const wanted = new Map(targets.map((t) => [t.channel, t.items]));
  const campaignByUtm = new Map(frame.campaigns.map((c) => [c.utmCampaign.toLowerCase(), c.id]));
  const evergreenById = new Map(frame.evergreen.map((e) => [e.contentId.toLowerCase(), e]));
  const usedEvergreen = new Set<string>();
  const perChannel = new Map<Channel, Draft[]>(targets.map((t) => [t.channel, []]));
  let dropped = 0;
  let order = 0;

  const campaignOf = (value: unknown): string | null => {
    const utm = cleanText(value, 200).toLowerCase();
    if (!utm) return null;
    return campaignByUtm.get(utm) ?? campaignByUtm.get(utmSlug(utm)) ?? null;
  };

  for (const raw of rawItems) {
    const channel = raw && typeof raw === 'object' ? raw.channel : undefined;
    const list = isChannel(channel) ? perChannel.get(channel) : undefined;
    if (!raw || !list || list.length >= (wanted.get(channel as Channel) ?? 0)) {
      dropped++;
      continue;
    }
    let theme = cleanText(raw.theme, THEME_MAX);
    let evergreenSourceContentId: string | null = null;
    const candidate = typeof raw.evergreen_source_content_id === 'string' ? evergreenById.get(raw.evergreen_source_content_id.trim().toLowerCase()) : undefined;
    if (candidate && !usedEvergreen.has(candidate.contentId)) {
      usedEvergreen.add(candidate.contentId);
      evergreenSourceContentId = candidate.contentId;
      theme = refreshTheme(theme || cleanText(candidate.title, THEME_MAX) || frame.labels.generic, frame.labels.refreshPrefix);
    }
    list.push({
      channel: channel as Channel,
      theme,
      angle: cleanText(raw.angle, ANGLE_MAX),
      targetKeyword: cleanText(raw.target_keyword, KEYWORD_MAX) || null,
      campaignId: campaignOf(raw.campaign_utm),
      evergreenSourceContentId,
      requestedDate: validIsoDate(raw.planned_date),
      filled: false,
      order: order++,
    });
  }

  // What the answer lacks: first the channel's unused evergreen contents, then the month's themes, round-robin.
  const themes = frame.fillThemes.map((t) => cleanText(t, THEME_MAX)).filter(Boolean);
  let nextTheme = 0;
  let filled = 0;
  let nextKeyword = 0;
  const keywords = frame.keywords.map((k) => cleanText(k, KEYWORD_MAX)).filter(Boolean);
  for (const target of targets) {
    const list = perChannel.get(target.channel)!;
    while (list.length < target.items) {
      const recycled = frame.evergreen.find((e) => e.channel === target.channel && !usedEvergreen.has(e.contentId));
      let theme: string;
      if (recycled) {
        usedEvergreen.add(recycled.contentId);
        theme = refreshTheme(cleanText(recycled.title, THEME_MAX) || frame.labels.generic, frame.labels.refreshPrefix);
      } else {
        theme = themes.length ? themes[nextTheme++ % themes.length] : frame.labels.generic;
      }
      list.push({
        channel: target.channel,
        theme,
        angle: '',
        targetKeyword: null,
        campaignId: null,
        evergreenSourceContentId: recycled?.contentId ?? null,
        requestedDate: null,
        filled: true,
        order: order++,
      });
      filled++;
    }
    for (const item of list) {
      if (!item.theme) item.theme = themes.length ? themes[nextTheme++ % themes.length] : frame.labels.generic;
      if (target.channel === 'blog' && !item.targetKeyword && keywords.length) item.targetKeyword = keywords[nextKeyword++ % keywords.length];
    }
  }

  const placed: (Draft & { plannedDate: string })[] = [];
  const unplaceable: Channel[] = [];
  for (const target of targets) {
    const list = perChannel.get(target.channel)!;
    let days = channelDays(target.channel, frame.firstDay, frame.lastDay, frame.holidays);
    const withSlots = frame.slotDays?.[target.channel];
    if (withSlots) {
      const slotSet = new Set(withSlots);
      const preferred = days.filter((d) => slotSet.has(d));
      if (preferred.length >= list.length) days = preferred;
    }
    if (!days.length) {
      unplaceable.push(target.channel);
      continue;
    }
    const dates = spreadDates(
      list.map((i) => i.requestedDate),
      days,
    );
    list.forEach((item, i) => placed.push({ ...item, plannedDate: dates[i]! }));
  }

  const channelRank = new Map(targets.map((t, i) => [t.channel, i]));
  placed.sort((a, b) => a.plannedDate.localeCompare(b.plannedDate) || channelRank.get(a.channel)! - channelRank.get(b.channel)! || a.order - b.order);
  const items: PlannedItem[] = placed.map((d, i) => ({
    position: i + 1,
    channel: d.channel,
    theme: d.theme,
    angle: d.angle,
    targetKeyword: d.targetKeyword,
    campaignId: d.campaignId,
    evergreenSourceContentId: d.evergreenSourceContentId,
    plannedDate: d.plannedDate,
    filled: d.filled,
  }));
  const counts: Partial<Record<Channel, number>> = {};
  for (const item of items) counts[item.channel] = (counts[item.channel] ?? 0) + 1;
  return { summary: cleanText(answer?.summary, SUMMARY_MAX), items, perChannel: counts, filled, dropped, unplaceable };
}

// ---- slots ----

/**
 * A slot per item among the channel's free optimal slots (`slotsByChannel`, from the slot planner), never the same
 * slot twice: the slot on the item's day if one is left, else the next one after it, else the nearest one before
 * it. Null when the channel has no slot left in the window.
 */
export function assignSlots<T extends { channel: Channel; plannedDate: string }>(
  items: readonly T[],
  slotsByChannel: Partial<Record<Channel, readonly Date[]>>,
  timezone: string,
): (T & { plannedSlotAt: Date | null })[] {
  const free = new Map<Channel, { at: Date; day: string }[]>();
  for (const [channel, slots] of Object.entries(slotsByChannel) as [Channel, readonly Date[]][]) {
    const unique = [...new Map(slots.filter((s) => Number.isFinite(s.getTime())).map((s) => [s.getTime(), s])).values()].sort((a, b) => a.getTime() - b.getTime());
    free.set(channel, unique.map((at) => ({ at, day: DateTime.fromJSDate(at, { zone: timezone }).toISODate()! })));
  }
  const order = items.map((item, i) => ({ item, i })).sort((a, b) => a.item.plannedDate.localeCompare(b.item.plannedDate) || a.i - b.i);
  const out: (T & { plannedSlotAt: Date | null })[] = items.map((item) => ({ ...item, plannedSlotAt: null }));
  for (const { item, i } of order) {
    const slots = free.get(item.channel);
    if (!slots?.length) continue;
    let index = slots.findIndex((s) => s.day >= item.plannedDate);
    if (index < 0) index = slots.length - 1;
    out[i].plannedSlotAt = slots[index].at;
    slots.splice(index, 1);
  }
  return out;
}
