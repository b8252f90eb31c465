/**
 * The AI provider emulator in a process of its own, for `bench/pipeline.ts`: its CPU is not the orchestrator's.
 * argv[2] = JSON `{ latencyMs: [min, max] }`. Prints `{ "url": … }` once listening; on each line `stats` read
 * from stdin prints `{ "requests": n, "byPath": {…} }`; exits on SIGTERM or when stdin closes. It keeps no request
 * bodies (a long run would otherwise grow it without bound).
 */
import readline from 'node:readline';
import { startAiEmulator } from '../../test/support/ai-emulator/index.js';

const { latencyMs } = JSON.parse(process.argv[2] ?? '{}') as { latencyMs?: [number, number] };
const emulator = await startAiEmulator();
emulator.latencyMs = latencyMs ?? [1000, 3000];

let requests = 0;
const byPath: Record<string, number> = {};
// The emulator records every request: count them and let the array go.
const flush = () => {
  for (const r of emulator.requests) {
    requests++;
    const key = `${r.provider} ${r.path.split('?')[0]}`;
    byPath[key] = (byPath[key] ?? 0) + 1;
  }
  emulator.requests.length = 0;
};
setInterval(flush, 250).unref();

const stop = async () => {
  await emulator.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stats') return;
  flush();
  process.stdout.write(`${JSON.stringify({ requests, byPath })}\n`);
}).on('close', () => void stop());

process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
