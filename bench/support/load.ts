import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoadOptions {
  url: string;
  connections: number;
  /** Measured seconds. */
  durationSeconds: number;
  /** Seconds of load before the measure, not counted. */
  warmupSeconds: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  /** Completed responses per second over the measured run. */
  rps: number;
  p50_ms: number;
  p95_ms: number;
  /** Responses in the measured run. */
  requests: number;
  /** Responses with another status than 200, warm-up included. */
  non_200: number;
  /** Connection errors and timeouts, warm-up included. */
  errors: number;
  /** Count of responses by status code, warm-up included. */
  status_codes: Record<string, number>;
}

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-child.ts');

/**
 * Loads `url` with autocannon from a second process (so the load generator does not share the event loop
 * of the server it measures) and returns what the child printed.
 */
export function loadTest(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with code ${code}`));
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch {
        reject(new Error(`load generator printed no result: ${out.slice(0, 200)}`));
      }
    });
  });
}
