import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { NotFoundError } from '../../shared/errors.js';
import { parseInput } from '../../shared/validation.js';
import type { AlertPreference, EmailFrequency, KnexAlertRepository, NewAlert, PortalAlert } from './db/knex-alert-repository.js';
import { CHANGE_KINDS, SIGNIFICANCE, type ChangeKind, type Significance } from './domain.js';

/** The daily digest leaves at this hour, in the tenant's time zone. */
export const DIGEST_HOUR = 8;
export const EMAIL_FREQUENCIES = ['immediate', 'daily', 'off'] as const;

/** No row = these: price changes by e-mail at once, everything else in the daily digest; all in the portal. */
export function defaultPreference(kind: ChangeKind): AlertPreference {
  return { changeKind: kind, emailFrequency: kind === 'price_change' ? 'immediate' : 'daily', portalEnabled: true, minSignificance: 'low' };
}

/** The first digest hour strictly after `now`, in `timezone`. */
export function nextDigestAt(now: Date, timezone: string): Date {
  const local = DateTime.fromJSDate(now, { zone: timezone });
  const zoned = local.isValid ? local : DateTime.fromJSDate(now, { zone: 'Europe/Paris' });
  let at = zoned.set({ hour: DIGEST_HOUR, minute: 0, second: 0, millisecond: 0 });
  if (at.toMillis() <= now.getTime()) at = at.plus({ days: 1 }).set({ hour: DIGEST_HOUR });
  return at.toJSDate();
}

const rank = (s: Significance) => SIGNIFICANCE.indexOf(s);

/** Form fields `email_<kind>`, `portal_<kind>` (checkbox), `min_<kind>` for every change kind. */
const preferencesSchema = z.object(
  Object.fromEntries(
    CHANGE_KINDS.flatMap((kind) => [
      [`email_${kind}`, z.enum(EMAIL_FREQUENCIES, { message: 'watch.errors.invalidEmailFrequency' })],
      [`portal_${kind}`, z.preprocess((v) => v === true || v === 'on' || v === 'true' || v === '1', z.boolean()).optional()],
      [`min_${kind}`, z.enum(SIGNIFICANCE, { message: 'watch.errors.invalidSignificance' })],
    ]),
  ),
);

/** Alerts of the competitive watch: fan-out of new changes, the portal's list and unread count, preferences. */
export class AlertService {
  constructor(
    private readonly deps: {
      alertRepository: KnexAlertRepository;
      clock: Clock;
    },
  ) {}

  /**
   * For each change, every member who can see the watch gets a portal alert and an e-mail alert (due now when
   * immediate, at the next digest hour when daily), as their preference for the kind says; a change below their
   * minimum significance gives them nothing. Idempotent: alerts are unique per change, user and channel.
   */
  async fanOut(tenantId: string, changeIds: string[], now: Date = this.deps.clock.now()): Promise<number> {
    if (!changeIds.length) return 0;
    const context = await this.deps.alertRepository.fanOutContext(tenantId, changeIds);
    const preferences = new Map(context.preferences.map((p) => [`${p.userId}:${p.changeKind}`, p]));
    const digestAt = nextDigestAt(now, context.tenant.timezone);
    const alerts: NewAlert[] = [];
    for (const change of context.changes) {
      for (const { userId } of context.recipients) {
        const preference = preferences.get(`${userId}:${change.kind}`) ?? defaultPreference(change.kind);
        if (rank(change.significance) < rank(preference.minSignificance)) continue;
        if (preference.portalEnabled) alerts.push({ changeId: change.id, userId, channel: 'portal', emailDueAt: null });
        const due = emailDueAt(preference.emailFrequency, now, digestAt);
        if (due) alerts.push({ changeId: change.id, userId, channel: 'email', emailDueAt: due });
      }
    }
    return this.deps.alertRepository.insertAlerts(tenantId, alerts);
  }

  unreadCount(tenantId: string, userId: string): Promise<number> {
    return this.deps.alertRepository.unreadCount(tenantId, userId);
  }

  list(tenantId: string, userId: string, options: { unreadOnly?: boolean; limit?: number; offset?: number } = {}): Promise<PortalAlert[]> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
    return this.deps.alertRepository.listPortal(tenantId, userId, { unreadOnly: options.unreadOnly ?? false, limit, offset: Math.max(options.offset ?? 0, 0) });
  }

  /** Marks one of the viewer's alerts read; another user's or tenant's alert is not found. */
  async markRead(tenantId: string, userId: string, alertId: string): Promise<void> {
    const found = z.uuid().safeParse(alertId).success && (await this.deps.alertRepository.markRead(tenantId, userId, alertId, this.deps.clock.now()));
    if (!found) throw new NotFoundError('watch.errors.alertNotFound');
  }

  markChangeRead(tenantId: string, userId: string, changeId: string): Promise<number> {
    return this.deps.alertRepository.markChangeRead(tenantId, userId, changeId, this.deps.clock.now());
  }

  markAllRead(tenantId: string, userId: string): Promise<number> {
    return this.deps.alertRepository.markAllRead(tenantId, userId, this.deps.clock.now());
  }

  /** The user's preference for every kind (defaults where they saved none). */
  async preferences(tenantId: string, userId: string): Promise<AlertPreference[]> {
    const saved = new Map((await this.deps.alertRepository.preferences(tenantId, userId)).map((p) => [p.changeKind, p]));
    return CHANGE_KINDS.map((kind) => saved.get(kind) ?? defaultPreference(kind));
  }

  /** Saves the preferences form (every kind); invalid values are `watch.errors.*` field errors (422). */
  async savePreferences(tenantId: string, userId: string, input: unknown): Promise<AlertPreference[]> {
    const form = parseInput(preferencesSchema, input) as Record<string, unknown>;
    const preferences = CHANGE_KINDS.map((kind) => ({
      changeKind: kind,
      emailFrequency: form[`email_${kind}`] as EmailFrequency,
      portalEnabled: form[`portal_${kind}`] === true,
      minSignificance: form[`min_${kind}`] as Significance,
    }));
    await this.deps.alertRepository.savePreferences(tenantId, userId, preferences);
    return preferences;
  }
}

function emailDueAt(frequency: EmailFrequency, now: Date, digestAt: Date): Date | null {
  if (frequency === 'immediate') return now;
  return frequency === 'daily' ? digestAt : null;
}
