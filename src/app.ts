import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { pinoHttp } from 'pino-http';
import type { Cradle } from './container.js';
import { billingRouter, stripeWebhookRoutes } from './modules/billing/index.js';
import { aiRoutes } from './modules/ai/routes.js';
import { promptRoutes } from './modules/ai/prompt-routes.js';
import { brandRoutes } from './modules/brand/index.js';
import { calendarRoutes } from './modules/calendar/index.js';
import { publishingRoutes, smsWebhookRoutes } from './modules/publishing/index.js';
import { studioRoutes } from './modules/studio/index.js';
import { analyticsRoutes, conversionEndpointRoutes } from './modules/analytics/index.js';
import { pipelineRoutes } from './modules/pipeline/index.js';
import { watchRoutes } from './modules/watch/index.js';
import { watchNavBadge } from './modules/watch/nav-badge.js';
import { PORTAL_NAV } from './modules/portal/index.js';
import { tenancyRouter } from './modules/tenancy/index.js';
import { AppError, ValidationError } from './shared/errors.js';
import { csrfProtection } from './shared/http/csrf.js';
import { escapeHtml, redactSecretPath } from './shared/http/html.js';
import { render } from './shared/http/render.js';
import { DEFAULT_LOCALE, isLocale, type Locale } from './shared/i18n.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function createApp(cradle: Cradle): express.Express {
  const { config, logger, database, i18n, authService, sessionStore } = cradle;
  const app = express();
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  app.locals.eta = new Eta({ views: path.join(root, 'views'), cache: config.env === 'production', autoEscape: true });

  app.get('/healthz', async (_req, res) => {
    const up = await database.ping();
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'unavailable', database: database.kind });
  });

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"], // htmx injects its indicator style
          imgSrc: ["'self'", 'data:', 'blob:'],
          mediaSrc: ["'self'", 'blob:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: config.secureCookies ? [] : null,
        },
      },
      strictTransportSecurity: config.secureCookies,
    }),
  );
  app.use('/assets', express.static(path.join(root, 'public'), { maxAge: config.env === 'production' ? '7d' : 0 }));
  app.use('/assets/vendor/htmx.min.js', (_req, res) =>
    res.sendFile(path.join(root, 'node_modules/htmx.org/dist/htmx.min.js'), { maxAge: '7d' }),
  );

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 64) || crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      serializers: { req: (req: { url: string }) => ({ ...req, url: redactSecretPath(req.url) }) },
      customProps: (req) => ({ tenantId: (req as Request).viewer?.tenant?.id, userId: (req as Request).viewer?.userId }),
    }),
  );
  // Provider callbacks (signed by the provider): no session, no CSRF token.
  app.use(smsWebhookRoutes(cradle));
  app.use(conversionEndpointRoutes(cradle));
  app.use(stripeWebhookRoutes(cradle));
  app.use(express.urlencoded({ extended: false, limit: '200kb' }));
  app.use(express.json({ limit: '200kb' }));
  app.use(
    session({
      name: 'cadence.sid',
      store: sessionStore,
      secret: cradle.sessionSecret,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: 7 * 24 * 3600 * 1000 },
    }),
  );

  passport.use(
    new LocalStrategy({ usernameField: 'email' }, (email, password, done) => {
      authService.authenticate(email, password).then((user) => done(null, user ? { id: user.id } : false), done);
    }),
  );
  passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
  passport.deserializeUser((id: string, done) => done(null, { id }));
  app.use(passport.session());

  // Who is asking, and in which language.
  app.use(async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const userId = (req.user as { id?: string } | undefined)?.id;
      if (userId) {
        req.viewer = (await authService.loadViewer(userId, req.session.tenantId)) ?? undefined;
        if (req.viewer?.tenant) req.session.tenantId = req.viewer.tenant.id;
        if (req.viewer) req.log = req.log.child({ tenantId: req.viewer.tenant?.id, userId: req.viewer.userId });
      }
      const locale: Locale = req.viewer?.locale ?? (isLocale(req.session.locale) ? req.session.locale : DEFAULT_LOCALE);
      req.locale = locale;
      req.t = i18n.getFixedT(locale);
      next();
    } catch (err) {
      next(err);
    }
  });
  app.use((req, res, next) => {
    res.locals.flash = req.session.flash;
    delete req.session.flash;
    res.locals.demo = config.demo;
    res.locals.path = req.path;
    res.locals.nav = PORTAL_NAV;
    next();
  });
  app.use(watchNavBadge(cradle));
  app.use(csrfProtection);

  app.get('/', (req, res) => res.redirect(303, req.viewer ? authService.landingPath(req.viewer) : '/login'));
  app.use(tenancyRouter(cradle));
  app.use(billingRouter(cradle));
  app.use(aiRoutes(cradle));
  app.use(promptRoutes(cradle));
  app.use(brandRoutes(cradle));
  app.use(studioRoutes(cradle));
  app.use(calendarRoutes(cradle));
  app.use(publishingRoutes(cradle));
  app.use(pipelineRoutes(cradle));
  app.use(watchRoutes(cradle));
  app.use(analyticsRoutes(cradle));

  app.use((req, _res, next) => next(new AppError('common.errors.notFound', 404)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const appError = err instanceof AppError ? err : undefined;
    const status = appError?.status ?? (isBodyTooLarge(err) ? 413 : 500);
    if (status >= 500) req.log?.error({ err }, 'request failed');
    const code = appError?.code ?? (status === 413 ? 'common.errors.tooLarge' : 'common.errors.internal');
    if (!req.t) {
      req.locale = DEFAULT_LOCALE;
      req.t = i18n.getFixedT(DEFAULT_LOCALE);
    }
    req.csrfToken ??= req.session?.csrfToken ?? '';
    const message = req.t(code, appError?.params ?? {});
    if (req.get('HX-Request') === 'true') {
      res.status(status).type('html').send(`<div class="alert alert-error" role="alert">${escapeHtml(message)}</div>`);
      return;
    }
    render(req, res, 'error', { status, message, fieldErrors: err instanceof ValidationError ? err.fieldErrors : {} }, { status });
  });
  return app;
}

function isBodyTooLarge(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { type?: string }).type === 'entity.too.large';
}
