import { Router, type Request, type Response } from 'express';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { requireLogin, requireTenantPermission, tenantIdOf } from '../../shared/http/guards.js';
import { flash, redirect, render } from '../../shared/http/render.js';
import type { KnexBrandDnaRepository } from './db/knex-brand-dna-repository.js';
import { changesBySection } from './dna-diff.js';
import {
  blankRow,
  CURRENCY_CHOICES,
  dnaFromFormValues,
  formValuesFromBody,
  formValuesFromDna,
  LINE_FIELDS,
  ROW_SECTIONS,
  withBlankRows,
  type DnaFormValues,
  type RowSection,
} from './dna-form.js';
import type { DnaService } from './dna-service.js';
import { dnaViewHelpers } from './dna-view.js';
import { DNA_CHANNELS, DNA_SECTIONS, type BrandDna, type DnaSnapshot, type DnaSources } from './domain.js';

const RECENT_VERSIONS = 5;

/** A version number from the URL: anything else is simply not found. */
function versionParam(value: unknown): number {
  if (typeof value !== 'string' || !/^[1-9]\d{0,8}$/.test(value)) throw new NotFoundError();
  return Number(value);
}

function canManage(req: Request): boolean {
  return Boolean(req.viewer?.tenant?.permissions.includes('brand.manage'));
}

/** Every input id named in the sources (for their labels). */
function inputIdsOf(...all: DnaSources[]): string[] {
  return [...new Set(all.flatMap((s) => Object.values(s).flat()))];
}

export function dnaRoutes(deps: { dnaService: DnaService; brandDnaRepository: KnexBrandDnaRepository }): Router {
  const { dnaService, brandDnaRepository } = deps;
  const router = Router();
  const view = requireTenantPermission('workspace.view');
  const manage = requireTenantPermission('brand.manage');

  const helpersFor = async (req: Request, ...snapshots: (DnaSnapshot | null)[]) => {
    const sources = snapshots.filter((s): s is DnaSnapshot => Boolean(s)).map((s) => s.sources);
    const labels = await brandDnaRepository.inputLabels(tenantIdOf(req), inputIdsOf(...sources));
    return dnaViewHelpers(req.t, req.locale, labels);
  };

  // Overview: the current DNA, section by section, with its provenance and the latest versions.
  router.get('/app/brand', requireLogin, view, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const [current, versions] = await Promise.all([dnaService.current(tenantId), dnaService.list(tenantId)]);
    render(req, res, 'brand/index', {
      section: 'brand',
      current,
      dna: current?.content ?? {},
      sources: current?.sources ?? {},
      versions: versions.slice(0, RECENT_VERSIONS),
      versionCount: versions.length,
      canManage: canManage(req),
      sections: DNA_SECTIONS,
      h: await helpersFor(req, current),
    });
  });

  // Edit form
  const editPage = async (req: Request, res: Response, values: DnaFormValues, errors: Record<string, string> = {}, status = 200) => {
    const current = await dnaService.current(tenantIdOf(req));
    render(
      req,
      res,
      'brand/dna/edit',
      {
        section: 'brand',
        current,
        values,
        errors,
        channels: DNA_CHANNELS,
        currencies: CURRENCY_CHOICES,
        lineFields: LINE_FIELDS,
        h: dnaViewHelpers(req.t, req.locale),
      },
      { status, fragment: 'brand/dna/_form' },
    );
  };

  router.get('/app/brand/dna/edit', requireLogin, manage, async (req, res) => {
    const current = await dnaService.current(tenantIdOf(req));
    await editPage(req, res, formValuesFromDna(current?.content ?? {}, req.locale, current?.version ?? null));
  });

  router.post('/app/brand/dna/edit', requireLogin, manage, async (req, res) => {
    const values = formValuesFromBody(req.body);
    try {
      const content = dnaFromFormValues(values);
      const baseVersion = /^\d+$/.test(values.baseVersion) ? Number(values.baseVersion) : null;
      // the form holds every section: what it leaves out is cleared
      const patch = Object.fromEntries(DNA_SECTIONS.map((s) => [s, content[s]])) as Partial<BrandDna>;
      const result = await dnaService.edit(tenantIdOf(req), req.viewer!.userId, patch, { baseVersion });
      flash(
        req,
        'success',
        result.changed && result.snapshot ? req.t('brand.dna.flash.saved', { version: result.snapshot.version }) : req.t('brand.dna.flash.unchanged'),
      );
      redirect(req, res, '/app/brand');
    } catch (err) {
      if (err instanceof ValidationError) return editPage(req, res, withBlankRows(values), err.fieldErrors, 422);
      if (err instanceof AppError && err.code === 'brand.dna.errors.conflict') {
        // someone saved meanwhile: keep what was typed, say so, and let a new save apply over the new version
        const current = await dnaService.current(tenantIdOf(req));
        const fresh = { ...withBlankRows(values), baseVersion: current ? String(current.version) : '' };
        return editPage(req, res, fresh, { _form: 'brand.dna.errors.conflict' }, 409);
      }
      throw err;
    }
  });

  // One more blank row of a repeatable sub-form (HTMX), followed by the button for the next one.
  router.get('/app/brand/dna/edit/rows/:section', requireLogin, manage, (req, res) => {
    const section = String(req.params.section) as RowSection;
    if (!(ROW_SECTIONS as readonly string[]).includes(section)) throw new NotFoundError();
    const index = Math.min(999, Math.max(0, Number.parseInt(String(req.query.index ?? '0'), 10) || 0));
    render(req, res, 'brand/dna/_new-row', { rowSection: section, row: blankRow(section), index, errors: {}, currencies: CURRENCY_CHOICES });
  });

  // Versions
  router.get('/app/brand/dna/versions', requireLogin, view, async (req, res) => {
    const versions = await dnaService.list(tenantIdOf(req));
    render(req, res, 'brand/dna/versions', { section: 'brand', versions, canManage: canManage(req), h: dnaViewHelpers(req.t, req.locale) });
  });

  router.get('/app/brand/dna/compare', requireLogin, view, async (req, res) => {
    const a = versionParam(req.query.a);
    const b = versionParam(req.query.b);
    const [from, to] = a <= b ? [a, b] : [b, a];
    const tenantId = tenantIdOf(req);
    const [comparison, versions] = await Promise.all([dnaService.compare(tenantId, from, to), dnaService.list(tenantId)]);
    render(
      req,
      res,
      'brand/dna/compare',
      {
        section: 'brand',
        from: comparison.a,
        to: comparison.b,
        groups: changesBySection(comparison.changes),
        versions,
        canManage: canManage(req),
        h: dnaViewHelpers(req.t, req.locale),
      },
      { fragment: 'brand/dna/_diff' },
    );
  });

  router.get('/app/brand/dna/:version', requireLogin, view, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const [snapshot, currentRef] = await Promise.all([dnaService.get(tenantId, versionParam(req.params.version)), dnaService.currentSnapshotRef(tenantId)]);
    render(req, res, 'brand/dna/show', {
      section: 'brand',
      snapshot,
      currentVersion: currentRef?.version ?? null,
      dna: snapshot.content,
      sources: snapshot.sources,
      canManage: canManage(req),
      sections: DNA_SECTIONS,
      h: await helpersFor(req, snapshot),
    });
  });

  // Restore: a confirmation page that shows what would change, then the POST.
  router.get('/app/brand/dna/:version/restore', requireLogin, manage, async (req, res) => {
    const tenantId = tenantIdOf(req);
    const target = await dnaService.get(tenantId, versionParam(req.params.version));
    const current = await dnaService.current(tenantId);
    render(req, res, 'brand/dna/restore', {
      section: 'brand',
      target,
      current,
      groups: current ? changesBySection(dnaService.diff(current, target)) : [],
      h: dnaViewHelpers(req.t, req.locale),
    });
  });

  router.post('/app/brand/dna/:version/restore', requireLogin, manage, async (req, res) => {
    const version = versionParam(req.params.version);
    const snapshot = await dnaService.restore(tenantIdOf(req), req.viewer!.userId, version);
    flash(
      req,
      'success',
      snapshot.version === version ? req.t('brand.dna.flash.alreadyCurrent', { version }) : req.t('brand.dna.flash.restored', { from: version, version: snapshot.version }),
    );
    redirect(req, res, '/app/brand');
  });

  return router;
}
