import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/** Step "ingestion" — being built. */
export class IngestionStep implements StepHandler {
  readonly name = 'ingestion' as const;

  async execute(_context: StepContext): Promise<StepOutcome> {
    throw new Error('pipeline: step ingestion is not built yet');
  }
}
