import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/** Step "dna_merge" — being built. */
export class DnaMergeStep implements StepHandler {
  readonly name = 'dna_merge' as const;

  async execute(_context: StepContext): Promise<StepOutcome> {
    throw new Error('pipeline: step dna_merge is not built yet');
  }
}
