import type { AwilixContainer } from 'awilix';
import express from 'express';
import type { Database } from '../../../../src/adapters/db/database.js';
import { createApp } from '../../../../src/app.js';
import type { Cradle } from '../../../../src/container.js';
import { brandRoutes, registerBrand, type BrandCradle } from '../../../../src/modules/brand/index.js';

/** The suite's container with the brand module (registered here until the composition root does it). */
export function brandCradleOf(container: AwilixContainer<Cradle>): Cradle & BrandCradle {
  if (!container.hasRegistration('dnaService')) registerBrand(container as AwilixContainer);
  return container.cradle as Cradle & BrandCradle;
}

/** Onboarding inputs of a tenant (one session), as the wizard stores them. */
export async function createInputs(database: Database, tenantId: string, inputs: { text: string; kind?: 'text' | 'url'; questionKey?: string }[]): Promise<string[]> {
  return database.forTenant(tenantId, async (trx) => {
    const [session] = await trx('onboardingSessions').insert({ tenantId, kind: 'pipeline', status: 'in_progress' }).returning('id');
    const ids: string[] = [];
    for (const input of inputs) {
      const kind = input.kind ?? 'text';
      const [row] = await trx('onboardingInputs')
        .insert({
          tenantId,
          sessionId: session.id,
          kind,
          status: 'done',
          questionKey: input.questionKey ?? null,
          rawText: kind === 'text' ? input.text : null,
          sourceUrl: kind === 'url' ? 'https://www.example.fr/' : null,
          extractedText: input.text,
          extractedChars: input.text.length,
        })
        .returning('id');
      ids.push(row.id);
    }
    return ids;
  });
}


type Layer = { handle?: { stack?: Layer[] }; route?: { path?: string } };

function serves(stack: Layer[] | undefined, path: string): boolean {
  return Boolean(stack?.some((layer) => layer.route?.path === path || serves(layer.handle?.stack, path)));
}

/**
 * The app with the brand pages: the suite's own once `app.ts` mounts `brandRoutes`; until then, an app of the same
 * container with the brand router placed before the final not-found and error handlers.
 */
export function brandAppOf(app: express.Express, container: AwilixContainer<Cradle>): express.Express {
  const cradle = brandCradleOf(container);
  const stackOf = (a: express.Express) => (a as unknown as { router: { stack: Layer[] } }).router.stack;
  if (serves(stackOf(app), '/app/brand/dna/versions')) return app;
  const own = createApp(cradle);
  own.use(brandRoutes(cradle));
  const stack = stackOf(own);
  const brand = stack.pop()!;
  stack.splice(stack.length - 2, 0, brand); // before the not-found and error handlers
  return own;
}
