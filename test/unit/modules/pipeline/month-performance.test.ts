import { expect } from 'chai';
import fc from 'fast-check';
import {
  engagementScore,
  evergreenSelection,
  evergreenWindow,
  measurableFrom,
  median,
  monthPeriod,
  topContents,
  withScore,
} from '../../../../src/modules/pipeline/month-performance.js';

const PARIS = 'Europe/Paris';
const zero = { impressions: 0, reactions: 0, comments: 0, shares: 0, clicks: 0 };

describe('pipeline month performance', () => {
  describe('engagementScore', () => {
    it('weighs reactions 1, comments 2, shares 3, clicks 2 and ignores impressions', () => {
      expect(engagementScore({ impressions: 1000, reactions: 30, comments: 5, shares: 2, clicks: 8 })).to.equal(30 + 10 + 6 + 16);
      expect(engagementScore({ ...zero, impressions: 5000 })).to.equal(0);
    });

    it('is additive, so a channel scores the sum of its contents', () => {
      const counts = fc.nat({ max: 100_000 });
      const engagement = fc.record({ impressions: counts, reactions: counts, comments: counts, shares: counts, clicks: counts });
      fc.assert(
        fc.property(engagement, engagement, (a, b) => {
          const sum = {
            impressions: a.impressions + b.impressions,
            reactions: a.reactions + b.reactions,
            comments: a.comments + b.comments,
            shares: a.shares + b.shares,
            clicks: a.clicks + b.clicks,
          };
          return engagementScore(sum) === engagementScore(a) + engagementScore(b);
        }),
      );
    });
  });

  describe('median', () => {
    it('is the middle value, or the mean of the two middle ones, whatever the order', () => {
      expect(median([5, 1, 3])).to.equal(3);
      expect(median([10, 1, 4, 7])).to.equal(5.5);
      expect(median([42])).to.equal(42);
      expect(median([])).to.equal(null);
    });

    it('does not reorder its input', () => {
      const values = [3, 1, 2];
      median(values);
      expect(values).to.deep.equal([3, 1, 2]);
    });
  });

  describe('evergreenSelection', () => {
    const content = (contentId: string, score: number, recyclable = true) => ({ contentId, score, recyclable });

    it('keeps recyclable contents strictly above the median of every measured content', () => {
      // scores 5, 28, 50, 62, 100: median 50 — the SMS (100) counts in the median but is never proposed
      const { median: m, selected } = evergreenSelection([
        content('a', 62),
        content('b', 50),
        content('c', 28),
        content('sms', 100, false),
        content('d', 5),
      ]);
      expect(m).to.equal(50);
      expect(selected.map((c) => c.contentId)).to.deep.equal(['a']);
    });

    it('records a half median rounded down, without changing who is above it', () => {
      const { median: m, selected } = evergreenSelection([content('a', 10), content('b', 11), content('c', 20), content('d', 1)]);
      expect(m).to.equal(10); // 10.5
      expect(selected.map((c) => c.contentId)).to.deep.equal(['b', 'c']);
    });

    it('proposes nothing from a single content or an empty window', () => {
      expect(evergreenSelection([content('a', 99)]).selected).to.deep.equal([]);
      expect(evergreenSelection([])).to.deep.equal({ median: 0, selected: [] });
    });
  });

  describe('topContents', () => {
    it('orders by score, then impressions, then id, leaves unengaged contents out and keeps five', () => {
      const rows = [
        { contentId: 'b', ...zero, impressions: 10, reactions: 4 },
        { contentId: 'a', ...zero, impressions: 10, reactions: 4 },
        { contentId: 'c', ...zero, impressions: 90, reactions: 4 },
        { contentId: 'd', ...zero, shares: 3 },
        { contentId: 'e', ...zero, comments: 1 },
        { contentId: 'f', ...zero, clicks: 5 },
        { contentId: 'g', ...zero, impressions: 1000 },
      ].map(withScore);
      expect(topContents(rows).map((c) => c.contentId)).to.deep.equal(['f', 'd', 'c', 'a', 'b']);
      expect(topContents(rows, 10).map((c) => c.contentId)).to.not.include('g');
    });
  });

  describe('periods', () => {
    it('bounds the month at midnight in the tenant zone', () => {
      const march = monthPeriod('2026-03-01', PARIS);
      expect(march.from.toISOString()).to.equal('2026-02-28T23:00:00.000Z');
      expect(march.to.toISOString()).to.equal('2026-03-31T22:00:00.000Z'); // summer time since 29 March
      expect([march.firstDay, march.lastDay, march.endDay]).to.deep.equal(['2026-03-01', '2026-03-31', '2026-04-01']);
    });

    it('waits two days after the month ends before measuring', () => {
      expect(measurableFrom('2026-03-01', PARIS).toISOString()).to.equal('2026-04-02T22:00:00.000Z');
      expect(measurableFrom('2026-12-01', 'America/New_York').toISOString()).to.equal('2027-01-03T05:00:00.000Z');
    });

    it('looks 90 days back from the end of the month for evergreen contents', () => {
      const window = evergreenWindow('2026-03-01', PARIS);
      expect([window.firstDay, window.lastDay, window.endDay]).to.deep.equal(['2026-01-01', '2026-03-31', '2026-04-01']);
      expect(window.from.toISOString()).to.equal('2025-12-31T23:00:00.000Z');
    });
  });
});
