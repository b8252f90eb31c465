import knexFactory, { type Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';
import pg from 'pg';
import { APP_ROLE } from './roles.js';

// bigint (counts, sums) as JS numbers: amounts are integer cents / micro-units well inside 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric stays a string (exact); dates as Date.

export interface KnexOptions {
  url: string;
  poolMax: number;
  /** Connections switch to the application role (row-level security applies). Off for migrations. */
  asAppRole: boolean;
}

export function createKnex({ url, poolMax, asAppRole }: KnexOptions): Knex {
  return knexFactory({
    client: 'pg',
    connection: url,
    pool: {
      min: 0,
      max: poolMax,
      afterCreate: asAppRole
        ? (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) => {
            conn.query(`SET ROLE ${APP_ROLE}`, (err) => done(err, conn));
          }
        : undefined,
    },
    ...knexSnakeCaseMappers(),
  });
}
