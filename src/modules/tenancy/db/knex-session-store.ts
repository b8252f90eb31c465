import session, { type SessionData } from 'express-session';
import type { Knex } from 'knex';
import type { SessionRepository } from '../ports.js';

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * Sessions in PostgreSQL (a platform table). The user id is kept in its own column so removing a user
 * from a team, or a password change, can end their sessions at once.
 */
export class KnexSessionStore extends session.Store implements SessionRepository {
  /** Rolling expiry is written at most once per interval per session, not on every request. */
  private readonly lastTouch = new Map<string, number>();
  private static readonly TOUCH_INTERVAL_MS = 5 * 60 * 1000;

  constructor(
    private readonly knex: Knex,
    private readonly ttlMs: number,
  ) {
    super();
  }

  override get(sid: string, cb: Callback<SessionData | null>): void {
    this.knex('sessions')
      .where('sid', sid)
      .andWhere('expiresAt', '>', new Date())
      .first('sess')
      .then((row) => cb(undefined, row ? (row.sess as SessionData) : null), cb);
  }

  override set(sid: string, sess: SessionData, cb?: Callback): void {
    const userId = (sess as { passport?: { user?: string } }).passport?.user ?? null;
    const expiresAt = sess.cookie?.expires ? new Date(sess.cookie.expires) : new Date(Date.now() + this.ttlMs);
    this.knex('sessions')
      .insert({ sid, sess, expiresAt, userId })
      .onConflict('sid')
      .merge({ sess, expiresAt, userId, updatedAt: new Date() })
      .then(() => cb?.(), (err) => cb?.(err));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.knex('sessions').where('sid', sid).delete().then(() => cb?.(), (err) => cb?.(err));
  }

  override touch(sid: string, sess: SessionData, cb?: Callback): void {
    const now = Date.now();
    if (now - (this.lastTouch.get(sid) ?? 0) < KnexSessionStore.TOUCH_INTERVAL_MS) return cb?.();
    if (this.lastTouch.size > 100_000) this.lastTouch.clear();
    this.lastTouch.set(sid, now);
    const expiresAt = sess.cookie?.expires ? new Date(sess.cookie.expires) : new Date(Date.now() + this.ttlMs);
    this.knex('sessions').where('sid', sid).update({ expiresAt }).then(() => cb?.(), (err) => cb?.(err));
  }

  deleteExpired(now: Date): Promise<number> {
    return this.knex('sessions').where('expiresAt', '<=', now).delete();
  }

  deleteForUser(userId: string): Promise<number> {
    return this.knex('sessions').where('userId', userId).delete();
  }
}
