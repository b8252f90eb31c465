import { expect } from 'chai';
import { DateTime } from 'luxon';
import { TenantSlotPlanner } from '../../../../src/modules/calendar/slot-planner.js';
import type { SlotPlanner } from '../../../../src/modules/calendar/ports.js';
import { AppError } from '../../../../src/shared/errors.js';
import { createTenant } from '../../../support/tenants.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createCalendarContent, database, setPreferences } from './calendar-fixtures.js';

const ZONE = 'Europe/Paris';

/** The container's planner, reading the real database, with the clock frozen at `now`. */
function plannerAt(now: string): TenantSlotPlanner {
  return new TenantSlotPlanner({ calendarRepository: testEnv().container.cradle.calendarRepository, clock: { now: () => new Date(now) } });
}

const local = (d: Date, zone = ZONE) => DateTime.fromJSDate(d, { zone }).toFormat("ccc yyyy-MM-dd HH:mm ZZ");

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.an.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('Editorial calendar: slot planner (database, tenant zone)', function () {
  this.timeout(30_000);
  let tenantId: string;

  beforeEach(async () => {
    tenantId = (await createTenant(database())).id; // Europe/Paris by default, no slot, no preference
  });

  it('is registered as `slotPlanner` and implements the port', () => {
    const planner: SlotPlanner = testEnv().container.cradle.slotPlanner;
    expect(planner).to.be.an.instanceOf(TenantSlotPlanner);
  });

  it('uses the local-audience defaults in the tenant’s zone when it has no preference', async () => {
    // Tuesday 20 October 2026, 12:00 in Paris: Tuesday 12:30 is still ahead
    const slot = await plannerAt('2026-10-20T10:00:00Z').nextFreeSlot(tenantId, 'linkedin');
    expect(slot.toISOString()).to.equal('2026-10-20T10:30:00.000Z');
    // a facebook slot for a local business: Thursday/Friday 11:00 are its best
    const facebook = await plannerAt('2026-10-20T10:00:00Z').nextFreeSlot(tenantId, 'facebook');
    expect(local(facebook)).to.equal('Wed 2026-10-21 12:30 +02:00');
  });

  it('follows the tenant’s time zone', async () => {
    const nyc = (await createTenant(database())).id;
    await database().asPlatform((trx) => trx('tenants').where({ id: nyc }).update({ timezone: 'America/New_York' }));
    const slot = await plannerAt('2026-10-20T10:00:00Z').nextFreeSlot(nyc, 'linkedin');
    // 06:00 in New York: the first slot is Tuesday 08:30 EDT
    expect(local(slot, 'America/New_York')).to.equal('Tue 2026-10-20 08:30 -04:00');
    expect(slot.toISOString()).to.equal('2026-10-20T12:30:00.000Z');
  });

  describe('across daylight-saving changes (Europe/Paris)', () => {
    it('autumn, 25 October 2026: Friday 08:30 is 06:30Z, the Monday after is 07:30Z', async () => {
      await setPreferences(tenantId, 'x', [
        { weekday: 5, localTime: '08:30' },
        { weekday: 1, localTime: '08:30' },
      ]);
      const planner = plannerAt('2026-10-22T12:00:00Z');
      const slots = await planner.suggestions(tenantId, 'x', { count: 2 });
      expect(slots.map((d) => d.toISOString())).to.deep.equal(['2026-10-23T06:30:00.000Z', '2026-10-26T07:30:00.000Z']);
      // the day of the change has no slot: the first valid one after it
      const onSunday = await planner.nextFreeSlot(tenantId, 'x', { onDate: '2026-10-25' });
      expect(onSunday.toISOString()).to.equal('2026-10-26T07:30:00.000Z');
    });

    it('autumn: an ambiguous 02:30 on the day of the change takes its first occurrence (CEST)', async () => {
      await setPreferences(tenantId, 'instagram', [{ weekday: 7, localTime: '02:30' }]);
      const slot = await plannerAt('2026-10-20T10:00:00Z').nextFreeSlot(tenantId, 'instagram', { onDate: '2026-10-25' });
      expect(slot.toISOString()).to.equal('2026-10-25T00:30:00.000Z');
      expect(local(slot)).to.equal('Sun 2026-10-25 02:30 +02:00');
    });

    it('spring, 28 March 2027: Friday 08:30 is 07:30Z, Monday 06:30Z; a nonexistent 02:30 moves to 03:00', async () => {
      await setPreferences(tenantId, 'x', [
        { weekday: 5, localTime: '08:30' },
        { weekday: 1, localTime: '08:30' },
      ]);
      const planner = plannerAt('2027-03-24T12:00:00Z');
      const slots = await planner.suggestions(tenantId, 'x', { count: 2 });
      expect(slots.map((d) => d.toISOString())).to.deep.equal(['2027-03-26T07:30:00.000Z', '2027-03-29T06:30:00.000Z']);

      await setPreferences(tenantId, 'instagram', [{ weekday: 7, localTime: '02:30' }]);
      const gap = await planner.nextFreeSlot(tenantId, 'instagram', { onDate: '2027-03-28' });
      expect(gap.toISOString()).to.equal('2027-03-28T01:00:00.000Z');
      expect(local(gap)).to.equal('Sun 2027-03-28 03:00 +02:00');
    });

    it('a week of default slots keeps its local times on both sides of the change', async () => {
      const planner = plannerAt('2026-10-19T05:00:00Z');
      const slots = await planner.suggestions(tenantId, 'x', { count: 16 });
      const times = new Set(slots.map((d) => DateTime.fromJSDate(d, { zone: ZONE }).toFormat('HH:mm')));
      expect([...times].sort()).to.deep.equal(['08:30', '12:30']);
      const offsets = new Set(slots.map((d) => DateTime.fromJSDate(d, { zone: ZONE }).offset));
      expect([...offsets].sort((a, b) => a - b)).to.deep.equal([60, 120]); // both CEST and CET instants
    });
  });

  describe('spacing against the tenant’s other slots', () => {
    it('skips a slot too close to another content of the channel; cancelled slots and the excluded content do not count', async () => {
      const planner = plannerAt('2026-10-20T10:00:00Z');
      const first = await planner.nextFreeSlot(tenantId, 'linkedin');
      expect(first.toISOString()).to.equal('2026-10-20T10:30:00.000Z');
      const holder = await createCalendarContent(tenantId, { channel: 'linkedin', startsAt: first });
      // LinkedIn: one a day, at least 18 h apart → the next is Wednesday 08:30 (20 h later)
      const second = await planner.nextFreeSlot(tenantId, 'linkedin');
      expect(second.getTime() - first.getTime()).to.be.at.least(18 * 3_600_000);
      expect(local(second)).to.equal('Wed 2026-10-21 08:30 +02:00');
      // the content itself, when moved, does not block its own slot
      const own = await planner.nextFreeSlot(tenantId, 'linkedin', { excludeContentId: holder });
      expect(own.toISOString()).to.equal(first.toISOString());
      // another channel is not affected
      expect((await planner.nextFreeSlot(tenantId, 'x')).toISOString()).to.equal('2026-10-20T10:30:00.000Z');
      // a cancelled slot frees its place
      await database().forTenant(tenantId, (trx) => trx('calendarSlots').where({ tenantId, contentId: holder }).update({ status: 'cancelled' }));
      expect((await planner.nextFreeSlot(tenantId, 'linkedin')).toISOString()).to.equal(first.toISOString());
    });

    it('another tenant’s slots never count', async () => {
      const other = (await createTenant(database())).id;
      await createCalendarContent(other, { channel: 'newsletter', startsAt: new Date('2026-10-22T08:00:00Z') });
      const slot = await plannerAt('2026-10-20T10:00:00Z').nextFreeSlot(tenantId, 'newsletter');
      expect(local(slot)).to.equal('Thu 2026-10-22 10:00 +02:00');
    });

    it('keeps several slots of a channel apart (newsletter: 72 h)', async () => {
      const slots = await plannerAt('2026-10-20T10:00:00Z').suggestions(tenantId, 'newsletter', { count: 4 });
      expect(slots).to.have.length(4);
      for (let i = 1; i < slots.length; i++) expect(slots[i].getTime() - slots[i - 1].getTime()).to.be.at.least(72 * 3_600_000);
    });
  });

  describe('after / onDate', () => {
    it('`after` pushes the search; `onDate` gives the best slot of that day', async () => {
      const planner = plannerAt('2026-10-20T10:00:00Z');
      const after = await planner.nextFreeSlot(tenantId, 'linkedin', { after: new Date('2026-11-02T12:00:00Z') });
      expect(local(after)).to.equal('Tue 2026-11-03 08:30 +01:00');
      // Friday 6 November, local facebook defaults: Friday 11:00 (weight 1) beats 17:00
      const friday = await planner.nextFreeSlot(tenantId, 'facebook', { onDate: '2026-11-06' });
      expect(local(friday)).to.equal('Fri 2026-11-06 11:00 +01:00');
      // SMS on a Sunday: the first valid day after (Tuesday 11:00 for a local business)
      const sms = await planner.nextFreeSlot(tenantId, 'sms', { onDate: '2026-11-08' });
      expect(local(sms)).to.equal('Tue 2026-11-10 11:00 +01:00');
    });

    it('refuses a malformed date and an unknown channel (422)', async () => {
      const planner = plannerAt('2026-10-20T10:00:00Z');
      expect((await rejection(planner.nextFreeSlot(tenantId, 'linkedin', { onDate: '2026-02-30' }))).code).to.equal('calendar.errors.invalidSlot');
      const unknown = await rejection(planner.nextFreeSlot(tenantId, 'myspace' as never));
      expect(unknown.code).to.equal('calendar.errors.unknownChannel');
      expect(unknown.status).to.equal(422);
    });

    it('says so when no slot can be found (every preference disabled)', async () => {
      await setPreferences(tenantId, 'blog', [{ weekday: 2, localTime: '08:00', weight: 0 }]);
      const err = await rejection(plannerAt('2026-10-20T10:00:00Z').nextFreeSlot(tenantId, 'blog'));
      expect(err.code).to.equal('calendar.errors.noFreeSlot');
      expect(err.status).to.equal(422);
    });
  });

  describe('assertSlot', () => {
    const planner = () => plannerAt('2026-10-20T10:00:00Z');

    it('accepts a future slot and refuses past, too far and SMS quiet hours with 422', async () => {
      await planner().assertSlot(tenantId, 'linkedin', new Date('2026-10-21T07:00:00Z'));
      const past = await rejection(planner().assertSlot(tenantId, 'linkedin', new Date('2026-10-20T09:59:00Z')));
      expect([past.code, past.status]).to.deep.equal(['calendar.errors.slotInPast', 422]);
      const far = await rejection(planner().assertSlot(tenantId, 'linkedin', new Date('2027-10-21T10:00:00Z')));
      expect(far.code).to.equal('calendar.errors.slotTooFar');
      // Sunday 25 October 11:00 in Paris, and Monday 26 at 20:30
      expect((await rejection(planner().assertSlot(tenantId, 'sms', new Date('2026-10-25T10:00:00Z')))).code).to.equal('calendar.errors.smsQuietHours');
      expect((await rejection(planner().assertSlot(tenantId, 'sms', new Date('2026-10-26T19:30:00Z')))).code).to.equal('calendar.errors.smsQuietHours');
      await planner().assertSlot(tenantId, 'sms', new Date('2026-10-26T18:30:00Z')); // 19:30 CET
      expect((await rejection(planner().assertSlot(tenantId, 'fax' as never, new Date('2026-10-26T18:30:00Z')))).code).to.equal('calendar.errors.unknownChannel');
    });
  });
});
