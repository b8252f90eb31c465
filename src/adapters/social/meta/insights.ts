import { PublishError } from '../../../modules/publishing/ports.js';

/**
 * Graph insights answers: `{ data: [{ name, values: [{ value }] }] }`, or `total_value: { value }` for metrics read
 * with `metric_type=total_value`. The last value of each metric, by name (0 for a non-numeric value).
 */
export function insightValues(insights: any): Record<string, number> {
  const values: Record<string, number> = {};
  for (const metric of insights?.data ?? []) {
    if (typeof metric?.name !== 'string') continue;
    const series = Array.isArray(metric.values) ? metric.values : [];
    const raw = metric.total_value?.value ?? series[series.length - 1]?.value;
    values[metric.name] = typeof raw === 'number' ? raw : Number(raw) || 0;
  }
  return values;
}

/** A post or media deleted on the network: Graph answers "object does not exist" (code 100/803, or 404). */
export function isGone(err: unknown): boolean {
  return err instanceof PublishError && err.kind === 'permanent' && (err.code === 'accountNotConnected' || (err.code === 'contentRejected' && /does not exist|\(code 100\/33\)/i.test(err.message)));
}
