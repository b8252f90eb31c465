import type { Knex } from 'knex';
import type { Database } from '../../../adapters/db/database.js';
import { MAX_ITEMS, type ItemForm, type MonthlySession, type Priority, type SessionItem, type SessionItemKind } from '../session-domain.js';
import { membersWithPermission } from '../../../adapters/db/tenant-members.js';
import { dateColumn } from '../../../adapters/db/date-column.js';

const SESSION_COLUMNS = [
  'id', 'tenantId', 'month', 'status', 'textInput', 'audioInputId', 'audioMediaAssetId', 'audioTranscript', 'transcriptAiCallId', 'priorities',
  'locale', 'deadlineAt', 'reminderSentAt', 'submittedBy', 'submittedAt', 'closedAt',
];

export type BriefSourceType = 'session_text' | 'session_audio' | 'session_item' | 'document' | 'watch_change' | 'performance';

export interface BriefSource {
  type: BriefSourceType;
  label: string;
  sourceId: string | null;
}

export interface MonthlyBrief {
  id: string;
  runId: string;
  sessionId: string | null;
  body: string;
  locale: string;
  aiCallId: string | null;
  sources: (BriefSource & { position: number })[];
}

export interface SessionPatch {
  textInput?: string;
  priorities?: Priority[];
  deadlineAt?: Date | null;
  audioTranscript?: string | null;
  transcriptAiCallId?: string | null;
  audioInputId?: string | null;
}

/** A tenant whose next run comes within its reminder window, and the month that run prepares. */
export interface ReminderDue {
  tenantId: string;
  month: string;
  runAt: Date;
}

export interface ReminderAudience {
  tenant: { name: string; locale: string; timezone: string };
  recipients: { email: string; name: string }[];
}

function dateOnly(value: unknown): string | null {
  return value === null || value === undefined ? null : dateColumn(value as Date | string);
}

function toSession(row: Record<string, unknown>): MonthlySession {
  const priorities = Array.isArray(row.priorities) ? (row.priorities as Priority[]) : [];
  return { ...(row as unknown as MonthlySession), month: dateOnly(row.month)!, priorities };
}

function toItem(row: Record<string, unknown>): SessionItem {
  return { ...(row as unknown as SessionItem), startsOn: dateOnly(row.startsOn), endsOn: dateOnly(row.endsOn), origin: (row.origin as string | null) ?? null };
}

const clip = (text: string | null | undefined, max: number) => {
  const value = (text ?? '').replace(/\s+/g, ' ').trim();
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
};

/** `12,50 EUR` in the session's language. */
function price(cents: number | null, currency: string | null, locale: string): string {
  if (cents === null || !currency) return '';
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/**
 * Monthly sessions (step 1), their items, and the month briefs (step 2) with their sources. Every write to a session
 * is conditional on it not being closed: once a run used it, it is the record of what the month was built from.
 */
export class KnexMonthlySessionRepository {
  constructor(private readonly deps: { database: Database }) {}

  /** The month's session, created (open, in the tenant's language) when missing; two callers get the same row. */
  ensure(tenantId: string, month: string, locale: string): Promise<MonthlySession> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('monthlySessions').insert({ tenantId, month, locale }).onConflict(['tenantId', 'month']).ignore();
      return toSession(await trx('monthlySessions').where({ tenantId, month }).first(SESSION_COLUMNS));
    });
  }

  find(tenantId: string, month: string): Promise<MonthlySession | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('monthlySessions').where({ tenantId, month }).first(SESSION_COLUMNS);
      return row ? toSession(row) : null;
    });
  }

  get(tenantId: string, sessionId: string): Promise<MonthlySession | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const row = await trx('monthlySessions').where({ tenantId, id: sessionId }).first(SESSION_COLUMNS);
      return row ? toSession(row) : null;
    });
  }

  /** The session's items: the client's first, then the suggestions, each in the order they were added. */
  items(tenantId: string, sessionId: string): Promise<SessionItem[]> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const rows = await trx('monthlySessionItems as i')
        .leftJoin('watchChanges as w', 'w.id', 'i.watchChangeId')
        .leftJoin('competitors as c', 'c.id', 'w.competitorId')
        .where({ 'i.tenantId': tenantId, 'i.sessionId': sessionId })
        .orderByRaw(`case i.source when 'client' then 0 when 'analytics' then 1 else 2 end`)
        .orderBy([{ column: 'i.position' }, { column: 'i.createdAt' }, { column: 'i.id' }])
        .select(
          'i.id', 'i.sessionId', 'i.kind', 'i.title', 'i.detail', 'i.startsOn', 'i.endsOn', 'i.url', 'i.mediaAssetId', 'i.source', 'i.watchChangeId',
          'i.included', 'i.position', 'c.name as origin',
        );
      return rows.map(toItem);
    });
  }

  /** Writes the client's input; false when the session is closed (a run used it). */
  update(tenantId: string, sessionId: string, patch: SessionPatch): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const { priorities, ...rest } = patch;
      const count = await trx('monthlySessions')
        .where({ tenantId, id: sessionId })
        .whereNot('status', 'closed')
        .update({ ...rest, ...(priorities ? { priorities: JSON.stringify(priorities) } : {}), updatedAt: trx.fn.now() });
      return count === 1;
    });
  }

  /** The transcript of the session's audio (the ingestion step may write it into a closed session: it completes the record). */
  setTranscript(tenantId: string, sessionId: string, transcript: string, aiCallId: string | null): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('monthlySessions').where({ tenantId, id: sessionId }).update({ audioTranscript: transcript, transcriptAiCallId: aiCallId, updatedAt: trx.fn.now() });
    });
  }

  /** `null` when the session is closed or already holds `MAX_ITEMS` items. */
  addItem(tenantId: string, sessionId: string, item: ItemForm, locale: string): Promise<SessionItem | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const session = await trx('monthlySessions').where({ tenantId, id: sessionId }).whereNot('status', 'closed').forUpdate().first('id');
      if (!session) return null;
      const { count, last } = (await trx('monthlySessionItems').where({ tenantId, sessionId }).first(trx.raw('count(*)::int as count'), trx.raw('max(position) as last'))) as {
        count: number;
        last: number | null;
      };
      if (count >= MAX_ITEMS) return null;
      const [row] = await trx('monthlySessionItems')
        .insert({ tenantId, sessionId, ...item, locale, source: 'client', position: (last ?? 0) + 1 })
        .returning(['id', 'sessionId', 'kind', 'title', 'detail', 'startsOn', 'endsOn', 'url', 'mediaAssetId', 'source', 'watchChangeId', 'included', 'position']);
      return toItem(row);
    });
  }

  /** Removes one of the client's own items of an open session (suggestions are excluded instead, so they do not come back). */
  removeItem(tenantId: string, sessionId: string, itemId: string): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const count = await trx('monthlySessionItems')
        .where({ tenantId, sessionId, id: itemId, source: 'client' })
        .whereExists((q) => q.select(trx.raw('1')).from('monthlySessions as s').whereRaw('s.id = monthly_session_items.session_id').whereNot('s.status', 'closed'))
        .delete();
      return count === 1;
    });
  }

  setIncluded(tenantId: string, sessionId: string, itemId: string, included: boolean): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const count = await trx('monthlySessionItems')
        .where({ tenantId, sessionId, id: itemId })
        .whereExists((q) => q.select(trx.raw('1')).from('monthlySessions as s').whereRaw('s.id = monthly_session_items.session_id').whereNot('s.status', 'closed'))
        .update({ included, updatedAt: trx.fn.now() });
      return count === 1;
    });
  }

  /** The client says the month's input is ready (again after an edit); false once closed. */
  submit(tenantId: string, sessionId: string, userId: string, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const count = await trx('monthlySessions')
        .where({ tenantId, id: sessionId })
        .whereIn('status', ['open', 'submitted'])
        .update({ status: 'submitted', submittedBy: userId, submittedAt: now, updatedAt: trx.fn.now() });
      return count === 1;
    });
  }

  /** Closes the session for the run that uses it; closing again keeps the first `closed_at`. */
  close(tenantId: string, sessionId: string, now: Date): Promise<void> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('monthlySessions').where({ tenantId, id: sessionId }).whereNot('status', 'closed').update({ status: 'closed', closedAt: now, updatedAt: trx.fn.now() });
    });
  }

  /**
   * Adds what the watch flagged in [since, until) — medium or high significance, not dismissed — as suggested items.
   * The partial unique index (session, change) makes it idempotent; returns how many were added now.
   */
  addWatchItems(tenantId: string, sessionId: string, window: { since: Date; until: Date }, locale: string): Promise<number> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const changes: Record<string, any>[] = await trx('watchChanges as w')
        .leftJoin('competitors as c', 'c.id', 'w.competitorId')
        .where('w.tenantId', tenantId)
        .whereIn('w.significance', ['medium', 'high'])
        .whereNull('w.dismissedAt')
        .where('w.detectedAt', '>=', window.since)
        .where('w.detectedAt', '<', window.until)
        .whereNotExists((q) => q.select(trx.raw('1')).from('monthlySessionItems as i').where('i.sessionId', sessionId).whereRaw('i.watch_change_id = w.id'))
        .orderBy([{ column: 'w.detectedAt' }, { column: 'w.id' }])
        .limit(MAX_ITEMS)
        .select(
          'w.id', 'w.kind', 'w.title', 'w.productName', 'w.summary', 'w.summaryStatus', 'w.diffText', 'w.oldPriceCents', 'w.newPriceCents', 'w.currency',
          'w.oldValue', 'w.newValue', 'w.url', 'w.detectedAt', 'c.name as competitor',
        );
      if (!changes.length) return 0;
      const { last } = (await trx('monthlySessionItems').where({ tenantId, sessionId }).first(trx.raw('max(position) as last'))) as { last: number | null };
      const rows = changes.map((w, i) => ({
        tenantId,
        sessionId,
        kind: 'news' as SessionItemKind,
        title: clip(w.title || w.productName || w.kind, 500),
        detail: watchDetail(w, locale),
        url: w.url && /^https?:\/\//i.test(w.url) ? String(w.url).slice(0, 2048) : null,
        locale,
        source: 'watch_change',
        watchChangeId: w.id,
        position: (last ?? 0) + i + 1,
      }));
      const inserted = await trx('monthlySessionItems').insert(rows).onConflict().ignore().returning('id');
      return inserted.length;
    });
  }

  // ---- the month brief (step 2) ----

  brief(tenantId: string, runId: string): Promise<MonthlyBrief | null> {
    return this.deps.database.forTenant(tenantId, (trx) => briefIn(trx, tenantId, runId));
  }

  /**
   * Records the run's brief and its sources in one transaction; the brief is unique per run, so a second writer
   * (a retried step) gets the first one back and its sources are not written twice.
   */
  createBrief(
    tenantId: string,
    brief: { runId: string; sessionId: string | null; body: string; locale: string; aiCallId: string | null },
    sources: BriefSource[],
  ): Promise<{ brief: MonthlyBrief; created: boolean }> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const [row] = await trx('monthlyBriefs').insert({ tenantId, ...brief }).onConflict('runId').ignore().returning('id');
      if (row) {
        if (sources.length) {
          await trx('monthlyBriefSources').insert(
            sources.map((s, i) => ({ tenantId, briefId: row.id, position: i + 1, sourceType: s.type, sourceId: s.sourceId, label: s.label.slice(0, 500) })),
          );
        }
      }
      return { brief: (await briefIn(trx, tenantId, brief.runId))!, created: Boolean(row) };
    });
  }

  /**
   * The output of the analytics step of the tenant's latest earlier run that completed it (last month's
   * performance), or null.
   */
  previousAnalytics(tenantId: string, runId: string): Promise<{ runId: string; month: string; output: Record<string, unknown> } | null> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const current = await trx('pipelineRuns').where({ tenantId, id: runId }).first('createdAt', 'month');
      if (!current) return null;
      const row = await trx('pipelineSteps as s')
        .join('pipelineRuns as r', 'r.id', 's.runId')
        .where({ 's.tenantId': tenantId, 's.name': 'analytics', 's.status': 'succeeded' })
        .whereNot('r.id', runId)
        .where('r.month', '<=', current.month)
        .whereNotNull('s.output')
        .orderBy([{ column: 'r.month', order: 'desc' }, { column: 'r.runNumber', order: 'desc' }])
        .first('r.id as runId', 'r.month', 's.output');
      return row ? { runId: row.runId, month: dateOnly(row.month)!, output: row.output as Record<string, unknown> } : null;
    });
  }

  // ---- reminders ----

  /**
   * Tenants (platform context) whose next run — this month's run day and hour in their zone, or next month's once it
   * has passed — comes within their reminder window, with the month that run prepares: when the pipeline is on,
   * a current brand DNA exists, no run exists yet for that month and its session is neither submitted nor reminded.
   */
  remindersDue(now: Date): Promise<ReminderDue[]> {
    return this.deps.database.asPlatform(async (trx) => {
      const { rows } = await trx.raw(
        `with base as (
           select t.id as tenant_id, t.timezone,
                  coalesce(s.run_day, 1) as run_day, coalesce(s.run_hour, 2) as run_hour, coalesce(s.reminder_days_before, 5) as days_before,
                  date_trunc('month', ?::timestamptz at time zone t.timezone) as this_month,
                  ?::timestamptz at time zone t.timezone as local_now
             from tenants t
             left join pipeline_settings s on s.tenant_id = t.id
            where t.status = 'active' and coalesce(s.enabled, true)
              and exists (select 1 from brand_dna b where b.tenant_id = t.id and b.is_current)
         ), next_run as (
           select b.*, r.run_month, r.run_month + make_interval(days => b.run_day - 1, hours => b.run_hour) as run_at
             from base b
             cross join lateral (
               select case when b.local_now < b.this_month + make_interval(days => b.run_day - 1, hours => b.run_hour)
                           then b.this_month else b.this_month + interval '1 month' end as run_month
             ) r
         )
         select n.tenant_id, to_char(n.run_month + interval '1 month', 'YYYY-MM-DD') as month, (n.run_at at time zone n.timezone) as run_at
           from next_run n
          where n.local_now >= n.run_at - make_interval(days => n.days_before)
            and not exists (select 1 from pipeline_runs p where p.tenant_id = n.tenant_id and p.month = (n.run_month + interval '1 month')::date)
            and not exists (
              select 1 from monthly_sessions m
               where m.tenant_id = n.tenant_id and m.month = (n.run_month + interval '1 month')::date
                 and (m.status <> 'open' or m.reminder_sent_at is not null))`,
        [now, now],
      );
      return (rows as { tenant_id: string; month: string; run_at: Date }[]).map((r) => ({ tenantId: r.tenant_id, month: r.month, runAt: new Date(r.run_at) }));
    });
  }

  /** The tenant's name, language and zone, and its active members whose role may write content. */
  reminderAudience(tenantId: string): Promise<ReminderAudience> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      const tenant = await trx('tenants').where({ id: tenantId }).first('name', 'locale', 'timezone');
      const recipients = await membersWithPermission(trx, tenantId, 'content.write')
        .orderBy('u.email')
        .select('u.email', 'u.name');
      return { tenant, recipients };
    });
  }

  /** Marks the month's session reminded (creating it if needed); false when it was already, or is no longer open. */
  markReminded(tenantId: string, month: string, locale: string, now: Date): Promise<boolean> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx('monthlySessions').insert({ tenantId, month, locale }).onConflict(['tenantId', 'month']).ignore();
      const count = await trx('monthlySessions')
        .where({ tenantId, month, status: 'open' })
        .whereNull('reminderSentAt')
        .update({ reminderSentAt: now, updatedAt: trx.fn.now() });
      return count === 1;
    });
  }

  // ---- audio ----

  /**
   * The onboarding session (kind `pipeline`) that holds the monthly session's recordings, so they are stored and
   * transcribed exactly like the onboarding's.
   */
  audioHolder(tenantId: string, sessionId: string, userId: string, locale: string): Promise<string> {
    return this.deps.database.forTenant(tenantId, async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`monthly_session_audio:${sessionId}`]);
      const existing = await trx('onboardingSessions')
        .where({ tenantId, kind: 'pipeline', status: 'in_progress' })
        .whereRaw(`step_data->>'monthlySessionId' = ?`, [sessionId])
        .first('id');
      if (existing) return existing.id as string;
      const [row] = await trx('onboardingSessions')
        .insert({ tenantId, kind: 'pipeline', currentStep: 'audio', stepData: JSON.stringify({ monthlySessionId: sessionId }), startedBy: userId, locale })
        .returning('id');
      return row.id as string;
    });
  }
}

async function briefIn(trx: Knex.Transaction, tenantId: string, runId: string): Promise<MonthlyBrief | null> {
  const row = await trx('monthlyBriefs').where({ tenantId, runId }).first('id', 'runId', 'sessionId', 'body', 'locale', 'aiCallId');
  if (!row) return null;
  const sources = await trx('monthlyBriefSources').where({ tenantId, briefId: row.id }).orderBy('position').select('position', 'sourceType as type', 'sourceId', 'label');
  return { ...row, sources };
}

/** What a watch change says, for the client to judge it: the AI summary when ready, else the facts. */
function watchDetail(w: Record<string, any>, locale: string): string {
  const parts: string[] = [];
  if (w.competitor) parts.push(String(w.competitor));
  if (w.kind === 'price_change') parts.push(`${w.productName ?? ''} ${price(w.oldPriceCents, w.currency, locale)} → ${price(w.newPriceCents, w.currency, locale)}`.trim());
  else if (w.oldValue || w.newValue) parts.push(`${w.oldValue ?? ''} → ${w.newValue ?? ''}`);
  if (w.summaryStatus === 'ready' && w.summary) parts.push(clip(w.summary, 1500));
  else if (w.diffText) parts.push(clip(w.diffText, 1000));
  return parts.filter(Boolean).join(' — ').slice(0, 5000);
}
