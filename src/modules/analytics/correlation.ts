/**
 * Pearson's correlation between two monthly series, and the plain words the client reads. A coefficient says how
 * closely two figures evolve together over the months measured; it never says that one causes the other, and the
 * number of months behind it is always shown with it.
 */

export interface Correlation {
  /** Pearson's r, in [-1, 1]. */
  r: number;
  /** Months (pairs) that had a value on both sides. */
  n: number;
}

export type CorrelationStrength = 'none' | 'weak' | 'moderate' | 'strong';

/** Below this many pairs a coefficient means nothing (two points always lie on a line). */
export const MIN_PAIRS = 3;

/**
 * r over the pairs where both values are known (a null on either side drops the pair); null when fewer than
 * `MIN_PAIRS` pairs remain or when either side does not vary (r is undefined then).
 */
export function pearson(xs: readonly (number | null)[], ys: readonly (number | null)[]): Correlation | null {
  if (xs.length !== ys.length) throw new RangeError('pearson: series of different lengths');
  const pairs: [number, number][] = [];
  xs.forEach((x, i) => {
    const y = ys[i];
    if (x !== null && y !== null && Number.isFinite(x) && Number.isFinite(y)) pairs.push([x, y]);
  });
  const n = pairs.length;
  if (n < MIN_PAIRS) return null;
  // Two passes (means first): the one-pass formula loses precision on large, close values such as revenue in cents.
  const meanX = pairs.reduce((s, [x]) => s + x, 0) / n;
  const meanY = pairs.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    const dx = x - meanX;
    const dy = y - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return { r: Math.max(-1, Math.min(1, r)), n };
}

/** |r| < 0.2 none, < 0.4 weak, < 0.7 moderate, else strong (the usual plain-language scale). */
export function correlationStrength(r: number): CorrelationStrength {
  const a = Math.abs(r);
  if (a < 0.2) return 'none';
  if (a < 0.4) return 'weak';
  if (a < 0.7) return 'moderate';
  return 'strong';
}

/** Fewer months than this: the coefficient is shown as indicative only. */
export const FEW_MONTHS = 6;
