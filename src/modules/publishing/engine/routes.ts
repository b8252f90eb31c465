import { Router, type Request, type Response } from 'express';
import { ValidationError } from '../../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../../shared/http/guards.js';
import { wantsFragment } from '../../../shared/http/html.js';
import { uuidParam } from '../../../shared/http/params.js';
import { flash, render } from '../../../shared/http/render.js';
import type { ChannelAccountService } from './channel-account-service.js';
import { DISPLAY_NAME_MAX } from './domain.js';
import { errorKey } from './failure-alert.js';

/** Formatting shared by the channels page and the content panel, in the reader's language and the tenant's zone. */
function helpers(req: Request, timezone: string) {
  const dateTime = new Intl.DateTimeFormat(req.locale, { timeZone: timezone, dateStyle: 'medium', timeStyle: 'short' });
  return {
    when: (d: Date | string) => dateTime.format(new Date(d)),
    iso: (d: Date | string) => new Date(d).toISOString(),
    channel: (c: string) => req.t(`studio.channels.${c}`),
    status: (s: string) => req.t(`publishing.status.${s}`),
    accountStatus: (s: string) => req.t(`publishing.accounts.status.${s}`),
    error: (code: string | null) => req.t(errorKey(code), { defaultValue: req.t('publishing.errors.unknown') }),
    untitled: (c: string) => req.t('publishing.untitledOn', { channel: req.t(`studio.channels.${c}`) }),
  };
}

type Notice = { kind: 'success' | 'error' | 'info'; message: string };

export function engineRoutes(deps: { channelAccountService: ChannelAccountService }): Router {
  const { channelAccountService: service } = deps;
  const router = Router();

  async function channelsData(req: Request, extra: { notice?: Notice; formChannel?: string; values?: Record<string, string>; errors?: Record<string, string> } = {}) {
    const overview = await service.overview(tenantIdOf(req));
    return {
      ...overview,
      h: helpers(req, overview.tenant.timezone),
      canManage: hasTenantPermission(req, 'publishing.manage'),
      displayNameMax: DISPLAY_NAME_MAX,
      notice: extra.notice ?? null,
      formChannel: extra.formChannel ?? null,
      values: extra.values ?? {},
      errors: extra.errors ?? {},
    };
  }

  /** After an action: HTMX gets the page's fragment with the notice; a plain post is redirected with a flash. */
  async function answer(req: Request, res: Response, notice: Notice, status = 200) {
    if (!wantsFragment(req)) {
      flash(req, notice.kind, notice.message);
      return res.redirect(303, '/app/channels');
    }
    render(req, res, 'publishing/engine/index', await channelsData(req, { notice }), { status, fragment: 'publishing/engine/_channels' });
  }

  router.get('/app/channels', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    render(req, res, 'publishing/engine/index', await channelsData(req), { fragment: 'publishing/engine/_channels' });
  });

  router.post('/app/channels/sandbox-accounts', requireLogin, requireTenantPermission('publishing.manage'), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const account = await service.connectSandbox(tenantIdOf(req), req.viewer!.userId, body);
      await answer(req, res, { kind: 'success', message: req.t('publishing.accounts.connected', { name: account.displayName, channel: req.t(`studio.channels.${account.channel}`) }) }, 201);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const values = { displayName: typeof body.displayName === 'string' ? body.displayName : '' };
      const formChannel = typeof body.channel === 'string' ? body.channel : '';
      render(req, res, 'publishing/engine/index', await channelsData(req, { formChannel, values, errors: err.fieldErrors }), { status: 422, fragment: 'publishing/engine/_channels' });
    }
  });

  router.post('/app/channels/accounts/:id/disconnect', requireLogin, requireTenantPermission('publishing.manage'), async (req, res) => {
    const { cancelled } = await service.disconnect(tenantIdOf(req), uuidParam(req.params.id));
    await answer(req, res, { kind: 'success', message: req.t('publishing.accounts.disconnected', { count: cancelled }) });
  });

  router.post('/app/channels/publications/:id/retry', requireLogin, requireTenantPermission('publishing.manage'), async (req, res) => {
    await service.retry(tenantIdOf(req), uuidParam(req.params.id));
    await answer(req, res, { kind: 'success', message: req.t('publishing.publications.retried') });
  });

  // Embedded in the studio editor (hx-get on load); a direct visit shows it as a page.
  router.get('/app/publishing/contents/:id/panel', requireLogin, requireTenantPermission('workspace.view'), async (req, res) => {
    const data = await service.forContent(tenantIdOf(req), uuidParam(req.params.id));
    render(req, res, 'publishing/engine/panel', { ...data, h: helpers(req, data.timezone), canManage: hasTenantPermission(req, 'publishing.manage') }, { fragment: 'publishing/engine/_panel' });
  });

  return router;
}
