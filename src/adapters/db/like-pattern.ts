/** A `LIKE`/`ILIKE` pattern matching `q` anywhere: `%` and `_` typed by the user are literal characters, not wildcards. */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
