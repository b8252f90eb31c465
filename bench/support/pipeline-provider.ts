import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pipeline-emulator.ts');

export interface EmulatorProcess {
  url: string;
  pid: number;
  /** Requests answered so far, per provider and path. */
  stats(): Promise<{ requests: number; byPath: Record<string, number> }>;
  stop(): Promise<void>;
}

/** Starts the AI emulator in its own process (bench/support/pipeline-emulator.ts) with a random latency per answer. */
export function startEmulatorProcess(latencyMs: [number, number]): Promise<EmulatorProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify({ latencyMs })], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: proc.stdout });
    const waiting: ((line: string) => void)[] = [];
    let started = false;
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (!started) reject(new Error(`AI emulator process exited with code ${code}`));
    });
    lines.on('line', (line) => {
      if (!started) {
        started = true;
        const exited = new Promise<void>((r) => proc.on('exit', () => r()));
        resolve({
          url: (JSON.parse(line) as { url: string }).url,
          pid: proc.pid!,
          stats: () =>
            new Promise((r) => {
              waiting.push((l) => r(JSON.parse(l)));
              proc.stdin.write('stats\n');
            }),
          stop: async () => {
            proc.kill('SIGTERM');
            await exited;
          },
        });
        return;
      }
      waiting.shift()?.(line);
    });
  });
}

/** Environment variables pointing every provider SDK at the emulator (same as the tests' `providerEnv`). */
export function emulatorEnv(url: string): Record<string, string> {
  return {
    ANTHROPIC_API_KEY: 'sk-ant-bench',
    ANTHROPIC_BASE_URL: `${url}/anthropic`,
    OPENAI_API_KEY: 'sk-openai-bench',
    OPENAI_BASE_URL: `${url}/openai/v1`,
    MISTRAL_API_KEY: 'mistral-bench',
    MISTRAL_BASE_URL: `${url}/mistral`,
  };
}
