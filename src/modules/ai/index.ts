import { asClass, type AwilixContainer } from 'awilix';
import { Router } from 'express';
import { requireLogin, requirePlatformAdmin } from '../../shared/http/guards.js';
import { render } from '../../shared/http/render.js';
import { AiCatalogue } from './catalogue.js';

export interface AiCradle {
  aiCatalogue: AiCatalogue;
}

export function registerAi(container: AwilixContainer): void {
  container.register({ aiCatalogue: asClass(AiCatalogue).singleton() });
}

export function aiRouter({ aiCatalogue }: AiCradle): Router {
  const router = Router();
  router.get('/admin/ai', requireLogin, requirePlatformAdmin, async (req, res) => {
    render(req, res, 'admin/ai', { models: await aiCatalogue.listModels() });
  });
  return router;
}
