import type { Database } from '../../../adapters/db/database.js';
import type { ChangeKind, Significance } from '../domain.js';
import { changeColumns, type ChangeRecord } from './knex-change-repository.js';
import { membersWithPermission } from '../../../adapters/db/tenant-members.js';

export type EmailFrequency = 'immediate' | 'daily' | 'off';

export interface AlertPreference {
  changeKind: ChangeKind;
  emailFrequency: EmailFrequency;
  portalEnabled: boolean;
  minSignificance: Significance;
}

export interface FanOutContext {
  tenant: { timezone: string; locale: string };
  changes: { id: string; kind: ChangeKind; significance: Significance }[];
  /** Members who can see the watch (`workspace.view`), active. */
  recipients: { userId: string }[];
  preferences: (AlertPreference & { userId: string })[];
}

export interface NewAlert {
  changeId: string;
  userId: string;
  channel: 'portal' | 'email';
  emailDueAt: Date | null;
}

/** A portal alert as its owner sees it: the change, read or not. */
export interface PortalAlert {
  id: string;
  readAt: Date | null;
  createdAt: Date;
  change: ChangeRecord;
}

/** An e-mail alert due, with its change and recipient. */
export interface DueEmail {
  alertId: string;
  userId: string;
  email: string;
  userName: string;
  emailDueAt: Date;
  /** Immediate (due when the change was detected) rather than a digest. */
  immediate: boolean;
  change: ChangeRecord;
}

const PERMISSION = 'workspace.view';

/** `watch_alerts` and `alert_preferences`: fan-out inserts, the portal's unread list, the e-mail queue. */
export class KnexAlertRepository {
  constructor(private readonly deps: { database: Database }) {}

  fanOutContext(tenantId: string, changeIds: string[]): Promise<FanOutContext> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('timezone', 'locale');
      const changes = await trx('watchChanges').where({ tenantId }).whereIn('id', changeIds).select('id', 'kind', 'significance');
      const recipients = await membersWithPermission(trx, tenantId, PERMISSION)
        .distinct('u.id as userId');
      const preferences = await trx('alertPreferences')
        .where({ tenantId })
        .whereIn(
          'userId',
          recipients.map((r: { userId: string }) => r.userId),
        )
        .select('userId', 'changeKind', 'emailFrequency', 'portalEnabled', 'minSignificance');
      return { tenant: { timezone: tenant?.timezone ?? 'Europe/Paris', locale: tenant?.locale ?? 'fr' }, changes, recipients, preferences };
    });
  }

  /** Inserts alerts; one already there for the same change, user and channel is left as it is. */
  insertAlerts(tenantId: string, alerts: NewAlert[]): Promise<number> {
    if (!alerts.length) return Promise.resolve(0);
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = alerts.map((a) => ({ tenantId, changeId: a.changeId, userId: a.userId, channel: a.channel, emailDueAt: a.emailDueAt }));
      const inserted = await trx('watchAlerts').insert(rows).onConflict(['changeId', 'userId', 'channel']).ignore().returning('id');
      return inserted.length;
    });
  }

  unreadCount(tenantId: string, userId: string): Promise<number> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('watchAlerts').where({ tenantId, userId, channel: 'portal' }).whereNull('readAt').count<{ count: string }>({ count: '*' }).first();
      return Number(row?.count ?? 0);
    });
  }

  listPortal(tenantId: string, userId: string, options: { unreadOnly: boolean; limit: number; offset: number }): Promise<PortalAlert[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const query = trx('watchAlerts as a')
        .join('watchChanges as c', 'c.id', 'a.changeId')
        .join('watchSources as s', 's.id', 'c.sourceId')
        .leftJoin('competitors as k', 'k.id', 'c.competitorId')
        .leftJoin('watchFeedItems as f', 'f.id', 'c.feedItemId')
        .where({ 'a.tenantId': tenantId, 'a.userId': userId, 'a.channel': 'portal' })
        .orderBy([
          { column: 'c.detectedAt', order: 'desc' },
          { column: 'a.id', order: 'desc' },
        ])
        .limit(options.limit)
        .offset(options.offset)
        .select('a.id as alertId', 'a.readAt as alertReadAt', 'a.createdAt as alertCreatedAt', ...changeColumns());
      if (options.unreadOnly) query.whereNull('a.readAt');
      const rows: Record<string, unknown>[] = await query;
      return rows.map(({ alertId, alertReadAt, alertCreatedAt, ...change }) => ({
        id: alertId as string,
        readAt: (alertReadAt as Date | null) ?? null,
        createdAt: alertCreatedAt as Date,
        change: change as unknown as ChangeRecord,
      }));
    });
  }

  /** Marks one of the user's portal alerts read; false when it is not theirs (or not there). */
  markRead(tenantId: string, userId: string, alertId: string, at: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const alert = await trx('watchAlerts').where({ tenantId, userId, id: alertId, channel: 'portal' }).first('id', 'readAt');
      if (!alert) return false;
      if (!alert.readAt) await trx('watchAlerts').where({ tenantId, id: alertId }).update({ readAt: at, updatedAt: trx.fn.now() });
      return true;
    });
  }

  /** Marks the user's portal alerts of a change read (opening the change's page reads its alert). */
  markChangeRead(tenantId: string, userId: string, changeId: string, at: Date): Promise<number> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('watchAlerts').where({ tenantId, userId, changeId, channel: 'portal' }).whereNull('readAt').update({ readAt: at, updatedAt: trx.fn.now() }),
    );
  }

  markAllRead(tenantId: string, userId: string, at: Date): Promise<number> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('watchAlerts').where({ tenantId, userId, channel: 'portal' }).whereNull('readAt').update({ readAt: at, updatedAt: trx.fn.now() }),
    );
  }

  preferences(tenantId: string, userId: string): Promise<AlertPreference[]> {
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('alertPreferences').where({ tenantId, userId }).select('changeKind', 'emailFrequency', 'portalEnabled', 'minSignificance'),
    );
  }

  savePreferences(tenantId: string, userId: string, preferences: AlertPreference[]): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      if (!preferences.length) return;
      await trx('alertPreferences')
        .insert(preferences.map((p) => ({ tenantId, userId, ...p })))
        .onConflict(['tenantId', 'userId', 'changeKind'])
        .merge(['emailFrequency', 'portalEnabled', 'minSignificance', 'updatedAt']);
    });
  }

  /** Tenants with e-mail alerts due (platform scan; each tenant is then handled in its own context). */
  tenantsWithDueEmails(now: Date): Promise<string[]> {
    return this.deps.database.asPlatform(async (trx) =>
      (
        await trx('watchAlerts as a')
          .join('tenants as t', 't.id', 'a.tenantId')
          .where('t.status', 'active')
          .where('a.channel', 'email')
          .whereNull('a.emailedAt')
          .where('a.emailDueAt', '<=', now)
          .distinct('a.tenantId')
      ).map((r: { tenantId: string }) => r.tenantId),
    );
  }

  /** The tenant's due e-mail alerts, for members still able to see the watch, oldest change first. */
  dueEmails(tenantId: string, now: Date): Promise<{ tenant: { name: string; locale: string; timezone: string }; alerts: DueEmail[] }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('name', 'locale', 'timezone');
      const rows: Record<string, unknown>[] = await trx('watchAlerts as a')
        .join('watchChanges as c', 'c.id', 'a.changeId')
        .join('watchSources as s', 's.id', 'c.sourceId')
        .leftJoin('competitors as k', 'k.id', 'c.competitorId')
        .leftJoin('watchFeedItems as f', 'f.id', 'c.feedItemId')
        .join('users as u', 'u.id', 'a.userId')
        .where({ 'a.tenantId': tenantId, 'a.channel': 'email', 'u.status': 'active' })
        .whereNull('a.emailedAt')
        .where('a.emailDueAt', '<=', now)
        .whereExists(function () {
          this.select(trx.raw('1'))
            .from('memberships as m')
            .join('roles as r', 'r.id', 'm.roleId')
            .whereRaw('m.user_id = a.user_id')
            .where({ 'm.scope': 'tenant', 'm.tenantId': tenantId })
            .whereRaw('? = any(r.permissions)', [PERMISSION]);
        })
        .orderBy([
          { column: 'c.detectedAt', order: 'asc' },
          { column: 'a.id', order: 'asc' },
        ])
        .select('a.id as alertId', 'a.userId', 'u.email', 'u.name as userName', 'a.emailDueAt', ...changeColumns());
      const alerts = rows.map(({ alertId, userId, email, userName, emailDueAt, ...change }) => ({
        alertId: alertId as string,
        userId: userId as string,
        email: email as string,
        userName: userName as string,
        emailDueAt: emailDueAt as Date,
        // immediate alerts are due at detection; digests at a later digest hour
        immediate: (emailDueAt as Date).getTime() <= (change.detectedAt as Date).getTime(),
        change: change as unknown as ChangeRecord,
      }));
      return { tenant, alerts };
    });
  }

  /** Marks e-mail alerts sent; one already marked (another run) is left as it is. */
  markEmailed(tenantId: string, alertIds: string[], at: Date): Promise<number> {
    if (!alertIds.length) return Promise.resolve(0);
    return this.deps.database.forTenant(tenantId, (trx) =>
      trx('watchAlerts').where({ tenantId }).whereIn('id', alertIds).whereNull('emailedAt').update({ emailedAt: at, updatedAt: trx.fn.now() }),
    );
  }
}
