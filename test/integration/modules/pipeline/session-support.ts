import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asValue, type AwilixContainer } from 'awilix';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import type { PipelineRun, PipelineStep, StepName } from '../../../../src/modules/pipeline/domain.js';
import type { StepContext, StepHandler, StepProgress } from '../../../../src/modules/pipeline/ports.js';
import type { Clock } from '../../../../src/shared/clock.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

/** Shared set-up of the session, ingestion and DNA merge tests. */

const here = path.dirname(fileURLToPath(import.meta.url));
export const CORPUS = path.resolve(here, '../../../../../shared/corpus');
export const corpus = (file: string) => fs.readFileSync(path.join(CORPUS, file));

export type Wired = Cradle;

/** A container on the suite's database; `configOverrides` for an AI emulator, `clock` to freeze time. */
export function sessionContainer(options: { configOverrides?: Record<string, string>; clock?: Clock } = {}): AwilixContainer<Wired> {
  return buildContainer(testConfig(options.configOverrides ?? {}), testEnv().db, options.clock ? { clock: asValue(options.clock) } : {});
}

export function frozenClock(at: Date): Clock & { set(at: Date): void } {
  let now = at;
  return { now: () => now, set: (next: Date) => (now = next) };
}

export async function newTenant(c: Wired, options: { locale?: string; timezone?: string; credits?: number; dna?: boolean } = {}): Promise<string> {
  const { id } = await createTenant(c.database, { locale: options.locale, credits: options.credits });
  if (options.timezone) await c.database.asPlatform((trx) => trx('tenants').where({ id }).update({ timezone: options.timezone }));
  if (options.dna !== false) await giveDna(c, id);
  return id;
}

export async function giveDna(c: Wired, tenantId: string): Promise<string> {
  const dna = await c.dnaService.createSnapshot(tenantId, {
    content: { identity: { name: 'Boulangerie du Port', activity: 'Boulangerie artisanale' }, keywords: ['pain au levain'] },
    reason: 'edit',
  });
  return dna.id;
}

export async function createMember(c: Wired, tenantId: string, role: 'client_owner' | 'client_editor' | 'client_viewer', locale = 'fr'): Promise<{ userId: string; email: string; password: string }> {
  const email = `${role.replace('client_', '')}-${crypto.randomBytes(4).toString('hex')}@sessions.test`;
  const password = 'correct horse battery staple';
  const passwordHash = await c.passwordHasher.hash(password);
  const userId = await c.database.asPlatform(async (trx) => {
    const [user] = await trx('users').insert({ email, name: `Membre ${role}`, passwordHash, locale }).returning('id');
    const roleRow = await trx('roles').where({ code: role }).first('id');
    await trx('memberships').insert({ userId: user.id, scope: 'tenant', tenantId, roleId: roleRow.id });
    return user.id as string;
  });
  return { userId, email, password };
}

/** A running run for `month`, written as the run service would. */
export async function newRun(c: Wired, tenantId: string, month: string, now = new Date()): Promise<PipelineRun> {
  const { run } = await c.pipelineRepository.createRun(tenantId, {
    month,
    triggeredBy: 'schedule',
    triggeredByUserId: null,
    rerunOfRunId: null,
    contentMode: 'semi',
    useNightlyBatch: true,
    deadlineAt: null,
    estimatedCredits: 100,
    budgetCredits: 10_000,
    locale: (await c.pipelineRepository.tenantProfile(tenantId)).locale,
    status: 'running',
    now,
  });
  return run!;
}

export interface StepRun {
  outcome: Awaited<ReturnType<StepHandler['execute']>>;
  progress: StepProgress[];
}

/** Executes one step as the runner would (fresh run row, its step row), recording what it reports. */
export async function executeStep(c: Wired, handler: StepHandler, tenantId: string, runId: string, now = new Date()): Promise<StepRun> {
  const run = (await c.pipelineRepository.findRun(tenantId, runId))!;
  const step = (await c.pipelineRepository.steps(tenantId, runId)).find((s) => s.name === handler.name) as PipelineStep;
  const progress: StepProgress[] = [];
  const context: StepContext = {
    tenantId,
    run,
    step,
    now: () => now,
    progress: async (update) => void progress.push(update),
    shouldStop: async () => false,
  };
  return { outcome: await handler.execute(context), progress };
}

export function stepOf(c: Wired, name: StepName): StepHandler {
  return c.pipelineSteps.find((s) => s.name === name)!;
}

/** A competitor, its page source and one change seen on it (`detectedAt`, significance, dismissed or not). */
export async function watchChange(
  c: Wired,
  tenantId: string,
  change: { title: string; detectedAt: Date; significance?: 'low' | 'medium' | 'high'; dismissed?: boolean; summary?: string },
): Promise<string> {
  return c.database.forTenant(tenantId, async (trx) => {
    let competitor = await trx('competitors').where({ tenantId, name: 'Maison Rivale' }).first('id');
    if (!competitor) [competitor] = await trx('competitors').insert({ tenantId, name: 'Maison Rivale', website: 'https://rivale.example' }).returning('id');
    let source = await trx('watchSources').where({ tenantId, competitorId: competitor.id }).first('id');
    if (!source) {
      [source] = await trx('watchSources').insert({ tenantId, competitorId: competitor.id, kind: 'page', url: 'https://rivale.example/tarifs', host: 'rivale.example' }).returning('id');
    }
    const [row] = await trx('watchChanges')
      .insert({
        tenantId,
        sourceId: source.id,
        competitorId: competitor.id,
        kind: 'text_change',
        fingerprint: crypto.randomBytes(16).toString('hex'),
        title: change.title,
        url: 'https://rivale.example/tarifs',
        significance: change.significance ?? 'medium',
        summary: change.summary ?? null,
        summaryStatus: change.summary ? 'ready' : 'pending',
        dismissedAt: change.dismissed ? change.detectedAt : null,
        detectedAt: change.detectedAt,
      })
      .returning('id');
    return row.id as string;
  });
}

export function html(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
