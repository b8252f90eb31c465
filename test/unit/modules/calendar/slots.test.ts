import { expect } from 'chai';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { AppError } from '../../../../src/shared/errors.js';
import {
  AUDIENCES,
  CHANNEL_SPACING,
  DEFAULT_SLOTS,
  SLOT_CHANNELS,
  assertValidSlot,
  distributeMonth,
  isFrenchPublicHoliday,
  localToInstant,
  nextSlots,
  validateSlot,
  type SlotChannel,
  type SlotPreference,
} from '../../../../src/modules/calendar/slots.js';

const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';
const d = (iso: string) => new Date(iso);
const iso = (dates: Date[]) => dates.map((x) => x.toISOString());
const local = (instant: Date, zone: string) => DateTime.fromJSDate(instant, { zone });
const pref = (weekday: number, localTime: string, weight = 1): SlotPreference => ({ weekday, localTime, weight, source: 'learned' });
const noHolidays = () => false;

function expectAppError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

/** Every pair of instants (picked and taken) respects the channel's spacing. */
function expectSpacing(channel: SlotChannel, instants: Date[], zone: string): void {
  const { minGapHours, maxPerDay } = CHANNEL_SPACING[channel];
  const sorted = instants.map((x) => x.getTime()).sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).to.be.at.least(minGapHours * 3_600_000);
  const perDay = new Map<string, number>();
  for (const t of sorted) {
    const day = DateTime.fromMillis(t, { zone }).toISODate()!;
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  for (const n of perDay.values()) expect(n).to.be.at.most(maxPerDay);
}

describe('Calendar slots', () => {
  describe('default data', () => {
    it('has slots for every channel and audience, on valid weekdays, times and weights', () => {
      for (const channel of SLOT_CHANNELS) {
        for (const audience of AUDIENCES) {
          const slots = DEFAULT_SLOTS[channel][audience];
          expect(slots, `${channel}/${audience}`).to.not.be.empty;
          for (const s of slots) {
            expect(s.weekday).to.be.within(1, 7);
            expect(s.localTime).to.match(/^([01]\d|2[0-3]):[0-5]\d$/);
            expect(s.weight).to.be.greaterThan(0).and.at.most(1);
            expect(s.source).to.equal('default');
          }
        }
      }
    });

    it('never proposes an SMS on Sunday or outside 08:00–20:00', () => {
      for (const audience of AUDIENCES) {
        for (const s of DEFAULT_SLOTS.sms[audience]) {
          expect(s.weekday).to.be.within(1, 6);
          expect(s.localTime >= '08:00' && s.localTime < '20:00', s.localTime).to.equal(true);
        }
      }
    });
  });

  describe('localToInstant', () => {
    it('Europe/Paris spring-forward (2026-03-29): the nonexistent 02:30 moves to 03:00 CEST', () => {
      expect(localToInstant({ year: 2026, month: 3, day: 29 }, '02:30', PARIS).toISOString()).to.equal('2026-03-29T01:00:00.000Z');
      expect(localToInstant({ year: 2026, month: 3, day: 29 }, '02:00', PARIS).toISOString()).to.equal('2026-03-29T01:00:00.000Z');
      expect(localToInstant({ year: 2026, month: 3, day: 29 }, '01:59', PARIS).toISOString()).to.equal('2026-03-29T00:59:00.000Z');
      expect(localToInstant({ year: 2026, month: 3, day: 29 }, '03:00', PARIS).toISOString()).to.equal('2026-03-29T01:00:00.000Z');
    });

    it('Europe/Paris fall-back (2026-10-25): the ambiguous 02:30 takes its first occurrence (CEST)', () => {
      const at = localToInstant({ year: 2026, month: 10, day: 25 }, '02:30', PARIS);
      expect(at.toISOString()).to.equal('2026-10-25T00:30:00.000Z');
      expect(local(at, PARIS).offset).to.equal(120);
      expect(localToInstant({ year: 2026, month: 10, day: 25 }, '03:00', PARIS).toISOString()).to.equal('2026-10-25T02:00:00.000Z');
    });

    it('America/New_York spring-forward (2026-03-08) and fall-back (2026-11-01)', () => {
      expect(localToInstant({ year: 2026, month: 3, day: 8 }, '02:30', NEW_YORK).toISOString()).to.equal('2026-03-08T07:00:00.000Z');
      expect(localToInstant({ year: 2026, month: 11, day: 1 }, '01:30', NEW_YORK).toISOString()).to.equal('2026-11-01T05:30:00.000Z');
    });

    it('accepts PostgreSQL time values (HH:MM:SS) and refuses malformed ones', () => {
      expect(localToInstant({ year: 2026, month: 6, day: 2 }, '08:30:00', PARIS).toISOString()).to.equal('2026-06-02T06:30:00.000Z');
      expectAppError(() => localToInstant({ year: 2026, month: 6, day: 2 }, '24:00', PARIS), 'calendar.errors.invalidPreference');
      expectAppError(() => localToInstant({ year: 2026, month: 6, day: 2 }, '08:30', 'Mars/Olympus'), 'calendar.errors.invalidTimezone');
    });
  });

  describe('nextSlots across daylight-saving changes', () => {
    const tuesday0830 = [pref(2, '08:30')];

    it('Europe/Paris, March 2026: Tuesday 08:30 stays 08:30 local (07:30Z then 06:30Z)', () => {
      const slots = nextSlots({ channel: 'linkedin', audience: 'b2b', timezone: PARIS, from: d('2026-03-20T12:00:00Z'), count: 3, preferences: tuesday0830 });
      expect(iso(slots)).to.deep.equal(['2026-03-24T07:30:00.000Z', '2026-03-31T06:30:00.000Z', '2026-04-07T06:30:00.000Z']);
      for (const s of slots) expect(local(s, PARIS).toFormat('EEE HH:mm', { locale: 'en' })).to.equal('Tue 08:30');
    });

    it('Europe/Paris, October 2026: Tuesday 08:30 stays 08:30 local (06:30Z then 07:30Z)', () => {
      const slots = nextSlots({ channel: 'linkedin', audience: 'b2b', timezone: PARIS, from: d('2026-10-19T00:00:00Z'), count: 2, preferences: tuesday0830 });
      expect(iso(slots)).to.deep.equal(['2026-10-20T06:30:00.000Z', '2026-10-27T07:30:00.000Z']);
    });

    it('America/New_York, March 2026: Tuesday 08:30 stays 08:30 local (13:30Z then 12:30Z)', () => {
      const slots = nextSlots({ channel: 'linkedin', audience: 'b2b', timezone: NEW_YORK, from: d('2026-03-01T00:00:00Z'), count: 2, preferences: tuesday0830, holidays: noHolidays });
      expect(iso(slots)).to.deep.equal(['2026-03-03T13:30:00.000Z', '2026-03-10T12:30:00.000Z']);
    });

    it('a Sunday 02:30 slot on spring-forward day shifts to 03:00; on fall-back day takes the first 02:30', () => {
      const sunday0230 = [pref(7, '02:30')];
      const spring = nextSlots({ channel: 'facebook', audience: 'b2c', timezone: PARIS, from: d('2026-03-28T00:00:00Z'), count: 2, preferences: sunday0230 });
      expect(iso(spring)).to.deep.equal(['2026-03-29T01:00:00.000Z', '2026-04-05T00:30:00.000Z']);
      expect(local(spring[0], PARIS).toFormat('HH:mm')).to.equal('03:00');
      const autumn = nextSlots({ channel: 'facebook', audience: 'b2c', timezone: PARIS, from: d('2026-10-24T00:00:00Z'), count: 2, preferences: sunday0230 });
      expect(iso(autumn)).to.deep.equal(['2026-10-25T00:30:00.000Z', '2026-11-01T01:30:00.000Z']);
      const ny = nextSlots({ channel: 'facebook', audience: 'b2c', timezone: NEW_YORK, from: d('2026-03-07T00:00:00Z'), count: 1, preferences: sunday0230, holidays: noHolidays });
      expect(iso(ny)).to.deep.equal(['2026-03-08T07:00:00.000Z']);
    });

    it('default slots keep their local wall time on both sides of each change', () => {
      for (const [zone, from] of [[PARIS, '2026-03-16T00:00:00Z'], [PARIS, '2026-10-12T00:00:00Z'], [NEW_YORK, '2026-02-23T00:00:00Z']] as const) {
        for (const channel of SLOT_CHANNELS) {
          const expected = new Set(DEFAULT_SLOTS[channel].b2c.map((p) => `${p.weekday} ${p.localTime}`));
          const slots = nextSlots({ channel, audience: 'b2c', timezone: zone, from: d(from), count: 40, horizonDays: 28, holidays: noHolidays });
          expect(slots, `${zone} ${channel}`).to.not.be.empty;
          for (const s of slots) expect(expected.has(local(s, zone).toFormat('c HH:mm')), `${channel} ${s.toISOString()}`).to.equal(true);
        }
      }
    });

    it('returns chronological instants strictly after `from`, and fewer when the horizon runs out', () => {
      const from = d('2026-03-24T07:30:00Z'); // exactly Tuesday 08:30 Paris: not proposed again
      const slots = nextSlots({ channel: 'linkedin', audience: 'b2b', timezone: PARIS, from, count: 10, preferences: [pref(2, '08:30')], horizonDays: 14 });
      expect(iso(slots)).to.deep.equal(['2026-03-31T06:30:00.000Z']);
    });

    it('prefers the best-weighted slot of a day when only one fits', () => {
      const slots = nextSlots({
        channel: 'linkedin',
        audience: 'b2b',
        timezone: PARIS,
        from: d('2026-06-01T00:00:00Z'),
        count: 1,
        preferences: [pref(1, '08:30', 0.2), pref(1, '12:30', 0.9)],
      });
      expect(iso(slots)).to.deep.equal(['2026-06-01T10:30:00.000Z']);
    });
  });

  describe('spacing against taken instants', () => {
    it('LinkedIn: one post per local day and at least 18 h between posts', () => {
      const taken = [d('2026-03-24T07:30:00Z')]; // Tuesday 08:30 Paris already used
      const slots = nextSlots({ channel: 'linkedin', audience: 'b2b', timezone: PARIS, from: d('2026-03-22T00:00:00Z'), count: 6, taken });
      expect(slots).to.have.length(6);
      expect(slots.map((s) => local(s, PARIS).toISODate())).to.not.include('2026-03-24');
      expectSpacing('linkedin', [...slots, ...taken], PARIS);
      expect(iso(slots).slice(0, 2)).to.deep.equal(['2026-03-23T11:30:00.000Z', '2026-03-25T07:30:00.000Z']);
    });

    it('a taken instant on the evening before pushes a morning slot out (gap, not only per-day)', () => {
      const taken = [d('2026-06-01T18:00:00Z')]; // Monday 20:00 Paris
      const slots = nextSlots({ channel: 'linkedin', audience: 'b2b', timezone: PARIS, from: d('2026-06-01T19:00:00Z'), count: 1, preferences: [pref(2, '08:30'), pref(2, '17:30', 0.1)], taken });
      expect(iso(slots)).to.deep.equal(['2026-06-02T15:30:00.000Z']); // 08:30 is only 12.5 h later
    });

    it('property: results are sorted, after `from`, within the horizon and respect the spacing', () => {
      const start = Date.UTC(2026, 0, 1);
      fc.assert(
        fc.property(
          fc.constantFrom(...SLOT_CHANNELS),
          fc.constantFrom(...AUDIENCES),
          fc.constantFrom(PARIS, NEW_YORK, 'Asia/Tokyo', 'Australia/Lord_Howe'),
          fc.integer({ min: 0, max: 364 * 24 * 60 }),
          fc.array(fc.integer({ min: -5 * 24 * 60, max: 40 * 24 * 60 }), { maxLength: 8 }),
          fc.integer({ min: 1, max: 30 }),
          (channel, audience, zone, fromMinutes, takenOffsets, count) => {
            const from = new Date(start + fromMinutes * 60_000);
            const taken = takenOffsets.map((m) => new Date(from.getTime() + m * 60_000));
            const slots = nextSlots({ channel, audience, timezone: zone, from, count, taken, horizonDays: 35 });
            expect(slots.length).to.be.at.most(count);
            for (let i = 0; i < slots.length; i++) {
              expect(slots[i].getTime()).to.be.greaterThan(from.getTime());
              expect(slots[i].getTime()).to.be.lessThan(from.getTime() + 36 * 86_400_000);
              if (i > 0) expect(slots[i].getTime()).to.be.greaterThan(slots[i - 1].getTime());
            }
            const { minGapHours } = CHANNEL_SPACING[channel];
            for (const s of slots) for (const t of taken) expect(Math.abs(s.getTime() - t.getTime())).to.be.at.least(minGapHours * 3_600_000);
            expectSpacing(channel, slots, zone);
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  describe('SMS', () => {
    it('never on Sunday, a public holiday, or outside 08:00–20:00, even with learned preferences that ask for it', () => {
      const learned = [pref(7, '10:00'), pref(1, '07:59'), pref(2, '20:00'), pref(3, '21:30'), pref(6, '19:59', 0.5), pref(5, '08:00', 0.5)];
      for (const preferences of [undefined, learned]) {
        for (const audience of AUDIENCES) {
          const slots = nextSlots({ channel: 'sms', audience, timezone: PARIS, from: d('2026-01-01T00:00:00Z'), count: 200, horizonDays: 366, preferences });
          expect(slots.length).to.be.greaterThan(50);
          for (const s of slots) {
            const l = local(s, PARIS);
            expect(l.weekday, s.toISOString()).to.not.equal(7);
            expect(l.toFormat('HH:mm') >= '08:00' && l.toFormat('HH:mm') < '20:00', s.toISOString()).to.equal(true);
            expect(isFrenchPublicHoliday(l.toISODate()!), s.toISOString()).to.equal(false);
          }
          expectSpacing('sms', slots, PARIS);
        }
      }
    });

    it('skips a holiday that falls on a preferred day (Friday 1 May 2026)', () => {
      const slots = nextSlots({ channel: 'sms', audience: 'local', timezone: PARIS, from: d('2026-04-27T00:00:00Z'), count: 1, preferences: [pref(5, '11:00')] });
      expect(iso(slots)).to.deep.equal(['2026-05-15T09:00:00.000Z']); // 1 May and 8 May are holidays
    });
  });

  describe('validateSlot', () => {
    const now = d('2026-03-20T10:00:00Z');
    const opts = { now, timezone: PARIS, channel: 'linkedin' as const };

    it('refuses a slot in the past (or now) with calendar.errors.slotInPast', () => {
      expect(validateSlot(d('2026-03-20T09:59:00Z'), opts)?.code).to.equal('calendar.errors.slotInPast');
      expect(validateSlot(now, opts)?.code).to.equal('calendar.errors.slotInPast');
      expect(validateSlot(d('2026-03-20T10:01:00Z'), opts)).to.equal(null);
      try {
        assertValidSlot(d('2020-01-01T00:00:00Z'), opts);
        expect.fail('expected an error');
      } catch (error) {
        expect(error).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.equal('calendar.errors.slotInPast');
        expect((error as AppError).status).to.equal(400);
      }
    });

    it('refuses a slot more than a year ahead with calendar.errors.slotTooFar', () => {
      expect(validateSlot(d('2027-03-20T10:00:00Z'), opts)).to.equal(null);
      const error = validateSlot(d('2027-03-20T10:01:00Z'), opts);
      expect(error?.code).to.equal('calendar.errors.slotTooFar');
      expect(error?.params).to.include({ max: '2027-03-20', years: 1 });
    });

    it('refuses an invalid date with calendar.errors.invalidSlot', () => {
      expect(validateSlot(new Date('nope'), opts)?.code).to.equal('calendar.errors.invalidSlot');
    });

    it('SMS: calendar.errors.smsQuietHours on Sunday, on a holiday, before 08:00 or from 20:00 local time', () => {
      const sms = { now, timezone: PARIS, channel: 'sms' as const };
      const at = (isoLocal: string) => DateTime.fromISO(isoLocal, { zone: PARIS }).toJSDate();
      expect(validateSlot(at('2026-03-29T11:00'), sms)?.code).to.equal('calendar.errors.smsQuietHours'); // Sunday
      expect(validateSlot(at('2026-05-01T11:00'), sms)?.code).to.equal('calendar.errors.smsQuietHours'); // 1 May
      expect(validateSlot(at('2026-03-31T07:59'), sms)?.code).to.equal('calendar.errors.smsQuietHours');
      expect(validateSlot(at('2026-03-31T20:00'), sms)?.code).to.equal('calendar.errors.smsQuietHours');
      expect(validateSlot(at('2026-03-31T08:00'), sms)).to.equal(null);
      expect(validateSlot(at('2026-04-04T19:59'), sms)).to.equal(null); // Saturday
      expect(validateSlot(at('2026-03-29T11:00'), opts)).to.equal(null); // Sunday is fine on LinkedIn
    });
  });

  describe('bad input', () => {
    const base = { channel: 'linkedin' as SlotChannel, audience: 'b2b' as const, timezone: PARIS, from: d('2026-03-20T00:00:00Z'), count: 3 };
    it('answers with clear error codes', () => {
      expectAppError(() => nextSlots({ ...base, channel: 'tiktok' as SlotChannel }), 'calendar.errors.unknownChannel');
      expectAppError(() => nextSlots({ ...base, audience: 'b2g' as 'b2b' }), 'calendar.errors.unknownAudience');
      expectAppError(() => nextSlots({ ...base, timezone: 'Paris' }), 'calendar.errors.invalidTimezone');
      expectAppError(() => nextSlots({ ...base, count: 1.5 }), 'calendar.errors.invalidCount');
      expectAppError(() => nextSlots({ ...base, horizonDays: 0 }), 'calendar.errors.invalidHorizon');
      expectAppError(() => nextSlots({ ...base, from: new Date('x') }), 'calendar.errors.invalidSlot');
      expectAppError(() => nextSlots({ ...base, preferences: [pref(8, '08:30')] }), 'calendar.errors.invalidPreference');
      expectAppError(() => nextSlots({ ...base, preferences: [pref(1, '8h30')] }), 'calendar.errors.invalidPreference');
      expectAppError(() => nextSlots({ ...base, preferences: [pref(1, '08:30', -1)] }), 'calendar.errors.invalidPreference');
      expectAppError(() => distributeMonth({ month: '2026-13', timezone: PARIS, audience: 'b2b', plan: [] }), 'calendar.errors.invalidMonth');
      expectAppError(() => validateSlot(d('2026-04-01T00:00:00Z'), { now: d('2026-03-20T00:00:00Z'), timezone: PARIS, channel: 'fax' as SlotChannel }), 'calendar.errors.unknownChannel');
    });
  });

  describe('isFrenchPublicHoliday', () => {
    it('knows the fixed and the Easter-based holidays', () => {
      for (const day of ['2026-01-01', '2026-04-06', '2026-05-01', '2026-05-08', '2026-05-14', '2026-05-25', '2026-07-14', '2026-08-15', '2026-11-01', '2026-11-11', '2026-12-25', '2027-03-29', '2027-05-06']) {
        expect(isFrenchPublicHoliday(day), day).to.equal(true);
      }
      for (const day of ['2026-04-05', '2026-04-03', '2026-12-26', '2026-03-29']) expect(isFrenchPublicHoliday(day), day).to.equal(false);
    });
  });

  describe('distributeMonth', () => {
    const plan = [
      { channel: 'linkedin' as const, count: 4 },
      { channel: 'instagram' as const, count: 8 },
      { channel: 'newsletter' as const, count: 2 },
      { channel: 'sms' as const, count: 2 },
    ];

    it('places every item inside the month, on optimal local times, spaced, deterministically', () => {
      const input = { month: '2026-10', timezone: PARIS, audience: 'b2c' as const, plan };
      const result = distributeMonth(input);
      expect(result).to.deep.equal(distributeMonth(input));
      expect(result.unplaced).to.deep.equal([]);
      for (const { channel, count } of plan) {
        const mine = result.slots.filter((s) => s.channel === channel);
        expect(mine, channel).to.have.length(count);
        const allowed = new Set(DEFAULT_SLOTS[channel].b2c.map((p) => `${p.weekday} ${p.localTime}`));
        for (const s of mine) {
          const l = local(s.startsAt, PARIS);
          expect(l.toFormat('yyyy-MM')).to.equal('2026-10');
          expect(s.localDate).to.equal(l.toISODate());
          expect(allowed.has(l.toFormat('c HH:mm')), `${channel} ${s.startsAt.toISOString()}`).to.equal(true);
        }
        expectSpacing(channel, mine.map((s) => s.startsAt), PARIS);
      }
      const times = result.slots.map((s) => s.startsAt.getTime());
      expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    });

    it('spreads a channel over the month: four LinkedIn posts land in four different weeks', () => {
      const { slots } = distributeMonth({ month: '2026-03', timezone: PARIS, audience: 'b2b', plan: [{ channel: 'linkedin', count: 4 }] });
      const weeks = new Set(slots.map((s) => local(s.startsAt, PARIS).weekNumber));
      expect(weeks.size).to.equal(4);
      // The last one is after the spring-forward change and still on an 08:30 / 12:30 / 17:30 local slot.
      expect(['08:30', '12:30', '17:30']).to.include(local(slots[3].startsAt, PARIS).toFormat('HH:mm'));
    });

    it('keeps spacing with taken slots, honours notBefore, and reports what does not fit', () => {
      const taken = [{ channel: 'newsletter' as const, startsAt: d('2026-10-06T07:30:00Z') }];
      const notBefore = d('2026-10-05T00:00:00Z');
      const result = distributeMonth({
        month: '2026-10',
        timezone: PARIS,
        audience: 'b2b',
        plan: [{ channel: 'newsletter', count: 10 }, { channel: 'x', count: 30 }, { channel: 'x', count: 5 }],
        taken,
        notBefore,
      });
      const newsletters = result.slots.filter((s) => s.channel === 'newsletter');
      expectSpacing('newsletter', [...newsletters.map((s) => s.startsAt), taken[0].startsAt], PARIS);
      for (const s of result.slots) expect(s.startsAt.getTime()).to.be.greaterThan(notBefore.getTime());
      expect(result.slots.filter((s) => s.channel === 'x')).to.have.length(35);
      expectSpacing('x', result.slots.filter((s) => s.channel === 'x').map((s) => s.startsAt), PARIS);
      expect(result.unplaced).to.deep.equal([{ channel: 'newsletter', count: 10 - newsletters.length }]);
      expect(newsletters.length).to.be.within(3, 9);
    });

    it('SMS items of the month stay Mon–Sat 08:00–20:00 and off holidays', () => {
      const { slots } = distributeMonth({ month: '2026-05', timezone: PARIS, audience: 'local', plan: [{ channel: 'sms', count: 6 }] });
      expect(slots).to.have.length(6);
      for (const s of slots) {
        const l = local(s.startsAt, PARIS);
        expect(l.weekday).to.be.within(1, 6);
        expect(l.hour).to.be.within(8, 19);
        expect(isFrenchPublicHoliday(l.toISODate()!)).to.equal(false);
      }
    });
  });
});
