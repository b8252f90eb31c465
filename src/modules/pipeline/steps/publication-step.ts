import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/** Step "publication" — being built. */
export class PublicationStep implements StepHandler {
  readonly name = 'publication' as const;

  async execute(_context: StepContext): Promise<StepOutcome> {
    throw new Error('pipeline: step publication is not built yet');
  }
}
