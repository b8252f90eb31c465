import crypto from 'node:crypto';
import type { Clock } from '../../../shared/clock.js';

/**
 * Counts unique visitors without keeping who they are: HMAC-SHA256 of (tenant, IP, user agent) under a random
 * salt that lives only in this process's memory and is replaced every UTC day. Once the day's salt is gone the
 * hashes can no longer be linked to an address, nor across days, nor across tenants. (A restart starts a new
 * salt, and each web process has its own: the same person may then count twice that day — the price of never
 * storing the salt.)
 */
export class VisitorHasher {
  private day = '';
  private salt: Buffer = Buffer.alloc(0);

  constructor(private readonly deps: { clock: Clock }) {}

  hash(tenantId: string, ip: string, userAgent: string): string {
    const day = this.deps.clock.now().toISOString().slice(0, 10);
    if (day !== this.day) {
      this.day = day;
      this.salt = crypto.randomBytes(32);
    }
    return crypto.createHmac('sha256', this.salt).update(`${tenantId}\n${ip}\n${userAgent}`).digest('hex');
  }
}
