import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/** Step "generation" — being built. */
export class GenerationStep implements StepHandler {
  readonly name = 'generation' as const;

  async execute(_context: StepContext): Promise<StepOutcome> {
    throw new Error('pipeline: step generation is not built yet');
  }
}
