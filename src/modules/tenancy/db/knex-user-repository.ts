import type { Database } from '../../../adapters/db/database.js';
import type { User } from '../domain.js';
import type { UserRepository } from '../ports.js';
import { UserModel } from './models.js';

function toDomain(row: UserModel): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    locale: row.locale,
    status: row.status,
    passwordHash: row.passwordHash,
    lastLoginAt: row.lastLoginAt,
  };
}

/** Users are platform-wide identities (no tenant_id): every access is an explicit platform unit of work. */
export class KnexUserRepository implements UserRepository {
  constructor(private readonly deps: { database: Database }) {}

  findByEmail(email: string): Promise<User | null> {
    return this.deps.database.asPlatform(async (trx) => {
      const row = await UserModel.query(trx).whereRaw('lower(email) = lower(?)', [email]).first();
      return row ? toDomain(row) : null;
    });
  }

  create(input: { email: string; name: string; passwordHash: string; locale: string }): Promise<User> {
    return this.deps.database.asPlatform(async (trx) => toDomain(await UserModel.query(trx).insertAndFetch(input)));
  }

  async setLocale(userId: string, locale: string): Promise<void> {
    await this.deps.database.asPlatform(async (trx) => { await UserModel.query(trx).patch({ locale }).where('id', userId); });
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.deps.database.asPlatform(async (trx) => { await UserModel.query(trx).patch({ passwordHash }).where('id', userId); });
  }

  async recordLogin(userId: string, at: Date): Promise<void> {
    await this.deps.database.asPlatform(async (trx) => { await UserModel.query(trx).patch({ lastLoginAt: at }).where('id', userId); });
  }
}
