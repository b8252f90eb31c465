/**
 * Runs the queries of one transaction one after the other and returns their results in order. A transaction is one
 * connection, and a connection runs one query at a time: `Promise.all` on it only queues them in the driver (which
 * pg deprecates). Knex builders do not run until awaited, so they can be listed first and awaited here.
 */
export async function oneByOne<T extends readonly unknown[]>(queries: readonly [...T]): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results: unknown[] = [];
  for (const query of queries) results.push(await query);
  return results as { -readonly [K in keyof T]: Awaited<T[K]> };
}
