import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Parses input at the edge. Schemas carry i18n keys as their messages (`tenancy.errors.emailInvalid`), so
 * the form shows them in the user's language.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fieldErrors: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '_form');
    fieldErrors[field] ??= issue.message.includes('.') && !issue.message.includes(' ') ? issue.message : 'common.errors.invalidValue';
  }
  throw new ValidationError(fieldErrors);
}
