import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { parseHTML } from 'linkedom';
import type { Cradle } from '../../../../src/container.js';
import type { BrandDna } from '../../../../src/modules/brand/domain.js';
import type { SeoCradle } from '../../../../src/modules/studio/seo-feature.js';
import { CORPUS_DIR } from '../../../support/corpus.js';
import { testEnv } from '../../../support/root-hooks.js';

export type SeoTestCradle = Cradle & SeoCradle;

export function cradle(): SeoTestCradle {
  return testEnv().container.cradle as SeoTestCradle;
}

export async function tenantIdBySlug(slug: string): Promise<string> {
  return cradle().database.asPlatform(async (trx) => (await trx('tenants').where({ slug }).first('id')).id as string);
}

/**
 * Makes the tenant's current DNA name the business and its town, and have the SEO section and offers `defaults` gives
 * (other tests leave their own DNA on the shared demo tenant): other sections are kept. Returns the DNA now current.
 */
export async function ensureBrandDna(tenantId: string, defaults: BrandDna): Promise<BrandDna> {
  const { dnaService } = cradle();
  const current = (await dnaService.current(tenantId))?.content ?? {};
  const content: BrandDna = {
    ...current,
    identity: { ...current.identity, ...defaults.identity },
    seo: defaults.seo ?? current.seo,
    offers: defaults.offers ?? current.offers,
  };
  if (JSON.stringify(dnaService.diff(current, content)) === '[]') return current;
  return (await dnaService.createSnapshot(tenantId, { content, reason: 'edit' })).content;
}

/** A content of the tenant with one version (as the studio stores them), for recording analyses. */
export async function createContentWithVersion(
  tenantId: string,
  input: { channel: string; title: string; body: string; meta?: Record<string, unknown>; locale?: string },
): Promise<{ contentId: string; versionId: string }> {
  return cradle().database.forTenant(tenantId, async (trx) => {
    const [content] = await trx('contents').insert({ tenantId, channel: input.channel, title: input.title, locale: input.locale ?? 'fr' }).returning('id');
    const versionId = await addVersionIn(trx, tenantId, content.id, input);
    return { contentId: content.id as string, versionId };
  });
}

export async function addVersion(tenantId: string, contentId: string, input: { title: string; body: string; meta?: Record<string, unknown>; locale?: string }): Promise<string> {
  return cradle().database.forTenant(tenantId, (trx) => addVersionIn(trx, tenantId, contentId, input));
}

async function addVersionIn(
  trx: Knex.Transaction,
  tenantId: string,
  contentId: string,
  input: { title: string; body: string; meta?: Record<string, unknown>; locale?: string },
): Promise<string> {
  const [{ max }] = await trx('contentVersions').where({ contentId }).max({ max: 'number' });
  const [version] = await trx('contentVersions')
    .insert({
      tenantId,
      contentId,
      number: (max ?? 0) + 1,
      title: input.title,
      body: input.body,
      meta: JSON.stringify(input.meta ?? {}),
      charCount: input.body.length,
      source: 'edit',
      locale: input.locale ?? 'fr',
    })
    .returning('id');
  await trx('contents').where({ id: contentId }).update({ currentVersionId: version.id });
  return version.id as string;
}

/**
 * A real article of the shared corpus (readability's cleaned page) as the studio's Markdown-ish body: headings as
 * `##`, paragraphs, list items, links as `[text](url)`; embeds and scripts dropped.
 */
export function corpusArticle(dir: string): { title: string; body: string; lang: string } {
  const base = path.join(CORPUS_DIR, 'html', dir);
  const metadata = JSON.parse(fs.readFileSync(path.join(base, 'expected-metadata.json'), 'utf8')) as { title: string; lang: string };
  const { document } = parseHTML(`<!doctype html><html><body>${fs.readFileSync(path.join(base, 'expected.html'), 'utf8')}</body></html>`);
  const inline = (node: Node): string => {
    let out = '';
    node.childNodes.forEach((child) => {
      if (child.nodeType === 3) out += child.textContent ?? '';
      else if (child.nodeType === 1) {
        const el = child as Element;
        if (['IFRAME', 'SCRIPT', 'STYLE', 'IMG', 'FIGURE'].includes(el.tagName)) return;
        const text = inline(el);
        const href = el.tagName === 'A' ? el.getAttribute('href') : null;
        out += href && /^https?:\/\//.test(href) && text.trim() ? `[${text.trim()}](${href})` : text;
      }
    });
    return out.replace(/\s+/g, ' ');
  };
  const blocks: string[] = [];
  document.querySelectorAll('h1, h2, h3, h4, p, li, blockquote').forEach((el: Element) => {
    if (el.closest('li, blockquote') !== el && el.parentElement?.closest('li, blockquote')) return;
    const text = inline(el).trim();
    if (!text) return;
    const level = /^H([1-4])$/.exec(el.tagName)?.[1];
    if (level) blocks.push(`${'#'.repeat(Math.max(2, Number(level)))} ${text}`);
    else if (el.tagName === 'LI') blocks.push(`- ${text}`);
    else if (el.tagName === 'BLOCKQUOTE') blocks.push(`> ${text}`);
    else blocks.push(text);
  });
  return { title: metadata.title, body: blocks.join('\n\n'), lang: metadata.lang };
}
