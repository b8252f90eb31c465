import { Router, type Request, type Response } from 'express';
import type { Config } from '../../../config.js';
import { AppError } from '../../../shared/errors.js';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../../shared/http/guards.js';
import { flash, render } from '../../../shared/http/render.js';
import type { ChannelConnectService, PendingChoice, PendingConnection } from './oauth-connect.js';
import { requestBaseUrl } from '../../../shared/http/public-url.js';

declare module 'express-session' {
  interface SessionData {
    /** OAuth connections under way, by their `state`. */
    oauthPending?: Record<string, PendingConnection>;
    /** Accounts discovered at a callback, waiting for the user's choice, by a random id. */
    oauthChoices?: Record<string, PendingChoice>;
  }
}

/**
 * The network's callback URL. PUBLIC_URL when configured (what is registered in the network's app); otherwise the
 * request's own origin, which is right only when the app is reached directly (behind a proxy, set PUBLIC_URL).
 */
export function redirectUriFor(req: Request, config: Pick<Config, 'publicUrl'>, channel: string): string {
  return `${requestBaseUrl(req, config)}/app/channels/callback/${encodeURIComponent(channel)}`;
}

const manage = [requireLogin, requireTenantPermission('publishing.manage')];

/** `/app/channels/connect/:channel` → the network's consent screen → `/app/channels/callback/:channel` (→ choice). */
export function oauthRoutes(deps: { channelConnectService: ChannelConnectService; config: Config }): Router {
  const { channelConnectService: service, config } = deps;
  const router = Router();

  function backWithError(req: Request, res: Response, err: unknown) {
    if (!(err instanceof AppError)) throw err;
    flash(req, 'error', req.t(err.code, { channel: req.t(`studio.channels.${req.params.channel}`, { defaultValue: '' }) }));
    res.redirect(303, '/app/channels');
  }

  function connected(req: Request, res: Response, names: string[]) {
    flash(req, 'success', req.t('publishing.oauth.connected', { count: names.length, names: names.join(', '), channel: req.t(`studio.channels.${req.params.channel}`) }));
    res.redirect(303, '/app/channels');
  }

  router.get('/app/channels/connect/:channel', ...manage, async (req, res) => {
    try {
      const channel = String(req.params.channel);
      const started = await service.start(tenantIdOf(req), channel, redirectUriFor(req, config, channel));
      req.session.oauthPending = { ...service.prune(req.session.oauthPending), [started.state]: started.pending };
      res.redirect(303, started.url);
    } catch (err) {
      backWithError(req, res, err);
    }
  });

  router.get('/app/channels/callback/:channel', ...manage, async (req, res) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const pending = Object.hasOwn(req.session.oauthPending ?? {}, state) ? req.session.oauthPending![state] : undefined;
    if (pending) {
      // a state is good for one callback only
      const { [state]: _used, ...rest } = req.session.oauthPending!;
      req.session.oauthPending = rest;
    }
    try {
      const outcome = await service.finish(tenantIdOf(req), req.viewer!.userId, String(req.params.channel), pending, { code: req.query.code, error: req.query.error });
      if (outcome.kind === 'connected') return connected(req, res, outcome.names);
      const choiceId = state;
      req.session.oauthChoices = { ...service.prune(req.session.oauthChoices), [choiceId]: outcome.choice };
      res.redirect(303, `/app/channels/connect/${encodeURIComponent(outcome.choice.channel)}/choose/${encodeURIComponent(choiceId)}`);
    } catch (err) {
      backWithError(req, res, err);
    }
  });

  function choiceOf(req: Request): PendingChoice | undefined {
    const id = String(req.params.choice);
    return Object.hasOwn(req.session.oauthChoices ?? {}, id) ? req.session.oauthChoices![id] : undefined;
  }

  router.get('/app/channels/connect/:channel/choose/:choice', ...manage, async (req, res) => {
    const choice = choiceOf(req);
    if (!choice || choice.tenantId !== tenantIdOf(req) || choice.channel !== req.params.channel) return backWithError(req, res, new AppError('publishing.oauth.errors.stateInvalid', 400));
    render(req, res, 'publishing/engine/oauth-choose', {
      channel: choice.channel,
      choiceId: req.params.choice,
      accounts: service.choosable(choice),
      errors: {},
    });
  });

  router.post('/app/channels/connect/:channel/choose/:choice', ...manage, async (req, res) => {
    const choice = choiceOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const names = await service.choose(tenantIdOf(req), req.viewer!.userId, String(req.params.channel), choice, body.accounts);
      const { [String(req.params.choice)]: _done, ...rest } = req.session.oauthChoices ?? {};
      req.session.oauthChoices = rest;
      connected(req, res, names);
    } catch (err) {
      if (err instanceof AppError && err.code === 'publishing.oauth.errors.noneChosen' && choice) {
        return render(req, res, 'publishing/engine/oauth-choose', { channel: choice.channel, choiceId: req.params.choice, accounts: service.choosable(choice), errors: { accounts: err.code } }, { status: 422 });
      }
      backWithError(req, res, err);
    }
  });

  return router;
}
