import crypto from 'node:crypto';
import type { Express } from 'express';
import supertest from 'supertest';
import { csrfOf, type Agent } from './http.js';

/** Invites a new member through the owner's UI, accepts the invitation, and returns the member's logged-in agent. */
export async function addTeamMember(app: Express, owner: { agent: Agent; csrf: string }, role: string): Promise<{ agent: Agent; csrf: string; email: string }> {
  const email = `member-${crypto.randomBytes(4).toString('hex')}@example.com`;
  const res = await owner.agent.post('/app/team/invitations').type('form').send({ email, role, _csrf: owner.csrf });
  const link = /\/invitations\/([\w-]+)"/.exec(res.text);
  if (!link) throw new Error(`no invitation link (status ${res.status})`);
  const agent = supertest.agent(app);
  const csrf = await csrfOf(agent, `/invitations/${link[1]}`);
  const accepted = await agent.post(`/invitations/${link[1]}`).type('form').send({ name: 'Test Member', password: 'correct horse battery', _csrf: csrf });
  if (accepted.status !== 303) throw new Error(`accept failed: ${accepted.status}`);
  return { agent, csrf: await csrfOf(agent, '/app'), email };
}

export function membershipIdOf(html: string, email: string): string {
  const re = new RegExp(`<tr id="member-([0-9a-f-]{36})">\\s*<td>[^<]*</td>\\s*<td>${email.replace(/[.+]/g, '\\$&')}</td>`);
  const match = re.exec(html);
  if (!match) throw new Error(`member ${email} not in page`);
  return match[1];
}
