import crypto from 'node:crypto';
import type { Cradle } from '../../../../src/container.js';
import type { Channel, ContentMode } from '../../../../src/modules/studio/domain.js';
import { loginAs, type Agent } from '../../../support/http.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

/** Shared set-up of the approval queue tests: a tenant of their own with one member per role, contents waiting. */

export type Session = { agent: Agent; csrf: string; userId: string; email: string; name: string };
export type Role = 'client_owner' | 'client_editor' | 'client_viewer';

export const cradle = (): Cradle => testEnv().container.cradle;
export const app = () => testEnv().app;

export interface Team {
  tenantId: string;
  owner: Session;
  editor: Session;
  viewer: Session;
}

/** A user with a password and a membership of `role` in the tenant (written as the invitation flow would leave it). */
export async function createMember(tenantId: string, role: Role, name: string): Promise<{ userId: string; email: string; password: string }> {
  const email = `${role.replace('client_', '')}-${crypto.randomBytes(4).toString('hex')}@approvals.test`;
  const password = 'correct horse battery staple';
  const passwordHash = await cradle().passwordHasher.hash(password);
  const userId = await cradle().database.asPlatform(async (trx) => {
    const [user] = await trx('users').insert({ email, name, passwordHash, locale: 'fr' }).returning('id');
    const roleRow = await trx('roles').where({ code: role }).first('id');
    await trx('memberships').insert({ userId: user.id, scope: 'tenant', tenantId, roleId: roleRow.id });
    return user.id as string;
  });
  return { userId, email, password };
}

export async function session(tenantId: string, role: Role, name: string): Promise<Session> {
  const member = await createMember(tenantId, role, name);
  const { agent, csrf } = await loginAs(app(), member.email, member.password);
  return { agent, csrf, userId: member.userId, email: member.email, name };
}

export async function createTeam(options: { locale?: string; plan?: string; name?: string } = {}): Promise<Team> {
  const tenant = await createTenant(cradle().database, { locale: options.locale, plan: options.plan, name: options.name });
  const [owner, editor, viewer] = await Promise.all([
    session(tenant.id, 'client_owner', 'Claire Martin'),
    session(tenant.id, 'client_editor', 'Éric Rédacteur'),
    session(tenant.id, 'client_viewer', 'Valérie Lecture'),
  ]);
  return { tenantId: tenant.id, owner, editor, viewer };
}

/**
 * A content waiting for approval, made through the studio: created on its optimal slot, written by hand (version 1,
 * checked against the tenant's DNA), then submitted.
 */
export async function pendingContent(
  tenantId: string,
  userId: string,
  options: { channel?: Channel; body?: string; title?: string; campaignId?: string; mode?: ContentMode } = {},
): Promise<{ id: string; versionId: string }> {
  const { contentService } = cradle();
  const content = await contentService.create(tenantId, userId, {
    channel: options.channel ?? 'linkedin',
    brief: 'Présenter la nouvelle vitrine',
    title: options.title ?? `Contenu ${crypto.randomBytes(3).toString('hex')}`,
    campaignId: options.campaignId,
    mode: options.mode ?? 'semi',
  });
  const { version } = await contentService.edit(tenantId, content.id, userId, {
    title: options.title,
    body: options.body ?? 'Notre nouvelle vitrine est prête : passez la découvrir dès samedi.',
  });
  await contentService.submitForApproval(tenantId, content.id);
  return { id: content.id, versionId: version.id };
}

export async function createCampaign(tenantId: string, name: string): Promise<string> {
  return cradle().database.forTenant(tenantId, async (trx) => {
    const [row] = await trx('campaigns').insert({ tenantId, name, utmCampaign: `c-${crypto.randomBytes(4).toString('hex')}`, status: 'active' }).returning('id');
    return row.id as string;
  });
}

/** Bans a word in the tenant's brand DNA, so that a text using it is flagged by the studio's check. */
export async function banWord(tenantId: string, userId: string, word: string): Promise<void> {
  await cradle().dnaService.createSnapshot(tenantId, { content: { vocabulary: { banned: [word] } }, reason: 'edit', userId });
}

export async function approvalRows(tenantId: string, contentId: string): Promise<Record<string, any>[]> {
  return cradle().database.forTenant(tenantId, (trx) => trx('approvals').where({ tenantId, contentId }).orderBy('decidedAt'));
}

export async function contentRow(tenantId: string, contentId: string): Promise<Record<string, any>> {
  return cradle().database.forTenant(tenantId, (trx) => trx('contents').where({ tenantId, id: contentId }).first());
}

export async function slotRow(tenantId: string, contentId: string): Promise<Record<string, any> | undefined> {
  return cradle().database.forTenant(tenantId, (trx) => trx('calendarSlots').where({ tenantId, contentId }).first());
}

export async function versionRow(tenantId: string, versionId: string): Promise<Record<string, any>> {
  return cradle().database.forTenant(tenantId, (trx) => trx('contentVersions').where({ tenantId, id: versionId }).first());
}

/** Moves a content's slot (and `scheduled_at`, which always follows it) as the calendar would. */
export async function setSlot(tenantId: string, contentId: string, startsAt: Date): Promise<void> {
  await cradle().database.forTenant(tenantId, async (trx) => {
    await trx('calendarSlots').where({ tenantId, contentId }).update({ startsAt, reminderSentAt: null });
    await trx('contents').where({ tenantId, id: contentId }).update({ scheduledAt: startsAt });
  });
}

/** E-mails the sandbox mailer recorded for the tenant. */
export async function sandboxMails(tenantId: string, kind?: string): Promise<{ recipient: string; payload: { kind: string; subject: string; text: string; html: string | null } }[]> {
  const rows = await cradle().database.forTenant(tenantId, (trx) => trx('sandboxDeliveries').where({ tenantId, channel: 'email' }).orderBy('createdAt').select('recipient', 'payload'));
  return rows.filter((r: { payload: { kind: string } }) => !kind || r.payload.kind === kind);
}

/** HTML-escaped as Eta writes it (for asserting translated strings in pages). */
export function html(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function form(s: Session, fields: Record<string, unknown> = {}) {
  return { _csrf: s.csrf, ...fields };
}
