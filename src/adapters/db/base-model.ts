import { Model } from 'objection';

/**
 * Base of every Objection model. Column names are mapped by Knex (knexSnakeCaseMappers), so models see
 * camelCase. Models are always queried with an explicit transaction from `Database.forTenant` or
 * `Database.asPlatform` — never bound to a global knex — so no query escapes the tenant context.
 */
export class BaseModel extends Model {
  static override get modelPaths(): string[] {
    return [];
  }
}
