import { expect } from 'chai';
import fc from 'fast-check';
import { canReserve, creditPeriodAt, creditsFor, grantKey, settlement } from '../../../../src/modules/billing/domain.js';

const d = (iso: string) => new Date(iso);

describe('Credit rules', () => {
  describe('canReserve', () => {
    it('refuses only when the balance would go below zero', () => {
      expect(canReserve(7, 7)).to.equal(true);
      expect(canReserve(6, 7)).to.equal(false);
      expect(canReserve(0, 1)).to.equal(false);
    });
  });

  describe('settlement', () => {
    it('below the hold: charges the real cost and gives the difference back', () => {
      expect(settlement(10, 4, 50)).to.deep.equal({ charged: 4, uncovered: 0, balanceDelta: 6 });
      expect(settlement(10, 0, 50)).to.deep.equal({ charged: 0, uncovered: 0, balanceDelta: 10 });
      expect(settlement(10, 10, 0)).to.deep.equal({ charged: 10, uncovered: 0, balanceDelta: 0 });
    });

    it('above the hold: charges the excess from the balance as far as it goes, never below zero', () => {
      expect(settlement(10, 15, 50)).to.deep.equal({ charged: 15, uncovered: 0, balanceDelta: -5 });
      expect(settlement(10, 15, 3)).to.deep.equal({ charged: 13, uncovered: 2, balanceDelta: -3 });
      expect(settlement(10, 15, 0)).to.deep.equal({ charged: 10, uncovered: 5, balanceDelta: 0 });
    });

    it('property: the balance stays ≥ 0, the charge never exceeds the cost, and the hold is fully accounted for', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 10_000 }), (held, actual, available) => {
          const { charged, uncovered, balanceDelta } = settlement(held, actual, available);
          expect(available + balanceDelta).to.be.at.least(0);
          expect(charged + uncovered).to.equal(actual);
          expect(charged).to.be.at.least(Math.min(actual, held));
          expect(uncovered).to.be.at.least(0);
          expect(balanceDelta).to.equal(held - charged);
          if (actual <= held + available) expect(uncovered).to.equal(0);
        }),
      );
    });
  });

  describe('creditsFor', () => {
    it('rounds up to whole credits: 0 for a free call, at least 1 for a paid one', () => {
      expect(creditsFor(0, 10_000)).to.equal(0);
      expect(creditsFor(1, 10_000)).to.equal(1);
      expect(creditsFor(10_000, 10_000)).to.equal(1);
      expect(creditsFor(10_001, 10_000)).to.equal(2);
      expect(creditsFor(0.5, 10_000)).to.equal(1);
      expect(creditsFor(123_456_789, 10_000)).to.equal(12_346);
    });

    it('rejects negative costs and non-positive rates', () => {
      expect(() => creditsFor(-1, 10_000)).to.throw(RangeError);
      expect(() => creditsFor(1, 0)).to.throw(RangeError);
      expect(() => creditsFor(Number.NaN, 10_000)).to.throw(RangeError);
    });

    it('property: the credits cover the cost, by less than one credit too many', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 1_000_000 }), (cost, rate) => {
          const credits = creditsFor(cost, rate);
          expect(credits).to.be.at.least(1);
          expect(credits * rate).to.be.at.least(cost);
          expect((credits - 1) * rate).to.be.below(cost);
        }),
      );
    });
  });

  describe('creditPeriodAt', () => {
    const monthly = { start: d('2026-03-01T00:00:00Z'), end: d('2026-04-01T00:00:00Z') };

    it('is the subscription period itself for a monthly plan (or a trial)', () => {
      expect(creditPeriodAt(monthly, d('2026-03-15T12:00:00Z'))).to.deep.equal(monthly);
      const trial = { start: d('2026-03-10T09:00:00Z'), end: d('2026-03-24T09:00:00Z') };
      expect(creditPeriodAt(trial, d('2026-03-11T00:00:00Z'))).to.deep.equal(trial);
    });

    it('cuts a yearly subscription into monthly windows from its start', () => {
      const yearly = { start: d('2026-01-15T00:00:00Z'), end: d('2027-01-15T00:00:00Z') };
      expect(creditPeriodAt(yearly, d('2026-06-20T00:00:00Z'))).to.deep.equal({ start: d('2026-06-15T00:00:00Z'), end: d('2026-07-15T00:00:00Z') });
      expect(creditPeriodAt(yearly, d('2026-06-15T00:00:00Z'))).to.deep.equal({ start: d('2026-06-15T00:00:00Z'), end: d('2026-07-15T00:00:00Z') });
      expect(creditPeriodAt(yearly, d('2026-12-31T00:00:00Z'))).to.deep.equal({ start: d('2026-12-15T00:00:00Z'), end: d('2027-01-15T00:00:00Z') });
    });

    it('continues month after month past the end of a subscription period not yet renewed', () => {
      expect(creditPeriodAt(monthly, d('2026-04-01T00:00:00Z'))).to.deep.equal({ start: d('2026-04-01T00:00:00Z'), end: d('2026-05-01T00:00:00Z') });
      expect(creditPeriodAt(monthly, d('2026-07-20T00:00:00Z'))).to.deep.equal({ start: d('2026-07-01T00:00:00Z'), end: d('2026-08-01T00:00:00Z') });
    });

    it('never drifts on month ends (counted from the anchor, not chained)', () => {
      const sub = { start: d('2026-01-01T00:00:00Z'), end: d('2026-01-31T00:00:00Z') };
      expect(creditPeriodAt(sub, d('2026-03-05T00:00:00Z'))).to.deep.equal({ start: d('2026-02-28T00:00:00Z'), end: d('2026-03-31T00:00:00Z') });
      expect(creditPeriodAt(sub, d('2026-04-01T00:00:00Z'))).to.deep.equal({ start: d('2026-03-31T00:00:00Z'), end: d('2026-04-30T00:00:00Z') });
    });

    it('grants nothing before the subscription starts', () => {
      expect(creditPeriodAt(monthly, d('2026-02-28T23:59:59Z'))).to.equal(null);
    });

    it('property: the period contains the instant, and lasts at most a month', () => {
      fc.assert(
        fc.property(
          fc.date({ min: d('2020-01-01T00:00:00Z'), max: d('2030-01-01T00:00:00Z'), noInvalidDate: true }),
          fc.integer({ min: 1, max: 400 }),
          fc.integer({ min: 0, max: 3000 }),
          (start, days, offsetDays) => {
            const sub = { start, end: new Date(start.getTime() + days * 86_400_000) };
            const now = new Date(start.getTime() + offsetDays * 86_400_000 + 1234);
            const period = creditPeriodAt(sub, now)!;
            expect(period.start.getTime()).to.be.at.most(now.getTime());
            expect(period.end.getTime()).to.be.greaterThan(now.getTime());
            expect(period.end.getTime() - period.start.getTime()).to.be.at.most(31 * 86_400_000);
          },
        ),
      );
    });
  });

  it('keys the grant by period, so it can never be given twice', () => {
    expect(grantKey(d('2026-03-01T00:00:00Z'))).to.equal('grant:2026-03-01T00:00:00.000Z');
  });
});
