import { expect } from 'chai';
import { correlationStrength, pearson } from '../../../../src/modules/analytics/correlation.js';

describe('Correlation (Pearson)', () => {
  it('matches hand-computed coefficients', () => {
    // means 3 and 3; Σdx·dy = 8, Σdx² = 10, Σdy² = 10 → r = 8 / 10
    const a = pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])!;
    expect(a.n).to.equal(5);
    expect(a.r).to.be.closeTo(0.8, 1e-12);
    // means 2 and 13/3; Σdx·dy = 5, Σdx² = 2, Σdy² = 114/9 → r = 5 / √(228/9) ≈ 0.99340
    const b = pearson([1, 2, 3], [2, 4, 7])!;
    expect(b.n).to.equal(3);
    expect(b.r).to.be.closeTo(5 / Math.sqrt(228 / 9), 1e-12);
    expect(b.r).to.be.closeTo(0.9934, 1e-4);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])!.r).to.be.closeTo(-1, 1e-12);
  });

  it("gives Anscombe's quartet its published r ≈ 0.816", () => {
    const x = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5];
    const y1 = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68];
    const y2 = [9.14, 8.14, 8.74, 8.77, 9.26, 8.1, 6.13, 3.1, 9.13, 7.26, 4.74];
    expect(pearson(x, y1)).to.deep.include({ n: 11 });
    expect(pearson(x, y1)!.r).to.be.closeTo(0.8164, 1e-4);
    expect(pearson(x, y2)!.r).to.be.closeTo(0.8162, 1e-4);
  });

  it('drops the months missing on either side and counts only the pairs left', () => {
    const c = pearson([1, null, 3, 4, 5], [2, 9, 6, null, 10])!;
    expect(c.n).to.equal(3); // (1,2) (3,6) (5,10)
    expect(c.r).to.be.closeTo(1, 1e-12);
  });

  it('is null under three pairs or when a side does not vary', () => {
    expect(pearson([], [])).to.equal(null);
    expect(pearson([1, 2], [3, 5])).to.equal(null);
    expect(pearson([1, 2, null], [3, 5, 8])).to.equal(null);
    expect(pearson([1, 2, 3], [5, 5, 5])).to.equal(null);
    expect(pearson([7, 7, 7, 7], [1, 2, 3, 4])).to.equal(null);
    expect(() => pearson([1, 2, 3], [1, 2])).to.throw(RangeError);
  });

  it('keeps precision on large close values (revenue in cents)', () => {
    const base = 1_000_000_000_00;
    const r = pearson([base + 1, base + 2, base + 3, base + 4, base + 5], [2, 1, 4, 3, 5])!.r;
    expect(r).to.be.closeTo(0.8, 1e-9);
  });

  it('labels the strength by |r| (none, weak, moderate, strong), whatever the sign', () => {
    expect(correlationStrength(0)).to.equal('none');
    expect(correlationStrength(0.19)).to.equal('none');
    expect(correlationStrength(-0.2)).to.equal('weak');
    expect(correlationStrength(0.39)).to.equal('weak');
    expect(correlationStrength(0.4)).to.equal('moderate');
    expect(correlationStrength(-0.69)).to.equal('moderate');
    expect(correlationStrength(0.7)).to.equal('strong');
    expect(correlationStrength(-1)).to.equal('strong');
  });
});
