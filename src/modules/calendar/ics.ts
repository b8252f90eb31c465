/**
 * iCalendar (RFC 5545) feed of a tenant's calendar: pure text generation, no I/O.
 *
 * Times are written in UTC (`YYYYMMDDTHHMMSSZ`), so the feed needs no VTIMEZONE; X-WR-TIMEZONE tells clients which
 * zone the tenant plans in. TEXT values are escaped (`\\`, `\;`, `\,`, `\n`), content lines are folded at 75 octets
 * without splitting a UTF-8 character, and every line ends with CRLF. The same input always gives the same output:
 * UIDs are `<contentId>@cadence` so a moved item updates the existing event in subscribers' calendars.
 */

export const ICS_PRODID = '-//Cadence//Editorial calendar//FR';
export const ICS_UID_DOMAIN = 'cadence';
/** Length of an event when the item gives no end: publications are instants, calendars want a visible block. */
export const DEFAULT_EVENT_MINUTES = 30;
/** How often subscribers are asked to refresh the feed (RFC 7986 REFRESH-INTERVAL and X-PUBLISHED-TTL). */
export const DEFAULT_REFRESH = 'PT1H';

const CRLF = '\r\n';
const MAX_OCTETS = 75;

export type IcsStatus = 'TENTATIVE' | 'CONFIRMED' | 'CANCELLED';

export interface IcsEvent {
  /** The content's id; the event's UID is `<contentId>@cadence`. */
  contentId: string;
  /** The channel code (`linkedin`, `sms`…), written as the first CATEGORIES value. */
  channel: string;
  start: Date;
  /** Defaults to `start` + DEFAULT_EVENT_MINUTES. */
  end?: Date;
  summary: string;
  description?: string;
  /** Absolute http(s) link to the item in Cadence; omitted when not a valid http(s) URL. */
  url?: string;
  status?: IcsStatus;
  /** Extra categories after the channel (campaign name…). */
  categories?: readonly string[];
  /** When the item last changed: DTSTAMP and LAST-MODIFIED. Defaults to the calendar's `generatedAt`. */
  updatedAt?: Date;
  /** Bumped when the item is rescheduled, if the caller tracks it. */
  sequence?: number;
}

export interface IcsCalendar {
  /** X-WR-CALNAME, e.g. "Cadence — Boulangerie Martin". */
  name: string;
  /** The tenant's IANA zone, for X-WR-TIMEZONE. */
  timezone: string;
  /** When the feed is generated: the DTSTAMP of events without `updatedAt`. */
  generatedAt: Date;
  events: readonly IcsEvent[];
  /** ISO 8601 duration; defaults to DEFAULT_REFRESH. */
  refreshInterval?: string;
}

/** The slot status of `calendar_slots` → the VEVENT STATUS. */
export function icsStatusForSlot(status: 'proposed' | 'confirmed' | 'published' | 'missed' | 'cancelled'): IcsStatus {
  if (status === 'proposed') return 'TENTATIVE';
  if (status === 'cancelled' || status === 'missed') return 'CANCELLED';
  return 'CONFIRMED';
}

/**
 * Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks (CRLF, CR or LF → `\n`).
 * Other control characters (not allowed in TEXT) are dropped, except the tab.
 */
export function escapeText(value: string): string {
  return value
    .replace(/\r\n|\r|\n/g, '\n')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '')
    .replace(/[\\;,\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** The reverse of escapeText (for tests and round trips). */
export function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** UTF-8 length of one code point (a lone surrogate is encoded as U+FFFD: 3 octets). */
function codePointOctets(char: string): number {
  const cp = char.codePointAt(0)!;
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/**
 * Folds one content line (RFC 5545 §3.1): no physical line longer than 75 octets (CRLF excluded); continuation
 * lines start with a space. Splits happen between code points only, so a multi-byte UTF-8 character (or a surrogate
 * pair) is never cut. Returns the physical lines joined with CRLF, without a trailing CRLF.
 */
export function foldLine(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= MAX_OCTETS) return line;
  const lines: string[] = [];
  let current = '';
  let size = 0;
  for (const char of line) {
    const n = codePointOctets(char);
    if (size + n > MAX_OCTETS) {
      lines.push(current);
      current = ' ';
      size = 1;
    }
    current += char;
    size += n;
  }
  lines.push(current);
  return lines.join(CRLF);
}

/** Undoes folding: a CRLF followed by one space or tab is removed (RFC 5545 §3.1). */
export function unfoldLines(text: string): string {
  return text.replace(/\r\n[ \t]/g, '');
}

/** `YYYYMMDDTHHMMSSZ` (UTC, seconds truncated from milliseconds). */
export function formatUtc(instant: Date): string {
  if (!Number.isFinite(instant.getTime())) throw new RangeError('ics: invalid date');
  return instant.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function absoluteHttpUrl(value: string | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const DURATION = /^P(?:\d+W|(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$/;

function eventLines(event: IcsEvent, generatedAt: Date): string[] {
  const end = event.end ?? new Date(event.start.getTime() + DEFAULT_EVENT_MINUTES * 60_000);
  if (end.getTime() < event.start.getTime()) throw new RangeError('ics: an event cannot end before it starts');
  const stamp = formatUtc(event.updatedAt ?? generatedAt);
  const lines = [
    'BEGIN:VEVENT',
    `UID:${escapeText(`${event.contentId}@${ICS_UID_DOMAIN}`)}`,
    `DTSTAMP:${stamp}`,
    `DTSTART:${formatUtc(event.start)}`,
    `DTEND:${formatUtc(end)}`,
    `SUMMARY:${escapeText(event.summary)}`,
  ];
  if (event.description) lines.push(`DESCRIPTION:${escapeText(event.description)}`);
  const url = absoluteHttpUrl(event.url);
  if (url) lines.push(`URL:${url}`);
  lines.push(`STATUS:${event.status ?? 'CONFIRMED'}`);
  const categories = [event.channel, ...(event.categories ?? [])].filter((c) => c.length > 0);
  if (categories.length > 0) lines.push(`CATEGORIES:${categories.map(escapeText).join(',')}`);
  if (event.updatedAt) lines.push(`LAST-MODIFIED:${stamp}`);
  if (event.sequence !== undefined && Number.isInteger(event.sequence) && event.sequence >= 0) lines.push(`SEQUENCE:${event.sequence}`);
  lines.push('TRANSP:TRANSPARENT', 'END:VEVENT'); // a publication does not make the owner busy
  return lines;
}

/**
 * The whole feed: one VCALENDAR, one VEVENT per item, events sorted by start then UID so the output is stable
 * whatever the order of the input.
 */
export function buildIcs(calendar: IcsCalendar): string {
  const refresh = calendar.refreshInterval && DURATION.test(calendar.refreshInterval) ? calendar.refreshInterval : DEFAULT_REFRESH;
  const lines = [
    'BEGIN:VCALENDAR',
    `PRODID:${ICS_PRODID}`,
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    `X-WR-CALNAME:${escapeText(calendar.name)}`,
    `X-WR-TIMEZONE:${escapeText(calendar.timezone)}`,
    `REFRESH-INTERVAL;VALUE=DURATION:${refresh}`,
    `X-PUBLISHED-TTL:${refresh}`,
  ];
  const events = [...calendar.events].sort(
    (a, b) => a.start.getTime() - b.start.getTime() || (a.contentId < b.contentId ? -1 : a.contentId > b.contentId ? 1 : 0),
  );
  for (const event of events) lines.push(...eventLines(event, calendar.generatedAt));
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join(CRLF) + CRLF;
}
