/**
 * The load generator, run as a child process by `load.ts`: argv[2] is the JSON of LoadOptions; prints the
 * JSON of a LoadResult on stdout. Latencies are kept per response because autocannon reports no p95.
 */
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './load.js';

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const statusCodes: Record<string, number> = {};
let errors = 0;

function cannon(seconds: number, latencies?: number[]): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: options.url, connections: options.connections, duration: seconds, headers: options.headers ?? {} },
      (err, result) => {
        if (err) return reject(err);
        errors += result.errors; // timeouts included
        resolve(result);
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
      latencies?.push(responseTime);
    });
  });
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

if (options.warmupSeconds > 0) await cannon(options.warmupSeconds);
const latencies: number[] = [];
const result = await cannon(options.durationSeconds, latencies);
latencies.sort((a, b) => a - b);

const figures: LoadResult = {
  rps: round(result.requests.total / result.duration, 1),
  p50_ms: round(percentile(latencies, 50)),
  p95_ms: round(percentile(latencies, 95)),
  requests: result.requests.total,
  non_200: Object.entries(statusCodes).reduce((n, [code, count]) => (code === '200' ? n : n + count), 0),
  errors,
  status_codes: statusCodes,
};
process.stdout.write(JSON.stringify(figures));
