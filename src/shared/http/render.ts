import type { Request, Response } from 'express';
import type { Eta } from 'eta';
import { wantsFragment } from './html.js';

export interface RenderOptions {
  status?: number;
  /** Fragment returned alone to an HTMX request (not boosted); the page includes it. */
  fragment?: string;
}

/** One URL serves the full page, or only its fragment when HTMX asks for it. */
export function render(req: Request, res: Response, view: string, data: object = {}, options: RenderOptions = {}): void {
  const eta = req.app.locals.eta as Eta;
  const locals = { ...res.locals, ...data, t: req.t, locale: req.locale, viewer: req.viewer, csrfToken: req.csrfToken };
  const asFragment = options.fragment && wantsFragment(req);
  res.vary('HX-Request');
  res.status(options.status ?? 200).type('html');
  res.send(eta.render(asFragment ? options.fragment! : view, locals));
}

/** After a successful POST: a full redirect, or HX-Redirect for HTMX. */
export function redirect(req: Request, res: Response, location: string): void {
  if (req.get('HX-Request') === 'true') {
    res.set('HX-Redirect', location).status(204).end();
  } else {
    res.redirect(303, location);
  }
}

export function flash(req: Request, kind: 'success' | 'error' | 'info', message: string): void {
  req.session.flash = { kind, message };
}
