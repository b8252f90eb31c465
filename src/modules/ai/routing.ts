import type { CatalogueProvider, RoutingCatalogue, TenantAiPolicy } from './db/knex-ai-catalogue-repository.js';
import { TASK_CAPABILITY, type AiTask, type CatalogueModel } from './domain.js';

export interface RouteChoice {
  /** The route's models a tenant may use, in route order (cooldowns aside). */
  models: { model: CatalogueModel; provider: CatalogueProvider }[];
  active: boolean;
  /** Some models were left out only because the tenant requires EU processing. */
  blockedByResidency: boolean;
}

/**
 * The one routing rule, shared by the gateway and the pages that tell a client what serves them: active
 * models able to do the task, whose provider is usable, allowed by the tenant's plan, EU-hosted when required.
 */
export function eligibleModels(
  catalogue: RoutingCatalogue,
  policy: TenantAiPolicy,
  task: AiTask,
  isUsable: (provider: CatalogueProvider) => boolean,
): RouteChoice {
  const route = catalogue.routes.get(task);
  const choice: RouteChoice = { models: [], active: Boolean(route?.active), blockedByResidency: false };
  if (!route?.active) return choice;
  for (const id of route.modelIds) {
    const model = catalogue.models.get(id);
    if (!model || !model.active || !model.capabilities.includes(TASK_CAPABILITY[task])) continue;
    const provider = catalogue.providers.get(model.provider.code);
    if (!provider || !isUsable(provider)) continue;
    if (policy.allowedModelIds.size && !policy.allowedModelIds.has(model.id)) continue;
    if (policy.requiresEu && !model.euHosted) {
      choice.blockedByResidency = true;
      continue;
    }
    choice.models.push({ model, provider });
  }
  return choice;
}
