import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';

/** A malformed id is simply not found: the same answer as another tenant's id. */
export function uuidParam(value: unknown): string {
  if (!isUuid(value)) throw new NotFoundError();
  return value;
}
