import { Router, type Request, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import passport from 'passport';
import { z } from 'zod';
import type { Config } from '../../config.js';
import { AppError, ValidationError } from '../../shared/errors.js';
import { uuidParam } from '../../shared/http/params.js';
import { requireLogin, requirePlatformAdmin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { redirect, render } from '../../shared/http/render.js';
import { isLocale } from '../../shared/i18n.js';
import { parseInput } from '../../shared/validation.js';
import type { AuthService } from './auth-service.js';
import { normalizeEmail, TEAM_ROLE_CODES, type User } from './domain.js';
import type { UserRepository } from './ports.js';
import type { PlatformDirectory } from './platform-directory.js';
import type { TeamService } from './team-service.js';
import { requestBaseUrl } from '../../shared/http/public-url.js';

export const DEMO_ACCOUNTS = [
  { email: 'demo@cadence.test', password: 'cadence-demo', role: 'client_owner' },
  { email: 'demo2@cadence.test', password: 'cadence-demo', role: 'client_owner' },
  { email: 'admin@cadence.test', password: 'cadence-admin', role: 'super_admin' },
];

const loginSchema = z.object({
  email: z.string().trim().min(1, 'tenancy.errors.emailRequired').max(320).email('tenancy.errors.emailInvalid'),
  password: z.string().min(1, 'tenancy.errors.passwordRequired').max(1024),
});
const inviteSchema = z.object({
  email: z.string().trim().max(320).email('tenancy.errors.emailInvalid'),
  role: z.enum(TEAM_ROLE_CODES, { error: 'tenancy.errors.unknownRole' }),
});
const roleSchema = z.object({ role: z.enum(TEAM_ROLE_CODES, { error: 'tenancy.errors.unknownRole' }) });
const acceptSchema = z.object({
  name: z.string().trim().min(1, 'tenancy.errors.nameRequired').max(200),
  password: z.string().min(10, 'tenancy.errors.passwordTooShort').max(1024),
});

/** Only same-site paths: never an open redirect. */
function safeNext(value: unknown): string | undefined {
  return typeof value === 'string' && /^\/(?!\/)[\w\-/?=&%.]*$/.test(value) ? value : undefined;
}

export function tenancyRoutes(deps: {
  config: Config;
  authService: AuthService;
  teamService: TeamService;
  platformDirectory: PlatformDirectory;
  userRepository: UserRepository;
}): Router {
  const { config, authService, teamService, platformDirectory, userRepository } = deps;
  const router = Router();

  const loginLimiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: config.loginRateLimit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${normalizeEmail(String(req.body?.email ?? ''))}`,
    handler: (req, res) =>
      renderLogin(req, res, { email: String(req.body?.email ?? '') }, { _form: 'tenancy.errors.tooManyAttempts' }, 429),
  });

  function renderLogin(req: Request, res: Response, values: { email?: string }, errors: Record<string, string> = {}, status = 200) {
    render(req, res, 'tenancy/login', { values, errors, demoAccounts: config.demo ? DEMO_ACCOUNTS : [], next: safeNext(req.query.next ?? req.body?.next) }, { status });
  }

  router.get('/login', (req, res) => {
    if (req.viewer) return res.redirect(303, authService.landingPath(req.viewer));
    renderLogin(req, res, {});
  });

  router.post('/login', loginLimiter, (req, res, next) => {
    let input: z.infer<typeof loginSchema>;
    try {
      input = parseInput(loginSchema, req.body);
    } catch (err) {
      if (err instanceof ValidationError) return renderLogin(req, res, { email: req.body?.email }, err.fieldErrors, 422);
      return next(err);
    }
    authService
      .authenticate(input.email, input.password)
      .then((user: User | null) => {
        if (!user) return renderLogin(req, res, { email: input.email }, { _form: 'tenancy.errors.badCredentials' }, 401);
        const locale = req.session.locale;
        req.logIn({ id: user.id }, async (err) => {
          if (err) return next(err);
          if (isLocale(locale) && locale !== user.locale) await userRepository.setLocale(user.id, locale);
          const viewer = await authService.loadViewer(user.id);
          redirect(req, res, safeNext(req.body?.next) ?? (viewer ? authService.landingPath(viewer) : '/app'));
        });
      })
      .catch(next);
  });

  router.post('/logout', (req, res, next) => {
    req.logOut((err) => {
      if (err) return next(err);
      req.session.destroy(() => redirect(req, res, '/login'));
    });
  });

  router.post('/locale', async (req, res) => {
    const locale = req.body?.locale;
    if (!isLocale(locale)) throw new ValidationError({ locale: 'common.errors.invalidValue' });
    req.session.locale = locale;
    if (req.viewer) await userRepository.setLocale(req.viewer.userId, locale);
    const back = safeNext(req.body?.back) ?? (req.viewer ? '/app' : '/login');
    redirect(req, res, back);
  });

  router.post('/app/tenant', requireLogin, (req, res) => {
    const wanted = String(req.body?.tenantId ?? '');
    if (!req.viewer!.tenants.some((t) => t.id === wanted)) throw new AppError('common.errors.notFound', 404);
    req.session.tenantId = wanted;
    redirect(req, res, '/app');
  });

  // Team
  const teamPage = async (req: Request, res: Response, extra: object = {}, status = 200) => {
    const tenantId = tenantIdOf(req);
    const { members, invitations } = await teamService.overview(tenantId);
    render(
      req,
      res,
      'tenancy/team/index',
      { members, invitations, roles: TEAM_ROLE_CODES, canManage: req.viewer!.tenant!.permissions.includes('team.manage'), values: {}, errors: {}, ...extra },
      { status, fragment: 'tenancy/team/_team' },
    );
  };

  router.get('/app/team', requireLogin, requireTenantPermission('workspace.view'), (req, res) => teamPage(req, res));

  router.post('/app/team/invitations', requireLogin, requireTenantPermission('team.manage'), async (req, res) => {
    try {
      const input = parseInput(inviteSchema, req.body);
      const { token } = await teamService.invite(tenantIdOf(req), req.viewer!.userId, input.email, input.role);
      const base = requestBaseUrl(req, config);
      await teamPage(req, res, { inviteLink: `${base}/invitations/${token}`, invitedEmail: input.email });
    } catch (err) {
      if (err instanceof ValidationError) return teamPage(req, res, { values: req.body, errors: err.fieldErrors }, 422);
      throw err;
    }
  });

  router.post('/app/team/invitations/:id/revoke', requireLogin, requireTenantPermission('team.manage'), async (req, res) => {
    await teamService.revokeInvitation(tenantIdOf(req), uuidParam(req.params.id));
    await teamPage(req, res);
  });

  router.post('/app/team/:membershipId/role', requireLogin, requireTenantPermission('team.manage'), async (req, res) => {
    const { role } = parseInput(roleSchema, req.body);
    await teamService.changeRole(tenantIdOf(req), uuidParam(req.params.membershipId), role);
    await teamPage(req, res);
  });

  router.post('/app/team/:membershipId/remove', requireLogin, requireTenantPermission('team.manage'), async (req, res) => {
    await teamService.remove(tenantIdOf(req), uuidParam(req.params.membershipId));
    await teamPage(req, res);
  });

  // Invitations (no session needed)
  router.get('/invitations/:token', async (req, res) => {
    const invitation = await teamService.findInvitation(String(req.params.token));
    const existing = await userRepository.findByEmail(invitation.email);
    render(req, res, 'tenancy/invitation', { invitation, existing: Boolean(existing), values: {}, errors: {} });
  });

  router.post('/invitations/:token', async (req, res, next) => {
    const token = String(req.params.token);
    const invitation = await teamService.findInvitation(token);
    try {
      const existing = await userRepository.findByEmail(invitation.email);
      const input = existing
        ? { name: existing.name, password: String(req.body?.password ?? '') }
        : parseInput(acceptSchema, req.body);
      const { userId, tenantId } = await teamService.acceptInvitation(token, { ...input, locale: req.locale });
      req.logIn({ id: userId }, (err) => {
        if (err) return next(err);
        req.session.tenantId = tenantId;
        redirect(req, res, '/app');
      });
    } catch (err) {
      if (err instanceof ValidationError) {
        const existing = await userRepository.findByEmail(invitation.email);
        return render(req, res, 'tenancy/invitation', { invitation, existing: Boolean(existing), values: { name: req.body?.name }, errors: err.fieldErrors }, { status: 422 });
      }
      throw err;
    }
  });

  // Super admin shell
  router.get('/admin', requireLogin, requirePlatformAdmin, async (req, res) => {
    render(req, res, 'admin/index', { counts: await platformDirectory.counts() });
  });
  router.get('/admin/distributors', requireLogin, requirePlatformAdmin, async (req, res) => {
    render(req, res, 'admin/distributors', { distributors: await platformDirectory.listDistributors() });
  });
  router.get('/admin/tenants', requireLogin, requirePlatformAdmin, async (req, res) => {
    render(req, res, 'admin/tenants', { tenants: await platformDirectory.listTenants() });
  });
  router.get('/admin/users', requireLogin, requirePlatformAdmin, async (req, res) => {
    render(req, res, 'admin/users', { users: await platformDirectory.listUsers() });
  });

  return router;
}
