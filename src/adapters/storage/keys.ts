import { InvalidStorageKeyError } from '../../modules/brand/media-ports.js';

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_KEY_LENGTH = 1024;

/**
 * Refuses any key that could leave its place: empty, absolute, `\`, control characters, empty segments, `.` or
 * `..` segments, characters outside `[A-Za-z0-9._-]`. Returns the segments.
 */
export function keySegments(key: string): string[] {
  if (typeof key !== 'string' || !key || key.length > MAX_KEY_LENGTH) throw new InvalidStorageKeyError(String(key));
  const segments = key.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') throw new InvalidStorageKeyError(key);
  }
  return segments;
}

/** A prefix is a whole number of segments; a trailing `/` is allowed. */
export function prefixSegments(prefix: string): string[] {
  return keySegments(typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
