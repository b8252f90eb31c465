import { Router, type Request, type Response } from 'express';
import { DateTime } from 'luxon';
import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { wantsFragment } from '../../shared/http/html.js';
import { uuidParam } from '../../shared/http/params.js';
import { flash, render } from '../../shared/http/render.js';
import { CHANNELS, CONTENT_STATUSES, isChannel, type Channel } from '../studio/domain.js';
import { EXCERPT_CHARS, FEED_LOCALES, isMovable, parseFilter, safeColor, type CalendarFilter, type CalendarItem } from './calendar-domain.js';
import type { CalendarService, ChannelPreferences, MoveTarget, PreferenceInput } from './calendar-service.js';
import {
  formatters,
  isView,
  listDays,
  localOf,
  monthWeeks,
  parseIsoDate,
  periodOf,
  placeItems,
  todayIn,
  weekGrid,
  windowOf,
  type CalendarView,
} from './calendar-view.js';
import { AUDIENCES, MAX_SLOT_AHEAD_YEARS } from './slots.js';
import { discardBlankSession } from '../../shared/http/session.js';
import { requestBaseUrl } from '../../shared/http/public-url.js';

export interface CalendarRouteDeps {
  calendarService: CalendarService;
  config: Pick<Config, 'publicUrl'>;
  clock: Clock;
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(text) : v === undefined ? [] : [text(v)]);

/** `/app/calendar?…` for a view, an anchor date and filters (repeated parameters, as the GET form sends them). */
export function calendarHref(view: CalendarView, date: string, filter: CalendarFilter): string {
  const params = new URLSearchParams({ view, date });
  for (const c of filter.channels) params.append('channel', c);
  for (const s of filter.statuses) params.append('status', s);
  if (filter.campaignId) params.set('campaign', filter.campaignId);
  return `/app/calendar?${params}`;
}

/** An error's message in the reader's language, its parameters made readable (dates, statuses). */
function messageOf(req: Request, err: AppError, timezone: string): string {
  const params: Record<string, unknown> = { ...err.params };
  if (typeof params.max === 'string' && parseIsoDate(params.max)) params.max = formatters(req.locale, timezone).longDay(params.max);
  if (typeof params.status === 'string') params.status = req.t(`calendar.statuses.${params.status}`).toLocaleLowerCase(req.locale);
  if (typeof params.channel === 'string' && isChannel(params.channel)) params.channel = req.t(`calendar.channels.${params.channel}`);
  return req.t(err.code, params);
}

export function calendarRoutes(deps: CalendarRouteDeps): Router {
  const { calendarService, config, clock } = deps;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];
  const write = [requireLogin, requireTenantPermission('content.write')];

  const common = (req: Request, timezone: string) => ({
    fmt: formatters(req.locale, timezone),
    timezone,
    channels: CHANNELS,
    statuses: CONTENT_STATUSES,
    canWrite: hasTenantPermission(req, 'content.write'),
    safeColor,
    isMovable,
    excerptChars: EXCERPT_CHARS,
  });

  // ---- Calendar views ----

  router.get('/app/calendar', ...read, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const { timezone } = await calendarService.settings(tenantId);
    const view: CalendarView = isView(req.query.view) ? req.query.view : 'month';
    const today = todayIn(timezone, clock.now());
    const period = periodOf(view, parseIsoDate(req.query.date) ?? today, today);
    const filter = parseFilter(req.query as Record<string, unknown>);
    const [items, campaigns] = await Promise.all([calendarService.items(tenantId, windowOf(period, timezone), filter), calendarService.campaigns(tenantId)]);
    const placed = placeItems(items, timezone);
    const filtered = filter.channels.length > 0 || filter.statuses.length > 0 || Boolean(filter.campaignId);
    render(
      req,
      res,
      'calendar/index',
      {
        ...common(req, timezone),
        view,
        period,
        filter,
        filtered,
        campaigns,
        count: placed.length,
        weeks: view === 'month' ? monthWeeks(period, placed) : [],
        week: view === 'week' ? weekGrid(period, placed) : null,
        days: view === 'list' ? listDays(period, placed) : [],
        href: (change: { view?: CalendarView; date?: string } = {}) => calendarHref(change.view ?? view, change.date ?? period.anchor, filter),
        selfHref: calendarHref(view, period.anchor, filter),
        resetHref: calendarHref(view, period.anchor, { channels: [], statuses: [] }),
        isFragment: wantsFragment(req),
      },
      { fragment: 'calendar/_calendar' },
    );
  });

  // ---- One item: detail and move ----

  async function detailData(req: Request, item: CalendarItem, extra: Record<string, unknown> = {}) {
    const tenantId = tenantIdOf(req);
    const { timezone } = await calendarService.settings(tenantId);
    const canWrite = hasTenantPermission(req, 'content.write');
    const suggestions = canWrite ? await calendarService.suggestions(tenantId, item) : [];
    const local = localOf(item.startsAt, timezone);
    const view = isView(req.query.view) ? req.query.view : isView(req.body?.view) ? (req.body.view as CalendarView) : 'month';
    const now = clock.now();
    return {
      ...common(req, timezone),
      item,
      local,
      movable: isMovable(item.status),
      suggestions: suggestions.map((at) => ({ at, value: `${localOf(at, timezone).date}T${localOf(at, timezone).time}` })),
      view,
      back: calendarHref(view, local.date, { channels: [], statuses: [] }),
      minDate: todayIn(timezone, now),
      maxDate: DateTime.fromJSDate(now, { zone: timezone }).plus({ years: MAX_SLOT_AHEAD_YEARS }).toISODate(),
      values: {},
      ...extra,
    };
  }

  router.get('/app/calendar/items/:contentId', ...read, async (req, res) => {
    const item = await calendarService.item(tenantIdOf(req), uuidParam(req.params.contentId));
    render(req, res, 'calendar/item', await detailData(req, item), { fragment: 'calendar/_detail' });
  });

  router.post('/app/calendar/items/:contentId/move', ...write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const contentId = uuidParam(req.params.contentId);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const target: MoveTarget = { date: text(body.date), time: text(body.time), slot: text(body.slot) };
    try {
      const item = await calendarService.move(tenantId, contentId, target);
      const { timezone } = await calendarService.settings(tenantId);
      const message = req.t('calendar.move.moved', { when: formatters(req.locale, timezone).dateTime(item.startsAt) });
      if (!wantsFragment(req)) {
        flash(req, 'success', message);
        const view = isView(body.view) ? body.view : 'month';
        return res.redirect(303, calendarHref(view, localOf(item.startsAt, timezone).date, { channels: [], statuses: [] }));
      }
      res.set('HX-Trigger', JSON.stringify({ 'calendar-changed': { contentId, startsAt: item.startsAt.toISOString() } }));
      render(req, res, 'calendar/_detail', await detailData(req, item, { notice: message }));
    } catch (err) {
      if (err instanceof AppError && err.code === 'calendar.errors.notMovable') {
        // answered by the error handler (a toast for HTMX): its message names the status in the reader's language
        throw new AppError(err.code, err.status, { status: req.t(`calendar.statuses.${String(err.params.status)}`).toLocaleLowerCase(req.locale) });
      }
      if (!(err instanceof AppError) || err.status !== 422) throw err;
      const item = await calendarService.item(tenantId, contentId);
      const { timezone } = await calendarService.settings(tenantId);
      const values = { date: target.date, time: target.time };
      render(req, res, 'calendar/item', await detailData(req, item, { values, moveError: messageOf(req, err, timezone) }), { status: 422, fragment: 'calendar/_detail' });
    }
  });

  // ---- Slot preferences ----

  router.get('/app/calendar/preferences', ...read, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const [{ timezone }, preferences] = await Promise.all([calendarService.settings(tenantId), calendarService.preferences(tenantId)]);
    render(req, res, 'calendar/preferences', { ...common(req, timezone), preferences, audiences: AUDIENCES }, { fragment: 'calendar/_preferences' });
  });

  router.post('/app/calendar/preferences/audience', ...write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const audience = text((req.body ?? {}).audience);
    try {
      await calendarService.applyAudience(tenantId, audience);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const [{ timezone }, preferences] = await Promise.all([calendarService.settings(tenantId), calendarService.preferences(tenantId)]);
      return render(req, res, 'calendar/preferences', { ...common(req, timezone), preferences, audiences: AUDIENCES, errors: err.fieldErrors }, { status: 422, fragment: 'calendar/_preferences' });
    }
    const message = req.t('calendar.preferences.audience.applied', { audience: req.t(`calendar.preferences.audience.${audience}`) });
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return res.redirect(303, '/app/calendar/preferences');
    }
    const [{ timezone }, preferences] = await Promise.all([calendarService.settings(tenantId), calendarService.preferences(tenantId)]);
    render(req, res, 'calendar/_preferences', { ...common(req, timezone), preferences, audiences: AUDIENCES, notice: message });
  });

  const channelParam = (value: unknown): Channel => {
    if (!isChannel(value)) throw new NotFoundError();
    return value;
  };

  async function channelPage(req: Request, res: Response, prefs: ChannelPreferences, extra: Record<string, unknown> = {}, status = 200) {
    const tenantId = tenantIdOf(req);
    const { timezone } = await calendarService.settings(tenantId);
    const preview = extra.errors ? [] : await calendarService.preview(tenantId, prefs.channel);
    render(
      req,
      res,
      'calendar/preferences-channel',
      { ...common(req, timezone), prefs, channel: prefs.channel, preview, rows: null, errors: {}, ...extra },
      { status, fragment: 'calendar/_preferences-channel' },
    );
  }

  router.get('/app/calendar/preferences/:channel', ...read, async (req, res) => {
    const channel = channelParam(req.params.channel);
    await channelPage(req, res, await calendarService.channelPreferences(tenantIdOf(req), channel));
  });

  router.post('/app/calendar/preferences/:channel', ...write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const channel = channelParam(req.params.channel);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const [weekdays, times, weights] = [list(body.weekday), list(body.time), list(body.weight)];
    const removed = new Set(list(body.remove));
    const rows: (PreferenceInput & { removed: boolean })[] = [];
    for (let i = 0; i < Math.max(weekdays.length, times.length, weights.length); i++) {
      rows.push({ weekday: weekdays[i] ?? '', time: times[i] ?? '', weight: weights[i] ?? '', removed: removed.has(String(i)) });
    }
    try {
      const prefs = await calendarService.savePreferences(
        tenantId,
        channel,
        rows.map((r) => (r.removed ? { weekday: '', time: '', weight: '' } : r)),
      );
      const message = req.t('calendar.preferences.saved', { channel: req.t(`calendar.channels.${channel}`) });
      if (!wantsFragment(req)) {
        flash(req, 'success', message);
        return res.redirect(303, `/app/calendar/preferences/${channel}`);
      }
      await channelPage(req, res, prefs, { notice: message });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await channelPage(req, res, await calendarService.channelPreferences(tenantId, channel), { rows, errors: err.fieldErrors }, 422);
    }
  });

  router.post('/app/calendar/preferences/:channel/reset', ...write, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const channel = channelParam(req.params.channel);
    await calendarService.resetPreferences(tenantId, channel);
    const message = req.t('calendar.preferences.resetDone', { channel: req.t(`calendar.channels.${channel}`) });
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return res.redirect(303, `/app/calendar/preferences/${channel}`);
    }
    await channelPage(req, res, await calendarService.channelPreferences(tenantId, channel), { notice: message });
  });

  // ---- iCalendar feeds ----

  async function feedsPage(req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) {
    const tenantId = tenantIdOf(req);
    const [{ timezone }, feeds] = await Promise.all([calendarService.settings(tenantId), calendarService.listFeeds(tenantId)]);
    render(
      req,
      res,
      'calendar/feeds',
      { ...common(req, timezone), feeds, locales: FEED_LOCALES, values: { locale: req.locale }, errors: {}, ...extra },
      { status, fragment: 'calendar/_feeds' },
    );
  }

  router.get('/app/calendar/feeds', ...write, (req, res) => feedsPage(req, res));

  router.post('/app/calendar/feeds', ...write, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input = { name: text(body.name), channels: list(body.channels).filter(Boolean), locale: text(body.locale) };
    try {
      const { feed, token } = await calendarService.createFeed(tenantIdOf(req), req.viewer!.userId, input);
      const url = `${requestBaseUrl(req, config)}/calendar/feeds/${token}.ics`;
      // Shown once, never stored: the page must not be kept by any cache.
      res.set('Cache-Control', 'no-store');
      await feedsPage(req, res, { created: { feed, url, webcal: url.replace(/^https?:/, 'webcal:') } }, 201);
    } catch (err) {
      if (err instanceof ValidationError) return feedsPage(req, res, { values: input, errors: err.fieldErrors }, 422);
      if (err instanceof AppError && err.code === 'calendar.feeds.errors.tooMany') {
        return feedsPage(req, res, { values: input, errors: {}, formError: req.t(err.code, err.params) }, 422);
      }
      throw err;
    }
  });

  router.post('/app/calendar/feeds/:id/revoke', ...write, async (req, res) => {
    await calendarService.revokeFeed(tenantIdOf(req), uuidParam(req.params.id));
    const message = req.t('calendar.feeds.revoked');
    if (!wantsFragment(req)) {
      flash(req, 'success', message);
      return res.redirect(303, '/app/calendar/feeds');
    }
    await feedsPage(req, res, { notice: message });
  });

  // The feed itself: no session, the token is the credential.
  router.get('/calendar/feeds/:token.ics', async (req, res) => {
    discardBlankSession(req);
    const { body, etag } = await calendarService.feedDocument(req.params.token, requestBaseUrl(req, config));
    res.set({
      'Cache-Control': 'private, no-cache',
      ETag: etag,
      'X-Robots-Tag': 'noindex, nofollow',
      'Content-Disposition': 'inline; filename="cadence.ics"',
    });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.status(200).type('text/calendar; charset=utf-8').send(body);
  });

  return router;
}

