import { DateTime } from 'luxon';
import { isFrenchPublicHoliday, localToInstant, SMS_WINDOW } from '../../calendar/slots.js';
import { analyzeSms, smsCostEstimate, type SmsCostEstimate, type SmsSegmentInfo } from '../../studio/sms-segments.js';
import { findStopMention, mentionsSender } from '../../studio/channels.js';

/**
 * French rules for commercial SMS (recommendations of the French operators' federation, FFTélécoms / AF2M code
 * of conduct, and the CNIL): sent only Monday to Saturday, 08:00–20:00 in the recipient's (here: the tenant's)
 * time zone, never on Sundays or public holidays; every message names its sender and offers a free way out.
 */

/**
 * The free opt-out mention appended when a text has none. "STOP au 36111" is the wording French aggregators
 * use for marketing SMS (36111 being a free short number that receives the STOP replies and passes them back);
 * a connector whose route uses another short number overrides it with `settings.stopMention`.
 */
export const DEFAULT_STOP_MENTION = 'STOP au 36111';

/**
 * Price per SMS segment when the connector does not give one (`settings.pricePerSegmentMicros`): 0.045 EUR,
 * roughly a marketing SMS to a French mobile at Brevo's public rates. Only an estimate shown before sending.
 */
export const DEFAULT_PRICE_PER_SEGMENT_MICROS = 45_000;
export const DEFAULT_CURRENCY = 'EUR';

/** Replies that withdraw consent at once (compared after trimming, accents removed, case-insensitive). */
export const STOP_KEYWORDS = ['STOP', 'STOP SMS', 'ARRET', 'UNSUBSCRIBE', 'STOPALL', 'STOP ALL'] as const;

const E164 = /^\+[1-9]\d{6,14}$/;

export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164.test(value);
}

/** Whether `instant` lies inside the commercial SMS window of `timezone`. */
export function isAllowedSendTime(instant: Date, timezone: string): boolean {
  const local = DateTime.fromJSDate(instant, { zone: timezone });
  if (!local.isValid) throw new RangeError(`invalid time zone: ${timezone}`);
  const minute = local.hour * 60 + local.minute;
  return (
    SMS_WINDOW.weekdays.includes(local.weekday) &&
    !isFrenchPublicHoliday(local.toISODate()!) &&
    minute >= SMS_WINDOW.firstMinute &&
    minute < SMS_WINDOW.endMinute
  );
}

/**
 * The first instant at or after `instant` when a commercial SMS may go out in `timezone`: `instant` itself when
 * allowed, otherwise 08:00 local of the next allowed day (Monday–Saturday, not a French public holiday).
 */
export function nextAllowedSendTime(instant: Date, timezone: string): Date {
  if (isAllowedSendTime(instant, timezone)) return instant;
  let day = DateTime.fromJSDate(instant, { zone: timezone }).startOf('day');
  const firstLocal = `${String(Math.floor(SMS_WINDOW.firstMinute / 60)).padStart(2, '0')}:${String(SMS_WINDOW.firstMinute % 60).padStart(2, '0')}`;
  for (let i = 0; i < 30; i += 1) {
    const opening = localToInstant({ year: day.year, month: day.month, day: day.day }, firstLocal, timezone);
    if (opening.getTime() > instant.getTime() && isAllowedSendTime(opening, timezone)) return opening;
    day = day.plus({ days: 1 });
  }
  throw new Error('no allowed SMS send time within 30 days'); // unreachable with real calendars
}

export interface CompliantText {
  text: string;
  senderAdded: boolean;
  stopAdded: boolean;
  info: SmsSegmentInfo;
  /** Cost of one message (its segments at the unit price). */
  cost: SmsCostEstimate;
}

/**
 * The text as it must go out: prefixed with the sender's name when it does not name it, and ending with the free
 * STOP mention when it has no STOP with a number. Idempotent: a compliant text comes back unchanged.
 */
export function ensureCompliantText(
  text: string,
  senderName: string,
  options: { stopMention?: string; unitPriceMicros?: number } = {},
): CompliantText {
  const stopMention = options.stopMention ?? DEFAULT_STOP_MENTION;
  let out = text.replace(/\r\n/g, '\n').trim();
  const senderAdded = senderName.trim().length > 0 && !mentionsSender(out, senderName);
  if (senderAdded) out = `${senderName.trim()} : ${out}`;
  const stopAdded = findStopMention(out) !== 'with_number';
  if (stopAdded) out = `${out}\n${stopMention}`;
  const info = analyzeSms(out);
  const cost = smsCostEstimate(Math.max(info.segments, 1), 1, options.unitPriceMicros ?? DEFAULT_PRICE_PER_SEGMENT_MICROS);
  return { text: out, senderAdded, stopAdded, info, cost };
}

/**
 * An alphanumeric sender id from a name: at most 11 characters of [A-Za-z0-9 ], at least one letter
 * (operators refuse all-digit alphanumeric senders), accents folded. Null when nothing usable remains.
 */
export function senderIdFrom(name: string): string | null {
  const folded = name.normalize('NFD').replace(/\p{M}+/gu, '').replace(/[^A-Za-z0-9 ]+/g, ' ').replace(/\s+/g, ' ').trim();
  const id = folded.slice(0, 11).trim();
  return /[A-Za-z]/.test(id) ? id : null;
}

/** Whether an inbound SMS body is an opt-out request (STOP, STOP SMS, ARRET, ARRÊT, UNSUBSCRIBE…). */
export function stopKeywordOf(body: string): string | null {
  const normalised = body
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .replace(/[^A-Z0-9 ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return (STOP_KEYWORDS as readonly string[]).includes(normalised) ? normalised : null;
}

/** First word of a reply, normalised, for `inbound_sms.keyword` (at most 16 characters). */
export function keywordOf(body: string): string | null {
  const stop = stopKeywordOf(body);
  if (stop) return stop.slice(0, 16);
  const first = body.normalize('NFD').replace(/\p{M}+/gu, '').trim().split(/\s+/)[0]?.toUpperCase().replace(/[^A-Z0-9]/g, '') ?? '';
  return first ? first.slice(0, 16) : null;
}
