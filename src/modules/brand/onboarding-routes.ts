import { Router, type Request, type Response } from 'express';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { uuidParam } from '../../shared/http/params.js';
import { redirect, render } from '../../shared/http/render.js';
import { parseInput } from '../../shared/validation.js';
import {
  BUSINESS_LANGUAGES,
  companySchema,
  isOnboardingStep,
  MAX_AUDIO_BYTES,
  MAX_PDF_BYTES,
  MAX_PDFS_PER_UPLOAD,
  nextStep,
  ONBOARDING_STEPS,
  previousStep,
  QUESTION_KEYS,
  questionnaireSchema,
  websiteSchema,
  type InputKind,
  type OnboardingInput,
  type OnboardingSession,
  type OnboardingStep,
} from './onboarding-domain.js';
import type { OnboardingService, RejectedFile } from './onboarding-service.js';
import { acceptUploads, type UploadRequest } from './onboarding-uploads.js';
import type { AiGateway } from '../ai/gateway.js';

const BASE = '/app/brand/onboarding';
const guard = [requireLogin, requireTenantPermission('brand.manage')];

/** The inputs each step lists (and polls while they are being read). */
const STEP_KINDS: Partial<Record<OnboardingStep, InputKind[]>> = {
  audio: ['audio'],
  documents: ['pdf'],
  website: ['url'],
  review: ['audio', 'pdf', 'url'],
};

export interface InputView {
  id: string;
  kind: InputKind;
  label: string;
  status: OnboardingInput['status'];
  error: string | null;
  details: string[];
  deletable: boolean;
  preview: string | null;
}

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));

/** `kinds=pdf` or `kinds=audio,pdf,url` (the review); only files and sites are listed this way. */
function parseKinds(value: unknown): InputKind[] {
  const kinds = String(value ?? '')
    .split(',')
    .filter((k): k is InputKind => k === 'audio' || k === 'pdf' || k === 'url');
  return kinds.length ? [...new Set(kinds)] : ['audio', 'pdf', 'url'];
}


export function onboardingRoutes(deps: { onboardingService: OnboardingService; aiGateway: Pick<AiGateway, 'canTranscribe'> }): Router {
  const service = deps.onboardingService;
  const router = Router();

  const session = (req: Request) => service.open(tenantIdOf(req), req.viewer!.userId, req.locale);

  function inputView(req: Request, input: OnboardingInput): InputView {
    const t = req.t;
    const label =
      input.kind === 'url' ? (input.finalUrl ?? input.sourceUrl ?? '') : (input.originalFilename ?? t(`brand.onboarding.kinds.${input.kind}`));
    const details: string[] = [];
    if (input.sizeBytes) {
      const format = new Intl.NumberFormat(req.locale, { maximumFractionDigits: 1 }).format;
      details.push(
        input.sizeBytes < 1024 * 1024
          ? t('brand.onboarding.inputs.sizeKb', { size: format(Math.max(1, Math.round(input.sizeBytes / 1024))) })
          : t('brand.onboarding.inputs.size', { size: format(input.sizeBytes / (1024 * 1024)) }),
      );
    }
    if (input.status === 'done') {
      if (input.kind === 'pdf' && input.pageCount) details.push(t('brand.onboarding.inputs.pages', { count: input.pageCount }));
      if (input.kind === 'url' && input.pageCount) details.push(t('brand.onboarding.inputs.sitePages', { count: input.pageCount }));
      if (input.kind === 'audio' && input.durationMs) details.push(t('brand.onboarding.inputs.duration', { seconds: Math.round(input.durationMs / 1000) }));
      if (input.extractedChars) details.push(t('brand.onboarding.inputs.chars', { count: input.extractedChars }));
    }
    let error: string | null = null;
    if (input.status === 'failed') {
      // the message was written in the session's language with its parameters; another language gets the key's text
      // (or when the key needs parameters it alone cannot give: the host of a refused address…)
      const generic = t([input.errorCode ?? 'brand.onboarding.errors.processingFailed', 'brand.onboarding.errors.processingFailed']);
      error = input.errorMessage && (input.locale.slice(0, 2) === req.locale || generic.includes('{{')) ? input.errorMessage : generic;
    }
    const preview = input.status === 'done' && input.extractedText ? input.extractedText.slice(0, 280) : null;
    return { id: input.id, kind: input.kind, label, status: input.status, error, details, deletable: input.status !== 'processing', preview };
  }

  function listData(req: Request, s: OnboardingSession, inputs: OnboardingInput[], kinds: InputKind[]) {
    const views = inputs.map((i) => inputView(req, i));
    return {
      inputs: views,
      kindsQuery: kinds.join(','),
      polling: views.some((v) => v.status === 'pending' || v.status === 'processing'),
      editable: s.status === 'in_progress',
    };
  }

  function stepState(s: OnboardingSession, inputs: OnboardingInput[]) {
    const has = (kind: InputKind) => inputs.some((i) => i.kind === kind);
    return {
      company: Boolean(s.stepData.company),
      audio: has('audio'),
      questionnaire: has('questionnaire'),
      documents: has('pdf'),
      website: has('url'),
      review: s.status === 'completed',
    } satisfies Record<OnboardingStep, boolean>;
  }

  /** Renders a step: the page, or its fragment to HTMX. */
  async function renderStep(req: Request, res: Response, s: OnboardingSession, step: OnboardingStep, extra: Record<string, unknown> = {}, status = 200) {
    const tenantId = tenantIdOf(req);
    const all = await service.inputs(tenantId, s.id);
    const kinds = STEP_KINDS[step] ?? [];
    const data: Record<string, unknown> = {
      section: 'brand',
      base: BASE,
      session: s,
      step,
      steps: ONBOARDING_STEPS,
      done: stepState(s, all),
      next: nextStep(step),
      previous: previousStep(step),
      values: {},
      errors: {},
      rejected: [] as RejectedFile[],
      list: listData(req, s, all.filter((i) => kinds.includes(i.kind)), kinds),
      ...extra,
    };
    if (step === 'company') {
      data.languages = BUSINESS_LANGUAGES;
      data.values = extra.values ?? s.stepData.company ?? { languages: [req.locale] };
    }
    if (step === 'audio') {
      data.transcription = await deps.aiGateway.canTranscribe(tenantId);
      data.maxMb = mb(MAX_AUDIO_BYTES);
    }
    if (step === 'questionnaire') {
      data.questions = QUESTION_KEYS;
      data.values = extra.values ?? s.stepData.questionnaire ?? {};
      data.savedAt = s.stepData.questionnaireSavedAt ?? null;
    }
    if (step === 'documents') {
      data.maxMb = mb(MAX_PDF_BYTES);
      data.maxFiles = MAX_PDFS_PER_UPLOAD;
    }
    if (step === 'website') {
      data.values = extra.values ?? { url: s.stepData.website?.url ?? s.stepData.company?.website ?? '' };
    }
    if (step === 'review') {
      const answered = all.filter((i) => i.kind === 'questionnaire').length;
      data.summary = { company: s.stepData.company ?? null, answered, questions: QUESTION_KEYS.length };
      data.progress = progressData(s, data.list as ReturnType<typeof listData>);
    }
    render(req, res, `brand/onboarding/${step}`, data, { status, fragment: `brand/onboarding/_${step}` });
  }

  function progressData(s: OnboardingSession, list: { polling: boolean }) {
    return {
      status: s.status,
      extraction: s.stepData.extraction ?? null,
      waiting: list.polling,
      hasCompany: Boolean(s.stepData.company),
    };
  }

  /** An error shown in the step itself (422/409/413 are swapped by htmx): nothing entered is lost. */
  async function renderStepError(req: Request, res: Response, s: OnboardingSession, step: OnboardingStep, err: unknown, extra: Record<string, unknown> = {}) {
    if (err instanceof ValidationError) return renderStep(req, res, s, step, { errors: err.fieldErrors, ...extra }, 422);
    if (err instanceof AppError && err.status < 500) {
      return renderStep(req, res, s, step, { errors: { _form: err.code }, formParams: err.params, ...extra }, err.status === 409 ? 409 : 422);
    }
    throw err;
  }

  router.get(BASE, ...guard, async (req, res) => {
    const s = await session(req);
    res.redirect(303, `${BASE}/${s.status === 'extracting' ? 'review' : s.currentStep}`);
  });

  // Per-input status list of a step; polls itself while something is being read.
  router.get(`${BASE}/inputs`, ...guard, async (req, res) => {
    const s = await session(req);
    const kinds = parseKinds(req.query.kinds);
    const inputs = await service.inputs(tenantIdOf(req), s.id, kinds);
    render(req, res, 'brand/onboarding/_inputs', { base: BASE, list: listData(req, s, inputs, kinds) });
  });

  router.post(`${BASE}/inputs/:id/delete`, ...guard, async (req, res) => {
    const s = await session(req);
    const removed = await service.removeInput(tenantIdOf(req), s, uuidParam(req.params.id));
    if (!removed) throw new NotFoundError();
    const kinds = parseKinds(req.body?.kinds);
    if (req.get('HX-Request') !== 'true') {
      const kind = removed?.kind ?? kinds[0];
      return res.redirect(303, `${BASE}/${kinds.length > 1 ? 'review' : kind === 'audio' ? 'audio' : kind === 'url' ? 'website' : 'documents'}`);
    }
    const inputs = await service.inputs(tenantIdOf(req), s.id, kinds);
    render(req, res, 'brand/onboarding/_inputs', { base: BASE, list: listData(req, s, inputs, kinds), nested: kinds.length > 1 });
  });

  // Progress of the DNA extraction (polls itself while it runs).
  router.get(`${BASE}/progress`, ...guard, async (req, res) => {
    const s = (await service.latest(tenantIdOf(req))) ?? (await session(req));
    const inputs = await service.inputs(tenantIdOf(req), s.id, STEP_KINDS.review);
    render(req, res, 'brand/onboarding/_progress', { base: BASE, progress: progressData(s, listData(req, s, inputs, STEP_KINDS.review!)) });
  });

  router.post(`${BASE}/generate`, ...guard, async (req, res) => {
    const s = await session(req);
    try {
      await service.generate(tenantIdOf(req), s, req.viewer!.userId);
    } catch (err) {
      return renderStepError(req, res, s, 'review', err);
    }
    if (req.get('HX-Request') !== 'true') return res.redirect(303, `${BASE}/review`);
    await renderStep(req, res, (await service.latest(tenantIdOf(req)))!, 'review');
  });

  router.post(`${BASE}/restart`, ...guard, async (req, res) => {
    const s = await session(req);
    await service.abandon(tenantIdOf(req), s);
    redirect(req, res, BASE);
  });

  router.post(`${BASE}/company`, ...guard, async (req, res) => {
    const s = await session(req);
    try {
      const input = parseInput(companySchema, req.body);
      const next = await service.saveCompany(tenantIdOf(req), s, input);
      redirect(req, res, `${BASE}/${next}`);
    } catch (err) {
      const values = { ...req.body, languages: [req.body?.languages ?? []].flat() };
      await renderStepError(req, res, s, 'company', err, { values });
    }
  });

  router.post(`${BASE}/audio`, ...guard, acceptUploads('audio', MAX_AUDIO_BYTES, 1), async (req, res) => {
    const s = await session(req);
    const upload = req as UploadRequest;
    try {
      if (upload.uploadError) throw upload.uploadError;
      const file = upload.uploads?.[0];
      if (!file) throw new ValidationError({ audio: 'brand.onboarding.errors.audioRequired' });
      if (!(await deps.aiGateway.canTranscribe(tenantIdOf(req)))) throw new AppError('brand.onboarding.errors.transcriptionUnavailable', 422);
      const { rejected } = await service.addAudio(tenantIdOf(req), s, file);
      if (rejected) return renderStep(req, res, s, 'audio', { rejected: [rejected] }, 422);
    } catch (err) {
      return renderStepError(req, res, s, 'audio', err);
    }
    if (req.get('HX-Request') !== 'true') return res.redirect(303, `${BASE}/audio`);
    await renderStep(req, res, s, 'audio');
  });

  router.post(`${BASE}/documents`, ...guard, acceptUploads('documents', MAX_PDF_BYTES, MAX_PDFS_PER_UPLOAD), async (req, res) => {
    const s = await session(req);
    const upload = req as UploadRequest;
    try {
      if (upload.uploadError) throw upload.uploadError;
      const files = upload.uploads ?? [];
      if (!files.length) throw new ValidationError({ documents: 'brand.onboarding.errors.documentsRequired' });
      const { inputs, rejected } = await service.addPdfs(tenantIdOf(req), s, files);
      if (rejected.length || req.get('HX-Request') === 'true') {
        return renderStep(req, res, s, 'documents', { rejected }, inputs.length ? 200 : 422);
      }
    } catch (err) {
      return renderStepError(req, res, s, 'documents', err);
    }
    res.redirect(303, `${BASE}/documents`);
  });

  router.post(`${BASE}/website`, ...guard, async (req, res) => {
    const s = await session(req);
    try {
      const { url } = parseInput(websiteSchema, req.body);
      await service.addWebsite(tenantIdOf(req), s, url);
    } catch (err) {
      return renderStepError(req, res, s, 'website', err, { values: { url: String(req.body?.url ?? '') } });
    }
    if (req.get('HX-Request') !== 'true') return res.redirect(303, `${BASE}/website`);
    await renderStep(req, res, s, 'website');
  });

  // Autosave (HTMX, debounced) answers with the small "saved" status; the Continue button saves and moves on.
  router.post(`${BASE}/questionnaire`, ...guard, async (req, res) => {
    const s = await session(req);
    const moveOn = Boolean(req.body?.continue);
    const autosave = req.get('HX-Request') === 'true' && !moveOn;
    try {
      const answers = parseInput(questionnaireSchema, req.body);
      const savedAt = await service.saveQuestionnaire(tenantIdOf(req), s, answers, moveOn);
      if (moveOn) return redirect(req, res, `${BASE}/${nextStep('questionnaire')}`);
      if (autosave) return render(req, res, 'brand/onboarding/_autosave', { savedAt: savedAt.toISOString(), errors: {} });
      res.redirect(303, `${BASE}/questionnaire`);
    } catch (err) {
      if (autosave && err instanceof AppError && err.status < 500) {
        const errors = err instanceof ValidationError ? err.fieldErrors : { _form: err.code };
        return render(req, res, 'brand/onboarding/_autosave', { savedAt: null, errors }, { status: 422 });
      }
      await renderStepError(req, res, s, 'questionnaire', err, { values: req.body ?? {} });
    }
  });

  router.get(`${BASE}/:step`, ...guard, async (req, res) => {
    const step = req.params.step;
    if (!isOnboardingStep(step)) throw new AppError('common.errors.notFound', 404);
    const s = await session(req);
    // while the DNA is being generated, only the review (with its progress) makes sense
    if (s.status === 'extracting' && step !== 'review') return res.redirect(303, `${BASE}/review`);
    await service.visit(tenantIdOf(req), s, step);
    await renderStep(req, res, s, step);
  });

  return router;
}
