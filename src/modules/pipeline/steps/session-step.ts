import type { StepContext, StepHandler, StepOutcome } from '../ports.js';

/** Step "session" — being built. */
export class SessionStep implements StepHandler {
  readonly name = 'session' as const;

  async execute(_context: StepContext): Promise<StepOutcome> {
    throw new Error('pipeline: step session is not built yet');
  }
}
