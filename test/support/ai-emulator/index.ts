import { anthropicModule } from './anthropic.js';
import { mistralModule } from './mistral.js';
import { openaiModule } from './openai.js';
import { AiEmulator } from './server.js';

export { AiEmulator } from './server.js';
export type { Fault, FaultMatch, RecordedRequest, EmulatedProvider } from './server.js';

/** Starts the Anthropic + OpenAI + Mistral emulator on 127.0.0.1 (random port). */
export function startAiEmulator(): Promise<AiEmulator> {
  return new AiEmulator([anthropicModule, openaiModule, mistralModule]).start();
}

/** Environment variables that point every provider SDK at the emulator (for `testConfig(...)`). */
export function providerEnv(emulator: AiEmulator): Record<string, string> {
  return {
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: emulator.baseUrl('anthropic'),
    OPENAI_API_KEY: 'sk-openai-test',
    OPENAI_BASE_URL: `${emulator.baseUrl('openai')}/v1`,
    MISTRAL_API_KEY: 'mistral-test',
    MISTRAL_BASE_URL: emulator.baseUrl('mistral'),
  };
}
