import { expect } from 'chai';
import { parseFilter, safeColor, type CalendarItem } from '../../../../src/modules/calendar/calendar-domain.js';
import {
  formatters,
  listDays,
  monthWeeks,
  parseIsoDate,
  periodOf,
  placeItems,
  weekGrid,
  windowOf,
} from '../../../../src/modules/calendar/calendar-view.js';

const item = (startsAt: string, extra: Partial<CalendarItem> = {}): CalendarItem => ({
  contentId: `id-${startsAt}`,
  channel: 'linkedin',
  status: 'scheduled',
  title: 't',
  excerpt: '',
  campaignId: null,
  campaignName: null,
  campaignColor: null,
  startsAt: new Date(startsAt),
  slotStatus: 'confirmed',
  slotSource: 'optimal',
  updatedAt: new Date(startsAt),
  ...extra,
});

describe('Calendar views (pure)', () => {
  describe('periods', () => {
    it('month: whole weeks from Monday to Sunday around the month, neighbours by month', () => {
      const p = periodOf('month', '2026-10-14', '2026-10-20');
      // 1 October 2026 is a Thursday; 31 October a Saturday
      expect(p).to.deep.include({ start: '2026-09-28', end: '2026-11-02', prev: '2026-09-01', next: '2026-11-01', today: '2026-10-20' });
    });

    it('month starting on a Monday and ending on a Sunday needs no neighbour days (February 2027)', () => {
      // 1 February 2027 is a Monday, 28 February a Sunday
      expect(periodOf('month', '2027-02-10', '2027-02-10')).to.deep.include({ start: '2027-02-01', end: '2027-03-01' });
    });

    it('week: Monday to Monday, neighbours by a week', () => {
      expect(periodOf('week', '2026-10-25', '2026-10-20')).to.deep.include({ start: '2026-10-19', end: '2026-10-26', prev: '2026-10-18', next: '2026-11-01' });
    });

    it('list: the calendar month', () => {
      expect(periodOf('list', '2026-12-31', '2026-10-20')).to.deep.include({ start: '2026-12-01', end: '2027-01-01', prev: '2026-11-01', next: '2027-01-01' });
    });

    it('the window is local midnights in the zone, across a daylight-saving change', () => {
      const w = windowOf(periodOf('month', '2026-10-01', '2026-10-01'), 'Europe/Paris');
      expect(w.from.toISOString()).to.equal('2026-09-27T22:00:00.000Z'); // 28 Sept 00:00 CEST
      expect(w.to.toISOString()).to.equal('2026-11-01T23:00:00.000Z'); // 2 Nov 00:00 CET
    });

    it('parses anchor dates strictly', () => {
      expect(parseIsoDate('2026-10-25')).to.equal('2026-10-25');
      for (const bad of ['2026-02-30', '2026-1-5', '26-10-25', '1999-12-31', '2101-01-01', 42, undefined, '2026-10-25T00:00']) expect(parseIsoDate(bad), String(bad)).to.equal(null);
    });
  });

  describe('grids', () => {
    const period = periodOf('month', '2026-10-01', '2026-10-20');
    // 23:30Z on 24 Oct is 01:30 CEST on the 25th; 23:30Z on 25 Oct is 00:30 CET on the 26th
    const items = [item('2026-10-24T23:30:00Z'), item('2026-10-25T23:30:00Z'), item('2026-10-20T06:30:00Z'), item('2026-09-28T10:00:00Z')];
    const placed = placeItems(items, 'Europe/Paris');

    it('places items on their local day and time', () => {
      expect(placed.map((p) => `${p.localDate} ${p.localTime}`)).to.deep.equal(['2026-09-28 12:00', '2026-10-20 08:30', '2026-10-25 01:30', '2026-10-26 00:30']);
    });

    it('month weeks: seven days a row, Monday first, outside days and today marked', () => {
      const weeks = monthWeeks(period, placed);
      expect(weeks).to.have.length(5);
      expect(weeks.every((w) => w.length === 7 && w[0].weekday === 1 && w[6].weekday === 7)).to.equal(true);
      const days = weeks.flat();
      expect(days.find((d) => d.date === '2026-09-28')).to.deep.include({ inMonth: false, isPast: true });
      expect(days.find((d) => d.date === '2026-10-20')).to.deep.include({ inMonth: true, isToday: true, isPast: false });
      expect(days.find((d) => d.date === '2026-10-25')!.items).to.have.length(1);
      expect(days.find((d) => d.date === '2026-10-26')!.items).to.have.length(1);
      expect(days.find((d) => d.date === '2026-10-24')!.items).to.have.length(0);
    });

    it('week grid: working hours always, plus the hours of items', () => {
      const week = weekGrid(periodOf('week', '2026-10-21', '2026-10-20'), placed);
      expect(week.days.map((d) => d.date)).to.deep.equal(['2026-10-19', '2026-10-20', '2026-10-21', '2026-10-22', '2026-10-23', '2026-10-24', '2026-10-25']);
      expect(week.hours.map((h) => h.hour)).to.deep.equal([1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
      const eight = week.hours.find((h) => h.hour === 8)!;
      expect(eight.cells[1]).to.have.length(1); // Tuesday 08:30
      expect(week.hours[0].cells[6]).to.have.length(1); // Sunday 01:30
    });

    it('list: only the days holding items, in order', () => {
      expect(listDays(periodOf('list', '2026-10-01', '2026-10-20'), placed).map((d) => d.date)).to.deep.equal(['2026-10-20', '2026-10-25', '2026-10-26']);
    });
  });

  describe('formatters', () => {
    it('French long dates and 24-hour times on the tenant’s clock', () => {
      const fmt = formatters('fr', 'Europe/Paris');
      expect(fmt.longDay('2026-10-25')).to.equal('dimanche 25 octobre 2026');
      expect(fmt.month('2026-10-01')).to.equal('Octobre 2026');
      expect(fmt.weekday(1)).to.equal('Lundi');
      expect(fmt.weekdayShort(7)).to.equal('Dim.');
      expect(fmt.time(new Date('2026-10-25T23:30:00Z'))).to.equal('00:30');
      expect(fmt.hour(8)).to.equal('08:00');
      expect(fmt.dateTime(new Date('2026-10-20T06:30:00Z'))).to.equal('mardi 20 octobre 2026 à 08:30');
    });

    it('English', () => {
      const fmt = formatters('en', 'Europe/Paris');
      expect(fmt.month('2026-10-01')).to.equal('October 2026');
      expect(fmt.longDay('2026-10-25')).to.equal('Sunday, October 25, 2026');
    });
  });

  describe('filters and colours', () => {
    it('keeps known channels, statuses and a uuid campaign; drops the rest', () => {
      expect(parseFilter({ channel: ['sms', 'myspace', 'sms'], status: 'draft,published,lost', campaign: '0f8fad5b-d9cb-469f-a165-70867728950e' })).to.deep.equal({
        channels: ['sms'],
        statuses: ['draft', 'published'],
        campaignId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      });
      expect(parseFilter({ campaign: 'x; drop table' })).to.deep.equal({ channels: [], statuses: [], campaignId: undefined });
    });

    it('only hex colours reach a style attribute', () => {
      expect(safeColor('#A1b2C3')).to.equal('#A1b2C3');
      for (const bad of ['red', '#fff', 'url(x)', '#1234567', null, undefined, '#12345g']) expect(safeColor(bad as string | null)).to.equal(null);
    });
  });
});
