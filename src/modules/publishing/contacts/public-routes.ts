import { Router, type Request } from 'express';
import { NotFoundError } from '../../../shared/errors.js';
import { render } from '../../../shared/http/render.js';
import type { ContactService } from './contact-service.js';

function visitor(req: Request) {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
}

const PRIVATE = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Robots-Tag': 'noindex, nofollow' };

/**
 * Pages reached from an e-mail, without an account: `/c/confirm/<token>` (double opt-in) and `/u/<token>`
 * (unsubscribe). Confirming takes a click on the page (mail scanners open links; they must not confirm).
 * `POST /u/<token>` is RFC 8058's one-click unsubscribe: mail clients post `List-Unsubscribe=One-Click` with
 * no cookie and no CSRF token — the signed token is the authority.
 */
export function contactPublicRoutes(deps: { contactService: ContactService }): Router {
  const { contactService } = deps;
  const router = Router();

  router.get('/c/confirm/:token', async (req, res) => {
    res.set(PRIVATE);
    const state = await contactService.confirmationState(req.params.token);
    if (!state) throw new NotFoundError('contacts.public.linkUnknown');
    render(req, res, 'publishing/contacts/public/confirm', { title: req.t('contacts.public.confirmTitle'), token: req.params.token, ...state }, { status: state.state === 'expired' ? 410 : 200 });
  });

  router.post('/c/confirm/:token', async (req, res) => {
    res.set(PRIVATE);
    const result = await contactService.confirm(req.params.token, visitor(req));
    if (!result) throw new NotFoundError('contacts.public.linkUnknown');
    if (result === 'expired') {
      return render(req, res, 'publishing/contacts/public/confirm', { title: req.t('contacts.public.confirmTitle'), state: 'expired', tenantName: '' }, { status: 410 });
    }
    render(req, res, 'publishing/contacts/public/confirm', { title: req.t('contacts.public.confirmTitle'), state: 'confirmed', ...result });
  });

  router.get('/u/:token', async (req, res) => {
    res.set(PRIVATE);
    const target = await contactService.unsubscribeTarget(req.params.token);
    if (!target) throw new NotFoundError('contacts.public.linkUnknown');
    render(req, res, 'publishing/contacts/public/unsubscribe', { title: req.t('contacts.public.unsubscribeTitle'), token: req.params.token, done: false, ...target });
  });

  router.post('/u/:token', async (req, res) => {
    res.set(PRIVATE);
    const result = await contactService.unsubscribe(req.params.token, visitor(req));
    if (!result) throw new NotFoundError('contacts.public.linkUnknown');
    if (req.body?.['List-Unsubscribe'] === 'One-Click') {
      res.status(200).type('text').send('OK');
      return;
    }
    render(req, res, 'publishing/contacts/public/unsubscribe', { title: req.t('contacts.public.unsubscribeTitle'), done: true, tenantName: result.tenantName });
  });

  return router;
}
