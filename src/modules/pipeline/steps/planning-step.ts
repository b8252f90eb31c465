import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/** Step "planning" — being built. */
export class PlanningStep implements StepHandler {
  readonly name = 'planning' as const;

  async execute(_context: StepContext): Promise<StepOutcome> {
    throw new Error('pipeline: step planning is not built yet');
  }
}
