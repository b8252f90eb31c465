import type { JobDefinition } from '../../shared/jobs.js';
import type { OnboardingProcessor } from './onboarding-processor.js';

/**
 * - `brand:process-onboarding-input` `{ tenantId, inputId }`: transcribes / extracts / reads one input. Uploads are
 *   processed at once in the web process; this job is the same idempotent work for a worker (a re-run of a finished
 *   input does nothing).
 * - `brand:extract-onboarding-dna` `{ tenantId, sessionId }`: the DNA extraction of a wizard that asked for it.
 * - `brand:resume-onboarding` (every minute): picks up inputs and extractions left pending by a restart or whose
 *   worker died, each in its tenant's context.
 */
export function onboardingJobs(cradle: { onboardingProcessor: OnboardingProcessor }): JobDefinition[] {
  const processor = cradle.onboardingProcessor;
  return [
    {
      name: 'brand:process-onboarding-input',
      run: (data) => processor.processInput(requireString(data, 'tenantId'), requireString(data, 'inputId')),
    },
    {
      name: 'brand:extract-onboarding-dna',
      run: (data) => processor.runExtraction(requireString(data, 'tenantId'), requireString(data, 'sessionId')),
    },
    { name: 'brand:resume-onboarding', every: '1 minute', run: () => processor.sweep() },
  ];
}

function requireString(data: Record<string, unknown>, key: string): string {
  const value = data[key];
  if (typeof value !== 'string' || !value) throw new Error(`job data: ${key} is required`);
  return value;
}
