import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import sharp from 'sharp';
import { createApp } from '../../../../src/app.js';
import type { Cradle } from '../../../../src/container.js';
import { MEDIA_ROUTER, mediaRoutes, registerMedia, type MediaCradle } from '../../../../src/modules/brand/media.js';
import { testEnv } from '../../../support/root-hooks.js';

let app: Express | undefined;

function mounted(candidate: Express): boolean {
  const stack = (candidate as unknown as { router: { stack: { handle?: Record<symbol, unknown> }[] } }).router.stack;
  return stack.some((layer) => Boolean(layer.handle?.[MEDIA_ROUTER]));
}

/**
 * The suite's app with the media library. Once the composition root registers the module and app.ts mounts its
 * router, this is the suite's own app; until then the module is registered here and its router mounted on a second
 * app built the same way (before the 404 and error handlers).
 */
export function mediaApp(): Express {
  const env = testEnv();
  cradle();
  if (mounted(env.app)) return env.app;
  if (!app) {
    const built = createApp(env.container.cradle);
    built.use(mediaRoutes(cradle()));
    const stack = (built as unknown as { router: { stack: unknown[] } }).router.stack;
    const layer = stack.pop();
    stack.splice(stack.length - 2, 0, layer); // before the not-found and error handlers
    app = built;
  }
  return app;
}

export function cradle(): Cradle & MediaCradle {
  const env = testEnv();
  if (!env.container.hasRegistration('mediaService')) registerMedia(env.container);
  return env.container.cradle as Cradle & MediaCradle;
}

/** A PNG of random pixels (incompressible, so every call gives different bytes of a predictable size). */
export function randomPng(width = 48, height = 32): Promise<Buffer> {
  return sharp(crypto.randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

export function randomJpeg(width = 120, height = 80): Promise<Buffer> {
  return sharp(crypto.randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).jpeg().toBuffer();
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** The shared corpus next to the repository (read only). */
export const MINIMAL_PDF = path.resolve(repoRoot, '../shared/corpus/pdfs/minimal-hello-world.pdf');

export async function tenantIdBySlug(slug: string): Promise<string> {
  const { database } = testEnv().container.cradle;
  return database.asPlatform(async (trx) => (await trx('tenants').where({ slug }).first('id')).id as string);
}

export const TENANT_A = 'boulangerie-martin';
export const TENANT_B = 'velo-atelier-nantes';

/** Every file stored for a tenant (relative paths), as on disk. */
export function storedFiles(tenantId: string): string[] {
  const root = path.join(testEnv().config.dataDir, 'media', tenantId);
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(root, p)).isFile()).sort();
}

export async function assetRows(tenantId: string, where: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
  const { database } = testEnv().container.cradle;
  return database.forTenant(tenantId, (trx) => trx('mediaAssets').where({ tenantId, ...where }).orderBy('createdAt'));
}

/** A content of the tenant (draft), for usages. */
export async function createContent(tenantId: string, title = 'Post test'): Promise<string> {
  const { database } = testEnv().container.cradle;
  return database.forTenant(tenantId, async (trx) => {
    const [row] = await trx('contents').insert({ tenantId, channel: 'blog', title }).returning('id');
    return row.id as string;
  });
}

/** The asset id a successful non-HTMX upload redirects to. */
export function assetIdFrom(location: string | undefined): string {
  const match = /^\/app\/media\/([0-9a-f-]{36})$/.exec(location ?? '');
  if (!match) throw new Error(`no asset in redirect ${location}`);
  return match[1];
}
