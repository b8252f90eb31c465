import { Router } from 'express';
import { NotFoundError } from '../../shared/errors.js';
import { render } from '../../shared/http/render.js';
import { kindOfPath, LEGAL_KINDS, legalPath } from './legal-kinds.js';
import type { LegalService } from './legal-service.js';

/** `/legal/<kind>`: public pages (no login), in the reader's language, with links to the other documents. */
export function legalRoutes(deps: { legalService: LegalService }): Router {
  const router = Router();
  router.get('/legal/:kind', async (req, res) => {
    const kind = kindOfPath(String(req.params.kind));
    if (!kind) throw new NotFoundError();
    const document = await deps.legalService.document(kind, req.locale);
    const links = LEGAL_KINDS.map((k) => ({ kind: k, href: legalPath(k) }));
    render(req, res, 'legal/document', {
      document,
      links,
      published: new Intl.DateTimeFormat(req.locale, { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(document.publishedAt),
      paragraphs: document.body.split(/\n{2,}/).map((p) => p.trim()).filter(Boolean),
    });
  });
  return router;
}
