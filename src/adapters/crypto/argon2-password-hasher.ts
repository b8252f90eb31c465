import { hash, verify } from '@node-rs/argon2';

const ARGON2ID = 2; // Algorithm.Argon2id (an ambient const enum, not importable as a value)
import type { PasswordHasher } from '../../modules/tenancy/ports.js';

/** argon2id with OWASP's second recommended profile (19 MiB, 2 iterations, 1 lane). */
export class Argon2PasswordHasher implements PasswordHasher {
  private readonly options = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

  hash(password: string): Promise<string> {
    return hash(password, this.options);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }
}
