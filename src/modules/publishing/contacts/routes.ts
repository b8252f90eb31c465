import { Router, type Request, type Response } from 'express';
import type { Config } from '../../../config.js';
import { AppError, ValidationError } from '../../../shared/errors.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../../shared/http/guards.js';
import { uuidParam } from '../../../shared/http/params.js';
import { flash, redirect, render } from '../../../shared/http/render.js';
import { contactsCsv } from './contact-export.js';
import type { ContactService } from './contact-service.js';
import { CONSENT_BASES, CONSENT_MEDIA, CONTACT_STATUSES, displayName, type ConsentMedium, type ContactFilter, type ContactStatus } from './domain.js';
import { MAX_IMPORT_BYTES, type ContactImportService } from './import-service.js';
import { requestBaseUrl } from '../../../shared/http/public-url.js';
import { singleFileReceiver } from '../../../shared/http/file-upload.js';

export interface ContactRouteDeps {
  contactService: ContactService;
  contactImportService: ContactImportService;
  config: Pick<Config, 'publicUrl'>;
}

const receiveFile = singleFileReceiver(MAX_IMPORT_BYTES, {
  tooLarge: () => new ValidationError({ file: 'contacts.errors.fileTooLarge' }),
  bad: () => new ValidationError({ file: 'contacts.errors.badUpload' }),
});

const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');

function parseFilter(query: Request['query']): ContactFilter {
  const q = text(query.q).replace(/\s+/g, ' ').trim().slice(0, 100);
  const status = text(query.status);
  const listId = text(query.list);
  const page = Number.parseInt(text(query.page), 10);
  return {
    q: q || undefined,
    status: (CONTACT_STATUSES as readonly string[]).includes(status) ? (status as ContactStatus) : undefined,
    listId: /^[0-9a-f-]{36}$/i.test(listId) ? listId : undefined,
    page: Number.isFinite(page) && page >= 1 ? Math.min(page, 10_000) : 1,
  };
}

function hrefFor(filter: ContactFilter, page = 1): string {
  const params = new URLSearchParams();
  if (filter.q) params.set('q', filter.q);
  if (filter.status) params.set('status', filter.status);
  if (filter.listId) params.set('list', filter.listId);
  if (page > 1) params.set('page', String(page));
  const qs = params.toString();
  return qs ? `/app/contacts?${qs}` : '/app/contacts';
}

function contactInput(body: Record<string, unknown>) {
  return { email: text(body.email), phone: text(body.phone), firstName: text(body.firstName), lastName: text(body.lastName), company: text(body.company) };
}

function consentContext(req: Request, proof: string) {
  return { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, proof: proof.trim().slice(0, 2000), actorUserId: req.viewer!.userId };
}

const formatDate = (locale: string, timeZone: string) => (d: Date | null) => (d ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d) : '');

/** `/app/contacts/*`: contacts, consent, lists, CSV import and export. */
export function contactRoutes(deps: ContactRouteDeps): Router {
  const { contactService, contactImportService, config } = deps;
  const router = Router();
  const read = [requireLogin, requireTenantPermission('workspace.view')];
  const write = [requireLogin, requireTenantPermission('publishing.manage')];
  const common = (req: Request) => ({ canManage: hasTenantPermission(req, 'publishing.manage'), when: formatDate(req.locale, req.viewer?.tenant?.timezone ?? 'Europe/Paris'), displayName, media: CONSENT_MEDIA, statuses: CONTACT_STATUSES });

  router.get('/app/contacts', ...read, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const filter = parseFilter(req.query);
    const [page, lists] = await Promise.all([contactService.list(tenantId, filter), contactService.lists(tenantId)]);
    const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
    render(req, res, 'publishing/contacts/index', { ...common(req), page, pages, lists, filter, href: (p: number) => hrefFor(filter, p) }, { fragment: 'publishing/contacts/_results' });
  });

  // Export: for French Excel (UTF-8 with BOM, `;`), formulas neutralised.
  router.get('/app/contacts/export.csv', ...read, async (req, res) => {
    const contacts = await contactService.all(tenantIdOf(req));
    const day = new Date().toISOString().slice(0, 10);
    res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="contacts-${day}.csv"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.send(contactsCsv(contacts, req.t));
  });

  const newForm = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) =>
    render(req, res, 'publishing/contacts/new', { ...common(req), values: {}, errors: {}, ...extra }, { status });

  router.get('/app/contacts/new', ...write, (req, res) => newForm(req, res));

  router.post('/app/contacts', ...write, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const media = CONSENT_MEDIA.filter((m) => text(body[`${m}Consent`]) === 'on');
    try {
      const contact = await contactService.create(tenantIdOf(req), contactInput(body), { media, context: { source: 'manual', ...consentContext(req, text(body.consentProof)) } });
      flash(req, 'success', req.t('contacts.form.created', { name: displayName(contact) }));
      res.redirect(303, `/app/contacts/${contact.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await newForm(req, res, { values: { ...contactInput(body), consentProof: text(body.consentProof), emailConsent: media.includes('email'), smsConsent: media.includes('sms') }, errors: err.fieldErrors }, 422);
    }
  });

  // Import
  const importForm = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const tenantId = tenantIdOf(req);
    const [lists, recent] = await Promise.all([contactService.lists(tenantId), contactImportService.recent(tenantId)]);
    render(req, res, 'publishing/contacts/import', { ...common(req), lists, recent, bases: CONSENT_BASES, maxMb: MAX_IMPORT_BYTES / 1024 / 1024, values: {}, errors: {}, ...extra }, { status });
  };

  router.get('/app/contacts/import', ...write, (req, res) => importForm(req, res));

  router.post('/app/contacts/import', ...write, async (req, res) => {
    let values: Record<string, string> = {};
    try {
      await receiveFile(req, res);
      const body = (req.body ?? {}) as Record<string, unknown>;
      values = { listId: text(body.listId), consentBasis: text(body.consentBasis), consentProof: text(body.consentProof) };
      if (!req.file || req.file.size === 0) throw new ValidationError({ file: 'contacts.errors.noFile' });
      const result = await contactImportService.import(tenantIdOf(req), {
        filename: req.file.originalname,
        data: req.file.buffer,
        listId: values.listId ? uuidParam(values.listId) : null,
        consentBasis: values.consentBasis,
        consentProof: values.consentProof,
        uploadedBy: req.viewer!.userId,
        ip: req.ip ?? null,
      });
      res.redirect(303, `/app/contacts/imports/${result.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await importForm(req, res, { values, errors: err.fieldErrors }, 422);
    }
  });

  router.get('/app/contacts/imports/:id', ...read, async (req, res) => {
    const report = await contactImportService.get(tenantIdOf(req), uuidParam(req.params.id));
    render(req, res, 'publishing/contacts/import-report', { ...common(req), report });
  });

  // Lists
  const listsPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const lists = await contactService.lists(tenantIdOf(req), { includeArchived: true });
    render(req, res, 'publishing/contacts/lists', { ...common(req), lists, values: { doubleOptIn: true }, errors: {}, ...extra }, { status });
  };

  router.get('/app/contacts/lists', ...read, (req, res) => listsPage(req, res));

  const listInput = (body: Record<string, unknown>) => ({ name: text(body.name), description: text(body.description), doubleOptIn: text(body.doubleOptIn) === 'on' });

  router.post('/app/contacts/lists', ...write, async (req, res) => {
    const input = listInput((req.body ?? {}) as Record<string, unknown>);
    try {
      await contactService.createList(tenantIdOf(req), input);
      flash(req, 'success', req.t('contacts.lists.created', { name: input.name.trim() }));
      res.redirect(303, '/app/contacts/lists');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await listsPage(req, res, { values: input, errors: err.fieldErrors }, 422);
    }
  });

  router.post('/app/contacts/lists/:id', ...write, async (req, res) => {
    const id = uuidParam(req.params.id);
    const input = listInput((req.body ?? {}) as Record<string, unknown>);
    try {
      await contactService.updateList(tenantIdOf(req), id, input);
      flash(req, 'success', req.t('contacts.lists.saved'));
      res.redirect(303, '/app/contacts/lists');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await listsPage(req, res, { editId: id, editValues: input, editErrors: err.fieldErrors }, 422);
    }
  });

  router.post('/app/contacts/lists/:id/archive', ...write, async (req, res) => {
    const archived = text((req.body ?? {}).archived) !== 'false';
    await contactService.archiveList(tenantIdOf(req), uuidParam(req.params.id), archived);
    flash(req, 'success', req.t(archived ? 'contacts.lists.archived' : 'contacts.lists.restored'));
    res.redirect(303, '/app/contacts/lists');
  });

  // One contact
  const showPage = async (req: Request, res: Response, id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const tenantId = tenantIdOf(req);
    const [details, lists] = await Promise.all([contactService.details(tenantId, id), contactService.lists(tenantId)]);
    const c = details.contact;
    const values = { email: c.email ?? '', phone: c.phoneE164 ?? '', firstName: c.firstName ?? '', lastName: c.lastName ?? '', company: c.company ?? '' };
    render(req, res, 'publishing/contacts/show', { ...common(req), ...details, lists, values, errors: {}, ...extra }, { status });
  };

  router.get('/app/contacts/:id', ...read, async (req, res) => showPage(req, res, uuidParam(req.params.id)));

  router.post('/app/contacts/:id', ...write, async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      await contactService.update(tenantIdOf(req), id, contactInput(body));
      flash(req, 'success', req.t('contacts.form.saved'));
      res.redirect(303, `/app/contacts/${id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await showPage(req, res, id, { values: contactInput(body), errors: err.fieldErrors }, 422);
    }
  });

  router.post('/app/contacts/:id/delete', ...write, async (req, res) => {
    await contactService.delete(tenantIdOf(req), uuidParam(req.params.id));
    flash(req, 'success', req.t('contacts.form.deleted'));
    redirect(req, res, '/app/contacts');
  });

  router.post('/app/contacts/:id/consent', ...write, async (req, res) => {
    const id = uuidParam(req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const medium = text(body.medium) as ConsentMedium;
    if (!(CONSENT_MEDIA as readonly string[]).includes(medium)) throw new AppError('common.errors.invalidValue', 422);
    const proof = text(body.consentProof);
    try {
      if (text(body.action) === 'withdraw') {
        await contactService.withdrawConsent(tenantIdOf(req), id, medium, { source: 'admin', ...consentContext(req, proof) });
        flash(req, 'success', req.t(`contacts.consent.withdrawn.${medium}`));
      } else {
        await contactService.grantConsent(tenantIdOf(req), id, medium, { source: 'manual', ...consentContext(req, proof) });
        flash(req, 'success', req.t(`contacts.consent.granted.${medium}`));
      }
      res.redirect(303, `/app/contacts/${id}`);
    } catch (err) {
      if (err instanceof ValidationError) return showPage(req, res, id, { consentErrors: err.fieldErrors, consentMedium: medium, consentProof: proof }, 422);
      if (err instanceof AppError && err.status === 409) return showPage(req, res, id, { consentErrors: { consent: err.code }, consentMedium: medium }, 409);
      throw err;
    }
  });

  router.post('/app/contacts/:id/lists', ...write, async (req, res) => {
    const id = uuidParam(req.params.id);
    const listId = uuidParam(text((req.body ?? {}).listId));
    try {
      const status = await contactService.addToList(tenantIdOf(req), listId, id, requestBaseUrl(req, config));
      flash(req, 'success', req.t(status === 'pending' ? 'contacts.membership.pending' : 'contacts.membership.subscribed'));
      res.redirect(303, `/app/contacts/${id}`);
    } catch (err) {
      if (err instanceof AppError && (err.status === 409 || err.status === 422) && !(err instanceof ValidationError)) {
        return showPage(req, res, id, { membershipError: err.code }, err.status);
      }
      throw err;
    }
  });

  router.post('/app/contacts/:id/lists/:listId/remove', ...write, async (req, res) => {
    const id = uuidParam(req.params.id);
    await contactService.removeFromList(tenantIdOf(req), uuidParam(req.params.listId), id);
    flash(req, 'success', req.t('contacts.membership.removed'));
    res.redirect(303, `/app/contacts/${id}`);
  });

  router.post('/app/contacts/:id/lists/:listId/resend', ...write, async (req, res) => {
    const id = uuidParam(req.params.id);
    await contactService.resendConfirmation(tenantIdOf(req), uuidParam(req.params.listId), id, requestBaseUrl(req, config));
    flash(req, 'success', req.t('contacts.membership.resent'));
    res.redirect(303, `/app/contacts/${id}`);
  });

  return router;
}
