import type { Express } from 'express';
import supertest from 'supertest';

export type Agent = ReturnType<typeof supertest.agent>;

/** The CSRF token of the agent's session, read from a page it can see. */
export async function csrfOf(agent: Agent, page = '/login'): Promise<string> {
  const res = await agent.get(page);
  const match = /name="csrf-token" content="([^"]+)"/.exec(res.text);
  if (!match) throw new Error(`no csrf token on ${page} (status ${res.status})`);
  return match[1];
}

/** A logged-in agent (cookies kept) and its CSRF token. */
export async function loginAs(app: Express, email: string, password: string): Promise<{ agent: Agent; csrf: string }> {
  const agent = supertest.agent(app);
  const token = await csrfOf(agent);
  const res = await agent.post('/login').type('form').send({ email, password, _csrf: token });
  if (res.status !== 303) throw new Error(`login failed for ${email}: ${res.status}`);
  return { agent, csrf: await csrfOf(agent, res.headers.location) };
}

export const DEMO_OWNER = { email: 'demo@cadence.test', password: 'cadence-demo' };
export const DEMO_OWNER_2 = { email: 'demo2@cadence.test', password: 'cadence-demo' };
export const SUPER_ADMIN = { email: 'admin@cadence.test', password: 'cadence-admin' };
