import type { Knex } from 'knex';
import { DISTRIBUTOR_PERMISSIONS, PLATFORM_PERMISSIONS, TENANT_PERMISSIONS } from '../src/modules/tenancy/domain.js';

/** The platform's own rows: roles, the "direct" distributor every direct client belongs to, feature flags. */
export async function seed(knex: Knex): Promise<void> {
  const all = [...TENANT_PERMISSIONS];
  const roles = [
    { code: 'super_admin', scope: 'platform', rank: 100, permissions: [...PLATFORM_PERMISSIONS] },
    { code: 'distributor_admin', scope: 'distributor', rank: 60, permissions: [...DISTRIBUTOR_PERMISSIONS] },
    { code: 'distributor_staff', scope: 'distributor', rank: 50, permissions: ['distributor.view'] },
    { code: 'client_owner', scope: 'tenant', rank: 30, permissions: all },
    {
      code: 'client_editor',
      scope: 'tenant',
      rank: 20,
      permissions: ['workspace.view', 'brand.manage', 'content.write', 'media.manage', 'watch.manage'],
    },
    { code: 'client_viewer', scope: 'tenant', rank: 10, permissions: ['workspace.view'] },
  ];
  await knex('roles').insert(roles.map((r) => ({ ...r, isSystem: true }))).onConflict('code').merge(['scope', 'rank', 'permissions']);

  await knex('distributors')
    .insert({ code: 'direct', name: 'Cadence', kind: 'direct', brandName: 'Cadence', supportEmail: 'support@cadence.example', locale: 'fr' })
    .onConflict('code')
    .merge(['kind']);

  await knex('featureFlags')
    .insert([
      { key: 'video_generation', description: 'V3: AI video rendering, enabled where profitable', enabledByDefault: false },
      { key: 'image_generation', description: 'V3: AI image generation', enabledByDefault: false },
      { key: 'landing_page_ab_testing', description: 'V3: AI landing page variants with automatic winner', enabledByDefault: false },
      { key: 'autonomous_agents', description: 'V3: autonomous AI agents and native CRM', enabledByDefault: false },
    ])
    .onConflict('key')
    .merge(['description']);
}
