import { Router, type Request, type Response } from 'express';
import { AppError, ValidationError } from '../../shared/errors.js';
import { singleFileReceiver } from '../../shared/http/file-upload.js';
import { hasTenantPermission, requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { wantsFragment } from '../../shared/http/html.js';
import { uuidParam } from '../../shared/http/params.js';
import { render } from '../../shared/http/render.js';
import { parseInput } from '../../shared/validation.js';
import { MAX_AUDIO_BYTES } from '../brand/onboarding-domain.js';
import { isMonth } from './domain.js';
import { monthName } from './session-mail.js';
import { deadlineInput, ITEM_KINDS, itemFormSchema, MAX_ITEMS, MAX_PRIORITIES, sessionFormSchema } from './session-domain.js';
import type { SessionPage, MonthlySessionService } from './session-service.js';

const BASE = '/app/pipeline/session';
const canView = [requireLogin, requireTenantPermission('workspace.view')];
const canEdit = [requireLogin, requireTenantPermission('content.write')];

const receiveAudio = singleFileReceiver(MAX_AUDIO_BYTES, {
  tooLarge: () => new ValidationError({ audio: 'session.errors.audioTooLarge' }),
  bad: () => new ValidationError({ audio: 'session.errors.uploadFailed' }),
});

/** What the session form shows: the saved session, or what was typed when it was refused. */
interface FormState {
  values?: Record<string, unknown>;
  errors?: Record<string, string>;
  itemValues?: Record<string, unknown>;
  itemErrors?: Record<string, string>;
  audioErrors?: Record<string, string>;
  notice?: string | null;
}

function one(value: unknown): string {
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';
}

const list = (value: unknown): string[] => (value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => String(v)));

/** `/app/pipeline/session`: the client's monthly session (routes mounted by the pipeline module). */
export function sessionRoutes(deps: { monthlySessionService: MonthlySessionService }): Router {
  const service = deps.monthlySessionService;
  const router = Router();

  function viewData(req: Request, page: SessionPage, state: FormState) {
    const { session } = page;
    const canWrite = hasTenantPermission(req, 'content.write') && session.status !== 'closed';
    const priorities = state.values
      ? list(state.values.priorityLabel).map((label, i) => ({ label, weight: list(state.values!.priorityWeight)[i] ?? '' }))
      : session.priorities.map((p) => ({ label: p.label, weight: String(p.weight) }));
    const values = {
      textInput: state.values ? one(state.values.textInput) : session.textInput,
      deadline: state.values ? one(state.values.deadline) : deadlineInput(session.deadlineAt, page.timezone),
      audioTranscript: state.values && state.values.audioTranscript !== undefined ? one(state.values.audioTranscript) : (session.audioTranscript ?? ''),
      priorities,
    };
    return {
      section: 'pipeline',
      base: BASE,
      page,
      session,
      items: page.items,
      months: page.months.map((m) => ({ value: m, label: monthName(m, req.locale), current: m === session.month })),
      monthLabel: monthName(session.month, req.locale),
      kinds: ITEM_KINDS,
      maxPriorities: MAX_PRIORITIES,
      maxItems: MAX_ITEMS,
      canWrite,
      values,
      errors: state.errors ?? {},
      itemValues: state.itemValues ?? {},
      itemErrors: state.itemErrors ?? {},
      audioErrors: state.audioErrors ?? (page.audioError ? { audio: page.audioError } : {}),
      notice: state.notice ?? null,
      formatDate: (date: Date | null) => (date ? new Intl.DateTimeFormat(req.locale, { timeZone: page.timezone, dateStyle: 'long', timeStyle: 'short' }).format(date) : ''),
    };
  }

  function show(req: Request, res: Response, page: SessionPage, state: FormState = {}, options: { status?: number; fragment?: string } = {}) {
    render(req, res, 'pipeline/session', viewData(req, page, state), { status: options.status, fragment: options.fragment ?? 'pipeline/_session-body' });
  }

  /** After a change: HTMX gets the fragment back, a plain form the page (303). */
  async function answer(req: Request, res: Response, sessionId: string, fragment: string, notice: string | null = null) {
    const page = await service.pageById(tenantIdOf(req), sessionId);
    if (!wantsFragment(req)) return res.redirect(303, `${BASE}?month=${page.session.month}`);
    show(req, res, page, { notice }, { fragment });
  }

  /** A refused change: 422 (or 409 once closed) with the form as it was typed. */
  async function refuse(req: Request, res: Response, sessionId: string, err: unknown, fragment: string, state: (errors: Record<string, string>) => FormState) {
    if (!(err instanceof AppError) || err.status >= 500 || err.status === 404 || err.status === 403) throw err;
    const errors = err instanceof ValidationError ? err.fieldErrors : { _form: err.code };
    const page = await service.pageById(tenantIdOf(req), sessionId);
    show(req, res, page, state(errors), { status: err.status === 409 ? 409 : 422, fragment: wantsFragment(req) ? fragment : undefined });
  }

  router.get(BASE, ...canView, async (req, res) => {
    const month = one(req.query.month);
    if (month && !isMonth(month)) throw new AppError('session.errors.monthUnavailable', 404);
    const page = await service.page(tenantIdOf(req), month || undefined);
    show(req, res, page);
  });

  // The form: saved, or saved and submitted (`action=submit`).
  router.post(`${BASE}/:id`, ...canEdit, async (req, res) => {
    const id = uuidParam(req.params.id);
    const submit = req.body?.action === 'submit';
    try {
      const form = parseInput(sessionFormSchema, req.body ?? {});
      await service.save(tenantIdOf(req), id, form, submit ? { submitBy: req.viewer!.userId } : {});
    } catch (err) {
      return refuse(req, res, id, err, 'pipeline/_session-body', (errors) => ({ values: req.body ?? {}, errors }));
    }
    await answer(req, res, id, 'pipeline/_session-body', req.t(submit ? 'session.notice.submitted' : 'session.notice.saved'));
  });

  router.post(`${BASE}/:id/items`, ...canEdit, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      await service.addItem(tenantIdOf(req), id, parseInput(itemFormSchema, req.body ?? {}));
    } catch (err) {
      return refuse(req, res, id, err, 'pipeline/_session-items', (errors) => ({ itemValues: req.body ?? {}, itemErrors: errors }));
    }
    await answer(req, res, id, 'pipeline/_session-items');
  });

  router.post(`${BASE}/:id/items/:itemId/delete`, ...canEdit, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      await service.removeItem(tenantIdOf(req), id, uuidParam(req.params.itemId));
    } catch (err) {
      return refuse(req, res, id, err, 'pipeline/_session-items', (errors) => ({ itemErrors: errors }));
    }
    await answer(req, res, id, 'pipeline/_session-items');
  });

  // Keep or leave out an item (a watch suggestion the client does not want).
  router.post(`${BASE}/:id/items/:itemId/include`, ...canEdit, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      await service.setIncluded(tenantIdOf(req), id, uuidParam(req.params.itemId), req.body?.included === 'true');
    } catch (err) {
      return refuse(req, res, id, err, 'pipeline/_session-items', (errors) => ({ itemErrors: errors }));
    }
    await answer(req, res, id, 'pipeline/_session-items');
  });

  // A recording: multipart (the CSRF token rides in the action's query string), transcribed before answering.
  router.post(`${BASE}/:id/audio`, ...canEdit, async (req, res) => {
    const id = uuidParam(req.params.id);
    try {
      await service.require(tenantIdOf(req), id);
      await receiveAudio(req, res);
      if (!req.file) throw new ValidationError({ audio: 'session.errors.audioRequired' });
      await service.addAudio(tenantIdOf(req), id, req.viewer!.userId, { originalname: req.file.originalname, buffer: req.file.buffer, size: req.file.size });
    } catch (err) {
      return refuse(req, res, id, err, 'pipeline/_session-audio', (errors) => ({ audioErrors: errors }));
    }
    await answer(req, res, id, 'pipeline/_session-audio');
  });

  return router;
}
