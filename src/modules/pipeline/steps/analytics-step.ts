import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/** Step "analytics" — being built. */
export class AnalyticsStep implements StepHandler {
  readonly name = 'analytics' as const;

  async execute(_context: StepContext): Promise<StepOutcome> {
    throw new Error('pipeline: step analytics is not built yet');
  }
}
