/**
 * A DATE column as written (`YYYY-MM-DD`). `pg` returns DATE columns as Dates at local midnight (see `knex.ts`):
 * read back in the local zone they give the same day.
 */
export function dateColumn(value: Date | string): string {
  if (typeof value === 'string') return value.slice(0, 10);
  return `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`;
}
