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
