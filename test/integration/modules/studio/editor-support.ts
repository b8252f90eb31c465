import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AwilixContainer } from 'awilix';
import type { Express } from 'express';
import { Argon2PasswordHasher } from '../../../../src/adapters/crypto/argon2-password-hasher.js';
import { createApp } from '../../../../src/app.js';
import { buildContainer, type Cradle } from '../../../../src/container.js';
import { loginAs, type Agent } from '../../../support/http.js';
import { testConfig, testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

export interface StudioTestApp {
  app: Express;
  container: AwilixContainer<Cradle>;
  cradle: Cradle;
  dispose(): Promise<void>;
}

/** The suite's app (no AI key: the offline provider writes). */
export function suiteApp(): StudioTestApp {
  const { app, container } = testEnv();
  return { app, container, cradle: container.cradle, dispose: async () => undefined };
}

/** An app of its own on the suite's database, with the given provider environment (e.g. the AI emulator's). */
export function studioApp(env: Record<string, string>): StudioTestApp {
  const config = testConfig(env);
  const container = buildContainer(config, testEnv().db);
  return {
    app: createApp(container.cradle),
    container,
    cradle: container.cradle,
    dispose: async () => {
      await container.dispose();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Parses a Server-Sent Events body into its events (data is JSON on this endpoint). */
export function parseSse(body: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return events;
}

export async function tenantIdBySlug(cradle: Cradle, slug: string): Promise<string> {
  return (await cradle.database.asPlatform((trx) => trx('tenants').where({ slug }).first('id'))).id;
}

/** HTML-escaped as Eta writes it (for asserting translated strings in pages). */
export function html(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A new tenant (its own plan and credits) whose owner is logged in on `app`: for what must not touch the demo tenant. */
export async function freshTenantOwner(
  cradle: Cradle,
  app: Express,
  options: { plan?: string; credits?: number } = {},
): Promise<{ tenantId: string; agent: Agent; csrf: string; userId: string }> {
  const tenant = await createTenant(cradle.database, options);
  const email = `owner-${crypto.randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct horse battery staple';
  const passwordHash = await new Argon2PasswordHasher().hash(password);
  const userId = await cradle.database.asPlatform(async (trx) => {
    await trx('tenants').where({ id: tenant.id }).update({ timezone: 'Europe/Paris' });
    const [user] = await trx('users').insert({ email, name: 'Fresh Owner', passwordHash, locale: 'fr' }).returning('id');
    const role = await trx('roles').where({ code: 'client_owner' }).first('id');
    await trx('memberships').insert({ userId: user.id, scope: 'tenant', tenantId: tenant.id, roleId: role.id });
    return user.id as string;
  });
  const { agent, csrf } = await loginAs(app, email, password);
  return { tenantId: tenant.id, agent, csrf, userId };
}

/** Waits for a condition the server reaches on its own (e.g. a generation finishing after its client left). */
export async function eventually<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The database's clock now: what a test file's clean-up starts from. */
export async function databaseNow(cradle: Cradle): Promise<Date> {
  return cradle.database.asPlatform(async (trx) => (await trx.raw('select now() as now')).rows[0].now as Date);
}

/**
 * Removes the contents and campaigns a test file made in shared tenants (the demo ones) since `since`, so the
 * files that run after it (calendar, approvals…) find the demo tenant as seeded.
 */
export async function removeCreatedSince(cradle: Cradle, tenantIds: string[], since: Date): Promise<void> {
  for (const tenantId of tenantIds) {
    await cradle.database.forTenant(tenantId, async (trx) => {
      await trx('contents').where({ tenantId }).where('createdAt', '>=', since).delete();
      await trx('campaigns').where({ tenantId }).where('createdAt', '>=', since).delete();
    });
  }
}
