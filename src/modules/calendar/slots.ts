import { DateTime, IANAZone } from 'luxon';
import { AppError } from '../../shared/errors.js';

/**
 * Optimal posting slots: the pure rules (no I/O) behind the editorial calendar.
 *
 * A slot preference is a weekday + a wall-clock time in the tenant's IANA time zone + a weight, exactly like a
 * `channel_slot_preferences` row. Instants are computed from the wall clock each day, so "Tuesday 08:30
 * Europe/Paris" stays 08:30 local on both sides of a daylight-saving change:
 * - a local time that does not exist (spring-forward gap) moves forward to the first valid minute after the gap
 *   (02:30 on 2026-03-29 in Paris → 03:00 CEST);
 * - a local time that happens twice (fall-back overlap) takes its first occurrence
 *   (02:30 on 2026-10-25 in Paris → 02:30 CEST, i.e. 00:30Z).
 *
 * The default data and its rationale are documented in docs/optimal-slots.md.
 */

export const SLOT_CHANNELS = ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms'] as const;
export type SlotChannel = (typeof SLOT_CHANNELS)[number];

export const AUDIENCES = ['b2b', 'b2c', 'local'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** ISO weekday: 1 = Monday … 7 = Sunday (as in `channel_slot_preferences.weekday`). */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface SlotPreference {
  weekday: number;
  /** Wall-clock time in the tenant's zone, `HH:MM` or `HH:MM:SS` (PostgreSQL `time`). */
  localTime: string;
  /** ≥ 0; 0 disables the slot. Higher is better (defaults are on a 0–1 scale). */
  weight: number;
  source?: 'default' | 'learned' | 'manual';
}

export type SlotErrorCode =
  | 'calendar.errors.invalidSlot'
  | 'calendar.errors.slotInPast'
  | 'calendar.errors.slotTooFar'
  | 'calendar.errors.smsQuietHours';

/** Error codes (they double as i18n keys in locales/<lang>/calendar.json). */
export const CALENDAR_ERRORS = {
  invalidSlot: 'calendar.errors.invalidSlot',
  slotInPast: 'calendar.errors.slotInPast',
  slotTooFar: 'calendar.errors.slotTooFar',
  smsQuietHours: 'calendar.errors.smsQuietHours',
  unknownChannel: 'calendar.errors.unknownChannel',
  unknownAudience: 'calendar.errors.unknownAudience',
  invalidTimezone: 'calendar.errors.invalidTimezone',
  invalidPreference: 'calendar.errors.invalidPreference',
  invalidCount: 'calendar.errors.invalidCount',
  invalidHorizon: 'calendar.errors.invalidHorizon',
  invalidMonth: 'calendar.errors.invalidMonth',
} as const;

/** How far ahead a slot may be placed. */
export const MAX_SLOT_AHEAD_YEARS = 1;
export const DEFAULT_HORIZON_DAYS = 28;
export const MAX_HORIZON_DAYS = 366;
export const MAX_SLOT_COUNT = 500;

/**
 * SMS window: slots are only proposed Monday–Saturday, 08:00 ≤ local time < 20:00, never on a public holiday
 * (French practice for marketing SMS; enforcing quiet hours at send time belongs to the publishing module).
 */
export const SMS_WINDOW = { firstMinute: 8 * 60, endMinute: 20 * 60, weekdays: [1, 2, 3, 4, 5, 6] as readonly number[] } as const;

/**
 * Spacing per channel, checked against already used instants (`taken`) and against the slots being picked:
 * at most `maxPerDay` per local calendar day and at least `minGapHours` between two posts of the channel.
 */
export const CHANNEL_SPACING: Readonly<Record<SlotChannel, { minGapHours: number; maxPerDay: number }>> = {
  linkedin: { minGapHours: 18, maxPerDay: 1 },
  facebook: { minGapHours: 12, maxPerDay: 1 },
  instagram: { minGapHours: 12, maxPerDay: 1 },
  x: { minGapHours: 3, maxPerDay: 3 },
  google_business: { minGapHours: 48, maxPerDay: 1 },
  blog: { minGapHours: 48, maxPerDay: 1 },
  newsletter: { minGapHours: 72, maxPerDay: 1 },
  sms: { minGapHours: 72, maxPerDay: 1 },
};

/**
 * Audiences whose slots skip public holidays on every channel (offices are closed; B2B reach collapses).
 * SMS skips them for every audience.
 */
const HOLIDAY_SENSITIVE_AUDIENCES: readonly Audience[] = ['b2b'];

// ---- Default data ----

type Days = readonly IsoWeekday[];
const MON_FRI: Days = [1, 2, 3, 4, 5];
const TUE_THU: Days = [2, 3, 4];

/** `at([2, 3], '08:30', 1)` → one preference per weekday. */
function at(days: Days, localTime: string, weight: number): SlotPreference[] {
  return days.map((weekday) => ({ weekday, localTime, weight, source: 'default' as const }));
}

function slots(...groups: SlotPreference[][]): readonly SlotPreference[] {
  const all = groups.flat();
  all.sort((a, b) => a.weekday - b.weekday || a.localTime.localeCompare(b.localTime));
  return Object.freeze(all.map((p) => Object.freeze(p)));
}

/**
 * Default optimal slots per channel and audience, in the tenant's local time. Sensible starting points drawn from
 * French working habits (commute 08:00–09:00, lunch 12:00–13:30, late dinner so evenings start ~20:30) and from
 * public industry studies, which disagree with each other; learned preferences replace them per tenant.
 */
export const DEFAULT_SLOTS: Readonly<Record<SlotChannel, Readonly<Record<Audience, readonly SlotPreference[]>>>> = {
  linkedin: {
    b2b: slots(
      at([2], '08:30', 1),
      at([3, 4], '08:30', 0.95),
      at(TUE_THU, '12:30', 0.85),
      at([1], '12:30', 0.6),
      at([5], '08:30', 0.5),
      at([2, 4], '17:30', 0.5),
    ),
    b2c: slots(at(TUE_THU, '12:30', 0.8), at(TUE_THU, '08:30', 0.7), at([3], '18:00', 0.5)),
    local: slots(at(TUE_THU, '08:30', 0.7), at(TUE_THU, '12:30', 0.7), at([1], '12:30', 0.4)),
  },
  facebook: {
    b2b: slots(at(TUE_THU, '12:30', 0.8), at(TUE_THU, '09:00', 0.6), at([1, 5], '12:30', 0.4)),
    b2c: slots(
      at([3], '12:30', 1),
      at([1, 2, 4, 5], '12:30', 0.85),
      at([2, 3, 4], '20:30', 0.8),
      at([6], '10:00', 0.7),
      at([7], '10:30', 0.6),
    ),
    local: slots(
      at([4, 5], '11:00', 1),
      at([5], '17:00', 0.85),
      at([6], '09:30', 0.8),
      at([3], '12:30', 0.7),
      at([7], '10:00', 0.5),
    ),
  },
  instagram: {
    b2b: slots(at(TUE_THU, '12:30', 0.8), at(TUE_THU, '18:00', 0.6)),
    b2c: slots(
      at(MON_FRI, '12:30', 0.8),
      at(MON_FRI, '18:30', 0.75),
      at([2, 3, 4], '21:00', 0.9),
      at([6, 7], '11:00', 0.8),
    ),
    local: slots(at([4, 5], '12:00', 0.9), at([5, 6], '18:00', 0.85), at([6], '10:00', 0.8), at([7], '11:00', 0.6)),
  },
  x: {
    b2b: slots(at(MON_FRI, '08:30', 1), at(MON_FRI, '12:30', 0.8), at(MON_FRI, '17:30', 0.6)),
    b2c: slots(at(MON_FRI, '08:00', 0.8), at(MON_FRI, '12:30', 0.85), at(MON_FRI, '18:30', 0.8), at([6], '10:00', 0.5)),
    local: slots(at(MON_FRI, '08:30', 0.8), at(MON_FRI, '12:30', 0.7)),
  },
  google_business: {
    b2b: slots(at([1, 2], '09:00', 0.8), at([4], '09:00', 0.6)),
    b2c: slots(at([4], '09:00', 0.9), at([5], '10:00', 0.8), at([1], '09:00', 0.6)),
    local: slots(at([4], '09:00', 1), at([5], '09:30', 0.9), at([6], '09:00', 0.6), at([1], '09:00', 0.6)),
  },
  blog: {
    b2b: slots(at([2], '08:00', 1), at([3, 4], '08:00', 0.9), at([1], '09:00', 0.5)),
    b2c: slots(at([2, 4], '08:00', 0.8), at([7], '09:00', 0.6), at([3], '08:00', 0.6)),
    local: slots(at([3], '08:00', 0.8), at([4], '08:00', 0.7), at([2], '08:00', 0.6)),
  },
  newsletter: {
    b2b: slots(at([2, 4], '09:30', 1), at([3], '09:30', 0.8), at([2, 4], '14:00', 0.5)),
    b2c: slots(at([2, 4], '12:00', 0.8), at([7], '10:00', 0.7), at([3], '19:00', 0.6)),
    local: slots(at([4], '10:00', 1), at([6], '09:00', 0.7), at([2], '10:00', 0.6)),
  },
  sms: {
    b2b: slots(at(TUE_THU, '10:00', 0.8), at(TUE_THU, '14:30', 0.6)),
    b2c: slots(at([4], '17:30', 0.9), at([5], '11:00', 1), at([6], '10:00', 0.8), at([3], '11:00', 0.6)),
    local: slots(at([5], '11:00', 1), at([4], '17:30', 0.9), at([6], '10:00', 0.8), at([2], '11:00', 0.5)),
  },
};

// ---- Validation helpers ----

export function isSlotChannel(value: unknown): value is SlotChannel {
  return typeof value === 'string' && (SLOT_CHANNELS as readonly string[]).includes(value);
}

export function isAudience(value: unknown): value is Audience {
  return typeof value === 'string' && (AUDIENCES as readonly string[]).includes(value);
}

function assertChannel(channel: unknown): asserts channel is SlotChannel {
  if (!isSlotChannel(channel)) throw new AppError(CALENDAR_ERRORS.unknownChannel, 400, { channel: String(channel) });
}

function assertAudience(audience: unknown): asserts audience is Audience {
  if (!isAudience(audience)) throw new AppError(CALENDAR_ERRORS.unknownAudience, 400, { audience: String(audience) });
}

function zoneOf(timezone: unknown): IANAZone {
  if (typeof timezone === 'string' && timezone.length <= 64) {
    const zone = IANAZone.create(timezone);
    if (zone.isValid) return zone;
  }
  throw new AppError(CALENDAR_ERRORS.invalidTimezone, 400, { timezone: String(timezone) });
}

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && Number.isFinite(value.getTime());
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** `HH:MM[:SS]` → seconds after local midnight, or null. */
export function parseLocalTime(value: string): number | null {
  const m = TIME.exec(value);
  if (!m) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + (m[3] ? Number(m[3]) : 0);
}

// ---- Public holidays ----

/** Gregorian Easter Sunday (anonymous algorithm), as [month 1–12, day]. */
function easterSunday(year: number): [number, number] {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

/**
 * French national public holidays (metropolitan France: the eleven days of the Code du travail; Alsace-Moselle's
 * Good Friday and 26 December are not included). `isoDate` is a local calendar date `YYYY-MM-DD`.
 */
export function isFrenchPublicHoliday(isoDate: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) return false;
  const year = Number(m[1]);
  const md = `${m[2]}-${m[3]}`;
  if (['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'].includes(md)) return true;
  const [em, ed] = easterSunday(year);
  const easter = Date.UTC(year, em - 1, ed);
  return [1, 39, 50].some((offset) => isoDateOf(easter + offset * DAY_MS).slice(5) === md); // Easter Monday, Ascension, Whit Monday
}

export type HolidayCalendar = (isoDate: string) => boolean;

// ---- Local wall clock ↔ instant ----

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function isoDateOf(utcMidnightMs: number): string {
  return new Date(utcMidnightMs).toISOString().slice(0, 10);
}

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/**
 * The instant at which the wall clock of `timezone` shows `localTime` on `date`.
 * Nonexistent local times (spring-forward gap) move forward to the first valid minute after the gap;
 * ambiguous ones (fall-back overlap) take their first occurrence.
 */
export function localToInstant(date: LocalDate, localTime: string, timezone: string): Date {
  const zone = zoneOf(timezone);
  const seconds = parseLocalTime(localTime);
  if (seconds === null) throw new AppError(CALENDAR_ERRORS.invalidPreference, 400, { localTime });
  const wall = Date.UTC(date.year, date.month - 1, date.day) + seconds * 1000; // the wall clock read as if UTC
  if (!Number.isFinite(wall)) throw new AppError(CALENDAR_ERRORS.invalidSlot, 400);
  return new Date(resolveWall(zone, wall));
}

/** Wall-clock milliseconds (read as UTC) → epoch milliseconds in `zone`, with the gap/overlap rules above. */
function resolveWall(zone: IANAZone, wall: number): number {
  // Offsets (minutes) in force around that day; at most one transition lies in between for real zones.
  const before = zone.offset(wall - DAY_MS);
  const after = zone.offset(wall + DAY_MS);
  const candidates = [...new Set([wall - before * MINUTE_MS, wall - after * MINUTE_MS])].sort((a, b) => a - b);
  const valid = candidates.filter((t) => t + zone.offset(t) * MINUTE_MS === wall);
  if (valid.length > 0) return valid[0]; // the earliest instant showing that wall time: first occurrence
  // In a gap: the transition lies between the two candidates; find its first minute, where the clock jumped to.
  let lo = candidates[0];
  let hi = candidates[candidates.length - 1];
  const startOffset = zone.offset(lo);
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.max(1, Math.floor((hi - lo) / 2 / MINUTE_MS)) * MINUTE_MS;
    if (zone.offset(mid) === startOffset) lo = mid;
    else hi = mid;
  }
  // `hi` is the first whole minute (relative to `lo`) under the new offset; align it on a wall-clock minute.
  const shown = hi + zone.offset(hi) * MINUTE_MS;
  return hi + (Math.ceil(shown / MINUTE_MS) * MINUTE_MS - shown);
}

interface LocalParts {
  isoDate: string;
  weekday: number;
  /** Seconds after local midnight. */
  seconds: number;
}

function localParts(instant: number, zone: IANAZone): LocalParts {
  const shifted = instant + zone.offset(instant) * MINUTE_MS;
  const d = new Date(shifted);
  const jsDay = d.getUTCDay();
  return {
    isoDate: d.toISOString().slice(0, 10),
    weekday: jsDay === 0 ? 7 : jsDay,
    seconds: Math.floor((shifted - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())) / 1000),
  };
}

// ---- Candidates ----

interface NormalisedPreference {
  weekday: number;
  localTime: string;
  seconds: number;
  weight: number;
}

interface Candidate {
  at: number;
  isoDate: string;
  weight: number;
}

/** Is the local wall time allowed for an SMS (Mon–Sat, 08:00 ≤ t < 20:00)? Holidays are checked separately. */
function inSmsWindow(weekday: number, seconds: number): boolean {
  return SMS_WINDOW.weekdays.includes(weekday) && seconds >= SMS_WINDOW.firstMinute * 60 && seconds < SMS_WINDOW.endMinute * 60;
}

function normalisePreferences(
  channel: SlotChannel,
  audience: Audience,
  preferences: readonly SlotPreference[] | undefined,
): NormalisedPreference[] {
  const source = preferences && preferences.length > 0 ? preferences : DEFAULT_SLOTS[channel][audience];
  const out: NormalisedPreference[] = [];
  const seen = new Set<string>();
  for (const p of source) {
    const seconds = typeof p?.localTime === 'string' ? parseLocalTime(p.localTime) : null;
    if (!p || !Number.isInteger(p.weekday) || p.weekday < 1 || p.weekday > 7 || seconds === null || typeof p.weight !== 'number' || !Number.isFinite(p.weight) || p.weight < 0) {
      throw new AppError(CALENDAR_ERRORS.invalidPreference, 400, { weekday: p?.weekday, localTime: p?.localTime });
    }
    if (p.weight === 0) continue;
    // Learned or manual preferences cannot bring an SMS outside its window.
    if (channel === 'sms' && !inSmsWindow(p.weekday, seconds)) continue;
    const key = `${p.weekday}|${seconds}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ weekday: p.weekday, localTime: p.localTime, seconds, weight: p.weight });
  }
  return out.sort((a, b) => a.weekday - b.weekday || a.seconds - b.seconds);
}

/** Candidates on local dates [startDayMs, endDayMs) (UTC midnights standing for local dates), chronological. */
function candidatesBetween(
  prefs: readonly NormalisedPreference[],
  zone: IANAZone,
  startDayMs: number,
  endDayMs: number,
  skipHolidays: boolean,
  holidays: HolidayCalendar,
): Candidate[] {
  const out: Candidate[] = [];
  for (let day = startDayMs; day < endDayMs; day += DAY_MS) {
    const isoDate = isoDateOf(day);
    if (skipHolidays && holidays(isoDate)) continue;
    const jsDay = new Date(day).getUTCDay();
    const weekday = jsDay === 0 ? 7 : jsDay;
    for (const p of prefs) {
      if (p.weekday !== weekday) continue;
      const at = resolveWall(zone, day + p.seconds * 1000);
      // A shifted slot that left its local day (only in exotic zones) is dropped rather than moved to another day.
      if (localParts(at, zone).isoDate !== isoDate) continue;
      out.push({ at, isoDate, weight: p.weight });
    }
  }
  out.sort((a, b) => a.at - b.at);
  return out.filter((c, i) => i === 0 || c.at !== out[i - 1].at);
}

/** Tracks a channel's used instants to enforce its spacing. */
class Spacing {
  private readonly instants: number[] = [];
  private readonly perDay = new Map<string, number>();

  constructor(
    private readonly rule: { minGapHours: number; maxPerDay: number },
    private readonly zone: IANAZone,
    taken: readonly Date[],
  ) {
    for (const t of taken) if (isValidDate(t)) this.add(t.getTime());
  }

  fits(at: number, isoDate: string): boolean {
    if ((this.perDay.get(isoDate) ?? 0) >= this.rule.maxPerDay) return false;
    const gap = this.rule.minGapHours * HOUR_MS;
    return this.instants.every((t) => Math.abs(t - at) >= gap);
  }

  add(at: number): void {
    this.instants.push(at);
    const isoDate = localParts(at, this.zone).isoDate;
    this.perDay.set(isoDate, (this.perDay.get(isoDate) ?? 0) + 1);
  }
}

function skipsHolidays(channel: SlotChannel, audience: Audience): boolean {
  return channel === 'sms' || HOLIDAY_SENSITIVE_AUDIENCES.includes(audience);
}

// ---- nextSlots ----

export interface NextSlotsInput {
  channel: SlotChannel;
  audience: Audience;
  /** The tenant's IANA time zone, e.g. `Europe/Paris`. */
  timezone: string;
  /** Slots are strictly after this instant (usually now). */
  from: Date;
  count: number;
  /** Learned/manual preferences for this channel; when non-empty they replace the defaults. */
  preferences?: readonly SlotPreference[];
  /** Instants already used on this channel (scheduled or published items); spacing is kept around them. */
  taken?: readonly Date[];
  /** Local days searched from `from`'s local date (default 28, at most 366). */
  horizonDays?: number;
  /** Public holidays of the tenant (default: French national holidays). Skipped for SMS and B2B audiences. */
  holidays?: HolidayCalendar;
}

/**
 * The next `count` optimal slots of a channel (UTC instants, chronological). Days are walked in order; within a day
 * the best-weighted preferences are taken first, up to the channel's spacing (`CHANNEL_SPACING`). Fewer than `count`
 * slots come back when the horizon runs out.
 */
export function nextSlots(input: NextSlotsInput): Date[] {
  const { channel, audience, timezone, from, count } = input;
  assertChannel(channel);
  assertAudience(audience);
  const zone = zoneOf(timezone);
  if (!isValidDate(from)) throw new AppError(CALENDAR_ERRORS.invalidSlot, 400);
  if (!Number.isInteger(count) || count < 0 || count > MAX_SLOT_COUNT) {
    throw new AppError(CALENDAR_ERRORS.invalidCount, 400, { count, max: MAX_SLOT_COUNT });
  }
  const horizonDays = input.horizonDays ?? DEFAULT_HORIZON_DAYS;
  if (!Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > MAX_HORIZON_DAYS) {
    throw new AppError(CALENDAR_ERRORS.invalidHorizon, 400, { horizonDays, max: MAX_HORIZON_DAYS });
  }
  if (count === 0) return [];

  const prefs = normalisePreferences(channel, audience, input.preferences);
  const spacing = new Spacing(CHANNEL_SPACING[channel], zone, input.taken ?? []);
  const startDay = Date.parse(`${localParts(from.getTime(), zone).isoDate}T00:00:00Z`);
  const candidates = candidatesBetween(
    prefs,
    zone,
    startDay,
    startDay + horizonDays * DAY_MS,
    skipsHolidays(channel, audience),
    input.holidays ?? isFrenchPublicHoliday,
  ).filter((c) => c.at > from.getTime());

  const picked: number[] = [];
  for (let i = 0; i < candidates.length && picked.length < count; ) {
    let j = i;
    while (j < candidates.length && candidates[j].isoDate === candidates[i].isoDate) j++;
    const day = candidates.slice(i, j).sort((a, b) => b.weight - a.weight || a.at - b.at);
    for (const c of day) {
      if (picked.length >= count) break;
      if (!spacing.fits(c.at, c.isoDate)) continue;
      spacing.add(c.at);
      picked.push(c.at);
    }
    i = j;
  }
  return picked.sort((a, b) => a - b).map((t) => new Date(t));
}

// ---- validateSlot ----

export interface SlotError {
  code: SlotErrorCode;
  params: Record<string, unknown>;
}

export interface ValidateSlotOptions {
  now: Date;
  timezone: string;
  channel: SlotChannel;
  holidays?: HolidayCalendar;
}

/**
 * Why a chosen instant cannot be a slot, or null when it can: `calendar.errors.invalidSlot` (not a date),
 * `calendar.errors.slotInPast` (at or before `now`), `calendar.errors.slotTooFar` (more than a year after `now`),
 * `calendar.errors.smsQuietHours` (SMS on a Sunday, a public holiday, or outside 08:00–20:00 local time).
 */
export function validateSlot(instant: Date, options: ValidateSlotOptions): SlotError | null {
  const { now, timezone, channel } = options;
  assertChannel(channel);
  const zone = zoneOf(timezone);
  if (!isValidDate(now)) throw new TypeError('validateSlot: now must be a valid Date');
  if (!isValidDate(instant)) return { code: CALENDAR_ERRORS.invalidSlot, params: {} };
  const t = instant.getTime();
  if (t <= now.getTime()) return { code: CALENDAR_ERRORS.slotInPast, params: { at: instant.toISOString() } };
  const limit = DateTime.fromJSDate(now, { zone }).plus({ years: MAX_SLOT_AHEAD_YEARS });
  if (t > limit.toMillis()) {
    return { code: CALENDAR_ERRORS.slotTooFar, params: { at: instant.toISOString(), max: limit.toISODate(), years: MAX_SLOT_AHEAD_YEARS } };
  }
  if (channel === 'sms') {
    const local = localParts(t, zone);
    const holidays = options.holidays ?? isFrenchPublicHoliday;
    if (!inSmsWindow(local.weekday, local.seconds) || holidays(local.isoDate)) {
      return { code: CALENDAR_ERRORS.smsQuietHours, params: { from: '08:00', to: '20:00' } };
    }
  }
  return null;
}

/** `validateSlot`, throwing the error as an `AppError` (400) for services and routes. */
export function assertValidSlot(instant: Date, options: ValidateSlotOptions): void {
  const error = validateSlot(instant, options);
  if (error) throw new AppError(error.code, 400, error.params);
}

// ---- distributeMonth ----

export interface PlannedSlot {
  channel: SlotChannel;
  startsAt: Date;
  /** Local calendar date of the slot (`editorial_plan_items.planned_date`). */
  localDate: string;
  weight: number;
}

export interface DistributeMonthInput {
  /** `YYYY-MM`, a month of the tenant's calendar. */
  month: string;
  timezone: string;
  audience: Audience;
  /** How many items per channel (entries of the same channel add up). */
  plan: readonly { channel: SlotChannel; count: number }[];
  /** Slots already used, per channel. */
  taken?: readonly { channel: SlotChannel; startsAt: Date }[];
  /** Learned/manual preferences per channel (non-empty lists replace that channel's defaults). */
  preferences?: Partial<Record<SlotChannel, readonly SlotPreference[]>>;
  /** Only slots strictly after this instant (e.g. now, when planning the current month). */
  notBefore?: Date;
  holidays?: HolidayCalendar;
}

export interface DistributeMonthResult {
  /** Chronological (then by channel). */
  slots: PlannedSlot[];
  /** What could not be placed within the month under the channel's spacing. */
  unplaced: { channel: SlotChannel; count: number }[];
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * Spreads a month's plan over optimal slots, deterministically. For each channel (in `SLOT_CHANNELS` order), the
 * remaining days of the month are cut into `count` equal stretches and each stretch gets its best-weighted free
 * slot (earliest on ties); stretches without a fitting slot are then filled with the best remaining slots of the
 * month. Spacing (`CHANNEL_SPACING`) is kept against `taken` and the slots already placed.
 */
export function distributeMonth(input: DistributeMonthInput): DistributeMonthResult {
  const { month, timezone, audience, plan } = input;
  const m = typeof month === 'string' ? MONTH.exec(month) : null;
  if (!m) throw new AppError(CALENDAR_ERRORS.invalidMonth, 400, { month: String(month) });
  const zone = zoneOf(timezone);
  assertAudience(audience);
  if (input.notBefore !== undefined && !isValidDate(input.notBefore)) throw new AppError(CALENDAR_ERRORS.invalidSlot, 400);

  const counts = new Map<SlotChannel, number>();
  for (const item of plan) {
    assertChannel(item?.channel);
    if (!Number.isInteger(item.count) || item.count < 0 || item.count > MAX_SLOT_COUNT) {
      throw new AppError(CALENDAR_ERRORS.invalidCount, 400, { count: item.count, max: MAX_SLOT_COUNT });
    }
    counts.set(item.channel, (counts.get(item.channel) ?? 0) + item.count);
  }

  const year = Number(m[1]);
  const monthIndex = Number(m[2]) - 1;
  const monthStart = Date.UTC(year, monthIndex, 1);
  const monthEnd = Date.UTC(year, monthIndex + 1, 1);
  const notBefore = input.notBefore?.getTime() ?? -Infinity;
  // Stretches start at the first local day still open.
  const firstOpenDay = Number.isFinite(notBefore)
    ? Math.max(monthStart, Date.parse(`${localParts(notBefore, zone).isoDate}T00:00:00Z`))
    : monthStart;
  const holidays = input.holidays ?? isFrenchPublicHoliday;

  const slotsOut: PlannedSlot[] = [];
  const unplaced: { channel: SlotChannel; count: number }[] = [];
  for (const channel of SLOT_CHANNELS) {
    const count = counts.get(channel) ?? 0;
    if (count === 0) continue;
    const prefs = normalisePreferences(channel, audience, input.preferences?.[channel]);
    const taken = (input.taken ?? []).filter((t) => t.channel === channel).map((t) => t.startsAt);
    const spacing = new Spacing(CHANNEL_SPACING[channel], zone, taken);
    const candidates = candidatesBetween(prefs, zone, monthStart, monthEnd, skipsHolidays(channel, audience), holidays).filter(
      (c) => c.at > notBefore,
    );
    const best = (list: Candidate[]) => {
      let chosen: Candidate | undefined;
      for (const c of list) {
        if (!spacing.fits(c.at, c.isoDate)) continue;
        if (!chosen || c.weight > chosen.weight) chosen = c; // chronological list: ties keep the earliest
      }
      return chosen;
    };

    const chosen: Candidate[] = [];
    const days = firstOpenDay < monthEnd ? Math.round((monthEnd - firstOpenDay) / DAY_MS) : 0;
    let missing = 0;
    for (let i = 0; i < count; i++) {
      const from = isoDateOf(firstOpenDay + Math.floor((i * days) / count) * DAY_MS);
      const to = isoDateOf(firstOpenDay + Math.floor(((i + 1) * days) / count) * DAY_MS);
      const pick = best(candidates.filter((c) => c.isoDate >= from && c.isoDate < to));
      if (pick) {
        spacing.add(pick.at);
        chosen.push(pick);
      } else missing++;
    }
    for (; missing > 0; missing--) {
      const pick = best(candidates.filter((c) => !chosen.includes(c)));
      if (!pick) break;
      spacing.add(pick.at);
      chosen.push(pick);
    }
    if (missing > 0) unplaced.push({ channel, count: missing });
    for (const c of chosen) slotsOut.push({ channel, startsAt: new Date(c.at), localDate: c.isoDate, weight: c.weight });
  }
  slotsOut.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || SLOT_CHANNELS.indexOf(a.channel) - SLOT_CHANNELS.indexOf(b.channel));
  return { slots: slotsOut, unplaced };
}
