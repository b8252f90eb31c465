import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import sharp from 'sharp';
import type { Cradle } from '../../../../src/container.js';
import type { MediaCradle } from '../../../../src/modules/brand/media.js';
import { testEnv } from '../../../support/root-hooks.js';

/** The suite's app: the composition root registers the media library and app.ts mounts its router. */
export function mediaApp(): Express {
  return testEnv().app;
}

export function cradle(): Cradle & MediaCradle {
  return testEnv().container.cradle;
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
