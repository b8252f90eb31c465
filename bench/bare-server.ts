import type { Server } from 'node:http';
import { Eta } from 'eta';
import express from 'express';
import pg from 'pg';
import { PLATFORM_ROLE } from '../src/adapters/db/roles.js';
import { portOf } from './support/cadence.js';

/**
 * The baseline of the `http` benchmark: a bare Express + pg + Eta page listing the team of one tenant.
 * One query per request (memberships ⋈ users ⋈ roles, filtered by tenant in its WHERE clause), no
 * transaction, no session, no middleware; a small template compiled once.
 */

// Runs as the platform role (bypasses row-level security, like a hand-written app without it). The role is
// set in the same simple-protocol round trip as the query, because with embedded PGlite all connections
// share one session whose role Cadence's pool also sets.
const teamQuery = (tenantId: string) => `
  SET ROLE ${PLATFORM_ROLE};
  SELECT m.id AS membership_id, u.id AS user_id, u.email, u.name, r.code AS role_code, u.last_login_at
  FROM memberships m
  JOIN users u ON u.id = m.user_id
  JOIN roles r ON r.id = m.role_id
  WHERE m.scope = 'tenant' AND m.tenant_id = '${tenantId}'
  ORDER BY u.email`;

const TEMPLATE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Team · <%= it.tenant.name %></title></head>
<body>
<main>
  <h1><%= it.tenant.name %></h1>
  <table>
    <thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Last login</th></tr></thead>
    <tbody>
    <% it.members.forEach(function (m) { %>
      <tr id="member-<%= m.membership_id %>">
        <td><%= m.name %></td>
        <td><%= m.email %></td>
        <td><%= m.role_code %></td>
        <td><%= m.last_login_at ? new Date(m.last_login_at).toLocaleString('en') : '—' %></td>
      </tr>
    <% }) %>
    </tbody>
  </table>
</main>
</body>
</html>`;

export interface BareServer {
  url: string;
  stop(): Promise<void>;
}

/** Serves GET /team: the team of the tenant `tenantSlug`. */
export async function startBareServer(options: { databaseUrl: string; tenantSlug: string; poolMax: number }): Promise<BareServer> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolMax });
  const lookup = await pool.query<{ id: string; name: string }>(`SET ROLE ${PLATFORM_ROLE}; SELECT id, name FROM tenants WHERE slug = '${options.tenantSlug.replace(/'/g, "''")}'`);
  const tenant = (lookup as unknown as pg.QueryResult<{ id: string; name: string }>[])[1].rows[0];
  if (!tenant || !/^[0-9a-f-]{36}$/.test(tenant.id)) {
    await pool.end();
    throw new Error(`no tenant ${options.tenantSlug}`);
  }
  const sql = teamQuery(tenant.id);

  const eta = new Eta({ autoEscape: true, cache: true });
  eta.loadTemplate('@team', TEMPLATE);

  const app = express();
  app.disable('x-powered-by');
  app.get('/team', async (_req, res) => {
    const results = (await pool.query(sql)) as unknown as pg.QueryResult[];
    const members = results[1].rows;
    res.type('html').send(eta.render('@team', { tenant, members }));
  });

  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${portOf(server)}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
